"""CocoDetection / CocoCaptions and the COCO index, from a generated JSON file and images."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from embervision.datasets import CocoCaptions, CocoDetection
from embervision.datasets.coco import COCO


@pytest.fixture
def coco_files(tmp_path):
    rng = np.random.default_rng(0)
    images = {}
    for iid, name in ((42, "b.png"), (7, "a.png"), (9, "c.png")):
        arr = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
        Image.fromarray(arr).save(tmp_path / name)
        images[iid] = arr
    ann = {
        "images": [{"id": 42, "file_name": "b.png"}, {"id": 7, "file_name": "a.png"},
                   {"id": 9, "file_name": "c.png"}],
        "annotations": [
            {"id": 3, "image_id": 42, "category_id": 1, "bbox": [0, 0, 2, 2], "area": 4,
             "iscrowd": 0, "caption": "a dog"},
            {"id": 1, "image_id": 7, "category_id": 2, "bbox": [1, 1, 3, 3], "area": 9,
             "iscrowd": 1, "caption": "two cats"},
            {"id": 2, "image_id": 42, "category_id": 2, "bbox": [1, 0, 1, 1], "area": 1,
             "iscrowd": 0, "caption": "a dog and a cat"},
        ],
        "categories": [{"id": 1, "name": "dog", "supercategory": "animal"},
                       {"id": 2, "name": "cat", "supercategory": "animal"}],
    }
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(ann))
    return tmp_path, path, images


def test_detection_items_sorted_by_image_id(coco_files):
    root, ann, images = coco_files
    ds = CocoDetection(root, ann)
    assert ds.ids == [7, 9, 42] and len(ds) == 3
    img, target = ds[2]
    assert img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img), images[42])
    assert [t["id"] for t in target] == [3, 2]  # file order within the image
    assert ds[1][1] == []
    with pytest.raises(ValueError, match="Index must be of type integer"):
        ds[0.0]
    pair = CocoDetection(root, ann, transforms=lambda i, t: (i.size, len(t)))
    assert pair[0] == ((6, 5), 1)


def test_captions(coco_files):
    root, ann, _ = coco_files
    ds = CocoCaptions(root, ann, target_transform=lambda caps: "|".join(caps))
    assert ds[2][1] == "a dog|a dog and a cat" and ds[0][1] == "two cats"


def test_coco_index_lookups(coco_files):
    _, ann, _ = coco_files
    c = COCO(ann)
    assert c.getAnnIds(imgIds=42) == [3, 2] and c.getAnnIds(catIds=[2]) == [1, 2]
    assert c.getAnnIds(iscrowd=0) == [3, 2] and c.getAnnIds(areaRng=[2, 10]) == [3, 1]
    assert c.getCatIds(catNms=["cat"]) == [2] and c.getCatIds(supNms="animal") == [1, 2]
    assert sorted(c.getImgIds()) == [7, 9, 42]
    assert sorted(c.getImgIds(catIds=[2])) == [7, 42] and c.getImgIds(catIds=[1, 2]) == [42]
    assert c.getImgIds(imgIds=[7], catIds=[1]) == []
    assert c.loadImgs(9)[0]["file_name"] == "c.png" and c.loadCats([1])[0]["name"] == "dog"


def test_coco_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="COCO annotation file not found"):
        CocoDetection(tmp_path, tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(RuntimeError, match="expected a COCO annotation dict"):
        CocoDetection(tmp_path, bad)
    bad.write_text(json.dumps({"images": [{"file_name": "x.png"}]}))
    with pytest.raises(RuntimeError, match="lacks a required field"):
        CocoDetection(tmp_path, bad)
