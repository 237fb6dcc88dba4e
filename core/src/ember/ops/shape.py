"""Shape and view ops: views share memory (and the version counter) with their input.

``view`` requires compatible strides (RuntimeError otherwise, like PyTorch) while
``reshape`` copies only when it must; ``transpose``, ``permute``, ``expand``, ``narrow``,
``select``, ``squeeze``/``unsqueeze``, ``diagonal``, ``unfold`` and basic slicing are always
views.  Joining/splitting ops live in :mod:`._join`, diagonals and strided views in
:mod:`._diag`, flips/rolls/repeats in :mod:`._reorder`; all are exported from here.

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
from ..autograd.node import Node, _legacy_type
from ._dispatch import apply, xp_of
from ._views import register_view, view_op

__all__ = [
    "view", "reshape", "view_as", "reshape_as", "permute", "transpose", "swapaxes", "swapdims",
    "t", "adjoint", "squeeze", "unsqueeze", "flatten", "unflatten", "expand", "expand_as",
    "broadcast_to", "broadcast_tensors", "broadcast_shapes", "repeat", "repeat_interleave",
    "tile", "flip", "fliplr",
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


def _infer(shape, numel, op):
    """Resolve one ``-1`` in ``shape``; RuntimeError when the sizes cannot match."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                               f"{list(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} "
                               "because the unspecified dimension size -1 can be any value and "
                               "is ambiguous")
        if numel % known:
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


def _shares(out, x) -> bool:
    if type(out) is np.ndarray:
        return out.base is not None and np.may_share_memory(out, x)
    return bool(x.size) and out.data.ptr == x.data.ptr


def view(input, *shape):
    """A view with a new shape (no copy); ``view(dtype)`` reinterprets the bytes.

    One size may be ``-1`` (inferred).

    Raises:
        RuntimeError: sizes that do not multiply to ``numel``, more than one ``-1``, or
            strides that do not allow a view (the message suggests ``reshape``).

    Example:
        >>> import ember
        >>> ember.arange(6).view(-1, 3)
        tensor([[0, 1, 2],
                [3, 4, 5]])
    """
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, Size)):
        return _view_dtype(input, shape[0])
    x = input._data
    shp = _infer(_shape_arg(shape), x.size, "view")
    return view_op(Reshape(), input, x, shp, True)


def _view_dtype(input, dtype):
    from .. import _dtype as T
    dt = T.to_dtype(dtype)
    x = input._data
    if dt.itemsize != x.itemsize and not x.flags.c_contiguous:
        raise RuntimeError("view(dtype): the tensor must be contiguous to change the element size")
    return Tensor._make(x.view(dt.np), vc=input._vc,
                        base=input._base if input._base is not None else input)


def reshape(input, *shape):
    """``input`` with a new shape: a view when the strides allow, else a copy.

    Example:
        >>> import ember
        >>> ember.arange(6).reshape(3, -1).t().reshape(-1)
        tensor([0, 2, 4, 1, 3, 5])
    """
    x = input._data
    shp = _infer(_shape_arg(shape), x.size, "reshape")
    if shp == x.shape:
        return view(input, shp)
    out = apply(Reshape(), (input,), x, shp, False)
    if _shares(out._data, x):
        out._vc, out._base = input._vc, (input._base if input._base is not None else input)
        register_view(out)
    return out


def view_as(input, other):
    """``input.view(other.shape)``."""
    return view(input, other._data.shape)


def reshape_as(input, other):
    """``input.reshape(other.shape)``."""
    return reshape(input, other._data.shape)


def ravel(input):
    """The flattened tensor (a view when possible)."""
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
    """Reorder the dimensions: ``out.shape[i] = input.shape[dims[i]]`` (a view).

    Raises:
        RuntimeError: ``len(dims) != input.dim()`` or a repeated dim.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3, 4).permute(2, 0, 1).shape
        ember.Size([4, 2, 3])
    """
    x = input._data
    perm = _shape_arg(dims)
    if len(perm) != x.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {x.ndim} is not equal to len(dims) = {len(perm)}")
    perm = tuple(_wrap_dim(p, x.ndim, "permute") for p in perm)
    if len(set(perm)) != len(perm):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return view_op(Permute(), input, x, perm)


def transpose(input, dim0, dim1):
    """Swap dims ``dim0`` and ``dim1`` (a view).

    Example:
        >>> import ember
        >>> ember.zeros(2, 3, 4).transpose(0, 2).shape
        ember.Size([4, 3, 2])
    """
    n = input._data.ndim
    d0, d1 = _wrap_dim(dim0, n, "transpose"), _wrap_dim(dim1, n, "transpose")
    if n == 0:
        return view(input, ())
    perm = list(builtins.range(n))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return view_op(Permute(), input, input._data, tuple(perm))


swapaxes = swapdims = transpose


def t(input):
    """Transpose a matrix; 0-d and 1-D tensors come back as (views of) themselves.

    Raises:
        RuntimeError: more than 2 dims.

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2]]).t()
        tensor([[1],
                [2]])
    """
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    return transpose(input, 0, 1) if n == 2 else view(input, input._data.shape)


def adjoint(input):
    """Conjugate transpose of the last two dims (a view for real tensors).

    Example:
        >>> import ember
        >>> ember.zeros(5, 2, 3).adjoint().shape
        ember.Size([5, 3, 2])
    """
    r = transpose(input, -2, -1)
    return r.conj() if input.is_complex() else r


def squeeze(input, dim=None):
    """Remove size-1 dims: all of them, or those among ``dim`` (an int or tuple) (a view).

    Example:
        >>> import ember
        >>> ember.zeros(1, 3, 1).squeeze(0).shape
        ember.Size([3, 1])
    """
    x = input._data
    if dim is None:
        shp = tuple(s for s in x.shape if s != 1)
    else:
        ds = dim if isinstance(dim, (tuple, list)) else (dim,)
        ds = {_wrap_dim(d, x.ndim, "squeeze") for d in ds}
        shp = tuple(s for i, s in enumerate(x.shape) if not (i in ds and s == 1))
    return view_op(Reshape(), input, x, shp, False)


squeeze_dims = squeeze


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim`` (in ``[-input.dim() - 1, input.dim()]``) (a view).

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).unsqueeze(-1).shape
        ember.Size([2, 3, 1])
    """
    x = input._data
    d = _wrap_dim(dim, x.ndim + 1, "unsqueeze")
    return view_op(Reshape(), input, x, x.shape[:d] + (1,) + x.shape[d:], False)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dims ``start_dim … end_dim`` into one (a view when possible).

    Raises:
        RuntimeError: ``start_dim`` after ``end_dim``.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3, 4).flatten(1).shape
        ember.Size([2, 12])
    """
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
    """Split dim ``dim`` into ``sizes`` (one may be ``-1``).

    Raises:
        RuntimeError: empty ``sizes`` or sizes that do not multiply to the dim's size.

    Example:
        >>> import ember
        >>> ember.zeros(2, 12).unflatten(1, (3, -1)).shape
        ember.Size([2, 3, 4])
    """
    x = input._data
    d = _wrap_dim(dim, x.ndim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer(sizes, x.shape[d], "unflatten")
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({x.shape[d]}) in the input tensor") from None
    return reshape(input, x.shape[:d] + sizes + x.shape[d + 1:])


class Expand(Node):
    def forward(self, xp, x, shape):
        self.shape = x.shape
        return xp.broadcast_to(x, shape)

    def backward(self, gy):
        return (gy.sum_to_size(self.shape),)


def expand(input, *sizes):
    """Broadcast size-1 dims to ``sizes`` without copying (``-1`` keeps a dim; new leading dims
    may be added).  The result is read-only: in-place writes into it raise.

    Raises:
        RuntimeError: fewer sizes than dims, or a non-singleton dim asked to change size.

    Example:
        >>> import ember
        >>> ember.tensor([[1], [2]]).expand(-1, 3)
        tensor([[1, 1, 1],
                [2, 2, 2]])
    """
    x = input._data
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"expand({_legacy_type(input).strip()}{{{list(x.shape)}}}, size="
                           f"{list(sizes)}): the number of sizes provided ({len(sizes)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({x.ndim})")
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
        return view_op(Reshape(), input, x, shp, False)
    return view_op(Expand(), input, x, shp)


def expand_as(input, other):
    """``input.expand(other.shape)``."""
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    """``input.expand(size)``.

    Example:
        >>> import ember
        >>> ember.broadcast_to(ember.tensor([1, 2]), (2, 2))
        tensor([[1, 2],
                [1, 2]])
    """
    return expand(input, size)


def _broadcast(shapes):
    out = ()
    for s in shapes:
        s = tuple(s)
        n = builtins.max(len(out), len(s))
        a, b = (1,) * (n - len(out)) + out, (1,) * (n - len(s)) + s
        for i in builtins.range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor "
                                   f"b ({b[i]}) at non-singleton dimension {i}")
        out = tuple(y if x == 1 else x for x, y in zip(a, b, strict=True))
    return out


def broadcast_shapes(*shapes):
    """The shape that ``shapes`` broadcast to.

    Example:
        >>> import ember
        >>> ember.broadcast_shapes((3, 1), (4,))
        ember.Size([3, 4])
    """
    return Size(_broadcast([(s,) if isinstance(s, int) else tuple(s) for s in shapes]))


def broadcast_tensors(*tensors):
    """Expand all tensors to their common broadcast shape (views).

    Example:
        >>> import ember
        >>> a, b = ember.broadcast_tensors(ember.zeros(3, 1), ember.zeros(2))
        >>> a.shape, b.shape
        (ember.Size([3, 2]), ember.Size([3, 2]))
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shp = _broadcast([t_._data.shape for t_ in tensors])
    return tuple(expand(t_, shp) for t_ in tensors)


class Narrow(Node):
    """A basic-slicing view; backward pads the gradient back with zeros."""

    def forward(self, xp, x, key):
        self.shape, self.key = x.shape, key
        return x[key]

    def backward(self, gy):
        from .indexing import slice_backward
        return (slice_backward(gy, self.shape, self.key),)

    def name(self):
        return "SliceBackward0"


def narrow(input, dim: int, start, length: int):
    """Elements ``start : start + length`` of ``dim`` (a view; ``start`` may be negative).

    Raises:
        IndexError: ``start`` out of range.
        RuntimeError: ``start + length`` past the end, or a negative ``length``.

    Example:
        >>> import ember
        >>> ember.arange(5).narrow(0, 1, 3)
        tensor([1, 2, 3])
    """
    x = input._data
    d = _wrap_dim(dim, x.ndim, "narrow")
    start = int(start.item()) if isinstance(start, Tensor) else int(start)
    n = x.shape[d]
    if start < -n or start > n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    key = (slice(None),) * d + (slice(start, start + length),)
    return view_op(Narrow(), input, x, key)


def select(input, dim: int, index: int):
    """The slice at ``index`` of ``dim``, with that dim removed (a view).

    Raises:
        IndexError: ``index`` out of range (naming index, dim and size).

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2], [3, 4]]).select(1, -1)
        tensor([2, 4])
    """
    x = input._data
    d = _wrap_dim(dim, x.ndim, "select")
    index = int(index)
    n = x.shape[d]
    if index < -n or index >= n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(x.shape)} at dimension {d}")
    key = (slice(None),) * d + (index % n, Ellipsis)
    return view_op(Narrow(), input, x, key)


def movedim(input, source, destination):
    """Move dims ``source`` to positions ``destination`` (others keep their order) (a view).

    Raises:
        RuntimeError: different numbers of source and destination dims, or repeated dims.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3, 4).movedim(0, -1).shape
        ember.Size([3, 4, 2])
    """
    x = input._data
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    src = [_wrap_dim(s, x.ndim, "movedim") for s in src]
    dst = [_wrap_dim(s, x.ndim, "movedim") for s in dst]
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({ds})")
    order = [n for n in builtins.range(x.ndim) if n not in src]
    for dd, s in sorted(zip(dst, src, strict=True)):
        order.insert(dd, s)
    return permute(input, order)


moveaxis = movedim


class Clone(Node):
    def forward(self, xp, x, order):
        if order == "channels_last":
            return xp.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        return x.copy(order=order)

    def backward(self, gy):
        return (gy,)

    def name(self):
        return "CloneBackward0"


def _order(memory_format, x):
    name = getattr(memory_format, "name", "preserve_format") if memory_format is not None \
        else "preserve_format"
    if name == "channels_last":
        if x.ndim != 4:
            raise RuntimeError("required rank 4 tensor to use channels_last format")
        return "channels_last"
    return "C" if name == "contiguous_format" else "K"


def clone(input, *, memory_format=None):
    """A copy of the data that stays in the graph (gradient passes through unchanged).

    ``memory_format`` (default ``preserve_format``) keeps a dense tensor's strides, as
    PyTorch does; ``contiguous_format`` gives row-major strides.

    Example:
        >>> import ember
        >>> x = ember.ones(2, 3).t()
        >>> x.clone().stride(), x.clone(memory_format=ember.contiguous_format).stride()
        ((1, 3), (2, 1))
    """
    x = input._data
    return apply(Clone(), (input,), x, _order(memory_format, x))


def contiguous(input, memory_format=None):
    """``input`` itself if already contiguous (in ``memory_format``), else a contiguous copy.

    Example:
        >>> import ember
        >>> ember.ones(2, 3).t().contiguous().is_contiguous()
        True
    """
    x = input._data
    order = _order(memory_format, x) if memory_format is not None else "C"
    if order == "channels_last":
        if input.is_contiguous(memory_format=memory_format):
            return input
    elif x.flags.c_contiguous:
        return input
    return apply(Clone(), (input,), x, "C" if order == "K" else order)


# the rest of the family (imported last: these modules use the ops above)
from ._diag import (  # noqa: E402
    as_strided,
    diag,
    diag_embed,
    diagflat,
    diagonal,
    trace,
    tril,
    triu,
    unfold,
)
from ._join import (  # noqa: E402
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block_diag,
    cartesian_prod,
    cat,
    chunk,
    column_stack,
    concat,
    concatenate,
    dstack,
    hstack,
    meshgrid,
    split,
    stack,
    tensor_split,
    unbind,
    vstack,
)
from ._reorder import (  # noqa: E402
    flip,
    fliplr,
    flipud,
    repeat,
    repeat_interleave,
    roll,
    rot90,
    tile,
)

_ = xp_of
