"""Bookkeeping for views: which tensors alias a base, and where their elements sit in it.

A view shares its base's array memory and version counter (``_base`` points at the root
tensor that owns the memory).  Every view made by a view op is recorded, weakly, on its base,
so that when the base (or another view of it) is modified in place *with autograd*, the live
views get a new ``grad_fn`` reading from the base's new history — PyTorch's view regeneration
— instead of silently keeping the gradient path of the values they held before.

Element positions are computed from geometry (shape, strides, offset in elements), so they
work for any non-overlapping base layout (C, Fortran or permuted, dense or sliced).
"""

from __future__ import annotations

import weakref

import numpy as np

from .._tensor import Tensor
from ..autograd.node import Node, edge
from ._dispatch import apply, xp_of

__all__ = ["view_op", "register_view", "is_view", "regenerate_views", "geometry",
           "strided_positions", "view_positions", "storage_extent"]

_ref = weakref.ref


def register_view(v: Tensor) -> Tensor:
    """Record ``v`` (whose ``_base`` is set) as a differentiable view of its base."""
    base = v._base
    if base is None:
        return v
    v.__dict__["_is_view"] = True
    d = base.__dict__
    lst = d.get("_views")
    if lst is None:
        d["_views"] = [_ref(v)]
        return v
    lst.append(_ref(v))
    if len(lst) > d.get("_views_cap", 64):  # drop dead references, amortised O(1)
        lst[:] = [r for r in lst if r() is not None]
        d["_views_cap"] = 2 * len(lst) + 64
    return v


def is_view(t: Tensor) -> bool:
    """True for tensors made by a view op (not ``detach()``/``.data`` aliases)."""
    return t._base is not None and t.__dict__.get("_is_view", False)


def view_op(node: Node, input: Tensor, *args) -> Tensor:
    """:func:`apply` for an op whose output is a view of ``input`` (memory, version counter)."""
    return register_view(apply(node, (input,), *args, view_of=input))


# ---------------------------------------------------------------------- geometry
def geometry(a, root) -> tuple:
    """``(shape, strides, offset)`` of array ``a`` in elements, relative to ``root``'s start."""
    item = a.itemsize
    if type(a) is np.ndarray:
        off = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    else:
        off = a.data.ptr - root.data.ptr
    return tuple(a.shape), tuple(s // item for s in a.strides), off // item


def storage_extent(shape, strides) -> int:
    """Elements spanned by a non-negative-stride geometry (0 when it has no elements)."""
    if any(s == 0 for s in shape):
        return 0
    return 1 + sum((n - 1) * st for n, st in zip(shape, strides, strict=True))


def strided_positions(xp, shape, strides, offset):
    """int64 array of ``shape``: the storage position of every element."""
    pos = xp.full(tuple(shape), offset, dtype=np.int64)
    for d, (n, st) in enumerate(zip(shape, strides, strict=True)):
        if n > 1 and st:
            s = [1] * len(shape)
            s[d] = n
            pos += xp.arange(n, dtype=np.int64).reshape(s) * st
    return pos


def view_positions(xp, base_geom, view_geom):
    """Flat C-order indices into the base of each element of the view.

    NOTE: storage position -> base element is inverted by writing each base element's flat
    index into a scratch buffer laid out like the base's memory, then reading that buffer
    through the view's geometry.
    """
    bshape, bstrides, boff = base_geom
    vshape, vstrides, voff = view_geom
    if any(s < 0 for s in bstrides + vstrides):
        raise RuntimeError("ember cannot track in-place changes through views with negative "
                           "strides; clone() the tensor first")
    span = max(storage_extent(bshape, bstrides) + boff, storage_extent(vshape, vstrides) + voff)
    n = int(np.prod(bshape, dtype=np.int64))
    scratch = xp.full(max(span, 1), -1, dtype=np.int64)
    _strided(xp, scratch, bshape, bstrides, boff)[...] = \
        xp.arange(n, dtype=np.int64).reshape(bshape)
    if int((scratch >= 0).sum()) != n:
        raise RuntimeError("ember cannot track in-place changes of a view of a base whose "
                           "elements overlap in memory (an expanded tensor); clone() it first")
    return _strided(xp, scratch, vshape, vstrides, voff).copy()


def _strided(xp, flat, shape, strides, offset):
    item = flat.itemsize
    part = flat[offset:]
    if xp is np:
        return np.lib.stride_tricks.as_strided(part, tuple(shape), [s * item for s in strides])
    return xp.lib.stride_tricks.as_strided(part, tuple(shape), tuple(s * item for s in strides))


# ---------------------------------------------------------------------- regeneration
class ViewOfBase(Node):
    """The ``grad_fn`` of a view whose base changed in place after the view was taken: the
    view reads its (new) values from the base, so its gradient goes to the base's history."""

    def __init__(self, base_geom, view_geom, base_shape):
        Node.__init__(self)
        self.base_geom, self.view_geom, self.base_shape = base_geom, view_geom, base_shape
        self._pos = None

    def backward(self, gy):
        from .indexing import index_put_zeros
        if self._pos is None:
            self._pos = view_positions(xp_of(gy._data), self.base_geom, self.view_geom)
        g = index_put_zeros(gy.reshape(-1), (int(np.prod(self.base_shape, dtype=np.int64)),),
                            None, (self._pos.reshape(-1),))
        return (g.reshape(self.base_shape),)

    def name(self):
        return "AsStridedBackward0"


def regenerate_views(base: Tensor, skip: Tensor | None = None) -> None:
    """Point every live view of ``base`` (except ``skip``) at the base's current history."""
    lst = base.__dict__.get("_views")
    if not lst or base.grad_fn is None:
        return
    b = base._data
    bgeom = geometry(b, b)
    e = edge(base)
    live = []
    for r in lst:
        v = r()
        if v is None:
            continue
        live.append(r)
        if v is skip or v._data.dtype != b.dtype:
            continue
        node = ViewOfBase(bgeom, geometry(v._data, b), b.shape)
        node.next_functions = (e,)
        node._in_meta = ((b.shape, b.dtype),)
        v.grad_fn, v._output_nr, v._rg = node, 0, True
    lst[:] = live
