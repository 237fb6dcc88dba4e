"""SVHN from a served MAT-file."""

from __future__ import annotations

import numpy as np
import pytest

from embervision.datasets import SVHN


def test_svhn_download_labels_and_pixels(server, monkeypatch, fmt, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (32, 32, 3, 4), dtype=np.uint8)
    y = np.array([[10], [1], [9], [10]], np.uint8)
    blob = fmt.mat({"X": x, "y": y})
    server.files["test_32x32.mat"] = blob
    monkeypatch.setattr(SVHN, "split_list", {**SVHN.split_list, "test": [
        server.url("test_32x32.mat"), "test_32x32.mat", fmt.md5(blob)]})
    ds = SVHN(tmp_path, split="test", download=True)
    assert (tmp_path / "test_32x32.mat").is_file()
    assert ds.labels.tolist() == [0, 1, 9, 0] and ds.labels.dtype == np.int64
    assert ds.data.shape == (4, 3, 32, 32)
    img, label = ds[2]
    assert img.mode == "RGB" and label == 9
    np.testing.assert_array_equal(np.asarray(img), x[:, :, :, 2])
    assert "Split: test" in repr(ds) and len(ds) == 4


def test_svhn_errors(tmp_path, fmt, monkeypatch):
    with pytest.raises(ValueError, match="argument split"):
        SVHN(tmp_path, split="val")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted") as e:
        SVHN(tmp_path)
    assert "train_32x32.mat" in str(e.value)
    blob = fmt.mat({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.zeros((3, 1), np.uint8)})
    (tmp_path / "train_32x32.mat").write_bytes(blob)
    monkeypatch.setattr(SVHN, "split_list", {**SVHN.split_list, "train": [
        "https://x.invalid/train_32x32.mat", "train_32x32.mat", fmt.md5(blob)]})
    with pytest.raises(RuntimeError, match="expected X of shape"):
        SVHN(tmp_path)
