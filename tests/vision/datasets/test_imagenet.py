"""ImageNet from placed archives: devkit meta.mat + ground truth, per-class train tars, val."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from embervision.datasets import ImageNet
from embervision.datasets import imagenet as imagenet_mod

SYNSETS = [  # two leaves (num_children 0) and one inner node that must be dropped
    {"ILSVRC2012_ID": np.array([[1.0]]), "WNID": "n01440764", "words": "tench, Tinca tinca",
     "num_children": np.array([[0.0]])},
    {"ILSVRC2012_ID": np.array([[2.0]]), "WNID": "n01443537",
     "words": "goldfish, Carassius auratus", "num_children": np.array([[0.0]])},
    {"ILSVRC2012_ID": np.array([[1001.0]]), "WNID": "n00001740", "words": "entity",
     "num_children": np.array([[2.0]])},
]


def _png(seed):
    buf = io.BytesIO()
    Image.fromarray(np.full((3, 4, 3), seed, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def archives(tmp_path, fmt, monkeypatch):
    devkit = fmt.tar({
        "ILSVRC2012_devkit_t12/data/meta.mat": fmt.mat({"synsets": SYNSETS}),
        "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt": b"2\n1\n2\n",
    })
    train = fmt.tar({
        "n01440764.tar": fmt.tar({"n01440764_1.JPEG": _png(10), "n01440764_2.JPEG": _png(11)},
                                 mode="w"),
        "n01443537.tar": fmt.tar({"n01443537_7.JPEG": _png(20)}, mode="w"),
    }, mode="w")
    val = fmt.tar({f"ILSVRC2012_val_0000000{i}.JPEG": _png(30 + i) for i in (1, 2, 3)},
                  mode="w")
    blobs = {"devkit": ("ILSVRC2012_devkit_t12.tar.gz", devkit),
             "train": ("ILSVRC2012_img_train.tar", train),
             "val": ("ILSVRC2012_img_val.tar", val)}
    for name, blob in blobs.values():
        (tmp_path / name).write_bytes(blob)
    monkeypatch.setattr(imagenet_mod, "ARCHIVE_META",
                        {k: (n, fmt.md5(b)) for k, (n, b) in blobs.items()})
    return tmp_path


def test_imagenet_train_and_val_layout(archives):
    train = ImageNet(archives)
    assert (archives / "meta.bin").is_file()
    assert (archives / "train" / "n01443537" / "n01443537_7.JPEG").is_file()
    assert not (archives / "train" / "n01440764.tar").exists()
    assert train.wnids == ["n01440764", "n01443537"]
    assert train.classes == [("tench", "Tinca tinca"), ("goldfish", "Carassius auratus")]
    assert train.class_to_idx["Carassius auratus"] == 1 and train.class_to_idx["tench"] == 0
    assert train.targets == [0, 0, 1] and len(train) == 3
    assert np.asarray(train[2][0])[0, 0, 0] == 20
    val = ImageNet(archives, split="val")
    # images sorted by name get ground truth 2, 1, 2 -> goldfish, tench, goldfish
    assert (archives / "val" / "n01443537" / "ILSVRC2012_val_00000003.JPEG").is_file()
    assert [s[0].rsplit("/", 1)[1] for s in val.samples] == [
        "ILSVRC2012_val_00000002.JPEG", "ILSVRC2012_val_00000001.JPEG",
        "ILSVRC2012_val_00000003.JPEG"]
    assert val.targets == [0, 1, 1] and "Split: val" in repr(val)
    # meta.bin is a (wnid -> names, val wnids) pair loadable with weights_only
    wnid_to_classes, val_wnids = imagenet_mod.load_meta_file(archives)
    assert val_wnids == ["n01443537", "n01440764", "n01443537"]
    assert set(wnid_to_classes) == {"n01440764", "n01443537"}


def test_imagenet_missing_or_corrupt_archive(tmp_path, archives):
    with pytest.raises(RuntimeError, match="ILSVRC2012_devkit_t12.tar.gz is missing") as e:
        ImageNet(tmp_path / "nothing")
    assert "place it in" in str(e.value)
    (archives / "ILSVRC2012_img_val.tar").write_bytes(b"junk")
    with pytest.raises(RuntimeError, match="ILSVRC2012_img_val.tar has the wrong md5"):
        ImageNet(archives, split="val")
    assert not (archives / "val").exists()
    with pytest.raises(ValueError, match="argument split"):
        ImageNet(archives, split="test")
