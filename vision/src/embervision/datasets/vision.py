"""The base class of every embervision dataset and the (input, target) transform pair."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ember.utils.data import Dataset

__all__ = ["StandardTransform", "VisionDataset"]


def _indented(transform: Callable, head: str) -> list[str]:
    """``repr(transform)`` with ``head`` before its first line and the rest aligned under it."""
    lines = repr(transform).splitlines()
    return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]


class StandardTransform:
    """Apply ``transform`` to the input and ``target_transform`` to the target of a pair.

    Example:
        >>> StandardTransform(lambda x: x + 1, str)(1, 2)
        (2, '2')
    """

    def __init__(self, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input: Any, target: Any) -> tuple[Any, Any]:
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def __repr__(self) -> str:
        body = [type(self).__name__]
        if self.transform is not None:
            body += _indented(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += _indented(self.target_transform, "Target transform: ")
        return "\n".join(body)


class VisionDataset(Dataset):
    """Base class for datasets of images (torchvision's ``VisionDataset``).

    Subclasses implement ``__getitem__`` and ``__len__`` and apply ``self.transforms`` (a callable
    on ``(input, target)``) to each sample.

    Args:
        root (str or Path, optional): where the data lives; ``~`` is expanded. Shown in ``repr``.
        transforms (callable, optional): takes and returns an ``(input, target)`` pair.
        transform (callable, optional): applied to the input only.
        target_transform (callable, optional): applied to the target only.

    Raises:
        ValueError: ``transforms`` given together with ``transform`` or ``target_transform``.

    Example:
        >>> class Squares(VisionDataset):
        ...     def __getitem__(self, i):
        ...         return self.transforms(i, i * i) if self.transforms else (i, i * i)
        ...     def __len__(self):
        ...         return 3
        >>> Squares(transform=str)[2]
        ('2', 4)
    """

    _repr_indent = 4

    def __init__(self, root: str | Path | None = None, transforms: Callable | None = None,
                 transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        separate = transform is not None or target_transform is not None
        if transforms is not None and separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = StandardTransform(transform, target_transform) if separate else transforms

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def extra_repr(self) -> str:
        """Extra lines for ``repr`` (a split name, for instance); empty by default."""
        return ""

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body += repr(self.transforms).splitlines()
        pad = " " * self._repr_indent
        return "\n".join([f"Dataset {type(self).__name__}"] + [pad + line for line in body])
