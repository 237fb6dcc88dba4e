"""PASCAL VOC 2007-2012: ``VOCSegmentation`` (palette PNG masks) and ``VOCDetection`` (XML).

Layout as torchvision: ``root/VOCdevkit/VOC<year>/{JPEGImages, Annotations, SegmentationClass,
ImageSets/{Main,Segmentation}/<image_set>.txt}`` (2011: under ``root/TrainVal``). Annotations
are parsed with ``xml.etree`` after refusing any DOCTYPE or ENTITY declaration (no entity
expansion attacks from a downloaded file).
"""

from __future__ import annotations

import collections
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import _registry
from .utils import _fetch, _not_found, verify_str_arg
from .vision import VisionDataset

__all__ = ["VOCSegmentation", "VOCDetection"]

DATASET_YEAR_DICT = {k: dict(v) for k, v in _registry.VOC.items()}

_UNSAFE_XML = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def parse_xml(path) -> ET.Element:
    """The root element of an XML file that declares no DOCTYPE or ENTITY.

    Raises:
        RuntimeError: the file declares a DOCTYPE or ENTITY, or is not well-formed XML.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if _UNSAFE_XML.search(raw):
        raise RuntimeError(f"{path}: refusing an XML file with a DOCTYPE or ENTITY declaration "
                           "(VOC annotations have none; entities can expand without bound)")
    try:
        return ET.fromstring(raw)
    except ET.ParseError as e:
        raise RuntimeError(f"{path}: malformed XML ({e})") from None


class _VOCBase(VisionDataset):
    _SPLITS_DIR: str
    _TARGET_DIR: str
    _TARGET_FILE_EXT: str

    def __init__(self, root: str | Path, year: str = "2012", image_set: str = "train",
                 download: bool = False, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 transforms: Callable | None = None) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.year = verify_str_arg(year, "year", [str(y) for y in range(2007, 2013)])
        valid = ["train", "trainval", "val"] + (["test"] if year == "2007" else [])
        self.image_set = verify_str_arg(image_set, "image_set", valid)
        key = "2007-test" if year == "2007" and image_set == "test" else year
        spec = DATASET_YEAR_DICT[key]
        self.url, self.filename, self.md5 = spec["urls"][0], spec["filename"], spec["md5"]
        voc_root = os.path.join(self.root, *spec["base_dir"].split("/"))
        if download and not os.path.isdir(voc_root):
            _fetch(_registry.voc_entry(key, spec), self.root, lambda: os.path.isdir(voc_root))
        if not os.path.isdir(voc_root):
            raise _not_found(voc_root, "Dataset not found or corrupted")
        split_file = os.path.join(voc_root, "ImageSets", self._SPLITS_DIR, f"{image_set}.txt")
        if not os.path.isfile(split_file):
            raise RuntimeError(f"VOC {year}: the split file {split_file} is missing")
        with open(split_file, encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
        self.images = [os.path.join(voc_root, "JPEGImages", n + ".jpg") for n in names]
        self.targets = [os.path.join(voc_root, self._TARGET_DIR, n + self._TARGET_FILE_EXT)
                        for n in names]

    def __len__(self) -> int:
        return len(self.images)

    def _image(self, index):
        from PIL import Image

        with Image.open(self.images[index]) as im:
            return im.convert("RGB")


class VOCSegmentation(_VOCBase):
    """PASCAL VOC segmentation: ``(RGB image, palette "P" mask)`` pairs (torchvision's class).

    Args:
        root (str or Path): directory holding ``VOCdevkit``.
        year (str): ``"2007"`` … ``"2012"``. Default: ``"2012"``.
        image_set (str): ``"train"``, ``"trainval"``, ``"val"`` (and ``"test"`` for 2007).
        download (bool): fetch and extract the year's archive when missing. Default: ``False``.
        transform, target_transform (callable, optional): applied to image / mask.
        transforms (callable, optional): applied to the pair.

    Raises:
        ValueError: unknown year or image_set.
        RuntimeError: the data is missing and ``download`` is False.

    Example:
        >>> VOCSegmentation("/no/such/dir")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        RuntimeError: Dataset not found or corrupted. You can use download=True to download it ...
    """

    _SPLITS_DIR = "Segmentation"
    _TARGET_DIR = "SegmentationClass"
    _TARGET_FILE_EXT = ".png"

    @property
    def masks(self) -> list[str]:
        return self.targets

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img = self._image(index)
        with Image.open(self.masks[index]) as im:
            im.load()
            target = im
        if self.transforms is not None:
            img, target = self.transforms(img, target)
        return img, target


class VOCDetection(_VOCBase):
    """PASCAL VOC detection: ``(RGB image, annotation dict)`` pairs (torchvision's class).

    The target is the XML annotation as nested dicts of strings (``parse_voc_xml``):
    ``{"annotation": {"filename": ..., "size": {...}, "object": [{"name": ..., "bndbox":
    {"xmin": ...}}, ...]}}`` with ``object`` always a list. Arguments as
    :class:`VOCSegmentation`.
    """

    _SPLITS_DIR = "Main"
    _TARGET_DIR = "Annotations"
    _TARGET_FILE_EXT = ".xml"

    @property
    def annotations(self) -> list[str]:
        return self.targets

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img = self._image(index)
        target = self.parse_voc_xml(parse_xml(self.annotations[index]))
        if self.transforms is not None:
            img, target = self.transforms(img, target)
        return img, target

    @staticmethod
    def parse_voc_xml(node: ET.Element) -> dict[str, Any]:
        """Nested dicts of an element: a leaf is its stripped text, a repeated tag a list.

        Example:
            >>> VOCDetection.parse_voc_xml(ET.fromstring(
            ...     "<annotation><object><name>cat</name></object></annotation>"))
            {'annotation': {'object': [{'name': 'cat'}]}}
        """
        children = list(node)
        if not children:
            return {node.tag: (node.text or "").strip()} if node.text else {}
        grouped = collections.defaultdict(list)
        for child in children:
            for tag, value in VOCDetection.parse_voc_xml(child).items():
                grouped[tag].append(value)
        if node.tag == "annotation":  # objects are a list even when there is one
            grouped["object"] = [grouped["object"]]
        return {node.tag: {tag: v[0] if len(v) == 1 else v for tag, v in grouped.items()}}
