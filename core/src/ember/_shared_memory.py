"""``Tensor.share_memory_()`` and ``Tensor.is_shared()``: tensors in POSIX shared memory.

The segments themselves are managed by :mod:`ember.multiprocessing._shm`, imported only by
``share_memory_`` (``is_shared`` stays free when no segment exists in this process).
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["share_memory_", "is_shared"]

_SHM = "ember.multiprocessing._shm"


def _ptr(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def is_shared(self) -> bool:
    """Whether this tensor's memory is a shared-memory segment other processes can map.

    True after :meth:`share_memory_` (also for views of the tensor) and for tensors received
    from another process that were shared there; False for tensors received as one-off
    copies (their segment name is already gone).

    Example:
        >>> import ember
        >>> ember.zeros(2).is_shared()
        False
    """
    shm = sys.modules.get(_SHM)
    if shm is None or not isinstance(self._data, np.ndarray):
        return False
    seg = shm.segment_of(self._data)
    return seg is not None and seg.linked


def share_memory_(self):
    """Move this tensor's memory (its base's, so views stay views) into shared memory.

    The tensor keeps its identity, values, dtype, strides and storage offset; views made
    from it before and after see the same memory.  Sending it to another process through an
    :mod:`ember.multiprocessing` queue then passes it by name, and writes on either side are
    visible to both.  A no-op if the memory is already shared and for CUDA tensors.  The
    segment is removed when the last tensor using it is garbage-collected, or at exit.

    Returns:
        Tensor: ``self``.

    Example:
        >>> import ember
        >>> x = ember.arange(4.0)
        >>> x.share_memory_() is x, x.is_shared()
        (True, True)
        >>> x
        tensor([0., 1., 2., 3.])
    """
    if not isinstance(self._data, np.ndarray) or is_shared(self):
        return self
    import importlib
    shm = importlib.import_module(_SHM)
    root = self._base if self._base is not None else self
    ra = root._data
    if not isinstance(ra, np.ndarray):
        return self
    lo, hi = shm.extent(ra)
    slo, shi = shm.extent(self._data)
    if not lo <= slo <= shi <= hi:  # not really inside its base (an alias): move it alone
        root, ra, lo, hi = self, self._data, slo, shi
    seg = shm.create_owned(max(hi - lo, 1))  # NOTE: mmap cannot map 0 bytes
    new = np.ndarray(ra.shape, ra.dtype, buffer=seg, offset=_ptr(ra) - lo, strides=ra.strides)
    np.copyto(new, ra)
    targets = [root, self] + [r() for r in root.__dict__.get("_views", ())]
    for t in targets:
        if t is None or not isinstance(t._data, np.ndarray):
            continue
        a = t._data  # NOTE: old memory stays alive (ra) so old addresses cannot collide
        if a is ra:
            t._data = new
            continue
        vlo, vhi = shm.extent(a)
        if lo <= vlo <= vhi <= hi and a.size:
            t._data = np.ndarray(a.shape, a.dtype, buffer=seg, offset=_ptr(a) - lo,
                                 strides=a.strides)
    return self

