"""Op records for the reduction family (see :mod:`ember.testing.op_db`).

References are numpy in float64; every record names the op as ``op(lib, ...)`` so the parity
session can run the same table against PyTorch.
"""

from __future__ import annotations

import numpy as np

from ... import _dtype as T
from ..op_record import ErrorInput, OpRecord

_INF = np.inf
_NAN = np.nan


def _axis(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def _rec(name, op, ref, samples, **kw):
    return OpRecord(name, op, ref, samples, **kw)


# a 3x4 matrix with zeros (one row with one zero, one row with two) for prod/cumprod
_ZEROS = np.array([[2.0, 0.0, 3.0, 0.5], [1.5, 2.0, -1.0, 3.0], [0.0, 1.0, 0.0, 2.0]])
# rows of -inf mixed with finite rows, for logsumexp
_NEG_INF_ROWS = np.array([[-_INF, -_INF, -_INF], [0.0, 1.0, 2.0], [-_INF, 0.5, -_INF]])
_WITH_NAN = np.array([[1.0, _NAN, 2.0], [_NAN, _NAN, _NAN], [0.5, -1.0, 3.0]])


def _nanmean_ref(x):
    # hand-written: np.nanmean warns on all-NaN rows (its answer, NaN, is the same)
    ok = ~np.isnan(x)
    with np.errstate(invalid="ignore"):
        return np.where(ok, x, 0).sum(1) / ok.sum(1)


def _cumprod_ref(x, dim):
    return np.cumprod(x, axis=dim)


def _lcse_ref(x, dim):
    return np.logaddexp.accumulate(x, axis=dim)


def _lse_ref(x, dim, keepdim=False):
    with np.errstate(divide="ignore"):
        m = np.max(x, axis=dim, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        r = np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True)) + m
    return r if keepdim else np.squeeze(r, axis=dim)


def _maxdim_ref(fn, argfn):
    def ref(x, dim, keepdim=False):
        return (fn(x, axis=dim, keepdims=keepdim),
                np.expand_dims(argfn(x, axis=dim), dim) if keepdim else argfn(x, axis=dim))
    return ref


def _sum_to(x, shape):
    lead = x.ndim - len(shape)
    x = x.sum(axis=tuple(range(lead))) if lead else x
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and x.shape[i] != 1)
    return x.sum(axis=axes, keepdims=True) if axes else x


RECORDS: list[OpRecord] = [
    # ---------------------------------------------------------------- sum / mean / prod
    _rec("sum", lambda lib, x: lib.sum(x), np.sum, [((3, 4),), ((5,),), ((),)]),
    _rec("sum_dim", lambda lib, x, dim, keepdim: x.sum(_axis(dim), keepdim=keepdim),
         lambda x, dim, keepdim: np.sum(x, axis=_axis(dim) or None, keepdims=keepdim),
         [((3, 4), 1, False), ((3, 4), -2, True), ((2, 3, 4), [0, 2], False),
          ((2, 3, 4), [2, 0], True), ((2, 3, 4), [], False)],
         errors=[ErrorInput(((2, 3), 2, False), IndexError,
                            r"Dimension out of range \(expected to be in range of \[-2, 1\], "
                            r"but got 2\)"),
                 ErrorInput(((2, 3), [0, 0], False), RuntimeError, "appears multiple times")]),
    _rec("sum_dtype", lambda lib, x: lib.sum(x, 1, dtype=lib.float64),
         lambda x: np.sum(x, 1), [((3, 4),)], dtypes=(T.float64,)),
    _rec("mean", lambda lib, x: x.mean(), np.mean, [((3, 4),), ((7,),)],
         errors=[ErrorInput((np.array([1, 2, 3]),), RuntimeError,
                            r"mean\(\): could not infer output dtype.*Got: Long")]),
    _rec("mean_dim", lambda lib, x, dim, keepdim: lib.mean(x, _axis(dim), keepdim),
         lambda x, dim, keepdim: np.mean(x, axis=_axis(dim), keepdims=keepdim),
         [((3, 4), 0, False), ((2, 3, 4), [1, 2], True), ((2, 3, 4), -1, False)]),
    _rec("prod", lambda lib, x: x.prod(), np.prod, [((2, 3),), (_ZEROS[:1],), (_ZEROS[2:],)]),
    _rec("prod_dim", lambda lib, x, dim, keepdim: lib.prod(x, dim, keepdim),
         lambda x, dim, keepdim: np.prod(x, axis=dim, keepdims=keepdim),
         [((3, 4), 1, False), ((3, 4), 0, True), (_ZEROS, 1, False), (_ZEROS, 0, True)]),
    _rec("nansum", lambda lib, x: lib.nansum(x, 1), lambda x: np.nansum(x, 1),
         [(_WITH_NAN,), ((3, 4),)]),
    _rec("nanmean_all_nan_row", lambda lib, x: lib.nanmean(x, 1), _nanmean_ref,
         [(_WITH_NAN,)], grad=False),
    _rec("nanmean", lambda lib, x: lib.nanmean(x, 1), _nanmean_ref,
         [(_WITH_NAN[[0, 2]],), ((3, 4),)],
         errors=[ErrorInput((np.array([1, 2]),), RuntimeError,
                            "nanmean.*floating point or complex dtype but got Long")]),
    _rec("sum_to_size", lambda lib, x, size: x.sum_to_size(*size), _sum_to,
         [((2, 3, 4), [3, 1]), ((2, 3, 4), [1, 3, 4]), ((2, 3), [2, 3]), ((2, 3), [3])],
         errors=[ErrorInput(((2, 3), [2, 2]), RuntimeError, r"size \[2, 2\] is not expandable "
                                                              r"to size \[2, 3\]")]),
    # ---------------------------------------------------------------- max / min
    _rec("amax", lambda lib, x, dim: lib.amax(x, _axis(dim)),
         lambda x, dim: np.max(x, axis=_axis(dim) or None),
         [((3, 4), 1), ((2, 3, 4), [0, 2]), ((3, 4), [])]),
    _rec("amin_keepdim", lambda lib, x, dim: x.amin(dim, keepdim=True),
         lambda x, dim: np.min(x, axis=dim, keepdims=True), [((3, 4), 0), ((2, 3, 4), -1)]),
    _rec("max_all", lambda lib, x: x.max(), np.max, [((3, 4),), ((5,),)],
         errors=[ErrorInput(((0,),), IndexError, "Expected reduction dim to be specified")]),
    _rec("min_all", lambda lib, x: lib.min(x), np.min, [((3, 4),)]),
    _rec("max_dim", lambda lib, x, dim, keepdim: tuple(lib.max(x, dim, keepdim)),
         _maxdim_ref(np.max, np.argmax), [((3, 4), 1, False), ((3, 4), 0, True),
                                          ((2, 3, 4), -1, False)],
         errors=[ErrorInput(((3, 4), 2, False), IndexError, "Dimension out of range")]),
    _rec("max_dim_kw", lambda lib, x: tuple(x.max(dim=1, keepdim=True)),
         lambda x: _maxdim_ref(np.max, np.argmax)(x, 1, True), [((3, 4),)]),
    _rec("min_dim", lambda lib, x, dim: tuple(x.min(dim)), _maxdim_ref(np.min, np.argmin),
         [((3, 4), 1), ((2, 3, 4), 0)]),
    _rec("max_binary", lambda lib, a, b: lib.max(a, b), np.maximum,
         [((3, 4), (3, 4)), ((3, 4), (4,))]),
    _rec("min_binary", lambda lib, a, b: a.min(b), np.minimum, [((3, 4), (3, 1))]),
    _rec("aminmax", lambda lib, x: tuple(lib.aminmax(x)), lambda x: (np.min(x), np.max(x)),
         [((3, 4),)]),
    _rec("aminmax_dim", lambda lib, x: tuple(lib.aminmax(x, dim=1, keepdim=True)),
         lambda x: (np.min(x, 1, keepdims=True), np.max(x, 1, keepdims=True)), [((3, 4),)]),
    _rec("argmax", lambda lib, x, dim: lib.argmax(x, dim), lambda x, dim: np.argmax(x, dim),
         [((3, 4), None), ((3, 4), 1), ((2, 3, 4), 0)], grad=False),
    _rec("argmin_keepdim", lambda lib, x, dim: x.argmin(dim, keepdim=True),
         lambda x, dim: np.expand_dims(np.argmin(x, dim), dim), [((3, 4), 1), ((3, 4), 0)],
         grad=False),
    # ---------------------------------------------------------------- var / std
    _rec("var", lambda lib, x: x.var(), lambda x: np.var(x, ddof=1), [((3, 4),), ((6,),)]),
    _rec("var_dim_correction", lambda lib, x, dim, c, keepdim: lib.var(x, _axis(dim),
                                                                      correction=c,
                                                                      keepdim=keepdim),
         lambda x, dim, c, keepdim: np.var(x, axis=_axis(dim), ddof=c, keepdims=keepdim),
         [((3, 4), 1, 0, False), ((3, 4), 0, 1, True), ((2, 3, 4), [0, 2], 2, False),
          ((2, 3, 4), [1, 2], 0.5, True)]),
    _rec("var_unbiased", lambda lib, x, unbiased: lib.var(x, 1, unbiased),
         lambda x, unbiased: np.var(x, axis=1, ddof=int(unbiased)),
         [((3, 4), False), ((3, 4), True)]),
    _rec("var_kwargs", lambda lib, x, **kw: x.var(**kw),
         lambda x, dim, unbiased, keepdim: np.var(x, axis=dim, ddof=int(unbiased),
                                                  keepdims=keepdim),
         [((3, 4),), ((3, 4),)], sample_kwargs=[dict(dim=0, unbiased=False, keepdim=False),
                                                 dict(dim=1, unbiased=True, keepdim=True)],
         errors=[ErrorInput(((3, 4),), RuntimeError, "cannot pass both",
                            dict(unbiased=True, correction=1))]),
    _rec("std", lambda lib, x, dim, c: lib.std(x, _axis(dim), correction=c),
         lambda x, dim, c: np.std(x, axis=_axis(dim), ddof=c),
         [((3, 4), 1, 1), ((3, 4), None, 0), ((2, 3, 4), [0, 1], 1)]),
    _rec("var_mean", lambda lib, x: tuple(lib.var_mean(x, 1, keepdim=True)),
         lambda x: (np.var(x, 1, ddof=1, keepdims=True), np.mean(x, 1, keepdims=True)),
         [((3, 4),)]),
    _rec("std_mean", lambda lib, x: tuple(lib.std_mean(x, (0, 1), correction=0)),
         lambda x: (np.std(x, (0, 1)), np.mean(x, (0, 1))), [((2, 3, 4),)]),
    # ---------------------------------------------------------------- logsumexp / bools
    _rec("logsumexp", lambda lib, x, dim, keepdim: lib.logsumexp(x, _axis(dim), keepdim),
         lambda x, dim, keepdim: _lse_ref(x, _axis(dim), keepdim),
         [((3, 4), 1, False), ((3, 4), 0, True), ((2, 3, 4), [0, 2], False)],
         domain=(-30.0, 30.0), grad_atol=1e-4),
    _rec("logsumexp_large", lambda lib, x: x.logsumexp(1), lambda x: _lse_ref(x, 1),
         [(np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1002.0]]),)]),
    _rec("logsumexp_neg_inf_rows", lambda lib, x: lib.logsumexp(x, 1),
         lambda x: _lse_ref(x, 1), [(_NEG_INF_ROWS,)], grad=False),
    _rec("all", lambda lib, x, dim: lib.all(x > 0, dim) if dim is not None else (x > 0).all(),
         lambda x, dim: np.all(x > 0, axis=dim), [((3, 4), None), ((3, 4), 1), ((3, 4), -2)],
         grad=False),
    _rec("any", lambda lib, x, dim: (x > 1).any(dim, keepdim=True),
         lambda x, dim: np.any(x > 1, axis=dim, keepdims=True), [((3, 4), 1), ((3, 4), 0)],
         grad=False),
    _rec("all_any_float", lambda lib, x: (lib.all(x), lib.any(x * 0)),
         lambda x: (np.all(x), np.any(x * 0)), [(_ZEROS,), ((3,),)], grad=False),
    _rec("count_nonzero", lambda lib, x, dim: lib.count_nonzero(x, _axis(dim)),
         lambda x, dim: np.count_nonzero(x, axis=_axis(dim)), [(_ZEROS, None), (_ZEROS, 1),
                                                               (_ZEROS, [0, 1])], grad=False),
    # ---------------------------------------------------------------- scans
    _rec("cumsum", lambda lib, x, dim: lib.cumsum(x, dim), lambda x, dim: np.cumsum(x, dim),
         [((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((5,), 0)]),
    _rec("cumprod", lambda lib, x, dim: x.cumprod(dim), _cumprod_ref,
         [((3, 4), 1), ((3, 4), 0), ((5,), 0)]),
    _rec("cumprod_zeros", lambda lib, x, dim: lib.cumprod(x, dim), _cumprod_ref,
         [(_ZEROS, 1), (_ZEROS, 0), (np.array([0.0, 0.0, 2.0]), 0)]),
    _rec("logcumsumexp", lambda lib, x, dim: lib.logcumsumexp(x, dim), _lcse_ref,
         [((3, 4), 1), ((3, 4), 0), ((6,), 0)], domain=(-5.0, 5.0)),
    _rec("logcumsumexp_wide_range", lambda lib, x: lib.logcumsumexp(x, 0), lambda x:
         _lcse_ref(x, 0), [(np.array([-1000.0, 0.0, 1.0, -3.0, 800.0]),)], gradgrad=False),
]

__all__ = ["RECORDS"]
