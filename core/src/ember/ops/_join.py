"""Joining and splitting tensors, grids (re-exported by :mod:`ember.ops.shape`).

``cat`` promotes dtypes across its inputs (PyTorch's ``result_type``) and skips 1-D empty
tensors (legacy behaviour PyTorch keeps); ``split``/``chunk``/``unbind``/``tensor_split``
return views.
"""

from __future__ import annotations

import builtins
import warnings

from .. import _dtype as T
from .._tensor import Tensor, _wrap_dim
from ..autograd.node import Node
from ._dispatch import apply, check_same_device
from .shape import expand, narrow, select, unsqueeze

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
           "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "split", "tensor_split",
           "chunk", "unbind", "meshgrid", "block_diag", "cartesian_prod"]


def _tensor_list(op, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


class Cat(Node):
    def forward(self, xp, arrays, dim, skipped):
        self.dim, self.skipped = dim, skipped
        self.sizes = [a.shape[dim] for a in arrays]
        return xp.concatenate(arrays, axis=dim)

    def backward(self, gy):
        from .creation import zeros
        out, start, it = [], 0, iter(self.sizes)
        for skip in self.skipped:
            if skip:
                out.append(zeros(0, dtype=gy.dtype, device=gy.device))
            else:
                n = next(it)
                out.append(narrow(gy, self.dim, start, n))
                start += n
        return tuple(out)


def cat(tensors, dim: int = 0, *, axis=None, out=None):
    """Concatenate tensors along an existing dimension.

    The result dtype is the promotion of all input dtypes; 1-D empty tensors (shape ``(0,)``)
    are skipped whatever the others' shapes (PyTorch's legacy rule).

    Args:
        tensors: a list or tuple of tensors with equal sizes except along ``dim``.
        dim: the dimension to join along (``axis`` is an alias). Default 0.

    Raises:
        ValueError: an empty list.
        RuntimeError: 0-d inputs, different numbers of dims, sizes that differ outside
            ``dim`` (naming the sizes and the tensor's position), different devices.

    Example:
        >>> import ember
        >>> ember.cat([ember.tensor([[1, 2]]), ember.tensor([[3., 4.]])])
        tensor([[1., 2.],
                [3., 4.]])
    """
    ts = _tensor_list("cat", tensors)
    if axis is not None:
        dim = axis
    if not ts:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    skipped = [t._data.ndim == 1 and t._data.shape[0] == 0 for t in ts]
    keep = [t for t, s in zip(ts, skipped, strict=True) if not s]
    check_same_device("cat", *ts)
    dt = T.result_type(*ts) if len({t._data.dtype for t in ts}) > 1 else ts[0].dtype
    if not keep:
        keep, skipped = ts[:1], [False] + [True] * (len(ts) - 1)
    ref = keep[0]._data
    for i, t in enumerate(ts):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    d = _wrap_dim(dim, ref.ndim, "cat")
    arrays = []
    for i, t in enumerate(ts):
        if skipped[i]:
            continue
        a = t._data
        if a.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} "
                               f"and {a.ndim}")
        for k in builtins.range(ref.ndim):
            if k != d and a.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref.shape[k]} but got size {a.shape[k]} for "
                                   f"tensor number {i} in the list.")
        arrays.append(a.astype(dt.np) if a.dtype != dt.np else a)
    r = apply(Cat(), tuple(ts), arrays, d, skipped)
    return r if out is None else out.copy_(r)


def concat(tensors, dim: int = 0, *, axis=None, out=None):
    """Alias of :func:`cat`.

    Example:
        >>> import ember
        >>> ember.concat([ember.zeros(1), ember.ones(1)])
        tensor([0., 1.])
    """
    return cat(tensors, dim, axis=axis, out=out)


def concatenate(tensors, axis: int = 0, *, out=None):
    """Alias of :func:`cat` (numpy's argument name ``axis``).

    Example:
        >>> import ember
        >>> ember.concatenate([ember.zeros(1), ember.ones(1)], axis=0)
        tensor([0., 1.])
    """
    return cat(tensors, axis, out=out)


def stack(tensors, dim: int = 0, *, out=None):
    """Join equal-shaped tensors along a new dimension ``dim`` (dtypes promote).

    Raises:
        RuntimeError: an empty list or tensors of different shapes.

    Example:
        >>> import ember
        >>> ember.stack([ember.tensor([1, 2]), ember.tensor([3, 4])], 1)
        tensor([[1, 3],
                [2, 4]])
    """
    ts = _tensor_list("stack", tensors)
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    shp = ts[0]._data.shape
    for i, t in enumerate(ts):
        if t._data.shape != shp:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shp)} at entry 0 and {list(t._data.shape)} at entry {i}")
    d = _wrap_dim(dim, len(shp) + 1, "stack")
    return cat([unsqueeze(t, d) for t in ts], d, out=out)


def hstack(tensors, *, out=None):
    """Concatenate column-wise: along dim 0 for 1-D inputs, else dim 1 (0-d become 1-D).

    Example:
        >>> import ember
        >>> ember.hstack([ember.tensor([1, 2]), ember.tensor([3])])
        tensor([1, 2, 3])
    """
    ts = [atleast(t, 1) for t in _tensor_list("hstack", tensors)]
    return cat(ts, 0 if ts and ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """Concatenate row-wise after making every input at least 2-D (``(n,)`` -> ``(1, n)``).

    Example:
        >>> import ember
        >>> ember.vstack([ember.tensor([1, 2]), ember.tensor([3, 4])])
        tensor([[1, 2],
                [3, 4]])
    """
    return cat([atleast(t, 2) for t in _tensor_list("vstack", tensors)], 0, out=out)


def dstack(tensors, *, out=None):
    """Concatenate depth-wise (dim 2) after making every input at least 3-D.

    Example:
        >>> import ember
        >>> ember.dstack([ember.tensor([1, 2]), ember.tensor([3, 4])]).shape
        ember.Size([1, 2, 2])
    """
    return cat([atleast(t, 3) for t in _tensor_list("dstack", tensors)], 2, out=out)


def column_stack(tensors, *, out=None):
    """Stack as columns: 0-d and 1-D inputs become ``(n, 1)``, then concatenate along dim 1.

    Example:
        >>> import ember
        >>> ember.column_stack([ember.tensor([1, 2]), ember.tensor([3, 4])])
        tensor([[1, 3],
                [2, 4]])
    """
    ts = [t.reshape(-1, 1) if t._data.ndim <= 1 else t
          for t in _tensor_list("column_stack", tensors)]
    return cat(ts, 1, out=out)


def atleast(t, n):
    """``t`` viewed with at least ``n`` dims, as ``atleast_{n}d``."""
    k = t._data.ndim
    if k >= n:
        return t
    if n == 1 or k == 0:
        return t.reshape((1,) * n)
    if n == 2 or k == 1:
        return t.reshape((1,) + tuple(t.shape) + (1,) * (n - 2)) if n == 3 else \
            t.reshape(1, -1)
    return t.unsqueeze(-1)


def _atleast(n, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(atleast(t_, n) for t_ in tensors[0])
    r = tuple(atleast(t_, n) for t_ in tensors)
    return r[0] if len(r) == 1 else r


def atleast_1d(*tensors):
    """Each input viewed with at least 1 dim (0-d -> ``(1,)``); one tensor in, one out.

    Example:
        >>> import ember
        >>> ember.atleast_1d(ember.tensor(5.))
        tensor([5.])
    """
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    """Each input viewed with at least 2 dims (``(n,)`` -> ``(1, n)``).

    Example:
        >>> import ember
        >>> ember.atleast_2d(ember.tensor([1, 2])).shape
        ember.Size([1, 2])
    """
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    """Each input viewed with at least 3 dims (``(n,)`` -> ``(1, n, 1)``, ``(m, n)`` ->
    ``(m, n, 1)``).

    Example:
        >>> import ember
        >>> ember.atleast_3d(ember.zeros(2, 3)).shape
        ember.Size([2, 3, 1])
    """
    return _atleast(3, tensors)


def split(tensor, split_size_or_sections, dim: int = 0):
    """Split into pieces of ``split_size`` (the last may be smaller) or of the listed sizes
    along ``dim`` (views).

    Raises:
        RuntimeError: a split size of 0 for a non-empty dim; sizes that do not sum to the
            dimension's size.

    Example:
        >>> import ember
        >>> [p.tolist() for p in ember.arange(5).split([1, 4])]
        [[0], [1, 2, 3, 4]]
    """
    x = tensor._data
    d = _wrap_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, (int, Tensor)) and not isinstance(
            split_size_or_sections, Tensor) or isinstance(split_size_or_sections, Tensor) and \
            split_size_or_sections.ndim == 0:
        s = int(split_size_or_sections)
        if s < 0 or (s == 0 and n > 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [builtins.min(s, n - i) for i in builtins.range(0, n, s)] if n else [0]
    else:
        sizes = [int(v) for v in split_size_or_sections]
        if builtins.sum(sizes) != n or any(v < 0 for v in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


def tensor_split(input, indices_or_sections, dim: int = 0):
    """Split into ``sections`` near-equal pieces (the first ``n % sections`` one longer), or
    at the given indices (Python slice semantics: ``x[:i0], x[i0:i1], ..., x[ik:]``).

    Raises:
        RuntimeError: ``sections <= 0``.

    Example:
        >>> import ember
        >>> [p.tolist() for p in ember.arange(7).tensor_split(3)]
        [[0, 1, 2], [3, 4], [5, 6]]
    """
    x = input._data
    d = _wrap_dim(dim, x.ndim, "tensor_split")
    n = x.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios._data.dtype.kind not in "iu" or ios._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor of dtype long")
        ios = int(ios.item()) if ios._data.ndim == 0 else ios.tolist()
    if isinstance(ios, int):
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        q, r = divmod(n, ios)
        return split(input, [q + 1] * r + [q] * (ios - r), d)
    bounds = [None] + [int(i) for i in ios] + [None]
    out = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        start, stop, _ = slice(a, b).indices(n)
        out.append(narrow(input, d, start, builtins.max(stop - start, 0)))
    return tuple(out)


def chunk(input, chunks: int, dim: int = 0):
    """Split into pieces of ``ceil(n / chunks)`` along ``dim`` (views; there may be fewer than
    ``chunks``, e.g. 6 elements in 4 chunks give sizes 2, 2, 2).

    Raises:
        RuntimeError: ``chunks <= 0``.

    Example:
        >>> import ember
        >>> [p.tolist() for p in ember.arange(5).chunk(2)]
        [[0, 1, 2], [3, 4]]
    """
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, input._data.ndim, "chunk")
    n = input._data.shape[d]
    if n == 0:
        return split(input, [0] * chunks, d)
    return split(input, -(-n // chunks), d)


def unbind(input, dim: int = 0):
    """All slices along ``dim`` as a tuple of views (the dim removed).

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2], [3, 4]]).unbind(1)
        (tensor([1, 3]), tensor([2, 4]))
    """
    x = input._data
    d = _wrap_dim(dim, x.ndim, "unbind")
    return tuple(select(input, d, i) for i in builtins.range(x.shape[d]))


def meshgrid(*tensors, indexing: str | None = None):
    """Coordinate grids from 1-D tensors: with ``indexing="ij"`` output ``k`` varies along
    dim ``k``; ``"xy"`` swaps the first two dims (Cartesian, as numpy's default).

    Args:
        tensors: 0-D or 1-D tensors (or one list of them).
        indexing: ``"ij"`` or ``"xy"``; omitted means ``"ij"`` with a UserWarning, as PyTorch.

    Raises:
        RuntimeError: inputs with more than one dim, or an unknown ``indexing``.

    Example:
        >>> import ember
        >>> gx, gy = ember.meshgrid(ember.tensor([1, 2, 3]), ember.tensor([4, 5]),
        ...                         indexing="xy")
        >>> gx.shape
        ember.Size([2, 3])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("ember.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"meshgrid: Expected 0D or 1D tensor in the tensor list but got a "
                               f"tensor of shape {list(t._data.shape)}")
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t._data.shape[0] if t._data.ndim else 1 for t in ts)
    n = len(ts)
    out = [expand(t.reshape((1,) * i + (-1,) + (1,) * (n - i - 1)), shape)
           for i, t in enumerate(ts)]
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def block_diag(*tensors):
    """A block-diagonal matrix of the inputs (0-d -> 1x1, 1-D ``(n,)`` -> ``1 x n``); dtypes
    promote.

    Raises:
        RuntimeError: an input with more than 2 dims.

    Example:
        >>> import ember
        >>> ember.block_diag(ember.tensor([[1]]), ember.tensor([2, 3]))
        tensor([[1, 0, 0],
                [0, 2, 3]])
    """
    from .creation import zeros
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(f"block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t._data.ndim} dimensions")
    if not tensors:
        return zeros(1, 0)
    dt = T.result_type(*tensors) if len({t._data.dtype for t in tensors}) > 1 else \
        tensors[0].dtype
    mats = [t.reshape(1, -1) if t._data.ndim < 2 else t for t in tensors]
    cols = builtins.sum(m._data.shape[1] for m in mats)
    parts, c0 = [], 0
    for m in mats:
        r, c = m._data.shape
        left = zeros(r, c0, dtype=dt, device=m.device)
        right = zeros(r, cols - c0 - c, dtype=dt, device=m.device)
        parts.append(cat([left, m, right], 1))
        c0 += c
    return cat(parts, 0)


def cartesian_prod(*tensors):
    """Cartesian product of 1-D tensors as rows of an ``(N, len(tensors))`` tensor (a single
    input is returned as is).

    Example:
        >>> import ember
        >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4]))
        tensor([[1, 3],
                [1, 4],
                [2, 3],
                [2, 4]])
    """
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)
