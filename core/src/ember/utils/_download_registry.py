"""The artifact registry: dataset and weight files declared by name (private; public names are
re-exported by ``ember.utils.download`` and ``ember.hub``).

An entry is plain data: a ``RegistryEntry`` (name, kind, files, licence, ...) whose ``files`` are
``RemoteFile`` records (target path, mirror URLs, sha256/md5, size, extraction, splits). Entries
come from two places, merged into one dict:

* ``register(entry)`` / ``register_dataset(...)`` / ``register_weights(...)`` called by code;
* the entry-point group ``ember.registry``: each entry point names a callable taking no
  argument and returning an iterable of ``RegistryEntry`` (or of dicts with the same fields,
  ``files`` being dicts with the ``RemoteFile`` fields). Installed domain packages declare theirs
  there, so ``ember-data list`` sees them without importing the packages' heavy modules.

Files live under a root: weights under ``ember.hub.get_dir()/checkpoints/<path>``, datasets
under ``<root>/<directory>/<path>`` with ``root`` defaulting to ``$EMBER_HOME/datasets``.

A domain package declares its entries in its ``pyproject.toml``::

    [project.entry-points."ember.registry"]
    embervision = "embervision.datasets._registry:entries"

and a dataset class fetches its files with
``ember.utils.download.download_entry("mnist", root, split="train")``.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import posixpath
import re
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from ._download_paths import get_data_root, get_hub_dir
from ._download_verify import normalize_hashes

__all__ = ["RemoteFile", "RegistryEntry", "UnknownEntryError", "ENTRY_POINT_GROUP", "KINDS",
           "register", "register_dataset", "register_weights", "registry", "get_entry",
           "entry_dir", "file_path", "select_files"]

ENTRY_POINT_GROUP = "ember.registry"
KINDS = ("dataset", "weights")
HASH_IN_NAME = re.compile(r"-([a-f0-9]+)\.")  # PyTorch hub's <name>-<sha256 prefix>.<ext>


def _relative(what, path):
    if not isinstance(path, str) or not path:
        raise ValueError(f"{what} must be a non-empty relative path, got {path!r}")
    clean = path.replace("\\", "/")
    if clean.startswith("/") or ".." in clean.split("/"):
        raise ValueError(f"{what} must stay inside its directory (no absolute path, no '..'), "
                         f"got {path!r}")
    return posixpath.normpath(clean)


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """One downloadable file of a registry entry.

    Args:
        path (str): target path relative to the entry's directory (``raw/train.gz``).
        urls (sequence of str): mirrors, tried in order.
        sha256 (str, optional): hex digest or a prefix of it. Default: ``None``.
        md5 (str, optional): hex digest, used when no sha256 is known. Default: ``None``.
        size (int, optional): size in bytes, checked after download. Default: ``None``.
        extract_to (str, optional): extract the archive, after verification, into this
            directory relative to the entry's directory (``""`` = the entry's directory).
            Default: ``None`` (no extraction).
        splits (sequence of str): the splits needing this file; empty means every split.

    Example:
        >>> RemoteFile("a.bin", ["https://example.org/a.bin"], sha256="ab12").urls
        ('https://example.org/a.bin',)
    """

    path: str
    urls: tuple[str, ...]
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None
    extract_to: str | None = None
    splits: tuple[str, ...] = ()

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "path", _relative("RemoteFile.path", self.path))
        urls = (self.urls,) if isinstance(self.urls, str) else tuple(self.urls)
        if not urls or not all(isinstance(u, str) and "://" in u for u in urls):
            raise ValueError(f"RemoteFile {self.path!r}: urls must be a non-empty list of "
                             f"absolute URLs, got {self.urls!r}")
        set_(self, "urls", urls)
        sha256, md5 = normalize_hashes(self.sha256, self.md5)
        set_(self, "sha256", sha256)
        set_(self, "md5", md5)
        if self.size is not None and (not isinstance(self.size, int) or self.size < 0):
            raise ValueError(f"RemoteFile {self.path!r}: size must be a non-negative int, "
                             f"got {self.size!r}")
        if self.extract_to is not None and self.extract_to not in ("", "."):
            set_(self, "extract_to", _relative("RemoteFile.extract_to", self.extract_to))
        splits = (self.splits,) if isinstance(self.splits, str) else tuple(self.splits)
        set_(self, "splits", splits)


@dataclasses.dataclass(frozen=True)
class RegistryEntry:
    """A named dataset or set of weight files.

    Args:
        name (str): unique name, no whitespace (``mnist``, ``resnet50.imagenet1k_v1``).
        kind (str): ``"dataset"`` or ``"weights"``.
        files (sequence of RemoteFile or dict): the files.
        licence (str): licence of the files. Default: ``"unknown"``.
        description (str): one line for ``ember-data list``. Default: ``""``.
        directory (str, optional): datasets: directory under the root (default: ``name``);
            weights: subdirectory of ``hub/checkpoints`` (default: none).
        homepage (str): where the data is described. Default: ``""``.
        meta (dict): free metadata (categories, preprocessing, citation, ...). Default: ``{}``.
        source (str): who registered it; filled in by the registry, not compared.

    Example:
        >>> e = RegistryEntry("toy", "dataset", [RemoteFile("a", ["https://x.org/a"])])
        >>> e.directory, e.files[0].path
        ('toy', 'a')
    """

    name: str
    kind: str
    files: tuple[RemoteFile, ...]
    licence: str = "unknown"
    description: str = ""
    directory: str | None = None
    homepage: str = ""
    meta: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    source: str = dataclasses.field(default="", compare=False)

    def __post_init__(self):
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not self.name or any(c.isspace() for c in self.name):
            raise ValueError(f"RegistryEntry.name must be a non-empty string without spaces, "
                             f"got {self.name!r}")
        if self.kind not in KINDS:
            raise ValueError(f"RegistryEntry {self.name!r}: kind must be one of {KINDS}, "
                             f"got {self.kind!r}")
        files = tuple(f if isinstance(f, RemoteFile) else RemoteFile(**f) for f in self.files)
        if not files:
            raise ValueError(f"RegistryEntry {self.name!r}: expected at least one file")
        paths = [f.path for f in files]
        if len(set(paths)) != len(paths):
            raise ValueError(f"RegistryEntry {self.name!r}: two files share a path in {paths}")
        set_(self, "files", files)
        directory = self.directory
        if directory is None:
            directory = self.name if self.kind == "dataset" else ""
        elif directory:
            directory = _relative(f"RegistryEntry {self.name!r} directory", directory)
        set_(self, "directory", directory)
        set_(self, "meta", dict(self.meta))

    @property
    def splits(self) -> tuple[str, ...]:
        """The split names used by the files, sorted."""
        return tuple(sorted({s for f in self.files for s in f.splits}))

    @property
    def size(self) -> int | None:
        """Total size in bytes, or None when a file's size is not registered."""
        sizes = [f.size for f in self.files]
        return None if None in sizes else sum(sizes)


class UnknownEntryError(KeyError):
    """No registry entry has this name; ``suggestions`` holds close names."""

    def __init__(self, name, suggestions):
        self.name, self.suggestions = name, suggestions
        hint = f"; did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
        super().__init__(f"no registered dataset or weights named {name!r}{hint} "
                         "(`ember-data list` shows every registered name)")

    def __str__(self):
        return self.args[0]


# name -> entry, in registration order; entry points are merged in on the first lookup
_ENTRIES: dict[str, RegistryEntry] = {}
_entry_points_loaded = False


def register(entry: RegistryEntry, *, replace: bool = False) -> RegistryEntry:
    """Add ``entry`` to the registry and return it.

    Registering an equal entry again is a no-op (a package may both register on import and
    through its entry point).

    Raises:
        ValueError: another, different entry already has that name and ``replace`` is False.
    """
    if not isinstance(entry, RegistryEntry):
        raise TypeError(f"register: expected a RegistryEntry, got {type(entry).__name__}")
    old = _ENTRIES.get(entry.name)
    if old is not None and old != entry and not replace:
        raise ValueError(f"register: the name {entry.name!r} is already registered by "
                         f"{old.source or 'code'} with different content; pass replace=True "
                         "to override it")
    if not entry.source:
        object.__setattr__(entry, "source", "ember.utils.download.register")
    _ENTRIES[entry.name] = entry
    return entry


def register_dataset(name, files, *, licence="unknown", description="", directory=None,
                     homepage="", meta=None, replace=False) -> RegistryEntry:
    """Register a dataset made of ``files`` (``RemoteFile`` records or dicts of their fields).

    Example:
        >>> e = register_dataset("doc-toy", [{"path": "a.gz", "urls": ["https://x.org/a.gz"],
        ...                                   "md5": "0" * 32}], replace=True)
        >>> get_entry("doc-toy").files[0].md5 == "0" * 32
        True
    """
    entry = RegistryEntry(name, "dataset", tuple(files), licence=licence,
                          description=description, directory=directory, homepage=homepage,
                          meta=meta or {})
    return register(entry, replace=replace)


def register_weights(name, urls, *, sha256=None, md5=None, size=None, file_name=None,
                     licence="unknown", description="", meta=None, replace=False):
    """Register one weights file under ``name``; it lives in ``hub/checkpoints/<file_name>``.

    ``file_name`` defaults to the last component of the first URL's path. Without ``sha256``,
    a PyTorch-hub style name ``<name>-<hex>.<ext>`` supplies the sha256 prefix.

    Example:
        >>> e = register_weights("doc-net", ["https://x.org/net-0123abcd.pth"], replace=True)
        >>> e.files[0].path, e.files[0].sha256
        ('net-0123abcd.pth', '0123abcd')
    """
    urls = (urls,) if isinstance(urls, str) else tuple(urls)
    if not urls:
        raise ValueError(f"register_weights {name!r}: expected at least one URL")
    if file_name is None:
        file_name = posixpath.basename(urlparse(urls[0]).path)
    if sha256 is None and md5 is None:
        match = HASH_IN_NAME.search(file_name)
        sha256 = match.group(1) if match else None
    file = RemoteFile(file_name, urls, sha256=sha256, md5=md5, size=size)
    entry = RegistryEntry(name, "weights", (file,), licence=licence, description=description,
                          meta=meta or {})
    return register(entry, replace=replace)


def _load_entry_points():
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        source = f"entry point {ep.name} = {ep.value}"
        try:
            produced = list(ep.load()())
            entries = [e if isinstance(e, RegistryEntry) else RegistryEntry(**e)
                       for e in produced]
        except Exception as e:  # a broken plugin must not hide every other package's entries
            warnings.warn(f"ember registry: skipping {source}: {type(e).__name__}: {e}",
                          RuntimeWarning, stacklevel=3)
            continue
        for entry in entries:
            object.__setattr__(entry, "source", source)
            register(entry)


def _ensure_loaded():
    global _entry_points_loaded
    if not _entry_points_loaded:
        _entry_points_loaded = True
        _load_entry_points()


def registry(kind=None) -> dict[str, RegistryEntry]:
    """Every registered entry (code and ``ember.registry`` entry points), by name.

    Args:
        kind (str, optional): only ``"dataset"`` or only ``"weights"`` entries.

    Example:
        >>> all(e.kind == "weights" for e in registry("weights").values())
        True
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"registry: kind must be one of {KINDS} or None, got {kind!r}")
    _ensure_loaded()
    return {n: e for n, e in sorted(_ENTRIES.items()) if kind is None or e.kind == kind}


def get_entry(name) -> RegistryEntry:
    """The entry called ``name``.

    Raises:
        UnknownEntryError: (a ``KeyError``) no such name; close names are suggested.
    """
    if isinstance(name, RegistryEntry):
        return name
    _ensure_loaded()
    if name in _ENTRIES:
        return _ENTRIES[name]
    lowered = {n.lower(): n for n in _ENTRIES}
    if str(name).lower() in lowered:
        return _ENTRIES[lowered[str(name).lower()]]
    close = difflib.get_close_matches(str(name).lower(), list(lowered), n=3, cutoff=0.6)
    raise UnknownEntryError(name, [lowered[c] for c in close])


def entry_dir(entry, root=None) -> str:
    """Directory holding the entry's files: ``<root>/<directory>``.

    ``root`` defaults to ``ember.hub.get_dir()/checkpoints`` for weights and to
    ``$EMBER_HOME/datasets`` for datasets.
    """
    entry = get_entry(entry)
    if root is None:
        root = (os.path.join(get_hub_dir(), "checkpoints") if entry.kind == "weights"
                else get_data_root())
    root = os.path.expanduser(os.fspath(root))
    return os.path.join(root, *entry.directory.split("/")) if entry.directory else root


def file_path(entry, file: RemoteFile, root=None) -> str:
    """Local path of one of the entry's files."""
    return os.path.join(entry_dir(entry, root), *file.path.split("/"))


def select_files(entry, split=None) -> tuple[RemoteFile, ...]:
    """The files a split needs (all files when ``split`` is None).

    Raises:
        ValueError: the entry has no such split (the valid ones are listed).
    """
    entry = get_entry(entry)
    if split is None:
        return entry.files
    if split not in entry.splits:
        raise ValueError(f"{entry.name} has no split {split!r}; valid splits: "
                         f"{', '.join(entry.splits) or 'none (it has no splits)'}")
    return tuple(f for f in entry.files if not f.splits or split in f.splits)
