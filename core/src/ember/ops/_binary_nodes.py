"""Autograd nodes of the elementwise binary ops and :func:`binary`, the runner they share.

The public functions live in :mod:`ember.ops.binary`; this module holds each op's forward
(written once against ``xp``) beside its backward (ember ops, so double backward works),
and the dtype categories each op has a kernel for (``kinds``; others raise PyTorch's
NotImplementedError).
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from .. import _dtype as T
from .._host_buffers import ufunc_into
from .._tensor import Tensor
from ..autograd.node import Node
from ._dispatch import (
    _QUIET,
    _errvar,
    _state,
    binary_operands,
    broadcast_error,
    float_dtype,
    record_one,
    shape_of,
    xp_of,
)
from .comparison import where as _where

__all__ = ["binary"]

# dtype categories an op supports (see ``dtype._kind``): 0 bool, 1 integer, 2 float, 3 complex
_REAL, _FLOAT, _NOBOOL, _REALNUM, _INT = (2, 1, 0), (2,), (2, 3, 1), (2, 1), (1, 0)


class _B(Node):
    """A binary op; ``self.a``/``self.b`` are the operands (tensor, or the Python scalar)."""

    saves_inputs = True
    kinds = None  # dtype categories with a kernel (None: all); others raise NotImplementedError
    sa = sb = None  # the Python-scalar operand, if any
    cross_save = False  # True when input i's gradient needs only the other input (mul)

    def operands(self):
        ta, tb = self.saved
        return (ta if ta is not None else self.sa), (tb if tb is not None else self.sb)

    def needs(self, i: int) -> bool:
        return self.next_functions[i][0] is not None

    def array_operands(self):
        """Like :meth:`operands` with arrays for tensors (for ``fast`` formulas)."""
        ta, tb = self.saved
        return (ta._data if ta is not None else self.sa), (tb._data if tb is not None else self.sb)


def _as_float(v) -> float:
    # NOTE: a Python int/bool meeting an int tensor in a true-float op (``uint8 / -3``) keeps
    # its value; the wrapped (C-cast) 0-d array binary_operands made would be 253.
    return float(v)


def binary(cls, a, b, op: str, to_float: bool = False, out_dtype=None):
    """Run binary op ``cls`` on tensors/scalars ``a``, ``b`` and record it when needed."""
    ta, tb, x, y, dt = binary_operands(op, a, b)
    kinds = cls.kinds
    if kinds is not None and dt._kind not in kinds:
        raise T.not_implemented(op, dt)
    if to_float and dt._kind < 2:
        f = float_dtype(dt).np
        x = x.astype(f) if ta is not None else _as_float(a)
        y = y.astype(f) if tb is not None else _as_float(b)
    node = cls()
    xp = np if type(x) is np.ndarray or type(y) is np.ndarray else xp_of(
        x if ta is not None else y)
    tok = _errvar.set(_QUIET)  # (quiet() inlined: this is the hottest path)
    try:
        out = node.forward(xp, x, y)
    except ValueError:
        err = broadcast_error(op, shape_of(x), shape_of(y))
        if err is None:
            raise
        raise err from None
    finally:
        _errvar.reset(tok)
    if type(out) is not np.ndarray and isinstance(out, np.generic):
        out = np.asarray(out)
    if _state.enabled and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        if cls.saves_inputs:
            if cls.cross_save:  # each gradient needs only the other operand: save just that
                node.save(ta if tb is not None and tb._rg else None,
                          tb if ta is not None and ta._rg else None)
            else:
                node.save(ta, tb)
            if ta is None:
                node.sa = a
            if tb is None:
                node.sb = b
        return record_one(node, (ta, tb), out)
    return Tensor._make(out)


class Add(_B):
    saves_inputs = False

    def forward(self, xp, x, y):
        return ufunc_into(np.add, x, y) if xp is np else x + y

    def backward(self, gy):
        return gy, gy

    def fast(self, g):
        return g, g


class Sub(_B):
    saves_inputs = False
    kinds = _NOBOOL

    def forward(self, xp, x, y):
        return ufunc_into(np.subtract, x, y) if xp is np else x - y

    def backward(self, gy):
        return gy, -gy

    def fast(self, g):
        return g, (-g if self.next_functions[1][0] is not None else None)


class Mul(_B):
    cross_save = True

    def forward(self, xp, x, y):
        return ufunc_into(np.multiply, x, y) if xp is np else x * y

    def backward(self, gy):
        a, b = self.operands()
        ga = gy * _conj(b) if self.needs(0) else None
        gb = gy * _conj(a) if self.needs(1) else None
        return ga, gb

    def fast(self, g):
        a, b = self.array_operands()
        return (g * _aconj(b) if self.needs(0) else None,
                g * _aconj(a) if self.needs(1) else None)


class Div(_B):
    def forward(self, xp, x, y):
        return x / y

    def backward(self, gy):
        a, b = self.operands()
        ga = gy / _conj(b) if self.needs(0) else None
        gb = -gy * _conj(a) / _conj(b * b) if self.needs(1) else None
        return ga, gb

    def fast(self, g):
        a, b = self.array_operands()
        return (g / _aconj(b) if self.needs(0) else None,
                -g * _aconj(a) / _aconj(b * b) if self.needs(1) else None)


def _int_pow(xp, x, y):
    """``x ** y`` on integers with C semantics for negative exponents (PyTorch's)."""
    neg = y < 0
    if not bool(xp.any(neg)):
        return xp.power(x, y)
    ya = xp.asarray(y)
    r = xp.power(x, xp.where(neg, 0, ya).astype(ya.dtype))
    # x ** -n: 1 for x == 1, +-1 for x == -1, 0 otherwise (integer truncation of 1 / x**n)
    odd = (ya & 1).astype(bool)
    special = xp.where(x == 1, 1, xp.where(x == -1, xp.where(odd, -1, 1), 0))
    return xp.where(neg, special, r).astype(r.dtype)


class Pow(_B):
    kinds = _NOBOOL

    def forward(self, xp, x, y):
        # a Python int operand of an integer op arrives as a 0-d array (binary_operands)
        if (x.dtype.kind if hasattr(x, "dtype") else y.dtype.kind) in "iu":
            return _int_pow(xp, x, y)
        return x ** y

    def backward(self, gy):
        a, b = self.operands()
        ga = gb = None
        if self.needs(0):
            if isinstance(b, (int, float)) and not isinstance(b, bool):
                # NOTE: d/dx x^0 = 0 everywhere (also at x = 0, where 0 * x^-1 would be nan)
                ga = gy * 0 if b == 0 else gy * b * a ** (b - 1)
            else:
                p = a ** (b - 1)
                ga = gy * b * (_where(b != 0, p, 0.0) if isinstance(b, Tensor) else p)
        if self.needs(1):
            # NOTE: d/dy x^y = x^y log x, taken as 0 where x == 0 and y >= 0 (PyTorch's choice)
            r = a ** b
            if isinstance(a, Tensor):
                la = a.log()
            elif isinstance(a, complex):
                la = cmath.log(a) if a != 0 else float("nan")
            else:
                la = math.log(a) if a > 0 else float("nan")
            g = gy * r * la
            if isinstance(a, Tensor):
                g = _where((a != 0) | (b < 0), g, 0.0)
            elif a == 0:
                g = _where(b >= 0, gy * 0, float("nan"))
            gb = g
        return ga, gb


class Atan2(_B):
    kinds = _REAL

    def forward(self, xp, x, y):
        return xp.arctan2(x, y)

    def backward(self, gy):
        a, b = self.operands()
        d = a * a + b * b
        return (gy * b / d if self.needs(0) else None, -gy * a / d if self.needs(1) else None)


class Hypot(_B):
    saves_output = True
    kinds = _FLOAT

    def forward(self, xp, x, y):
        return xp.hypot(x, y)

    def backward(self, gy):
        a, b = self.operands()
        h = self.output
        return (gy * a / h if self.needs(0) else None, gy * b / h if self.needs(1) else None)


class LogAddExp(_B):
    saves_output = True
    kinds = (2, 3)

    def forward(self, xp, x, y):
        if (x.dtype.kind if hasattr(x, "dtype") else y.dtype.kind) != "c":
            return xp.logaddexp(x, y)
        # NOTE: complex: shift by the operand with the larger real part, log1p of the rest
        x, y = xp.asarray(x), xp.asarray(y)
        m = xp.where(x.real >= y.real, x, y)
        n = xp.where(x.real >= y.real, y, x)
        return (m + xp.log1p(xp.exp(n - m))).astype(m.dtype, copy=False)

    def backward(self, gy):
        a, b = self.operands()
        r = self.output
        return (gy * (a - r).exp() if self.needs(0) else None,
                gy * (b - r).exp() if self.needs(1) else None)


class LogAddExp2(_B):
    saves_output = True
    kinds = _FLOAT

    def forward(self, xp, x, y):
        return xp.logaddexp2(x, y)

    def backward(self, gy):
        a, b = self.operands()
        r = self.output
        return (gy * ((a - r) * math.log(2)).exp() if self.needs(0) else None,
                gy * ((b - r) * math.log(2)).exp() if self.needs(1) else None)


def _same_dtype_array(xp, v, like):
    """A Python scalar operand as a 0-d array of the other operand's dtype, so ufuncs applied
    to it alone (``log(y)``) stay in that dtype (``np.log(2)`` would be float64)."""
    return v if hasattr(v, "dtype") else xp.asarray(v, dtype=like.dtype)


class Xlogy(_B):
    kinds = _REAL

    def forward(self, xp, x, y):
        x, y = _same_dtype_array(xp, x, y), _same_dtype_array(xp, y, x)
        # NOTE: 0 * log(y) is 0 even for y == 0 (but NaN y propagates)
        r = x * xp.log(y)
        return xp.where((x == 0) & ~xp.isnan(y), 0, r).astype(r.dtype, copy=False)

    def backward(self, gy):
        a, b = self.operands()
        ga = gb = None
        if self.needs(0):
            ga = _masked_log_grad(gy, a, b.log() if isinstance(b, Tensor) else math.log(b)
                                  if b > 0 else float("nan") if b < 0 else -math.inf, b)
        if self.needs(1):
            gb = gy * a / b
        return ga, gb


def _masked_log_grad(gy, a, lb, b):
    # d/da a*log(b) = log(b), taken as 0 where a == 0 and b is not NaN (PyTorch: xlogy(a!=0, b))
    g = gy * lb
    if isinstance(a, Tensor):
        keep = (a != 0) | (b != b) if isinstance(b, Tensor) else (a != 0)
        g = _where(keep, g, 0.0)
    return g


class Xlog1py(_B):
    kinds = _REAL

    def forward(self, xp, x, y):
        x, y = _same_dtype_array(xp, x, y), _same_dtype_array(xp, y, x)
        r = x * xp.log1p(y)
        return xp.where((x == 0) & ~xp.isnan(y), 0, r).astype(r.dtype, copy=False)

    def backward(self, gy):
        a, b = self.operands()
        ga = gb = None
        if self.needs(0):
            l1b = b.log1p() if isinstance(b, Tensor) else math.log1p(b) if b > -1 else \
                float("nan") if b < -1 else -math.inf
            ga = _masked_log_grad(gy, a, l1b, b)
        if self.needs(1):
            gb = gy * a / (b + 1)
        return ga, gb


class _MinMax(_B):
    """maximum/minimum: the gradient goes to the chosen input, split evenly on ties (and in
    full to both where a NaN makes neither smaller), as PyTorch."""

    kinds = _REAL

    def backward(self, gy):
        a, b = self.operands()
        w = (a == b).to(gy.dtype) * -0.5 + 1
        lose_a, lose_b = self._losers(a, b)
        return (gy * w * ~lose_a if self.needs(0) else None,
                gy * w * ~lose_b if self.needs(1) else None)


class Maximum(_MinMax):
    def forward(self, xp, x, y):
        return xp.maximum(x, y)

    @staticmethod
    def _losers(a, b):
        return _t(a < b), _t(a > b)


class Minimum(_MinMax):
    def forward(self, xp, x, y):
        return xp.minimum(x, y)

    @staticmethod
    def _losers(a, b):
        return _t(a > b), _t(a < b)


def _t(v):
    """A comparison result as a bool tensor (scalar comparisons give Python bools)."""
    return v if isinstance(v, Tensor) else Tensor._make(np.asarray(v))


class _FMinMax(_B):
    """fmax/fmin: the whole gradient goes to ``input`` where it is chosen (ties included, or
    ``other`` is NaN), to ``other`` elsewhere (PyTorch does not split ties here)."""

    kinds = _REAL

    def backward(self, gy):
        a, b = self.operands()
        pick_a = _t(self._pick(a, b) | (b != b))
        return (gy * pick_a if self.needs(0) else None, gy * ~pick_a if self.needs(1) else None)


class Fmax(_FMinMax):
    def forward(self, xp, x, y):
        return xp.fmax(x, y)

    @staticmethod
    def _pick(a, b):
        return a >= b


class Fmin(_FMinMax):
    def forward(self, xp, x, y):
        return xp.fmin(x, y)

    @staticmethod
    def _pick(a, b):
        return a <= b


class Copysign(_B):
    saves_output = True
    kinds = _REAL

    def forward(self, xp, x, y):
        return xp.copysign(x, y)

    def backward(self, gy):
        a, _ = self.operands()
        r = self.output
        # d/da copysign(a, b) = sign(a) * sign(result), 0 at a == 0
        g = (gy * a.sign() * r.sign()) if self.needs(0) else None
        return g, (gy * 0 if self.needs(1) else None)


def _check_int_zero(xp, x, y, what):
    if (x.dtype.kind if hasattr(x, "dtype") else y.dtype.kind) in "iu" and \
            bool(xp.any(xp.asarray(y) == 0)):
        raise RuntimeError(f"ZeroDivisionError: {what} by zero")


class Remainder(_B):
    kinds = _REALNUM

    def forward(self, xp, x, y):
        _check_int_zero(xp, x, y, "remainder")
        return xp.remainder(x, y)

    def backward(self, gy):
        a, b = self.operands()
        return (gy if self.needs(0) else None,
                -gy * (a / b).floor() if self.needs(1) else None)


class Fmod(_B):
    kinds = _REALNUM

    def forward(self, xp, x, y):
        _check_int_zero(xp, x, y, "fmod")
        return xp.fmod(x, y)

    def backward(self, gy):
        a, b = self.operands()
        return (gy if self.needs(0) else None,
                -gy * (a / b).trunc() if self.needs(1) else None)


class FloorDivide(_B):
    saves_inputs = False
    kinds = _REALNUM

    def forward(self, xp, x, y):
        _check_int_zero(xp, x, y, "integer division")
        return xp.floor_divide(x, y)

    def backward(self, gy):
        # NOTE: piecewise constant: zero gradient (PyTorch's choice, also at the jumps)
        return gy * 0, gy * 0


class TruncDivide(FloorDivide):
    def forward(self, xp, x, y):
        if (x.dtype.kind if hasattr(x, "dtype") else y.dtype.kind) not in "iu":
            return xp.trunc(x / y)
        _check_int_zero(xp, x, y, "integer division")
        # NOTE: exact on integers (no float round trip): floor, then step toward zero where
        # the quotient is negative and inexact
        q = xp.floor_divide(x, y)
        return q + ((xp.remainder(x, y) != 0) & ((xp.asarray(x) < 0) != (xp.asarray(y) < 0)))


class Heaviside(_B):
    saves_inputs = False
    kinds = _REAL

    def forward(self, xp, x, y):
        return xp.where(x == 0, y, (x > 0)).astype(xp.result_type(x, y))

    def backward(self, gy):
        raise RuntimeError("the derivative for 'heaviside' is not implemented.")


class NextAfter(_B):
    saves_inputs = False
    kinds = _FLOAT

    def forward(self, xp, x, y):
        return xp.nextafter(x, y)

    def backward(self, gy):
        raise RuntimeError("the derivative for 'nextafter' is not implemented.")


def _aconj(a):
    """Complex conjugate of an array or scalar (identity for reals)."""
    if isinstance(a, complex):
        return a.conjugate()
    return a.conj() if getattr(a, "dtype", None) is not None and a.dtype.kind == "c" else a


def _aconj(a):
    """Complex conjugate of an array or scalar (identity for reals)."""
    if isinstance(a, complex):
        return a.conjugate()
    return a.conj() if getattr(a, "dtype", None) is not None and a.dtype.kind == "c" else a


def _conj(t):
    if isinstance(t, Tensor):
        return t.conj() if t._data.dtype.kind == "c" else t
    return t.conjugate() if isinstance(t, complex) else t
