"""Op records for the indexing family (see :mod:`ember.testing.op_db`): ``__getitem__`` with
basic and advanced keys, gather/scatter, the index_*/masked_* families, take/put, nonzero.

References are numpy float64 indexing (numpy's advanced-index placement rules) or explicit
loops over the index (``np.ndindex``) — slow but obviously right.  Where PyTorch departs from
numpy (integers mixed with advanced indices are applied first, as ``select``) the reference
spells PyTorch's rule out by hand.  Index arrays are int64 numpy arrays (never random), masks
bool arrays.  Scatter indices never write one position twice unless the op accumulates.
"""

from __future__ import annotations

import numpy as np

from ..op_record import ErrorInput, OpRecord

__all__ = ["RECORDS"]


def _i(*rows):
    return np.array(rows, dtype=np.int64)


_MASK = np.array([[True, False, True, False], [False, False, True, True],
                  [True, True, False, False]])


def _r(name, op, ref, samples, **kw):
    return OpRecord(name, op, ref, samples, **kw)


def _E(args, exc, match, **kw):
    return ErrorInput(args, exc, match, kw)


def _target(p, d, i):
    q = list(p)
    q[d] = i[p]
    return tuple(q)


def _gather(x, d, i):
    out = np.empty(i.shape)
    for p in np.ndindex(i.shape):
        out[p] = x[_target(p, d, i)]
    return out


def _scatter(x, d, i, s, reduce=None):
    out = x.copy()
    for p in np.ndindex(i.shape):
        q, v = _target(p, d, i), (s[p] if np.ndim(s) else s)
        out[q] = out[q] + v if reduce == "add" else v
    return out


_REDUCE = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}


def _scatter_reduce(x, d, i, s, reduce, include_self=True):
    groups: dict = {}
    for p in np.ndindex(i.shape):
        groups.setdefault(_target(p, d, i), []).append(s[p])
    out = x.copy()
    for q, vals in groups.items():
        out[q] = _REDUCE[reduce](([x[q]] if include_self else []) + vals)
    return out


def _index_add(x, d, i, s, alpha=1):
    out = np.moveaxis(x.copy(), d, 0)
    src = np.moveaxis(s, d, 0)
    for k, j in enumerate(i):
        out[j] += alpha * src[k]
    return np.moveaxis(out, 0, d)


def _index_copy(x, d, i, s):
    out = np.moveaxis(x.copy(), d, 0)
    out[i] = np.moveaxis(s, d, 0)
    return np.moveaxis(out, 0, d)


def _index_fill(x, d, i, v):
    out = np.moveaxis(x.copy(), d, 0)
    out[i] = v
    return np.moveaxis(out, 0, d)


def _bcast(x, m):
    shp = np.broadcast_shapes(x.shape, m.shape)
    return np.broadcast_to(x, shp), np.broadcast_to(m, shp)


def _masked_scatter(x, m, s):
    xb, mb = _bcast(x, m)
    out = xb.copy().ravel()
    pos = np.flatnonzero(mb.ravel())
    out[pos] = s.ravel()[:len(pos)]
    return out.reshape(xb.shape)


def _put(x, i, s, accumulate=False):
    out = x.copy().ravel()
    if accumulate:
        np.add.at(out, i.ravel(), s.ravel())
    else:
        out[i.ravel()] = s.ravel()
    return out.reshape(x.shape)


_X = (3, 4, 5)
RECORDS: list[OpRecord] = [
    # ------------------------------------------------------------------ getitem, basic
    _r("getitem_int", lambda lib, x: x[1], lambda x: x[1], [(_X,)]),
    _r("getitem_negative_ints", lambda lib, x: x[-1, -2], lambda x: x[-1, -2], [(_X,)]),
    _r("getitem_scalar", lambda lib, x: x[2, 3, 4], lambda x: x[2, 3, 4], [(_X,)]),
    _r("getitem_slices_steps", lambda lib, x: x[::2, 1::2, -3:],
       lambda x: x[::2, 1::2, -3:], [(_X,)]),
    _r("getitem_none_ellipsis", lambda lib, x: x[None, ..., 1, None],
       lambda x: x[None, ..., 1, None], [(_X,)]),
    _r("getitem_ellipsis_first", lambda lib, x: x[1, ...], lambda x: x[1, ...], [(_X,)]),
    _r("getitem_0d_int_tensor", lambda lib, x: x[lib.tensor(1), lib.tensor(-1)],
       lambda x: x[1, -1], [(_X,)]),
    _r("getitem_errors", lambda lib, x, k: x[k], None, [],
       errors=[_E(((3, 4), 3), IndexError, "index 3 is out of bounds for dimension 0 with "
                  "size 3"),
               _E(((3, 4), -4), IndexError, "index -4 is out of bounds for dimension 0 with "
                  "size 3"),
               _E(((3, 4), 1.5), IndexError, "only integers, slices"),
               _E(((3, 4), np.array([0.5])), IndexError, "tensors used as indices must be "
                  "long, int, byte or bool tensors"),
               _E(((3, 4), np.array([True, False])), IndexError, r"The shape of the mask \[2\] "
                  r"at index 0 does not match the shape of the indexed tensor \[3, 4\] at "
                  "index 0")]),
    _r("getitem_dim_errors", lambda lib, x, i: x[:, i], None, [],
       errors=[_E(((3, 4), 5), IndexError, "index 5 is out of bounds for dimension 1 with "
                  "size 4"),
               _E(((3, 4), _i(0, 4)), IndexError, "index 4 is out of bounds for dimension 1 "
                  "with size 4"),
               _E(((3, 4), _i(-5)), IndexError, "index -5 is out of bounds for dimension 1")]),
    _r("getitem_too_many", lambda lib, x: x[0, 0, 0], None, [],
       errors=[_E(((3, 4),), IndexError, "too many indices for tensor of dimension 2")]),
    _r("getitem_step_zero", lambda lib, x: x[::0], None, [],
       errors=[_E(((3, 4),), ValueError, "slice step cannot be zero")]),
    # ------------------------------------------------------------------ getitem, advanced
    _r("getitem_int_tensor", lambda lib, x, i: x[i], lambda x, i: x[i],
       [(_X, _i(0, 2, 2)), (_X, _i(-1, 0)), (_X, _i([0, 1], [2, 2]))]),
    _r("getitem_list", lambda lib, x: x[[0, 2], [1, 3]], lambda x: x[[0, 2], [1, 3]], [(_X,)]),
    _r("getitem_bool_mask", lambda lib, x, m: x[m], lambda x, m: x[m],
       [(_X, _MASK), ((3, 4), _MASK), (_X, np.array([True, False, True]))]),
    _r("getitem_mask_then_slice", lambda lib, x, m: x[m, 1:], lambda x, m: x[m, 1:],
       [(_X, _MASK)]),
    _r("getitem_mask_1d_inner", lambda lib, x: x[:, lib.tensor([True, False, True, False])],
       lambda x: x[:, [True, False, True, False]], [(_X,)]),
    _r("getitem_adv_separated", lambda lib, x, a, b: x[a, :, b], lambda x, a, b: x[a, :, b],
       [(_X, _i(0, 1), _i(2, 3)), (_X, _i([0], [1]), _i(2, 3))]),
    _r("getitem_adv_adjacent", lambda lib, x, a, b: x[:, a, b], lambda x, a, b: x[:, a, b],
       [(_X, _i(0, 3), _i(4, 1))]),
    _r("getitem_adv_none", lambda lib, x, a, b: x[None, a, None, b],
       lambda x, a, b: x[None, a, None, b], [(_X, _i(0, 1), _i(1, 2))]),
    _r("getitem_adv_ellipsis", lambda lib, x, a, b: x[a, ..., b], lambda x, a, b: x[a, ..., b],
       [(_X, _i(0, 1), _i(1, 2))]),
    # PyTorch applies integers first (select), then places the advanced dims (numpy differs)
    _r("getitem_int_then_adv", lambda lib, x, a: x[1, :, a], lambda x, a: x[1][:, a],
       [(_X, _i(0, 1))]),
    _r("getitem_adv_int_slice", lambda lib, x, a: x[a, 1:3, 2], lambda x, a: x[:, 1:3, 2][a],
       [(_X, _i(0, 2))]),
    _r("getitem_bool_scalar", lambda lib, x: x[True], lambda x: x[None], [(_X,)]),
    # ------------------------------------------------------------------ index_put
    _r("index_put", lambda lib, x, i, v: x.index_put((i,), v),
       lambda x, i, v: _index_copy(x, 0, i, np.broadcast_to(v, (len(i),) + x.shape[1:])),
       [((3, 4), _i(2, 0), (4,)), ((3, 4), _i(1), (1, 4))]),
    _r("index_put_accumulate", lambda lib, x, i, v: x.index_put((i,), v, accumulate=True),
       lambda x, i, v: _index_add(x, 0, i, np.broadcast_to(v, (len(i),) + x.shape[1:])),
       [((3, 4), _i(2, 0, 2), (3, 4))]),
    _r("index_put_errors", lambda lib, x, i, v: x.index_put((i,), v), None, [],
       errors=[_E(((3, 4), _i(0), (3,)), RuntimeError, r"shape mismatch: value tensor of "
                  r"shape \[3\] cannot be broadcast to indexing result of shape \[1, 4\]")]),
    # ------------------------------------------------------------------ gather / scatter
    _r("gather", lambda lib, x, d, i: lib.gather(x, d, i), _gather,
       [((3, 4), 1, _i([0, 3], [1, 1], [2, 0])), ((3, 4), 0, _i([2, 0, 1, 2], [0, 0, 1, 1])),
        ((3, 4), -1, _i([3], [0])), ((4,), 0, _i(3, 3, 0))],
       errors=[_E(((3, 4), 1, _i([4])), RuntimeError, "index 4 is out of bounds for dimension 1 "
                  "with size 4"),
               _E(((3, 4), 1, _i([-1])), RuntimeError, "index -1 is out of bounds for "
                  "dimension 1 with size 4"),
               _E(((3, 4), 1, _i(1)), RuntimeError, "Index tensor must have the same number of "
                  "dimensions as input tensor"),
               _E(((3, 4), 1, np.array([[1.0]])), RuntimeError, "Expected dtype int32/int64 "
                  "for index"),
               _E(((3, 4), 1, np.zeros((4, 1), np.int64)), RuntimeError, r"Size does not match "
                  r"at dimension 0 expected index \[4, 1\] to be no larger than self \[3, 4\] "
                  "apart from dimension 1")]),
    _r("scatter_src", lambda lib, x, d, i, s: x.scatter(d, i, s), _scatter,
       [((3, 4), 0, _i([0, 1, 2, 0], [2, 0, 1, 1]), (2, 4)),
        ((3, 4), 1, _i([3, 0], [1, 2], [0, 3]), (3, 2))],
       errors=[_E(((3, 4), 0, _i([0, 1, 3, 0]), (1, 4)), RuntimeError, "index 3 is out of "
                  "bounds for dimension 0 with size 3"),
               _E(((3, 4), 0, np.zeros((2, 4), np.int64), (1, 4)), RuntimeError, "to be no "
                  r"larger size than src \[1, 4\]")]),
    _r("scatter_value", lambda lib, x, d, i, v: x.scatter(d, i, v), _scatter,
       [((3, 4), 1, _i([0], [3], [2]), 2.5)]),
    _r("scatter_value_kw", lambda lib, x, i: lib.scatter(x, 1, i, value=-1.0),
       lambda x, i: _scatter(x, 1, i, -1.0), [((3, 4), _i([0, 2], [3, 1], [2, 0]))]),
    _r("scatter_reduce_add_legacy", lambda lib, x, i, s: x.scatter(0, i, s, reduce="add"),
       lambda x, i, s: _scatter(x, 0, i, s, "add"), [((3, 4), _i([0, 1, 0, 0], [0, 0, 0, 0]),
                                                      (2, 4))], grad=False),
    _r("scatter_add", lambda lib, x, d, i, s: x.scatter_add(d, i, s),
       lambda x, d, i, s: _scatter(x, d, i, s, "add"),
       [((3, 4), 0, _i([0, 1, 0, 0], [0, 2, 2, 0]), (2, 4)),
        ((3, 4), 1, _i([0, 1, 0], [3, 3, 3]), (2, 3))]),
    _r("scatter_reduce", lambda lib, x, d, i, s, r, include_self=True:
       x.scatter_reduce(d, i, s, r, include_self=include_self), _scatter_reduce,
       [((3, 4), 0, _i([0, 1, 0, 0], [0, 2, 2, 0]), (2, 4), r) for r in _REDUCE for _ in (0, 1)]
       + [((3, 4), 1, _i([0, 1, 0], [3, 3, 3]), (2, 3), r) for r in _REDUCE],
       sample_kwargs=[{"include_self": inc} for _ in _REDUCE for inc in (True, False)]
       + [{"include_self": False} for _ in _REDUCE],
       domain=(0.5, 2.0),
       errors=[_E(((3, 4), 0, _i([0]), (1, 1), "max"), RuntimeError, "Expected 'reduce' to be "
                  "one of 'sum', 'prod', 'mean', 'amax', 'amin' but got max")]),
    # ------------------------------------------------------------------ index_* family
    _r("index_select", lambda lib, x, d, i: x.index_select(d, i),
       lambda x, d, i: np.take(x, np.atleast_1d(i), d),
       [((3, 4), 1, _i(3, 0, 0)), ((3, 4), 0, np.array(2)), ((5,), 0, _i(4, 1))],
       errors=[_E(((3, 4), 1, _i(4)), IndexError, "index 4 is out of bounds for dimension 1 "
                  "with size 4"),
               _E(((3, 4), 1, _i(-1)), IndexError, "index -1 is out of bounds"),
               _E(((3, 4), 1, _i([1])), IndexError, "Index is supposed to be a vector"),
               _E(((3, 4), 1, np.array([1.0])), RuntimeError, "Expected dtype int32/int64")]),
    _r("index_add", lambda lib, x, d, i, s, alpha=1: x.index_add(d, i, s, alpha=alpha),
       _index_add, [((3, 4), 1, _i(0, 3, 0), (3, 3)), ((3, 4), 0, _i(2, 2), (2, 4))],
       sample_kwargs=[{}, {"alpha": -2.0}],
       errors=[_E(((3, 4), 0, _i(2, 2), (3, 4)), RuntimeError, r"Number of indices \(2\) "
                  r"should be equal to source.size\(dim\): \(3\)"),
               _E(((3, 4), 0, _i(2, 3), (2, 4)), RuntimeError, "index 3 is out of bounds for "
                  "dimension 0 with size 3"),
               _E(((3, 4), 0, _i(1), (1, 3)), RuntimeError, "source tensor shape must match "
                  "self tensor shape")]),
    _r("index_copy", lambda lib, x, d, i, s: x.index_copy(d, i, s), _index_copy,
       [((3, 4), 1, _i(0, 3), (3, 2)), ((3, 4), 0, _i(2, 0, 1), (3, 4))],
       errors=[_E(((3, 4), 1, _i(0, 3), (3, 3)), IndexError, r"Number of indices \(2\)"),
               _E(((3, 4), 1, _i(4), (3, 1)), IndexError, "index 4 is out of bounds for "
                  "dimension 1 with size 4")]),
    _r("index_fill", lambda lib, x, d, i, v: x.index_fill(d, i, v), _index_fill,
       [((3, 4), 1, _i(0, 3), -1.5), ((3, 4), 0, _i(-1), np.array(2.5))],
       errors=[_E(((3, 4), 1, _i(4), 0.0), IndexError, "index 4 is out of bounds")],
       # PyTorch's index_fill backward rejects the negative index its forward accepts
       tags=("no_parity_grad",)),
    # ------------------------------------------------------------------ masks
    _r("masked_fill", lambda lib, x, m, v: x.masked_fill(m, v),
       lambda x, m, v: np.where(m, v, x),
       [((3, 4), _MASK, 3.0), ((3, 4), _MASK[0], -1.0), ((3, 4), _MASK, np.array(1.5)),
        ((4,), _MASK, 2.0)],
       errors=[_E(((3, 4), _MASK.astype(np.int64), 1.0), RuntimeError, "masked_fill_ only "
                  "supports boolean masks, but got mask with dtype"),
               _E(((3, 4), np.array([True, False]), 1.0), RuntimeError, "must broadcast"),
               _E(((3, 4), _MASK, np.array([1.0])), RuntimeError, "only supports a "
                  "0-dimensional value tensor, but got tensor with 1 dimension")]),
    _r("masked_select", lambda lib, x, m: x.masked_select(m),
       lambda x, m: (lambda xb, mb: xb[mb])(*_bcast(x, m)),
       [((3, 4), _MASK), ((3, 4), _MASK[1]), ((4,), _MASK)]),
    _r("masked_scatter", lambda lib, x, m, s: x.masked_scatter(m, s), _masked_scatter,
       [((3, 4), _MASK, (4, 4)), ((3, 4), _MASK[2], (3, 3)), ((4,), _MASK, (12,))],
       errors=[_E(((3, 4), np.ones((3, 4), bool), (2, 4)), RuntimeError, "Number of elements "
                  r"of source \(8\) < number of ones in mask \(12\)")]),
    # ------------------------------------------------------------------ take / put / nonzero
    _r("take_along_dim", lambda lib, x, i, d: lib.take_along_dim(x, i, d),
       lambda x, i, d: np.take_along_axis(x, i, d) if d is not None else np.take(x, i),
       [((3, 4), _i([0], [3], [1]), 1), ((3, 4), _i([0, 2]), 1), ((3, 4), _i(0, 11, 5), None)],
       errors=[_E(((3, 4), np.array([[0.0]]), 1), RuntimeError, "dtype of indices should be "
                  "Long"),
               _E(((3, 4), _i(0), 1), RuntimeError, "input and indices should have the same "
                  "number of dimensions")]),
    _r("take", lambda lib, x, i: lib.take(x, i), lambda x, i: np.take(x, i),
       [((3, 4), _i([0, 11], [5, -1]))],
       errors=[_E(((3, 4), _i(12)), IndexError, "out of range: tried to access index 12 on a "
                  "tensor of 12 elements")]),
    _r("put", lambda lib, x, i, s, accumulate=False: x.put(i, s, accumulate=accumulate), _put,
       [((3, 4), _i(0, 11, -2), (3,)), ((3, 4), _i(0, 0, 5), (3,))],
       sample_kwargs=[{}, {"accumulate": True}],
       errors=[_E(((3, 4), _i(1, 2), (3,)), IndexError, "Expected source and index to have the "
                  "same number of elements")]),
    _r("nonzero", lambda lib, x: lib.nonzero(x), np.argwhere,
       [(np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]]),), (np.array(3.0),)], grad=False),
    _r("nonzero_tuple", lambda lib, x: lib.nonzero(x, as_tuple=True), np.nonzero,
       [(np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]]),)], grad=False),
    _r("argwhere", lambda lib, x: lib.argwhere(x), np.argwhere,
       [(np.array([0.0, 3.0, 0.0, 1.0]),)], grad=False),
    _r("where_one_arg", lambda lib, x: lib.where(x > 0), lambda x: np.nonzero(x > 0),
       [((3, 4),)], grad=False),
]
