"""CIFAR10 and CIFAR100 from the "python version" batches (``root/cifar-10-batches-py``).

The batches are Python 2 pickles; they are read with a restricted unpickler that only rebuilds
dicts, lists, strings, numbers and numpy arrays (never ``pickle.load`` on a downloaded file).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import _registry
from ._safe_pickle import safe_load
from .utils import _fetch, _not_found, check_integrity
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(VisionDataset):
    """CIFAR-10: 60,000 32×32 colour images in 10 classes (torchvision's ``CIFAR10``).

    Reads ``root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}`` (each file's
    md5 checked); ``download=True`` fetches and extracts ``root/cifar-10-python.tar.gz``.
    Samples are ``(PIL RGB image, int label)``.

    Args:
        root (str or Path): directory holding ``cifar-10-batches-py``.
        train (bool): the 50k training images or the 10k test images. Default: ``True``.
        transform, target_transform (callable, optional): applied to image / label.
        download (bool): fetch the archive when files are missing. Default: ``False``.

    Attributes:
        data (numpy.ndarray): uint8 (N, 32, 32, 3), HWC. targets (list of int).
        classes (list of str), class_to_idx (dict).

    Raises:
        RuntimeError: files missing or corrupted and ``download`` is False.

    Example:
        >>> CIFAR10("/no/such/dir")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        RuntimeError: Dataset not found or corrupted. You can use download=True to download it ...
    """

    base_folder = "cifar-10-batches-py"
    url = _registry.CIFAR["CIFAR10"]["url"]
    filename = _registry.CIFAR["CIFAR10"]["filename"]
    tgz_md5 = _registry.CIFAR["CIFAR10"]["md5"]
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root: str | Path, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise _not_found(os.path.join(self.root, self.base_folder),
                             "Dataset not found or corrupted")
        data, targets = [], []
        for name, _ in (self.train_list if train else self.test_list):
            entry = self._load_pickle(name)
            batch = np.asarray(entry["data"], dtype=np.uint8)
            labels = entry["labels"] if "labels" in entry else entry["fine_labels"]
            if batch.ndim != 2 or batch.shape[1] != 3072 or len(labels) != len(batch):
                raise RuntimeError(f"{os.path.join(self.root, self.base_folder, name)}: "
                                   f"expected 'data' of shape (N, 3072) and N labels, got "
                                   f"{batch.shape} and {len(labels)} labels")
            data.append(batch)
            targets.extend(int(t) for t in labels)
        # rows are 3 planes of 32×32 (R, G, B), row-major: (N, 3, 32, 32) -> HWC
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.targets = targets
        self._load_meta()

    def _load_pickle(self, name):
        path = os.path.join(self.root, self.base_folder, name)
        entry = safe_load(path)
        if not isinstance(entry, dict):
            raise RuntimeError(f"{path}: expected a pickled dict, got {type(entry).__name__}")
        return entry

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not check_integrity(path, self.meta["md5"]):
            raise _not_found(path, "Dataset metadata file not found or corrupted")
        self.classes = list(self._load_pickle(self.meta["filename"])[self.meta["key"]])
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def _check_integrity(self) -> bool:
        return all(check_integrity(os.path.join(self.root, self.base_folder, name), md5)
                   for name, md5 in self.train_list + self.test_list)

    def _entry(self) -> dict:
        return _registry.cifar_entry(type(self).__name__, self.url, self.filename, self.tgz_md5)

    def download(self) -> None:
        """Fetch and extract the archive unless every batch is present and intact."""
        if self._check_integrity():
            return
        _fetch(self._entry(), self.root, self._check_integrity)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img, target = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: 100 fine classes (``root/cifar-100-python``); otherwise as :class:`CIFAR10`.

    ``targets`` are the fine labels and ``classes`` the ``fine_label_names``.
    """

    base_folder = "cifar-100-python"
    url = _registry.CIFAR["CIFAR100"]["url"]
    filename = _registry.CIFAR["CIFAR100"]["filename"]
    tgz_md5 = _registry.CIFAR["CIFAR100"]["md5"]
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
