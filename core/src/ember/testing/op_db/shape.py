"""Op records for the shape family (see :mod:`ember.testing.op_db`): views, reshapes, joins,
splits, flips, diagonals and strided views of ``ember.ops.shape``.

References are numpy float64 (``reshape``, ``transpose``, ``concatenate``, ``moveaxis``,
``sliding_window_view``, ``stride_tricks.as_strided`` on a contiguous copy …) or short loops.
Multi-output ops (``split``, ``chunk``, ``meshgrid``…) compare every output; gradcheck covers
all of them.  Error inputs check exception type and message (naming sizes, dims, ``reshape``).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..op_record import ErrorInput, OpRecord

__all__ = ["RECORDS"]

_INT = np.arange(12).reshape(3, 4)  # an int64 input: dtype promotion in joins
_EMPTY = np.zeros(0)  # a 1-D empty float tensor: skipped by cat


def _r(name, op, ref, samples, **kw):
    return OpRecord(name, op, ref, samples, **kw)


def _E(args, exc, match, **kw):
    return ErrorInput(args, exc, match, kw)


def _diag_embed(x, offset=0, dim1=-2, dim2=-1):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n))
    for i in range(x.shape[-1]):
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        out[..., r, c] = x[..., i]
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


def _unfold(x, dim, size, step):
    w = np.lib.stride_tricks.sliding_window_view(x, size, axis=dim)
    return w[(slice(None),) * (dim % x.ndim) + (slice(None, None, step),)]


def _as_strided(x, size, stride, offset=0):
    flat = np.ascontiguousarray(x).reshape(-1)[offset:]
    return np.lib.stride_tricks.as_strided(flat, size, [s * 8 for s in stride]).copy()


def _block_diag(*ms):
    ms = [np.atleast_2d(m) for m in ms]
    out = np.zeros((sum(m.shape[0] for m in ms), sum(m.shape[1] for m in ms)))
    r = c = 0
    for m in ms:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def _cartesian(*vs):
    return np.array(list(itertools.product(*vs)))


RECORDS: list[OpRecord] = [
    # ------------------------------------------------------------------ views / reshapes
    _r("view", lambda lib, x, s: x.view(s), lambda x, s: x.reshape(s),
       [((2, 3, 4), [4, -1]), ((2, 3, 4), [24]), ((1, 1), [])],
       errors=[_E(((2, 3, 4), [-1, -1]), RuntimeError, "only one dimension can be inferred"),
               _E(((2, 3, 4), [5, -1]), RuntimeError, r"shape '\[5, -1\]' is invalid for input "
                  "of size 24"),
               _E(((0, 3), [-1, 0]), RuntimeError, "cannot reshape tensor of 0 elements")]),
    _r("view_varargs", lambda lib, x: x.view(3, 8), lambda x: x.reshape(3, 8), [((2, 3, 4),)]),
    _r("view_noncontiguous", lambda lib, x: x.transpose(0, 1).view(-1), None, [],
       errors=[_E(((2, 3, 4),), RuntimeError, r"view size is not compatible.*Use "
                  r"\.reshape\(\.\.\.\) instead")]),
    _r("reshape", lambda lib, x, s: x.transpose(0, 2).reshape(s),
       lambda x, s: np.swapaxes(x, 0, 2).reshape(s), [((2, 3, 4), [-1, 6])],
       errors=[_E(((2, 3, 4), [-2, 12]), RuntimeError, "invalid shape dimension -2")]),
    _r("view_as", lambda lib, x, y: x.view_as(y), lambda x, y: x.reshape(y.shape),
       [((2, 6), (3, 4))], nondiff_args=(1,)),
    _r("reshape_as", lambda lib, x, y: x.t().reshape_as(y), lambda x, y: x.T.reshape(y.shape),
       [((3, 4), (2, 6))], nondiff_args=(1,)),
    _r("ravel", lambda lib, x: x.t().ravel(), lambda x: x.T.ravel(), [((3, 4),)]),
    _r("permute", lambda lib, x, p: x.permute(p), lambda x, p: np.transpose(x, p),
       [((2, 3, 4), [2, 0, 1]), ((2, 3, 4), [-1, 0, 1])],
       errors=[_E(((2, 3, 4), [0, 1]), RuntimeError, r"input.dim\(\) = 3 is not equal to "
                  r"len\(dims\) = 2"),
               _E(((2, 3, 4), [0, 0, 1]), RuntimeError, "duplicate dims are not allowed")]),
    _r("transpose", lambda lib, x, a, b: lib.transpose(x, a, b),
       lambda x, a, b: np.swapaxes(x, a, b), [((2, 3, 4), 0, -1), ((2, 3), 1, 0)],
       errors=[_E(((2, 3), 0, 2), IndexError, r"Dimension out of range \(expected to be in "
                  r"range of \[-2, 1\], but got 2\)")]),
    _r("swapaxes", lambda lib, x: x.swapaxes(1, 2), lambda x: np.swapaxes(x, 1, 2),
       [((2, 3, 4),)]),
    _r("t", lambda lib, x: x.t(), lambda x: x.T, [((3, 4),), ((5,),), ((),)],
       errors=[_E(((2, 3, 4),), RuntimeError, r"t\(\) expects a tensor with <= 2 dimensions, "
                  "but self is 3D")]),
    _r("adjoint", lambda lib, x: lib.adjoint(x), lambda x: np.swapaxes(x, -1, -2),
       [((2, 3, 4),)]),
    _r("mT", lambda lib, x: x.mT, lambda x: np.swapaxes(x, -1, -2), [((2, 3, 4),)]),
    _r("squeeze", lambda lib, x: x.squeeze(), lambda x: x.squeeze(), [((1, 3, 1, 2),)]),
    _r("squeeze_dim", lambda lib, x, d: x.squeeze(d),
       lambda x, d: np.squeeze(x, d) if x.shape[d] == 1 else x,
       [((1, 3, 1), 0), ((1, 3, 1), -1), ((1, 3, 1), 1)],
       errors=[_E(((1, 3), 2), IndexError, "Dimension out of range")]),
    _r("squeeze_dims", lambda lib, x: x.squeeze((0, 2)), lambda x: x.squeeze((0, 2)),
       [((1, 3, 1, 1),)]),
    _r("unsqueeze", lambda lib, x, d: x.unsqueeze(d), lambda x, d: np.expand_dims(x, d),
       [((2, 3), 0), ((2, 3), -1), ((2, 3), 1), ((), 0)],
       errors=[_E(((2, 3), 3), IndexError, r"range of \[-3, 2\], but got 3")]),
    _r("flatten", lambda lib, x: x.flatten(), lambda x: x.reshape(-1), [((2, 3, 4),), ((),)]),
    _r("flatten_range", lambda lib, x, s, e: x.flatten(s, e),
       lambda x, s, e: x.reshape(x.shape[:s] + (-1,) + x.shape[e % x.ndim + 1:]),
       [((2, 3, 4), 1, -1), ((2, 3, 4), 0, 1), ((2, 3, 4), 1, 1)],
       errors=[_E(((2, 3, 4), 2, 1), RuntimeError, "start_dim cannot come after end_dim")]),
    _r("unflatten", lambda lib, x, d, s: x.unflatten(d, s),
       lambda x, d, s: x.reshape(x.shape[:d] + tuple(s) + x.shape[d + 1:]),
       [((3, 4), 1, [2, -1]), ((3, 4), 0, [3, 1])],
       errors=[_E(((3, 4), 1, [3, -1]), RuntimeError, r"Provided sizes \[3, -1\] don't "
                  r"multiply up to the size of dim 1 \(4\)")]),
    _r("expand", lambda lib, x, s: x.expand(s), lambda x, s: np.broadcast_to(x, s),
       [((3, 1, 4), [2, 3, 5, 4]), ((), [2, 3])],
       errors=[_E(((3, 4), [3, 5]), RuntimeError, r"The expanded size of the tensor \(5\) must "
                  r"match the existing size \(4\) at non-singleton dimension 1"),
               _E(((3, 4), [4]), RuntimeError, r"number of sizes provided \(1\) must be "
                  "greater or equal")]),
    _r("expand_keep", lambda lib, x: x.expand(-1, 5, -1), lambda x: np.broadcast_to(x, (3, 5, 4)),
       [((3, 1, 4),)]),
    _r("expand_as", lambda lib, x, y: x.expand_as(y), lambda x, y: np.broadcast_to(x, y.shape),
       [((1, 4), (3, 4))], nondiff_args=(1,)),
    _r("broadcast_to", lambda lib, x: lib.broadcast_to(x, (2, 3, 4)),
       lambda x: np.broadcast_to(x, (2, 3, 4)), [((3, 1),), ((4,),)]),
    _r("broadcast_tensors", lambda lib, x, y: lib.broadcast_tensors(x, y),
       lambda x, y: tuple(np.broadcast_arrays(x, y)), [((3, 1), (2, 1, 4))],
       errors=[_E(((3, 4), (2, 3)), RuntimeError, r"The size of tensor a \(4\) must match the "
                  r"size of tensor b \(3\) at non-singleton dimension 1")]),
    _r("repeat", lambda lib, x, r: x.repeat(r), lambda x, r: np.tile(x, r),
       [((3, 4), [2, 1, 3]), ((2,), [3]), ((), [2, 2])],
       errors=[_E(((3, 4), [2]), RuntimeError, "Number of dimensions of repeat dims can not be "
                  "smaller")]),
    _r("tile", lambda lib, x, r: x.tile(r), lambda x, r: np.tile(x, r),
       [((3, 4), [2]), ((), [3]), ((2,), [2, 2])]),
    _r("flip", lambda lib, x, d: x.flip(d), lambda x, d: np.flip(x, d),
       [((2, 3, 4), [0, 2]), ((2, 3, 4), [-1])],
       errors=[_E(((2, 3), [0, 0]), RuntimeError, "dim 0 appears multiple times")]),
    _r("fliplr", lambda lib, x: lib.fliplr(x), np.fliplr, [((3, 4),)],
       errors=[_E(((3,),), RuntimeError, "Input must be >= 2-d.")]),
    _r("flipud", lambda lib, x: lib.flipud(x), np.flipud, [((3, 4),)]),
    _r("roll_flat", lambda lib, x, s: lib.roll(x, s), lambda x, s: np.roll(x, s),
       [((2, 3, 4), 2), ((2, 3, 4), -7)]),
    _r("roll_dims", lambda lib, x, s, d: lib.roll(x, s, d), lambda x, s, d: np.roll(x, s, d),
       [((2, 3, 4), [1, -2], [0, 2]), ((2, 3, 4), 1, 1)],
       errors=[_E(((2, 3), [1, 2], 0), RuntimeError, "shifts and dimensions must align. "
                  "shifts: 2, dims:1")]),
    _r("rot90", lambda lib, x, k, d: lib.rot90(x, k, d), lambda x, k, d: np.rot90(x, k, d),
       [((2, 3, 4), k, [1, 2]) for k in (-1, 0, 1, 2, 3, 5)] + [((3, 4), 1, [1, 0])],
       errors=[_E(((3, 4), 1, [0, 0]), RuntimeError, "expected rotation dims to be different"),
               _E(((3, 4), 1, [0]), RuntimeError, "expected total rotation dims == 2"),
               _E(((3,), 1, [0, 1]), RuntimeError, "expected total dims >= 2")]),
    _r("narrow", lambda lib, x, s, n: lib.narrow(x, -1, s, n),
       lambda x, s, n: x[..., s % x.shape[-1]:s % x.shape[-1] + n] if n else x[..., :0],
       [((2, 3, 4), 1, 2), ((2, 3, 4), -3, 2), ((2, 3, 4), 4, 0)],
       errors=[_E(((2, 4), 3, 2), RuntimeError, r"start \(3\) \+ length \(2\) exceeds "
                  r"dimension size \(4\)"),
               _E(((2, 4), 5, 0), IndexError, "start out of range")]),
    _r("select", lambda lib, x, i: lib.select(x, 1, i), lambda x, i: x[:, i],
       [((2, 3, 4), -1), ((2, 3, 4), 0)],
       errors=[_E(((2, 3), 3), IndexError, r"index 3 out of range for tensor of size \[2, 3\] "
                  "at dimension 1")]),
    _r("movedim", lambda lib, x, s, d: lib.movedim(x, s, d), lambda x, s, d: np.moveaxis(x, s, d),
       [((2, 3, 4), [0, 1], [2, 0]), ((2, 3, 4), -1, 0), ((2, 3, 4), [2, 0], [0, 1])],
       errors=[_E(((2, 3, 4), [0, 0], [1, 2]), RuntimeError, "movedim: repeated dim in "
                  "`source`")]),
    _r("moveaxis", lambda lib, x: lib.moveaxis(x, -1, 0), lambda x: np.moveaxis(x, -1, 0),
       [((2, 3, 4),)]),
    _r("clone", lambda lib, x: x.clone(), lambda x: x.copy(), [((2, 3),)]),
    _r("contiguous", lambda lib, x: x.t().contiguous(), lambda x: x.T.copy(), [((2, 3),)]),
    _r("atleast_1d", lambda lib, x: lib.atleast_1d(x), np.atleast_1d, [((),), ((3,),)]),
    _r("atleast_2d", lambda lib, x: lib.atleast_2d(x), np.atleast_2d,
       [((),), ((3,),), ((2, 3),)]),
    _r("atleast_3d", lambda lib, x: lib.atleast_3d(x), np.atleast_3d,
       [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]),
    _r("atleast_3d_many", lambda lib, x, y: lib.atleast_3d(x, y),
       lambda x, y: tuple(np.atleast_3d(x, y)), [((3,), (2, 3))]),
    # ------------------------------------------------------------------ joins
    _r("cat", lambda lib, x, y: lib.cat([x, y], 1), lambda x, y: np.concatenate([x, y], 1),
       [((3, 4), (3, 2))],
       errors=[_E(((3, 4), (2, 3)), RuntimeError, r"Sizes of tensors must match except in "
                  r"dimension 1. Expected size 3 but got size 2 for tensor number 1 in the "
                  "list"),
               _E(((3, 4), (4,)), RuntimeError, "Tensors must have same number of dimensions: "
                  "got 2 and 1"),
               _E(((), ()), RuntimeError, r"zero-dimensional tensor \(at position 0\) cannot "
                  "be concatenated")]),
    _r("cat_neg_dim", lambda lib, x, y: lib.cat((x, y), dim=-1),
       lambda x, y: np.concatenate([x, y], -1), [((2, 3, 4), (2, 3, 1))]),
    _r("cat_promote", lambda lib, x, i: lib.cat([x, i]), lambda x, i: np.concatenate([x, i]),
       [((2, 4), _INT)]),
    _r("cat_skips_1d_empty", lambda lib, x, e, y: lib.cat([x, e, y]),
       lambda x, e, y: np.concatenate([x, y]), [((3, 4), _EMPTY, (1, 4))]),
    _r("concatenate", lambda lib, x, y: lib.concatenate([x, y], axis=0),
       lambda x, y: np.concatenate([x, y]), [((1, 3), (2, 3))]),
    _r("stack", lambda lib, x, y: lib.stack([x, y], -1), lambda x, y: np.stack([x, y], -1),
       [((3, 4), (3, 4))],
       errors=[_E(((3, 4), (3, 5)), RuntimeError, r"stack expects each tensor to be equal "
                  r"size, but got \[3, 4\] at entry 0 and \[3, 5\] at entry 1")]),
    _r("stack_promote", lambda lib, x, i: lib.stack([x, i]), lambda x, i: np.stack([x, i]),
       [((3, 4), _INT)]),
    _r("hstack", lambda lib, x, y: lib.hstack([x, y]), lambda x, y: np.hstack([x, y]),
       [((3, 4), (3, 2)), ((4,), (2,)), ((), (2,))]),
    _r("vstack", lambda lib, x, y: lib.vstack([x, y]), lambda x, y: np.vstack([x, y]),
       [((4,), (4,)), ((3, 4), (4,))]),
    _r("dstack", lambda lib, x, y: lib.dstack([x, y]), lambda x, y: np.dstack([x, y]),
       [((3, 4), (3, 4)), ((4,), (4,))]),
    _r("column_stack", lambda lib, x, y: lib.column_stack([x, y]),
       lambda x, y: np.column_stack([x, y]), [((3,), (3, 2)), ((), (1, 2))]),
    _r("meshgrid", lambda lib, x, y, ix: lib.meshgrid(x, y, indexing=ix),
       lambda x, y, ix: tuple(np.meshgrid(x, y, indexing=ix)),
       [((4,), (3,), "ij"), ((4,), (3,), "xy"), ((), (3,), "xy")],
       errors=[_E(((2,), (2,), "ab"), RuntimeError, 'indexing must be one of "xy" or "ij"'),
               _E(((2,), (2, 2), "ij"), RuntimeError, "Expected 0D or 1D tensor")]),
    _r("meshgrid_3", lambda lib, x, y, z, ix: lib.meshgrid([x, y, z], indexing=ix),
       lambda x, y, z, ix: tuple(np.meshgrid(x, y, z, indexing=ix)),
       [((4,), (3,), (2,), "ij"), ((4,), (3,), (2,), "xy")]),
    _r("block_diag", lambda lib, x, y, z: lib.block_diag(x, y, z), _block_diag,
       [((2, 3), (4,), ())],
       errors=[_E(((2, 3, 4), (2,), ()), RuntimeError, "Input 0 has 3 dimensions")]),
    _r("block_diag_promote", lambda lib, x, i: lib.block_diag(x, i), _block_diag,
       [((2, 3), _INT)]),
    _r("cartesian_prod", lambda lib, x, y: lib.cartesian_prod(x, y), _cartesian,
       [((3,), (2,))]),
    # ------------------------------------------------------------------ splits
    _r("split", lambda lib, x, s: lib.split(x, s, 2),
       lambda x, s: tuple(np.split(x, range(s, x.shape[2], s), 2)),
       [((2, 3, 5), 2), ((2, 3, 5), 5), ((2, 3, 5), 7)],
       errors=[_E(((2, 3, 5), 0), RuntimeError, "split_size can only be 0 if dimension size "
                  "is 0")]),
    _r("split_sizes", lambda lib, x, s: x.split(s, -1),
       lambda x, s: tuple(np.split(x, np.cumsum(s)[:-1], -1)),
       [((2, 4), [1, 3]), ((2, 4), [0, 4])],
       errors=[_E(((2, 4), [1, 2]), RuntimeError, r"split_with_sizes expects split_sizes to "
                  r"sum exactly to 4 \(input tensor's size at dimension 1\), but got "
                  r"split_sizes=\[1, 2\]")]),
    _r("tensor_split_sections", lambda lib, x, k: lib.tensor_split(x, k, 1),
       lambda x, k: tuple(np.array_split(x, k, 1)), [((2, 7), 3), ((2, 4), 5)],
       errors=[_E(((2, 4), 0), RuntimeError, "number of sections must be larger than 0, got "
                  "0")]),
    _r("tensor_split_indices", lambda lib, x, i: lib.tensor_split(x, i, 1),
       lambda x, i: tuple(np.split(x, i, 1)),
       [((2, 6), [1, 4]), ((2, 6), [4, 1, 9]), ((2, 6), [-1])]),
    _r("chunk", lambda lib, x, c: lib.chunk(x, c), None, [],
       errors=[_E(((6,), 0), RuntimeError, "chunk expects `chunks` to be greater than 0, got: "
                  "0")]),
    _r("unbind", lambda lib, x: lib.unbind(x, 1),
       lambda x: tuple(x[:, i] for i in range(x.shape[1])), [((2, 3, 4),)]),
    # ------------------------------------------------------------------ triangles / diagonals
    _r("tril", lambda lib, x, k: lib.tril(x, k), lambda x, k: np.tril(x, k),
       [((2, 3, 4), k) for k in (-1, 0, 2)],
       errors=[_E(((3,), 0), RuntimeError, "tril: input tensor must have at least 2 "
                  "dimensions")]),
    _r("triu", lambda lib, x, k: lib.triu(x, k), lambda x, k: np.triu(x, k),
       [((2, 3, 4), k) for k in (-2, 0, 1)]),
    _r("diagonal", lambda lib, x, o, a, b: lib.diagonal(x, o, a, b),
       lambda x, o, a, b: np.diagonal(x, o, a, b),
       [((2, 3, 4), o, 1, 2) for o in (-2, 0, 1, 5)] + [((3, 2, 4), 0, -1, 0)],
       errors=[_E(((2, 3), 0, 1, 1), RuntimeError, "diagonal dimensions cannot be identical "
                  "1, 1")]),
    _r("diag_1d", lambda lib, x, o: lib.diag(x, o), lambda x, o: np.diag(x, o),
       [((4,), o) for o in (-2, 0, 1)]),
    _r("diag_2d", lambda lib, x, o: lib.diag(x, o), lambda x, o: np.diag(x, o),
       [((3, 4), o) for o in (-1, 0, 2)],
       errors=[_E(((2, 3, 4), 0), RuntimeError, "Supports 1D or 2D tensors. Got 3D")]),
    _r("diag_embed", lambda lib, x, o: lib.diag_embed(x, o), _diag_embed,
       [((2, 3), o) for o in (-1, 0, 2)]),
    _r("diag_embed_dims", lambda lib, x: lib.diag_embed(x, 1, 0, 2),
       lambda x: _diag_embed(x, 1, 0, 2), [((2, 3),)]),
    _r("diagflat", lambda lib, x, o: lib.diagflat(x, o), lambda x, o: np.diagflat(x, o),
       [((2, 2), 0), ((3,), -1)]),
    _r("trace", lambda lib, x: lib.trace(x), np.trace, [((3, 4),)],
       errors=[_E(((2, 3, 4),), RuntimeError, "trace: expected a matrix")]),
    # ------------------------------------------------------------------ strided views
    _r("unfold", lambda lib, x, d, s, st: x.unfold(d, s, st), _unfold,
       [((2, 3, 5), 2, 2, 1), ((2, 3, 5), -1, 3, 2), ((2, 4, 3), 1, 2, 2), ((6,), 0, 0, 1)],
       errors=[_E(((6,), 0, 7, 1), RuntimeError, "maximum size for tensor at dimension 0 is 6 "
                  "but size is 7"),
               _E(((6,), 0, 2, 0), RuntimeError, "step is 0 but must be > 0")]),
    _r("as_strided", lambda lib, x, sz, st: x.as_strided(sz, st),
       lambda x, sz, st: _as_strided(x, sz, st),
       [((3, 4), [2, 2], [1, 2]), ((6,), [3, 3], [1, 1]), ((3, 4), [2, 3], [4, 1])],
       errors=[_E(((6,), [3, 3], [3, 1]), RuntimeError, "out of bounds for storage of size "
                  "24")]),
    _r("as_strided_offset", lambda lib, x: lib.as_strided(x, (2, 3), (3, 1), 2),
       lambda x: _as_strided(x, (2, 3), (3, 1), 2), [((3, 4),)]),
]
