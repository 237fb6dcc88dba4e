"""ImageNet 2012 classification from the archives the user places in ``root`` (no download).

``ILSVRC2012_devkit_t12.tar.gz`` gives the classes (``data/meta.mat``, read by ``_mat``) and the
validation labels; its digest is written to ``root/meta.bin`` (``ember.save``, readable by
``torch.load``). ``ILSVRC2012_img_train.tar`` (one tar per class) is unpacked to
``root/train/<wnid>/`` and ``ILSVRC2012_img_val.tar`` sorted into ``root/val/<wnid>/``, the
layout torchvision builds. Each archive's md5 is checked once (remembered in
``<archive>.verified``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ._mat import loadmat
from .folder import ImageFolder
from .utils import check_integrity, extract_archive, verify_str_arg

__all__ = ["ImageNet"]

ARCHIVE_META = {
    "train": ("ILSVRC2012_img_train.tar", "1d675b47d978889d74fa0da5fadfb00e"),
    "val": ("ILSVRC2012_img_val.tar", "29b22e2961454d5413ddabcf34fc5622"),
    "devkit": ("ILSVRC2012_devkit_t12.tar.gz", "fa75699e90414af021442c21a62c3abf"),
}
META_FILE = "meta.bin"


class ImageNet(ImageFolder):
    """ImageNet 2012 classification (torchvision's ``ImageNet``): an ImageFolder over
    ``root/<split>`` whose classes are tuples of names.

    Place ``ILSVRC2012_devkit_t12.tar.gz`` and ``ILSVRC2012_img_train.tar`` and/or
    ``ILSVRC2012_img_val.tar`` in ``root`` (they cannot be downloaded without an ImageNet
    account); the first use unpacks the split.

    Args:
        root (str or Path): directory holding the archives.
        split (str): ``"train"`` or ``"val"``. Default: ``"train"``.
        **kwargs: passed to :class:`ImageFolder` (transform, target_transform, loader, ...).

    Attributes:
        classes (list of tuple of str): the names of each class. class_to_idx (dict): every
        name -> class index. wnids (list of str), wnid_to_idx (dict), samples, imgs, targets.

    Raises:
        ValueError: unknown split.
        RuntimeError: an archive is missing or its md5 differs (the message says where to put
            it), or the devkit is malformed.
    """

    def __init__(self, root: str | Path, split: str = "train", **kwargs: Any) -> None:
        root = self.root = os.path.expanduser(os.fspath(root))
        self.split = verify_str_arg(split, "split", ("train", "val"))
        self.parse_archives()
        wnid_to_classes = load_meta_file(self.root)[0]
        super().__init__(self.split_folder, **kwargs)
        self.root = root
        self.wnids = self.classes
        self.wnid_to_idx = self.class_to_idx
        self.classes = [wnid_to_classes[wnid] for wnid in self.wnids]
        self.class_to_idx = {name: idx for idx, names in enumerate(self.classes)
                             for name in names}

    def parse_archives(self) -> None:
        """Build ``meta.bin`` and the split folder from the archives when they are missing."""
        if not os.path.isfile(os.path.join(self.root, META_FILE)):
            parse_devkit_archive(self.root)
        if not os.path.isdir(self.split_folder):
            if self.split == "train":
                parse_train_archive(self.root)
            else:
                parse_val_archive(self.root)

    @property
    def split_folder(self) -> str:
        return os.path.join(self.root, self.split)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"


def load_meta_file(root, file: str | None = None) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """``(wnid -> class names, wnid of each validation image)`` from ``root/meta.bin``.

    Raises:
        RuntimeError: the file is missing.
    """
    import ember

    path = os.path.join(root, META_FILE if file is None else file)
    if not os.path.isfile(path):
        raise RuntimeError(f"The meta file {path} is not present in the root directory or is "
                           "corrupted. This file is automatically created by the ImageNet "
                           "dataset.")
    return ember.load(path, weights_only=True)


def _verify_archive(root, file, md5):
    path = os.path.join(root, file)
    if not check_integrity(path, md5):
        state = "has the wrong md5" if os.path.isfile(path) else "is missing"
        raise RuntimeError(f"The archive {file} {state}: expected {path} with md5 {md5}. "
                           "ImageNet cannot be downloaded automatically; get it from "
                           f"https://image-net.org/ and place it in {os.path.abspath(root)}.")


def _leaf_synsets(meta_mat):
    synsets = loadmat(meta_mat, squeeze_me=True).get("synsets")
    if synsets is None:
        raise RuntimeError(f"{meta_mat}: no 'synsets' variable")
    synsets = [synsets] if isinstance(synsets, dict) else list(np.asarray(synsets).ravel())
    try:
        leaves = [s for s in synsets if int(s["num_children"]) == 0]
        idx_to_wnid = {int(s["ILSVRC2012_ID"]): str(s["WNID"]) for s in leaves}
        wnid_to_classes = {str(s["WNID"]): tuple(str(s["words"]).split(", ")) for s in leaves}
    except (KeyError, TypeError) as e:
        raise RuntimeError(f"{meta_mat}: synsets lack a field ({e!r}); expected "
                           "ILSVRC2012_ID, WNID, words and num_children") from None
    return idx_to_wnid, wnid_to_classes


def parse_devkit_archive(root, file: str | None = None) -> None:
    """Read the devkit's ``data/meta.mat`` and validation ground truth into ``root/meta.bin``.

    Args:
        root (str): directory holding the devkit archive.
        file (str, optional): its name. Default: ``ILSVRC2012_devkit_t12.tar.gz``.
    """
    import ember

    name, md5 = ARCHIVE_META["devkit"]
    file = name if file is None else file
    _verify_archive(root, file, md5)
    tmp = tempfile.mkdtemp()
    try:
        extract_archive(os.path.join(root, file), tmp)
        devkit = os.path.join(tmp, "ILSVRC2012_devkit_t12", "data")
        idx_to_wnid, wnid_to_classes = _leaf_synsets(os.path.join(devkit, "meta.mat"))
        truth = os.path.join(devkit, "ILSVRC2012_validation_ground_truth.txt")
        with open(truth, encoding="utf-8") as f:
            val_idcs = [int(line) for line in f if line.strip()]
        unknown = sorted(set(val_idcs) - set(idx_to_wnid))
        if unknown:
            raise RuntimeError(f"{truth}: class ids {unknown[:5]} are not leaf synsets of "
                               "meta.mat")
        val_wnids = [idx_to_wnid[i] for i in val_idcs]
        ember.save((wnid_to_classes, val_wnids), os.path.join(root, META_FILE))
    finally:
        shutil.rmtree(tmp)


def parse_train_archive(root, file: str | None = None, folder: str = "train") -> None:
    """Unpack the train archive (one tar per class) into ``root/<folder>/<wnid>/``."""
    name, md5 = ARCHIVE_META["train"]
    file = name if file is None else file
    _verify_archive(root, file, md5)
    # NOTE: built under <folder>.partial and renamed at the end, so an interrupted unpack is
    # redone instead of leaving a half-filled split that looks complete
    train_root = _fresh(os.path.join(root, folder + ".partial"))
    extract_archive(os.path.join(root, file), train_root)
    for archive in sorted(os.listdir(train_root)):
        path = os.path.join(train_root, archive)
        extract_archive(path, os.path.splitext(path)[0], remove_finished=True)
    os.replace(train_root, os.path.join(root, folder))


def _fresh(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path


def parse_val_archive(root, file: str | None = None, wnids: list[str] | None = None,
                      folder: str = "val") -> None:
    """Unpack the validation archive and move image ``i`` (sorted by name) into
    ``root/<folder>/<wnids[i]>/``; ``wnids`` defaults to the ones in ``meta.bin``."""
    name, md5 = ARCHIVE_META["val"]
    file = name if file is None else file
    if wnids is None:
        wnids = load_meta_file(root)[1]
    _verify_archive(root, file, md5)
    val_root = _fresh(os.path.join(root, folder + ".partial"))
    extract_archive(os.path.join(root, file), val_root)
    images = sorted(os.path.join(val_root, f) for f in os.listdir(val_root))
    if len(images) != len(wnids):
        raise RuntimeError(f"{file} holds {len(images)} images but the devkit labels "
                           f"{len(wnids)}")
    for wnid in set(wnids):
        os.makedirs(os.path.join(val_root, wnid), exist_ok=True)
    for wnid, img in zip(wnids, images, strict=True):
        os.replace(img, os.path.join(val_root, wnid, os.path.basename(img)))
    os.replace(val_root, os.path.join(root, folder))
