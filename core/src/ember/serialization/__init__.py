"""``ember.save`` / ``ember.load``: checkpoints in PyTorch's formats, loaded safely.

``ember.save`` writes PyTorch's zip format (``torch.load`` reads it, also with ``mmap=True``);
``ember.load`` reads that format and the legacy pre-1.6 stream written by ``torch.save``.
Loading unpickles through an allow-list by default (``weights_only=True``): tensors, containers,
numbers, strings, dtypes, numpy scalars/arrays, ``argparse.Namespace``; other globals need
:func:`add_safe_globals` / :class:`safe_globals` or an explicit ``weights_only=False``.
:func:`load_checkpoint` also reads safetensors files and Hugging Face sharded checkpoints,
recognising the format by content.

Example:
    >>> import ember, io
    >>> buf = io.BytesIO()
    >>> ember.save({"w": ember.tensor([1.0, 2.0]), "step": 3}, buf)
    >>> _ = buf.seek(0)
    >>> ember.load(buf)
    {'w': tensor([1., 2.]), 'step': 3}
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import struct
import sys
import zipfile
import zlib

import numpy as np

from ._atomic import atomic_write
from ._legacy import MAGIC_NUMBER, PROTOCOL_VERSION, load_legacy
from ._location import check_map_location
from ._pickle_writer import TorchPickler
from ._unpickler import (
    CorruptCheckpointError,
    GlobalError,
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)
from ._zip_reader import load_zip
from ._zip_writer import ZipWriter

__all__ = ["save", "load", "load_checkpoint", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "safe_globals", "CorruptCheckpointError"]

_ZIP_MAGIC = b"PK\x03\x04"


def _is_path(f) -> bool:
    return isinstance(f, (str, os.PathLike))


def save(obj, f, pickle_module=pickle, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Save ``obj`` (tensors, state dicts, containers, numbers …) in PyTorch's format.

    Tensors that view one array share one storage record, so views stay views after loading.
    Saving to a path is atomic: the data go to a temporary file in the same directory, which
    is flushed, fsync'ed and renamed over ``f``; a crash leaves any previous file intact.

    Args:
        obj: the object to save.
        f (str | os.PathLike | file): destination path, or a writable binary file object
            (written directly, from its current position).
        pickle_module: must be :mod:`pickle` (accepted for compatibility). Default: pickle.
        pickle_protocol (int): protocol of ``data.pkl``. Default: 2 (as PyTorch).
        _use_new_zipfile_serialization (bool): ``False`` writes the legacy stream.
            Default: True.
        _disable_byteorder_record (bool): omit the ``byteorder`` record. Default: False.

    Raises:
        TypeError: ``f`` is neither a path nor a writable file; ``pickle_module`` is not pickle.
        pickle.PicklingError: an object that cannot be pickled.

    Example:
        >>> import ember, io
        >>> buf = io.BytesIO()
        >>> ember.save(ember.nn.Linear(2, 1).state_dict(), buf)
        >>> buf.getvalue()[:4]
        b'PK\\x03\\x04'
    """
    if pickle_module is not pickle:
        raise TypeError("save(): only the standard pickle module is supported, got "
                        f"{pickle_module!r}")
    if _is_path(f):
        name = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
        with atomic_write(f) as out:
            _save(obj, out, name, pickle_protocol, _use_new_zipfile_serialization,
                  not _disable_byteorder_record)
        return
    if not hasattr(f, "write"):
        raise TypeError(f"save(): f must be a path or a writable binary file, got "
                        f"{type(f).__name__}")
    _save(obj, f, "archive", pickle_protocol, _use_new_zipfile_serialization,
          not _disable_byteorder_record)
    if hasattr(f, "flush"):
        f.flush()


def _pickle(obj, protocol: int, legacy: bool):
    buf = io.BytesIO()
    pickler = TorchPickler(buf, protocol, legacy=legacy)
    pickler.dump(obj)
    return buf.getvalue(), pickler.storages


def _save(obj, f, name: str, protocol: int, zipped: bool, byteorder: bool) -> None:
    data, storages = _pickle(obj, protocol, legacy=not zipped)
    if not zipped:
        _save_legacy(data, storages, f, protocol)
        return
    zw = ZipWriter(f)
    zw.write_record(f"{name}/data.pkl", data)
    zw.write_record(f"{name}/.format_version", b"1")
    zw.write_record(f"{name}/.storage_alignment", b"64")
    if byteorder:
        zw.write_record(f"{name}/byteorder", sys.byteorder.encode())
    digest = hashlib.sha1(data)
    for s in storages:
        zw.write_record(f"{name}/data/{s.key}", s.array)
        digest.update(str(s.array.nbytes).encode())
    zw.write_record(f"{name}/version", b"3\n")
    # NOTE: PyTorch writes 40 decimal digits; derived from the content, saves are reproducible
    zw.write_record(f"{name}/.data/serialization_id",
                    str(int(digest.hexdigest(), 16))[:40].rjust(40, "0").encode())
    zw.finish()


def _save_legacy(data: bytes, storages, f, protocol: int) -> None:
    sys_info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info):
        pickle.dump(header, f, protocol=protocol)
    f.write(data)
    pickle.dump([s.key for s in storages], f, protocol=protocol)
    for s in storages:
        f.write(struct.pack("<q" if sys.byteorder == "little" else ">q", s.array.size))
        f.write(memoryview(s.array.reshape(-1).view(np.uint8)))


def _describe(f) -> str:
    if _is_path(f):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(f).__name__}>"


# errors a corrupted pickle or archive can raise inside the readers: turned into one clear type
_CORRUPTION = (EOFError, ValueError, KeyError, IndexError, TypeError, AttributeError,
               OverflowError, MemoryError, RecursionError, struct.error, zipfile.BadZipFile,
               pickle.UnpicklingError, UnicodeDecodeError, RuntimeError, LookupError,
               SyntaxError, OSError, zlib.error)


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = True,
         mmap: bool | None = None, **pickle_load_args):
    """Load an object saved by :func:`save` or ``torch.save`` (zip or legacy format).

    Tensors come back as ember tensors (``torch.nn.Parameter`` as :class:`ember.nn.Parameter`;
    bfloat16 widened to float32 with a warning, ember having no bfloat16); views saved with
    their base still share its memory.

    Args:
        f (str | os.PathLike | file): source path or seekable binary file object.
        map_location: where to put storages: ``None`` (where they were saved), a device or
            string (``"cpu"``), a dict ``{saved location: new location}``, or a callable
            ``(storage, location) -> tensor | None`` receiving each storage as a 1-D tensor.
            Default: None.
        pickle_module: not supported with ``weights_only``; else must be :mod:`pickle`.
        weights_only (bool): unpickle through the allow-list only (safe for untrusted files).
            ``False`` may run arbitrary code: use it only for trusted files. Default: True.
        mmap (bool): map the zip file's tensor data copy-on-write instead of reading it (needs
            a path or a real file). Default: False.
        encoding (str): for strings of Python 2 pickles. Default: ``"utf-8"``.

    Raises:
        pickle.UnpicklingError: a global outside the allow-list (its name is in the message,
            with :func:`add_safe_globals` / :class:`safe_globals` to allow it).
        CorruptCheckpointError: a truncated, corrupted or non-checkpoint file (a subclass of
            both ``pickle.UnpicklingError`` and ``RuntimeError``; the file name is included).
        RuntimeError: CUDA storages without a GPU and no ``map_location``.

    Example:
        >>> import ember, io
        >>> buf = io.BytesIO()
        >>> x = ember.arange(6.0)
        >>> ember.save([x, x[2:4]], buf)
        >>> _ = buf.seek(0)
        >>> a, b = ember.load(buf)
        >>> _ = b.mul_(10)
        >>> a
        tensor([ 0.,  1., 20., 30.,  4.,  5.])
    """
    if weights_only is None:
        weights_only = True
    if pickle_module is not None and pickle_module is not pickle:
        raise TypeError(f"load(): only the standard pickle module is supported, got "
                        f"{pickle_module!r}")
    if pickle_module is not None and weights_only:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified (pass weights_only=False to use it)")
    encoding = pickle_load_args.pop("encoding", "utf-8")
    if pickle_load_args:
        raise TypeError(f"load(): unexpected keyword arguments {sorted(pickle_load_args)}")
    check_map_location(map_location)
    where = _describe(f)
    if _is_path(f):
        with open(f, "rb") as fh:
            return _load(fh, where, map_location, bool(weights_only), bool(mmap), encoding)
    if not (hasattr(f, "read") and hasattr(f, "seek")):
        raise TypeError(f"load(): f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
    if hasattr(f, "seekable") and not f.seekable():
        raise RuntimeError(f"load(): {where} is not seekable. Please pre-load the data into a "
                           "buffer like io.BytesIO and try to load from it instead.")
    return _load(f, where, map_location, bool(weights_only), bool(mmap), encoding)


def _load(f, where, map_location, weights_only, use_mmap, encoding):
    start = f.tell()
    head = f.read(16)
    f.seek(start)
    if not head:
        raise CorruptCheckpointError(f"{where}: the file is empty")
    try:
        if head[:4] == _ZIP_MAGIC:
            if use_mmap and not hasattr(f, "fileno"):
                raise TypeError(f"load(): mmap=True needs a path or a file with a fileno(), "
                                f"got {where}")
            return load_zip(f, where, map_location, weights_only, use_mmap)
        if _looks_like_safetensors(head):
            raise CorruptCheckpointError(
                f"{where} is a safetensors file: read it with ember.utils.safetensors.load_file "
                "or ember.load_checkpoint")
        if use_mmap:
            raise RuntimeError(f"load(): mmap=True can only be used with zip checkpoints "
                               f"(torch.save >= 1.6); {where} is in the legacy format")
        return load_legacy(f, where, map_location, weights_only, encoding)
    except (CorruptCheckpointError, GlobalError) as e:
        if where in str(e):
            raise
        raise type(e)(f"{where}: {e}") from e
    except io.UnsupportedOperation as e:
        raise TypeError(f"load(): mmap=True needs a real file, got {where} ({e})") from e
    except _CORRUPTION as e:
        if getattr(e, "_ember_passthrough", False):
            raise
        raise CorruptCheckpointError(f"{where}: corrupt or truncated checkpoint "
                                     f"({type(e).__name__}: {e})") from e


def _looks_like_safetensors(head: bytes) -> bool:
    if len(head) < 10:
        return False
    n = int.from_bytes(head[:8], "little")
    return 2 <= n <= 100_000_000 and head[8:9] == b"{"


def load_checkpoint(path, map_location=None, *, weights_only: bool = True, mmap: bool = False):
    """Load a checkpoint whatever its format, recognised by content, not by file name.

    Formats: PyTorch zip and legacy files (as :func:`load`), safetensors (a dict of tensors),
    and Hugging Face sharded checkpoints (an ``*.index.json`` whose ``weight_map`` names the
    shard files, each in either format; their tensors are merged into one dict).

    Args:
        path (str | os.PathLike): the file.
        map_location: as for :func:`load` (safetensors and shards: a device or string only).
            Default: None.
        weights_only (bool): as for :func:`load`. Default: True.
        mmap (bool): as for :func:`load`; safetensors files are always mapped. Default: False.

    Raises:
        CorruptCheckpointError: an unrecognised, truncated or corrupted file.
        FileNotFoundError: a missing file or shard.

    Example:
        >>> import ember, os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "m.weights")
        >>> ember.utils.safetensors.save_file({"b": ember.zeros(2)}, p)
        >>> ember.load_checkpoint(p)
        {'b': tensor([0., 0.])}
    """
    from ._safetensors import load_safetensors
    from ._sharded import load_sharded
    where = repr(os.fspath(path))
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[:4] == _ZIP_MAGIC or head[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04"):
        return load(path, map_location, weights_only=weights_only, mmap=mmap)
    if _looks_like_safetensors(head):
        return load_safetensors(path, device=_device_arg(map_location))
    if head.lstrip()[:1] == b"{":
        return load_sharded(path, lambda p: load_checkpoint(
            p, map_location, weights_only=weights_only, mmap=mmap))
    if not head:
        raise CorruptCheckpointError(f"{where}: the file is empty")
    raise CorruptCheckpointError(f"{where}: not a checkpoint (no zip, legacy, safetensors or "
                                 "sharded index signature)")


def _device_arg(map_location):
    if map_location is None:
        return "cpu"
    if callable(map_location) or isinstance(map_location, dict):
        raise TypeError("load_checkpoint(): safetensors files take a device or string "
                        "map_location")
    return str(map_location)
