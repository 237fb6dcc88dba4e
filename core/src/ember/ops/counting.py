"""Counting and bucketing: unique, unique_consecutive, bincount, histc, histogram, searchsorted.

These ops return counts, bins and positions, so none of them is differentiable.  Like the
sorting ops, NaN orders as the largest value; NaNs never equal each other (``unique`` keeps
every NaN, as PyTorch does).

Example:
    >>> import ember
    >>> x = ember.tensor([2, 0, 2, 3, 0, 2])
    >>> ember.unique(x, return_counts=True)
    (tensor([0, 2, 3]), tensor([2, 3, 1]))
    >>> ember.bincount(x)
    tensor([2, 0, 3, 1])
    >>> ember.searchsorted(ember.tensor([1.0, 2.0, 3.0]), ember.tensor([2.5, 0.0]))
    tensor([2, 0])
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as T
from .. import return_types as R
from .._tensor import Tensor, _wrap_dim
from ._dispatch import check_same_device, xp_of
from ._selection import _argsort, _int_arg, _out

__all__ = ["unique", "unique_consecutive", "bincount", "histc", "histogram", "searchsorted",
           "bucketize"]


# ---------------------------------------------------------------------- unique
def _lexsort_rows(xp, rows):
    """Stable order of the rows of a 2-D array, lexicographic (column 0 most significant)."""
    perm = xp.arange(rows.shape[0])
    # NOTE: least-significant column first; each stable pass keeps the earlier ordering
    for c in range(rows.shape[1] - 1, -1, -1):
        perm = perm[_argsort(xp, rows[perm, c], 0)]
    return perm


def _runs(xp, s, perm, return_inverse, return_counts, inv_shape):
    """Values, inverse and counts of the runs of equal rows in the (sorted) array ``s``."""
    n = s.shape[0]
    new = s[1:] != s[:-1]
    if s.ndim > 1:
        new = new.any(axis=tuple(range(1, s.ndim)))
    first = xp.concatenate([xp.ones(min(n, 1), dtype=bool), new])
    values = s[first]
    out = [values]
    if return_inverse:
        run = xp.cumsum(first) - 1
        inv = xp.empty(n, np.int64)
        if perm is None:
            inv = run.astype(np.int64)
        else:
            inv[perm] = run
        out.append(inv.reshape(inv_shape))
    if return_counts:
        starts = xp.nonzero(first)[0]
        out.append(xp.diff(xp.concatenate([starts, xp.asarray([n], dtype=starts.dtype)]))
                   .astype(np.int64))
    return out


def _unique(input, dim, sort, return_inverse, return_counts, op):
    x = input._data
    xp = xp_of(x)
    if x.dtype.kind == "c" and sort:
        raise RuntimeError(f"{op}(): does not support complex dtypes (they have no total "
                           "order)")
    if dim is None:
        flat = x.reshape(-1)
        perm = _argsort(xp, flat, 0, stable=False) if sort else None
        s = flat[perm] if sort else flat
        res = _runs(xp, s, perm, return_inverse, return_counts, x.shape)
    else:
        if x.ndim == 0:
            raise IndexError(f"{op}(): Dimension specified as {dim} but tensor has no "
                             "dimensions")
        d = _wrap_dim(dim, x.ndim, op)
        if any(n == 0 for i, n in enumerate(x.shape) if i != d):
            raise RuntimeError(f"{op}(): There are 0 sized dimensions, and they aren't "
                               "selected, so unique cannot be applied")
        xm = xp.moveaxis(x, d, 0)
        rows = xm.reshape(xm.shape[0], int(np.prod(xm.shape[1:])))
        perm = _lexsort_rows(xp, rows) if sort and rows.shape[0] else None
        s = xm[perm] if perm is not None else xm
        res = _runs(xp, s, perm, return_inverse, return_counts, (x.shape[d],))
        res[0] = xp.moveaxis(res[0], 0, d)
    out = tuple(Tensor._make(r) for r in res)
    return out[0] if len(out) == 1 else out


def unique(input, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    """The distinct elements of ``input`` (or distinct slices along ``dim``), sorted.

    ``values[inverse]`` rebuilds the input and ``counts`` says how often each value occurs.
    NaNs are never equal, so each NaN is its own value (as in PyTorch).  The output is always
    sorted (PyTorch's CPU kernel sorts also with ``sorted=False``).

    Args:
        input: the tensor.
        sorted: accepted; the result is always sorted.
        return_inverse: also return the index of each input element in ``values``.
        return_counts: also return the count of each value.
        dim: compare whole slices along this dim (default ``None``: all elements, flattened).

    Shape:
        values: ``(u,)``, or ``input``'s shape with ``dim`` of size ``u``; inverse:
        ``input``'s shape (``(input.size(dim),)`` with ``dim``); counts: ``(u,)``.

    Returns:
        ``values``, or a tuple ``(values[, inverse][, counts])``.

    Raises:
        IndexError: ``dim`` out of range.  RuntimeError: other dims of size 0 with ``dim``.

    Example:
        >>> import ember
        >>> ember.unique(ember.tensor([[1, 2], [1, 2], [0, 5]]), dim=0, return_inverse=True)
        (tensor([[0, 5],
                [1, 2]]), tensor([1, 1, 0]))
    """
    return _unique(input, dim, True, return_inverse, return_counts, "unique")


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False,
                       dim=None):
    """Collapse each run of consecutive equal elements (or slices along ``dim``) to one.

    Example:
        >>> import ember
        >>> ember.unique_consecutive(ember.tensor([1, 1, 2, 2, 3, 1]), return_counts=True)
        (tensor([1, 2, 3, 1]), tensor([2, 2, 1, 1]))
    """
    return _unique(input, dim, False, return_inverse, return_counts, "unique_consecutive")


# ---------------------------------------------------------------------- bincount
def bincount(input, weights=None, minlength: int = 0):
    """Count occurrences of each value in a 1-D tensor of non-negative integers.

    ``out[i] = sum(weights[j] for j where input[j] == i)`` (``weights`` default 1).

    Args:
        input: 1-D integer tensor, values ``>= 0``.
        weights: optional 1-D tensor of ``input``'s length.
        minlength: minimum number of bins (default 0).

    Shape:
        ``(max(max(input) + 1, minlength),)``.  int64 without ``weights``; float32 for
        float32 weights, else float64 (as PyTorch).

    Raises:
        NotImplementedError: non-integer input.  RuntimeError: input not 1-D or negative,
        bad ``weights`` length, negative ``minlength``.

    Example:
        >>> import ember
        >>> ember.bincount(ember.tensor([0, 1, 1, 3]), minlength=5)
        tensor([1, 2, 0, 1, 0])
        >>> ember.bincount(ember.tensor([0, 1, 1]), weights=ember.tensor([0.5, 1.0, 2.0]))
        tensor([0.5000, 3.0000])
    """
    x = input._data
    xp = xp_of(x)
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f"bincount(): not implemented for '{T._BY_NP[x.dtype].name}'; "
                                  "input must be an integer tensor")
    minlength = _int_arg(minlength, "bincount", "minlength")
    if minlength < 0:
        raise RuntimeError(f"bincount(): minlength should be >= 0, got {minlength}")
    if x.ndim != 1 or (x.size and bool((x < 0).any())):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None
    if weights is not None:
        check_same_device("bincount", input, weights)
        w = weights._data
        if w.ndim != 1 or w.shape[0] != x.shape[0]:
            raise RuntimeError(f"bincount(): weights should be 1-d and have the same length as "
                               f"input, got weights of shape {list(w.shape)} for input of "
                               f"shape {list(x.shape)}")
    dt = np.int64 if w is None else np.float32 if w.dtype == np.float32 else np.float64
    if x.size == 0:
        return Tensor._make(xp.zeros(minlength, dt))
    r = xp.bincount(x.astype(np.int64, copy=False),
                    weights=None if w is None else w.astype(np.float64), minlength=minlength)
    return Tensor._make(r.astype(dt, copy=False))


# ---------------------------------------------------------------------- histograms
def _float_input(x, op):
    if x.dtype.kind != "f":
        raise NotImplementedError(f"{op}(): not implemented for '{T._BY_NP[x.dtype].name}'; input "
                                  "must be a floating point tensor")


def _bin_counts(xp, x, edges, w, dt):
    """Weighted counts of ``x`` in the bins ``[e_i, e_{i+1})`` (the last bin closed)."""
    nb = edges.shape[0] - 1
    if x.size == 0 or nb <= 0:
        return xp.zeros(max(nb, 0), dt)
    pos = xp.searchsorted(edges, x, side="right") - 1
    pos = xp.where(x == edges[-1], nb - 1, pos)
    ok = (pos >= 0) & (pos < nb)  # outside the range, or NaN: dropped
    wt = ok.astype(np.float64) if w is None else xp.where(ok, w, 0).astype(np.float64)
    return xp.bincount(xp.where(ok, pos, 0), weights=wt, minlength=nb).astype(dt)


def _finite(lo, hi, op):
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"{op}(): range of [{lo}, {hi}] is not finite")


def histc(input, bins: int = 100, min=0, max=0, *, out=None):
    """Histogram with ``bins`` equal-width bins over ``[min, max]``.

    When ``min == max`` the range is the data's ``[min, max]`` (widened by 1 on each side if
    that is a single value).  Elements outside the range, and NaNs, are ignored; the last
    bin includes ``max``.

    Args:
        input: a floating point tensor (flattened).
        bins: number of bins (default 100).
        min: lower end of the range (default 0).
        max: upper end of the range (default 0).

    Shape:
        ``(bins,)``, of ``input``'s dtype.

    Raises:
        NotImplementedError: integer input.  RuntimeError: ``bins <= 0``, ``min > max``,
        a non-finite range.

    Example:
        >>> import ember
        >>> ember.histc(ember.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    x = input._data
    _float_input(x, "histc")
    bins = _int_arg(bins, "histc", "bins")
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, but got {bins}")
    xp = xp_of(x)
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    _finite(lo, hi, "histc")
    if not lo < hi:
        raise RuntimeError(f"histc(): max must be larger than min, got min {lo} and max {hi}")
    edges = xp.linspace(lo, hi, bins + 1).astype(x.dtype)
    return _out(Tensor._make(_bin_counts(xp, x.reshape(-1), edges, None, x.dtype)), out)


def histogram(input, bins, *, range=None, weight=None, density: bool = False, out=None):
    """Histogram of ``input`` with ``bins`` equal bins or the given bin edges.

    Args:
        input: a floating point tensor (flattened).
        bins: number of equal-width bins (int), or a 1-D tensor of increasing edges.
        range: ``(min, max)`` of the equal bins (default: the data's range; ``[0, 1]`` when
            empty; a single value ``v`` becomes ``[v - 0.5, v + 0.5]``).
        weight: optional tensor of ``input``'s shape; each element adds its weight.
        density: normalise so that ``sum(hist * bin_widths) == 1`` (default False).

    Shape:
        ``hist``: ``(nbins,)``; ``bin_edges``: ``(nbins + 1,)``, both of ``input``'s dtype.

    Raises:
        NotImplementedError: integer input.  RuntimeError: ``bins <= 0``, ``min > max``, a
        non-finite range, ``bins`` tensor not 1-D or of another dtype, ``weight`` shape.

    Example:
        >>> import ember
        >>> hist, edges = ember.histogram(ember.tensor([1.0, 2.0, 1.0]), bins=4, range=(0.0, 3.0))
        >>> hist, edges
        (tensor([0., 2., 1., 0.]), tensor([0.0000, 0.7500, 1.5000, 2.2500, 3.0000]))
    """
    x = input._data
    _float_input(x, "histogram")
    xp = xp_of(x)
    flat = x.reshape(-1)
    if isinstance(bins, Tensor):
        check_same_device("histogram", input, bins)
        edges = bins._data
        if edges.ndim != 1:
            raise RuntimeError(f"histogram(): bins tensor should have one dimension, but got "
                               f"{edges.ndim} dimensions")
        if edges.dtype != x.dtype:
            raise RuntimeError(f"histogram(): input tensor and bins tensors should have the "
                               f"same dtype, but got input with dtype {input.dtype} and bins "
                               f"with dtype {bins.dtype}")
    else:
        bins = _int_arg(bins, "histogram", "bins")
        if bins <= 0:
            raise RuntimeError(f"histogram(): bins must be > 0, but got {bins}")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
            if lo > hi:
                raise RuntimeError(f"histogram(): min should not exceed max, but got min {lo} "
                                   f"max {hi}")
        elif flat.size:
            lo, hi = float(flat.min()), float(flat.max())
        else:
            lo, hi = 0.0, 1.0
        _finite(lo, hi, "histogram")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = xp.linspace(lo, hi, bins + 1).astype(x.dtype)
    w = None
    if weight is not None:
        check_same_device("histogram", input, weight)
        if tuple(weight.shape) != x.shape:
            raise RuntimeError(f"histogram(): weight should have the same shape as the input, "
                               f"but got input with shape {list(x.shape)} and weight with "
                               f"shape {list(weight.shape)}")
        w = weight._data.reshape(-1)
    hist = _bin_counts(xp, flat, edges, w, x.dtype)
    if density:
        with np.errstate(invalid="ignore", divide="ignore"):  # NOTE: no data: 0/0 = NaN
            hist = hist / (hist.sum() * xp.diff(edges))
    res = R.histogram(Tensor._make(hist.astype(x.dtype, copy=False)), Tensor._make(edges))
    return _out(res, out)


# ---------------------------------------------------------------------- searchsorted
def _bsearch(xp, b, v, right: bool):
    """Vectorised binary search of ``v`` in the rows of ``b`` with PyTorch's comparisons.

    Left: the first ``i`` with ``b[i] >= v``; right: the first with ``b[i] > v``.  A NaN in
    ``v`` compares false with everything and so lands at the end.
    """
    n = b.shape[-1]
    lo = xp.zeros(v.shape, np.int64)
    hi = xp.full(v.shape, n, np.int64)
    for _ in range(int(n).bit_length()):  # NOTE: log2(n) steps, each vectorised over v
        mid = (lo + hi) // 2
        at = xp.minimum(mid, n - 1)
        bm = b[at] if b.ndim == 1 else xp.take_along_axis(b, at, axis=-1)
        go = ~(bm > v) if right else ~(bm >= v)
        active = lo < hi
        lo = xp.where(active & go, mid + 1, lo)
        hi = xp.where(active & ~go, mid, hi)
    return lo


def searchsorted(sorted_sequence, values, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None, out=None):
    """Indices at which ``values`` would be inserted into ``sorted_sequence`` to keep it sorted.

    Left (default): the first ``i`` with ``sorted_sequence[..., i] >= v``; right (``right`` or
    ``side='right'``): the first with ``sorted_sequence[..., i] > v``.  An N-D sequence is
    searched row by row (its leading dims must equal those of ``values``).  The sequence is
    not checked for being sorted (the result is then unspecified, as in PyTorch).

    Args:
        sorted_sequence: 1-D, or N-D sorted along the last dim.
        values: a tensor or a Python scalar (then the sequence must be 1-D).
        out_int32: return int32 instead of int64 (default False).
        right: search from the right (default False).
        side: 'left' or 'right' (must agree with ``right``).
        sorter: int64 indices that sort an unsorted ``sorted_sequence`` along its last dim.

    Shape:
        ``values``' shape (0-d for a scalar).

    Raises:
        RuntimeError: 0-d sequence, mismatched leading dims, scalar values with an N-D
        sequence, bad ``side``, bad ``sorter`` (dtype, shape, range).

    Example:
        >>> import ember
        >>> seq = ember.tensor([[1, 3, 5], [2, 4, 6]])
        >>> ember.searchsorted(seq, ember.tensor([[3, 6], [1, 9]]), right=True)
        tensor([[2, 3],
                [0, 3]])
    """
    b = sorted_sequence._data
    xp = xp_of(b)
    if b.ndim == 0:
        raise RuntimeError("searchsorted(): boundaries tensor should have positive dimension, "
                           "but got 0 dimension")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"searchsorted(): side can only be 'left' or 'right' but got "
                               f"{side}")
        if right and side == "left":
            raise RuntimeError("searchsorted(): side and right can't be set to opposites, got "
                               "side of left while right was True")
        right = side == "right"
    if isinstance(values, Tensor):
        check_same_device("searchsorted", sorted_sequence, values)
        v = values._data
    else:
        v = xp.asarray(values)
    if b.ndim > 1 and v.ndim == 0:
        raise RuntimeError(f"searchsorted(): input value can be a scalar only when boundaries "
                           f"tensor dimension is 1, but we got boundaries tensor dim({b.ndim}) "
                           f"and input value's dim(0) numel(1)")
    if b.ndim > 1 and (v.ndim != b.ndim or v.shape[:-1] != b.shape[:-1]):
        raise RuntimeError(f"searchsorted(): boundaries tensor should be 1 dimension or the "
                           f"first N-1 dimensions of boundaries tensor and input value tensor "
                           f"must match, but we got boundaries tensor {list(b.shape)} and input "
                           f"value tensor {list(v.shape)}")
    if sorter is not None:
        check_same_device("searchsorted", sorted_sequence, sorter)
        s = sorter._data
        if s.dtype != np.int64:
            raise RuntimeError(f"searchsorted(): sorter must be a tensor of long dtype but got "
                               f"dtype {sorter.dtype}")
        if s.shape != b.shape:
            raise RuntimeError(f"searchsorted(): boundary and sorter must have the same size, "
                               f"but got boundary tensor {list(b.shape)} and got sorter tensor "
                               f"{list(s.shape)}")
        if s.size and bool(((s < 0) | (s >= b.shape[-1])).any()):
            raise RuntimeError(f"searchsorted(): sorter index out of range (must be in "
                               f"[0, {b.shape[-1]}))")
        b = xp.take_along_axis(b, s, axis=-1)
    ct = np.result_type(b.dtype, v.dtype)
    b, v = b.astype(ct, copy=False), v.astype(ct, copy=False)
    if b.shape[-1] == 0:
        r = xp.zeros(v.shape, np.int64)
    elif b.ndim == 1 and (ct.kind != "f" or not bool(xp.isnan(b).any())):
        # NOTE: without NaN boundaries numpy/cupy's searchsorted agrees with PyTorch's
        r = xp.asarray(xp.searchsorted(b, v, side="right" if right else "left"))
    else:
        r = _bsearch(xp, b, v, right)
    r = r.astype(np.int32 if out_int32 else np.int64, copy=False)
    return _out(Tensor._make(r), out)


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False, out=None):
    """Index of the bucket of each element of ``input`` given 1-D ``boundaries``.

    ``right=False``: ``boundaries[i-1] < x <= boundaries[i]``; ``right=True``:
    ``boundaries[i-1] <= x < boundaries[i]`` (the same as ``searchsorted(boundaries, input,
    right=right)``).

    Args:
        input: a tensor or a Python scalar.
        boundaries: 1-D increasing tensor.
        out_int32: return int32 instead of int64 (default False).
        right: see above (default False).

    Shape:
        ``input``'s shape.

    Raises:
        RuntimeError: ``boundaries`` not 1-D.

    Example:
        >>> import ember
        >>> ember.bucketize(ember.tensor([[3.0, 6.0], [9.0, 1.0]]), ember.tensor([1.0, 3.0, 5.0]))
        tensor([[1, 3],
                [3, 0]])
    """
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)
