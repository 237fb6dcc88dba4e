"""Sorting and selection: sort, argsort, topk, kthvalue, median, quantile, mode, cummax/cummin.

Every op orders values the way PyTorch does: NaN is larger than every number (so it sorts
last ascending and first descending), and ``stable=True`` keeps equal elements in input
order (also when descending).  Selected values are differentiable: the
gradient of each output goes back to the input element it was taken from (scatter-added,
so double backward works); indices are int64 and never differentiable.

Example:
    >>> import ember
    >>> x = ember.tensor([[3.0, 1.0, 2.0], [0.5, 4.0, float("nan")]])
    >>> x.sort(dim=1).indices
    tensor([[1, 2, 0],
            [0, 1, 2]])
    >>> x.topk(2, dim=1).indices
    tensor([[0, 2],
            [2, 1]])
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as T
from .. import return_types as R
from .._tensor import Tensor, _wrap_dim
from ..autograd.node import Node
from ._dispatch import apply, check_same_device, xp_of
from ._selection import (
    _argsort,
    _int_arg,
    _narrow,
    _nonempty_dim,
    _out,
    _positions,
    _select,
    _sortable,
    running,
)

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "quantile",
           "nanquantile", "mode", "cummax", "cummin"]

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


# ---------------------------------------------------------------------- sort
def sort(input, dim: int = -1, descending: bool = False, stable: bool = False, *, out=None):
    """Sort along ``dim``: ``(values, indices)`` with ``values == input.gather(dim, indices)``.

    NaN sorts as the largest value.  With ``stable=True`` equal elements keep their input
    order (also when ``descending``); otherwise their order is unspecified, as in PyTorch.

    Args:
        input: a real tensor (any dtype but complex).
        dim: the dim to sort along (default -1).
        descending: largest first (default False).
        stable: keep equal elements in input order (default False: unspecified).

    Shape:
        values and indices have ``input``'s shape.

    Raises:
        IndexError: ``dim`` out of range.  RuntimeError: complex input.

    Example:
        >>> import ember
        >>> values, indices = ember.sort(ember.tensor([2.0, float("nan"), 1.0, 2.0]),
        ...                              descending=True)
        >>> values, indices
        (tensor([nan, 2., 2., 1.]), tensor([1, 0, 3, 2]))
    """
    x = input._data
    _sortable(x, "sort")
    d = _wrap_dim(dim, x.ndim, "sort")
    xp = xp_of(x)
    idx = _argsort(xp, x, d, descending, stable) if x.ndim else xp.zeros((), np.int64)
    return _out(_select("Sort", input, idx, d, True, R.sort), out)


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """Indices that sort ``input`` along ``dim`` (NaN largest); see :func:`sort`.

    Example:
        >>> import ember
        >>> ember.argsort(ember.tensor([3, 1, 2, 1]), stable=True)
        tensor([1, 3, 2, 0])
    """
    x = input._data
    _sortable(x, "argsort")
    d = _wrap_dim(dim, x.ndim, "argsort")
    xp = xp_of(x)
    if not x.ndim:
        return Tensor._make(xp.zeros((), np.int64))
    return Tensor._make(_argsort(xp, x, d, descending, stable).astype(np.int64, copy=False))


def msort(input, *, out=None):
    """``sort(input, dim=0).values``.

    Example:
        >>> import ember
        >>> ember.msort(ember.tensor([[2, 0], [1, 3]]))
        tensor([[1, 0],
                [2, 3]])
    """
    return _out(sort(input, 0).values, out)


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *, out=None):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices.

    NaN counts as the largest value.  Results are always sorted (largest first, or smallest
    first when ``largest=False``); which of several equal elements is chosen at the cut-off
    is unspecified, as in PyTorch.

    Args:
        input: a real tensor.
        k: how many elements, ``0 <= k <= input.size(dim)``.
        dim: the dim to select along (default -1).
        largest: the largest (default) or the smallest elements.
        sorted: accepted; results are always sorted.

    Shape:
        ``input``'s shape with ``dim`` of size ``k``.

    Raises:
        RuntimeError: ``k`` out of range ("selected index k out of range").
        IndexError: ``dim`` out of range.

    Example:
        >>> import ember
        >>> r = ember.topk(ember.tensor([1.0, 5.0, 3.0, 4.0]), 2)
        >>> r.values, r.indices
        (tensor([5., 4.]), tensor([1, 3]))
    """
    x = input._data
    _sortable(x, "topk")
    k = _int_arg(k, "topk", "k")
    d = _wrap_dim(dim, x.ndim, "topk")
    n = x.shape[d] if x.ndim else 1
    if k < 0 or k > n:
        raise RuntimeError(f"selected index k out of range (topk(): k={k} for dimension {d} of "
                           f"size {n})")
    xp = xp_of(x)
    if not x.ndim:
        idx = xp.zeros((), np.int64)
    elif k == 0 or k == n:
        idx = _narrow(_argsort(xp, x, d, largest, False), d, 0, k)
    else:
        # NOTE: partition first (O(n)), then sort only the k candidates
        if largest:
            cand = _narrow(xp.argpartition(x, n - k, axis=d), d, n - k, n)
        else:
            cand = _narrow(xp.argpartition(x, k - 1, axis=d), d, 0, k)
        cand = xp.sort(cand, axis=d)  # ties then keep input order in the stable sort below
        order = _argsort(xp, xp.take_along_axis(x, cand, axis=d), d, largest)
        idx = xp.take_along_axis(cand, order, axis=d)
    return _out(_select("Topk", input, idx, d, True, R.topk), out)


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False, *, out=None):
    """The ``k``-th smallest element (1-based) along ``dim`` and its index.

    Args:
        input: a real tensor.
        k: rank of the element, ``1 <= k <= input.size(dim)``.
        dim: the dim to select along (default -1).
        keepdim: keep ``dim`` with size 1 (default False).

    Shape:
        ``input``'s shape without ``dim`` (size 1 with ``keepdim``).

    Raises:
        RuntimeError: ``k`` out of range.  IndexError: ``dim`` out of range or of size 0.

    Example:
        >>> import ember
        >>> r = ember.kthvalue(ember.tensor([4.0, 1.0, 3.0, 2.0]), 2)
        >>> r.values, r.indices
        (tensor(2.), tensor(3))
    """
    x = input._data
    _sortable(x, "kthvalue")
    k = _int_arg(k, "kthvalue", "k")
    d = _wrap_dim(dim, x.ndim, "kthvalue")
    _nonempty_dim(x, d, "kthvalue")
    n = x.shape[d] if x.ndim else 1
    if k < 1 or k > n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d} "
                           f"(k={k}, size {n})")
    xp = xp_of(x)
    if not x.ndim:
        idx = xp.zeros((), np.int64)
    else:
        idx = _narrow(xp.argpartition(x, k - 1, axis=d), d, k - 1, k)
    return _out(_select("Kthvalue", input, idx, d, keepdim, R.kthvalue), out)


# ---------------------------------------------------------------------- median
class EvenSelect(Node):
    """A whole-tensor median: its gradient is shared evenly by the elements equal to it."""

    def name(self) -> str:
        return "MedianBackward0"

    def forward(self, xp, x, value):
        self.value = value
        return value

    def backward(self, gy):
        (x,) = self.saved
        v = Tensor._make(self.value)
        # NOTE: a NaN median (PyTorch) shares its gradient among the NaN inputs
        mask = ((x == v) | (x.isnan() & v.isnan())).to(gy.dtype)
        return (mask * (gy / mask.sum()),)


def _median_all(input, ignore_nan: bool):
    x = input._data.reshape(-1)
    xp = xp_of(x)
    fl = x.dtype.kind == "f"
    if x.size == 0:
        if not fl:
            raise IndexError("median(): Expected reduction dim to be specified for "
                             "input.numel() == 0 on an integer tensor.")
        value = xp.asarray(np.nan, dtype=x.dtype)
    else:
        m = int((~xp.isnan(x)).sum()) if fl else x.size
        if m == 0 or (m < x.size and not ignore_nan):
            value = xp.asarray(np.nan, dtype=x.dtype)
        else:
            k = (m - 1) // 2  # lower median; NaNs partition to the end
            value = xp.asarray(xp.partition(x, k)[k])
    node = EvenSelect()
    r = apply(node, (input,), input._data, value)
    if r.grad_fn is node:
        node.save(input)
    return r


def _median_dim(input, dim, keepdim, ignore_nan, rtype, op):
    x = input._data
    _sortable(x, op)
    d = _wrap_dim(dim, x.ndim, op)
    _nonempty_dim(x, d, op)
    xp = xp_of(x)
    if not x.ndim:
        return _select("Median", input, xp.zeros((), np.int64), d, keepdim, rtype)
    n = x.shape[d]
    nan = xp.isnan(x) if x.dtype.kind == "f" else None
    if ignore_nan and nan is not None and bool(nan.any()):
        m = (~nan).sum(axis=d, keepdims=True)
        k = xp.maximum(m - 1, 0) // 2  # an all-NaN slice selects its first NaN
        idx = xp.take_along_axis(_argsort(xp, x, d), k, axis=d)
    else:
        k = (n - 1) // 2
        idx = _narrow(xp.argpartition(x, k, axis=d), d, k, k + 1)
        if nan is not None and not ignore_nan:
            has = nan.any(axis=d, keepdims=True)
            first = xp.expand_dims(xp.argmax(nan, axis=d), d)
            idx = xp.where(has, first, idx)  # NaN propagates: select the first NaN
    return _select("Median", input, idx, d, keepdim, rtype)


def median(input, dim=None, keepdim: bool = False, *, out=None):
    """Lower median of all elements (0-d), or ``(values, indices)`` along ``dim``.

    For an even count ``n`` this is the ``(n - 1) // 2``-th smallest element, not the mean of
    the middle two.  A NaN makes the median NaN (see :func:`nanmedian`).  Without ``dim``
    the gradient is shared evenly by the elements equal to the median; with ``dim`` it goes
    to the returned index.

    Args:
        input: a real tensor.
        dim: the dim to reduce; ``None`` (default) reduces all elements.
        keepdim: keep ``dim`` with size 1 (default False; needs ``dim``).

    Shape:
        0-d without ``dim``; else ``input``'s shape without ``dim``.

    Raises:
        IndexError: ``dim`` out of range or of size 0.

    Example:
        >>> import ember
        >>> ember.median(ember.tensor([4.0, 1.0, 3.0, 2.0]))
        tensor(2.)
        >>> r = ember.median(ember.tensor([[4.0, 1.0, 3.0]]), dim=1)
        >>> r.values, r.indices
        (tensor([3.]), tensor([2]))
    """
    if dim is None:
        if keepdim:
            raise TypeError("median(): keepdim=True needs an int 'dim'")
        _sortable(input._data, "median")
        return _median_all(input, False)
    return _out(_median_dim(input, dim, keepdim, False, R.median, "median"), out)


def nanmedian(input, dim=None, keepdim: bool = False, *, out=None):
    """:func:`median` ignoring NaNs (NaN only where a slice is all NaN).

    Example:
        >>> import ember
        >>> ember.nanmedian(ember.tensor([float("nan"), 3.0, 1.0, 2.0]))
        tensor(2.)
    """
    if dim is None:
        if keepdim:
            raise TypeError("nanmedian(): keepdim=True needs an int 'dim'")
        _sortable(input._data, "nanmedian")
        return _median_all(input, True)
    return _out(_median_dim(input, dim, keepdim, True, R.nanmedian, "nanmedian"), out)


# ---------------------------------------------------------------------- quantile
def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):
    from .comparison import where
    from .indexing import gather
    x = input._data
    xp = xp_of(x)
    if x.size == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got "
                           f"{T._BY_NP[x.dtype].name}")
    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got a "
                               f"{q._data.ndim}-D tensor")
        if q._data.dtype != x.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor "
                               f"({q.dtype} vs {input.dtype})")
        check_same_device(op, input, q)
        qa, scalar_q = q._data, q._data.ndim == 0
        if qa.size and bool(((qa < 0) | (qa > 1)).any()):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    else:
        if not isinstance(q, (int, float, np.number)) or isinstance(q, bool):
            raise TypeError(f"{op}(): argument 'q' must be a float or Tensor, not "
                            f"{type(q).__name__}")
        if not 0 <= q <= 1:
            raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
        qa, scalar_q = xp.asarray(q, dtype=x.dtype), True
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if dim is None:
        xs = input.reshape(-1)
    else:
        d = _wrap_dim(dim, x.ndim, op)
        xs = input.movedim(d, -1) if x.ndim else input.reshape(1)
    srt = sort(xs, -1).values  # (..., n), NaNs last
    s = srt._data
    n, lead = s.shape[-1], s.shape[:-1]
    nq = qa.size
    qb = qa.reshape((nq,) + (1,) * s.ndim)
    nan = xp.isnan(s)
    # NOTE: ranks are computed in the input dtype, as PyTorch does
    if ignore_nan:
        m = (~nan).sum(axis=-1, keepdims=True).astype(x.dtype)
        rank = xp.maximum(qb * (m - 1), 0)  # an all-NaN slice reads its (NaN) first element
    else:
        rank = xp.where(nan.any(axis=-1, keepdims=True), x.dtype.type(n - 1), qb * (n - 1))
    rank = xp.broadcast_to(rank, (nq,) + lead + (1,))
    lo = xp.floor(rank)
    if interpolation in ("lower", "higher", "nearest"):
        pos = {"lower": lo, "higher": xp.ceil(rank), "nearest": xp.round(rank)}[interpolation]
        res = gather(srt.expand((nq,) + s.shape), -1, Tensor._make(pos.astype(np.int64)))
    else:
        hi = xp.ceil(rank)
        ex = srt.expand((nq,) + s.shape)
        v_lo = gather(ex, -1, Tensor._make(lo.astype(np.int64)))
        v_hi = gather(ex, -1, Tensor._make(hi.astype(np.int64)))
        w = rank - lo if interpolation == "linear" else xp.full(rank.shape, 0.5, x.dtype)
        # NOTE: where both neighbours coincide take the value itself: lerp would give
        # inf + 0 * (inf - inf) = NaN for an infinite element.
        res = where(Tensor._make(lo != hi), v_lo + (v_hi - v_lo) * Tensor._make(w), v_lo)
    res = res.squeeze(-1)  # (nq, *lead)
    if keepdim:
        if dim is None:
            res = res.reshape((nq,) + (1,) * x.ndim)
        elif x.ndim:
            res = res.unsqueeze(d + 1)
    return res.squeeze(0) if scalar_q else res


def quantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear",
             out=None):
    """The ``q``-quantiles of ``input`` along ``dim`` (all elements when ``None``).

    With the ``n`` values of a slice sorted as ``v_0 <= ... <= v_{n-1}``, the rank is
    ``r = q (n - 1)`` and the result is ``v_lo + (r - lo)(v_hi - v_lo)`` for ``lo = floor(r)``,
    ``hi = ceil(r)`` ('linear'); 'lower' / 'higher' / 'nearest' take ``v_lo`` / ``v_hi`` /
    ``v_round(r)`` (half to even) and 'midpoint' ``(v_lo + v_hi) / 2``.  A slice holding a NaN
    gives NaN (see :func:`nanquantile`).  Gradients flow to the selected elements.

    Args:
        input: a float32/float64 tensor, non-empty.
        q: a float or a 0-d/1-D tensor of ``input``'s dtype, values in ``[0, 1]``.
        dim: the dim to reduce (default ``None``: flatten).
        keepdim: keep reduced dims with size 1 (default False).
        interpolation: 'linear' (default), 'lower', 'higher', 'midpoint' or 'nearest'.

    Shape:
        ``input``'s shape reduced over ``dim``; a 1-D ``q`` adds a leading dim of its length.

    Raises:
        RuntimeError: integer or empty input, ``q`` outside ``[0, 1]``, ``q`` of another
        dtype or more than 1-D, unknown ``interpolation``.

    Example:
        >>> import ember
        >>> x = ember.tensor([[0.0, 1.0, 2.0, 3.0]])
        >>> ember.quantile(x, ember.tensor([0.25, 0.5]), dim=1)
        tensor([[0.7500],
                [1.5000]])
    """
    return _out(_quantile(input, q, dim, keepdim, interpolation, False, "quantile"), out)


def nanquantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear",
                out=None):
    """:func:`quantile` ignoring NaNs (a slice that is all NaN gives NaN).

    Example:
        >>> import ember
        >>> ember.nanquantile(ember.tensor([1.0, float("nan"), 2.0]), 0.5)
        tensor(1.5000)
    """
    return _out(_quantile(input, q, dim, keepdim, interpolation, True, "nanquantile"), out)


# ---------------------------------------------------------------------- mode
def mode(input, dim: int = -1, keepdim: bool = False, *, out=None):
    """The most frequent value along ``dim`` (the smallest one on a tie) and its last index.

    NaNs never equal each other, so each counts once.  The index is that of the last
    occurrence of the mode, as PyTorch's CPU kernel returns for small inputs.

    Args:
        input: a real tensor.
        dim: the dim to reduce (default -1).
        keepdim: keep ``dim`` with size 1 (default False).

    Shape:
        ``input``'s shape without ``dim``.

    Raises:
        IndexError: ``dim`` out of range or of size 0.

    Example:
        >>> import ember
        >>> r = ember.mode(ember.tensor([3, 1, 3, 2, 1, 3, 1]))
        >>> r.values, r.indices
        (tensor(1), tensor(6))
    """
    x = input._data
    _sortable(x, "mode")
    d = _wrap_dim(dim, x.ndim, "mode")
    _nonempty_dim(x, d, "mode")
    xp = xp_of(x)
    if not x.ndim:
        return _out(_select("Mode", input, xp.zeros((), np.int64), d, keepdim, R.mode), out)
    n = x.shape[d]
    xm = xp.moveaxis(x, d, -1)
    perm = _argsort(xp, xm, -1)
    s = xp.take_along_axis(xm, perm, axis=-1)
    new = s[..., 1:] != s[..., :-1]  # run boundaries of equal values
    edge = xp.ones(s.shape[:-1] + (1,), dtype=bool)
    first = xp.concatenate([edge, new], axis=-1)
    last = xp.concatenate([new, edge], axis=-1)
    j = xp.arange(n)
    start = running(xp, xp.where(first, j, 0), -1, True)
    count = xp.where(last, j - start + 1, 0)  # run length, stored at each run's end
    # NOTE: argmax takes the first maximum = the smallest value; its run ends at the last
    # occurrence in input order because the sort is stable.
    pos = xp.expand_dims(xp.argmax(count, axis=-1), -1)
    idx = xp.moveaxis(xp.take_along_axis(perm, pos, axis=-1), -1, d)
    return _out(_select("Mode", input, idx, d, keepdim, R.mode), out)


# ---------------------------------------------------------------------- cummax / cummin
def _cum(input, dim, is_max, rtype, op):
    x = input._data
    _sortable(x, op)
    d = _wrap_dim(dim, x.ndim, op)
    xp = xp_of(x)
    if not x.ndim:
        idx = xp.zeros((), np.int64)
    elif x.size == 0:
        idx = xp.zeros(x.shape, np.int64)
    else:
        m = running(xp, x, d, is_max)
        # NOTE: an element equal to the running extreme takes over the index (last
        # occurrence on ties), and so does every NaN once the running value is NaN.
        hit = x == m
        if x.dtype.kind == "f":
            hit |= xp.isnan(x)
        idx = running(xp, xp.where(hit, _positions(xp, x.shape, d), 0), d, True)
    return _select(op.capitalize(), input, idx, d, True, rtype)


def cummax(input, dim: int, *, out=None):
    """Running maximum along ``dim`` and the index where it was reached.

    ``values[i] = max(input[0..i])``; on ties the index is the latest one, and once a NaN
    is met the value stays NaN (indices follow each later NaN), as in PyTorch.

    Args:
        input: a real tensor.
        dim: the dim to scan.

    Shape:
        values and indices have ``input``'s shape.

    Raises:
        IndexError: ``dim`` out of range.

    Example:
        >>> import ember
        >>> r = ember.cummax(ember.tensor([1.0, 3.0, 2.0, 3.0, 5.0]), 0)
        >>> r.values, r.indices
        (tensor([1., 3., 3., 3., 5.]), tensor([0, 1, 1, 3, 4]))
    """
    return _out(_cum(input, dim, True, R.cummax, "cummax"), out)


def cummin(input, dim: int, *, out=None):
    """Running minimum along ``dim`` and its index (see :func:`cummax`).

    Example:
        >>> import ember
        >>> ember.cummin(ember.tensor([3, 1, 2, 1]), 0).indices
        tensor([0, 1, 1, 3])
    """
    return _out(_cum(input, dim, False, R.cummin, "cummin"), out)
