"""Op records for the sorting family (see :mod:`ember.testing.op_db`).

Sorting/selection (sort, argsort, msort, topk, kthvalue, median, nanmedian, quantile,
nanquantile, mode, cummax, cummin) and counting (unique, unique_consecutive, bincount, histc,
histogram, searchsorted, bucketize; tagged ``"counting"``).  References are numpy in float64:
``np.argsort(kind="stable")``, ``np.partition``, ``np.quantile``, ``np.unique``,
``np.bincount``, ``np.histogram``, ``np.searchsorted``.  Random samples have no ties; inputs
with ties use the orders PyTorch specifies (stable sort, last index of a mode or a running
maximum), and otherwise avoid ties where PyTorch leaves the chosen index unspecified.
"""

from __future__ import annotations

import numpy as np

from ..op_record import ErrorInput, OpRecord

_NAN, _INF = np.nan, np.inf

# ---------------------------------------------------------------------- fixed inputs
# NaN and infinities mixed in, no ties within a row (one NaN each)
_NANS = np.array([[3.0, _NAN, 1.0, -_INF, _INF], [0.5, -2.0, _NAN, 4.0, -_INF]])
# integer rows with ties
_TIES = np.array([[1, 0, 1, 0, 1, 2], [3, 3, 1, 1, 2, 3]])
_MODES = np.array([[3, 1, 3, 2, 1, 3, 1], [5, 5, 4, 4, 4, 0, 0], [7, 2, 2, 7, 9, 9, 9]])
_RUNS = np.array([[1, 3, 2, 3, 1, 5, 5], [4, 4, 2, 6, 2, 1, 6]])
# NaN rows without an all-NaN row (numpy warns on those), for the nan-ignoring ops
_SOME_NAN = np.array([[1.5, _NAN, -0.5, 2.0, 0.25], [_NAN, 3.0, _NAN, -1.0, 0.75],
                      [0.0, 1.0, 2.0, -3.0, 4.0]])
# values on a 1/8 grid: exact in float32, so histogram bins agree with a float64 reference
_GRID = np.array([[0.125, 1.5, 2.75, -0.5], [3.875, 1.0, 0.625, 2.25], [-1.25, 4.5, 3.0, 0.0]])
_SEQ = np.array([-1.0, 0.5, 2.0, 2.5, 4.0])
_SEQ2 = np.array([[1.0, 3.0, 5.0, 7.0], [-2.0, 0.0, 2.0, 4.0], [0.5, 1.0, 1.5, 2.0]])
_VALS2 = np.array([[3.0, 6.0, 0.0], [2.0, -3.0, 4.0], [1.0, 2.5, 1.75]])


def _rec(name, op, ref, samples, **kw):
    return OpRecord(name, op, ref, samples, **kw)


def _crec(name, op, ref, samples, **kw):
    return OpRecord(name, op, ref, samples, grad=False, tags=("counting",), **kw)


# ---------------------------------------------------------------------- references
def _order(x, axis, descending):
    """Stable order with NaN largest; descending keeps ties in input order."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    nan = np.isnan(x)
    key = np.where(nan, 0.0, x)
    idx = np.arange(x.shape[-1])
    out = np.empty(x.shape, dtype=np.int64)
    for pos in np.ndindex(x.shape[:-1]):
        if descending:  # last key is primary: NaN first, then -value, then position
            out[pos] = np.lexsort((idx, -key[pos], ~nan[pos]))
        else:
            out[pos] = np.lexsort((idx, key[pos], nan[pos]))
    return np.moveaxis(out, -1, axis)


def _sort_ref(x, dim=-1, descending=False, stable=False):
    if x.ndim == 0:
        return x, np.array(0)
    i = _order(x, dim, descending)
    return np.take_along_axis(x, i, dim), i


def _topk_ref(x, k, dim=-1, largest=True):
    if x.ndim == 0:
        return x, np.array(0)
    i = np.take(_order(x, dim, largest), np.arange(k), axis=dim)
    return np.take_along_axis(x, i, dim), i


def _kth_ref(x, k, dim=-1, keepdim=False):
    if x.ndim == 0:
        return x, np.array(0)
    v = np.take(np.partition(x, k - 1, axis=dim), [k - 1], axis=dim)
    i = np.take(np.argsort(x, axis=dim, kind="stable"), [k - 1], axis=dim)
    return (v, i) if keepdim else (np.squeeze(v, dim), np.squeeze(i, dim))


def _lower_median_all(x):
    return np.quantile(x, 0.5, method="lower")


def _median_dim_ref(x, dim, keepdim=False, nan_ignore=False):
    """Lower median along ``dim``; NaN (first NaN's index) unless ``nan_ignore``."""
    if x.ndim == 0:
        return x, np.array(0)
    xm = np.moveaxis(x, dim, -1)
    vals = np.empty(xm.shape[:-1])
    idx = np.empty(xm.shape[:-1], dtype=np.int64)
    for pos in np.ndindex(xm.shape[:-1]):
        row = xm[pos]
        nan = np.isnan(row)
        if nan.any() and not nan_ignore:
            vals[pos], idx[pos] = np.nan, int(np.argmax(nan))
            continue
        ok = np.sort(row[~nan])
        vals[pos] = ok[(len(ok) - 1) // 2]
        idx[pos] = int(np.nonzero(row == vals[pos])[0][0])
    if keepdim:
        return np.expand_dims(vals, dim), np.expand_dims(idx, dim)
    return vals, idx


def _mode_ref(x, dim=-1, keepdim=False):
    xm = np.moveaxis(x, dim, -1)
    vals = np.empty(xm.shape[:-1], dtype=x.dtype)
    idx = np.empty(xm.shape[:-1], dtype=np.int64)
    for pos in np.ndindex(xm.shape[:-1]):
        u, c = np.unique(xm[pos], return_counts=True)
        vals[pos] = u[np.argmax(c)]  # smallest of the most frequent
        idx[pos] = int(np.nonzero(xm[pos] == vals[pos])[0][-1])  # its last occurrence
    if keepdim:
        return np.expand_dims(vals, dim), np.expand_dims(idx, dim)
    return vals, idx


def _cum_ref(is_max):
    def ref(x, dim):
        if x.ndim == 0:
            return x, np.array(0)
        xm = np.moveaxis(x, dim, -1)
        vals = np.empty(xm.shape, dtype=x.dtype)
        idx = np.empty(xm.shape, dtype=np.int64)
        for pos in np.ndindex(xm.shape[:-1]):
            best, bi = xm[pos][0], 0
            for j, v in enumerate(xm[pos]):
                better = v >= best if is_max else v <= best
                # once the running value is NaN only later NaNs move the index
                if np.isnan(v) or (not np.isnan(best) and better):
                    best, bi = v, j
                vals[pos + (j,)], idx[pos + (j,)] = best, bi
        return np.moveaxis(vals, -1, dim), np.moveaxis(idx, -1, dim)
    return ref


def _unique_ref(x, return_inverse=False, return_counts=False, dim=None, sorted=True):
    u, inv, cnt = np.unique(x, return_inverse=True, return_counts=True, axis=dim,
                            equal_nan=False)
    out = [u]
    if return_inverse:
        out.append(inv.reshape(x.shape if dim is None else (x.shape[dim],)))
    if return_counts:
        out.append(cnt)
    return tuple(out) if len(out) > 1 else u


def _unique_consecutive_ref(x, return_inverse=False, return_counts=False, dim=None):
    items = list(x.reshape(-1)) if dim is None else list(np.moveaxis(x, dim, 0))
    vals, inv, cnt = [], [], []
    for it in items:
        if vals and np.array_equal(vals[-1], it):
            cnt[-1] += 1
        else:
            vals.append(it)
            cnt.append(1)
        inv.append(len(vals) - 1)
    u = np.array(vals) if dim is None else np.moveaxis(np.array(vals), 0, dim)
    out = [u]
    if return_inverse:
        out.append(np.array(inv).reshape(x.shape if dim is None else (-1,)))
    if return_counts:
        out.append(np.array(cnt))
    return tuple(out) if len(out) > 1 else u


def _histc_ref(x, bins=100, min=0, max=0):
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return np.histogram(x, bins=bins, range=(lo, hi))[0].astype(np.float64)


def _histogram_ref(x, bins, range=None, weight=None, density=False):
    h, e = np.histogram(x, bins=bins, range=range, weights=weight, density=density)
    return h.astype(np.float64), e


def _searchsorted_ref(seq, v, right=False, side=None, out_int32=False, sorter=None):
    side = side or ("right" if right else "left")
    if seq.ndim == 1:
        return np.searchsorted(seq, v, side=side, sorter=sorter)
    out = np.empty(np.shape(v), dtype=np.int64)
    for pos in np.ndindex(seq.shape[:-1]):
        out[pos] = np.searchsorted(seq[pos], v[pos], side=side)
    return out


def _bucketize_ref(x, b, right=False, out_int32=False):
    return np.searchsorted(b, x, side="right" if right else "left")


def _quantile_ref(fn):
    def ref(x, q, dim=None, keepdim=False, interpolation="linear"):
        return fn(x, q, axis=dim, keepdims=keepdim, method=interpolation)
    return ref


_OOR = r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"

RECORDS: list[OpRecord] = [
    # ---------------------------------------------------------------- sort / argsort / msort
    _rec("sort", lambda lib, x, dim, desc: lib.sort(x, dim, desc), _sort_ref,
         [((3, 5), 1, False), ((4, 3), 0, True), ((2, 3, 4), -1, True), ((6,), 0, False),
          ((), 0, True)],
         errors=[ErrorInput(((2, 3), 2, False), IndexError, _OOR)]),
    _rec("sort_nan_inf", lambda lib, x, desc: x.sort(dim=1, descending=desc),
         lambda x, desc: _sort_ref(x, 1, desc), [(_NANS, False), (_NANS, True)], grad=False,
         extra="NaN sorts as the largest value"),
    _rec("sort_stable_ties", lambda lib, x, desc: lib.sort(x, stable=True, descending=desc),
         lambda x, desc: _sort_ref(x, -1, desc), [(_TIES, False), (_TIES, True)]),
    _rec("argsort", lambda lib, x, dim, desc: lib.argsort(x, dim, desc),
         lambda x, dim, desc: _order(x, dim, desc) if x.ndim else np.array(0),
         [((3, 5), 1, False), ((4, 3), 0, True), ((), 0, False)], grad=False),
    _rec("argsort_stable_ties", lambda lib, x: x.argsort(stable=True, descending=True),
         lambda x: _order(x, -1, True), [(_TIES,)]),
    _rec("msort", lambda lib, x: lib.msort(x), lambda x: np.sort(x, axis=0),
         [((4, 3),), ((5,),)]),
    # ---------------------------------------------------------------- topk / kthvalue
    _rec("topk", lambda lib, x, k, dim, largest: lib.topk(x, k, dim, largest),
         _topk_ref,
         [((3, 6), 2, 1, True), ((5, 3), 3, 0, False), ((3, 4), 4, -1, True),
          ((3, 4), 0, 1, True), ((8,), 1, 0, False), ((), 1, 0, True)],
         errors=[ErrorInput(((3, 4), 5, 1, True), RuntimeError, "selected index k out of range"),
                 ErrorInput(((3, 4), -1, 1, True), RuntimeError,
                            "selected index k out of range"),
                 ErrorInput(((), 2, 0, True), RuntimeError, "selected index k out of range"),
                 ErrorInput(((3, 4), 2, 2, True), IndexError, _OOR),
                 ErrorInput(((3, 4), 2.0, 1, True), TypeError,
                            r"topk\(\): argument 'k' must be int, not float")]),
    _rec("topk_nan", lambda lib, x, largest: lib.topk(x, 3, largest=largest),
         lambda x, largest: _topk_ref(x, 3, -1, largest), [(_NANS, True), (_NANS, False)],
         grad=False),
    _rec("kthvalue", lambda lib, x, k, dim, keepdim: lib.kthvalue(x, k, dim, keepdim),
         _kth_ref,
         [((3, 6), 2, 1, False), ((5, 3), 5, 0, True), ((7,), 4, 0, False), ((), 1, 0, False)],
         errors=[ErrorInput(((3, 4), 5, 1, False), RuntimeError,
                            r"kthvalue\(\): selected number k out of range for dimension 1"),
                 ErrorInput(((3, 4), 0, -1, False), RuntimeError,
                            r"kthvalue\(\): selected number k out of range for dimension 1"),
                 ErrorInput(((0,), 1, 0, False), IndexError,
                            r"kthvalue\(\): Expected reduction dim 0 to have non-zero size"),
                 ErrorInput(((3, 4), 1, -3, False), IndexError, "Dimension out of range")]),
    # ---------------------------------------------------------------- median / nanmedian
    _rec("median", lambda lib, x: lib.median(x), _lower_median_all,
         [((3, 4),), ((5,),), ((),)]),
    _rec("median_dim", lambda lib, x, dim, keepdim: x.median(dim, keepdim),
         _median_dim_ref, [((3, 4), 1, False), ((4, 5), 0, True), ((2, 3, 5), -1, False),
                           ((), 0, False)],
         errors=[ErrorInput(((3, 0), 1, False), IndexError,
                            r"median\(\): Expected reduction dim 1 to have non-zero size"),
                 ErrorInput(((3, 4), 2, False), IndexError, _OOR)]),
    _rec("median_nan", lambda lib, x, dim: lib.median(x, dim), _median_dim_ref,
         [(_SOME_NAN, 1), (_SOME_NAN, 0)], grad=False),
    _rec("median_nan_all", lambda lib, x: lib.median(x), lambda x: np.array(_NAN),
         [(_SOME_NAN,)], grad=False),
    _rec("nanmedian", lambda lib, x: lib.nanmedian(x),
         lambda x: np.nanquantile(x, 0.5, method="lower"), [(_SOME_NAN,), ((3, 4),)]),
    _rec("nanmedian_dim", lambda lib, x, dim, keepdim: x.nanmedian(dim, keepdim),
         lambda x, dim, keepdim: _median_dim_ref(x, dim, keepdim, nan_ignore=True),
         [(_SOME_NAN, 1, False), (_SOME_NAN, 0, True), ((3, 4), 1, False)]),
    # ---------------------------------------------------------------- quantile
    _rec("quantile", lambda lib, x, q, **kw: lib.quantile(x, q, **kw),
         _quantile_ref(np.quantile),
         [((3, 6), 0.3), ((3, 6), 0.3), ((3, 6), 0.7), ((3, 6), 0.5), ((3, 6), 0.625),
          ((4, 5), np.array([0.1, 0.5, 0.9])), ((4, 5), np.array([0.0, 1.0])),
          ((2, 3, 4), 0.4), ((5,), np.array(0.25)), ((), 0.5)],
         sample_kwargs=[{"dim": 1}, {"dim": 1, "interpolation": "lower"},
                        {"dim": 0, "interpolation": "higher", "keepdim": True},
                        {"dim": -1, "interpolation": "midpoint"},
                        {"dim": 0, "interpolation": "nearest"},
                        {"dim": 1, "keepdim": True}, {"dim": 0},
                        {"keepdim": True}, {"interpolation": "linear"}, {}],
         nondiff_args=(1,),
         errors=[ErrorInput((np.array([1, 2, 3]), 0.5), RuntimeError,
                            r"quantile\(\) input tensor must be either float or double dtype"),
                 ErrorInput(((3,), 1.5), RuntimeError,
                            r"quantile\(\) q must be in the range \[0, 1\] but got 1.5"),
                 ErrorInput(((3,), np.array([0.2, -0.1])), RuntimeError,
                            r"quantile\(\) q values must be in the range \[0, 1\]"),
                 ErrorInput(((3,), np.array([[0.5]])), RuntimeError,
                            r"quantile\(\) q must be a scalar or 1D tensor"),
                 ErrorInput(((3,), 0.5), RuntimeError,
                            r"quantile\(\) interpolation must be one of linear, lower, higher, "
                            r"midpoint or nearest, but got cubic",
                            {"interpolation": "cubic"}),
                 ErrorInput(((0,), 0.5), RuntimeError,
                            r"quantile\(\) input tensor must be non-empty"),
                 ErrorInput(((3, 4), 0.5), IndexError, _OOR, {"dim": 2})]),
    _rec("quantile_nearest_half", lambda lib, x, q: lib.quantile(x, q, interpolation="nearest"),
         lambda x, q: np.quantile(x, q, method="nearest"),
         [(np.arange(5.0), np.array([0.375, 0.625, 0.125, 0.875])),
          (np.arange(4.0), np.array([0.5, 1 / 6]))], grad=False,
         extra="ranks 1.5, 2.5, 0.5, 3.5 round half to even, as torch.round"),
    _rec("quantile_nan", lambda lib, x: lib.quantile(x, 0.5, dim=1),
         lambda x: np.quantile(x, 0.5, axis=1), [(_SOME_NAN,)], grad=False),
    _rec("nanquantile", lambda lib, x, q, **kw: lib.nanquantile(x, q, **kw),
         _quantile_ref(np.nanquantile),
         [(_SOME_NAN, 0.3), (_SOME_NAN, np.array([0.2, 0.8])), (_SOME_NAN, 0.5), ((3, 4), 0.6)],
         sample_kwargs=[{"dim": 1}, {"dim": 0, "keepdim": True},
                        {"interpolation": "midpoint"}, {"dim": 1, "interpolation": "higher"}],
         nondiff_args=(1,)),
    # ---------------------------------------------------------------- mode
    _rec("mode", lambda lib, x, dim, keepdim: lib.mode(x, dim, keepdim), _mode_ref,
         [(_MODES, 1, False), (_MODES.T.copy(), 0, True), ((3, 5), 1, False),
          ((4, 3), 0, True)],
         errors=[ErrorInput(((3, 0), 1, False), IndexError,
                            r"mode\(\): Expected reduction dim 1 to have non-zero size"),
                 ErrorInput(((3, 4), 2, False), IndexError, _OOR)]),
    # ---------------------------------------------------------------- cummax / cummin
    _rec("cummax", lambda lib, x, dim: lib.cummax(x, dim), _cum_ref(True),
         [((3, 5), 1), ((4, 3), 0), ((2, 3, 4), -1), (_RUNS, 1), ((), 0)],
         errors=[ErrorInput(((3, 4), 2), IndexError, _OOR)]),
    _rec("cummin", lambda lib, x, dim: x.cummin(dim), _cum_ref(False),
         [((3, 5), 1), ((4, 3), 0), (_RUNS, 1), ((), 0)]),
    _rec("cummax_nan", lambda lib, x: lib.cummax(x, 1), lambda x: _cum_ref(True)(x, 1),
         [(_NANS,)], grad=False),
    _rec("cummin_nan", lambda lib, x: lib.cummin(x, 1), lambda x: _cum_ref(False)(x, 1),
         [(_NANS,)], grad=False),
    # ---------------------------------------------------------------- unique
    _crec("unique", lambda lib, x, **kw: lib.unique(x, **kw), _unique_ref,
          [(_MODES,), (_MODES,), (_MODES,), (np.array([[1, 2], [1, 2], [0, 5]]),),
           (np.array([[1, 2, 1], [1, 2, 1], [0, 5, 0]]),), (_GRID,), (np.array(3),)],
          sample_kwargs=[{}, {"return_inverse": True}, {"return_inverse": True,
                                                        "return_counts": True},
                         {"dim": 0, "return_inverse": True, "return_counts": True},
                         {"dim": 1, "return_inverse": True, "return_counts": True},
                         {"return_counts": True}, {"return_inverse": True,
                                                   "return_counts": True}],
          errors=[ErrorInput(((3, 0),), RuntimeError, "There are 0 sized dimensions, and they "
                             "aren't selected, so unique cannot be applied", {"dim": 0}),
                  ErrorInput(((3, 4),), IndexError, _OOR, {"dim": 2})]),
    _crec("unique_nan", lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True),
          lambda x: _unique_ref(x, True, True), [(np.array([3.0, _NAN, 1.0, _NAN, 3.0]),)],
          extra="NaNs are never equal: each is its own value"),
    _crec("unique_consecutive", lambda lib, x, **kw: lib.unique_consecutive(x, **kw),
          _unique_consecutive_ref,
          [(np.array([1, 1, 2, 2, 3, 1, 1, 2]),), (_TIES,),
           (np.array([[1, 2], [1, 2], [0, 5], [1, 2]]),), (np.array([[1, 1, 2], [3, 3, 4]]),),
           (np.array(3),)],
          sample_kwargs=[{"return_inverse": True, "return_counts": True},
                         {"return_inverse": True}, {"dim": 0, "return_inverse": True,
                                                    "return_counts": True},
                         {"dim": 1, "return_counts": True}, {"return_inverse": True}]),
    # ---------------------------------------------------------------- bincount
    _crec("bincount", lambda lib, x: lib.bincount(x), np.bincount,
          [(np.array([0, 1, 1, 3, 1, 7]),), (np.array([2, 2], dtype=np.uint8),)],
          errors=[ErrorInput((np.array([[1, 2]]),), RuntimeError,
                             r"bincount only supports 1-d non-negative integral inputs\."),
                  ErrorInput((np.array([1, -2]),), RuntimeError,
                             r"bincount only supports 1-d non-negative integral inputs\."),
                  ErrorInput((np.array(1),), RuntimeError,
                             r"bincount only supports 1-d non-negative integral inputs\."),
                  ErrorInput(((3,),), NotImplementedError,
                             r"bincount\(\): not implemented for 'float32'")]),
    _crec("bincount_weights", lambda lib, x, w: lib.bincount(x, w, minlength=6),
          lambda x, w: np.bincount(x, w, minlength=6),
          [(np.array([0, 1, 1, 3, 1]), np.array([0.5, 1.0, 2.0, -1.0, 0.25]))],
          errors=[ErrorInput((np.array([0, 1]), np.array([1.0, 2.0, 3.0])), RuntimeError,
                             r"weights should be 1-d and have the same length as input")]),
    _crec("bincount_minlength", lambda lib, x, m: lib.bincount(x, minlength=m),
          lambda x, m: np.bincount(x, minlength=m),
          [(np.array([1, 2]), 6), (np.array([], dtype=np.int64), 3),
           (np.array([], dtype=np.int64), 0)],
          errors=[ErrorInput((np.array([1, 2]), -1), RuntimeError,
                             r"minlength should be >= 0")]),
    # ---------------------------------------------------------------- histc / histogram
    _crec("histc", lambda lib, x, **kw: lib.histc(x, **kw), _histc_ref,
          [(_GRID,), (_GRID,), (_GRID,), (np.array([1.0, 1.0, 1.0]),), (np.zeros(0),)],
          sample_kwargs=[{"bins": 4, "min": 0, "max": 4}, {"bins": 5},
                         {"bins": 3, "min": -1, "max": 1}, {"bins": 4}, {"bins": 3}],
          errors=[ErrorInput(((3,),), RuntimeError, r"histc\(\): bins must be > 0, but got 0",
                             {"bins": 0}),
                  ErrorInput(((3,),), RuntimeError, r"histc\(\): max must be larger than min",
                             {"min": 3, "max": 1}),
                  ErrorInput((np.array([1.0, _INF]),), RuntimeError,
                             r"histc\(\): range of \[1.0, inf\] is not finite"),
                  ErrorInput((np.array([1, 2]),), NotImplementedError,
                             r"histc\(\): not implemented for 'int64'")]),
    _crec("histogram", lambda lib, x, bins, **kw: lib.histogram(x, bins, **kw), _histogram_ref,
          [(_GRID, 4), (_GRID, 6), (_GRID, 3), (np.array([2.0, 2.0]), 2), (np.zeros(0), 2)],
          sample_kwargs=[{"range": (0.0, 4.0)}, {}, {"range": (-1.0, 2.0), "density": True},
                         {}, {}],
          errors=[ErrorInput(((3,), 0), RuntimeError,
                             r"histogram\(\): bins must be > 0, but got 0"),
                  ErrorInput(((3,), 2), RuntimeError,
                             r"histogram\(\): min should not exceed max, but got min 3.0 max "
                             r"1.0", {"range": (3.0, 1.0)}),
                  ErrorInput(((3,), np.array([[0.0, 1.0]])), RuntimeError,
                             r"histogram\(\): bins tensor should have one dimension, but got 2"),
                  ErrorInput((np.array([1, 2]), 2), NotImplementedError,
                             r"histogram\(\): not implemented for 'int64'")]),
    _crec("histogram_edges", lambda lib, x, e: lib.histogram(x, e),
          lambda x, e: _histogram_ref(x, e),
          [(_GRID, np.array([-2.0, 0.0, 0.5, 3.0, 4.0])), (_GRID, np.array([0.0, 1.0]))]),
    _crec("histogram_weight", lambda lib, x, w: lib.histogram(x, 4, weight=w, density=True),
          lambda x, w: _histogram_ref(x, 4, weight=w, density=True),
          [(_GRID, np.abs(_GRID) + 0.5)],
          errors=[ErrorInput(((3,), (2,)), RuntimeError,
                             r"histogram\(\): weight should have the same shape as the input")]),
    # ---------------------------------------------------------------- searchsorted / bucketize
    _crec("searchsorted", lambda lib, s, v, **kw: lib.searchsorted(s, v, **kw),
          _searchsorted_ref,
          [(_SEQ, np.array([[2.0, -3.0, 0.5], [4.0, 5.0, 2.25]])), (_SEQ, _VALS2[0]),
           (_SEQ, _VALS2[0]), (_SEQ2, _VALS2), (_SEQ2, _VALS2),
           (np.array([0, 2, 4, 6]), np.array([1, 4, 7])), (_SEQ, 2.0)],
          sample_kwargs=[{}, {"right": True}, {"side": "right"}, {}, {"right": True},
                         {"out_int32": True}, {}],
          errors=[ErrorInput((np.array(3.0), (2,)), RuntimeError,
                             r"searchsorted\(\): boundaries tensor should have positive "
                             r"dimension, but got 0 dimension"),
                  ErrorInput(((2, 3), (3, 2)), RuntimeError,
                             r"searchsorted\(\): boundaries tensor should be 1 dimension or the "
                             r"first N-1 dimensions of boundaries tensor and input value tensor "
                             r"must match, but we got boundaries tensor \[2, 3\] and input value "
                             r"tensor \[3, 2\]"),
                  ErrorInput(((2, 3), 1.0), RuntimeError,
                             r"input value can be a scalar only when boundaries tensor "
                             r"dimension is 1"),
                  ErrorInput(((3,), (2,)), RuntimeError,
                             r"side can only be 'left' or 'right' but got lft", {"side": "lft"}),
                  ErrorInput(((3,), (2,)), RuntimeError,
                             r"side and right can't be set to opposites",
                             {"side": "left", "right": True})]),
    _crec("searchsorted_sorter", lambda lib, s, v, srt, **kw: lib.searchsorted(s, v, sorter=srt,
                                                                               **kw),
          lambda s, v, srt, **kw: _searchsorted_ref(s, v, sorter=srt, **kw),
          [(np.array([5.0, 1.0, 3.0, -1.0]), np.array([2.0, 4.0, 3.0, 6.0]),
            np.array([3, 1, 2, 0]))] * 2,
          sample_kwargs=[{}, {"right": True}],
          errors=[ErrorInput(((3,), (2,), np.array([0.0, 1.0, 2.0])), RuntimeError,
                             r"sorter must be a tensor of long dtype but got dtype"),
                  ErrorInput(((3,), (2,), np.array([0, 1])), RuntimeError,
                             r"boundary and sorter must have the same size, but got boundary "
                             r"tensor \[3\] and got sorter tensor \[2\]"),
                  ErrorInput(((3,), (2,), np.array([0, 1, 3])), RuntimeError,
                             r"sorter index out of range")]),
    _crec("bucketize", lambda lib, x, b, **kw: lib.bucketize(x, b, **kw), _bucketize_ref,
          [(_VALS2, _SEQ), (_VALS2, _SEQ), (np.array([1, 4, 7]), np.array([0, 2, 4, 6])),
           (2.0, _SEQ)],
          sample_kwargs=[{}, {"right": True}, {"out_int32": True}, {}],
          errors=[ErrorInput(((3,), (2, 2)), RuntimeError,
                             r"boundaries tensor must be 1 dimension, but got dim\(2\)")]),
]
