"""Fused activation nodes: ``gelu`` and ``silu`` as single graph nodes.

Each has a forward on arrays, a backward written with ember ops (so double backward works) and
an array-level ``fast`` formula for plain backward passes (``Node.fast``).  ``gelu``'s erf on
float32 numpy arrays uses a float32 kernel over cache-sized chunks (see :func:`_erf32`).
"""

from __future__ import annotations

import math

import numpy as np

from ...autograd.node import Node
from ...ops import _special
from ...ops._dispatch import apply, xp_of
from ...ops.comparison import where

__all__: list[str] = []  # private: used by ``_activation``

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class _Pointwise(Node):
    """A one-input pointwise op that saves its input.

    Subclasses write ``compute(xp, x, *params)`` and the array-level derivative
    ``grad(xp, x, g)`` for arrays of at least one dimension (so in-place ``out=`` steps are
    safe: numpy turns 0-d results into scalars); this base class handles 0-d inputs.
    """

    def forward(self, xp, x, *params):
        if x.ndim == 0:
            return self.compute(xp, x.reshape(1), *params).reshape(())
        return self.compute(xp, x, *params)

    def fast(self, g):
        x = self.saved_arrays()[0]
        xp = xp_of(x)
        if x.ndim == 0:
            return (self.grad(xp, x.reshape(1), xp.asarray(g).reshape(1)).reshape(()),)
        return (self.grad(xp, x, g),)

    @classmethod
    def run(cls, input, *params):
        node = cls()
        x = input._data
        if x.dtype.kind != "f":
            raise NotImplementedError(f'"{cls.__name__.lower()}" not implemented for '
                                      f"{input.dtype} input")
        r = apply(node, (input,), x, *params)
        if r.grad_fn is node:
            node.save(input)
        return r


class Gelu(_Pointwise):
    def compute(self, xp, x, approximate):
        self.approximate = approximate
        if approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
            t += 1
            t *= x
            t *= 0.5
            return t
        y = _erf(xp, x * (1 / math.sqrt(2.0)))
        y += 1
        y *= x
        y *= 0.5
        return y

    def backward(self, gy):
        x = self.saved[0]
        if self.approximate == "tanh":
            t = (_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)).tanh()
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (
                1 + 3 * 0.044715 * x * x)
        else:
            d = 0.5 * (1 + (x * (1 / math.sqrt(2.0))).erf()) + x * (
                (-0.5 * x * x).exp() * _INV_SQRT_2PI)
        return (gy * d,)

    def grad(self, xp, x, g):
        if self.approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (
                1 + 3 * 0.044715 * x * x)
        else:
            d = 0.5 * (1 + _erf(xp, x * (1 / math.sqrt(2.0))))
            d += x * (xp.exp(-0.5 * x * x) * _INV_SQRT_2PI)
        d *= g
        return d


_CHUNK = 16384


def _erf32(x):
    """erf of a float32 numpy array in float32 arithmetic (Cody's rationals, two branches).

    NOTE: float32 needs neither Cody's tail branch (erfc(4) = 1.5e-8 is below float32's
    resolution of 1) nor the split exp(-y^2) of the float64 kernel, so this is ~25 passes
    instead of ~60, run over cache-sized chunks.  Absolute error < 2e-7 (tested).
    """
    A, B, C, D = _special._A, _special._B, _special._C, _special._D
    out = np.empty_like(x)
    xf, of = x.reshape(-1), out.reshape(-1)
    for i in range(0, xf.size, _CHUNK):
        c = xf[i:i + _CHUNK]
        s = np.clip(c, -_special._SPLIT, _special._SPLIT)  # NOTE: keeps inf out of the small
        z = s * s                                            # branch (its lanes are unused)
        num = (((A[4] * z + A[0]) * z + A[1]) * z + A[2]) * z + A[3]
        den = (((z + B[0]) * z + B[1]) * z + B[2]) * z + B[3]
        small = s * num / den
        y = np.minimum(np.abs(c), np.float32(4.0))
        num, den = C[8] * y, y.copy()
        for k in range(7):
            num += C[k]
            num *= y
            den += D[k]
            den *= y
        num += C[7]
        den += D[7]
        num /= den
        num *= np.exp(-(y * y))  # erfc(|c|) for |c| >= 0.46875
        np.copysign(1 - num, c, out=num)
        of[i:i + _CHUNK] = np.where(np.abs(c) < _special._SPLIT, small, num)
    return out


def _erf(xp, z):
    """erf of array ``z``: float32 numpy arrays take the fast float32 kernel; other large
    numpy arrays run ember's float64 kernel over cache-sized chunks (~10x faster)."""
    if xp is not np:
        return _special.erf(xp, z)
    if z.dtype == np.float32:
        return _erf32(np.asarray(z, order="C"))
    if z.size <= 2 * _CHUNK:
        return _special.erf(np, z)
    out = np.empty(z.shape, z.dtype)
    zf, of = np.asarray(z, order="C").reshape(-1), out.reshape(-1)
    for i in range(0, zf.size, _CHUNK):
        of[i:i + _CHUNK] = _special.erf(np, zf[i:i + _CHUNK])
    return out


def _sig_arr(xp, x):
    # NOTE: 1/(1 + e^-x) in 3 passes; for x < -88 (float32) e^-x overflows to inf and the
    # result is 0 instead of a subnormal, never NaN
    e = xp.exp(-x)
    e += 1
    return xp.reciprocal(e, out=e)


class Silu(_Pointwise):
    def compute(self, xp, x):
        e = xp.exp(-x)
        e += 1
        return xp.divide(x, e, out=e)

    def backward(self, gy):
        x = self.saved[0]
        s = x.sigmoid()
        return (gy * (s * (1 + x * (1 - s))),)

    def grad(self, xp, x, g):
        s = _sig_arr(xp, x)
        return g * (s * (1 + x * (1 - s)))


class LeakyRelu(_Pointwise):
    def compute(self, xp, x, slope):
        self.slope = slope
        y = x * slope
        if 0 <= slope <= 1:  # NOTE: then max(x, slope x) is the same function in 2 passes
            return xp.maximum(x, y, out=y)
        return xp.where(x > 0, x, y)

    def backward(self, gy):
        x = self.saved[0]
        return (where(x > 0, gy, gy * self.slope),)

    def grad(self, xp, x, g):
        return xp.where(x > 0, g, g * self.slope)
