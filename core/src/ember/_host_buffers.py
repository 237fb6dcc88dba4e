"""Large CPU buffers (convolution columns, padded copies, results of hot ops) kept for reuse.

A training step allocates the same large arrays every time. Large blocks from ``malloc`` go
back to the kernel when freed, and fresh memory has to be faulted in again: numpy asks for
transparent huge pages, and where the kernel compacts memory to find them this costs up to
2 ms per MB (a small CNN train step spent a fifth of its time in page faults). Two ways in:

* :func:`take` / :func:`scratch` — a temporary that its user hands back with :func:`give`
  once nothing can read it any more;
* :func:`empty` / :func:`result` — an array that may outlive its maker (an op's result, a
  loaded tensor): its memory goes back by itself when the last array sharing it is gone
  (the arrays' base is a ctypes view of the buffer, watched by ``weakref.finalize``).

A later request of the same size reuses a returned buffer. At most ``_MAX_CACHED`` bytes are
kept; :func:`clear` drops them all. cupy arrays never come here (cupy's memory pool already
reuses device memory).
"""

from __future__ import annotations

import ctypes
import math
import threading
import weakref
from collections import OrderedDict

import numpy as np

__all__ = ["take", "give", "scratch", "empty", "result", "copy", "ufunc_into", "is_fresh", "clear",
           "cached_bytes"]

_MIN_BYTES = 1 << 20      # smaller buffers come and go cheaply through malloc's own lists
_MAX_CACHED = 2 << 30     # bytes kept at most
_lock = threading.Lock()
_free: dict[int, list[np.ndarray]] = {}   # cached blocks by size (the newest last)
_order: OrderedDict[int, np.ndarray] = OrderedDict()  # every cached block, the oldest first
_cached = [0]


def _raw(nbytes: int) -> np.ndarray:
    """A uint8 block of ``nbytes``: a cached one when there is one, else fresh."""
    if nbytes >= _MIN_BYTES:
        with _lock:
            bucket = _free.get(nbytes)
            if bucket:
                raw = bucket.pop()
                del _order[id(raw)]
                _cached[0] -= nbytes
                return raw
    return np.empty(max(nbytes, 1), dtype=np.uint8)


def _keep(raw: np.ndarray) -> None:
    """Cache ``raw`` (nothing reads it any more), dropping the blocks cached longest ago when
    the cache would hold more than ``_MAX_CACHED`` bytes (a program whose sizes change keeps
    the sizes it uses now)."""
    if raw.nbytes > _MAX_CACHED:
        return
    with _lock:
        while _cached[0] + raw.nbytes > _MAX_CACHED:
            _, old = _order.popitem(last=False)
            bucket = _free[old.nbytes]
            del bucket[next(i for i, b in enumerate(bucket) if b is old)]
            _cached[0] -= old.nbytes
        _free.setdefault(raw.nbytes, []).append(raw)
        _order[id(raw)] = raw
        _cached[0] += raw.nbytes


def take(shape, dtype) -> np.ndarray:
    """An uninitialised C-contiguous array, from the cache when one of its size is there."""
    dtype = np.dtype(dtype)
    return np.ndarray(shape, dtype=dtype, buffer=_raw(math.prod(shape) * dtype.itemsize))


_owner_types: dict[int, type] = {}


def empty(shape, dtype) -> np.ndarray:
    """An uninitialised C-contiguous array whose memory returns to the cache by itself once
    the last array sharing it is gone (arrays under 1 MB: plain ``np.empty``).

    The array's base is a ctypes view of a cached block (numpy stops its chain of bases at a
    non-array, so every view of the array keeps that view alive); ``weakref.finalize`` on it
    caches the block when it dies.
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < _MIN_BYTES:
        return np.empty(shape, dtype=dtype)
    raw = _raw(nbytes)
    kind = _owner_types.get(nbytes)
    if kind is None:
        kind = type("HostBuffer", (ctypes.c_char * nbytes,), {"ember_host_buffer": True})
        if len(_owner_types) < 4096:
            _owner_types[nbytes] = kind
    owner = kind.from_buffer(raw)
    weakref.finalize(owner, _keep, raw).atexit = False
    return np.ndarray(shape, dtype=dtype, buffer=owner)


def is_fresh(arr) -> bool:
    """Whether ``arr`` is the array :func:`empty` made (not a view of one): like an array
    that owns its memory, nothing else sees that memory unless it holds ``arr``."""
    return getattr(type(arr.base), "ember_host_buffer", False)


def ufunc_into(ufunc, x, y):
    """``ufunc(x, y)`` for two numpy arrays of one dtype, its result in an :func:`empty`
    block when that is 1 MiB or more (else numpy's own result)."""
    if type(x) is np.ndarray and type(y) is np.ndarray and x.dtype == y.dtype:
        return ufunc(x, y, out=empty(np.broadcast_shapes(x.shape, y.shape), x.dtype))
    return ufunc(x, y)


def copy(xp, a):
    """A C-contiguous copy of ``a`` in a :func:`result` buffer."""
    out = result(xp, a.shape, a.dtype)
    out[...] = a
    return out


def result(xp, shape, dtype):
    """An uninitialised array for an op's result: :func:`empty` on numpy, ``xp.empty``
    elsewhere."""
    return empty(shape, dtype) if xp is np else xp.empty(shape, dtype=dtype)


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
    _keep(root)


def clear() -> None:
    """Drop every cached buffer."""
    with _lock:
        _free.clear()
        _order.clear()
        _cached[0] = 0


def cached_bytes() -> int:
    """Bytes held in the cache now."""
    return _cached[0]
