"""Reductions: sum, mean, prod, max/min, var/std, logsumexp, all/any, arg-reductions, scans.

``dim`` may be an int, a tuple of ints, or ``None`` (all dims); ``keepdim`` keeps reduced
dims with size 1.  Sums of integer/bool tensors are int64, as in PyTorch.  Gradients
broadcast back over the reduced dims (max/min send them to the selected element; amax/amin
split them evenly between ties).

Example:
    >>> import ember
    >>> x = ember.tensor([[1.0, 5.0], [3.0, 2.0]])
    >>> x.sum(0), x.max(dim=1).indices
    (tensor([4., 7.]), tensor([1, 0]))
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype as T
from .. import return_types as R
from .._tensor import Tensor, _wrap_dim
from ..autograd.node import Node
from ._dispatch import apply, xp_of

__all__ = [
    "sum", "mean", "prod", "amax", "amin", "max", "min", "aminmax", "argmax", "argmin", "var",
    "std", "var_mean", "std_mean", "logsumexp", "all", "any", "cumsum", "cumprod",
    "logcumsumexp", "nansum", "nanmean", "count_nonzero", "sum_to_size", "dims",
]


def dims(dim, ndim: int, op: str):
    """Normalise ``dim`` to a sorted tuple of non-negative axes (``None`` -> all)."""
    if dim is None:
        return tuple(builtins.range(ndim))
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return tuple(builtins.range(ndim))
        out = tuple(sorted(_wrap_dim(d, ndim, op) for d in dim))
        if len(set(out)) != len(out):
            raise RuntimeError(f"{op}(): dim {list(dim)} appears multiple times in the list of "
                               "dims")
        return out
    return (_wrap_dim(dim, ndim, op),)


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_back(gy, shape, axes, keepdim):
    """Reshape a reduced gradient to broadcast against the input, then expand."""
    if not keepdim:
        gy = gy.reshape(_kept_shape(shape, axes))
    return gy.expand(shape)


class Sum(Node):
    def forward(self, xp, x, axes, keepdim, dt):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        if dt is None and x.dtype == np.float16:
            # NOTE: accumulate half precision in float32, as PyTorch does
            return xp.sum(x, axis=axes, keepdims=keepdim, dtype=np.float32).astype(np.float16)
        return xp.sum(x, axis=axes, keepdims=keepdim, dtype=dt)

    def backward(self, gy):
        return (_expand_back(gy, self.shape, self.axes, self.keepdim),)

    def fast(self, g):
        if not self.keepdim:
            g = g.reshape(_kept_shape(self.shape, self.axes))
        return (xp_of(g).broadcast_to(g, self.shape),)


def _sum_dtype(x, dtype):
    if dtype is not None:
        return T.to_dtype(dtype).np
    if x.dtype.kind in "biu":
        return np.int64
    return None


def sum(input, dim=None, keepdim: bool = False, *, dtype=None, out=None):
    """Sum over ``dim`` (all elements when ``None``)."""
    x = input._data
    axes = dims(dim, x.ndim, "sum") if x.ndim else ()
    r = apply(Sum(), (input,), x, axes, keepdim, _sum_dtype(x, dtype))
    return r if out is None else out.copy_(r)


def nansum(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Sum over ``dim`` treating NaN as zero (integer inputs sum as :func:`sum`).

    Args:
        input: the tensor.
        dim: int, tuple of ints or None (all dims). Default None.
        keepdim: keep reduced dims with size 1. Default False.
        dtype: accumulate and return in this dtype. Default None.

    Example:
        >>> import ember
        >>> ember.nansum(ember.tensor([1.0, float("nan"), 2.0]))
        tensor(3.)
    """
    if not (input.is_floating_point() or input.is_complex()):
        return sum(input, dim, keepdim, dtype=dtype)
    from .comparison import where
    return sum(where(~input.isnan(), input, 0), dim, keepdim, dtype=dtype)


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (the inverse of broadcasting ``size`` to its shape)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = input._data.shape
    if tuple(size) == shape:
        return input
    lead = len(shape) - len(size)
    if lead < 0 or not builtins.all(s == 1 or s == t
                                    for s, t in zip(size, shape[lead:], strict=True)):
        raise RuntimeError(f"size {list(size)} is not expandable to size {list(shape)}")
    axes = tuple(builtins.range(lead)) + tuple(
        lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1)
    r = sum(input, axes, keepdim=True) if axes else input
    return r.reshape(size)


_SCALAR_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                 "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
                 "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _scalar_name(dt) -> str:
    """PyTorch's ScalarType name of a dtype (``Long`` for int64), used in its messages."""
    return _SCALAR_NAMES.get(dt.name, dt.name)


def _float_check(x, op, dtype):
    if dtype is None and x.dtype.kind not in "fc":
        raise RuntimeError(f"{op}(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: "
                           f"{_scalar_name(T._BY_NP[x.dtype])}")


class Mean(Node):
    def forward(self, xp, x, axes, keepdim, dt):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        self.n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        if self.n == 0:  # NOTE: mean of nothing is nan (0/0); numpy would also warn
            shape = _kept_shape(x.shape, axes) if keepdim else tuple(
                s for i, s in enumerate(x.shape) if i not in axes)
            return xp.full(shape, np.nan, dtype=x.dtype)
        return xp.mean(x, axis=axes, keepdims=keepdim, dtype=dt)

    def backward(self, gy):
        return (_expand_back(gy / self.n, self.shape, self.axes, self.keepdim),)


def mean(input, dim=None, keepdim: bool = False, *, dtype=None, out=None):
    """Arithmetic mean over ``dim`` (floating/complex inputs, or pass ``dtype``)."""
    x = input._data
    _float_check(x, "mean", dtype)
    axes = dims(dim, x.ndim, "mean") if x.ndim else ()
    dt = T.to_dtype(dtype).np if dtype is not None else None
    if dt is not None and x.dtype != dt:
        input = input.to(T.to_dtype(dtype))
        x = input._data
    r = apply(Mean(), (input,), x, axes, keepdim, None)
    if r._data.dtype != x.dtype:  # numpy means of float16 come back float16 already
        r = r.to(T._BY_NP[x.dtype])
    return r if out is None else out.copy_(r)


def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Mean over the non-NaN elements: ``nansum(x) / count(not isnan(x))``.

    A slice of NaNs only has mean NaN (0 / 0), as in PyTorch.

    Args:
        input: a floating point tensor (or pass ``dtype``).
        dim: int, tuple of ints or None (all dims). Default None.
        keepdim: keep reduced dims with size 1. Default False.
        dtype: cast ``input`` to this dtype first. Default None.

    Raises:
        RuntimeError: integer input without ``dtype``.

    Example:
        >>> import ember
        >>> ember.nanmean(ember.tensor([1.0, float("nan"), 2.0]))
        tensor(1.5000)
    """
    if dtype is not None:
        input = input.to(T.to_dtype(dtype))
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_scalar_name(input.dtype)}")
    from .comparison import where
    notnan = ~input.isnan()
    return sum(where(notnan, input, 0), dim, keepdim) / sum(notnan, dim, keepdim).to(
        input.dtype.to_real())


class Prod(Node):
    saves_output = True

    def forward(self, xp, x, axis, keepdim, dt):
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        return xp.prod(x, axis=axis, keepdims=keepdim, dtype=dt)

    def backward(self, gy):
        (x,) = self.saved
        if self.axis is None:
            flat = x.reshape(-1)
            return ((gy * _prod_others(flat, 0)).reshape(self.shape),)
        g = gy if self.keepdim else gy.unsqueeze(self.axis)
        return (g * _prod_others(x, self.axis),)


def _prod_others(x, dim):
    """prod_{j != i} x_j along ``dim``, exact with zeros (exclusive cumprods both ways)."""
    from .shape import cat, narrow
    n = x.shape[dim]
    if n == 1:
        return x * 0 + 1
    one = narrow(x, dim, 0, 1) * 0 + 1
    left = cat([one, narrow(x, dim, 0, n - 1).cumprod(dim)], dim)
    rx = x.flip(dim)
    right = cat([one, narrow(rx, dim, 0, n - 1).cumprod(dim)], dim).flip(dim)
    return left * right


def prod(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Product over one ``dim`` (or all elements)."""
    x = input._data
    axis = None if dim is None or x.ndim == 0 else _wrap_dim(dim, x.ndim, "prod")
    node = Prod()
    r = apply(node, (input,), x, axis, keepdim, _sum_dtype(x, dtype))
    if r.grad_fn is node:
        node.save(input)
    return r


class Select(Node):
    """max/min/median/mode along a dim: the gradient goes to the chosen index."""

    def forward(self, xp, x, values, idx, dim, keepdim):
        self.shape, self.dim, self.keepdim, self.idx = x.shape, dim, keepdim, idx
        return values

    def backward(self, gy):
        # one-hot of the chosen index along dim (a constant mask, so double backward is free)
        xp = xp_of(self.idx)
        idx = self.idx if self.keepdim else xp.expand_dims(self.idx, self.dim)
        n = self.shape[self.dim] if self.shape else 1
        pos = xp.arange(n).reshape([-1 if i == self.dim else 1 for i in builtins.range(idx.ndim)])
        mask = Tensor._make((pos == idx).astype(gy._data.dtype))
        if not self.keepdim:
            gy = gy.unsqueeze(self.dim)
        return ((gy * mask).reshape(self.shape),)

    def _release_extra(self) -> None:
        self.idx = None


def select_along(input, values, idx, dim, keepdim, rtype):
    """Wrap (values, indices) of a selecting reduction as a differentiable named tuple."""
    v = apply(Select(), (input,), input._data, values, idx, dim, keepdim)
    return rtype(v, Tensor._make(idx))


class AmaxAmin(Node):
    saves_output = True

    def forward(self, xp, x, axes, keepdim, is_max):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        f = xp.max if is_max else xp.min
        return f(x, axis=axes, keepdims=keepdim)

    def backward(self, gy):
        (x,) = self.saved
        out = _expand_back(self.output, self.shape, self.axes, self.keepdim)
        # NOTE: ties share the gradient evenly
        mask = (x == out).to(gy.dtype)
        cnt = sum(mask, self.axes, keepdim=True)
        return (_expand_back(gy, self.shape, self.axes, self.keepdim) * mask / cnt,)


def _amaxmin(input, dim, keepdim, is_max, op):
    x = input._data
    if x.size == 0:
        raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                         "Specify the reduction dim with the 'dim' argument.")
    axes = dims(dim, x.ndim, op) if x.ndim else ()
    node = AmaxAmin()
    r = apply(node, (input,), x, axes, keepdim, is_max)
    if r.grad_fn is node:
        node.save(input)
    return r


def amax(input, dim=(), keepdim: bool = False, *, out=None):
    """Maximum over ``dim`` (all dims when empty); ties share the gradient."""
    return _amaxmin(input, dim, keepdim, True, "amax")


def amin(input, dim=(), keepdim: bool = False, *, out=None):
    """Minimum over ``dim`` (all dims when empty); ties share the gradient.

    Example:
        >>> import ember
        >>> ember.amin(ember.tensor([[1.0, 5.0], [3.0, 2.0]]), 1)
        tensor([1., 2.])
    """
    return _amaxmin(input, dim, keepdim, False, "amin")


def _arg(x, dim, is_max, xp):
    f = xp.argmax if is_max else xp.argmin
    if x.dtype.kind == "f":
        # NOTE: NaN counts as the extreme value (PyTorch propagates NaN in max/min)
        nan = xp.isnan(x)
        if bool(nan.any()):  # only the slices holding a NaN point at it
            return xp.where(nan.any(axis=dim), xp.argmax(nan, axis=dim), f(x, axis=dim))
    return f(x, axis=dim)


def _maxmin(input, dim, keepdim, is_max, rtype, op):
    if dim is None or isinstance(dim, Tensor):
        if isinstance(dim, Tensor):  # max(a, b) elementwise
            from .binary import maximum, minimum
            return (maximum if is_max else minimum)(input, dim)
        return _amaxmin(input, None, False, is_max, op)
    x = input._data
    d = _wrap_dim(dim, x.ndim, op)
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    xp = xp_of(x)
    xx = x if x.ndim else x.reshape(1)
    idx = _arg(xx, d if x.ndim else 0, is_max, xp)
    vals = xp.take_along_axis(xx, xp.expand_dims(idx, d if x.ndim else 0), d if x.ndim else 0)
    if not keepdim or not x.ndim:
        vals = vals.reshape(idx.shape)
    else:
        idx = xp.expand_dims(idx, d)
    return select_along(input, vals, idx.astype(np.int64), d if x.ndim else 0,
                        keepdim or not x.ndim, rtype)


def max(input, dim=None, keepdim: bool = False, *, out=None):
    """Max of all elements, or ``(values, indices)`` along ``dim``, or ``maximum(a, b)``."""
    return _maxmin(input, dim, keepdim, True, R.max, "max")


def min(input, dim=None, keepdim: bool = False, *, out=None):
    """Min of all elements, or ``(values, indices)`` along ``dim``, or ``minimum(a, b)``.

    Example:
        >>> import ember
        >>> ember.tensor([[1.0, 5.0], [3.0, 2.0]]).min(1).indices
        tensor([0, 1])
    """
    return _maxmin(input, dim, keepdim, False, R.min, "min")


def aminmax(input, *, dim=None, keepdim: bool = False):
    """``(min, max)`` over ``dim`` (all elements when None) as a named tuple.

    Example:
        >>> import ember
        >>> ember.aminmax(ember.tensor([3.0, -1.0, 2.0]))
        aminmax(min=tensor(-1.), max=tensor(3.))
    """
    return R.aminmax(amin(input, () if dim is None else dim, keepdim),
                     amax(input, () if dim is None else dim, keepdim))


def argmax(input, dim=None, keepdim: bool = False):
    """Index of the maximum (of the flattened tensor when ``dim`` is None)."""
    return _argext(input, dim, keepdim, True, "argmax")


def argmin(input, dim=None, keepdim: bool = False):
    """Index of the minimum (of the flattened tensor when ``dim`` is None).

    Example:
        >>> import ember
        >>> ember.argmin(ember.tensor([3.0, -1.0, 2.0]))
        tensor(1)
    """
    return _argext(input, dim, keepdim, False, "argmin")


def _argext(input, dim, keepdim, is_max, op):
    """argmax/argmin: over the flattened tensor when ``dim`` is None, else along ``dim``."""
    x = input._data
    xp = xp_of(x)
    if dim is None:
        r = _arg(x.reshape(-1), 0, is_max, xp)
        return Tensor._make(xp.asarray(r, dtype=np.int64).reshape((1,) * x.ndim if keepdim
                                                                  else ()))
    d = _wrap_dim(dim, x.ndim, op)
    r = _arg(x if x.ndim else x.reshape(1), d, is_max, xp).astype(np.int64)
    return Tensor._make(xp.expand_dims(r, d) if keepdim and x.ndim else r)


def _correction(unbiased, correction):
    if correction is not None and unbiased is not None:
        raise RuntimeError("var(): cannot pass both 'unbiased' and 'correction'")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


class Var(Node):
    def forward(self, xp, x, axes, keepdim, correction):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        self.denom = builtins.max(n - correction, 0)
        mu = xp.mean(x, axis=axes, keepdims=True)
        d = x - mu
        sq = (d * d.conj()).real if x.dtype.kind == "c" else d * d
        return xp.sum(sq, axis=axes, keepdims=keepdim) / self.denom

    def backward(self, gy):
        (x,) = self.saved
        mu = mean(x, self.axes, keepdim=True)
        return (_expand_back(gy, self.shape, self.axes, self.keepdim) * 2 * (x - mu)
                / self.denom,)


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance with Bessel's ``correction`` (default 1): sum((x-mean)^2) / (N - correction)."""
    if isinstance(dim, bool):  # var(input, unbiased)
        unbiased, dim = dim, None
    x = input._data
    _float_check(x, "var", None)
    axes = dims(dim, x.ndim, "var") if x.ndim else ()
    node = Var()
    r = apply(node, (input,), x, axes, keepdim, _correction(unbiased, correction))
    if r.grad_fn is node:
        node.save(input)
    return r


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``sqrt(var(...))``."""
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(var, mean)`` over ``dim`` as a named tuple (see :func:`var`).

    Example:
        >>> import ember
        >>> ember.var_mean(ember.tensor([1.0, 2.0, 3.0]))
        var_mean(var=tensor(1.), mean=tensor(2.))
    """
    return R.var_mean(var(input, dim, unbiased, keepdim, correction=correction),
                      mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(std, mean)`` over ``dim`` as a named tuple (see :func:`std`).

    Example:
        >>> import ember
        >>> ember.std_mean(ember.tensor([1.0, 3.0]), correction=0)
        std_mean(std=tensor(1.), mean=tensor(2.))
    """
    return R.std_mean(std(input, dim, unbiased, keepdim, correction=correction),
                      mean(input, dim, keepdim))


class LogSumExp(Node):
    saves_output = True

    def forward(self, xp, x, axes, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        # NOTE: shift by the max for stability; an all -inf slice keeps max 0 to avoid nan
        m = xp.max(x, axis=axes, keepdims=True) if x.size else xp.zeros(
            _kept_shape(x.shape, axes), x.dtype)
        m = xp.where(xp.isfinite(m), m, 0)
        s = xp.log(xp.sum(xp.exp(x - m), axis=axes, keepdims=True)) + m
        return s if keepdim else s.reshape([d for i, d in enumerate(s.shape) if i not in axes])

    def backward(self, gy):
        (x,) = self.saved
        out = _expand_back(self.output, self.shape, self.axes, self.keepdim)
        return (_expand_back(gy, self.shape, self.axes, self.keepdim) * (x - out).exp(),)


def logsumexp(input, dim=None, keepdim: bool = False):
    """``log(sum(exp(input), dim))`` computed stably."""
    x = input._data
    if x.dtype.kind not in "fc":
        input = input.to(T.get_default_dtype())
        x = input._data
    axes = dims(dim, x.ndim, "logsumexp") if x.ndim else ()
    node = LogSumExp()
    r = apply(node, (input,), x, axes, keepdim)
    if r.grad_fn is node:
        node.save(input)
    return r


def all(input, dim=None, keepdim: bool = False):
    """True where every element along ``dim`` is non-zero."""
    x = input._data
    axes = dims(dim, x.ndim, "all") if dim is not None and x.ndim else None
    return Tensor._make(xp_of(x).asarray(x.all(axis=axes, keepdims=keepdim)))


def any(input, dim=None, keepdim: bool = False):
    """True where some element along ``dim`` is non-zero (bool result).

    Example:
        >>> import ember
        >>> ember.tensor([[0, 1], [0, 0]]).any(1)
        tensor([ True, False])
    """
    x = input._data
    axes = dims(dim, x.ndim, "any") if dim is not None and x.ndim else None
    return Tensor._make(xp_of(x).asarray(x.any(axis=axes, keepdims=keepdim)))


def count_nonzero(input, dim=None):
    """Number of non-zero elements over ``dim`` (int or tuple; all when None), as int64.

    Example:
        >>> import ember
        >>> ember.count_nonzero(ember.tensor([[0, 1], [2, 3]]), 0)
        tensor([1, 2])
    """
    x = input._data
    axes = dims(dim, x.ndim, "count_nonzero") if dim is not None else None
    return Tensor._make(xp_of(x).asarray(xp_of(x).count_nonzero(x, axis=axes), dtype=np.int64))


# scans (cumsum, cumprod, logcumsumexp) live in _scans.py, imported last: they use sum above
from ._scans import cumprod, cumsum, logcumsumexp  # noqa: E402
