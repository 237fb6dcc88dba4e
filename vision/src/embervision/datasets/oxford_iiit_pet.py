"""Oxford-IIIT Pet: ``root/oxford-iiit-pet/{images/<id>.jpg, annotations/{trainval,test}.txt,
annotations/trimaps/<id>.png}``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import _registry
from .utils import _fetch, _not_found, verify_str_arg
from .vision import VisionDataset

__all__ = ["OxfordIIITPet"]


class OxfordIIITPet(VisionDataset):
    """The Oxford-IIIT Pet dataset: 37 cat and dog breeds (torchvision's ``OxfordIIITPet``).

    Each line of ``annotations/<split>.txt`` is ``<image id> <class 1..37> <species 1=cat
    2=dog> <breed id>``; labels are returned 0-based. Class names come from the image ids
    (``american_bulldog_12`` -> ``American Bulldog``), ordered by label.

    Args:
        root (str or Path): directory holding ``oxford-iiit-pet``.
        split (str): ``"trainval"`` or ``"test"``. Default: ``"trainval"``.
        target_types (str or sequence of str): ``"category"`` (breed, 0..36),
            ``"binary-category"`` (0 cat, 1 dog) and/or ``"segmentation"`` (the trimap PIL
            image); several give a tuple, none gives ``None``. Default: ``"category"``.
        transforms (callable, optional): applied to the pair.
        transform, target_transform (callable, optional): applied to image / target.
        download (bool): fetch and extract both archives. Default: ``False``.

    Raises:
        ValueError: unknown split or target type.
        RuntimeError: the data is missing and ``download`` is False, or a malformed line.
    """

    _RESOURCES = tuple(_registry.OXFORD_IIIT_PET)
    _VALID_TARGET_TYPES = ("category", "binary-category", "segmentation")

    def __init__(self, root: str | Path, split: str = "trainval",
                 target_types: Sequence[str] | str = "category",
                 transforms: Callable | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        self._split = verify_str_arg(split, "split", ("trainval", "test"))
        if isinstance(target_types, str):
            target_types = [target_types]
        self._target_types = [verify_str_arg(t, "target_types", self._VALID_TARGET_TYPES)
                              for t in target_types]
        super().__init__(root, transforms=transforms, transform=transform,
                         target_transform=target_transform)
        self._base_folder = Path(self.root) / "oxford-iiit-pet"
        self._images_folder = self._base_folder / "images"
        self._anns_folder = self._base_folder / "annotations"
        self._segs_folder = self._anns_folder / "trimaps"
        if download:
            self._download()
        if not self._check_exists():
            raise _not_found(self._base_folder)
        image_ids, self._labels, self._bin_labels = [], [], []
        split_file = self._anns_folder / f"{self._split}.txt"
        with open(split_file, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.split()
                if len(parts) != 4:
                    raise RuntimeError(f"{split_file}:{lineno}: expected '<id> <class> "
                                       f"<species> <breed>', got {line.strip()!r}")
                image_ids.append(parts[0])
                self._labels.append(int(parts[1]) - 1)
                self._bin_labels.append(int(parts[2]) - 1)
        self.bin_classes = ["Cat", "Dog"]
        breeds = sorted({(i.rsplit("_", 1)[0], label)
                         for i, label in zip(image_ids, self._labels, strict=True)},
                        key=lambda pair: pair[1])
        self.classes = [" ".join(part.title() for part in raw.split("_")) for raw, _ in breeds]
        self.bin_class_to_idx = {name: i for i, name in enumerate(self.bin_classes)}
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self._images = [self._images_folder / f"{i}.jpg" for i in image_ids]
        self._segs = [self._segs_folder / f"{i}.png" for i in image_ids]

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        from PIL import Image

        with Image.open(self._images[idx]) as im:
            image = im.convert("RGB")
        target: Any = []
        for kind in self._target_types:
            if kind == "category":
                target.append(self._labels[idx])
            elif kind == "binary-category":
                target.append(self._bin_labels[idx])
            else:
                with Image.open(self._segs[idx]) as im:
                    im.load()
                    target.append(im)
        target = None if not target else target[0] if len(target) == 1 else tuple(target)
        if self.transforms:
            image, target = self.transforms(image, target)
        return image, target

    def _check_exists(self) -> bool:
        return self._images_folder.is_dir() and self._anns_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        _fetch(_registry.oxford_iiit_pet_entry(self._RESOURCES), self.root, self._check_exists)
