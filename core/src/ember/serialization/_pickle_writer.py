"""Pickle an object the way ``torch.save`` does, without torch installed.

Python's pickler checks every GLOBAL by importing it, so ``torch._utils._rebuild_tensor_v2``
cannot be emitted through the usual ``__reduce__`` route.  :class:`TorchPickler` extends the
pure-Python pickler (``data.pkl`` holds only structure: it is small, so its speed is irrelevant)
with a :class:`Global` marker written verbatim as a ``GLOBAL module\\nname`` opcode, and maps
ember objects to the globals PyTorch uses:

- a Tensor -> ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
  OrderedDict())``, the storage being a persistent id ``('storage', torch.<X>Storage, key,
  location, numel)``; a Parameter wraps that in ``torch._utils._rebuild_parameter``;
- ``ember.float32`` -> ``torch.float32``, ``ember.Size`` -> ``torch.Size``, ``ember.device``
  -> ``torch.device``.

Tensors that view one array share one storage record (offsets and strides in elements), so
views stay views after ``torch.load`` / ``ember.load``.
"""

from __future__ import annotations

import collections
import pickle

import numpy as np

from .. import _dtype as T
from .._device import device as _device
from .._size import Size
from .._tensor import Tensor
from ._storage_types import DTYPE_TO_STORAGE


class Global:
    """A ``module.name`` global written as-is (no import check)."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __eq__(self, other) -> bool:
        return isinstance(other, Global) and (self.module, self.name) == (other.module,
                                                                          other.name)

    def __hash__(self) -> int:
        return hash((self.module, self.name))

    def __call__(self, *args, **kwargs):  # pickle's save_reduce requires a callable
        raise TypeError(f"{self.module}.{self.name} is a pickle placeholder, not callable")


_REBUILD_TENSOR = Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = Global("torch._utils", "_rebuild_parameter")


class _StorageRef:
    """Persistent-id placeholder for one storage (pickled as a BINPERSID tuple)."""

    __slots__ = ("pid",)

    def __init__(self, pid: tuple) -> None:
        self.pid = pid


class Storage:
    """One storage to write: a C-contiguous host array and its record key."""

    __slots__ = ("key", "array")

    def __init__(self, key: str, array: np.ndarray) -> None:
        self.key, self.array = key, array


def _host(a):
    return a if isinstance(a, np.ndarray) else a.get()


def _root_array(t: Tensor):
    return t._base._data if t._base is not None else t._data


def _view_of(a, root):
    """``(offset, strides)`` in elements of ``a`` inside the C-contiguous ``root``, or None."""
    if root.dtype != a.dtype or not root.flags.c_contiguous or root is a:
        return None
    item = a.dtype.itemsize
    start = _ptr(a) - _ptr(root)
    if start < 0 or start % item or any(s < 0 or s % item for s in a.strides):
        return None
    strides = tuple(s // item for s in a.strides)
    last = start // item + sum((n - 1) * s for n, s in zip(a.shape, strides, strict=True) if n > 0)
    if a.size and last >= root.size:
        return None
    return start // item, strides


def _ptr(a) -> int:
    return a.__array_interface__["data"][0] if isinstance(a, np.ndarray) else a.data.ptr


class TorchPickler(pickle._Pickler):
    """Pickler emitting PyTorch's globals for ember objects; collects the storages to write.

    Args:
        file: binary file receiving the pickle (``data.pkl``).
        protocol (int): pickle protocol. Default: 2 (as ``torch.save``).
        legacy (bool): legacy-format persistent ids (with a trailing ``view_metadata``).
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol: int = 2, legacy: bool = False) -> None:
        super().__init__(file, protocol)
        self._legacy = legacy
        self.storages: list[Storage] = []
        self._by_root: dict[int, tuple[Storage, object]] = {}  # id(root array) -> record
        self._keep: list = []  # keeps roots alive so their ids stay unique while pickling

    # -------------------------------------------------------------- storages
    def _new_storage(self, arr) -> Storage:
        s = Storage(str(len(self.storages)), arr)
        self.storages.append(s)
        return s

    def _storage_for(self, t: Tensor):
        """``(storage, offset, strides)`` for ``t``, sharing one storage between views."""
        a, root = t._data, _root_array(t)
        rec = self._by_root.get(id(root))
        if rec is None:
            if root.flags.c_contiguous:
                rec = (self._new_storage(_host(root)), root)
                self._by_root[id(root)] = rec
                self._keep.append(root)
        if rec is not None:
            if a is root:
                return rec[0], 0, tuple(s // a.dtype.itemsize for s in a.strides) \
                    if a.size else _contiguous_strides(a.shape)
            placed = _view_of(a, root)
            if placed is not None:
                return rec[0], placed[0], placed[1]
        # NOTE: a layout torch cannot express (negative strides, a reinterpreted dtype, a
        # non-contiguous base) is saved as its own contiguous copy.
        arr = _host(a)
        own = self._new_storage(np.ascontiguousarray(arr).reshape(-1))
        return own, 0, _contiguous_strides(a.shape)

    def _tensor_reduce(self, t: Tensor):
        storage, offset, strides = self._storage_for(t)
        name = DTYPE_TO_STORAGE[T.from_numpy_dtype(t._data.dtype).name]
        dev = t.device
        location = "cpu" if dev.type == "cpu" else f"cuda:{dev.index or 0}"
        pid = ("storage", Global("torch", name), storage.key, location,
               int(storage.array.size)) + ((None,) if self._legacy else ())
        return (_StorageRef(pid), offset, tuple(t._data.shape), strides, bool(t._rg),
                collections.OrderedDict())

    def reducer_override(self, obj):
        from ..nn.parameter import Parameter
        if isinstance(obj, Tensor):
            if isinstance(obj, Parameter):
                inner = Tensor._make(obj._data, base=obj._base)
                return (_REBUILD_PARAMETER, (inner, bool(obj._rg), collections.OrderedDict()))
            return (_REBUILD_TENSOR, self._tensor_reduce(obj))
        if isinstance(obj, Size):
            return (Global("torch", "Size"), (tuple(obj),))
        if isinstance(obj, _device):
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            return (Global("torch", "device"), args)
        return NotImplemented

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            return obj.pid
        return None

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, T.dtype):
            return self.save_marker(Global("torch", obj.name))
        return super().save(obj, save_persistent_id)

    def save_marker(self, obj: Global) -> None:
        """Write ``GLOBAL module\\nname\\n`` (memoized like any global)."""
        key = (obj.module, obj.name)
        if key in self._globals:
            self.write(self.get(self._globals[key]))
            return
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        idx = len(self.memo)
        self.memo[id(obj)] = idx, obj
        self._keep.append(obj)
        self._globals[key] = idx
        self.write(self.put(idx))

    _globals: dict

    def dump(self, obj) -> None:
        self._globals = {}
        super().dump(obj)

    dispatch[Global] = save_marker


def _contiguous_strides(shape) -> tuple:
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(int(n), 1)
    return tuple(reversed(strides))
