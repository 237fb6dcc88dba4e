"""``Parameter``, ``Buffer`` and the uninitialised placeholders used by lazy modules.

A :class:`Parameter` is a :class:`~ember.Tensor` subclass that a :class:`~ember.nn.Module`
registers as a learnable parameter when assigned as an attribute; it shares its data with the
tensor it was made from and requires grad by default.  :class:`Buffer` marks a tensor to be
registered as a (persistent or not) buffer.

Example:
    >>> import ember
    >>> p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    >>> p
    Parameter containing:
    tensor([1., 2.], requires_grad=True)
"""

from __future__ import annotations

import sys as _sys

import numpy as np

from .. import _device as D
from .. import _dtype as T
from .._tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           "UninitializedTensorMixin", "is_lazy"]


def _wrap(cls, data, requires_grad):
    """A ``cls`` instance sharing ``data``'s array and version counter (a leaf)."""
    if data is None:
        data = Tensor._make(np.empty((0,), dtype=T.get_default_dtype().np))
    if not isinstance(data, Tensor):
        raise TypeError(f"{cls.__name__}(): argument 'data' must be a Tensor, not "
                        f"{type(data).__name__}")
    t = cls._make(data._data, False, vc=data._vc)
    if requires_grad:
        t.requires_grad = True  # raises for integer dtypes, like PyTorch
    return t


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning one to a Module attribute registers it.

    Args:
        data (Tensor, optional): the values (shared, not copied). Default: an empty tensor.
        requires_grad (bool): whether the parameter requires gradient. Default: ``True``.

    Raises:
        RuntimeError: ``requires_grad=True`` with an integer ``data``.

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.zeros(2, 3))
        >>> w.requires_grad, w.shape
        (True, ember.Size([2, 3]))
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad: bool = True):
        return _wrap(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _BufferMeta(type):
    # NOTE: like PyTorch, a Buffer is a plain Tensor flagged ``_is_buffer``; isinstance works
    # through this metaclass.
    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and bool(instance.__dict__.get("_is_buffer"))
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor as a module buffer: assigning it to a Module attribute registers it.

    ``Buffer(data)`` returns a plain :class:`~ember.Tensor` sharing ``data``'s values, flagged
    so that ``isinstance(x, Buffer)`` is true and ``Module.__setattr__`` calls
    ``register_buffer(name, x, persistent)``.

    Args:
        data (Tensor, optional): the values (shared). Default: an empty tensor.
        persistent (bool): whether the buffer goes into ``state_dict``. Default: ``True``.

    Example:
        >>> import ember
        >>> b = ember.nn.Buffer(ember.zeros(2))
        >>> isinstance(b, ember.nn.Buffer), type(b).__name__
        (True, 'Tensor')
    """

    __slots__ = ()

    def __new__(cls, data=None, *, persistent: bool = True):
        if data is None:
            data = Tensor._make(np.empty((0,), dtype=T.get_default_dtype().np))
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer(): argument 'data' must be a Tensor, not "
                            f"{type(data).__name__}")
        t = Tensor._make(data._data, data._rg and data.grad_fn is None, vc=data._vc)
        t.__dict__["_is_buffer"] = True
        t.__dict__["persistent"] = bool(persistent)
        return t


def _uninit_error(name: str):
    return ValueError(f"Attempted to use an uninitialized parameter in {name}. This error "
                      "happens when you are using a `LazyModule` or explicitly manipulating "
                      "`ember.nn.parameter.UninitializedParameter` objects. When using "
                      "LazyModules Call `forward` with a dummy batch to initialize the "
                      "parameters before calling ember functions")


class UninitializedTensorMixin:
    """Shared behaviour of the uninitialised placeholders: no shape until ``materialize``."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Allocate (uninitialised) data of ``shape`` and turn into ``cls_to_become``.

        Args:
            shape (tuple or int): the shape of the data.
            device (device, optional): default: the placeholder's device.
            dtype (dtype, optional): default: the placeholder's dtype.
        """
        if isinstance(shape, int):
            shape = (shape,)
        dev = D.canonical(D.to_device(device)) if device is not None else self.device
        dt = T.to_dtype(dtype) if dtype is not None else self.dtype
        xp = D.array_module(dev)
        with D.device_guard(dev):
            self._data = xp.empty(tuple(int(s) for s in shape), dtype=dt.np)
        self._vc[0] += 1
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. "
                           "This error usually happens in `load_state_dict` when trying to load "
                           "an uninitialized parameter into an initialized one. Call `forward` "
                           "to initialize the parameters before accessing their attributes.")

    def size(self, dim=None):
        raise _uninit_error("size")

    def numel(self) -> int:
        raise _uninit_error("numel")

    def dim(self) -> int:
        raise _uninit_error("dim")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        raise RuntimeError(f"'{type(self).__name__}' must be initialized before pickling")

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        new = type(self)(self.requires_grad, device=self.device, dtype=self.dtype)
        memo[id(self)] = new
        return new


def is_lazy(param) -> bool:
    """True if ``param`` is an uninitialised placeholder (lazy module not yet run)."""
    return isinstance(param, UninitializedTensorMixin)


def _empty(device, dtype):
    dev = D.canonical(D.to_device(device)) if device is not None else D.CPU
    dt = T.to_dtype(dtype) if dtype is not None else T.get_default_dtype()
    xp = D.array_module(dev)
    with D.device_guard(dev):
        return Tensor._make(xp.empty((0,), dtype=dt.np))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter with no shape yet (used by lazy modules); ``materialize`` gives it one.

    Args:
        requires_grad (bool): default ``True``.
        device, dtype: where and of which type the data will be materialised.

    Example:
        >>> import ember
        >>> p = ember.nn.UninitializedParameter()
        >>> p.materialize((2, 3)); type(p).__name__, tuple(p.shape)
        ('Parameter', (2, 3))
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        return _wrap(cls, _empty(device, dtype), requires_grad)

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer with no shape yet (used by lazy modules); ``materialize`` gives it one.

    Args:
        requires_grad (bool): default ``False``.
        device, dtype: where and of which type the data will be materialised.
    """

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None):
        return _wrap(cls, _empty(device, dtype), requires_grad)

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        pass


# ember.multiprocessing imported before ember.nn: hand it the Parameter type (see
# ember/multiprocessing/reductions.py, which registers Parameter itself in the other order)
if "ember.multiprocessing.reductions" in _sys.modules:
    _sys.modules["ember.multiprocessing.reductions"].register_tensor_type(Parameter)
