"""Datasets laid out as one folder per class: ``DatasetFolder`` and ``ImageFolder``.

``root/<class>/**/<file>``; classes are the sorted names of the sub-folders of ``root``. Unlike
torchvision, hidden folders (``.ipynb_checkpoints``, ``.git`` …) are never classes and are not
searched for samples.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .vision import VisionDataset

__all__ = ["IMG_EXTENSIONS", "DatasetFolder", "ImageFolder", "default_loader",
           "find_classes", "has_file_allowed_extension", "is_image_file", "make_dataset",
           "pil_loader"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename: str, extensions: str | tuple[str, ...]) -> bool:
    """True if ``filename`` ends (case-insensitively) with one of ``extensions``.

    Example:
        >>> has_file_allowed_extension("a/B.PNG", (".png", ".jpg"))
        True
    """
    return filename.lower().endswith(extensions if isinstance(extensions, str)
                                     else tuple(extensions))


def is_image_file(filename: str) -> bool:
    """True if ``filename`` has one of :data:`IMG_EXTENSIONS`."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory: str | Path) -> tuple[list[str], dict[str, int]]:
    """The sorted non-hidden sub-folder names of ``directory`` and their indices.

    Raises:
        FileNotFoundError: ``directory`` has no class folder.

    Example:
        >>> import tempfile, os
        >>> d = tempfile.mkdtemp()
        >>> for name in ("dog", "cat", ".ipynb_checkpoints"):
        ...     os.mkdir(os.path.join(d, name))
        >>> find_classes(d)
        (['cat', 'dog'], {'cat': 0, 'dog': 1})
    """
    classes = sorted(entry.name for entry in os.scandir(directory)
                     if entry.is_dir() and not entry.name.startswith("."))
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory: str | Path, class_to_idx: dict[str, int] | None = None,
                 extensions: str | tuple[str, ...] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> list[tuple[str, int]]:
    """``(path, class_index)`` for every valid file under ``directory/<class>``, sorted.

    Exactly one of ``extensions`` and ``is_valid_file`` selects the files. Symbolic links to
    folders are followed; hidden folders are skipped.

    Raises:
        ValueError: ``class_to_idx`` is empty, or both/neither of ``extensions`` and
            ``is_valid_file`` are given.
        FileNotFoundError: a class has no valid file and ``allow_empty`` is False.
    """
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    if extensions is not None:
        def is_valid_file(path: str) -> bool:
            return has_file_allowed_extension(path, extensions)

    instances, found = [], set()
    for target_class in sorted(class_to_idx):
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, fnames in _walk_visible(target_dir):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_to_idx[target_class]))
                    found.add(target_class)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            shown = extensions if isinstance(extensions, str) else ", ".join(extensions)
            msg += f"Supported extensions are: {shown}"
        raise FileNotFoundError(msg)
    return instances


def _walk_visible(top: str) -> list[tuple[str, list[str]]]:
    """``(folder, file names)`` under ``top`` sorted by folder, hidden folders left out."""
    found = []
    for root, dirs, fnames in os.walk(top, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # NOTE: prunes the walk in place
        found.append((root, fnames))
    return sorted(found)


def pil_loader(path: str | Path):
    """Open ``path`` with Pillow and convert it to RGB (the file is closed afterwards)."""
    from PIL import Image

    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def default_loader(path: str | Path):
    """The loader ``ImageFolder`` uses: :func:`pil_loader`."""
    return pil_loader(path)


class DatasetFolder(VisionDataset):
    """Samples stored as ``root/<class>/**/<file>``, read by ``loader``.

    Args:
        root (str or Path): the root folder.
        loader (callable): reads one sample from its path.
        extensions (tuple of str, optional): file name endings to accept (lower case).
        transform, target_transform (callable, optional): applied to sample / class index.
        is_valid_file (callable, optional): accepts a path; instead of ``extensions``.
        allow_empty (bool): accept class folders without any valid file. Default: False.

    Attributes:
        classes (list): class names, sorted. class_to_idx (dict): name → index.
        samples (list): ``(path, class_index)`` pairs. targets (list): the class indices.

    Raises:
        FileNotFoundError: no class folder, or a class without files (unless ``allow_empty``).
    """

    def __init__(self, root: str | Path, loader: Callable[[str], Any],
                 extensions: tuple[str, ...] | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, class_to_idx, extensions=extensions,
                                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.targets = [s[1] for s in self.samples]

    @staticmethod
    def make_dataset(directory: str | Path, class_to_idx: dict[str, int],
                     extensions: tuple[str, ...] | None = None,
                     is_valid_file: Callable[[str], bool] | None = None,
                     allow_empty: bool = False) -> list[tuple[str, int]]:
        """Override to list samples differently; see :func:`make_dataset`."""
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions=extensions,
                            is_valid_file=is_valid_file, allow_empty=allow_empty)

    def find_classes(self, directory: str | Path) -> tuple[list[str], dict[str, int]]:
        """Override to choose classes differently; see :func:`find_classes`."""
        return find_classes(directory)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self) -> int:
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images stored as ``root/<class>/**/<image>`` (a :class:`DatasetFolder` of images).

    Args:
        root (str or Path): the root folder.
        transform, target_transform (callable, optional): applied to image / class index.
        loader (callable): reads an image; default :func:`default_loader` (Pillow, RGB).
        is_valid_file (callable, optional): accepts a path; default: :data:`IMG_EXTENSIONS`.
        allow_empty (bool): accept class folders without images. Default: False.

    Attributes:
        classes, class_to_idx, samples, targets as :class:`DatasetFolder`; ``imgs`` = samples.
    """

    def __init__(self, root: str | Path, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = default_loader,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
