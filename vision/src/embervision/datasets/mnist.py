"""MNIST and its relatives (FashionMNIST, KMNIST, EMNIST, QMNIST), read from IDX files.

Files are laid out as torchvision does: ``root/<ClassName>/raw/<file>`` (decompressed beside the
downloaded ``.gz``). Downloads go through ``ember.utils.download`` (mirrors tried in order,
checksums verified before a file appears, resumable).
"""

from __future__ import annotations

import os
import shutil
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import ember

from . import _registry
from .utils import _fetch, _not_found, check_integrity, extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST", "QMNIST"]

# IDX type byte -> big-endian numpy dtype (Yann LeCun's format description)
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX ("SN3 Pascal Vincent") file into a native-endian numpy array.

    Layout: a 4-byte magic ``0, 0, type, ndim``, ``ndim`` big-endian uint32 sizes, then the
    values in big-endian row-major order. ``type`` is 0x08 uint8, 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32 or 0x0E float64.

    Raises:
        RuntimeError: bad magic, unknown type, or a file shorter or longer than its header says.

    Example:
        >>> import os, pathlib, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "x")
        >>> _ = pathlib.Path(p).write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
        >>> read_idx(p)
        array([7, 8, 9], dtype=uint8)
    """
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise RuntimeError(f"{path} is not an IDX file: its magic bytes are {raw[:4]!r}, "
                           "expected 0x00 0x00 <type> <ndim>")
    ty, nd = raw[2], raw[3]
    if ty not in _IDX_TYPES or not 1 <= nd <= 4:
        raise RuntimeError(f"{path}: unsupported IDX type 0x{ty:02X} or ndim {nd} (types "
                           f"{', '.join(f'0x{t:02X}' for t in _IDX_TYPES)}; ndim 1..4)")
    header = 4 + 4 * nd
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", nd, 4))
    dtype = np.dtype(_IDX_TYPES[ty])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise RuntimeError(f"{path} holds {len(raw)} bytes but its IDX header (shape {shape}, "
                           f"{dtype.name}) needs {expected}; the file is truncated or corrupt")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _read_checked(path, ndim):
    x = read_idx(path)
    if x.dtype != np.uint8:
        raise RuntimeError(f"{path}: expected uint8 IDX data, got {x.dtype}")
    if x.ndim != ndim:
        raise RuntimeError(f"{path}: expected {ndim} dimension(s), got shape {x.shape}")
    return x


def read_image_file(path: str | Path) -> ember.Tensor:
    """The uint8 (N, H, W) images of an IDX file, as an ember tensor."""
    return ember.from_numpy(_read_checked(path, 3))


def read_label_file(path: str | Path) -> ember.Tensor:
    """The labels of an IDX file, as an int64 ember tensor of shape (N,)."""
    return ember.from_numpy(_read_checked(path, 1).astype(np.int64))


class MNIST(VisionDataset):
    """The MNIST handwritten digits (torchvision's ``MNIST``).

    Reads ``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``; ``download=True``
    fetches the gzip files from ``mirrors`` (first working one wins, md5 verified) and
    decompresses them there. Samples are ``(PIL image mode "L", int label)``.

    Args:
        root (str or Path): directory holding ``MNIST/raw``.
        train (bool): training (60k) or test (10k) images. Default: ``True``.
        transform, target_transform (callable, optional): applied to image / label.
        download (bool): fetch the files when they are missing. Default: ``False``.

    Attributes:
        data (Tensor): uint8 (N, 28, 28). targets (Tensor): int64 (N,).
        classes (list of str), class_to_idx (dict).

    Raises:
        RuntimeError: the files are missing and ``download`` is False (the message names the
            directory searched), or a file is corrupt.

    Example:
        >>> MNIST("/no/such/dir")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        RuntimeError: Dataset not found. You can use download=True to download it (looked in ...)
    """

    mirrors = list(_registry.MNIST_FAMILY["MNIST"]["mirrors"])
    resources = list(_registry.MNIST_FAMILY["MNIST"]["resources"])
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | Path, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise _not_found(self.raw_folder)
        self.data, self.targets = self._load_data()

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    @property
    def images_file(self) -> str:
        part = "train" if self.train else "t10k"
        return os.path.join(self.raw_folder, f"{part}-images-idx3-ubyte")

    @property
    def labels_file(self) -> str:
        part = "train" if self.train else "t10k"
        return os.path.join(self.raw_folder, f"{part}-labels-idx1-ubyte")

    def _load_data(self):
        return read_image_file(self.images_file), read_label_file(self.labels_file)

    def _check_exists(self) -> bool:
        return all(check_integrity(f) for f in (self.images_file, self.labels_file))

    def _entry(self) -> dict:
        return _registry.idx_entry(type(self).__name__, self.mirrors, self.resources)

    def download(self) -> None:
        """Fetch and decompress the raw files unless they are already there."""
        if self._check_exists():
            return
        _fetch(self._entry(), self.root, self._check_exists)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img = Image.fromarray(self.data[index].numpy())  # 2-D uint8: mode "L"
        target = self._target(index)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _target(self, index):
        return int(self.targets[index])

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (``root/FashionMNIST/raw``); otherwise as :class:`MNIST`."""

    mirrors = list(_registry.MNIST_FAMILY["FashionMNIST"]["mirrors"])
    resources = list(_registry.MNIST_FAMILY["FashionMNIST"]["resources"])
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST (``root/KMNIST/raw``); otherwise as :class:`MNIST`."""

    mirrors = list(_registry.MNIST_FAMILY["KMNIST"]["mirrors"])
    resources = list(_registry.MNIST_FAMILY["KMNIST"]["resources"])
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """EMNIST letters and digits (``root/EMNIST/raw/emnist-<split>-<train|test>-...``).

    The download is NIST's ``gzip.zip`` (all six splits); every ``.gz`` in it is decompressed
    into ``raw`` and the zip's ``gzip`` folder removed, as torchvision does. The images are
    stored transposed by NIST and are returned as stored (as torchvision does).

    Args:
        root (str or Path): directory holding ``EMNIST/raw``.
        split (str): ``byclass``, ``bymerge``, ``balanced``, ``letters``, ``digits`` or
            ``mnist``.
        train, transform, target_transform, download: as :class:`MNIST`.

    Raises:
        ValueError: unknown split.
    """

    url = _registry.EMNIST["url"]
    md5 = _registry.EMNIST["md5"]
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _merged_classes = set("cijklmopsuvwxyz")
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root: str | Path, split: str, **kwargs: Any) -> None:
        self.split = verify_str_arg(split, "split", self.splits)
        self.classes = self.classes_split_dict[self.split]
        super().__init__(root, **kwargs)

    @property
    def _file_prefix(self) -> str:
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    @property
    def images_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._file_prefix}-images-idx3-ubyte")

    @property
    def labels_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._file_prefix}-labels-idx1-ubyte")

    def download(self) -> None:
        """Fetch ``gzip.zip``, decompress every split into ``raw``."""
        if self._check_exists():
            return
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        _fetch(_registry.emnist_entry(self.url, self.md5), self.root,
               lambda: os.path.isdir(gzip_folder))
        for name in sorted(os.listdir(gzip_folder)):
            if name.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, name), self.raw_folder)
        shutil.rmtree(gzip_folder)


class QMNIST(MNIST):
    """QMNIST: MNIST rebuilt from NIST with 8 label columns per image (``root/QMNIST/raw``).

    Args:
        root (str or Path): directory holding ``QMNIST/raw``.
        what (str, optional): ``train``, ``test`` (60k), ``test10k`` (its first 10k),
            ``test50k`` (the other 50k) or ``nist`` (all 402,953 NIST digits). Default:
            ``"train"`` if ``train`` else ``"test"``.
        compat (bool): the target is the class index (``True``, as MNIST) or the int64 row
            of 8 values (class, NIST hsf, writer id, digit index, NIST class, global index,
            duplicate, unused). Default: ``True``.
        train, transform, target_transform, download: as :class:`MNIST`.

    Raises:
        ValueError: unknown ``what``.
    """

    subsets = {"train": "train", "test": "test", "test10k": "test", "test50k": "test",
               "nist": "nist"}
    resources = {k: list(v) for k, v in _registry.QMNIST.items()}  # type: ignore[assignment]

    def __init__(self, root: str | Path, what: str | None = None, compat: bool = True,
                 train: bool = True, **kwargs: Any) -> None:
        if what is None:
            what = "train" if train else "test"
        self.what = verify_str_arg(what, "what", tuple(self.subsets))
        self.compat = compat
        super().__init__(root, train, **kwargs)

    def _file(self, i):
        url = self.resources[self.subsets[self.what]][i][0]
        return os.path.join(self.raw_folder, os.path.splitext(os.path.basename(url))[0])

    @property
    def images_file(self) -> str:
        return self._file(0)

    @property
    def labels_file(self) -> str:
        return self._file(1)

    def _load_data(self):
        data = _read_checked(self.images_file, 3)
        targets = read_idx(self.labels_file)
        if targets.ndim != 2:
            raise RuntimeError(f"{self.labels_file}: expected 2 dimensions, got shape "
                               f"{targets.shape}")
        part = {"test10k": slice(0, 10000), "test50k": slice(10000, None)}.get(self.what,
                                                                                 slice(None))
        return (ember.from_numpy(np.ascontiguousarray(data[part])),
                ember.from_numpy(targets[part].astype(np.int64)))

    def download(self) -> None:
        """Fetch (and decompress) only the files of the requested subset."""
        if self._check_exists():
            return
        entry = _registry.qmnist_entry({self.subsets[self.what]:
                                        self.resources[self.subsets[self.what]]})
        _fetch(entry, self.root, self._check_exists)

    def _target(self, index):
        return int(self.targets[index][0]) if self.compat else self.targets[index]

    def extra_repr(self) -> str:
        return f"Split: {self.what}"
