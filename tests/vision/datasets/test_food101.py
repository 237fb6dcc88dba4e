"""Food101 from a served tarball."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from embervision.datasets import Food101


def test_food101_download_classes_and_items(server, monkeypatch, fmt, tmp_path):
    rng = np.random.default_rng(0)
    meta = {"train": {"waffles": ["waffles/11", "waffles/12"], "apple_pie": ["apple_pie/3"]},
            "test": {"waffles": ["waffles/13"], "apple_pie": []}}
    members, pixels = {}, {}
    for split in meta.values():
        for paths in split.values():
            for p in paths:
                arr = rng.integers(0, 256, (3, 4, 3), dtype=np.uint8)
                buf = io.BytesIO()
                Image.fromarray(arr).save(buf, format="PNG")
                members[f"food-101/images/{p}.jpg"] = buf.getvalue()
                pixels[p] = arr
    for split, m in meta.items():
        members[f"food-101/meta/{split}.json"] = json.dumps(m).encode()
    blob = fmt.tar(members)
    server.files["food-101.tar.gz"] = blob
    monkeypatch.setattr(Food101, "_URL", server.url("food-101.tar.gz"))
    monkeypatch.setattr(Food101, "_MD5", fmt.md5(blob))
    ds = Food101(tmp_path, download=True)
    assert (tmp_path / "food-101.tar.gz").is_file()
    assert (tmp_path / "food-101" / "images" / "apple_pie" / "3.jpg").is_file()
    assert ds.classes == ["apple_pie", "waffles"] and ds.class_to_idx["waffles"] == 1
    assert len(ds) == 3 and [ds[i][1] for i in range(3)] == [1, 1, 0]
    np.testing.assert_array_equal(np.asarray(ds[2][0]), pixels["apple_pie/3"])
    test = Food101(tmp_path, split="test", target_transform=str)
    assert len(test) == 1 and test[0][1] == "1" and "split=test" in repr(test)


def test_food101_errors(tmp_path):
    with pytest.raises(ValueError, match="argument split"):
        Food101(tmp_path, split="val")
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True"):
        Food101(tmp_path)
