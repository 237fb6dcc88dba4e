"""Oxford 102 Flowers: ``root/flowers-102/{jpg/image_%05d.jpg, imagelabels.mat, setid.mat}``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import _registry
from ._mat import loadmat
from .folder import default_loader
from .utils import _fetch, _not_found, check_integrity, verify_str_arg
from .vision import VisionDataset

__all__ = ["Flowers102"]


class Flowers102(VisionDataset):
    """The Oxford 102 Flower dataset (torchvision's ``Flowers102``), read without scipy.

    ``setid.mat`` lists the 1-based image ids of each split (``trnid``, ``valid``, ``tstid``)
    and ``imagelabels.mat`` the 1-based class of every image; labels are returned 0-based.

    Args:
        root (str or Path): directory holding ``flowers-102``.
        split (str): ``"train"``, ``"val"`` or ``"test"``. Default: ``"train"``.
        transform, target_transform (callable, optional): applied to image / label.
        download (bool): fetch the archive and the two MAT-files. Default: ``False``.
        loader (callable): reads an image path. Default: Pillow, RGB.

    Raises:
        ValueError: unknown split.
        RuntimeError: files missing or corrupted and ``download`` is False.

    Example:
        >>> Flowers102("/no/such/dir")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        RuntimeError: Dataset not found or corrupted. You can use download=True to download it ...
    """

    _download_url_prefix = _registry.FLOWERS102["prefix"]
    _file_dict = dict(_registry.FLOWERS102["files"])
    _splits_map = {"train": "trnid", "val": "valid", "test": "tstid"}

    def __init__(self, root: str | Path, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[str | Path], Any] = default_loader,
                 ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        self._base_folder = Path(self.root) / "flowers-102"
        self._images_folder = self._base_folder / "jpg"
        if download:
            self.download()
        if not self._check_integrity():
            raise _not_found(self._base_folder, "Dataset not found or corrupted")
        set_ids = loadmat(self._base_folder / self._file_dict["setid"][0])
        labels = loadmat(self._base_folder / self._file_dict["label"][0])["labels"]
        image_ids = np.asarray(set_ids[self._splits_map[self._split]]).reshape(-1)
        labels = np.asarray(labels).reshape(-1).astype(np.int64) - 1
        if image_ids.size and (image_ids.min() < 1 or image_ids.max() > labels.size):
            raise RuntimeError(f"{self._base_folder}: setid.mat names image ids outside "
                               f"1..{labels.size} (the number of labels)")
        self._labels = [int(labels[i - 1]) for i in image_ids.tolist()]
        self._image_files = [self._images_folder / f"image_{int(i):05d}.jpg"
                             for i in image_ids.tolist()]
        self.loader = loader
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

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

    def _check_integrity(self) -> bool:
        if not self._images_folder.is_dir():
            return False
        return all(check_integrity(str(self._base_folder / self._file_dict[k][0]),
                                   self._file_dict[k][1]) for k in ("label", "setid"))

    def download(self) -> None:
        """Fetch and extract the images and fetch the label and split files."""
        if self._check_integrity():
            return
        entry = _registry.flowers102_entry(self._download_url_prefix, self._file_dict)
        _fetch(entry, self.root, self._check_integrity)

    classes = ["pink primrose", "hard-leaved pocket orchid", "canterbury bells", "sweet pea",
               "english marigold", "tiger lily", "moon orchid", "bird of paradise",
               "monkshood", "globe thistle", "snapdragon", "colt's foot", "king protea",
               "spear thistle", "yellow iris", "globe-flower", "purple coneflower",
               "peruvian lily", "balloon flower", "giant white arum lily", "fire lily",
               "pincushion flower", "fritillary", "red ginger", "grape hyacinth", "corn poppy",
               "prince of wales feathers", "stemless gentian", "artichoke", "sweet william",
               "carnation", "garden phlox", "love in the mist", "mexican aster",
               "alpine sea holly", "ruby-lipped cattleya", "cape flower", "great masterwort",
               "siam tulip", "lenten rose", "barbeton daisy", "daffodil", "sword lily",
               "poinsettia", "bolero deep blue", "wallflower", "marigold", "buttercup",
               "oxeye daisy", "common dandelion", "petunia", "wild pansy", "primula",
               "sunflower", "pelargonium", "bishop of llandaff", "gaura", "geranium",
               "orange dahlia", "pink-yellow dahlia?", "cautleya spicata", "japanese anemone",
               "black-eyed susan", "silverbush", "californian poppy", "osteospermum",
               "spring crocus", "bearded iris", "windflower", "tree poppy", "gazania",
               "azalea", "water lily", "rose", "thorn apple", "morning glory",
               "passion flower", "lotus", "toad lily", "anthurium", "frangipani", "clematis",
               "hibiscus", "columbine", "desert-rose", "tree mallow", "magnolia", "cyclamen",
               "watercress", "canna lily", "hippeastrum", "bee balm", "ball moss", "foxglove",
               "bougainvillea", "camellia", "mallow", "mexican petunia", "bromelia",
               "blanket flower", "trumpet creeper", "blackberry lily"]
