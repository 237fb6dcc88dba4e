"""Food-101: ``root/food-101/{images/<class>/<id>.jpg, meta/{train,test}.json}``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import _registry
from .folder import default_loader
from .utils import _fetch, _not_found, verify_str_arg
from .vision import VisionDataset

__all__ = ["Food101"]


class Food101(VisionDataset):
    """The Food-101 dataset: 101 classes, 750 train and 250 test images each (torchvision's).

    ``meta/<split>.json`` maps each class to its ``"<class>/<id>"`` image paths; classes are
    its sorted keys.

    Args:
        root (str or Path): directory holding ``food-101``.
        split (str): ``"train"`` or ``"test"``. Default: ``"train"``.
        transform, target_transform (callable, optional): applied to image / label.
        download (bool): fetch and extract ``food-101.tar.gz`` (5 GB). Default: ``False``.
        loader (callable): reads an image path. Default: Pillow, RGB.

    Raises:
        ValueError: unknown split.
        RuntimeError: the data is missing and ``download`` is False, or the JSON is malformed.
    """

    _URL = _registry.FOOD101["url"]
    _MD5 = _registry.FOOD101["md5"]

    def __init__(self, root: str | Path, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[str | Path], Any] = default_loader,
                 ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "test"))
        self._base_folder = Path(self.root) / "food-101"
        self._meta_folder = self._base_folder / "meta"
        self._images_folder = self._base_folder / "images"
        if download:
            self._download()
        if not self._check_exists():
            raise _not_found(self._base_folder)
        meta_file = self._meta_folder / f"{split}.json"
        with open(meta_file, encoding="utf-8") as f:
            metadata = json.load(f)
        if not isinstance(metadata, dict) or not all(isinstance(v, list)
                                                     for v in metadata.values()):
            raise RuntimeError(f"{meta_file}: expected a dict of class -> list of image paths")
        self.classes = sorted(metadata)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self._labels, self._image_files = [], []
        for name, paths in metadata.items():
            self._labels += [self.class_to_idx[name]] * len(paths)
            self._image_files += [self._images_folder.joinpath(*f"{p}.jpg".split("/"))
                                  for p in paths]
        self.loader = loader

    def __len__(self) -> int:
        return len(self._image_files)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        image, label = self.loader(self._image_files[idx]), self._labels[idx]
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label

    def extra_repr(self) -> str:
        return f"split={self._split}"

    def _check_exists(self) -> bool:
        return self._meta_folder.is_dir() and self._images_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        _fetch(_registry.food101_entry(self._URL, "food-101.tar.gz", self._MD5), self.root,
               self._check_exists)
