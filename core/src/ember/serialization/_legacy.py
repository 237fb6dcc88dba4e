"""Read the legacy (pre-1.6, ``_use_new_zipfile_serialization=False``) checkpoint stream.

Layout: five pickles — the magic number, the protocol version ``1001``, a sys-info dict
(``little_endian``, type sizes), the object (storages as persistent ids ``('storage', cls, key,
location, numel, view_metadata)``) and the sorted list of storage keys — then, per key, an
int64 element count and the raw elements.

The object pickle is read twice: a first pass learns each storage's dtype and size (its arrays
are never touched), the data are read, and a second pass rebuilds the tensors on them.
"""

from __future__ import annotations

import numpy as np

from ._location import restore
from ._storage_types import storage_dtype, widen
from ._unpickler import CheckpointUnpickler, CorruptCheckpointError, LoadedStorage, StorageType

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def _parse_pid(pid, where: str):
    if not isinstance(pid, tuple) or len(pid) != 6 or pid[0] != "storage" \
            or not isinstance(pid[1], StorageType) or not isinstance(pid[2], str) \
            or not isinstance(pid[3], str) or not isinstance(pid[4], int) or pid[4] < 0:
        raise CorruptCheckpointError(f"{where}: invalid storage id {pid!r}")
    view = pid[5]
    if view is not None and not (isinstance(view, tuple) and len(view) == 3
                                 and isinstance(view[0], str)
                                 and all(isinstance(v, int) and v >= 0 for v in view[1:])):
        raise CorruptCheckpointError(f"{where}: invalid storage view {view!r}")
    return pid[1:]


def load_legacy(f, where: str, map_location, weights_only: bool, encoding: str = "utf-8"):
    """Unpickle a legacy checkpoint from the seekable binary file ``f``."""

    def small(what):
        return CheckpointUnpickler(f, None, True, where, encoding).load()

    if small("magic number") != MAGIC_NUMBER:
        raise CorruptCheckpointError(f"{where}: invalid magic number; not a checkpoint or a "
                                     "corrupt file")
    version = small("protocol version")
    if version != PROTOCOL_VERSION:
        raise CorruptCheckpointError(f"{where}: invalid protocol version {version!r}")
    info = small("sys info")
    little = info.get("little_endian", True) if isinstance(info, dict) else True
    order = "<" if little else ">"
    start = f.tell()

    specs: dict[str, tuple] = {}  # key -> (storage name, location, numel)
    views: dict[str, tuple] = {}  # view key -> (root key, offset, size)

    def dry_load(pid):
        stype, key, location, numel, view = _parse_pid(pid, where)
        raw_dtype = storage_dtype(stype.name, where)[0]
        if key not in specs:
            specs[key] = (stype.name, location, numel)
        if view is not None:
            views[view[0]] = (key, view[1], view[2])
            return LoadedStorage(np.empty(view[2], dtype=raw_dtype))
        return LoadedStorage(np.empty(numel, dtype=raw_dtype))

    CheckpointUnpickler(f, dry_load, weights_only, where, encoding).load()
    keys = small("storage keys")
    if not isinstance(keys, list) or set(keys) != set(specs) or \
            not all(isinstance(k, str) for k in keys):
        raise CorruptCheckpointError(f"{where}: the storage key list does not match the "
                                     "storages the object uses")
    end = f.tell()
    storages: dict[str, LoadedStorage] = {}
    warned = False
    for key in keys:
        name, location, numel = specs[key]
        raw_dtype = storage_dtype(name, where)[0].newbyteorder(order)
        count = np.frombuffer(_read_exact(f, 8, where), dtype=f"{order}i8")[0]
        if count != numel:
            raise CorruptCheckpointError(f"{where}: storage {key} holds {count} elements, "
                                         f"{numel} expected")
        host = np.empty(numel, dtype=raw_dtype)
        _read_into(f, host, where)
        if not host.dtype.isnative:
            host = host.byteswap().view(host.dtype.newbyteorder("="))
        if storage_dtype(name, where)[2]:
            if not warned:
                import warnings
                warnings.warn(f"{where}: torch.{name} widened to ember.float32 (ember has no "
                              "bfloat16 dtype)", UserWarning, stacklevel=3)
                warned = True
            host = widen(host, name)
        storages[key] = LoadedStorage(restore(host, location, map_location, where))
    for vkey, (root, offset, size) in views.items():
        base = storages[root]
        if offset + size > base.array.size:
            raise CorruptCheckpointError(f"{where}: storage view {vkey} is out of bounds")
        storages[vkey] = view = LoadedStorage(base.array[offset:offset + size])
        view.vc = base.vc

    def real_load(pid):
        _, key, _, _, v = _parse_pid(pid, where)
        return storages[v[0] if v is not None else key]

    f.seek(start)
    obj = CheckpointUnpickler(f, real_load, weights_only, where, encoding).load()
    f.seek(end)
    return obj


def _read_exact(f, n: int, where: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise CorruptCheckpointError(f"{where}: the file is truncated")
    return data


def _read_into(f, out: np.ndarray, where: str) -> None:
    view = memoryview(out.view(np.uint8))
    got = 0
    while got < len(view):
        n = f.readinto(view[got:])
        if not n:
            raise CorruptCheckpointError(f"{where}: the file is truncated")
        got += n
