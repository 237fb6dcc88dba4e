"""OxfordIIITPet from two served tarballs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from embervision.datasets import OxfordIIITPet

LINES = {"trainval": ["Abyssinian_1 1 1 1", "american_bulldog_10 2 2 1",
                      "Abyssinian_2 1 1 1"],
         "test": ["yorkshire_terrier_9 37 2 25"]}


def _png(arr):
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def pet(server, monkeypatch, fmt, tmp_path):
    rng = np.random.default_rng(0)
    images, trimaps, anns = {}, {}, {}
    for split, lines in LINES.items():
        anns[f"annotations/{split}.txt"] = ("#Image CLASS-ID SPECIES BREED ID\n"
                                            + "\n".join(lines) + "\n").encode()
        for line in lines:
            name = line.split()[0]
            images[name] = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
            trimaps[name] = rng.integers(1, 4, (4, 6), dtype=np.uint8)
            anns[f"annotations/trimaps/{name}.png"] = _png(trimaps[name])
    img_tar = fmt.tar({f"images/{n}.jpg": _png(a) for n, a in images.items()})
    ann_tar = fmt.tar(anns)
    server.files.update({"images.tar.gz": img_tar, "annotations.tar.gz": ann_tar})
    monkeypatch.setattr(OxfordIIITPet, "_RESOURCES", (
        (server.url("images.tar.gz"), fmt.md5(img_tar)),
        (server.url("annotations.tar.gz"), fmt.md5(ann_tar))))
    return tmp_path, images, trimaps


def test_pet_download_and_target_types(pet):
    root, images, trimaps = pet
    ds = OxfordIIITPet(root, download=True)
    base = root / "oxford-iiit-pet"
    assert (base / "images.tar.gz").is_file() and (base / "images" / "Abyssinian_2.jpg").is_file()
    assert (base / "annotations" / "trimaps" / "Abyssinian_1.png").is_file()
    assert len(ds) == 3 and [ds[i][1] for i in range(3)] == [0, 1, 0]
    assert ds.classes == ["Abyssinian", "American Bulldog"]
    assert ds.class_to_idx["American Bulldog"] == 1 and ds.bin_classes == ["Cat", "Dog"]
    np.testing.assert_array_equal(np.asarray(ds[1][0]), images["american_bulldog_10"])
    both = OxfordIIITPet(root, target_types=["binary-category", "segmentation"])
    species, seg = both[1][1]
    assert species == 1 and seg.size == (6, 4)
    np.testing.assert_array_equal(np.asarray(seg), trimaps["american_bulldog_10"])
    none = OxfordIIITPet(root, split="test", target_types=[])
    assert none[0][1] is None and none.classes == ["Yorkshire Terrier"]


def test_pet_errors(tmp_path):
    with pytest.raises(ValueError, match="argument split"):
        OxfordIIITPet(tmp_path, split="train")
    with pytest.raises(ValueError, match="argument target_types"):
        OxfordIIITPet(tmp_path, target_types="mask")
    with pytest.raises(RuntimeError, match="Dataset not found") as e:
        OxfordIIITPet(tmp_path)
    assert "oxford-iiit-pet" in str(e.value)
