"""torchvision and embervision read the same on-disk datasets identically (parity session).

The non-parity tests check every behaviour against the generated data itself; these confirm
that a root laid out by (or for) torchvision is read the same way by embervision and the other
way round (ImageNet's ``meta.bin`` included).
"""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch") if os.environ.get("EMBER_PARITY") else None

pytestmark = [pytest.mark.parity,
              pytest.mark.skipif(torch is None,
                                 reason="parity tests run in the parity session (EMBER_PARITY=1 "
                                        "with PyTorch installed)")]


@pytest.fixture
def tvd(torchvision):
    return torchvision.datasets


def _same(a, b):
    assert len(a) == len(b)
    for i in range(len(a)):
        (x, y), (u, v) = a[i], b[i]
        np.testing.assert_array_equal(np.asarray(x), np.asarray(u))
        if hasattr(y, "mode"):
            np.testing.assert_array_equal(np.asarray(y), np.asarray(v))
        else:
            assert y == v


def _img(path, rng, shape=(4, 5, 3)):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(path, format="PNG")


def test_mnist_and_cifar10(tvd, fmt, tmp_path):
    import embervision.datasets as evd

    rng = np.random.default_rng(0)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, arr in {"train-images-idx3-ubyte": rng.integers(0, 256, (4, 28, 28), np.uint8),
                      "train-labels-idx1-ubyte": rng.integers(0, 10, 4).astype(np.uint8),
                      "t10k-images-idx3-ubyte": rng.integers(0, 256, (2, 28, 28), np.uint8),
                      "t10k-labels-idx1-ubyte": rng.integers(0, 10, 2).astype(np.uint8)}.items():
        (raw / name).write_bytes(fmt.idx(arr))
    _same(tvd.MNIST(tmp_path), evd.MNIST(tmp_path))
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    files = {n: fmt.py2_pickle({"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8),
                                "labels": [int(v) for v in rng.integers(0, 10, 2)]})
             for n, _ in evd.CIFAR10.train_list + evd.CIFAR10.test_list}
    files["batches.meta"] = fmt.py2_pickle({"label_names": [f"c{i}" for i in range(10)]})
    for n, b in files.items():
        (folder / n).write_bytes(b)
    pairs = []
    for cls in (tvd.CIFAR10, evd.CIFAR10):
        patched = type("P", (cls,), {
            "train_list": [[n, fmt.md5(files[n])] for n, _ in cls.train_list],
            "test_list": [[n, fmt.md5(files[n])] for n, _ in cls.test_list],
            "meta": {**cls.meta, "md5": fmt.md5(files["batches.meta"])}})
        pairs.append(patched(tmp_path))
    a, b = pairs
    _same(a, b)
    assert a.classes == b.classes and a.targets == b.targets


def test_voc_pet_food(tvd, tmp_path):
    import embervision.datasets as evd

    rng = np.random.default_rng(1)
    voc = tmp_path / "VOCdevkit" / "VOC2012"
    xml = ("<annotation><filename>a.jpg</filename><size><width>4</width></size><object>"
           "<name>cat</name><bndbox><xmin>1</xmin></bndbox><part><name>head</name></part>"
           "</object><object><name>dog</name><empty></empty><blank> </blank></object>"
           "</annotation>")
    for n, x in (("a", xml), ("b", "<annotation><object><name>c</name></object></annotation>"),
                 ("c", "<annotation><filename>c</filename></annotation>")):
        _img(voc / "JPEGImages" / f"{n}.jpg", rng)
        (voc / "Annotations").mkdir(exist_ok=True)
        (voc / "Annotations" / f"{n}.xml").write_text(x)
        (voc / "SegmentationClass").mkdir(exist_ok=True)
        mask = Image.new("P", (5, 4))
        mask.putdata([int(v) for v in rng.integers(0, 21, 20)])
        mask.save(voc / "SegmentationClass" / f"{n}.png")
    for sub in ("Main", "Segmentation"):
        (voc / "ImageSets" / sub).mkdir(parents=True)
        (voc / "ImageSets" / sub / "train.txt").write_text("a\nb\nc\n")
    _same(tvd.VOCDetection(tmp_path), evd.VOCDetection(tmp_path))
    _same(tvd.VOCSegmentation(tmp_path), evd.VOCSegmentation(tmp_path))
    pet = tmp_path / "oxford-iiit-pet"
    lines = ["Abyssinian_1 1 1 1", "american_bulldog_10 2 2 1", "Abyssinian_2 1 1 1"]
    (pet / "annotations" / "trimaps").mkdir(parents=True)
    (pet / "annotations" / "trainval.txt").write_text("\n".join(lines) + "\n")
    for line in lines:
        name = line.split()[0]
        _img(pet / "images" / f"{name}.jpg", rng)
        _img(pet / "annotations" / "trimaps" / f"{name}.png", rng, (4, 5))
    kinds = ["category", "binary-category"]
    a, b = tvd.OxfordIIITPet(tmp_path, target_types=kinds), evd.OxfordIIITPet(
        tmp_path, target_types=kinds)
    _same(a, b)
    assert a.classes == b.classes
    food = tmp_path / "food-101"
    meta = {"waffles": ["waffles/1"], "apple_pie": ["apple_pie/2", "apple_pie/3"]}
    for paths in meta.values():
        for p in paths:
            _img(food / "images" / f"{p}.jpg", rng)
    (food / "meta").mkdir()
    (food / "meta" / "train.json").write_text(json.dumps(meta))
    a, b = tvd.Food101(tmp_path), evd.Food101(tmp_path)
    _same(a, b)
    assert a.classes == b.classes


def test_mat_datasets_and_imagenet_meta(tvd, fmt, tmp_path, monkeypatch):
    pytest.importorskip("scipy")  # torchvision reads .mat files with scipy
    import torchvision.datasets.imagenet as tvi

    import embervision.datasets as evd
    import embervision.datasets.imagenet as evi

    rng = np.random.default_rng(2)
    blob = fmt.mat({"X": rng.integers(0, 256, (32, 32, 3, 3), dtype=np.uint8),
                    "y": np.array([[10], [3], [1]], np.uint8)})
    (tmp_path / "test_32x32.mat").write_bytes(blob)
    for cls in (tvd.SVHN, evd.SVHN):
        monkeypatch.setitem(cls.split_list, "test", [cls.split_list["test"][0],
                                                     "test_32x32.mat", fmt.md5(blob)])
    _same(tvd.SVHN(tmp_path, "test"), evd.SVHN(tmp_path, "test"))
    png = io.BytesIO()
    Image.fromarray(np.full((3, 4, 3), 9, np.uint8)).save(png, format="PNG")
    synsets = [{"ILSVRC2012_ID": np.array([[float(i + 1)]]), "WNID": f"n0{i}",
                "words": f"w{i}, v{i}", "gloss": "g", "num_children": np.array([[0.0]])}
               for i in range(2)]
    devkit = fmt.tar({
        "ILSVRC2012_devkit_t12/data/meta.mat": fmt.mat({"synsets": synsets}),
        "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt": b"2\n1\n"})
    val = fmt.tar({f"ILSVRC2012_val_0000000{i}.JPEG": png.getvalue() for i in (1, 2)},
                  mode="w")
    roots = {}
    for tag, mod, cls in (("tv", tvi, tvd.ImageNet), ("ev", evi, evd.ImageNet)):
        root = tmp_path / tag
        root.mkdir()
        (root / "ILSVRC2012_devkit_t12.tar.gz").write_bytes(devkit)
        (root / "ILSVRC2012_img_val.tar").write_bytes(val)
        monkeypatch.setattr(mod, "ARCHIVE_META", {
            "devkit": ("ILSVRC2012_devkit_t12.tar.gz", fmt.md5(devkit)),
            "val": ("ILSVRC2012_img_val.tar", fmt.md5(val)), "train": ("x", "0" * 32)})
        roots[tag] = cls(root, split="val")
    assert roots["tv"].classes == roots["ev"].classes == [("w0", "v0"), ("w1", "v1")]
    # each library reads the other's prepared root (meta.bin written by torch.save / ember.save)
    a, b = tvd.ImageNet(tmp_path / "ev", split="val"), evd.ImageNet(tmp_path / "tv", split="val")
    assert a.targets == b.targets == [0, 1] and a.classes == b.classes
