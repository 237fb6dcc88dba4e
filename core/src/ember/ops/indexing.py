"""Indexing: ``__getitem__``/``__setitem__`` and the gather/scatter/index/mask families.

Basic indexing (ints, slices with steps, ``None``, ``...``) returns views; integer-tensor and
bool-mask indices copy (numpy's advanced-indexing rules, which PyTorch shares).  Gradients of
advanced indexing accumulate over repeated indices.

Example:
    >>> import ember
    >>> x = ember.arange(12).reshape(3, 4)
    >>> x[1:, ::2]
    tensor([[ 4,  6],
            [ 8, 10]])
    >>> x[ember.tensor([0, 2]), -1]
    tensor([ 3, 11])
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype as T
from .._tensor import Tensor, _wrap_dim
from ..autograd.node import Node
from ._dispatch import apply, check_same_device, wrap, xp_of

__all__ = [
    "getitem", "index_put", "gather", "scatter", "scatter_add", "scatter_reduce",
    "index_select", "index_add", "index_copy", "index_fill", "masked_fill", "masked_select",
    "masked_scatter", "take_along_dim", "take", "nonzero", "argwhere", "put",
]


# ---------------------------------------------------------------------- keys
def _index_array(t, xp):
    a = t._data if isinstance(t, Tensor) else t
    if a.dtype.kind == "b":
        return a
    if a.dtype.kind not in "iu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return a


def convert_key(key, xp):
    """Translate an ember index into a numpy/cupy one; returns ``(key, is_basic)``."""
    if not isinstance(key, tuple):
        key = (key,)
    out, basic = [], True
    for k in key:
        if isinstance(k, Tensor):
            if k._data.ndim == 0 and k._data.dtype.kind in "iu":
                out.append(int(k.item()))  # 0-d integer tensors index like ints
                continue
            out.append(_index_array(k, xp))
            basic = False
        elif isinstance(k, (list, np.ndarray)) or (type(k).__module__.startswith("cupy")):
            a = xp.asarray(np.asarray([_plain(v) for v in k]) if isinstance(k, list) else k)
            if a.dtype.kind not in "iub":
                if a.size == 0:
                    a = a.astype(np.int64)
                else:
                    raise IndexError("tensors used as indices must be long, int, byte or bool "
                                     "tensors")
            out.append(a)
            basic = False
        elif k is None or k is Ellipsis or isinstance(k, slice):
            if isinstance(k, slice) and k.step is not None and _intv(k.step) <= 0:
                raise ValueError("step must be greater than zero")
            out.append(slice(_intv(k.start), _intv(k.stop), _intv(k.step))
                       if isinstance(k, slice) else k)
        elif isinstance(k, bool):
            out.append(k)
            basic = False
        elif isinstance(k, (int, np.integer)):
            out.append(int(k))
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(k).__name__})")
    return tuple(out), basic


def _plain(v):
    return v.item() if isinstance(v, Tensor) else v


def _intv(v):
    if isinstance(v, Tensor):
        return int(v.item())
    return v


def _check_bounds(x, key):
    """IndexError naming the dim and size for out-of-range integers (before any ``...``)."""
    dim = 0
    for k in key:
        if k is Ellipsis:
            return
        if k is None:
            continue
        if isinstance(k, int) and not isinstance(k, bool):
            if dim >= x.ndim:
                raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
            n = x.shape[dim]
            if k < -n or k >= n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
        dim += k.ndim if hasattr(k, "dtype") and k.dtype.kind == "b" else 1


class GetItem(Node):
    def forward(self, xp, x, key, basic):
        self.shape, self.key, self.basic = x.shape, key, basic
        return x[key]

    def backward(self, gy):
        if self.basic:
            return (slice_backward(gy, self.shape, self.key),)
        return (index_put_zeros(gy, self.shape, self.key),)

    def name(self):
        return "SliceBackward0" if self.basic else "IndexBackward0"


def getitem(input, key):
    """``input[key]``: a view for basic indices, a copy for advanced ones."""
    x = input._data
    xp = xp_of(x)
    k, basic = convert_key(key, xp)
    _check_bounds(x, k)
    try:
        if basic:
            return apply(GetItem(), (input,), x, k, True, view_of=input)
        r = apply(GetItem(), (input,), x, k, False)
    except IndexError as e:
        raise IndexError(f"{e} (indexing a tensor of shape {list(x.shape)})") from None
    return r


class SliceBackward(Node):
    """``zeros(shape)`` with ``g`` written at basic index ``key`` (also the grad of slicing)."""

    def forward(self, xp, g, shape, key):
        self.key = key
        z = xp.zeros(shape, g.dtype)
        z[key] = g
        return z

    def backward(self, gg):
        return (getitem_raw(gg, self.key, True),)


def getitem_raw(t, key, basic):
    return apply(GetItem(), (t,), t._data, key, basic)


def slice_backward(g, shape, key):
    return apply(SliceBackward(), (g,), g._data, shape, key)


class IndexPutZeros(Node):
    """``zeros(shape)`` with ``g`` accumulated at advanced index ``key``."""

    def forward(self, xp, g, shape, key):
        self.key = key
        z = xp.zeros(shape, g.dtype)
        if xp is np:
            np.add.at(z, key, g)
        else:
            xp.add.at(z, key, g)
        return z

    def backward(self, gg):
        return (getitem_raw(gg, self.key, False),)


def index_put_zeros(g, shape, key):
    return apply(IndexPutZeros(), (g,), g._data, shape, key)


class IndexPut(Node):
    """Out-of-place ``x[key] = v`` (``accumulate``: ``x[key] += v``)."""

    def forward(self, xp, x, v, key, accumulate):
        self.key, self.accumulate, self.vshape = key, accumulate, None
        out = x.copy()
        if accumulate:
            (np.add.at if xp is np else xp.add.at)(out, key, v)
        else:
            out[key] = v
        return out

    def backward(self, gy):
        gx = gv = None
        if self.next_functions[0][0] is not None:
            gx = gy if self.accumulate else index_put(gy, self.key, 0.0)
        if self.next_functions[1][0] is not None:
            gv = getitem_raw(gy, self.key, False)
        return gx, gv


def index_put(input, indices, values, accumulate: bool = False):
    """Out-of-place ``input[indices] = values`` (``+=`` with ``accumulate``)."""
    x = input._data
    xp = xp_of(x)
    key = convert_key(indices, xp)[0]
    vt = values if isinstance(values, Tensor) else None
    v = values._data if vt is not None else values
    if vt is not None:
        check_same_device("index_put", input, vt)
        if v.dtype != x.dtype:
            v = v.astype(x.dtype)
    return apply(IndexPut(), (input, vt), x, v, key, accumulate)


# ---------------------------------------------------------------------- gather / scatter
def _check_index(op, index, input, dim):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype != np.int64 and index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {index.dtype}")
    if index._data.ndim != input._data.ndim and not (index._data.ndim <= 1 and
                                                     input._data.ndim <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor "
                           f"({op}: index {index._data.ndim}D, input {input._data.ndim}D)")
    idx = index._data
    n = input._data.shape[dim] if input._data.ndim else 1
    if idx.size and (bool((idx < -n).any()) or bool((idx >= n).any())):
        bad = int(idx[(idx < -n) | (idx >= n)].reshape(-1)[0])
        raise RuntimeError(f"{op}(): index {bad} is out of bounds for dimension {dim} with size "
                           f"{n}")
    for d in builtins.range(idx.ndim):
        if d != dim and input._data.ndim and idx.shape[d] > input._data.shape[d] and \
                op == "gather":
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(idx.shape)} to be smaller than self "
                               f"{list(input._data.shape)} apart from dimension {dim}")
    return idx


def _grid(xp, idx, dim):
    """Full advanced-index key addressing ``out[i][j][idx[i][j]]`` along ``dim``."""
    key = list(xp.indices(idx.shape, sparse=True))
    key[dim] = idx
    return tuple(key)


class Gather(Node):
    def forward(self, xp, x, idx, dim):
        self.shape, self.idx, self.dim = x.shape, idx, dim
        return x[_grid(xp, idx, dim)]

    def backward(self, gy):
        from .creation import zeros
        z = zeros(self.shape, dtype=gy.dtype, device=gy.device)
        return (scatter_add(z, self.dim, Tensor._make(self.idx), gy),)


def gather(input, dim, index, *, sparse_grad: bool = False, out=None):
    """``out[i][j] = input[i][index[i][j]]`` for ``dim == 1`` (and likewise for other dims)."""
    d = _wrap_dim(dim, input._data.ndim, "gather") if input._data.ndim else 0
    idx = _check_index("gather", index, input, d)
    x = input._data
    if x.ndim == 0:
        return apply(Gather(), (input,), x.reshape(1), idx.reshape(1), 0).reshape(idx.shape)
    r = apply(Gather(), (input,), x, idx, d)
    return r if out is None else out.copy_(r)


class Scatter(Node):
    def forward(self, xp, x, src, idx, dim, reduce):
        self.idx, self.dim, self.reduce = idx, dim, reduce
        out = x.copy()
        key = _grid(xp, idx, dim)
        s = src[tuple(slice(0, n) for n in idx.shape)] if hasattr(src, "shape") and \
            src.ndim else src
        if reduce is None:
            out[key] = s
        elif reduce == "add":
            (np.add.at if xp is np else xp.add.at)(out, key, s)
        elif reduce == "multiply":
            (np.multiply.at if xp is np else _cupy_mul_at(xp))(out, key, s)
        return out

    def backward(self, gy):
        idx = Tensor._make(self.idx)
        gx = gs = None
        if self.next_functions[0][0] is not None:
            gx = gy if self.reduce == "add" else scatter(gy, self.dim, idx, 0.0)
        if len(self.next_functions) > 1 and self.next_functions[1][0] is not None:
            gs = gather(gy, self.dim, idx)
        return gx, gs


def _cupy_mul_at(xp):
    raise RuntimeError("scatter(reduce='multiply') is not supported on CUDA by ember")


def _scatter(op, input, dim, index, src, reduce):
    d = _wrap_dim(dim, input._data.ndim, op) if input._data.ndim else 0
    idx = _check_index(op, index, input, d)
    st = src if isinstance(src, Tensor) else None
    s = src._data if st is not None else src
    if st is not None:
        check_same_device(op, input, st)
        if s.dtype != input._data.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype "
                               f"({input.dtype} vs {st.dtype})")
        for k in builtins.range(idx.ndim):
            if idx.shape[k] > s.shape[k]:
                raise RuntimeError(f"Expected index {list(idx.shape)} to be smaller than src "
                                   f"{list(s.shape)} in every dimension")
    return apply(Scatter(), (input, st), input._data, s, idx, d, reduce)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """Out-of-place ``out[i][index[i][j]] = src[i][j]`` along ``dim`` (``src`` may be a scalar)."""
    if src is None:
        src = value
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
    return _scatter("scatter", input, dim, index, src, reduce)


def scatter_add(input, dim, index, src):
    """Out-of-place ``out[i][index[i][j]] += src[i][j]``."""
    return _scatter("scatter_add", input, dim, index, src, "add")


def scatter_reduce(input, dim, index, src, reduce: str, *, include_self: bool = True):
    """Reduce ``src`` into ``input`` at ``index`` with ``sum|prod|mean|amax|amin``."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    d = _wrap_dim(dim, input._data.ndim, "scatter_reduce")
    idx = Tensor._make(_check_index("scatter_reduce", index, input, d))
    src_part = src[tuple(slice(0, n) for n in idx._data.shape)]
    from .creation import zeros_like
    if reduce in ("sum", "mean"):
        base = input if include_self else input.scatter(d, idx, 0.0)
        out = base.scatter_add(d, idx, src_part)
        if reduce == "mean":
            ones = zeros_like(input).scatter_add(d, idx, src_part * 0 + 1)
            cnt = ones + (1 if include_self else 0)
            out = out / cnt.clamp(min=1)
            if input._data.dtype.kind in "iu":
                out = out.floor().to(input.dtype)
        return out
    # prod/amax/amin: differentiable through a dense (.., n_in, n_idx) comparison
    xp = xp_of(input._data)
    i = idx._data
    key = _grid(xp, i, d)
    res = input._data.copy()
    if not include_self:
        fill = {"prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
        if res.dtype.kind in "iu":
            fill = {"prod": 1, "amax": np.iinfo(res.dtype).min,
                    "amin": np.iinfo(res.dtype).max}[reduce]
        res[key] = fill
    ufunc = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
    if xp is np:
        ufunc.at(res, key, src_part._data)
    else:
        getattr(xp, ufunc.__name__).at(res, key, src_part._data)
    node = ScatterReduceSelect()
    return wrap(node, (input, src_part), node.setup(input, src_part, res, key, reduce,
                                                    include_self))


class ScatterReduceSelect(Node):
    """Gradient of scatter_reduce prod/amax/amin (ties share evenly for amax/amin)."""

    def setup(self, input, src, res, key, reduce, include_self):
        self.key, self.reduce, self.include_self = key, reduce, include_self
        self.save(input, src)
        self._res = res
        return res

    def backward(self, gy):
        x, s = self.saved
        res = Tensor._make(self._res)
        rs = getitem_raw(res, self.key, False)
        gys = getitem_raw(gy, self.key, False)
        if self.reduce == "prod":
            gx = gy * res / x if self.include_self else gy * 0
            gs = gys * rs / s
            return gx, gs
        mx = (x == res).to(gy.dtype) if self.include_self else x * 0
        ms = (s == rs).to(gy.dtype)
        cnt = mx + index_put_zeros(ms, tuple(x.shape), self.key)
        cnt_s = getitem_raw(cnt, self.key, False)
        return gy * mx / cnt.clamp(min=1), gys * ms / cnt_s.clamp(min=1)


def index_select(input, dim, index, *, out=None):
    """Entries of ``input`` along ``dim`` at the 1-D ``index``."""
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"index_select(): Expected dtype int32/int64 for index but got: "
                           f"{index.dtype}")
    x = input._data
    d = _wrap_dim(dim, x.ndim, "index_select") if x.ndim else 0
    n = x.shape[d] if x.ndim else 1
    i = index._data.reshape(-1)
    if i.size and (bool((i < -n).any()) or bool((i >= n).any())):
        raise IndexError(f"index_select(): index out of range in self (size {n} at dim {d})")
    key = (slice(None),) * d + (i,)
    r = getitem_raw(input, key, False) if x.ndim else input.reshape(1)[index.reshape(-1)]
    return r if out is None else out.copy_(r)


def index_add(input, dim, index, source, *, alpha=1):
    """Out-of-place ``input[..., index[i], ...] += alpha * source[..., i, ...]``."""
    d = _wrap_dim(dim, input._data.ndim, "index_add") if input._data.ndim else 0
    src = source * alpha if alpha != 1 else source
    key = (slice(None),) * d + (index._data.reshape(-1),)
    return index_put(input, _wrap_key(key), src, accumulate=True)


def index_copy(input, dim, index, source):
    d = _wrap_dim(dim, input._data.ndim, "index_copy") if input._data.ndim else 0
    key = (slice(None),) * d + (index._data.reshape(-1),)
    return index_put(input, _wrap_key(key), source)


def index_fill(input, dim, index, value):
    d = _wrap_dim(dim, input._data.ndim, "index_fill") if input._data.ndim else 0
    key = (slice(None),) * d + (index._data.reshape(-1),)
    if isinstance(value, Tensor):
        value = value.item() if not value._rg else value
    return index_put(input, _wrap_key(key), value)


def _wrap_key(key):
    return tuple(Tensor._make(k) if hasattr(k, "dtype") else k for k in key)


class MaskedFill(Node):
    def forward(self, xp, x, mask, value):
        self.mask = mask
        return xp.where(mask, value, x).astype(x.dtype, copy=False)

    def backward(self, gy):
        m = Tensor._make(self.mask)
        gx = gy.masked_fill(m, 0) if self.next_functions[0][0] is not None else None
        gv = None
        if len(self.next_functions) > 1 and self.next_functions[1][0] is not None:
            gv = (gy * m).sum()
        return gx, gv


def _mask(op, mask, input):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"{op}: expected BoolTensor for mask, got {mask.dtype}")
    check_same_device(op, input, mask)
    try:
        np.broadcast_shapes(mask._data.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(f"{op}: The size of the mask ({list(mask._data.shape)}) must match "
                           f"the size of the tensor ({list(input._data.shape)})") from None
    return mask._data


def masked_fill(input, mask, value):
    """``value`` where ``mask`` is True, else ``input``."""
    m = _mask("masked_fill", mask, input)
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
    """1-D tensor of the elements where ``mask`` (broadcast) is True."""
    m = _mask("masked_select", mask, input)
    shp = np.broadcast_shapes(m.shape, input._data.shape)
    x = input.expand(shp) if input._data.shape != shp else input
    mm = xp_of(m).broadcast_to(m, shp)
    return getitem_raw(x, (mm,), False)


def masked_scatter(input, mask, source):
    """Copy elements of ``source`` (in order) into ``input`` where ``mask`` is True."""
    m = _mask("masked_scatter", mask, input)
    xp = xp_of(m)
    mm = xp.broadcast_to(m, input._data.shape)
    n = int(mm.sum())
    if source._data.size < n:
        raise RuntimeError(f"masked_scatter: expected source to have at least {n} elements, got "
                           f"{source._data.size}")
    vals = source.reshape(-1)[:n]
    return index_put(input, (Tensor._make(xp.ascontiguousarray(mm)),), vals)


def take_along_dim(input, indices, dim=None):
    """``gather`` with broadcasting of ``indices``; flattened when ``dim`` is None."""
    if dim is None:
        return input.reshape(-1)[indices.reshape(-1)]
    d = _wrap_dim(dim, input._data.ndim, "take_along_dim")
    shp_i = list(indices._data.shape)
    shp_x = list(input._data.shape)
    shp_i[d] = shp_x[d] = 1
    b = list(np.broadcast_shapes(tuple(shp_i), tuple(shp_x)))
    bi, bx = list(b), list(b)
    bi[d], bx[d] = indices._data.shape[d], input._data.shape[d]
    return gather(input.expand(bx), d, indices.expand(bi))


def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (shaped like ``index``)."""
    return input.reshape(-1)[index]


def put(input, index, source, accumulate: bool = False):
    flat = input.reshape(-1)
    return index_put(flat, (index.reshape(-1),), source.reshape(-1),
                     accumulate).reshape(input.shape)


def nonzero(input, *, as_tuple: bool = False):
    """Indices of non-zero elements: an ``(n, ndim)`` int64 tensor, or a tuple of 1-D ones."""
    x = input._data
    xp = xp_of(x)
    if as_tuple:
        if x.ndim == 0:
            return (Tensor._make(xp.zeros(int(bool(x)), np.int64)),)
        return tuple(Tensor._make(i.astype(np.int64)) for i in xp.nonzero(x))
    if x.ndim == 0:
        return Tensor._make(xp.zeros((int(bool(x)), 0), np.int64))
    return Tensor._make(xp.argwhere(x).astype(np.int64))


argwhere = nonzero


# ---------------------------------------------------------------------- view backwards
class AsStridedBackward(Node):
    def forward(self, xp, g, shape, size, stride, offset):
        self.geom = (size, stride, offset)
        flat = xp.zeros(int(np.prod(shape)), g.dtype)
        pos = _strided_positions(xp, size, stride, offset)
        (np.add.at if xp is np else xp.add.at)(flat, pos, g)
        return flat.reshape(shape)

    def backward(self, gg):
        size, stride, offset = self.geom
        return (gg.as_strided(size, stride, offset),)


def _strided_positions(xp, size, stride, offset):
    pos = xp.full(size, offset, dtype=np.int64) if size else xp.asarray(offset)
    for d, (s, st) in enumerate(zip(size, stride)):
        shp = [1] * len(size)
        shp[d] = s
        pos = pos + xp.arange(s, dtype=np.int64).reshape(shp) * st
    return pos


def as_strided_backward(g, shape, size, stride, offset):
    return apply(AsStridedBackward(), (g,), g._data, shape, size, stride, offset)


def unfold_backward(g, shape, dim, size, step):
    """Sum the windows of ``g`` back onto a tensor of ``shape``."""
    from .creation import zeros
    z = zeros(shape, dtype=g.dtype, device=g.device)
    n = g._data.shape[dim]
    xp = xp_of(g._data)
    # element (window w, offset o) came from position w*step + o along dim
    pos = (xp.arange(n)[:, None] * step + xp.arange(size)[None, :])
    gm = g.movedim(dim, -2)  # (..., n, size)
    gm = gm.reshape(*gm.shape[:-2], n * size)
    zm = z.movedim(dim, -1)
    idx = Tensor._make(xp.broadcast_to(pos.reshape(-1), gm.shape[:-1] + (n * size,)).copy())
    return scatter_add(zm, zm.ndim - 1, idx, gm).movedim(-1, dim)


_ = T
