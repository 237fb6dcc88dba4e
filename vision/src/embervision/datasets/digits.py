"""``Digits``: the real 8×8 handwritten digits bundled with embervision (no download)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

import numpy as np

import ember

from .vision import VisionDataset

__all__ = ["Digits"]

# The 1,797 digits of UCI "Optical Recognition of Handwritten Digits" (test part, CC BY 4.0),
# as in examples/data/README.md; pixel values are counts 0..16 of set bits in 4×4 blocks.
_FILE = "digits.npz"
_N_TRAIN = 1437  # the first 1,437 images train, the last 360 are the test split


class Digits(VisionDataset):
    """The 8×8 handwritten digits of the UCI repository, as 8×8 grey PIL images.

    Pixel counts 0..16 are scaled to 0..255 (``round(v * 255 / 16)``), so
    ``transforms.ToTensor()`` gives 1×8×8 float images in [0, 1]. The first 1,437 images form
    the training split and the last 360 the test split.

    Args:
        root (str, optional): unused (the data ships with the package); kept for the common
            dataset signature.
        train (bool): the training split (True, default) or the test split.
        transform, target_transform (callable, optional): applied to image / label.

    Attributes:
        data (Tensor): uint8, (N, 8, 8). targets (Tensor): int64, (N,).
        classes (list): ``"0 - zero"`` … ``"9 - nine"`` (as MNIST). class_to_idx (dict).

    Example:
        >>> ds = Digits(train=False)
        >>> len(ds), ds[0][0].size, ds[0][0].mode, ds.targets.dtype
        (360, (8, 8), 'L', ember.int64)
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | None = None, train: bool = True,
                 transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        with resources.files(__package__).joinpath("_data", _FILE).open("rb") as f, \
                np.load(f) as z:
            images, target = z["images"], z["target"]
        part = slice(None, _N_TRAIN) if train else slice(_N_TRAIN, None)
        scaled = np.rint(images[part].astype(np.float64) * (255.0 / 16.0)).astype(np.uint8)
        self.data = ember.from_numpy(scaled)
        self.targets = ember.from_numpy(target[part].astype(np.int64))

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img = Image.fromarray(self.data[index].numpy(), mode="L")
        target = int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"
