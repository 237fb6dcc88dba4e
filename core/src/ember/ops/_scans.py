"""Scans along one dim: cumsum, cumprod (exact gradient with zeros), logcumsumexp (stable).

Example:
    >>> import ember
    >>> ember.tensor([1, 2, 3]).cumsum(0), ember.tensor([1.0, 2.0, 3.0]).cumprod(0)
    (tensor([1, 3, 6]), tensor([1., 2., 6.]))
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from .. import _dtype as T
from .._tensor import _wrap_dim
from ..autograd.node import Node
from ._dispatch import apply
from .reduction import _sum_dtype, sum

__all__ = ["cumsum", "cumprod", "logcumsumexp"]


class Cumsum(Node):
    saves_input = False

    def forward(self, xp, x, dim, dt):
        self.dim = dim
        return xp.cumsum(x, axis=dim, dtype=dt)

    def backward(self, gy):
        return (gy.flip(self.dim).cumsum(self.dim).flip(self.dim),)


def cumsum(input, dim, *, dtype=None, out=None):
    """Cumulative sum along ``dim`` (ints accumulate in int64)."""
    x = input._data
    d = _wrap_dim(dim, x.ndim, "cumsum")
    if x.ndim == 0:
        return input.clone()
    r = apply(Cumsum(), (input,), x, d, _sum_dtype(x, dtype))
    return r if out is None else out.copy_(r)


class Cumprod(Node):
    saves_output = True

    def forward(self, xp, x, dim, dt):
        self.dim = dim
        return xp.cumprod(x, axis=dim, dtype=dt)

    def backward(self, gy):
        (x,) = self.saved
        d = self.dim
        if not bool((x._data == 0).any()):
            return ((gy * self.output).flip(d).cumsum(d).flip(d) / x,)
        # NOTE: with zeros, build dL/dx_i = sum_{k>=i} gy_k * prod_{j<=k, j!=i} x_j explicitly
        from .shape import cat, narrow
        n = x.shape[d]
        cols = []
        for i in builtins.range(n):
            ones = narrow(x, d, i, 1) * 0 + 1
            xi = cat([narrow(x, d, 0, i), ones, narrow(x, d, i + 1, n - i - 1)], d)
            p = xi.cumprod(d)
            cols.append(sum(narrow(gy * p, d, i, n - i), d, keepdim=True))
        return (cat(cols, d),)


def cumprod(input, dim, *, dtype=None, out=None):
    """Cumulative product along ``dim`` (ints in int64); its gradient is exact with zeros.

    Example:
        >>> import ember
        >>> ember.cumprod(ember.tensor([2.0, 0.0, 3.0]), 0)
        tensor([2., 0., 0.])
    """
    x = input._data
    d = _wrap_dim(dim, x.ndim, "cumprod")
    if x.ndim == 0:
        return input.clone()
    node = Cumprod()
    r = apply(node, (input,), x, d, _sum_dtype(x, dtype))
    if r.grad_fn is node:
        node.save(input)
    return r if out is None else out.copy_(r)


class LogCumSumExp(Node):
    saves_output = True

    def forward(self, xp, x, dim):
        self.dim = dim
        # NOTE: logaddexp.accumulate keeps every prefix exact; shifting by one global max
        # would underflow prefixes far below the maximum (log(0) = -inf).
        if xp is np:
            return np.logaddexp.accumulate(x, axis=dim)
        # cupy has no ufunc.accumulate for logaddexp: the same recurrence, one kernel per
        # step along dim (each step vectorised over all other dims)
        out = xp.moveaxis(x.copy(), dim, 0)
        for i in builtins.range(1, out.shape[0]):
            xp.logaddexp(out[i - 1], out[i], out=out[i])
        return xp.ascontiguousarray(xp.moveaxis(out, 0, dim))

    def backward(self, gy):
        # dL/dx_j = sum_{k>=j} gy_k exp(x_j - out_k), computed in log space with the positive
        # and negative parts of gy kept apart (PyTorch's formulation) so nothing overflows.
        from .comparison import where
        (x,) = self.saved
        out, d = self.output, self.dim

        def rev(v):
            return logcumsumexp(v.flip(d), d).flip(d)

        # NOTE: an all -inf prefix has out_k = -inf; its terms exp(x_j - out_k) are taken as 0
        # (not nan), and the double where keeps every gradient finite where a mask is off.
        dead = out == -math.inf
        out_safe = where(dead, 0, out)

        def log_part(mask, g):
            lg = where(mask, where(mask, g, 1).log(), -math.inf) - out_safe
            return where(dead, -math.inf, lg)

        pos = rev(log_part(gy > 0, gy))
        neg = rev(log_part(gy < 0, -gy))
        return ((x + pos).exp() - (x + neg).exp(),)


def logcumsumexp(input, dim):
    """Cumulative ``log(sum(exp(input)))`` along ``dim``, stable for any range of values.

    ``out_i = log(exp(x_0) + ... + exp(x_i))``.

    Args:
        input: a floating point tensor.
        dim: the dimension to scan.

    Raises:
        IndexError: ``dim`` out of range.

    Example:
        >>> import ember
        >>> ember.logcumsumexp(ember.tensor([-1000.0, 0.0]), 0)
        tensor([-1000.,     0.])
    """
    x = input._data
    d = _wrap_dim(dim, x.ndim, "logcumsumexp")
    if x.dtype.kind not in "fc":
        input = input.to(T.get_default_dtype())
        x = input._data
    if x.ndim == 0:
        return input.clone()
    node = LogCumSumExp()
    r = apply(node, (input,), x, d)
    if r.grad_fn is node:
        node.save(input)
    return r
