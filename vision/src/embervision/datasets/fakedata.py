"""``FakeData``: random images with random labels, reproducible per index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember

from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random PIL images; item ``i`` is the same on every call and in every process.

    Each item draws ``randn(*image_size)`` and a label from its own generator seeded with
    ``i + random_offset`` (ember's global RNG is not touched), then converts the image with
    ``ToPILImage``. The pixel values differ from torchvision's (other random number stream).

    Args:
        size (int): number of images. Default: 1000.
        image_size (tuple): (C, H, W). Default: (3, 224, 224).
        num_classes (int): labels are drawn from ``range(num_classes)``. Default: 10.
        transform, target_transform (callable, optional): applied to image / label.
        random_offset (int): added to the index to form the seed. Default: 0.

    Raises:
        IndexError: index outside ``[0, size)``.
    """

    def __init__(self, size: int = 1000, image_size: tuple[int, int, int] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not -self.size <= index < self.size:
            raise IndexError(f"{type(self).__name__} index out of range: {index} for size "
                             f"{self.size}")
        index %= self.size
        from ..transforms import functional as F

        g = ember.Generator().manual_seed(index + self.random_offset)
        img = ember.randn(*self.image_size, generator=g)
        target = int(ember.randint(0, self.num_classes, (1,), generator=g)[0])
        img = F.to_pil_image(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return self.size
