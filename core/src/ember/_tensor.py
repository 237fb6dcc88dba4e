"""The Tensor: an array (numpy or cupy) plus autograd state.

A tensor holds its data array (``t.numpy()`` shares it), ``requires_grad``, ``grad``, the
``grad_fn`` node that produced it, and a version counter shared with its views so that an
in-place change of a value saved for backward is caught.  Math methods and operators are
attached from :mod:`ember._tensor_methods`; this file holds state and conversions only.

Example:
    >>> import ember
    >>> x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
"""

from __future__ import annotations

import numpy as np

from . import _device as D
from . import _dtype as T
from .autograd.node import _RemovableHandle

__all__ = ["Tensor"]

_ndarray = np.ndarray
_generic = np.generic


class Tensor:
    """A multi-dimensional array with autograd.  Create with ``ember.tensor(data)``.

    ``Tensor(data)`` / ``Tensor(*sizes)`` follow PyTorch's legacy constructor (default dtype).
    """

    __slots__ = ("_data", "_rg", "grad_fn", "_vc", "__weakref__", "__dict__")

    # NOTE: rarely-set state lives on the class until a tensor sets its own (in __dict__),
    # so wrapping an array — done once per op — writes four slots only.
    _grad = None
    _output_nr = 0
    _base = None
    _acc = None
    _hooks = None
    _retains_grad = False

    __array_priority__ = 1000  # numpy defers binary operators to ember

    def __init__(self, *args, dtype=None, device=None, requires_grad: bool = False) -> None:
        from .ops.creation import _array_from_data
        dt = T.to_dtype(dtype) if dtype is not None else T.get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], int):
            arr = _array_from_data(args[0], dt, D.to_device(device), copy=True)
        else:
            if not all(isinstance(a, int) for a in args):
                raise TypeError(f"Tensor(): expected a sequence or integer sizes, got {args!r}")
            xp = D.array_module(D.canonical(D.to_device(device)))
            arr = xp.zeros(args, dtype=dt.np)
        Tensor._init(self, arr, requires_grad)

    # ------------------------------------------------------------------ construction
    def _init(self, arr, requires_grad=False, grad_fn=None, output_nr=0, vc=None, base=None):
        self._data = arr
        self._rg = requires_grad
        self.grad_fn = grad_fn
        self._vc = [0] if vc is None else vc
        if output_nr:
            self._output_nr = output_nr
        if base is not None:
            self._base = base

    @classmethod
    def _make(cls, arr, requires_grad=False, grad_fn=None, output_nr=0, vc=None, base=None):
        """Wrap an array (0-d numpy scalars become 0-d arrays) without copying."""
        if type(arr) is not _ndarray and isinstance(arr, _generic):
            arr = np.asarray(arr)
        t = object.__new__(cls)
        t._data = arr
        t._rg = requires_grad
        t.grad_fn = grad_fn
        t._vc = [0] if vc is None else vc
        if output_nr:
            t._output_nr = output_nr
        if base is not None:
            t._base = base
        return t

    @classmethod
    def _from_node(cls, arr, node, nr, vc):
        return cls._make(arr, True, node, nr, vc)

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self):
        from ._size import Size
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape as an ``ember.Size``, or the length of dimension ``dim``."""
        if dim is None:
            return self.shape
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self) -> T.dtype:
        return T._BY_NP[self._data.dtype]

    @property
    def device(self) -> D.device:
        a = self._data
        return D.CPU if type(a) is _ndarray else D.device_of_array(a)

    @property
    def is_cuda(self) -> bool:
        return type(self._data) is not _ndarray

    @property
    def is_cpu(self) -> bool:
        return type(self._data) is _ndarray

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def is_floating_point_(self) -> bool:  # pragma: no cover - alias kept private
        return self._data.dtype.kind == "f"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def is_signed(self) -> bool:
        return self._data.dtype.kind in "fic"

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def layout(self):
        from ._size import strided
        return strided

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version(self) -> int:
        return self._vc[0]

    def _bump(self) -> None:
        """Record an in-place change (the counter is shared with views)."""
        self._vc[0] += 1

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"requires_grad must be a bool, got {type(value).__name__}")
        if self.grad_fn is not None:
            if value:
                return
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               f"gradients, got {self.dtype}")
        self._rg = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return ``self``."""
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad and self._grad is None:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value.dtype is not self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: expected "
                                   f"{self.dtype}, got {value.dtype}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: expected "
                                   f"{tuple(self._data.shape)}, got {tuple(value._data.shape)}")
            if value.device != self.device:
                raise RuntimeError(f"assigned grad has data located on a different device: "
                                   f"expected {self.device}, got {value.device}")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` of this non-leaf after backward (a no-op on leaves)."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        import weakref
        self._retains_grad = True
        self.grad_fn.__dict__.setdefault("_retained", {})[self._output_nr] = weakref.ref(self)
        self.grad_fn._has_hooks = True

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is computed;
        a returned tensor replaces the gradient.  Returns a handle with ``remove()``."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        fn = self.grad_fn
        if fn is not None:  # non-leaf: the hook runs on the grad reaching its grad_fn's output
            lst = fn.__dict__.setdefault("_tensor_hooks", {}).setdefault(self._output_nr, [])
            fn._has_hooks = True
        else:
            if self._hooks is None:
                self._hooks = []
            lst = self._hooks
        lst.append(hook)
        return _RemovableHandle(lst, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs on a leaf after its ``.grad`` has been accumulated."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        lst = self.__dict__.setdefault("_post_acc_hooks", [])
        lst.append(hook)
        return _RemovableHandle(lst, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False,
                 inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``
        (see :func:`ember.autograd.backward`)."""
        from .autograd.engine import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A new tensor sharing data (and version counter) with this one, outside the graph."""
        return Tensor._make(self._data, vc=self._vc, base=self._base)

    def detach_(self) -> Tensor:
        """Detach this tensor from the graph in place, making it a leaf."""
        if self._base is not None and self._base._rg:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._rg = False
        self._output_nr = 0
        return self

    @property
    def data(self) -> Tensor:
        return Tensor._make(self._data, vc=self._vc, base=self._base)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    # ------------------------------------------------------------------ conversions
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a numpy array sharing memory (CPU tensors without grad only, unless
        ``force=True``, which detaches and copies to the host)."""
        if force:
            a = self._data
            return a if type(a) is _ndarray else a.get()
        if self._rg:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if type(self._data) is not _ndarray:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy() if type(self._data) is _ndarray else self._data.get()
        if dtype is not None:
            return a.astype(dtype, copy=bool(copy))
        return a.copy() if copy else a

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        if self._rg:
            raise BufferError("Can't export tensors that require gradient, use "
                               "tensor.detach()")
        kwargs = {}
        if stream is not None:
            kwargs["stream"] = stream
        if max_version is not None:
            kwargs["max_version"] = max_version
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item() if type(self._data) is _ndarray \
            else self._data.get().reshape(()).item()

    def tolist(self):
        """Nested Python lists (a Python number for 0-d tensors)."""
        a = self._data if type(self._data) is _ndarray else self._data.get()
        return a.tolist()

    def stride(self, dim: int | None = None):
        """Strides in elements, as PyTorch reports them."""
        item = self._data.dtype.itemsize
        s = tuple(st // item for st in self._data.strides)
        if dim is None:
            return s
        return s[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        """Offset in elements of this view's first element from its base's start."""
        if self._base is None:
            return 0
        return (_ptr(self._data) - _ptr(self._base._data)) // self._data.dtype.itemsize

    def data_ptr(self) -> int:
        return _ptr(self._data)

    def get_device(self) -> int:
        """The index of the GPU holding this tensor; ``-1`` for a CPU tensor (as PyTorch)."""
        d = self.device
        return -1 if d.type == "cpu" else d.index

    def untyped_storage(self):
        from ._size import UntypedStorage
        root = self._base if self._base is not None else self
        return UntypedStorage(root._data)

    def is_contiguous(self, memory_format=None) -> bool:
        a = self._data
        if memory_format is not None and getattr(memory_format, "name", "") == "channels_last":
            return a.ndim == 4 and a.transpose(0, 2, 3, 1).flags.c_contiguous
        return a.flags.c_contiguous or a.size <= 1

    def is_shared(self) -> bool:
        return bool(self.__dict__.get("_shared", False))

    def __repr__(self) -> str:
        from ._tensor_str import format_tensor
        return format_tensor(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string passed to {type(self).__name__}."
                            "__format__")
        return self.__repr__()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with "
                               f"{'no values' if self._data.size == 0 else 'more than one value'}"
                               " is ambiguous")
        return bool(self.item())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    __hash__ = object.__hash__

    def __reduce_ex__(self, protocol):
        if self.grad_fn is not None:
            raise RuntimeError("Can't pickle a non-leaf tensor that requires grad; detach() it "
                               "first")
        a = self._data if type(self._data) is _ndarray else self._data.get()
        return (_rebuild_tensor, (np.array(a), str(self.device), self._rg,
                                  dict(self.__dict__) if type(self) is not Tensor else None,
                                  type(self)))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        if id(self) in memo:
            return memo[id(self)]
        new = type(self)._make(self._data.copy(), self._rg)
        if type(self) is not Tensor:
            new = type(self).__new__(type(self), new, self._rg) \
                if hasattr(type(self), "_from_tensor") else new
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        import copy
        for k, v in self.__dict__.items():
            if k not in _INTERNAL:  # user attributes only; graph state is not copied
                new.__dict__[k] = copy.deepcopy(v, memo)
        return new


def _rebuild_tensor(arr, device, requires_grad, state=None, cls=None):
    """Unpickle a tensor (a copy of its data on ``device``)."""
    dev = D.to_device(device)
    if dev.type != "cpu":
        dev = D.canonical(dev)
        arr = D.move_array(arr, D.CPU, dev)
    t = (cls or Tensor)._make(arr, bool(requires_grad))
    if state:
        t.__dict__.update({k: v for k, v in state.items() if k not in _INTERNAL})
    return t


_INTERNAL = {"_grad", "_output_nr", "_base", "_acc", "_hooks", "_retains_grad",
             "_post_acc_hooks"}


def _ptr(a) -> int:
    if type(a) is _ndarray:
        return a.__array_interface__["data"][0]
    return a.data.ptr


def _wrap_dim(dim, ndim: int, op: str) -> int:
    """Turn a possibly negative ``dim`` into an index, with PyTorch's IndexError."""
    n = max(ndim, 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim < -n or dim >= n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return int(dim) % n
