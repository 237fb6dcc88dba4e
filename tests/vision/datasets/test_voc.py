"""VOCSegmentation / VOCDetection from a served VOC tarball."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from embervision.datasets import VOCDetection, VOCSegmentation
from embervision.datasets import voc as voc_mod

XML = """<annotation>
  <folder>VOC2012</folder>
  <filename>{name}.jpg</filename>
  <size><width>8</width><height>6</height><depth>3</depth></size>
  {objects}
</annotation>"""
OBJ = ("<object><name>{cls}</name><difficult>0</difficult><bndbox><xmin>1</xmin><ymin>2</ymin>"
       "<xmax>5</xmax><ymax>{ymax}</ymax></bndbox></object>")


def _voc_tar(fmt, rng, base="VOCdevkit/VOC2012"):
    members, images, masks = {}, {}, {}
    for name, nobj in (("2008_000001", 1), ("2008_000002", 2), ("2008_000003", 0)):
        img = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="PNG")  # a PNG under .jpg keeps pixels exact
        members[f"{base}/JPEGImages/{name}.jpg"] = buf.getvalue()
        images[name] = img
        mask = rng.integers(0, 3, (6, 8), dtype=np.uint8)
        mask[0, 0] = 255  # the VOC "void" border label
        pim = Image.new("P", (8, 6))
        pim.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [224, 224, 192] * 253)
        pim.putdata(mask.ravel().tolist())
        buf = io.BytesIO()
        pim.save(buf, format="PNG")
        members[f"{base}/SegmentationClass/{name}.png"] = buf.getvalue()
        masks[name] = mask
        objs = "".join(OBJ.format(cls=c, ymax=4 + i) for i, c in enumerate(["cat", "dog"][:nobj]))
        members[f"{base}/Annotations/{name}.xml"] = XML.format(name=name,
                                                                objects=objs).encode()
    members[f"{base}/ImageSets/Segmentation/train.txt"] = b"2008_000001\n2008_000002\n"
    members[f"{base}/ImageSets/Segmentation/val.txt"] = b"2008_000003\n"
    members[f"{base}/ImageSets/Main/train.txt"] = b"2008_000001\n2008_000002\n2008_000003\n"
    return fmt.tar(members, mode="w"), images, masks


@pytest.fixture
def voc_root(server, monkeypatch, fmt, tmp_path):
    blob, images, masks = _voc_tar(fmt, np.random.default_rng(0))
    server.files["VOCtrainval_11-May-2012.tar"] = blob
    spec = {**voc_mod.DATASET_YEAR_DICT["2012"],
            "urls": [server.url("VOCtrainval_11-May-2012.tar")], "md5": fmt.md5(blob)}
    monkeypatch.setitem(voc_mod.DATASET_YEAR_DICT, "2012", spec)
    return tmp_path, images, masks


def test_segmentation_download_and_pairs(voc_root):
    root, images, masks = voc_root
    ds = VOCSegmentation(root, download=True)
    assert (root / "VOCtrainval_11-May-2012.tar").is_file()
    assert (root / "VOCdevkit" / "VOC2012" / "JPEGImages" / "2008_000003.jpg").is_file()
    assert len(ds) == 2 and ds.masks[1].endswith("2008_000002.png")
    img, mask = ds[1]
    assert img.mode == "RGB" and mask.mode == "P" and mask.size == (8, 6)
    np.testing.assert_array_equal(np.asarray(img), images["2008_000002"])
    np.testing.assert_array_equal(np.asarray(mask), masks["2008_000002"])
    val = VOCSegmentation(root, image_set="val",
                          transforms=lambda i, m: (np.asarray(i).shape, np.asarray(m).max()))
    assert val[0] == ((6, 8, 3), 255)


def test_detection_targets_are_nested_dicts(voc_root):
    root, images, _ = voc_root
    ds = VOCDetection(root, download=True)
    assert len(ds) == 3
    img, target = ds[1]
    ann = target["annotation"]
    assert ann["filename"] == "2008_000002.jpg" and ann["size"] == {"width": "8", "height": "6",
                                                                   "depth": "3"}
    assert [o["name"] for o in ann["object"]] == ["cat", "dog"]
    assert ann["object"][1]["bndbox"] == {"xmin": "1", "ymin": "2", "xmax": "5", "ymax": "5"}
    assert ds[0][1]["annotation"]["object"][0]["name"] == "cat"  # a single object: still a list
    assert ds[2][1]["annotation"]["object"] == []
    np.testing.assert_array_equal(np.asarray(img), images["2008_000002"])


def test_voc_errors(tmp_path, voc_root):
    with pytest.raises(ValueError, match="argument year"):
        VOCDetection(tmp_path, year="2013")
    with pytest.raises(ValueError, match="argument image_set"):
        VOCDetection(tmp_path, year="2012", image_set="test")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted") as e:
        VOCSegmentation(tmp_path / "empty")
    assert "VOC2012" in str(e.value)
    root, *_ = voc_root
    ds = VOCDetection(root, download=True)
    evil = ('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx">]><annotation>&x;</annotation>')
    with open(ds.annotations[0], "w") as f:
        f.write(evil)
    with pytest.raises(RuntimeError, match="DOCTYPE or ENTITY"):
        ds[0]
    with open(ds.annotations[0], "w") as f:
        f.write("<annotation><object>")
    with pytest.raises(RuntimeError, match="malformed XML"):
        ds[0]
