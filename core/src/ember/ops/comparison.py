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
    broadcast_error,
    check_same_device,
    is_scalar,
    loud,
    quiet,
    shape_of,
    wrap,
    xp_of,
)

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "logical_and", "logical_or", "logical_xor", "where", "clamp", "clip",
    "clamp_min", "clamp_max", "isclose", "allclose", "equal", "isin",
]


def _compare(fn, name, ordered=False):
    def f(input, other, *, out=None):
        ta, tb, x, y, dt = binary_operands(name, input, other)
        if ordered and dt._kind == 3:
            raise T.not_implemented(name, dt)
        xp = np if type(x) is np.ndarray or type(y) is np.ndarray else xp_of(
            x if ta is not None else y)
        try:
            r = fn(xp, x, y)
        except ValueError:
            err = broadcast_error(name, shape_of(x), shape_of(y))
            if err is None:
                raise
            raise err from None
        if type(r) is not np.ndarray and isinstance(r, np.generic):
            r = np.asarray(r)
        t = Tensor._make(r)
        return t if out is None else out.copy_(t)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Elementwise ``{name}`` with broadcasting and type promotion; a bool tensor."
                 + ("\n\n    Raises:\n        NotImplementedError: complex operands (no order)."
                    "\n" if ordered else ""))
    return f


eq = _compare(lambda xp, x, y: x == y, "eq")
ne = not_equal = _compare(lambda xp, x, y: x != y, "ne")
lt = less = _compare(lambda xp, x, y: x < y, "lt", True)
le = less_equal = _compare(lambda xp, x, y: x <= y, "le", True)
gt = greater = _compare(lambda xp, x, y: x > y, "gt", True)
ge = greater_equal = _compare(lambda xp, x, y: x >= y, "ge", True)
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
    """``input`` where ``condition`` is true, else ``other`` (all three broadcast).

    ``input``/``other`` may be Python numbers; the result dtype follows type promotion
    (``where(c, int8_tensor, 2.5)`` is float32).  ``where(condition)`` alone is
    ``nonzero(condition, as_tuple=True)``.

    Raises:
        RuntimeError: a condition that is not bool (uint8 is accepted), shapes that do not
            broadcast.

    Example:
        >>> import ember
        >>> ember.where(ember.tensor([True, False]), ember.tensor([1.0, 2.0]), 0.0)
        tensor([1., 0.])
    """
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not "
                        f"{type(condition).__name__}")
    c = condition._data
    if c.dtype != np.bool_:
        if c.dtype != np.uint8:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {T.scalar_type_name(condition.dtype)}")
        c = c.astype(bool)
    xp = xp_of(c)
    dt = T.result_type(input, other)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        # two Python numbers: their promoted dtype, on the condition's device
        input = Tensor._make(xp.asarray(input, dtype=dt.np))
    _check_int_range("where", dt, input, other)
    ta, tb, x, y, dt = binary_operands("where", input, other)
    check_same_device("where", condition, ta, tb)
    node = Where()
    try:
        r = node.forward(xp, c, x, y)
    except ValueError:
        err = broadcast_error("where", c.shape, shape_of(x), shape_of(y))
        if err is None:
            raise
        raise err from None
    if r.dtype != dt.np:
        r = r.astype(dt.np)
    res = wrap(node, (ta, tb), r)
    return res if out is None else out.copy_(res)


def _check_int_range(op: str, dt, *values) -> None:
    """PyTorch refuses a Python int that the integer result dtype cannot hold (``where``,
    ``clamp``; arithmetic instead wraps it around)."""
    if dt._kind != 1:
        return
    info = np.iinfo(dt.np)
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool) and not info.min <= v <= info.max:
            raise RuntimeError(f"{op}(): value {v} cannot be converted to type {dt} without "
                               f"overflow")


class Clamp(Node):
    """``min(max(x, lo), hi)``; ``lo``/``hi`` are arrays, Python numbers or None."""

    def forward(self, xp, x, lo, hi):
        r = x
        if lo is not None:
            r = xp.maximum(r, lo)
        if hi is not None:
            r = xp.minimum(r, hi)
        self.lo, self.hi = lo, hi
        return r.astype(x.dtype, copy=False)

    def backward(self, gy):
        # NOTE: PyTorch's rule: x gets the gradient where lo <= x <= hi (bounds included, NaN
        # excluded); lo where x < lo <= hi; hi where x > hi or hi < lo (hi wins when inverted)
        x = self.saved[0]
        lo, hi = _bound_tensor(self.lo), _bound_tensor(self.hi)
        keep = True
        if lo is not None:
            keep = x >= lo
        if hi is not None:
            keep = (x <= hi) if keep is True else keep & (x <= hi)
        gx = gy * keep if self.next_functions[0][0] is not None else None
        glo = ghi = None
        if len(self.next_functions) > 1 and self.next_functions[1][0] is not None:
            m = x < lo
            glo = gy * (m if hi is None else m & (lo <= hi))
        if len(self.next_functions) > 2 and self.next_functions[2][0] is not None:
            m = x > hi
            ghi = gy * (m if lo is None else m | (hi < lo))
        return gx, glo, ghi

    def _release_extra(self) -> None:
        self.lo = self.hi = None


def _bound_tensor(v):
    return Tensor._make(v) if v is not None and hasattr(v, "dtype") else v


def _bound(v, name):
    if v is None or isinstance(v, Tensor):
        return v
    if isinstance(v, np.generic):
        return v.item()
    if not is_scalar(v):
        raise TypeError(f"clamp(): argument '{name}' must be a number or Tensor, got "
                        f"{type(v).__name__}")
    return v


def clamp(input, min=None, max=None, *, out=None):
    """Limit ``input`` to ``[min, max]``: ``min(max(input, min), max)``.

    Either bound may be omitted, a Python number or a tensor (broadcast with ``input``).
    The result dtype is the promotion of all three (``clamp(int_tensor, 0.5)`` is float32).
    Where ``min > max`` every element is ``max``.  Gradients: ``input`` gets it where
    ``min <= input <= max`` (bounds included); a tensor ``min`` where ``input < min``, a
    tensor ``max`` where ``input > max``.

    Args:
        input (Tensor): the values.
        min, max (Number or Tensor, optional): the bounds (default None: unbounded).
        out (Tensor, optional): written with the result.

    Raises:
        RuntimeError: both bounds None; shapes that do not broadcast.
        NotImplementedError: complex tensors.

    Example:
        >>> import ember
        >>> ember.clamp(ember.tensor([-2.0, 0.5, 3.0]), -1, 1)
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min is None and max is None:
        raise RuntimeError("clamp(): At least one of 'min' or 'max' must not be None")
    lo, hi = _bound(min, "min"), _bound(max, "max")
    dt = T.result_type(*(v for v in (input, lo, hi) if v is not None))
    if dt._kind == 3:
        raise NotImplementedError("clamp is not supported for complex types")
    _check_int_range("clamp", dt, lo, hi)
    check_same_device("clamp", input, lo, hi)
    x = input._data
    if x.dtype != dt.np:
        x = x.astype(dt.np)
    xp = xp_of(x)
    # NOTE: xp.asarray moves a CPU 0-d bound onto a CUDA input's device (a no-op otherwise)
    la = xp.asarray(lo._data.astype(dt.np, copy=False)) if isinstance(lo, Tensor) else lo
    ha = xp.asarray(hi._data.astype(dt.np, copy=False)) if isinstance(hi, Tensor) else hi
    node = Clamp()
    tok = quiet()
    try:
        r = node.forward(xp, x, la, ha)
    except ValueError:
        err = broadcast_error("clamp", *(shape_of(v) for v in (x, la, ha) if v is not None))
        if err is None:
            raise
        raise err from None
    finally:
        loud(tok)
    tensors = (input, lo if isinstance(lo, Tensor) else None,
               hi if isinstance(hi, Tensor) else None)
    if _state.enabled and any(t is not None and t._rg for t in tensors):
        res = wrap(node, tensors, r)
        if res.grad_fn is node:
            node.save(input)
    else:
        res = Tensor._make(r)
    return res if out is None else out.copy_(res)


clip = clamp


def clamp_min(input, min):
    """``clamp(input, min=min)``: ``max(input, min)`` with clamp's gradient rule."""
    return clamp(input, min=min)


def clamp_max(input, max):
    """``clamp(input, max=max)``: ``min(input, max)`` with clamp's gradient rule."""
    return clamp(input, max=max)


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """``|input - other| <= atol + rtol * |other|`` elementwise (infinities equal only
    themselves; NaNs equal each other only with ``equal_nan``).

    Raises:
        RuntimeError: tensors of different dtypes; a negative ``rtol`` or ``atol``.

    Example:
        >>> import ember
        >>> ember.isclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0 + 1e-7, 2.1]))
        tensor([ True, False])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"isclose(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if isinstance(other, Tensor) and input.dtype is not other.dtype:
        raise RuntimeError(f"isclose(): {T.scalar_type_name(input.dtype)} did not match "
                           f"{T.scalar_type_name(other.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"isclose(): rtol must be greater than or equal to zero, but got "
                           f"{rtol}")
    if atol < 0:
        raise RuntimeError(f"isclose(): atol must be greater than or equal to zero, but got "
                           f"{atol}")
    ta, tb, x, y, dt = binary_operands("isclose", input, other)
    xp = xp_of(x)
    try:
        r = xp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except ValueError:
        err = broadcast_error("isclose", shape_of(x), shape_of(y))
        if err is None:
            raise
        raise err from None
    return Tensor._make(xp.asarray(r))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether :func:`isclose` holds everywhere (a Python bool).

    Example:
        >>> import ember
        >>> ember.allclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-9]))
        True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """True when both tensors have the same shape and equal elements (NaN != NaN).

    Example:
        >>> import ember
        >>> ember.equal(ember.tensor([1, 2]), ember.tensor([1.0, 2.0]))
        True
    """
    if input._data.shape != other._data.shape:
        return False
    return bool((input._data == other._data).all())


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """Whether each element of ``elements`` occurs in ``test_elements`` (a bool tensor of
    ``elements``' shape); either argument may be a Python number.

    Example:
        >>> import ember
        >>> ember.isin(ember.tensor([1, 2, 3]), ember.tensor([2, 5]))
        tensor([False,  True, False])
    """
    like = elements if isinstance(elements, Tensor) else test_elements
    if not isinstance(like, Tensor):
        raise TypeError(f"isin(): expected a Tensor for 'elements' or 'test_elements', got "
                        f"{type(elements).__name__} and {type(test_elements).__name__}")
    xp = xp_of(like._data)
    e = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return Tensor._make(xp.asarray(xp.isin(e, t, assume_unique=assume_unique, invert=invert)))
