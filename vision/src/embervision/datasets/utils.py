"""``torchvision.datasets.utils`` on ember's verified downloads.

``download_url``, ``download_and_extract_archive``, ``extract_archive``, ``check_integrity`` and
``calculate_md5`` are the core's (``ember.utils.download``): mirrors, resume, retries, a lock
against concurrent processes, HTML pages refused, size/hash checked before the file appears, and
archives extracted only when no member escapes the destination.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from ember.utils.download import (
    RegistryEntry,
    calculate_md5,
    check_integrity,
    download_and_extract_archive,
    download_entry,
    download_url,
    entry_dir,
    extract_archive,
)

__all__ = ["download_url", "download_and_extract_archive", "extract_archive",
           "check_integrity", "calculate_md5", "verify_str_arg", "iterable_to_str"]


def iterable_to_str(iterable: Iterable) -> str:
    """``'a', 'b'`` for ``["a", "b"]`` (for error messages).

    Example:
        >>> iterable_to_str(["train", "test"])
        "'train', 'test'"
    """
    return ", ".join(f"'{item}'" for item in iterable)


def verify_str_arg(value, arg: str | None = None, valid_values: Iterable[str] | None = None,
                   custom_msg: str | None = None) -> str:
    """Return ``value`` if it is a string among ``valid_values`` (any string when None).

    Args:
        value: the argument to check.
        arg (str, optional): its name, for the message.
        valid_values (iterable of str, optional): the accepted values.
        custom_msg (str, optional): message used instead of the default one.

    Raises:
        ValueError: ``value`` is not a string, or not one of ``valid_values``.

    Example:
        >>> verify_str_arg("test", "split", ("train", "test"))
        'test'
        >>> verify_str_arg("val", "split", ("train", "test"))
        Traceback (most recent call last):
        ...
        ValueError: Unknown value 'val' for argument split. Valid values are {'train', 'test'}.
    """
    if not isinstance(value, str):
        where = f" for argument {arg}" if arg is not None else ""
        raise ValueError(f"Expected type str{where}, but got type {type(value)}.")
    if valid_values is None:
        return value
    valid_values = [valid_values] if isinstance(valid_values, str) else list(valid_values)
    if value not in valid_values:
        raise ValueError(custom_msg if custom_msg is not None else
                         f"Unknown value '{value}' for argument {arg}. Valid values are "
                         f"{{{iterable_to_str(valid_values)}}}.")
    return value


def _fetch(spec: dict, root, check: Callable[[], bool] | None = None) -> list[str]:
    """Download (and extract) the files of a ``_registry`` entry dict under ``root``.

    ``check`` tells whether the dataset's files are now usable; when it says no, the verified
    archives are extracted again.
    """
    entry = RegistryEntry(**spec)
    root = os.path.expanduser(os.fspath(root))
    paths = download_entry(entry, root)
    if check is not None and not check():
        # NOTE: download_entry extracts an archive once per content (its ``.extracted``
        # marker); files damaged or deleted since then are restored from the archive here
        base = entry_dir(entry, root)
        for f, path in zip(entry.files, paths, strict=True):
            if f.extract_to is not None:
                extract_archive(path, os.path.join(base, *f.extract_to.split("/"))
                                if f.extract_to else base)
    return paths


def _not_found(path, what: str = "Dataset not found") -> RuntimeError:
    """torchvision's message, plus the exact place that was searched."""
    return RuntimeError(f"{what}. You can use download=True to download it "
                        f"(looked in {os.path.abspath(os.fspath(path))})")
