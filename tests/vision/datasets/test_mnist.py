"""MNIST family: IDX parsing, download layout through a local server, errors."""

from __future__ import annotations

import os
import string

import numpy as np
import pytest

import ember
from ember.utils.download import DownloadError
from embervision.datasets import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST, _registry
from embervision.datasets.mnist import read_idx

NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")


def _mnist_files(fmt, seed=0, n_train=5, n_test=3):
    rng = np.random.default_rng(seed)
    arrays = {
        NAMES[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        NAMES[1]: rng.integers(0, 10, n_train).astype(np.uint8),
        NAMES[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        NAMES[3]: rng.integers(0, 10, n_test).astype(np.uint8),
    }
    served = {name + ".gz": fmt.gz(fmt.idx(a)) for name, a in arrays.items()}
    return arrays, served


def _serve(server, monkeypatch, cls, served, fmt, prefix="m"):
    for name, data in served.items():
        server.files[f"{prefix}/{name}"] = data
    monkeypatch.setattr(cls, "mirrors", [server.url("dead/"), server.url(prefix) + "/"])
    monkeypatch.setattr(cls, "resources", [(n, fmt.md5(d)) for n, d in served.items()])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32,
                                   np.float64])
def test_read_idx_all_types_big_endian(tmp_path, fmt, dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype) if dtype != np.uint8 else \
        np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    p = tmp_path / "x"
    p.write_bytes(fmt.idx(a))
    got = read_idx(p)
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, a)


def test_read_idx_errors(tmp_path, fmt):
    p = tmp_path / "x"
    p.write_bytes(fmt.idx(np.zeros((2, 3), np.uint8))[:-1])
    with pytest.raises(RuntimeError, match="truncated or corrupt"):
        read_idx(p)
    p.write_bytes(b"\x1f\x8b\x08\x00" + b"\0" * 20)
    with pytest.raises(RuntimeError, match="not an IDX file"):
        read_idx(p)
    p.write_bytes(bytes([0, 0, 0x0A, 1, 0, 0, 0, 0]))
    with pytest.raises(RuntimeError, match="unsupported IDX type 0x0A"):
        read_idx(p)


def test_mnist_not_found_names_the_directory(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True") as e:
        MNIST(tmp_path)
    assert os.path.join(str(tmp_path), "MNIST", "raw") in str(e.value)


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST, KMNIST])
def test_download_layout_items_and_targets(server, monkeypatch, fmt, tmp_path, cls):
    arrays, served = _mnist_files(fmt, seed=len(cls.__name__))
    _serve(server, monkeypatch, cls, served, fmt)
    root = tmp_path / "data"
    train = cls(root, download=True)
    raw = root / cls.__name__ / "raw"
    for name in NAMES:  # torchvision's layout: the .gz and its decompressed copy in raw/
        assert (raw / name).is_file() and (raw / (name + ".gz")).is_file()
    assert server.count("dead/" + NAMES[0] + ".gz") == 1  # first mirror 404s, second serves
    assert train.data.dtype == ember.uint8 and tuple(train.data.shape) == (5, 28, 28)
    assert train.targets.dtype == ember.int64
    np.testing.assert_array_equal(train.targets.numpy(), arrays[NAMES[1]].astype(np.int64))
    img, label = train[3]
    assert img.mode == "L" and img.size == (28, 28) and label == int(arrays[NAMES[1]][3])
    np.testing.assert_array_equal(np.asarray(img), arrays[NAMES[0]][3])
    test = cls(root, train=False, transform=lambda im: np.asarray(im).sum(),
               target_transform=lambda t: t + 100)
    assert len(test) == 3
    x, y = test[2]
    assert x == int(arrays[NAMES[2]][2].astype(np.int64).sum())
    assert y == int(arrays[NAMES[3]][2]) + 100
    assert test.class_to_idx[cls.classes[7]] == 7 and len(cls.classes) == 10
    assert "Split: Test" in repr(test)
    requests = len(server.requests)
    cls(root, download=True)  # present and verified: no request
    assert len(server.requests) == requests


def test_corrupted_download_is_a_clear_error_and_not_kept(server, monkeypatch, fmt, tmp_path):
    _, served = _mnist_files(fmt)
    _serve(server, monkeypatch, MNIST, served, fmt)
    bad = list(MNIST.resources)
    bad[0] = (bad[0][0], "0" * 32)
    monkeypatch.setattr(MNIST, "resources", bad)
    with pytest.raises(DownloadError, match="md5 mismatch") as e:
        MNIST(tmp_path, download=True)
    assert "place it by hand at" in str(e.value)
    assert not (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").exists()


def test_registry_entries_match_the_class_attributes():
    entries = {e["name"]: e for e in _registry.entries()}
    mnist = entries["mnist"]
    assert mnist["directory"] == "MNIST"
    paths = {f["path"]: f for f in mnist["files"]}
    f = paths["raw/train-images-idx3-ubyte.gz"]
    assert f["md5"] == "f68b3c2dcbeaaa9fbdd348bbdeb94873" and f["extract_to"] == "raw"
    assert f["urls"][0] == ("https://ossci-datasets.s3.amazonaws.com/mnist/"
                            "train-images-idx3-ubyte.gz")
    assert paths["raw/t10k-labels-idx1-ubyte.gz"]["splits"] == ("test",)
    assert entries["fashionmnist"]["directory"] == "FashionMNIST"
    assert dict(KMNIST.resources)["t10k-images-idx3-ubyte.gz"] == \
        "5c965bf0a639b31b8f53240b1b52f4d7"
    # every entry is accepted by the core registry's validation
    from ember.utils.download import RegistryEntry
    for e in entries.values():
        assert RegistryEntry(**e).kind == "dataset"


def test_emnist_download_unzips_every_split(server, monkeypatch, fmt, tmp_path):
    import io
    import zipfile

    rng = np.random.default_rng(3)
    imgs = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)
    labels = np.array([1, 26, 3, 7], np.uint8)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for split in ("letters", "digits"):
            for part in ("train", "test"):
                z.writestr(f"gzip/emnist-{split}-{part}-images-idx3-ubyte.gz",
                           fmt.gz(fmt.idx(imgs)))
                z.writestr(f"gzip/emnist-{split}-{part}-labels-idx1-ubyte.gz",
                           fmt.gz(fmt.idx(labels)))
    server.files["gzip.zip"] = buf.getvalue()
    monkeypatch.setattr(EMNIST, "url", server.url("gzip.zip"))
    monkeypatch.setattr(EMNIST, "md5", fmt.md5(buf.getvalue()))
    ds = EMNIST(tmp_path, split="letters", download=True)
    raw = tmp_path / "EMNIST" / "raw"
    assert (raw / "emnist-digits-test-labels-idx1-ubyte").is_file()
    assert not (raw / "gzip").exists()
    assert ds.classes == ["N/A"] + list(string.ascii_lowercase)
    assert ds[1][1] == 26 and ds.classes[26] == "z"
    np.testing.assert_array_equal(np.asarray(ds[2][0]), imgs[2])
    assert EMNIST(tmp_path, split="digits", train=False).classes == list(string.digits)
    (raw / "emnist-letters-train-images-idx3-ubyte").unlink()
    again = EMNIST(tmp_path, split="letters", download=True)  # restored from the kept zip
    np.testing.assert_array_equal(again.data.numpy(), imgs)
    assert server.count("gzip.zip") == 1 and not (raw / "gzip").exists()
    assert len(EMNIST.classes_split_dict["bymerge"]) == 47
    assert len(EMNIST.classes_split_dict["byclass"]) == 62
    with pytest.raises(ValueError, match="Unknown value 'nope' for argument split"):
        EMNIST(tmp_path, split="nope")


def test_qmnist_subsets_and_compat(server, monkeypatch, fmt, tmp_path):
    import lzma

    rng = np.random.default_rng(4)
    imgs = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 70000, (6, 8)).astype(np.int32)
    labels[:, 0] = [3, 1, 4, 1, 5, 9]
    files = {"qmnist-test-images-idx3-ubyte.gz": fmt.gz(fmt.idx(imgs)),
             "qmnist-test-labels-idx2-int.gz": fmt.gz(fmt.idx(labels)),
             "xnist-images-idx3-ubyte.xz": lzma.compress(fmt.idx(imgs)),
             "xnist-labels-idx2-int.xz": lzma.compress(fmt.idx(labels))}
    server.files.update(files)
    monkeypatch.setattr(QMNIST, "resources", {
        "test": [(server.url(n), fmt.md5(files[n])) for n in list(files)[:2]],
        "nist": [(server.url(n), fmt.md5(files[n])) for n in list(files)[2:]],
    })
    ds = QMNIST(tmp_path, train=False, download=True)
    assert (tmp_path / "QMNIST" / "raw" / "qmnist-test-labels-idx2-int").is_file()
    assert server.count("xnist-images-idx3-ubyte.xz") == 0  # only the asked-for subset
    assert [ds[i][1] for i in range(6)] == [3, 1, 4, 1, 5, 9]
    full = QMNIST(tmp_path, what="nist", compat=False, download=True)
    row = full[2][1]
    assert isinstance(row, ember.Tensor) and row.dtype == ember.int64
    np.testing.assert_array_equal(row.numpy(), labels[2].astype(np.int64))
    assert len(QMNIST(tmp_path, what="test50k")) == 0  # only 6 rows: all in the first 10k
    assert "Split: nist" in repr(full)
    with pytest.raises(ValueError, match="argument what"):
        QMNIST(tmp_path, what="val")


def test_download_true_restores_a_deleted_raw_file(server, monkeypatch, fmt, tmp_path):
    arrays, served = _mnist_files(fmt)
    _serve(server, monkeypatch, MNIST, served, fmt)
    MNIST(tmp_path, download=True)
    raw = tmp_path / "MNIST" / "raw" / NAMES[2]
    raw.unlink()
    with pytest.raises(RuntimeError, match="Dataset not found"):
        MNIST(tmp_path, train=False)
    ds = MNIST(tmp_path, train=False, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), arrays[NAMES[2]])
    assert server.count("m/" + NAMES[2] + ".gz") == 1  # from the kept .gz, not the network


def test_offline_mode_names_the_file_to_place(monkeypatch, tmp_path, isolated):
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    from ember.utils.download import OfflineError

    with pytest.raises(OfflineError, match="EMBER_OFFLINE") as e:
        FashionMNIST(tmp_path, download=True)
    assert str(tmp_path / "FashionMNIST" / "raw" / "train-images-idx3-ubyte.gz") in str(e.value)
