"""Read PyTorch's zip checkpoints (``torch.save`` >= 1.6 and ``ember.save``).

The central directory comes from :mod:`zipfile` (robust, ZIP64-aware); each storage record is
then read straight into a preallocated array (one ``readinto``), or, with ``mmap=True``, viewed
in a copy-on-write map of the whole file. CRCs are not checked, as in PyTorch's reader (its
miniz is built without them); layouts are bounds-checked against the record sizes.
"""

from __future__ import annotations

import io
import mmap as _mmap
import struct
import sys
import warnings
import zipfile

import numpy as np

from .. import _host_buffers
from ._location import restore
from ._storage_types import storage_dtype, widen
from ._unpickler import CheckpointUnpickler, CorruptCheckpointError, LoadedStorage, StorageType


class ZipReader:
    """Records of a zip checkpoint: names, data offsets, sizes.

    Args:
        f: seekable binary file object.
        where (str): the file name, for messages.

    Raises:
        CorruptCheckpointError: not a readable zip archive.
    """

    def __init__(self, f, where: str) -> None:
        self._f, self.where = f, where
        try:
            self._zip = zipfile.ZipFile(f)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                struct.error, NotImplementedError) as e:
            raise CorruptCheckpointError(f"{where}: not a valid zip checkpoint ({e})") from e
        self.infos = {i.filename: i for i in infos}
        pkl = [n for n in self.infos if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkl) != 1:
            if any(n.endswith("constants.pkl") for n in self.infos):
                raise CorruptCheckpointError(f"{where} is a TorchScript archive "
                                             "(torch.jit.save); ember.load cannot read it")
            raise CorruptCheckpointError(f"{where}: the archive has no <name>/data.pkl record "
                                         "(is it a checkpoint?)")
        self.prefix = pkl[0][: -len("data.pkl")]

    def has(self, name: str) -> bool:
        return self.prefix + name in self.infos

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self.infos.get(self.prefix + name)
        if info is None:
            raise CorruptCheckpointError(f"{self.where}: record {self.prefix + name} is missing")
        return info

    def size(self, name: str) -> int:
        return self._info(name).file_size

    def data_offset(self, name: str) -> int:
        """File offset of the first byte of a STORED record."""
        info = self._info(name)
        self._f.seek(info.header_offset)
        head = self._f.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise CorruptCheckpointError(f"{self.where}: bad local header for {info.filename}")
        nlen, elen = struct.unpack("<HH", head[26:30])
        return info.header_offset + 30 + nlen + elen

    def read(self, name: str) -> bytes:
        """The whole record (small records: pickles, version strings)."""
        try:
            return self._zip.read(self._info(name))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error,
                RuntimeError) as e:  # RuntimeError: "encrypted", NotImplementedError

            raise CorruptCheckpointError(f"{self.where}: cannot read {self.prefix + name} "
                                         f"({e})") from e

    def read_into(self, name: str, out: np.ndarray) -> None:
        """Fill ``out`` (C-contiguous) with the first ``out.nbytes`` bytes of the record."""
        info = self._info(name)
        view = memoryview(out.reshape(-1).view(np.uint8))
        if info.compress_type != zipfile.ZIP_STORED:  # re-zipped by a user: decompress
            with self._zip.open(info) as src:
                got = src.readinto(view)
        else:
            self._f.seek(self.data_offset(name))
            got = 0
            while got < len(view):
                n = self._f.readinto(view[got:])
                if not n:
                    break
                got += n
        if got != len(view):
            raise CorruptCheckpointError(f"{self.where}: record {self.prefix + name} is "
                                         f"truncated ({got} of {len(view)} bytes)")


def load_zip(f, where: str, map_location, weights_only: bool, use_mmap: bool, path=None):
    """Unpickle a zip checkpoint from the open file ``f`` (``path`` is needed for mmap)."""
    reader = ZipReader(f, where)
    if reader.has("version"):
        version = reader.read("version").strip()
        if version not in (b"1", b"2", b"3"):
            raise CorruptCheckpointError(f"{where}: unsupported checkpoint version "
                                         f"{version[:20]!r} (ember reads versions 1 to 3)")
    byteorder = reader.read("byteorder").strip() if reader.has("byteorder") else b"little"
    if byteorder not in (b"little", b"big"):
        raise CorruptCheckpointError(f"{where}: unknown byteorder record {byteorder[:20]!r}")
    swap = byteorder.decode() != sys.byteorder
    mapped = None
    if use_mmap:
        fileno = f.fileno()
        mapped = _mmap.mmap(fileno, 0, access=_mmap.ACCESS_COPY)
    loaded: dict[str, LoadedStorage] = {}
    warned: list = []

    def persistent_load(pid):
        if not isinstance(pid, tuple) or len(pid) != 5 or pid[0] != "storage" \
                or not isinstance(pid[1], StorageType) or not isinstance(pid[2], str) \
                or not isinstance(pid[3], str) or not isinstance(pid[4], int):
            raise CorruptCheckpointError(f"{where}: invalid storage id {pid!r}")
        _, stype, key, location, numel = pid
        if key in loaded:
            return loaded[key]
        raw_dtype, _, widened = storage_dtype(stype.name, where)
        name = f"data/{key}"
        nbytes = numel * raw_dtype.itemsize
        if numel < 0 or reader.size(name) < nbytes:
            raise CorruptCheckpointError(f"{where}: record {reader.prefix + name} holds "
                                         f"{reader.size(name)} bytes, {nbytes} expected")
        if mapped is not None:
            start = reader.data_offset(name)
            host = np.frombuffer(mapped, dtype=raw_dtype, count=numel, offset=start)
        else:
            host = _host_buffers.empty((numel,), raw_dtype)  # reused across loads
            reader.read_into(name, host)
        if swap:
            host = host.byteswap().view(host.dtype.newbyteorder("="))
        if widened and not warned:
            warned.append(True)
            warnings.warn(f"{where}: torch.{stype.name} widened to ember.float32 (ember has no "
                          "bfloat16 dtype)", UserWarning, stacklevel=2)
        if widened:
            host = widen(host, stype.name)
        loaded[key] = s = LoadedStorage(restore(host, location, map_location, where))
        return s

    data = reader.read("data.pkl")
    return CheckpointUnpickler(io.BytesIO(data), persistent_load, weights_only, where).load()
