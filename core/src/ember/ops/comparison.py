"""Comparisons, logical ops, ``where`` and ``clamp``.

Comparisons promote their operands like arithmetic does and return bool tensors.

Example:
    >>> import ember
    >>> x = ember.tensor([-2.0, 0.5, 3.0])
    >>> ember.where(x > 0, x, 0.0)
    tensor([0.0000, 0.5000, 3.0000])
    >>> x.clamp(-1, 1)
    tensor([-1.0000,  0.5000,  1.0000])
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as T
from .._tensor import Tensor
from ..autograd.node import Node
from ._dispatch import (
    _state,
    binary_operands,
    check_same_device,
    is_scalar,
    loud,
    quiet,
    wrap,
    xp_of,
)

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "logical_and", "logical_or", "logical_xor", "where", "clamp", "clip",
    "clamp_min", "clamp_max", "isclose", "allclose", "equal", "isin",
]


def _compare(fn, name):
    def f(input, other, *, out=None):
        ta, tb, x, y, dt = binary_operands(name, input, other)
        xp = np if type(x) is np.ndarray or type(y) is np.ndarray else xp_of(
            x if ta is not None else y)
        r = fn(xp, x, y)
        if type(r) is not np.ndarray and isinstance(r, np.generic):
            r = np.asarray(r)
        t = Tensor._make(r)
        return t if out is None else out.copy_(t)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}`` with broadcasting; returns a bool tensor."
    return f


eq = _compare(lambda xp, x, y: x == y, "eq")
ne = not_equal = _compare(lambda xp, x, y: x != y, "ne")
lt = less = _compare(lambda xp, x, y: x < y, "lt")
le = less_equal = _compare(lambda xp, x, y: x <= y, "le")
gt = greater = _compare(lambda xp, x, y: x > y, "gt")
ge = greater_equal = _compare(lambda xp, x, y: x >= y, "ge")
logical_and = _compare(lambda xp, x, y: xp.logical_and(x, y), "logical_and")
logical_or = _compare(lambda xp, x, y: xp.logical_or(x, y), "logical_or")
logical_xor = _compare(lambda xp, x, y: xp.logical_xor(x, y), "logical_xor")


class Where(Node):
    def forward(self, xp, c, x, y):
        self.cond = c
        return xp.where(c, x, y)

    def backward(self, gy):
        c = Tensor._make(self.cond)
        return (gy * c if self.next_functions[0][0] is not None else None,
                gy * ~c if self.next_functions[1][0] is not None else None)

    def _release_extra(self) -> None:
        self.cond = None


def where(condition, input=None, other=None, *, out=None):
    """``input`` where ``condition`` else ``other`` (broadcast); ``where(cond)`` is
    ``nonzero(cond, as_tuple=True)``."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not "
                        f"{type(condition).__name__}")
    if condition._data.dtype != np.bool_:
        if condition._data.dtype == np.uint8:
            c = condition._data.astype(bool)
        else:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {condition.dtype.name.capitalize()}")
    else:
        c = condition._data
    ta, tb, x, y, dt = binary_operands("where", input, other)
    check_same_device("where", condition, ta, tb)
    xp = xp_of(c)
    node = Where()
    r = node.forward(xp, c, x, y)
    if r.dtype != dt.np:
        r = r.astype(dt.np)
    res = wrap(node, (ta, tb), r)
    return res if out is None else out.copy_(res)


class Clamp(Node):
    def forward(self, xp, x, lo, hi):
        self.mask = None
        r = x
        if lo is not None:
            r = xp.maximum(r, lo)
        if hi is not None:
            r = xp.minimum(r, hi)
        r = r.astype(x.dtype, copy=False)
        # NOTE: gradient flows where lo <= x <= hi (boundaries included, as PyTorch)
        m = True
        if lo is not None:
            m = x >= lo
        if hi is not None:
            m = m & (x <= hi)
        self.mask = m
        return r

    def backward(self, gy):
        if self.mask is True:
            return (gy,)
        return (gy * Tensor._make(self.mask),)

    def _release_extra(self) -> None:
        self.mask = None


def _bound(v, name, x):
    if v is None:
        return None
    if isinstance(v, Tensor):
        return v._data.astype(x.dtype, copy=False)
    if not is_scalar(v) and not isinstance(v, np.generic):
        raise TypeError(f"clamp(): argument '{name}' must be a number or Tensor, got "
                        f"{type(v).__name__}")
    return v


def clamp(input, min=None, max=None, *, out=None):
    """Limit ``input`` to ``[min, max]`` (either bound may be omitted, or a tensor)."""
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    x = input._data
    dt = T.result_type(*(v for v in (input, min, max) if v is not None))
    if dt._kind > input.dtype._kind:
        x = x.astype(dt.np)
    lo, hi = _bound(min, "min", x), _bound(max, "max", x)
    node = Clamp()
    tok = quiet()
    try:
        r = node.forward(xp_of(x), x, lo, hi)
    finally:
        loud(tok)
    tensors = (input,)
    res = wrap(node, tensors, r) if _state.enabled and input._rg else Tensor._make(r)
    return res if out is None else out.copy_(res)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """``|input - other| <= atol + rtol * |other|`` elementwise."""
    if isinstance(other, Tensor) and input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype} did not match {other.dtype}")
    ta, tb, x, y, dt = binary_operands("isclose", input, other)
    xp = xp_of(x)
    return Tensor._make(xp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """True when both tensors have the same shape and elements."""
    if input._data.shape != other._data.shape:
        return False
    return bool((input._data == other._data).all())


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    e = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    xp = xp_of(e)
    return Tensor._make(xp.isin(e, t, assume_unique=assume_unique, invert=invert))
