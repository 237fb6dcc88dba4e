"""Unpickling checkpoints: the allow-list, the user's safe globals and PyTorch's rebuilders.

With ``weights_only=True`` (the default) :class:`CheckpointUnpickler` resolves a GLOBAL only
if it is in :data:`_ALLOWED` (containers, numbers, ``torch`` tensor rebuilders, storages,
dtypes, ``torch.Size``/``device``, numpy scalars/arrays, ``argparse.Namespace``) or was
allowed by :func:`add_safe_globals` / :class:`safe_globals`. Everything an unpickler can call
comes from ``find_class``, so nothing else runs. With ``weights_only=False`` any global is
imported, ``torch.*`` names being mapped to ember's.
"""

from __future__ import annotations

import _compat_pickle
import argparse
import builtins
import codecs
import collections
import importlib
import pickle
import warnings

import numpy as np

from .. import _device as D
from .. import _dtype as T
from .._size import Size
from .._tensor import Tensor
from ._storage_types import TORCH_DTYPE_NAMES, UNSUPPORTED_DTYPES, ember_dtype


class CorruptCheckpointError(pickle.UnpicklingError, RuntimeError):
    """A checkpoint file that is truncated, corrupted or not a checkpoint at all."""


class GlobalError(pickle.UnpicklingError):
    """A global the checkpoint needs but that is not allowed (or has no ember counterpart)."""


class StorageType:
    """The ``torch.<X>Storage`` class named in a persistent id."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


class LoadedStorage:
    """One storage read from a checkpoint: a 1-D array of its (ember) dtype on its device.

    Tensors built on it share one version counter; views use :meth:`root` as ``_base``.
    """

    __slots__ = ("array", "vc", "_root", "typed")

    def __init__(self, array) -> None:
        self.array = array
        self.vc = [0]
        self._root = None
        self.typed: dict = {}  # dtype -> reinterpretation (``_rebuild_tensor_v3``)

    def root(self) -> Tensor:
        """A 1-D tensor over the whole storage."""
        if self._root is None:
            self._root = Tensor._make(self.array, vc=self.vc)
        return self._root


def _check_ints(value, what: str) -> tuple:
    if not isinstance(value, (tuple, list)) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise CorruptCheckpointError(f"_rebuild_tensor_v2: {what} must be a tuple of ints, "
                                     f"got {value!r}")
    return tuple(value)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    """Tensor ``size``/``stride`` (elements) at ``storage_offset`` of ``storage``."""
    if not isinstance(storage, LoadedStorage):
        raise CorruptCheckpointError(
            f"_rebuild_tensor_v2: expected a storage, got {type(storage).__name__}")
    size, stride = _check_ints(size, "size"), _check_ints(stride, "stride")
    if not isinstance(storage_offset, int) or storage_offset < 0 or len(size) != len(stride) \
            or any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise CorruptCheckpointError(
            f"_rebuild_tensor_v2: invalid layout offset={storage_offset!r}, size={size}, "
            f"stride={stride}")
    arr = storage.array
    n = arr.size
    numel = 1
    for d in size:
        numel *= d
    last = storage_offset + sum((d - 1) * s for d, s in zip(size, stride, strict=True)) \
        if numel else 0
    if numel and last >= n:
        raise CorruptCheckpointError(
            f"_rebuild_tensor_v2: size {size} with stride {stride} at offset "
            f"{storage_offset} is out of bounds for a storage of {n} elements")
    item = arr.dtype.itemsize
    if numel == n and storage_offset == 0 and _is_contiguous(size, stride):
        t = Tensor._make(arr.reshape(size), vc=storage.vc)
    else:
        xp = D.array_module(D.device_of_array(arr))
        base = arr[storage_offset:] if numel else arr[:0]
        view = xp.lib.stride_tricks.as_strided(
            base, shape=size, strides=tuple(s * item for s in stride))
        t = Tensor._make(view, vc=storage.vc, base=storage.root())
    if metadata:
        t = _apply_metadata(t, metadata)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _apply_metadata(t: Tensor, metadata) -> Tensor:
    """Resolve PyTorch's lazy ``conj``/``neg`` bits (ember has none): a materialised copy."""
    if not isinstance(metadata, dict) or not set(metadata) <= {"conj", "neg"}:
        raise CorruptCheckpointError(f"_rebuild_tensor_v2: unsupported tensor metadata "
                                     f"{metadata!r:.80}")
    arr = t._data
    if metadata.get("conj"):
        arr = arr.conj()
    if metadata.get("neg"):
        arr = -arr
    return Tensor._make(arr) if arr is not t._data else t


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    """Like :func:`_rebuild_tensor_v2` on an untyped (byte) storage, with an explicit dtype."""
    if not isinstance(storage, LoadedStorage) or not isinstance(dtype, T.dtype):
        raise CorruptCheckpointError("_rebuild_tensor_v3: expected a storage and a dtype")
    if storage.array.nbytes % dtype.itemsize:
        raise CorruptCheckpointError(f"_rebuild_tensor_v3: a storage of {storage.array.nbytes} "
                                     f"bytes cannot hold {dtype} elements")
    typed = storage.typed.get(dtype)
    if typed is None:
        typed = storage.typed[dtype] = LoadedStorage(storage.array.view(dtype.np))
        typed.vc = storage.vc
    return _rebuild_tensor_v2(typed, storage_offset, size, stride, requires_grad,
                              backward_hooks, metadata)


def _is_contiguous(size, stride) -> bool:
    expect = 1
    for d, s in zip(reversed(size), reversed(stride), strict=True):
        if d != 1 and s != expect:
            return False
        expect *= d
    return True


def _rebuild_tensor(storage, storage_offset, size, stride):
    """Pre-1.0 rebuilder (no requires_grad / hooks arguments)."""
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    """A :class:`~ember.nn.Parameter` around the rebuilt ``data``."""
    from ..nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise CorruptCheckpointError(f"_rebuild_parameter: expected a tensor, got "
                                     f"{type(data).__name__}")
    return Parameter(data, bool(requires_grad))


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad, backward_hooks)
    _set_state(p, state)
    return p


def _set_state(t: Tensor, state) -> None:
    if not state:
        return
    if isinstance(state, tuple):  # (dict_state, slots_state)
        state = {**(state[0] or {}), **(state[1] or {})}
    if not isinstance(state, dict):
        raise CorruptCheckpointError(f"tensor state must be a dict, got {type(state).__name__}")
    for k, v in state.items():
        if not isinstance(k, str) or k.startswith("__"):
            raise CorruptCheckpointError(f"invalid tensor attribute name {k!r}")
        t.__dict__[k] = v


def _rebuild_from_type_v2(func, new_type, args, state):
    """``func(*args)`` as ``new_type`` (Tensor or Parameter) with attributes ``state``."""
    from ..nn.parameter import Parameter
    if not callable(func) or not isinstance(args, tuple):
        raise CorruptCheckpointError("_rebuild_from_type_v2: invalid arguments")
    t = func(*args)
    if new_type is Parameter and not isinstance(t, Parameter):
        t = Parameter(t, t.requires_grad)
    elif new_type is not Tensor and new_type is not Parameter:
        raise CorruptCheckpointError(f"_rebuild_from_type_v2: unsupported tensor type "
                                     f"{new_type!r}")
    _set_state(t, state)
    return t


class _Refused:
    """A torch feature ember cannot load; calling it raises a clear error."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __call__(self, *args, **kwargs):
        raise GlobalError(f"the checkpoint holds {self.what}, which ember does not "
                                     "support")


def _torch_dtype(name: str):
    if name == "bfloat16":
        warnings.warn("the checkpoint names torch.bfloat16; ember has no bfloat16 dtype and "
                      "uses ember.float32", UserWarning, stacklevel=2)
        return ember_dtype("float32")
    return ember_dtype(TORCH_DTYPE_NAMES[name])


def _torch_global(module: str, name: str):
    """ember's counterpart of a ``torch`` global used by checkpoints, or None."""
    from ..nn.parameter import Parameter
    if module == "torch":
        if name.endswith("Storage"):
            return StorageType(name)
        if name in TORCH_DTYPE_NAMES or name == "bfloat16":
            return _torch_dtype(name)
        if name in UNSUPPORTED_DTYPES:
            raise GlobalError(f"the checkpoint uses torch.{name}, a dtype ember does not "
                              f"support (supported: {', '.join(sorted(TORCH_DTYPE_NAMES))})")
        return {"Size": Size, "device": D.device, "Tensor": Tensor}.get(name)
    if module == "torch._utils":
        refused = {"_rebuild_qtensor": "a quantized tensor",
                   "_rebuild_sparse_tensor": "a sparse tensor",
                   "_rebuild_nested_tensor": "a nested tensor",
                   "_rebuild_meta_tensor_no_storage": "a meta tensor",
                   "_rebuild_wrapper_subclass": "a tensor subclass",
                   "_rebuild_device_tensor_from_numpy": "a tensor of an accelerator device"}
        if name in refused:
            return _Refused(refused[name])
        return {"_rebuild_tensor_v2": _rebuild_tensor_v2, "_rebuild_tensor": _rebuild_tensor,
                "_rebuild_tensor_v3": _rebuild_tensor_v3,
                "_rebuild_parameter": _rebuild_parameter,
                "_rebuild_parameter_with_state": _rebuild_parameter_with_state}.get(name)
    if module == "torch.serialization" and name == "_get_layout":
        return _Refused("a tensor with a non-strided layout (sparse)")
    if module == "torch._tensor" and name == "_rebuild_from_type_v2":
        return _rebuild_from_type_v2
    if module == "torch.nn.parameter" and name == "Parameter":
        return Parameter
    if module == "torch.storage" and name in ("UntypedStorage", "TypedStorage"):
        return StorageType("UntypedStorage")
    return None


class _Name:
    """A global that may only appear as an argument (``numpy.ndarray`` for _reconstruct)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_NDARRAY = _Name("numpy.ndarray")


def _reconstruct_empty(subtype, shape, dtype):
    """numpy's array-unpickling entry point, limited to the empty shell numpy pickles
    (``_reconstruct(ndarray, (0,), b'b')``; the data arrive through a checked BUILD)."""
    if subtype is not _NDARRAY or tuple(shape) != (0,):
        raise CorruptCheckpointError(f"numpy _reconstruct: unexpected arguments "
                                     f"({subtype!r}, {shape!r})")
    return np.ndarray.__new__(np.ndarray, (0,), np.uint8)


def _np_dtype(obj, align=False, copy=False):
    """``numpy.dtype`` as numpy pickles it: ``dtype('f8', False, True)``."""
    if not isinstance(obj, str) or not isinstance(align, bool) or not isinstance(copy, bool):
        raise CorruptCheckpointError(f"numpy.dtype: unexpected arguments {obj!r:.40}")
    try:
        return np.dtype(obj, align=align, copy=copy)
    except (TypeError, ValueError, SyntaxError) as e:
        raise CorruptCheckpointError(f"numpy.dtype: invalid dtype {obj!r:.40}") from e


def _np_scalar(dtype, data=None):
    """``numpy.core.multiarray.scalar(dtype, bytes)``: a numpy scalar from its raw bytes."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject or dtype.fields is not None or \
            not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise CorruptCheckpointError("numpy scalar: unexpected arguments")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def check_build(inst, state) -> None:
    """Validate the state of a BUILD on numpy objects (their ``__setstate__`` trusts it)."""
    if isinstance(inst, np.ndarray):
        ok = isinstance(state, tuple) and len(state) == 5 and state[0] == 1 and isinstance(
            state[1], tuple) and all(type(d) is int and d >= 0 for d in state[1]) and \
            isinstance(state[2], np.dtype) and isinstance(state[3], bool)
        if ok:
            n = 1
            for d in state[1]:
                n *= d
            dt, raw = state[2], state[4]
            ok = (dt.fields is None and not dt.hasobject and isinstance(raw, bytes)
                  and len(raw) == n * dt.itemsize)
        if not ok:
            raise CorruptCheckpointError("numpy array: invalid pickled state")
    elif isinstance(inst, np.dtype):
        if not (isinstance(state, tuple) and len(state) == 8 and state[0] == 3
                and state[1] in ("<", ">", "|", "=") and state[2:5] == (None, None, None)
                and state[5] == -1 and state[6] == -1 and state[7] == 0):
            raise CorruptCheckpointError("numpy dtype: invalid pickled state")


def _bytearray(*args):
    """``bytearray`` as protocol-2 pickles call it, ``(str, 'latin-1')`` or ``(bytes,)``.

    NOTE: ``bytearray(n)`` would zero-fill n bytes: a crafted file could stall the load.
    """
    if args and not isinstance(args[0], (str, bytes)):
        raise CorruptCheckpointError(f"bytearray: unexpected argument {args[0]!r:.40}")
    return bytearray(*args)


def _bytes(*args):
    """``bytes()``: protocol-2 pickles write ``b''`` as a call without arguments."""
    if args:
        raise CorruptCheckpointError("bytes: unexpected arguments")
    return b""


def _encode(obj, encoding="utf-8"):
    """``_codecs.encode`` as protocol-2 pickles use it for bytes: ``(str, 'latin1')``."""
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
        raise CorruptCheckpointError(f"_codecs.encode: unexpected encoding {encoding!r:.40}")
    return codecs.encode(obj, encoding)


def _numpy_globals() -> dict:
    table = {"numpy.ndarray": _NDARRAY, "numpy.dtype": _np_dtype}
    for core in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[f"{core}._reconstruct"] = _reconstruct_empty
        table[f"{core}.scalar"] = _np_scalar
    return table


# weights_only=True: fully qualified name -> object (torch names are resolved separately).
# NOTE: nothing here may turn a small pickle into unbounded work (no ``range``, no
# ``bytearray(int)``): arguments come from the pickle, so they are bounded by its size.
_ALLOWED = {
    "collections.OrderedDict": collections.OrderedDict,
    "builtins.set": builtins.set, "builtins.frozenset": builtins.frozenset,
    "builtins.slice": builtins.slice, "builtins.complex": builtins.complex,
    "builtins.bytearray": _bytearray, "builtins.bytes": _bytes,
    "_codecs.encode": _encode,
    "argparse.Namespace": argparse.Namespace,
    **_numpy_globals(),
}

_USER_SAFE: dict[str, object] = {}


def _qualname(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals: list) -> None:
    """Allow-list globals for ``ember.load(weights_only=True)``.

    Args:
        safe_globals (list): objects (classes, functions), or ``(obj, "module.name")`` pairs
            when the checkpoint names the object differently from ``obj.__module__``.

    Raises:
        TypeError: an entry that is neither.

    Example:
        >>> import ember, argparse
        >>> ember.serialization.add_safe_globals([argparse.ArgumentParser])
        >>> argparse.ArgumentParser in ember.serialization.get_safe_globals()
        True
        >>> ember.serialization.clear_safe_globals()
    """
    for entry in safe_globals:
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str):
            _USER_SAFE[entry[1]] = entry[0]
        elif hasattr(entry, "__module__") and hasattr(entry, "__qualname__"):
            _USER_SAFE[_qualname(entry)] = entry
        else:
            raise TypeError("add_safe_globals: expected a class or function, or an "
                            f"(object, 'module.name') tuple, got {entry!r}")


def get_safe_globals() -> list:
    """The globals added by :func:`add_safe_globals` (not the built-in allow-list)."""
    return list(_USER_SAFE.values())


def clear_safe_globals() -> None:
    """Forget every global added by :func:`add_safe_globals`."""
    _USER_SAFE.clear()


class safe_globals:
    """Context manager allow-listing globals inside its ``with`` block only.

    Args:
        safe_globals (list): as for :func:`add_safe_globals`.

    Example:
        >>> import ember, argparse
        >>> with ember.serialization.safe_globals([argparse.ArgumentParser]):
        ...     len(ember.serialization.get_safe_globals())
        1
        >>> ember.serialization.get_safe_globals()
        []
    """

    def __init__(self, safe_globals: list) -> None:
        self._globals = safe_globals

    def __enter__(self):
        self._saved = dict(_USER_SAFE)
        add_safe_globals(self._globals)
        return self

    def __exit__(self, *exc) -> None:
        _USER_SAFE.clear()
        _USER_SAFE.update(self._saved)


def _refusal(module: str, name: str, where: str) -> GlobalError:
    return GlobalError(
        f"Weights only load failed for {where}: GLOBAL {module}.{name} is not an allowed "
        "global (ember.load uses weights_only=True by default). If you trust this "
        f"class/function, allow it with `ember.serialization.add_safe_globals([{name}])` or "
        f"the `ember.serialization.safe_globals([{name}])` context manager. Loading with "
        "weights_only=False also works but can execute arbitrary code: do it only for files "
        "from a trusted source.")


class CheckpointUnpickler(pickle._Unpickler):
    """Unpickler with the allow-list (``weights_only``) and torch -> ember globals.

    NOTE: built on the pure-Python unpickler (as PyTorch's weights-only one): the C one
    preallocates its memo up to the largest ``LONG_BINPUT`` index, so four crafted bytes make
    it allocate and clear gigabytes. ``data.pkl`` holds structure only, so speed is not lost.

    Args:
        file: binary file with the pickle.
        persistent_load: called with each persistent id (storages).
        weights_only (bool): restrict globals to the allow-list.
        where (str): the file name, for messages.
        encoding (str): for Python 2 strings. Default: ``"utf-8"``.
    """

    def __init__(self, file, persistent_load, weights_only: bool, where: str,
                 encoding: str = "utf-8") -> None:
        super().__init__(file, encoding=encoding)
        self._pload = persistent_load
        self._weights_only = weights_only
        self._where = where

    dispatch = pickle._Unpickler.dispatch.copy()

    def _load_bytearray8(self) -> None:
        # NOTE: the base class allocates the announced size before reading (a crafted length
        # would zero-fill gigabytes); read what is there and check it instead.
        n = int.from_bytes(self.read(8), "little")
        data = self.read(n)
        if len(data) != n:
            raise CorruptCheckpointError(f"{self._where}: truncated BYTEARRAY8 "
                                         f"({len(data)} of {n} bytes)")
        self.append(bytearray(data))

    dispatch[pickle.BYTEARRAY8[0]] = _load_bytearray8

    def _load_build(self) -> None:
        if len(self.stack) >= 2:
            check_build(self.stack[-2], self.stack[-1])
        pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = _load_build

    def persistent_load(self, pid):
        if self._pload is None:
            raise CorruptCheckpointError(f"{self._where}: unexpected persistent id {pid!r}")
        return self._pload(pid)

    def find_class(self, module: str, name: str):
        # Python 2 names, as protocol <= 2 pickles write them (``__builtin__.set`` …)
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        key = f"{module}.{name}"
        if key in _USER_SAFE:
            return _USER_SAFE[key]
        if module == "torch" or module.startswith("torch."):
            obj = _torch_global(module, name)
            if obj is not None:
                return obj
            if self._weights_only:
                raise _refusal(module, name, self._where)
            return _import_torch_as_ember(module, name, self._where)
        if key in _ALLOWED:
            return _ALLOWED[key]
        if self._weights_only:
            raise _refusal(module, name, self._where)
        return super().find_class(module, name)


def _import_torch_as_ember(module: str, name: str, where: str):
    target = "ember" + module[len("torch"):]
    try:
        obj = importlib.import_module(target)
        for part in name.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise GlobalError(f"{where}: the checkpoint needs {module}.{name}, which "
                                     f"has no ember counterpart ({target}.{name})") from None
    return obj
