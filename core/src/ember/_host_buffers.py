"""Large CPU buffers (convolution columns, padded copies, other temporaries) kept for reuse.

A training step allocates the same large temporaries every time. Large blocks from ``malloc``
go back to the kernel when freed, and fresh memory has to be faulted in again: numpy asks for
transparent huge pages, and where the kernel compacts memory to find them this costs up to
2 ms per MB. Buffers taken here
are given back by their user once nothing can read them any more, and a later request of the
same size reuses them. At most ``_MAX_CACHED`` bytes are kept; :func:`clear` drops them all.
cupy arrays never come here (cupy's memory pool already reuses device memory).
"""

from __future__ import annotations

import math
import threading

import numpy as np

__all__ = ["take", "give", "scratch", "clear", "cached_bytes"]

_MIN_BYTES = 1 << 20      # smaller buffers come and go cheaply through malloc's own lists
_MAX_CACHED = 2 << 30     # bytes kept at most
_lock = threading.Lock()
_free: dict[int, list[np.ndarray]] = {}
_cached = [0]


def take(shape, dtype) -> np.ndarray:
    """An uninitialised C-contiguous array, from the cache when one of its size is there."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    raw = None
    if nbytes >= _MIN_BYTES:
        with _lock:
            bucket = _free.get(nbytes)
            if bucket:
                raw = bucket.pop()
                _cached[0] -= nbytes
    if raw is None:
        raw = np.empty(max(nbytes, 1), dtype=np.uint8)
    return np.ndarray(shape, dtype=dtype, buffer=raw)


def scratch(xp, shape, dtype, zero: bool = False):
    """A temporary array for array module ``xp``: on numpy from :func:`take` (the caller hands
    it back with :func:`give`), on any other module a fresh one (``give`` ignores it). Zeroed
    when ``zero``."""
    if xp is np:
        out = take(shape, dtype)
        if zero:
            out.fill(0)
        return out
    return (xp.zeros if zero else xp.empty)(shape, dtype=dtype)


def give(arr) -> None:
    """Return the buffer behind ``arr`` (an array from :func:`take`, or a view of one).

    The caller guarantees that no array sharing that memory is read again.
    """
    root = arr
    while isinstance(root.base, np.ndarray):
        root = root.base
    if (type(root) is not np.ndarray or root.dtype != np.uint8 or not root.flags.owndata
            or root.nbytes < _MIN_BYTES):
        return
    with _lock:
        if _cached[0] + root.nbytes <= _MAX_CACHED:
            _free.setdefault(root.nbytes, []).append(root)
            _cached[0] += root.nbytes


def clear() -> None:
    """Drop every cached buffer."""
    with _lock:
        _free.clear()
        _cached[0] = 0


def cached_bytes() -> int:
    """Bytes held in the cache now."""
    return _cached[0]
