"""The index_*, masked_*, take/put and nonzero ops (re-exported by :mod:`ember.ops.indexing`).

Out-of-place forms of PyTorch's ``index_add_``/``index_copy_``/``index_fill_``/``masked_*_``/
``put_``; the in-place methods come from :mod:`ember.ops.inplace`.  Indices are checked
up front, with errors naming the op, the index, the dimension and its size.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.node import Node
from ._dispatch import apply, check_same_device, xp_of
from ._scatter import gather
from .indexing import _name, _put, getitem_raw

__all__ = ["index_select", "index_add", "index_copy", "index_fill", "masked_fill",
           "masked_select", "masked_scatter", "take_along_dim", "take", "put", "nonzero",
           "argwhere"]


def _vector_index(op, index, input, dim, *, neg=False, exc=IndexError):
    """Check a 0-/1-D int index along ``dim``; returns ``(dim, index array)``."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got {index.dtype}")
    if index._data.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    x = input._data
    d = _wrap_dim(dim, x.ndim, op)
    n = x.shape[d] if x.ndim else 1
    i = index._data.reshape(-1)
    lo = -n if neg else 0
    if i.size and (int(i.min()) < lo or int(i.max()) >= n):
        bad = int(i.min()) if int(i.min()) < lo else int(i.max())
        raise exc(f"{op}(): index {bad} is out of bounds for dimension {d} with size {n}")
    return d, i


def index_select(input, dim, index, *, out=None):
    """Slices of ``input`` along ``dim`` at the 1-D ``index`` (a copy).

    Args:
        input: the tensor.
        dim: the dimension to index.
        index: 1-D (or 0-d) int64/int32 tensor of indices in ``[0, size)``.

    Raises:
        IndexError: ``index`` not a vector, or an index out of range.
        RuntimeError: a non-integer ``index``.

    Example:
        >>> import ember
        >>> ember.arange(6).reshape(2, 3).index_select(1, ember.tensor([2, 0]))
        tensor([[2, 0],
                [5, 3]])
    """
    d, i = _vector_index("index_select", index, input, dim)
    if input._data.ndim == 0:
        r = getitem_raw(input.reshape(1), None, (i,), False)
        r = r.reshape(()) if i.size == 1 else r
    else:
        r = getitem_raw(input, None, (slice(None),) * d + (i,), False)
    return r if out is None else out.copy_(r)


def _source_checks(op, input, d, i, source, exc=RuntimeError):
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' must be Tensor, not "
                        f"{type(source).__name__}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"{op}(): self ({_name(input)}) and source ({_name(source)}) must "
                           "have the same scalar type")
    xs, ss = input._data.shape, source._data.shape
    m = ss[d] if len(ss) > d else 1
    if i.size != m:
        raise exc(f"{op}(): Number of indices ({i.size}) should be equal to "
                  f"source.size(dim): ({m}), for dim: {d}")
    if len(ss) and (len(ss) != len(xs) or any(
            a != b for k, (a, b) in enumerate(zip(xs, ss, strict=True)) if k != d)):
        raise RuntimeError(f"{op}(): source tensor shape must match self tensor shape, "
                           f"excluding the specified dimension. Got self.shape = {list(xs)} "
                           f"source.shape = {list(ss)}")


def index_add(input, dim, index, source, *, alpha=1):
    """Out-of-place ``index_add_``: ``out[..., index[i], ...] += alpha * source[..., i, ...]``.

    Args:
        input: the tensor.
        dim: dimension along which to index.
        index: 1-D int tensor, ``len(index) == source.size(dim)``; repeats accumulate.
        source: tensor of ``input``'s dtype and shape except along ``dim``.
        alpha: scale of ``source``. Default 1.

    Raises:
        RuntimeError: mismatched dtype/shape/number of indices, or an index out of range.

    Example:
        >>> import ember
        >>> ember.zeros(3).index_add(0, ember.tensor([0, 0, 2]), ember.tensor([1., 2., 3.]))
        tensor([3., 0., 3.])
    """
    d, i = _vector_index("index_add", index, input, dim, exc=RuntimeError)
    _source_checks("index_add_", input, d, i, source)
    src = source * alpha if alpha != 1 else source
    key = (slice(None),) * d + (i,)
    return _put(input, None, key, False, src, src._data, True)


def index_copy(input, dim, index, source):
    """Out-of-place ``input.index_copy_``: ``out[..., index[i], ...] = source[..., i, ...]``.

    Raises:
        IndexError: an index out of range.
        RuntimeError: mismatched dtype, shape or number of indices.

    Example:
        >>> import ember
        >>> ember.zeros(3).index_copy(0, ember.tensor([2, 0]), ember.tensor([1., 2.]))
        tensor([2., 0., 1.])
    """
    d, i = _vector_index("index_copy_", index, input, dim)
    _source_checks("index_copy_", input, d, i, source, IndexError)
    return _put(input, None, (slice(None),) * d + (i,), False, source, source._data)


def index_fill(input, dim, index, value):
    """Out-of-place ``input.index_fill_``: slices ``index`` along ``dim`` set to ``value``.

    ``value`` is a number or a 0-d tensor (which receives a gradient); negative indices count
    from the end.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).index_fill(1, ember.tensor([-1]), 5.)
        tensor([[0., 0., 5.],
                [0., 0., 5.]])
    """
    d, i = _vector_index("index_fill_", index, input, dim, neg=True)
    vt = None
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value._data.ndim} dimension(s).")
        vt, value = value, value._data.astype(input._data.dtype)
    return _put(input, None, (slice(None),) * d + (i,), False, vt, value)


# ---------------------------------------------------------------------- masks
class MaskedFill(Node):
    def forward(self, xp, x, mask, value):
        self.mask = mask
        return xp.where(mask, value, x).astype(x.dtype, copy=False)

    def backward(self, gy):
        m = Tensor._make(self.mask)
        gx = gy.masked_fill(m, 0) if self.next_functions[0][0] is not None else None
        gv = None
        if self.next_functions[1][0] is not None:
            gv = (gy * m).sum()
        return gx, gv


def _mask(op, mask, input):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype}")
    check_same_device(op, input, mask)
    try:
        return mask._data, np.broadcast_shapes(mask._data.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(f"{op}: The size of the mask ({list(mask._data.shape)}) must "
                           f"broadcast with the size of the tensor "
                           f"({list(input._data.shape)})") from None


def masked_fill(input, mask, value):
    """``value`` where ``mask`` is True, else ``input`` (``mask`` broadcasts).

    Args:
        input: the tensor.
        mask: a bool tensor broadcastable with ``input``.
        value: a number or a 0-d tensor (differentiable).

    Raises:
        RuntimeError: a non-bool mask, a value tensor that is not 0-d, shapes that do not
            broadcast.

    Example:
        >>> import ember
        >>> x = ember.tensor([1., -2., 3.])
        >>> x.masked_fill(x < 0, 0.)
        tensor([1., 0., 3.])
    """
    m, _ = _mask("masked_fill_", mask, input)
    vt = None
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value._data.ndim} dimension(s).")
        vt, v = value, value._data.astype(input._data.dtype)
    else:
        v = value
    return apply(MaskedFill(), (input, vt), input._data, m, v)


def masked_select(input, mask):
    """1-D tensor of the elements of ``input`` where ``mask`` is True (both broadcast).

    Example:
        >>> import ember
        >>> x = ember.tensor([[1, 2], [3, 4]])
        >>> x.masked_select(x > 1)
        tensor([2, 3, 4])
    """
    m, shp = _mask("masked_select", mask, input)
    x = input.expand(shp) if input._data.shape != shp else input
    return getitem_raw(x, None, (xp_of(m).broadcast_to(m, shp),), False)


def masked_scatter(input, mask, source):
    """Copy ``source``'s leading elements, in order, into ``input`` where ``mask`` is True.

    Raises:
        RuntimeError: a dtype mismatch or fewer source elements than True mask entries.

    Example:
        >>> import ember
        >>> ember.zeros(4).masked_scatter(ember.tensor([True, False, True, False]),
        ...                               ember.tensor([1., 2., 3.]))
        tensor([1., 0., 2., 0.])
    """
    m, shp = _mask("masked_scatter", mask, input)
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got {input.dtype} and {source.dtype}")
    xp = xp_of(m)
    x = input.expand(shp) if input._data.shape != shp else input
    mm = xp.ascontiguousarray(xp.broadcast_to(m, shp))
    n = int(mm.sum())
    if source._data.size < n:
        raise RuntimeError(f"masked_scatter: Number of elements of source ({source._data.size}) "
                           f"< number of ones in mask ({n})")
    vals = source.reshape(-1)[:n]
    return _put(x, None, (mm,), False, vals, vals._data)


# ---------------------------------------------------------------------- take / put
def take_along_dim(input, indices, dim=None):
    """``gather`` with ``indices`` broadcast against ``input``; flattened when ``dim`` is None.

    Example:
        >>> import ember
        >>> x = ember.tensor([[10., 30.], [40., 20.]])
        >>> ember.take_along_dim(x, x.argmax(1, keepdim=True), 1)
        tensor([[30.],
                [40.]])
    """
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"take_along_dim(): dtype of indices should be Long but got "
                           f"{_name(indices)}")
    if dim is None:
        return take(input, indices.reshape(-1))
    if indices._data.ndim != input._data.ndim:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number "
                           f"of dimensions, but got {input._data.ndim} dimensions for input, "
                           f"and {indices._data.ndim} dimensions for indices")
    d = _wrap_dim(dim, input._data.ndim, "take_along_dim")
    shp_i, shp_x = list(indices._data.shape), list(input._data.shape)
    shp_i[d] = shp_x[d] = 1
    b = list(np.broadcast_shapes(tuple(shp_i), tuple(shp_x)))
    bi, bx = list(b), list(b)
    bi[d], bx[d] = indices._data.shape[d], input._data.shape[d]
    return gather(input.expand(bx), d, indices.expand(bi))


def _flat_index(op, input, index):
    if index._data.dtype != np.int64:
        raise RuntimeError(f"{op}(): Expected a long tensor for index, but got {_name(index)}")
    n = input._data.size
    i = index._data
    if i.size and (int(i.min()) < -n or int(i.max()) >= n):
        bad = int(i.min()) if int(i.min()) < -n else int(i.max())
        raise IndexError(f"{op}(): out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return i


def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (negative counts from the end), shaped
    like ``index``.

    Example:
        >>> import ember
        >>> ember.take(ember.tensor([[1, 2], [3, 4]]), ember.tensor([0, -1]))
        tensor([1, 4])
    """
    i = _flat_index("take", input, index)
    return getitem_raw(input.reshape(-1), None, (i,), False)


def put(input, index, source, accumulate: bool = False):
    """Out-of-place ``input.put_``: the flattened ``input`` with ``source`` written at ``index``.

    Example:
        >>> import ember
        >>> ember.zeros(2, 2).put(ember.tensor([3, 0]), ember.tensor([1., 2.]))
        tensor([[2., 0.],
                [0., 1.]])
    """
    i = _flat_index("put_", input, index)
    if source._data.size != i.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source._data.size}, "
                         f"index.numel() = {i.size}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"put_(): self ({_name(input)}) and source ({_name(source)}) must "
                           "have the same scalar type")
    src = source.reshape(-1)
    flat = input.reshape(-1)
    return _put(flat, None, (i.reshape(-1),), False, src, src._data,
                accumulate).reshape(input.shape)


def nonzero(input, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or (``as_tuple``) a
    tuple of ``ndim`` 1-D tensors (one 1-D tensor for a 0-d input).

    Example:
        >>> import ember
        >>> ember.nonzero(ember.tensor([[0, 1], [2, 0]]))
        tensor([[0, 1],
                [1, 0]])
    """
    x = input._data
    xp = xp_of(x)
    if as_tuple:
        if x.ndim == 0:
            return (Tensor._make(xp.zeros(int(bool(x)), np.int64)),)
        return tuple(Tensor._make(i.astype(np.int64)) for i in xp.nonzero(x))
    if x.ndim == 0:
        return Tensor._make(xp.zeros((int(bool(x)), 0), np.int64))
    return Tensor._make(xp.argwhere(x).astype(np.int64))


def argwhere(input):
    """``nonzero(input)``: an ``(n, ndim)`` int64 tensor of the non-zero positions.

    Example:
        >>> import ember
        >>> ember.argwhere(ember.tensor([0., 3., 0., 1.]))
        tensor([[1],
                [3]])
    """
    return nonzero(input)
