"""Moving tensors between dtypes and devices: ``to``, ``cpu``, ``cuda``, ``float`` …

Casts and device copies are differentiable: the gradient is cast/copied back.

Example:
    >>> import ember
    >>> x = ember.tensor([1.5, 2.5])
    >>> x.to(ember.int64), x.double().dtype
    (tensor([1, 2]), ember.float64)
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import _device as D
from .. import _dtype as T
from .._tensor import Tensor
from ..autograd.node import Node
from ._dispatch import loud, quiet, wrap

__all__ = ["to", "cpu", "cuda", "type_as", "type"]


class ToCopy(Node):
    def forward(self, xp, x, dt, src, dst, copy):
        self.src_dtype, self.src, self.dst = T._BY_NP[x.dtype], src, dst
        y = D.move_array(x, src, dst) if src != dst else x
        if dt is not None and y.dtype != dt.np:
            if y.dtype.kind == "c" and dt.np.kind != "c":
                warnings.warn("Casting complex values to real discards the imaginary part",
                              UserWarning, stacklevel=4)
                y = y.real
            y = y.astype(dt.np)
        elif copy and y is x:
            y = x.copy()
        return y

    def backward(self, gy):
        g = gy
        if self.src != self.dst:
            g = to(g, self.src)
        if g.dtype is not self.src_dtype:
            if self.src_dtype._kind < 3 and g.dtype.is_complex:
                from .unary import real
                g = real(g)
            g = to(g, self.src_dtype)
        return (g,)

    def name(self):
        return "ToCopyBackward0"


def _parse(args, kwargs):
    """``to(dtype)``, ``to(device, dtype)``, ``to(other)``, keyword forms."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    if builtins.sum(isinstance(a, Tensor) for a in args) > 1:
        raise TypeError("to() received an invalid combination of arguments: more than one "
                        "Tensor")
    flags = 0
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, T.dtype) or a in (builtins.float, builtins.int, builtins.bool,
                                             builtins.complex):
            dtype = a
        elif isinstance(a, bool):  # positional flags: non_blocking, then copy
            flags += 1
            if flags == 2:
                copy = a
            elif flags > 2:
                raise TypeError("to() received an invalid combination of arguments: more than "
                                "two bool flags (non_blocking, copy)")
        elif isinstance(a, (str, D.device, int)):
            device = a
        else:
            raise TypeError(f"to() received an invalid combination of arguments: got "
                            f"{builtins.type(a).__name__}; expected a dtype, a device, a "
                            "device string or a Tensor")
    return device, dtype, copy


def to(input, *args, **kwargs):
    """``input`` converted to a dtype and/or device; ``input`` itself when nothing changes.

    Forms (as PyTorch): ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``
    (other's device and dtype), keywords ``device=``, ``dtype=``, ``copy=`` (always return a
    new tensor), ``non_blocking=`` (accepted, no effect).  The result is differentiable: the
    gradient flows back cast to the source dtype and device.

    Raises:
        RuntimeError: a CUDA device when CUDA is unusable (the message says why: cupy
            missing, no driver, no device).
        TypeError: arguments that are not a dtype, device or tensor.

    Example:
        >>> import ember
        >>> x = ember.tensor([1.5, -2.5])
        >>> x.to(ember.int64), x.to(ember.float32) is x
        (tensor([ 1, -2]), True)
    """
    device, dtype, copy = _parse(args, dict(kwargs))
    src = input.device
    dst = D.canonical(D.to_device(device)) if device is not None else src
    dt = T.to_dtype(dtype) if dtype is not None else None
    if dst == src and (dt is None or dt.np == input._data.dtype) and not copy:
        return input
    node = ToCopy()
    x = input._data
    tok = quiet()  # NOTE: casting nan/inf to integers is silent in PyTorch
    try:
        with D.device_guard(dst):
            out = node.forward(np, x, dt, src, dst, copy)
    finally:
        loud(tok)
    return wrap(node, (input,), out)


def cpu(input, memory_format=None):
    """``input`` on the CPU (itself when it already is).

    Example:
        >>> import ember
        >>> x = ember.ones(2)
        >>> x.cpu() is x
        True
    """
    return to(input, "cpu")


def cuda(input, device=None, non_blocking: bool = False, memory_format=None):
    """A copy of ``input`` on a CUDA device (``device`` index or device; default current).

    Raises:
        RuntimeError: CUDA is unusable; the message says why (cupy missing, no driver, no
            device).
    """
    if device is None:
        device = "cuda"
    elif isinstance(device, int):
        device = D.device("cuda", device)
    return to(input, device)


def type_as(input, other):
    return to(input, other.dtype)


_LEGACY = {"torch.FloatTensor": T.float32, "torch.DoubleTensor": T.float64,
           "torch.HalfTensor": T.float16, "torch.LongTensor": T.int64, "torch.IntTensor": T.int32,
           "torch.ShortTensor": T.int16, "torch.CharTensor": T.int8, "torch.ByteTensor": T.uint8,
           "torch.BoolTensor": T.bool}


def type(input, dtype=None, non_blocking: bool = False):
    """Without ``dtype``: the legacy type name (``'torch.FloatTensor'``); else cast."""
    if dtype is None:
        inv = {v: k for k, v in _LEGACY.items()}
        name = inv.get(input.dtype, f"torch.{input.dtype.name}")
        return name if input.device.type == "cpu" else name.replace("torch.", "torch.cuda.")
    if isinstance(dtype, str):
        key = dtype.replace("ember.", "torch.")
        on_cuda = ".cuda." in key
        key = key.replace(".cuda.", ".")
        if key not in _LEGACY:
            raise ValueError(f"invalid type: '{dtype}'")
        if on_cuda:
            return to(input, "cuda", _LEGACY[key])
        if input.device.type != "cpu":  # 'torch.FloatTensor' means a CPU tensor
            return to(input, "cpu", _LEGACY[key])
        dtype = _LEGACY[key]
    return to(input, dtype)


def _cast(dt):
    def f(input, memory_format=None):
        return to(input, dt)
    f.__name__ = dt.name
    return f


float_ = _cast(T.float32)
double_ = _cast(T.float64)
half_ = _cast(T.float16)
int_ = _cast(T.int32)
long_ = _cast(T.int64)
short_ = _cast(T.int16)
char_ = _cast(T.int8)
byte_ = _cast(T.uint8)
bool_ = _cast(T.bool)
cfloat_ = _cast(T.complex64)
cdouble_ = _cast(T.complex128)
