"""Reordering copies: repeat/tile, flips, roll, rot90 (re-exported by :mod:`ember.ops.shape`).

Unlike views these always return new memory, as in PyTorch.
"""

from __future__ import annotations

import builtins

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.node import Node
from ._dispatch import apply
from .shape import _shape_arg, clone, expand, reshape

__all__ = ["repeat", "repeat_interleave", "tile", "flip", "fliplr", "flipud", "roll", "rot90"]


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim (a copy; extra sizes add leading dims).

    Raises:
        RuntimeError: fewer sizes than dims, or a negative size.

    Example:
        >>> import ember
        >>> ember.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    x = input._data
    reps = _shape_arg(sizes)
    if len(reps) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    xs = (1,) * (len(reps) - x.ndim) + x.shape
    out_shape = tuple(r * s for r, s in zip(reps, xs, strict=True))
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{builtins.min(reps)}: {list(out_shape)}")
    if all(r == 1 for r in reps):
        return clone(reshape(input, out_shape))  # a copy, as always in PyTorch
    # expand an interleaved shape then merge: (r0, s0, r1, s1, ...) -> (r0*s0, ...)
    inter, big = [], []
    for r, s in zip(reps, xs, strict=True):
        inter += [1, s]
        big += [r, s]
    return reshape(expand(reshape(input, inter), big), out_shape)


def tile(input, dims):
    """``repeat`` with ``dims`` left-padded with ones to ``input.dim()``.

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2]]).tile((2,))
        tensor([[1, 2, 1, 2]])
    """
    dims = (int(dims),) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


class Flip(Node):
    def forward(self, xp, x, axes):
        self.axes = axes
        return xp.flip(x, axes).copy()

    def backward(self, gy):
        return (gy.flip(self.axes),)


def flip(input, *dims):
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch).

    Raises:
        RuntimeError: a dim given twice.

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2], [3, 4]]).flip(0, 1)
        tensor([[4, 3],
                [2, 1]])
    """
    x = input._data
    ds = _shape_arg(dims)
    axes = tuple(_wrap_dim(d, x.ndim, "flip") for d in ds)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {next(a for a in axes if axes.count(a) > 1)} appears multiple "
                           "times in the list of dims")
    return apply(Flip(), (input,), x, axes if x.ndim else ())


def fliplr(input):
    """Flip dim 1 (left/right). Raises RuntimeError for inputs with fewer than 2 dims.

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2]]).fliplr()
        tensor([[2, 1]])
    """
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    """Flip dim 0 (up/down). Raises RuntimeError for 0-d inputs.

    Example:
        >>> import ember
        >>> ember.tensor([1, 2]).flipud()
        tensor([2, 1])
    """
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
    """Shift elements circularly: ``out[(i + shift) % n] = x[i]`` along each of ``dims`` (the
    flattened tensor when ``dims`` is None).

    Raises:
        RuntimeError: ``shifts`` and ``dims`` of different lengths.

    Example:
        >>> import ember
        >>> ember.tensor([1, 2, 3, 4]).roll(1)
        tensor([4, 1, 2, 3])
    """
    x = input._data
    if dims is None:
        s = (shifts,) if isinstance(shifts, int) else tuple(shifts)
        if len(s) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(s)}, dims:0")
        return apply(Roll(), (input,), x, int(s[0]), None)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    return apply(Roll(), (input,), x, tuple(int(s) for s in shifts),
                 tuple(_wrap_dim(d, x.ndim, "roll") for d in dims))


def rot90(input, k: int = 1, dims=(0, 1)):
    """Rotate by ``k * 90`` degrees in the plane of ``dims`` (from ``dims[0]`` towards
    ``dims[1]``).

    Raises:
        RuntimeError: ``dims`` not two distinct dims, or an input with fewer than 2 dims.

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2], [3, 4]]).rot90()
        tensor([[2, 4],
                [1, 3]])
    """
    dims = tuple(dims)
    n = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    d0, d1 = _wrap_dim(dims[0], n, "rot90"), _wrap_dim(dims[1], n, "rot90")
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(input, d1).transpose(d0, d1)
    if k == 2:
        return flip(input, d0, d1)
    if k == 3:
        return flip(input, d0).transpose(d0, d1)
    return clone(input)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times along ``dim`` (the flattened tensor when ``dim``
    is None); ``repeats`` is an int or a 1-D tensor with one count per element.
    ``repeat_interleave(counts)`` alone returns ``arange(len(counts))`` repeated by counts.

    Differentiable in ``input`` (an index_select: repeated entries sum their gradients).

    Example:
        >>> import ember
        >>> ember.tensor([1, 2]).repeat_interleave(2)
        tensor([1, 1, 2, 2])
        >>> ember.repeat_interleave(ember.tensor([2, 1]))
        tensor([0, 0, 1])
    """
    from .creation import arange
    if repeats is None:  # repeat_interleave(repeats): indices repeated by counts
        counts = input
        return repeat_interleave(arange(counts.numel(), device=counts.device), counts, 0)
    if dim is None:
        input, dim = input.reshape(-1), 0
    x = input._data
    d = _wrap_dim(dim, x.ndim, "repeat_interleave") if x.ndim else 0
    if x.ndim == 0:
        input, x = input.reshape(1), x.reshape(1)
    n = x.shape[d]
    xp = np if type(x) is np.ndarray else __import__("cupy")
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats must be an integer tensor, got "
                               f"{repeats.dtype}")
        if r.ndim > 1 or (r.size not in (1, n)):
            raise RuntimeError(f"repeat_interleave: repeats must have the same size as input "
                               f"along dim ({n}), got {list(r.shape)}")
        r = r.reshape(-1)
    else:
        r = xp.asarray([int(repeats)])
    if bool((r < 0).any()):
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    idx = xp.repeat(xp.arange(n), r if r.size == n else int(r[0]))
    if output_size is not None and idx.size != output_size:
        raise RuntimeError(f"repeat_interleave: output_size {output_size} does not match the "
                           f"repeats' total {idx.size}")
    from .indexing import index_select
    return index_select(input, d, Tensor._make(idx.astype(np.int64)))
