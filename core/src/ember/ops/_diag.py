"""Diagonals, triangles and strided views (re-exported by :mod:`ember.ops.shape`).

``diagonal``, ``unfold`` and ``as_strided`` are views built from explicit strides, so writing
through them changes their input (numpy's own ``diagonal`` is read-only; ember's is not).
Views whose elements overlap (``unfold`` with ``step < size``, an overlapping ``as_strided``)
are read-only: in-place writes into them raise.
"""

from __future__ import annotations

import builtins

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.node import Node
from ._dispatch import apply
from ._views import geometry, storage_extent, view_op

__all__ = ["tril", "triu", "diagonal", "diag", "diag_embed", "diagflat", "trace", "as_strided",
           "unfold"]


def strided_view(xp, x, shape, strides, offset=0, writeable=True):
    """A view of ``x``'s memory with ``shape``/``strides``/``offset`` in elements."""
    item = x.itemsize
    flat = x
    if offset:  # NOTE: a 1-element array at the offset; as_strided then spans from there
        if xp is np:
            flat = np.lib.stride_tricks.as_strided(x, (offset + 1,), (item,))[offset:]
        else:
            flat = xp.lib.stride_tricks.as_strided(x, (offset + 1,), (item,))[offset:]
    shape, bst = tuple(shape), tuple(s * item for s in strides)
    if xp is np:
        return np.lib.stride_tricks.as_strided(flat, shape, bst, writeable=writeable)
    return xp.lib.stride_tricks.as_strided(flat, shape, bst)


def _overlaps(shape, strides) -> bool:
    """True when two elements of the geometry share a memory location."""
    dims = sorted((st, n) for n, st in zip(shape, strides, strict=True) if n > 1)
    span = 1
    for st, n in dims:
        if st < span:
            return True
        span = st * (n - 1) + span
    return False


# ---------------------------------------------------------------------- triangles
class Tri(Node):
    def forward(self, xp, x, k, lower):
        self.k, self.lower = k, lower
        return xp.tril(x, k) if lower else xp.triu(x, k)

    def backward(self, gy):
        return (gy.tril(self.k) if self.lower else gy.triu(self.k),)


def _tri(op, input, diagonal, lower, out):
    if input._data.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    r = apply(Tri(), (input,), input._data, int(diagonal), lower)
    return r if out is None else out.copy_(r)


def tril(input, diagonal: int = 0, *, out=None):
    """Lower triangle of the last two dims: ``out[..., i, j] = x[..., i, j] if j - i <= diagonal
    else 0``.

    Args:
        input: tensor with at least 2 dims.
        diagonal: which diagonal bounds the triangle (0 main, >0 above). Default 0.

    Raises:
        RuntimeError: fewer than 2 dims.

    Example:
        >>> import ember
        >>> ember.ones(2, 3).tril()
        tensor([[1., 0., 0.],
                [1., 1., 0.]])
    """
    return _tri("tril", input, diagonal, True, out)


def triu(input, diagonal: int = 0, *, out=None):
    """Upper triangle of the last two dims: elements with ``j - i < diagonal`` zeroed.

    Example:
        >>> import ember
        >>> ember.ones(2, 3).triu(1)
        tensor([[0., 1., 1.],
                [0., 0., 1.]])
    """
    return _tri("triu", input, diagonal, False, out)


# ---------------------------------------------------------------------- diagonals
def _diag_geom(shape, strides, offset, d1, d2):
    """(shape, strides, offset) of the (offset, d1, d2) diagonal, in elements."""
    n1, n2 = shape[d1], shape[d2]
    if offset >= 0:
        length, start = builtins.max(builtins.min(n1, n2 - offset), 0), offset * strides[d2]
    else:
        length, start = builtins.max(builtins.min(n1 + offset, n2), 0), -offset * strides[d1]
    keep = [i for i in range(len(shape)) if i not in (d1, d2)]
    return ([shape[i] for i in keep] + [length], [strides[i] for i in keep] +
            [strides[d1] + strides[d2]], start if length else 0)


def diag_view(xp, x, offset, d1, d2):
    """A writeable view of ``x``'s (offset, d1, d2) diagonal (as the last dim)."""
    shape, strides, _ = geometry(x, x)
    s, st, off = _diag_geom(shape, strides, offset, d1, d2)
    return strided_view(xp, x, s, st, off, x.flags.writeable if xp is np else True)


class Diagonal(Node):
    def forward(self, xp, x, offset, d1, d2):
        self.shape, self.args = x.shape, (offset, d1, d2)
        return diag_view(xp, x, offset, d1, d2)

    def backward(self, gy):
        from .creation import zeros
        z = zeros(self.shape, dtype=gy.dtype, device=gy.device)
        return (_DiagScatter.run(z, gy, *self.args),)

    def name(self):
        return "DiagonalBackward0"


class _DiagScatter(Node):
    """``z`` with ``g`` written on its (offset, d1, d2) diagonal (differentiable in ``g``)."""

    @classmethod
    def run(cls, z, g, offset, d1, d2):
        return apply(cls(), (g,), z._data, g._data, offset, d1, d2)

    def forward(self, xp, z, g, offset, d1, d2):
        self.args = (offset, d1, d2)
        out = z.copy()
        diag_view(xp, out, offset, d1, d2)[...] = g
        return out

    def backward(self, gy):
        return (diagonal(gy, *self.args),)


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The diagonal ``out[..., i] = x[..., i, i + offset]`` over ``dim1``/``dim2``, appended
    as the last dim (a writeable view).

    Args:
        input: tensor with at least 2 dims.
        offset: 0 main diagonal, >0 above, <0 below. Default 0.
        dim1, dim2: the two dims to take the diagonal of. Default 0, 1.

    Raises:
        RuntimeError: ``dim1 == dim2``.

    Example:
        >>> import ember
        >>> ember.arange(9.).reshape(3, 3).diagonal(1)
        tensor([1., 5.])
    """
    x = input._data
    d1, d2 = _wrap_dim(dim1, x.ndim, "diagonal"), _wrap_dim(dim2, x.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return view_op(Diagonal(), input, x, int(offset), d1, d2)


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Matrices with the last dim of ``input`` on their (offset, dim1, dim2) diagonal.

    Shape:
        ``(*, n)`` -> ``(*, n + |offset|, n + |offset|)`` with the new dims at dim1/dim2.

    Example:
        >>> import ember
        >>> ember.diag_embed(ember.tensor([1., 2.]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    from .creation import zeros
    x = input._data
    n = x.shape[-1] + builtins.abs(offset) if x.ndim else 1
    nd = x.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd, "diag_embed"), _wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    it = iter(x.shape[:-1])
    shape = [n if i in (d1, d2) else next(it) for i in range(nd)]
    z = zeros(shape, dtype=input.dtype, device=input.device)
    return _DiagScatter.run(z, input, offset, d1, d2)


def diag(input, diagonal: int = 0):
    """1-D input: a square matrix with it on diagonal ``diagonal``; 2-D input: that diagonal
    (a copy).

    Raises:
        RuntimeError: input that is not 1-D or 2-D.

    Example:
        >>> import ember
        >>> ember.diag(ember.tensor([1, 2]), 1)
        tensor([[0, 1, 0],
                [0, 0, 2],
                [0, 0, 0]])
    """
    n = input._data.ndim
    if n == 1:
        return diag_embed(input, diagonal, 0, 1)
    if n == 2:
        return globals()["diagonal"](input, diagonal).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


def diagflat(input, offset: int = 0):
    """A matrix with the flattened ``input`` on diagonal ``offset``.

    Example:
        >>> import ember
        >>> ember.diagflat(ember.tensor([[1., 2.]])).shape
        ember.Size([2, 2])
    """
    return diag(input.reshape(-1), offset)


def trace(input):
    """Sum of the main diagonal of a matrix (integers sum to int64).

    Raises:
        RuntimeError: input that is not 2-D.

    Example:
        >>> import ember
        >>> ember.trace(ember.arange(9.).reshape(3, 3))
        tensor(12.)
    """
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                           f"{input._data.ndim}")
    return diagonal(input).sum()


# ---------------------------------------------------------------------- strided views
class AsStrided(Node):
    def forward(self, xp, x, root, size, stride, offset, in_geom, span):
        self.in_geom, self.geom, self.span = in_geom, (size, stride, offset), span
        return strided_view(xp, root, size, stride, offset,
                            root.flags.writeable and not _overlaps(size, stride)
                            if xp is np else True)

    def backward(self, gy):
        from .indexing import as_strided_backward
        return (as_strided_backward(gy, self.in_geom, self.geom, self.span),)

    def name(self):
        return "AsStridedBackward0"


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage with explicit ``size``, ``stride`` and offset (elements).

    As in PyTorch, the geometry addresses the memory of the tensor that owns the storage
    (``input``'s base), and ``storage_offset`` defaults to ``input.storage_offset()``.
    Overlapping results are read-only.

    Raises:
        RuntimeError: ``size``/``stride`` of different lengths, negative strides, a geometry
            reaching outside the storage.

    Example:
        >>> import ember
        >>> ember.arange(6.).as_strided((2, 2), (1, 2))
        tensor([[0., 2.],
                [1., 3.]])
    """
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(size)} vs "
                           f"{len(stride)}")
    if any(s < 0 for s in stride) or any(s < 0 for s in size):
        raise RuntimeError(f"as_strided: negative sizes or strides are not supported, got size "
                           f"{list(size)} and stride {list(stride)}")
    root = input._base if input._base is not None else input
    r = root._data
    rshape, rstrides, _ = geometry(r, r)
    if any(s < 0 for s in rstrides):
        raise RuntimeError("as_strided: the tensor's storage has negative strides; clone() it")
    in_geom = geometry(input._data, r)
    off = in_geom[2] if storage_offset is None else int(storage_offset)
    span = storage_extent(rshape, rstrides)
    need = off + storage_extent(size, stride) if builtins.all(size) else 0
    if need > span:
        item = r.itemsize
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {off}, and itemsize {item} requiring a storage size of "
                           f"{need * item} are out of bounds for storage of size {span * item}")
    return view_op(AsStrided(), input, input._data, r, size, stride, off, in_geom, span)


class Unfold(Node):
    def forward(self, xp, x, dim, size, step):
        self.shape, self.args = x.shape, (dim, size, step)
        shp, st, _ = geometry(x, x)
        n = (x.shape[dim] - size) // step + 1
        shp = shp[:dim] + (n,) + shp[dim + 1:] + (size,)
        st = st[:dim] + (st[dim] * step,) + st[dim + 1:] + (st[dim],)
        w = step >= size or n <= 1 or size <= 1
        return strided_view(xp, x, shp, st, 0, x.flags.writeable and w if xp is np else True)

    def backward(self, gy):
        from .indexing import unfold_backward
        return (unfold_backward(gy, self.shape, *self.args),)

    def name(self):
        return "UnfoldBackward0"


def unfold(input, dimension: int, size: int, step: int):
    """Windows of ``size`` every ``step`` along ``dimension``, as a new last dim (a view).

    Shape:
        ``dimension`` becomes ``(n - size) // step + 1`` and a last dim of ``size`` is added.
        Overlapping windows (``step < size``) are read-only.

    Raises:
        RuntimeError: ``size`` larger than the dimension, or ``step <= 0``.

    Example:
        >>> import ember
        >>> ember.arange(5.).unfold(0, 2, 2)
        tensor([[0., 1.],
                [2., 3.]])
    """
    x = input._data
    d = _wrap_dim(dimension, x.ndim, "unfold")
    n = x.shape[d] if x.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if x.ndim == 0:
        from .shape import narrow, view
        return narrow(view(input, 1), 0, 0, size)
    return view_op(Unfold(), input, x, d, size, step)


_ = Tensor
