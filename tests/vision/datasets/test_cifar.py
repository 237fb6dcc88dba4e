"""CIFAR10/100 from Python 2 pickle batches in a served tarball; the restricted unpickler."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from embervision.datasets import CIFAR10, CIFAR100
from embervision.datasets._safe_pickle import safe_load


def _cifar10(fmt, rng, per_batch=3):
    files, data, labels = {}, {}, {}
    for name in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
                 "data_batch_5", "test_batch"]:
        data[name] = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels[name] = [int(v) for v in rng.integers(0, 10, per_batch)]
        files[name] = fmt.py2_pickle({"batch_label": name, "labels": labels[name],
                                      "data": data[name], "filenames": ["a.png"] * per_batch})
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
             "truck"]
    files["batches.meta"] = fmt.py2_pickle({"label_names": names, "num_vis": 3072,
                                            "num_cases_per_batch": per_batch})
    return files, data, labels, names


def _patch(monkeypatch, cls, fmt, files, server, archive_name):
    tgz = fmt.tar({f"{cls.base_folder}/{n}": b for n, b in files.items()})
    server.files[archive_name] = tgz
    monkeypatch.setattr(cls, "url", server.url(archive_name))
    monkeypatch.setattr(cls, "tgz_md5", fmt.md5(tgz))
    monkeypatch.setattr(cls, "train_list", [[n, fmt.md5(files[n])] for n, _ in cls.train_list])
    monkeypatch.setattr(cls, "test_list", [[n, fmt.md5(files[n])] for n, _ in cls.test_list])
    monkeypatch.setattr(cls, "meta", {**cls.meta, "md5": fmt.md5(files[cls.meta["filename"]])})


def test_cifar10_download_layout_and_pixels(server, monkeypatch, fmt, tmp_path):
    rng = np.random.default_rng(0)
    files, data, labels, names = _cifar10(fmt, rng)
    _patch(monkeypatch, CIFAR10, fmt, files, server, "cifar-10-python.tar.gz")
    ds = CIFAR10(tmp_path, download=True)
    assert (tmp_path / "cifar-10-python.tar.gz").is_file()
    assert (tmp_path / "cifar-10-batches-py" / "data_batch_5").is_file()
    assert ds.data.shape == (15, 32, 32, 3) and ds.data.dtype == np.uint8
    assert ds.targets == sum((labels[f"data_batch_{i}"] for i in range(1, 6)), [])
    assert ds.classes == names and ds.class_to_idx["truck"] == 9
    # row 4 = batch 2, row 1; CHW planes -> HWC pixel (y, x) = (plane[y*32+x] for R, G, B)
    row = data["data_batch_2"][1]
    img, label = ds[4]
    assert img.mode == "RGB" and img.size == (32, 32) and label == labels["data_batch_2"][1]
    px = np.asarray(img)
    for y, x in [(0, 0), (5, 17), (31, 31)]:
        assert tuple(px[y, x]) == tuple(int(row[c * 1024 + y * 32 + x]) for c in range(3))
    test = CIFAR10(tmp_path, train=False, target_transform=lambda t: -t)
    assert len(test) == 3 and test[0][1] == -labels["test_batch"][0]
    assert "Split: Test" in repr(test)
    n = len(server.requests)
    CIFAR10(tmp_path, download=True)
    assert len(server.requests) == n  # every batch verified: nothing fetched


def test_cifar100_fine_labels(server, monkeypatch, fmt, tmp_path):
    rng = np.random.default_rng(1)
    fine = [f"class{i}" for i in range(100)]
    files = {}
    for name, n in (("train", 4), ("test", 2)):
        files[name] = fmt.py2_pickle({"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                                      "fine_labels": [99, 0, 5, 42][:n],
                                      "coarse_labels": [1, 2, 3, 4][:n]})
    files["meta"] = fmt.py2_pickle({"fine_label_names": fine,
                                    "coarse_label_names": [f"c{i}" for i in range(20)]})
    _patch(monkeypatch, CIFAR100, fmt, files, server, "cifar-100-python.tar.gz")
    ds = CIFAR100(tmp_path, download=True)
    assert (tmp_path / "cifar-100-python" / "meta").is_file()
    assert ds.targets == [99, 0, 5, 42] and ds.classes[99] == "class99"
    assert len(CIFAR100(tmp_path, train=False)) == 2


def test_cifar_missing_and_corrupted(monkeypatch, fmt, tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted. You can use "
                                           "download=True") as e:
        CIFAR10(tmp_path)
    assert os.path.join(str(tmp_path), "cifar-10-batches-py") in str(e.value)
    files, *_ = _cifar10(fmt, np.random.default_rng(2))
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for n, b in files.items():
        (folder / n).write_bytes(b)
    monkeypatch.setattr(CIFAR10, "train_list", [[n, fmt.md5(files[n])]
                                                for n, _ in CIFAR10.train_list])
    monkeypatch.setattr(CIFAR10, "test_list", [[n, fmt.md5(files[n])]
                                               for n, _ in CIFAR10.test_list])
    with pytest.raises(RuntimeError, match="metadata file not found or corrupted"):
        CIFAR10(tmp_path)  # batches.meta has the real md5 recorded: ours differs
    (folder / "data_batch_3").write_bytes(files["data_batch_3"][:-5])
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        CIFAR10(tmp_path)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_safe_load_refuses_code_and_object_arrays(tmp_path, fmt):
    p = tmp_path / "evil"
    p.write_bytes(pickle.dumps({"data": _Evil()}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        safe_load(p)
    p.write_bytes(pickle.dumps(np.array([1, "a"], dtype=object), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="object dtype"):
        safe_load(p)
    # Python 3 protocol-2 pickles (bytes via _codecs.encode) load too
    arr = np.arange(6, dtype=np.int16).reshape(2, 3)
    p.write_bytes(pickle.dumps({"x": arr, "b": b"\x00\xff", "l": [1.5, "s"]}, protocol=2))
    got = safe_load(p)
    np.testing.assert_array_equal(got["x"], arr)
    assert got["b"] == b"\x00\xff" and got["l"] == [1.5, "s"]
    p.write_bytes(fmt.py2_pickle({"data": np.arange(4, dtype=np.uint8)}))
    np.testing.assert_array_equal(safe_load(p)["data"], np.arange(4))


def test_download_true_repairs_a_damaged_batch_without_refetching(server, monkeypatch, fmt,
                                                                  tmp_path):
    files, *_ = _cifar10(fmt, np.random.default_rng(3))
    _patch(monkeypatch, CIFAR10, fmt, files, server, "cifar-10-python.tar.gz")
    CIFAR10(tmp_path, download=True)
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_2"
    batch.write_bytes(b"garbage")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        CIFAR10(tmp_path)
    assert len(CIFAR10(tmp_path, download=True)) == 15  # re-extracted from the verified archive
    assert batch.read_bytes() == files["data_batch_2"]
    assert server.count("cifar-10-python.tar.gz") == 1
