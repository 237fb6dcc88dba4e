"""Flowers102 from a served image archive and MAT-files."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from embervision.datasets import Flowers102


def _png(arr):
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")  # PNG bytes under .jpg keep pixels exact
    return buf.getvalue()


def test_flowers102_download_splits_and_labels(server, monkeypatch, fmt, tmp_path):
    rng = np.random.default_rng(0)
    imgs = {i: rng.integers(0, 256, (4, 5, 3), dtype=np.uint8) for i in range(1, 7)}
    tgz = fmt.tar({f"jpg/image_{i:05d}.jpg": _png(a) for i, a in imgs.items()})
    labels = fmt.mat({"labels": np.array([[77, 1, 102, 5, 5, 2]], np.uint8)})
    setid = fmt.mat({"trnid": np.array([[2, 6]], np.uint16),
                     "valid": np.array([[1, 4]], np.uint16),
                     "tstid": np.array([[5, 3]], np.uint16)})
    server.files.update({"f/102flowers.tgz": tgz, "f/imagelabels.mat": labels,
                         "f/setid.mat": setid})
    monkeypatch.setattr(Flowers102, "_download_url_prefix", server.url("f/"))
    monkeypatch.setattr(Flowers102, "_file_dict", {
        "image": ("102flowers.tgz", fmt.md5(tgz)), "label": ("imagelabels.mat", fmt.md5(labels)),
        "setid": ("setid.mat", fmt.md5(setid))})
    ds = Flowers102(tmp_path, download=True)
    base = tmp_path / "flowers-102"
    assert (base / "jpg" / "image_00006.jpg").is_file() and (base / "setid.mat").is_file()
    assert (base / "102flowers.tgz").is_file()
    assert len(ds) == 2 and [ds[i][1] for i in range(2)] == [0, 1]
    np.testing.assert_array_equal(np.asarray(ds[1][0]), imgs[6])
    test = Flowers102(tmp_path, split="test")
    assert [test[i][1] for i in range(2)] == [4, 101]
    assert test.classes[101] == "blackberry lily" and len(test.classes) == 102
    assert test.class_to_idx["pink primrose"] == 0 and "split=test" in repr(test)
    val = Flowers102(tmp_path, split="val", loader=lambda p: p.name)
    assert val[1] == ("image_00004.jpg", 4)


def test_flowers102_errors(tmp_path):
    with pytest.raises(ValueError, match="argument split"):
        Flowers102(tmp_path, split="trainval")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted") as e:
        Flowers102(tmp_path)
    assert "flowers-102" in str(e.value)
