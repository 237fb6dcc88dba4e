"""SVHN: Street View House Numbers, cropped 32×32 digits from ``root/<split>_32x32.mat``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import _registry
from ._mat import loadmat
from .utils import _fetch, _not_found, check_integrity, verify_str_arg
from .vision import VisionDataset

__all__ = ["SVHN"]


class SVHN(VisionDataset):
    """The cropped-digits SVHN dataset (torchvision's ``SVHN``), read without scipy.

    The MAT-file holds ``X`` (32, 32, 3, N) uint8 and ``y`` (N, 1) with labels 1..10, where 10
    stands for the digit 0; labels are mapped to 0..9 as torchvision does.

    Args:
        root (str or Path): directory holding ``<split>_32x32.mat``.
        split (str): ``"train"``, ``"test"`` or ``"extra"``. Default: ``"train"``.
        transform, target_transform (callable, optional): applied to image / label.
        download (bool): fetch the file when it is missing or corrupt. Default: ``False``.

    Attributes:
        data (numpy.ndarray): uint8 (N, 3, 32, 32). labels (numpy.ndarray): int64 (N,).

    Raises:
        ValueError: unknown split.
        RuntimeError: the file is missing or corrupt and ``download`` is False.

    Example:
        >>> SVHN("/no/such/dir", split="test")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        RuntimeError: Dataset not found or corrupted. You can use download=True to download it ...
    """

    split_list = {k: list(v) for k, v in _registry.SVHN.items()}

    def __init__(self, root: str | Path, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", tuple(self.split_list))
        self.url, self.filename, self.file_md5 = self.split_list[split]
        if download:
            self.download()
        if not self._check_integrity():
            raise _not_found(os.path.join(self.root, self.filename),
                             "Dataset not found or corrupted")
        mat = loadmat(os.path.join(self.root, self.filename))
        x, y = mat.get("X"), mat.get("y")
        if not isinstance(x, np.ndarray) or x.ndim != 4 or x.shape[2] != 3 or \
                not isinstance(y, np.ndarray) or y.size != x.shape[3]:
            raise RuntimeError(f"{os.path.join(self.root, self.filename)}: expected X of shape "
                               "(32, 32, 3, N) and N labels y")
        labels = y.astype(np.int64).reshape(-1)
        labels[labels == 10] = 0
        self.labels = labels
        # (H, W, C, N) -> (N, C, H, W)
        self.data = np.ascontiguousarray(np.transpose(x, (3, 2, 0, 1)))

    def _check_integrity(self) -> bool:
        return check_integrity(os.path.join(self.root, self.filename), self.file_md5)

    def download(self) -> None:
        """Fetch this split's MAT-file unless it is present and intact."""
        if self._check_integrity():
            return
        _fetch(_registry.svhn_entry({self.split: (self.url, self.filename, self.file_md5)}),
               self.root)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img = Image.fromarray(np.transpose(self.data[index], (1, 2, 0)))
        target = int(self.labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
