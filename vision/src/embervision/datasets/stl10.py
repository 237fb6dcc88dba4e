"""STL-10: 96×96 colour images, 5,000 labelled for training, 8,000 for testing and 100,000
unlabelled (``root/stl10_binary/*.bin``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import _registry
from .utils import _fetch, _not_found, check_integrity, verify_str_arg
from .vision import VisionDataset

__all__ = ["STL10"]

_IMAGE_BYTES = 3 * 96 * 96


class STL10(VisionDataset):
    """The STL-10 dataset (torchvision's ``STL10``).

    ``*_X.bin`` hold uint8 images as 3 colour planes of 96×96 stored column-major (so each
    plane is transposed to rows × columns); ``*_y.bin`` hold 1-based labels, returned 0-based.
    Unlabelled images get the label ``-1``.

    Args:
        root (str or Path): directory holding ``stl10_binary``.
        split (str): ``"train"``, ``"train+unlabeled"``, ``"unlabeled"`` or ``"test"``.
            Default: ``"train"``.
        folds (int, optional): one of the 10 predefined training folds (0..9) of
            ``fold_indices.txt``, for the training splits. Default: ``None`` (all).
        transform, target_transform (callable, optional): applied to image / label.
        download (bool): fetch and extract ``stl10_binary.tar.gz``. Default: ``False``.

    Attributes:
        data (numpy.ndarray): uint8 (N, 3, 96, 96). labels (numpy.ndarray): int64 (N,).
        classes (list of str): from ``class_names.txt`` when present.

    Raises:
        ValueError: unknown split or a fold outside 0..9.
        RuntimeError: files missing or corrupted and ``download`` is False.
    """

    base_folder = "stl10_binary"
    url = _registry.STL10["url"]
    filename = _registry.STL10["filename"]
    tgz_md5 = _registry.STL10["md5"]
    class_names_file = "class_names.txt"
    folds_list_file = "fold_indices.txt"
    train_list = [["train_X.bin", "918c2871b30a85fa023e0c44e0bee87f"],
                  ["train_y.bin", "5a34089d4802c674881badbb80307741"],
                  ["unlabeled_X.bin", "5242ba1fed5e4be9e1e742405eb56ca4"]]
    test_list = [["test_X.bin", "7f263ba9f9e0b06b93213547f721ac82"],
                 ["test_y.bin", "36f9794fa4beb8a2c72628de14fa638e"]]
    splits = ("train", "train+unlabeled", "unlabeled", "test")

    def __init__(self, root: str | Path, split: str = "train", folds: int | None = None,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", self.splits)
        self.folds = self._verify_folds(folds)
        if download:
            self.download()
        if not self._check_integrity():
            raise _not_found(os.path.join(self.root, self.base_folder),
                             "Dataset not found or corrupted")
        if self.split in ("train", "train+unlabeled"):
            self.data, self.labels = self._loadfile(self.train_list[0][0], self.train_list[1][0])
            self._load_folds(folds)
            if self.split == "train+unlabeled":
                unlabeled, _ = self._loadfile(self.train_list[2][0])
                self.data = np.concatenate((self.data, unlabeled))
                self.labels = np.concatenate((self.labels,
                                              np.full(len(unlabeled), -1, np.int64)))
        elif self.split == "unlabeled":
            self.data, _ = self._loadfile(self.train_list[2][0])
            self.labels = np.full(len(self.data), -1, np.int64)
        else:
            self.data, self.labels = self._loadfile(self.test_list[0][0], self.test_list[1][0])
        class_file = os.path.join(self.root, self.base_folder, self.class_names_file)
        if os.path.isfile(class_file):
            with open(class_file, encoding="utf-8") as f:
                self.classes = f.read().splitlines()

    @staticmethod
    def _verify_folds(folds):
        if folds is None:
            return None
        if isinstance(folds, int) and not isinstance(folds, bool):
            if 0 <= folds < 10:
                return folds
            raise ValueError(f"Value for argument folds should be in the range [0, 10), but "
                             f"got {folds}.")
        raise ValueError(f"Expected type None or int for argument folds, but got type "
                         f"{type(folds)}.")

    def _loadfile(self, data_file, labels_file=None):
        folder = os.path.join(self.root, self.base_folder)
        labels = None
        if labels_file is not None:
            labels = np.fromfile(os.path.join(folder, labels_file), np.uint8).astype(np.int64) - 1
        raw = np.fromfile(os.path.join(folder, data_file), np.uint8)
        if raw.size % _IMAGE_BYTES:
            raise RuntimeError(f"{os.path.join(folder, data_file)}: {raw.size} bytes is not a "
                               f"whole number of 3x96x96 images")
        # column-major planes: swap the last two axes to get (N, C, H, W)
        images = raw.reshape(-1, 3, 96, 96).transpose(0, 1, 3, 2)
        if labels is not None and len(labels) != len(images):
            raise RuntimeError(f"{labels_file} has {len(labels)} labels for {len(images)} "
                               f"images in {data_file}")
        return images, labels

    def _load_folds(self, folds):
        if folds is None:
            return
        path = os.path.join(self.root, self.base_folder, self.folds_list_file)
        with open(path, encoding="utf-8") as f:
            line = f.read().splitlines()[folds]
        idx = np.array(line.split(), dtype=np.int64)
        self.data, self.labels = self.data[idx], self.labels[idx]

    def _check_integrity(self) -> bool:
        return all(check_integrity(os.path.join(self.root, self.base_folder, name), md5)
                   for name, md5 in self.train_list + self.test_list)

    def download(self) -> None:
        """Fetch and extract the archive unless every file is present and intact."""
        if self._check_integrity():
            return
        _fetch(_registry.stl10_entry(self.url, self.filename, self.tgz_md5), self.root,
               self._check_integrity)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img = Image.fromarray(np.ascontiguousarray(np.transpose(self.data[index], (1, 2, 0))))
        target = int(self.labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return self.data.shape[0]

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
