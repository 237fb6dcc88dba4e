"""STL10 from a served tarball of raw binary files."""

from __future__ import annotations

import numpy as np
import pytest

from embervision.datasets import STL10


@pytest.fixture
def stl(server, monkeypatch, fmt, tmp_path):
    rng = np.random.default_rng(0)
    # images as (N, C, W, H) bytes: column-major planes, as the STL-10 files store them
    hwc = {k: rng.integers(0, 256, (n, 96, 96, 3), dtype=np.uint8)
           for k, n in (("train", 4), ("test", 2), ("unlabeled", 3))}

    def to_bin(imgs):  # (N, H, W, C) -> planes written column by column
        return np.ascontiguousarray(imgs.transpose(0, 3, 2, 1)).tobytes()

    files = {"train_X.bin": to_bin(hwc["train"]), "train_y.bin": bytes([1, 10, 3, 2]),
             "unlabeled_X.bin": to_bin(hwc["unlabeled"]), "test_X.bin": to_bin(hwc["test"]),
             "test_y.bin": bytes([5, 6]),
             "class_names.txt": "\n".join(["airplane", "bird", "car", "cat", "deer", "dog",
                                            "horse", "monkey", "ship", "truck"]).encode(),
             "fold_indices.txt": b"3 1\n0 2\n" + b"0\n" * 8}
    blob = fmt.tar({f"stl10_binary/{n}": b for n, b in files.items()})
    server.files["stl10_binary.tar.gz"] = blob
    monkeypatch.setattr(STL10, "url", server.url("stl10_binary.tar.gz"))
    monkeypatch.setattr(STL10, "tgz_md5", fmt.md5(blob))
    monkeypatch.setattr(STL10, "train_list", [[n, fmt.md5(files[n])] for n, _ in STL10.train_list])
    monkeypatch.setattr(STL10, "test_list", [[n, fmt.md5(files[n])] for n, _ in STL10.test_list])
    return tmp_path, hwc


def test_stl10_splits_pixels_and_folds(stl):
    root, hwc = stl
    train = STL10(root, download=True)
    assert (root / "stl10_binary" / "unlabeled_X.bin").is_file()
    assert train.data.shape == (4, 3, 96, 96) and train.labels.tolist() == [0, 9, 2, 1]
    img, label = train[1]
    assert img.mode == "RGB" and img.size == (96, 96) and label == 9
    np.testing.assert_array_equal(np.asarray(img), hwc["train"][1])
    assert train.classes[9] == "truck"
    fold = STL10(root, folds=0)
    assert fold.labels.tolist() == [1, 9]
    np.testing.assert_array_equal(np.asarray(fold[0][0]), hwc["train"][3])
    both = STL10(root, split="train+unlabeled")
    assert len(both) == 7 and both.labels.tolist()[-3:] == [-1, -1, -1]
    np.testing.assert_array_equal(np.asarray(both[6][0]), hwc["unlabeled"][2])
    assert STL10(root, split="test").labels.tolist() == [4, 5]
    assert "Split: unlabeled" in repr(STL10(root, split="unlabeled"))


def test_stl10_errors(stl, tmp_path):
    with pytest.raises(ValueError, match="argument split"):
        STL10(tmp_path, split="val")
    with pytest.raises(ValueError, match=r"range \[0, 10\), but got 10"):
        STL10(tmp_path, folds=10)
    with pytest.raises(ValueError, match="Expected type None or int for argument folds"):
        STL10(tmp_path, folds="1")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted") as e:
        STL10(tmp_path)
    assert "stl10_binary" in str(e.value)
