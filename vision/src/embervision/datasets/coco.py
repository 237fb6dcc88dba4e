"""MS COCO ``CocoDetection`` / ``CocoCaptions`` from files the user places (no pycocotools).

The annotation JSON is indexed by a small ``COCO`` class with pycocotools' lookup methods
(``getAnnIds``, ``getCatIds``, ``getImgIds``, ``loadAnns``, ``loadCats``, ``loadImgs`` and the
``imgs`` / ``anns`` / ``cats`` / ``imgToAnns`` / ``catToImgs`` indices), so code written against
``dataset.coco`` keeps working.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .vision import VisionDataset

__all__ = ["CocoDetection", "CocoCaptions"]


def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple, set, range)) else [x]


class COCO:
    """An index over a COCO annotation file (pycocotools' ``COCO`` lookups, no evaluation).

    Args:
        annotation_file (str or Path, optional): the JSON file. Default: an empty index.

    Raises:
        RuntimeError: the JSON is not a dict with an ``images`` list whose entries have ``id``.

    Example:
        >>> import json, os, pathlib, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "a.json")
        >>> _ = pathlib.Path(p).write_text(json.dumps({"images": [{"id": 7, "file_name": "a.jpg"}],
        ...     "annotations": [{"id": 1, "image_id": 7, "category_id": 3, "iscrowd": 0}],
        ...     "categories": [{"id": 3, "name": "cat"}]}))
        >>> c = COCO(p)
        >>> c.getAnnIds(imgIds=7), c.loadCats(3)[0]["name"]
        ([1], 'cat')
    """

    def __init__(self, annotation_file: str | Path | None = None) -> None:
        self.dataset: dict = {}
        self.anns: dict = {}
        self.cats: dict = {}
        self.imgs: dict = {}
        self.imgToAnns: dict = defaultdict(list)
        self.catToImgs: dict = defaultdict(list)
        if annotation_file is not None:
            with open(annotation_file, encoding="utf-8") as f:
                dataset = json.load(f)
            if not isinstance(dataset, dict) or not isinstance(dataset.get("images", []), list):
                raise RuntimeError(f"{annotation_file}: expected a COCO annotation dict with an "
                                   f"'images' list, got {type(dataset).__name__}")
            self.dataset = dataset
            self.createIndex(str(annotation_file))

    def createIndex(self, where: str = "annotations") -> None:
        """Build the id -> record indices from ``self.dataset``."""
        try:
            for img in self.dataset.get("images", []):
                self.imgs[img["id"]] = img
            for ann in self.dataset.get("annotations", []):
                self.anns[ann["id"]] = ann
                self.imgToAnns[ann["image_id"]].append(ann)
            for cat in self.dataset.get("categories", []):
                self.cats[cat["id"]] = cat
            for ann in self.dataset.get("annotations", []):
                if "category_id" in ann:
                    self.catToImgs[ann["category_id"]].append(ann["image_id"])
        except (KeyError, TypeError) as e:
            raise RuntimeError(f"{where}: a COCO record lacks a required field ({e!r}); images "
                               "need 'id', annotations 'id' and 'image_id', categories 'id'")\
                from None

    def getAnnIds(self, imgIds=(), catIds=(), areaRng=(), iscrowd=None) -> list:
        """Ids of the annotations on ``imgIds`` with a category in ``catIds``, an area inside
        ``areaRng`` (open interval) and the given ``iscrowd`` (each filter off when empty)."""
        imgIds, catIds, areaRng = _as_list(imgIds), _as_list(catIds), _as_list(areaRng)
        if imgIds:
            anns = [a for i in imgIds for a in self.imgToAnns.get(i, [])]
        else:
            anns = list(self.dataset.get("annotations", []))
        if catIds:
            anns = [a for a in anns if a.get("category_id") in catIds]
        if areaRng:
            anns = [a for a in anns if areaRng[0] < a["area"] < areaRng[1]]
        if iscrowd is not None:
            anns = [a for a in anns if a.get("iscrowd") == iscrowd]
        return [a["id"] for a in anns]

    def getCatIds(self, catNms=(), supNms=(), catIds=()) -> list:
        """Ids of the categories named in ``catNms``, of supercategory in ``supNms`` and in
        ``catIds`` (each filter off when empty)."""
        catNms, supNms, catIds = _as_list(catNms), _as_list(supNms), _as_list(catIds)
        cats = list(self.dataset.get("categories", []))
        if catNms:
            cats = [c for c in cats if c.get("name") in catNms]
        if supNms:
            cats = [c for c in cats if c.get("supercategory") in supNms]
        if catIds:
            cats = [c for c in cats if c["id"] in catIds]
        return [c["id"] for c in cats]

    def getImgIds(self, imgIds=(), catIds=()) -> list:
        """Ids of the images in ``imgIds`` holding every category of ``catIds``."""
        imgIds, catIds = _as_list(imgIds), _as_list(catIds)
        if not imgIds and not catIds:
            return list(self.imgs)
        ids = set(imgIds)
        for i, cat in enumerate(catIds):
            having = set(self.catToImgs.get(cat, []))
            ids = having if i == 0 and not ids else ids & having
        return list(ids)

    def loadAnns(self, ids=()) -> list:
        return [self.anns[i] for i in _as_list(ids)]

    def loadCats(self, ids=()) -> list:
        return [self.cats[i] for i in _as_list(ids)]

    def loadImgs(self, ids=()) -> list:
        return [self.imgs[i] for i in _as_list(ids)]


class CocoDetection(VisionDataset):
    """MS COCO detection: ``(RGB image, list of annotation dicts)`` per image id, sorted.

    No download: place the images under ``root`` and pass the ``instances_*.json`` file.

    Args:
        root (str or Path): directory of the images (``file_name`` is relative to it).
        annFile (str or Path): the annotation JSON.
        transform, target_transform (callable, optional): applied to image / target.
        transforms (callable, optional): applied to the pair.

    Attributes:
        coco (COCO): the index. ids (list): the sorted image ids.

    Raises:
        FileNotFoundError: ``annFile`` does not exist.
        RuntimeError: the JSON is not a COCO annotation file.
        ValueError: a non-integer index.
    """

    def __init__(self, root: str | Path, annFile: str | Path,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None) -> None:
        super().__init__(root, transforms, transform, target_transform)
        if not os.path.isfile(annFile):
            raise FileNotFoundError(f"COCO annotation file not found: {os.path.abspath(annFile)}")
        self.coco = COCO(annFile)
        self.ids = sorted(self.coco.imgs.keys())

    def _load_image(self, id: int):
        from PIL import Image

        path = os.path.join(self.root, self.coco.loadImgs(id)[0]["file_name"])
        with Image.open(path) as im:
            return im.convert("RGB")

    def _load_target(self, id: int) -> list[Any]:
        return self.coco.loadAnns(self.coco.getAnnIds(id))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not isinstance(index, int):
            raise ValueError(f"Index must be of type integer, got {type(index)} instead.")
        id = self.ids[index]
        image, target = self._load_image(id), self._load_target(id)
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target

    def __len__(self) -> int:
        return len(self.ids)


class CocoCaptions(CocoDetection):
    """MS COCO captions: ``(RGB image, list of caption strings)``; as :class:`CocoDetection`."""

    def _load_target(self, id: int) -> list[str]:
        return [ann["caption"] for ann in super()._load_target(id)]
