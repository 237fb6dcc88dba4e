"""Pickling ember tensors for other processes through shared memory.

:func:`init_reductions` registers reducers with :class:`multiprocessing.reduction.ForkingPickler`
(the pickler behind every ``multiprocessing`` Queue, SimpleQueue, Pipe, Pool and the arguments
of a spawned Process).  A CPU tensor then travels as a small record naming a shared-memory
segment, never as its bytes:

* a tensor whose memory is already shared (``share_memory_()``, or received by name) is sent
  by name and stays shared — writes are visible in both processes (Hogwild);
* any other tensor is copied once into a transient segment that the receiver maps and unlinks
  at once, so received tensors leave nothing in ``/dev/shm``.

The receiver gets a tensor of the same type (``Tensor``/``Parameter``), dtype, shape, strides,
storage offset and ``requires_grad``; ``.grad`` is not sent (as in PyTorch).
"""

from __future__ import annotations

import sys
from multiprocessing.reduction import ForkingPickler

import numpy as np

from .._size import UntypedStorage
from .._tensor import Tensor
from . import _shm

__all__ = ["init_reductions", "reduce_tensor", "rebuild_tensor", "rebuild_empty",
           "reduce_storage", "rebuild_storage"]

_ndarray = np.ndarray


def _ptr(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _user_state(t: Tensor):
    """Python attributes of a Tensor subclass instance (plain tensors send none, as torch)."""
    d = t.__dict__
    if not d or type(t) is Tensor:
        return None
    # NOTE: "_"-prefixed entries are ember's process-local graph/view bookkeeping
    state = {k: v for k, v in d.items() if not k.startswith("_")}
    return state or None


def _layout(a: np.ndarray, origin: int):
    return a.dtype.str, a.shape, a.strides, _ptr(a) - origin


def _root_array(t: Tensor, arr: np.ndarray, lo: int, hi: int):
    """The base tensor's array when ``arr`` lies inside it (so the offset is kept)."""
    base = t._base
    if base is None or not isinstance(base._data, _ndarray) or base._data is arr:
        return None
    ra = base._data
    rlo, rhi = _shm.extent(ra)
    return ra if rlo <= lo and hi <= rhi else None


def reduce_tensor(t: Tensor):
    """``ForkingPickler`` reducer: a record naming the shared segment that holds ``t``.

    A shared ``t`` is described by its segment's name; any other is first copied into a new
    transient segment (only ``t``'s elements; its base's other bytes are not copied).  Empty
    tensors travel inline.

    Args:
        t (Tensor): a CPU tensor that is a leaf or does not require grad.

    Returns:
        tuple: ``(rebuild_function, args)`` for the pickler.

    Raises:
        RuntimeError: for a non-leaf tensor that requires grad, or a CUDA tensor.

    Example:
        >>> import ember
        >>> from multiprocessing.reduction import ForkingPickler
        >>> import ember.multiprocessing  # registers this reducer
        >>> ForkingPickler.loads(ForkingPickler.dumps(ember.arange(4)[1::2]))
        tensor([1, 3])
    """
    if t.grad_fn is not None:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since "
            "autograd does not support crossing process boundaries.  If you just want to "
            "transfer the data, call detach() on the tensor before serializing (e.g., "
            "putting it on the queue).")
    arr = t._data
    if not isinstance(arr, _ndarray):
        raise RuntimeError(
            "ember.multiprocessing: cannot send a CUDA tensor to another process (CUDA IPC "
            "is not supported); move it to the CPU with .cpu() before sending it")
    cls, rg, state = type(t), bool(t._rg), _user_state(t)
    if arr.size == 0:
        return rebuild_empty, (cls, arr.dtype.str, arr.shape, rg, state)
    lo, hi = _shm.extent(arr)
    seg = _shm.segment_of(arr)
    if seg is not None and seg.linked:
        ra = _root_array(t, arr, lo, hi)
        root = None if ra is None or _shm.segment_of(ra) is not seg else _layout(ra, seg.addr)
        handle = (seg.name, False)
        origin = seg.addr
    else:
        ra = _root_array(t, arr, lo, hi)
        if ra is not None:
            lo, hi = _shm.extent(ra)
        # NOTE: only t's own elements are written; the rest of its base's range stays a hole
        # of the tmpfs file (no memory) and reads as zeros on the receiving side
        handle = (_shm.write_transient(hi - lo, arr, _ptr(arr) - lo), True)
        root = None if ra is None else _layout(ra, lo)
        origin = lo
    return rebuild_tensor, (cls, handle, _layout(arr, origin), root, rg, state)


def rebuild_tensor(cls, handle, layout, root, requires_grad, state):
    """Unpickle a tensor sent by :func:`reduce_tensor` (maps its segment, no copy).

    A transient segment is unlinked as soon as it is mapped; a shared one stays linked.

    Raises:
        RuntimeError: if the segment no longer exists.
    """
    name, transient = handle
    seg = _shm.attach(name, transient)
    dtype, shape, strides, offset = layout
    arr = np.ndarray(shape, np.dtype(dtype), buffer=seg, offset=offset, strides=strides)
    base = None
    if root is not None:
        rdtype, rshape, rstrides, roffset = root
        base = Tensor._make(np.ndarray(rshape, np.dtype(rdtype), buffer=seg, offset=roffset,
                                       strides=rstrides))
    t = cls._make(arr, requires_grad, vc=None if base is None else base._vc, base=base)
    if state:
        t.__dict__.update(state)
    return t


def rebuild_empty(cls, dtype, shape, requires_grad, state):
    """Unpickle an empty tensor (it has no memory to share)."""
    t = cls._make(np.empty(shape, np.dtype(dtype)), requires_grad)
    if state:
        t.__dict__.update(state)
    return t


def reduce_storage(storage: UntypedStorage):
    """``ForkingPickler`` reducer for an :class:`UntypedStorage` (its bytes, shared)."""
    arr = storage._arr
    if not isinstance(arr, _ndarray):
        raise RuntimeError(
            "ember.multiprocessing: cannot send a CUDA storage to another process (CUDA IPC "
            "is not supported)")
    return rebuild_storage, (Tensor._make(arr),)


def rebuild_storage(t: Tensor) -> UntypedStorage:
    """Unpickle an :class:`UntypedStorage` sent by :func:`reduce_storage`."""
    return UntypedStorage(t._data)


def _tensor_types():
    # NOTE: Parameter lives in ember.nn, a lazy subpackage that costs ~0.3 s to import; when
    # it is not loaded yet, ember/nn/parameter.py registers Parameter itself on import.
    nn_parameter = sys.modules.get("ember.nn.parameter")
    return [Tensor] if nn_parameter is None else [Tensor, nn_parameter.Parameter]


def register_tensor_type(cls) -> None:
    """Send instances of the Tensor subclass ``cls`` through shared memory too."""
    ForkingPickler.register(cls, reduce_tensor)


def init_reductions() -> None:
    """Register the tensor and storage reducers with ``ForkingPickler`` (idempotent).

    Called when :mod:`ember.multiprocessing` is imported; the registration is global to the
    process, as in PyTorch, so every ``multiprocessing`` context uses it.
    """
    for cls in _tensor_types():
        ForkingPickler.register(cls, reduce_tensor)
    ForkingPickler.register(UntypedStorage, reduce_storage)
