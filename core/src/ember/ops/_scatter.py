"""gather / scatter / scatter_add / scatter_reduce (re-exported by :mod:`ember.ops.indexing`).

For ``dim == 1`` of a 2-D tensor: ``gather`` reads ``out[i][j] = input[i][index[i][j]]`` and
``scatter`` writes ``out[i][index[i][j]] = src[i][j]``; other dims alike.  Indices must lie in
``[0, size)`` (no negative indices, as in PyTorch).
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.node import Node
from ._dispatch import apply, check_same_device, wrap, xp_of

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce"]


def _add_at(xp, a, key, v):
    """Unbuffered ``a[key] += v`` (repeated indices add up)."""
    if xp is np:
        np.add.at(a, key, v)
    else:
        xp.add.at(a, key, v)  # cupyx.scatter_add is deprecated in favour of this


def _ufunc_at(xp, name, a, key, v):
    if xp is np:
        getattr(np, name).at(a, key, v)
        return
    # NOTE: cupy has no multiply.at, and cupyx.scatter_max/min lose float64 precision: apply
    # the first pending value of every target per round (targets are unique within a round),
    # so the rounds number the largest repeat count
    ufunc = getattr(xp, name)
    shape = xp.broadcast_shapes(*[k.shape for k in key])
    t = xp.zeros(shape, dtype=np.int64)
    for k, n in zip(key, a.shape, strict=True):
        t = t * n + k
    t = t.reshape(-1)
    vv = xp.broadcast_to(xp.asarray(v, dtype=a.dtype), shape).reshape(-1)
    order = xp.argsort(t)
    t, vv = t[order], vv[order]
    flat = a.reshape(-1)  # ``a`` is a fresh C-contiguous copy: this is a view
    while t.size:
        first = xp.ones(t.size, dtype=bool)
        first[1:] = t[1:] != t[:-1]
        tf = t[first]
        flat[tf] = ufunc(flat[tf], vv[first])
        t, vv = t[~first], vv[~first]


def _check_index(op, index, input, dim, src=None, scatter=False):
    """PyTorch's checks of a gather/scatter index (``src``: the source array of a scatter,
    None for a scalar source); returns the index array."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got {index.dtype}")
    idx, xs = index._data, input._data.shape
    if idx.ndim != len(xs) and not (idx.ndim <= 1 and len(xs) <= 1):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                           f"input tensor (index {idx.ndim}D, input {len(xs)}D)")
    n = xs[dim] if xs else 1
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise RuntimeError(f"{op}(): index {bad} is out of bounds for dimension {dim} with size "
                           f"{n}")
    if idx.ndim and len(xs):
        big = any(idx.shape[d] > xs[d] for d in range(idx.ndim) if d != dim)
        if not scatter and big:
            bad = next(d for d in range(idx.ndim) if d != dim and idx.shape[d] > xs[d])
            raise RuntimeError(f"{op}(): Size does not match at dimension {bad}"
                               f" expected index {list(idx.shape)} to be no larger than self "
                               f"{list(xs)} apart from dimension {dim}")
        if scatter and (big or (src is not None and src.ndim and any(
                a > b for a, b in zip(idx.shape, src.shape, strict=False)))):
            raise RuntimeError(f"{op}(): Expected index {list(idx.shape)} to be no larger than "
                               f"self {list(xs)} apart from dimension {dim} and to be no larger "
                               f"size than src "
                               f"{list(src.shape) if src is not None else []}")
    return idx


def _grid(xp, idx, dim):
    """Full advanced-index key addressing ``out[i][j][idx[i][j]]`` along ``dim``."""
    nd = idx.ndim
    key = [xp.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
           for d, n in enumerate(idx.shape)]  # sparse grids (cupy's indices has no sparse=)
    key[dim] = idx
    return tuple(key)


def _lead(a, shape):
    """``a[:shape[0], :shape[1], ...]`` (the part of ``src`` an index of ``shape`` reads)."""
    return a[tuple(slice(0, n) for n in shape)]


class Gather(Node):
    def forward(self, xp, x, idx, dim):
        self.shape, self.idx, self.dim = x.shape, idx, dim
        return x[_grid(xp, idx, dim)]

    def backward(self, gy):
        from .creation import zeros
        z = zeros(self.shape, dtype=gy.dtype, device=gy.device)
        return (scatter_add(z, self.dim, Tensor._make(self.idx), gy),)


def gather(input, dim, index, *, sparse_grad: bool = False, out=None):
    """Values along ``dim`` at ``index``: ``out[i][j] = input[i][index[i][j]]`` (``dim=1``).

    Args:
        input: the tensor.
        dim: the axis to index along.
        index: int64/int32 tensor with ``input``'s number of dims, each size (except along
            ``dim``) at most ``input``'s; values in ``[0, input.size(dim))``.
        sparse_grad: accepted for compatibility (gradients are dense).

    Shape:
        output has ``index``'s shape.

    Raises:
        RuntimeError: wrong index dtype or dims, an index out of range, an index larger than
            ``input`` outside ``dim``.

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2], [3, 4]]).gather(1, ember.tensor([[1, 1], [0, 1]]))
        tensor([[2, 2],
                [3, 4]])
    """
    x = input._data
    d = _wrap_dim(dim, x.ndim, "gather") if x.ndim else 0
    idx = _check_index("gather", index, input, d)
    if x.ndim == 0:
        r = apply(Gather(), (input,), x.reshape(1), idx.reshape(1), 0).reshape(idx.shape)
    elif idx.ndim == 0:
        r = apply(Gather(), (input,), x, idx.reshape(1), 0).reshape(())
    else:
        r = apply(Gather(), (input,), x, idx, d)
    return r if out is None else out.copy_(r)


class Scatter(Node):
    def forward(self, xp, x, src, idx, dim, reduce):
        self.idx, self.dim, self.reduce = idx, dim, reduce
        self.src_shape = getattr(src, "shape", ())
        out = x.copy()
        key = _grid(xp, idx, dim)
        s = _lead(src, idx.shape) if getattr(src, "ndim", 0) else src
        if reduce is None:
            out[key] = s
        elif reduce == "add":
            _add_at(xp, out, key, xp.broadcast_to(xp.asarray(s, dtype=x.dtype), idx.shape))
        else:
            _ufunc_at(xp, "multiply", out, key, s)
        return out

    def backward(self, gy):
        if self.reduce == "multiply":
            raise RuntimeError("the derivative of scatter with reduce='multiply' is not "
                               "implemented; use scatter_reduce(..., reduce='prod')")
        idx = Tensor._make(self.idx)
        gx = gs = None
        if self.next_functions[0][0] is not None:
            gx = gy if self.reduce == "add" else scatter(gy, self.dim, idx, 0.0)
        if self.next_functions[1][0] is not None:
            gs = gather(gy, self.dim, idx)
            if tuple(gs.shape) != tuple(self.src_shape):  # src larger than index: zero pad
                from .indexing import slice_backward
                gs = slice_backward(gs, self.src_shape,
                                    tuple(slice(0, n) for n in self.idx.shape))
        return gx, gs

    def name(self):
        return "ScatterAddBackward0" if self.reduce == "add" else "ScatterBackward0"


def _scatter(op, input, dim, index, src, reduce):
    x = input._data
    d = _wrap_dim(dim, x.ndim, op) if x.ndim else 0
    st = src if isinstance(src, Tensor) else None
    if st is not None:
        check_same_device(op, input, st)
        if st._data.dtype != x.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype "
                               f"({input.dtype} vs {st.dtype})")
    elif not isinstance(src, (int, float, bool, complex, np.generic)):
        raise TypeError(f"{op}(): argument 'src' must be Tensor or a number, not "
                        f"{type(src).__name__}")
    idx = _check_index(op, index, input, d, st._data if st is not None else None, True)
    if x.ndim == 0 or idx.ndim == 0:
        r = _scatter(op, input.reshape(1), 0, Tensor._make(idx.reshape(1)),
                     st.reshape(1) if st is not None and st.ndim == 0 else src, reduce)
        return r.reshape(x.shape)
    s = st._data if st is not None else src
    return apply(Scatter(), (input, st), x, s, idx, d, reduce)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """Out-of-place ``input.scatter_``: ``out[i][index[i][j]] = src[i][j]`` (``dim=1``).

    Args:
        input: the tensor.
        dim: the axis to index along.
        index: int tensor, each size at most ``input``'s (outside ``dim``) and ``src``'s.
        src: a tensor of ``input``'s dtype, or a number (also accepted as ``value=``).
        reduce: None, ``"add"`` or ``"multiply"`` (deprecated in PyTorch; prefer
            :func:`scatter_reduce`). Default None.

    Raises:
        RuntimeError: dtype mismatch, an index out of range or too large, a bad ``reduce``.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).scatter(1, ember.tensor([[2], [0]]), 1.)
        tensor([[0., 0., 1.],
                [1., 0., 0.]])
    """
    if src is None:
        src = value
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
    return _scatter("scatter", input, dim, index, src, reduce)


def scatter_add(input, dim, index, src):
    """Out-of-place ``input.scatter_add_``: ``out[i][index[i][j]] += src[i][j]`` (``dim=1``).

    Example:
        >>> import ember
        >>> ember.zeros(3).scatter_add(0, ember.tensor([0, 0, 2]), ember.tensor([1., 2., 3.]))
        tensor([3., 0., 3.])
    """
    return _scatter("scatter_add", input, dim, index, src, "add")


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim, index, src, reduce: str, *, include_self: bool = True):
    """Reduce ``src`` into ``input`` at ``index`` along ``dim``.

    ``out[i][index[i][j]] = reduce(out[i][index[i][j]], src[i][j])`` over all ``j`` with
    ``reduce`` one of ``sum|prod|mean|amax|amin``; ``include_self=False`` leaves ``input``'s
    own value out of the reduction wherever something is scattered.  Gradients: ties of
    ``amax``/``amin`` share the gradient evenly; ``prod`` handles zeros exactly.

    Raises:
        RuntimeError: an unknown ``reduce``, dtype mismatch, a bad index.

    Example:
        >>> import ember
        >>> x = ember.tensor([1., 1.])
        >>> x.scatter_reduce(0, ember.tensor([0, 0, 1]), ember.tensor([5., 2., 3.]), "amax")
        tensor([5., 3.])
    """
    if reduce not in _REDUCES:
        raise RuntimeError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', "
                           f"'amin' but got {reduce}.")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' must be Tensor, not "
                        f"{type(src).__name__}")
    x = input._data
    d = _wrap_dim(dim, x.ndim, "scatter_reduce") if x.ndim else 0
    if src._data.dtype != x.dtype:
        raise RuntimeError(f"scatter_reduce(): Expected self.dtype to be equal to src.dtype "
                           f"({input.dtype} vs {src.dtype})")
    check_same_device("scatter_reduce", input, src)
    idx_a = _check_index("scatter_reduce", index, input, d, src._data, True)
    idx = Tensor._make(idx_a)
    src_part = src[tuple(slice(0, n) for n in idx_a.shape)] if src._data.shape != idx_a.shape \
        else src
    if reduce in ("sum", "mean"):
        base = input if include_self else input.scatter(d, idx, 0)
        out = base.scatter_add(d, idx, src_part)
        if reduce == "mean":
            from .creation import zeros_like
            cnt = zeros_like(input).scatter_add(d, idx, src_part * 0 + 1) + \
                (1 if include_self else 0)
            cnt = cnt.masked_fill(cnt == 0, 1)
            out = out.div(cnt, rounding_mode="floor") if x.dtype.kind in "iub" else out / cnt
        return out
    xp = xp_of(x)
    key = _grid(xp, idx_a, d)
    res = x.copy()
    hit = xp.zeros(x.shape, dtype=bool)
    hit[key] = True
    if not include_self:
        if reduce == "prod":
            fill = 1
        elif x.dtype.kind == "f":
            fill = -np.inf if reduce == "amax" else np.inf
        else:
            info = np.iinfo(x.dtype)
            fill = info.min if reduce == "amax" else info.max
        res[key] = fill
    _ufunc_at(xp, {"prod": "multiply", "amax": "maximum", "amin": "minimum"}[reduce], res, key,
              src_part._data)
    node = ScatterReduceSelect()
    node.key, node.reduce, node.include_self, node.dim = key, reduce, include_self, d
    node.hit, node.idx = hit, idx_a
    r = wrap(node, (input, src_part), res)
    if r.grad_fn is node:
        node.save(input, src_part, r.detach())
    return r


class ScatterReduceSelect(Node):
    """Gradient of scatter_reduce prod/amax/amin."""

    def backward(self, gy):
        from .indexing import getitem_raw, index_put_zeros
        x, s, res = self.saved
        key = self.key
        hit = Tensor._make(self.hit)
        rs = getitem_raw(res, None, key, False)
        gys = getitem_raw(gy, None, key, False)
        if self.reduce == "prod":
            return self._prod(gy, gys, x, s, hit)
        mx = (x == res).to(gy.dtype) if self.include_self else (~hit).to(gy.dtype)
        ms = (s == rs).to(gy.dtype)
        cnt = mx + index_put_zeros(ms, tuple(x.shape), None, key)
        cnt_s = getitem_raw(cnt, None, key, False)
        return gy * mx / cnt.clamp(min=1), gys * ms / cnt_s.clamp(min=1)

    def _prod(self, gy, gys, x, s, hit):
        # NOTE: d(prod)/d(e) = product of the other contributors.  Without zeros that is
        # res / e; with exactly one zero in a group only the zero gets the product of the
        # non-zeros; with two or more zeros every gradient is 0.
        from .comparison import where
        from .indexing import getitem_raw
        idx = Tensor._make(self.idx)
        xz, sz = x == 0, s == 0
        x1, s1 = where(xz, 1, x), where(sz, 1, s)
        if self.include_self:
            nz = x1.scatter_reduce(self.dim, idx, s1, "prod")
            zc = xz.to(gy.dtype).scatter_add(self.dim, idx, sz.to(gy.dtype))
        else:
            nz = x1.scatter_reduce(self.dim, idx, s1, "prod", include_self=False)
            zc = (xz.to(gy.dtype) * 0).scatter_add(self.dim, idx, sz.to(gy.dtype))
        one = (zc == 1).to(gy.dtype)
        res = nz * (zc == 0).to(gy.dtype)  # the product itself, differentiable
        if self.include_self:
            gx = gy * where(xz, one * nz, res / x1)
        else:
            gx = gy * (~hit).to(gy.dtype)
        nzs = getitem_raw(nz, None, self.key, False)
        ones = getitem_raw(one, None, self.key, False)
        gs = gys * where(sz, ones * nzs, getitem_raw(res, None, self.key, False) / s1)
        return gx, gs
