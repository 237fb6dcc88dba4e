"""Shape and view ops: views share memory (and the version counter) with their input.

``view`` requires compatible strides (RuntimeError otherwise, like PyTorch) while
``reshape`` copies only when it must; ``transpose``, ``permute``, ``expand``, ``narrow``,
``squeeze``/``unsqueeze``, ``diagonal``, ``unfold`` and basic slicing are always views.

Example:
    >>> import ember
    >>> x = ember.arange(6.)
    >>> v = x.view(2, 3)
    >>> v[0, 0] = 10
    >>> x[0]
    tensor(10.)
"""

from __future__ import annotations

import builtins

import numpy as np

from .._size import Size
from .._tensor import Tensor, _wrap_dim
from ..autograd.node import Node
from ._dispatch import apply, check_same_device, xp_of

__all__ = [
    "view", "reshape", "view_as", "reshape_as", "permute", "transpose", "swapaxes", "swapdims",
    "t", "adjoint", "squeeze", "unsqueeze", "flatten", "unflatten", "expand", "expand_as",
    "broadcast_to", "broadcast_tensors", "broadcast_shapes", "repeat", "tile", "flip", "fliplr",
    "flipud", "roll", "rot90", "cat", "concat", "concatenate", "stack", "hstack", "vstack",
    "dstack", "column_stack", "split", "tensor_split", "chunk", "unbind", "narrow", "select",
    "movedim", "moveaxis", "tril", "triu", "diagonal", "diag", "diag_embed", "diagflat",
    "unfold", "as_strided", "contiguous", "clone", "atleast_1d", "atleast_2d", "atleast_3d",
    "meshgrid", "trace", "block_diag", "cartesian_prod", "ravel", "squeeze_dims",
]


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer(shape, numel, op, src_shape):
    """Resolve one ``-1`` in ``shape``; RuntimeError when the sizes cannot match."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if builtins.any(s < -1 for s in shape):
        raise RuntimeError(f"invalid shape dimension {min(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Node):
    def forward(self, xp, x, shape, strict):
        self.shape = x.shape
        if strict:
            try:
                return x.view().reshape(shape, copy=False) if xp is np else \
                    _cupy_view(x, shape)
            except (ValueError, AttributeError):
                raise RuntimeError(
                    f"view size is not compatible with input tensor's size and stride (at least "
                    f"one dimension spans across two contiguous subspaces). Use .reshape(...) "
                    f"instead. (input shape {list(x.shape)}, strides "
                    f"{[s // x.itemsize for s in x.strides]}, requested {list(shape)})") from None
        return x.reshape(shape)

    def backward(self, gy):
        return (gy.reshape(self.shape),)

    def name(self):
        return "ViewBackward0"


def _cupy_view(x, shape):
    """cupy's reshape copies silently when it must; a view must not."""
    r = x.reshape(shape)
    if x.size and r.data.ptr != x.data.ptr:
        raise ValueError("copy needed")
    return r


def _view_like(out, x):
    return type(out) is np.ndarray and out.base is not None and np.may_share_memory(out, x) \
        or (type(out) is not np.ndarray and out.data.ptr == x.data.ptr and x.size)


def view(input, *shape):
    """A view with a new shape (no copy; RuntimeError if the strides do not allow it)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, Size)):
        return _view_dtype(input, shape[0])
    x = input._data
    shp = _infer(_shape_arg(shape), x.size, "view", x.shape)
    return apply(Reshape(), (input,), x, shp, True, view_of=input)


def _view_dtype(input, dtype):
    from .. import _dtype as T
    dt = T.to_dtype(dtype)
    x = input._data
    if dt.itemsize != x.itemsize and not x.flags.c_contiguous:
        raise RuntimeError("view(dtype): the tensor must be contiguous to change the element size")
    return Tensor._make(x.view(dt.np), vc=input._vc, base=(input._base if input._base is not None else input))


def reshape(input, *shape):
    """A tensor with the new shape; a view when the strides allow, else a copy."""
    x = input._data
    shp = _infer(_shape_arg(shape), x.size, "reshape", x.shape)
    if shp == x.shape:
        return view(input, shp) if input._rg else Tensor._make(x, vc=input._vc,
                                                              base=(input._base if input._base is not None else input))
    out = apply(Reshape(), (input,), x, shp, False)
    if _view_like(out._data, x):
        out._vc, out._base = input._vc, (input._base if input._base is not None else input)
    return out


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def ravel(input):
    return reshape(input, -1)


class Permute(Node):
    def forward(self, xp, x, perm):
        self.perm = perm
        return x.transpose(perm)

    def backward(self, gy):
        inv = [0] * len(self.perm)
        for i, p in enumerate(self.perm):
            inv[p] = i
        return (gy.permute(inv),)


def permute(input, *dims):
    """Reorder dimensions (a view)."""
    x = input._data
    perm = _shape_arg(dims)
    if len(perm) != x.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {x.ndim} is not equal to len(dims) = {len(perm)}")
    perm = tuple(_wrap_dim(p, x.ndim, "permute") for p in perm)
    if len(set(perm)) != len(perm):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply(Permute(), (input,), x, perm, view_of=input)


def transpose(input, dim0, dim1):
    """Swap two dimensions (a view)."""
    n = input._data.ndim
    if n == 0:
        return view(input, ())
    d0, d1 = _wrap_dim(dim0, n, "transpose"), _wrap_dim(dim1, n, "transpose")
    perm = list(builtins.range(n))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return apply(Permute(), (input,), input._data, tuple(perm), view_of=input)


swapaxes = swapdims = transpose


def t(input):
    """Transpose a matrix (0-d and 1-d tensors are returned as views unchanged)."""
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    return transpose(input, 0, 1) if n == 2 else view(input, input._data.shape)


def adjoint(input):
    r = transpose(input, -2, -1)
    return r.conj() if input.is_complex() else r


def squeeze(input, dim=None):
    """Remove size-1 dims (all, or those in ``dim``)."""
    x = input._data
    if dim is None:
        shp = tuple(s for s in x.shape if s != 1)
    else:
        ds = dim if isinstance(dim, (tuple, list)) else (dim,)
        ds = {_wrap_dim(d, x.ndim, "squeeze") for d in ds} if x.ndim else set()
        shp = tuple(s for i, s in enumerate(x.shape) if not (i in ds and s == 1))
    return apply(Reshape(), (input,), x, shp, False, view_of=input)


squeeze_dims = squeeze


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim``."""
    x = input._data
    d = _wrap_dim(dim, x.ndim + 1, "unsqueeze")
    shp = x.shape[:d] + (1,) + x.shape[d:]
    return apply(Reshape(), (input,), x, shp, False, view_of=input)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dims ``start_dim … end_dim`` into one."""
    x = input._data
    if x.ndim == 0:
        return reshape(input, 1)
    s = _wrap_dim(start_dim, x.ndim, "flatten")
    e = _wrap_dim(end_dim, x.ndim, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    n = 1
    for d in x.shape[s:e + 1]:
        n *= d
    return reshape(input, x.shape[:s] + (n,) + x.shape[e + 1:])


def unflatten(input, dim, sizes):
    x = input._data
    d = _wrap_dim(dim, x.ndim, "unflatten")
    sizes = _infer(tuple(sizes), x.shape[d], "unflatten", x.shape)
    return reshape(input, x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


class Expand(Node):
    def forward(self, xp, x, shape):
        self.shape = x.shape
        return xp.broadcast_to(x, shape)

    def backward(self, gy):
        return (gy.sum_to_size(self.shape),)


def expand(input, *sizes):
    """Broadcast size-1 dims to ``sizes`` (``-1`` keeps a dim) without copying."""
    x = input._data
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(x.shape)}}}, size={list(sizes)}): "
                           "the number of sizes provided must be greater or equal to the number "
                           "of dimensions in the tensor")
    lead = len(sizes) - x.ndim
    shp = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing "
                                   f"dimension {i}")
            shp.append(s)
            continue
        cur = x.shape[i - lead]
        if s == -1:
            shp.append(cur)
        elif cur == 1 or cur == s:
            shp.append(s)
        else:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(x.shape)}")
    shp = tuple(shp)
    if shp == x.shape:
        return apply(Reshape(), (input,), x, shp, False, view_of=input)
    return apply(Expand(), (input,), x, shp, view_of=input)


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    return expand(input, size)


def broadcast_shapes(*shapes):
    try:
        return Size(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s)
                                          for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: "
                           f"{[list(s) for s in shapes]}") from None


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shp = broadcast_shapes(*[t._data.shape for t in tensors])
    return tuple(expand(t, shp) for t in tensors)


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim (a copy)."""
    x = input._data
    reps = _shape_arg(sizes)
    if len(reps) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    lead = len(reps) - x.ndim
    xs = (1,) * lead + x.shape
    # expand an interleaved shape then merge: (r0, s0, r1, s1, ...) -> (r0*s0, ...)
    y = reshape(input, xs)
    inter = []
    for r, s in zip(reps, xs):
        inter += [1, s]
    y = reshape(y, inter)
    big = []
    for r, s in zip(reps, xs):
        big += [r, s]
    y = expand(y, big)
    return reshape(y, tuple(r * s for r, s in zip(reps, xs)))


def tile(input, dims):
    dims = tuple(dims)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


class Flip(Node):
    def forward(self, xp, x, axes):
        self.axes = axes
        return xp.flip(x, axes)

    def backward(self, gy):
        return (gy.flip(self.axes),)


def flip(input, *dims):
    """Reverse the order along ``dims`` (a copy, as in PyTorch)."""
    x = input._data
    ds = _shape_arg(dims)
    axes = tuple(_wrap_dim(d, x.ndim, "flip") for d in ds) if x.ndim else ()
    r = apply(Flip(), (input,), x, axes)
    r._data = r._data.copy()
    return r


def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Node):
    def forward(self, xp, x, shifts, axes):
        self.shifts, self.axes = shifts, axes
        return xp.roll(x, shifts, axes)

    def backward(self, gy):
        if self.axes is None:
            return (gy.roll(-self.shifts),)
        return (gy.roll(tuple(-s for s in self.shifts), self.axes),)


def roll(input, shifts, dims=None):
    """Rotate elements along ``dims`` by ``shifts`` (flattened when ``dims`` is None)."""
    x = input._data
    if dims is None:
        return apply(Roll(), (input,), x, int(shifts) if isinstance(shifts, int)
                     else int(shifts[0]), None)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    return apply(Roll(), (input,), x, shifts, tuple(_wrap_dim(d, x.ndim, "roll") for d in dims))


def rot90(input, k: int = 1, dims=(0, 1)):
    k %= 4
    d0, d1 = dims
    if k == 0:
        return input.clone()
    if k == 1:
        return flip(input, d1).transpose(d0, d1)
    if k == 2:
        return flip(input, d0, d1)
    return flip(input.transpose(d0, d1), d1)


class Cat(Node):
    def forward(self, xp, arrays, dim):
        self.dim = dim
        self.sizes = [a.shape[dim] for a in arrays]
        return xp.concatenate(arrays, axis=dim)

    def backward(self, gy):
        return tuple(split(gy, self.sizes, self.dim))


def cat(tensors, dim: int = 0, *, out=None):
    """Concatenate along an existing ``dim`` (1-D empty tensors are skipped, as in PyTorch)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError("cat(): argument 'tensors' must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    if len(tensors) == 0:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    ts = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)] or \
        list(tensors[:1])
    check_same_device("cat", *ts)
    ref = ts[0]._data
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap_dim(dim, ref.ndim, "cat")
    from .. import _dtype as T
    dt = T.result_type(*ts) if len({t._data.dtype for t in ts}) > 1 else None
    arrays = []
    for i, tt in enumerate(ts):
        a = tt._data
        if a.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} "
                               f"and {a.ndim}")
        for k in builtins.range(ref.ndim):
            if k != d and a.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref.shape[k]} but got size {a.shape[k]} for "
                                   f"tensor number {i} in the list.")
        arrays.append(a.astype(dt.np) if dt is not None and a.dtype != dt.np else a)
    r = apply(Cat(), tuple(ts), arrays, d)
    return r if out is None else out.copy_(r)


concat = concatenate = cat


def stack(tensors, dim: int = 0, *, out=None):
    """Stack equal-shaped tensors along a new ``dim``."""
    if len(tensors) == 0:
        raise RuntimeError("stack expects a non-empty TensorList")
    shp = tensors[0]._data.shape
    for i, t_ in enumerate(tensors):
        if t_._data.shape != shp:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shp)} at entry 0 and {list(t_._data.shape)} at entry {i}")
    d = _wrap_dim(dim, len(shp) + 1, "stack")
    r = cat([unsqueeze(t_, d) for t_ in tensors], d)
    return r if out is None else out.copy_(r)


def hstack(tensors):
    ts = atleast_1d(*tensors) if len(tensors) > 1 else (atleast_1d(tensors[0]),)
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


def vstack(tensors):
    ts = [atleast_2d(t_) for t_ in tensors]
    return cat(ts, 0)


def dstack(tensors):
    ts = [atleast_3d(t_) for t_ in tensors]
    return cat(ts, 2)


def column_stack(tensors):
    ts = [t_.reshape(-1, 1) if t_._data.ndim <= 1 else t_ for t_ in tensors]
    return cat(ts, 1)


def atleast_1d(*tensors):
    r = tuple(t_.reshape(1) if t_._data.ndim == 0 else t_ for t_ in tensors)
    return r[0] if len(r) == 1 else r


def atleast_2d(*tensors):
    r = tuple(t_.reshape(1, -1) if t_._data.ndim < 2 else t_ for t_ in tensors)
    return r[0] if len(r) == 1 else r


def atleast_3d(*tensors):
    def one(t_):
        n = t_._data.ndim
        if n == 0:
            return t_.reshape(1, 1, 1)
        if n == 1:
            return t_.reshape(1, -1, 1)
        if n == 2:
            return t_.unsqueeze(-1)
        return t_
    r = tuple(one(t_) for t_ in tensors)
    return r[0] if len(r) == 1 else r


class Narrow(Node):
    """A basic-slicing view; backward pads the gradient back with zeros."""

    def forward(self, xp, x, key):
        self.shape, self.key, self.dtype = x.shape, key, x.dtype
        return x[key]

    def backward(self, gy):
        from .indexing import slice_backward
        return (slice_backward(gy, self.shape, self.key),)


def narrow(input, dim: int, start, length: int):
    """The slice ``start : start + length`` of ``dim`` (a view)."""
    x = input._data
    d = _wrap_dim(dim, x.ndim, "narrow")
    if isinstance(start, Tensor):
        start = int(start.item())
    n = x.shape[d]
    if start < -n or start > n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    start %= n if n else 1
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    key = (slice(None),) * d + (slice(start, start + length),)
    return apply(Narrow(), (input,), x, key, view_of=input)


def select(input, dim: int, index: int):
    """The slice at ``index`` of ``dim``, removing the dim (a view)."""
    x = input._data
    d = _wrap_dim(dim, x.ndim, "select")
    n = x.shape[d]
    if index < -n or index >= n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(x.shape)} at dimension {d}")
    key = (slice(None),) * d + (index % n,)
    return apply(Narrow(), (input,), x, key, view_of=input)


def split(tensor, split_size_or_sections, dim: int = 0):
    """Split into chunks of a size, or of the listed sizes, along ``dim`` (views)."""
    x = tensor._data
    d = _wrap_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s <= 0 and n > 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [builtins.min(s, n - i) for i in builtins.range(0, n, s)] if s else [0]
    else:
        sizes = [int(v) for v in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


def tensor_split(input, indices_or_sections, dim: int = 0):
    x = input._data
    d = _wrap_dim(dim, x.ndim, "tensor_split")
    n = x.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
    else:
        idx = [0] + [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections] + [n]
        sizes = [builtins.max(b - a, 0) for a, b in zip(idx[:-1], idx[1:])]
    return split(input, sizes, d)


def chunk(input, chunks: int, dim: int = 0):
    """Split into ``chunks`` pieces of size ``ceil(n / chunks)`` (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    n = input._data.shape[_wrap_dim(dim, input._data.ndim, "chunk")]
    size = -(-n // chunks) if n else 0
    return split(input, size if size else 1, dim) if n else split(input, [0] * 1, dim)


def unbind(input, dim: int = 0):
    """Tuple of all slices along ``dim`` (views)."""
    x = input._data
    d = _wrap_dim(dim, x.ndim, "unbind")
    return tuple(select(input, d, i) for i in builtins.range(x.shape[d]))


def movedim(input, source, destination):
    x = input._data
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    src = [_wrap_dim(s, x.ndim, "movedim") for s in src]
    dst = [_wrap_dim(s, x.ndim, "movedim") for s in dst]
    order = [n for n in builtins.range(x.ndim) if n not in src]
    for dd, s in sorted(zip(dst, src)):
        order.insert(dd, s)
    return permute(input, order)


moveaxis = movedim


class Tri(Node):
    def forward(self, xp, x, k, lower):
        self.k, self.lower = k, lower
        return xp.tril(x, k) if lower else xp.triu(x, k)

    def backward(self, gy):
        return (gy.tril(self.k) if self.lower else gy.triu(self.k),)


def tril(input, diagonal: int = 0, *, out=None):
    """Lower triangle of the last two dims (elements above ``diagonal`` zeroed)."""
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return apply(Tri(), (input,), input._data, diagonal, True)


def triu(input, diagonal: int = 0, *, out=None):
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return apply(Tri(), (input,), input._data, diagonal, False)


class Diagonal(Node):
    def forward(self, xp, x, offset, d1, d2):
        self.shape, self.args = x.shape, (offset, d1, d2)
        return xp.diagonal(x, offset, d1, d2)

    def backward(self, gy):
        from .creation import zeros
        z = zeros(self.shape, dtype=gy.dtype, device=gy.device)
        offset, d1, d2 = self.args
        return (diag_embed_into(z, gy, offset, d1, d2),)


def diag_embed_into(z, g, offset, d1, d2):
    """``z`` with ``g`` written on its (offset, d1, d2) diagonal (differentiable in ``g``)."""
    return _DiagScatter.run(z, g, offset, d1, d2)


class _DiagScatter(Node):
    @classmethod
    def run(cls, z, g, offset, d1, d2):
        return apply(cls(), (g,), z._data, g._data, offset, d1, d2)

    def forward(self, xp, z, g, offset, d1, d2):
        self.args = (offset, d1, d2)
        out = z.copy()
        xp.diagonal(out, offset, d1, d2)[...] = g  # diagonal() of a copy is a writeable view
        return out

    def backward(self, gy):
        return (diagonal(gy, *self.args),)


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The diagonal over ``dim1``/``dim2`` as the last dim (a view)."""
    x = input._data
    d1, d2 = _wrap_dim(dim1, x.ndim, "diagonal"), _wrap_dim(dim2, x.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(Diagonal(), (input,), x, offset, d1, d2, view_of=input)


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Place the last dim of ``input`` on the diagonal of new 2-D slices."""
    from .creation import zeros
    x = input._data
    n = x.shape[-1] + builtins.abs(offset)
    nd = x.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd, "diag_embed"), _wrap_dim(dim2, nd, "diag_embed")
    batch = list(x.shape[:-1])
    shape = []
    it = iter(batch)
    for i in builtins.range(nd):
        shape.append(n if i in (d1, d2) else next(it))
    z = zeros(shape, dtype=input.dtype, device=input.device)
    g = input
    return diag_embed_into(z, g, offset, d1, d2)


def diag(input, diagonal: int = 0):
    """1-D input: a matrix with it on the diagonal; 2-D input: the diagonal."""
    n = input._data.ndim
    if n == 1:
        return diag_embed(input, diagonal, 0, 1)
    if n == 2:
        return globals()["diagonal"](input, diagonal).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


def diagflat(input, offset: int = 0):
    return diag(input.reshape(-1), offset)


def trace(input):
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                           f"{input._data.ndim}")
    return diagonal(input).sum()


class AsStrided(Node):
    def forward(self, xp, x, size, stride, offset):
        self.shape, self.geom = x.shape, (size, stride, offset)
        item = x.itemsize
        flat = x.reshape(-1) if x.flags.c_contiguous else xp.ascontiguousarray(x).reshape(-1)
        base = flat[offset:] if offset else flat
        if xp is np:
            return np.lib.stride_tricks.as_strided(base, size, [s * item for s in stride])
        return xp.lib.stride_tricks.as_strided(base, size, [s * item for s in stride])

    def backward(self, gy):
        from .indexing import as_strided_backward
        return (as_strided_backward(gy, self.shape, *self.geom),)


def as_strided(input, size, stride, storage_offset=None):
    """A view with explicit size/strides (in elements) over the contiguous data."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(size)} vs "
                           f"{len(stride)}")
    off = int(storage_offset or 0)
    need = off + (builtins.sum((s - 1) * st for s, st in zip(size, stride)) + 1 if
                  builtins.all(size) else 0)
    if need > input._data.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {off} require more elements than the {input._data.size} "
                           "available")
    v = input._data.flags.c_contiguous
    return apply(AsStrided(), (input,), input._data, size, stride, off,
                 view_of=input if v else None)


class Unfold(Node):
    def forward(self, xp, x, dim, size, step):
        self.shape, self.args = x.shape, (dim, size, step)
        n = (x.shape[dim] - size) // step + 1
        shp = x.shape[:dim] + (n,) + x.shape[dim + 1:] + (size,)
        st = x.strides[:dim] + (x.strides[dim] * step,) + x.strides[dim + 1:] + (x.strides[dim],)
        if xp is np:
            return np.lib.stride_tricks.as_strided(x, shp, st, writeable=False)
        return xp.lib.stride_tricks.as_strided(x, shp, st)

    def backward(self, gy):
        from .indexing import unfold_backward
        return (unfold_backward(gy, self.shape, *self.args),)


def unfold(input, dimension: int, size: int, step: int):
    """Sliding windows of ``size`` with ``step`` along ``dimension``, as a new last dim (a view)."""
    x = input._data
    d = _wrap_dim(dimension, x.ndim, "unfold") if x.ndim else 0
    n = x.shape[d] if x.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return apply(Unfold(), (input,), x, d, size, step, view_of=input)


class Clone(Node):
    def forward(self, xp, x):
        return x.copy()

    def backward(self, gy):
        return (gy,)


def clone(input, *, memory_format=None):
    """A copy of the data that stays in the graph."""
    return apply(Clone(), (input,), input._data)


def contiguous(input, memory_format=None):
    """``input`` if already C-contiguous, else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    return apply(Clone(), (input,), xp_of(input._data).ascontiguousarray(input._data))


def meshgrid(*tensors, indexing: str | None = None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got '{indexing}'")
    ts = list(tensors)
    if indexing == "xy" and len(ts) >= 2:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t_._data.shape[0] if t_._data.ndim else 1 for t_ in ts)
    n = len(ts)
    out = []
    for i, t_ in enumerate(ts):
        v = t_.reshape((1,) * i + (-1,) + (1,) * (n - i - 1))
        out.append(expand(v, shape))
    if indexing == "xy" and n >= 2:
        out = [o.transpose(0, 1) for o in out]
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def block_diag(*tensors):
    from .creation import zeros
    mats = [t_.reshape(1, -1) if t_._data.ndim < 2 else t_ for t_ in tensors]
    rows = builtins.sum(m._data.shape[0] for m in mats)
    parts, c0 = [], 0
    cols = builtins.sum(m._data.shape[1] for m in mats)
    for m in mats:
        r, c = m._data.shape
        left = zeros(r, c0, dtype=m.dtype, device=m.device)
        right = zeros(r, cols - c0 - c, dtype=m.dtype, device=m.device)
        parts.append(cat([left, m, right], 1))
        c0 += c
    return cat(parts, 0) if rows else zeros(0, cols)


def cartesian_prod(*tensors):
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1) if len(tensors) > 1 else tensors[0]
