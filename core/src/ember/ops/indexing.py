"""Indexing: ``__getitem__`` and the index/mask/take families (gather/scatter: ``_scatter``).

Basic indexing (ints, slices with positive steps, ``None``, ``...``) returns views; integer
tensors, lists and bool masks are advanced indices and copy.  Placement of the advanced
dimensions follows numpy's rule, with PyTorch's twist that integers are applied first as
``select`` (so ``x[1, :, idx]`` has shape ``(x.shape[1], len(idx))``, not numpy's
``(len(idx), x.shape[1])``).  Gradients of advanced indexing accumulate over repeats.

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

import warnings

import numpy as np

from .. import _dtype as T
from .._tensor import Tensor
from ..autograd.node import Node
from ._dispatch import apply, check_same_device, xp_of
from ._scatter import (
    _add_at,
    gather,
    scatter,
    scatter_add,
    scatter_reduce,
)
from ._views import storage_extent, strided_positions, view_op

__all__ = [
    "getitem", "index_put", "gather", "scatter", "scatter_add", "scatter_reduce",
    "index_select", "index_add", "index_copy", "index_fill", "masked_fill", "masked_select",
    "masked_scatter", "take_along_dim", "take", "nonzero", "argwhere", "put",
]

_INDEX_TYPES = "tensors used as indices must be long, int, byte or bool tensors"


# ---------------------------------------------------------------------- keys
def _seq_as_tuple(k: list) -> bool:
    """PyTorch's (deprecated) rule: a short list holding sequences, slices, ``None``, ``...``
    or tensors is a tuple of indices, not one index."""
    return len(k) < 32 and any(isinstance(v, (list, tuple, slice, Tensor)) or v is None or
                               v is Ellipsis for v in k)


def _array_key(k, xp):
    """An index tensor/list/array as an int or bool array (IndexError for other dtypes)."""
    if isinstance(k, Tensor):
        a = k._data
        if xp is not np and type(a) is np.ndarray:  # a CPU index for a CUDA tensor
            a = xp.asarray(a)
        if a.dtype == np.uint8:
            warnings.warn("indexing with dtype ember.uint8 is now deprecated, please use a dtype "
                          "ember.bool instead.", UserWarning, stacklevel=4)
            return a.astype(bool)
        if a.dtype.kind == "b" or a.dtype in (np.int64, np.int32):
            return a
        raise IndexError(_INDEX_TYPES)
    if isinstance(k, list):
        a = np.asarray([v.item() if isinstance(v, Tensor) else v for v in k])
    else:
        a = k
    a = xp.asarray(a)
    if a.size == 0 and a.dtype.kind == "f":
        a = a.astype(np.int64)
    if a.dtype.kind not in "iub":
        raise IndexError(_INDEX_TYPES)
    return a


def _int(v):
    return None if v is None else int(v.item() if isinstance(v, Tensor) else v)


def convert_key(key, shape, xp):
    """Translate a PyTorch index into numpy/cupy form, checking bounds.

    Returns ``(pre, key, basic)``: the result is ``x[pre][key]`` (``pre`` is None unless
    integers are mixed with advanced indices: it applies them first, as PyTorch does).
    """
    if not isinstance(key, tuple):
        if isinstance(key, list) and _seq_as_tuple(key):
            warnings.warn("Using a non-tuple sequence for multidimensional indexing is "
                          "deprecated; use x[tuple(seq)] instead of x[seq].", UserWarning,
                          stacklevel=3)
            key = tuple(key)
        else:
            key = (key,)
    items, n_int, n_adv, used, ell = [], 0, 0, 0, 0
    for k in key:
        if isinstance(k, Tensor) and k._data.ndim == 0 and k._data.dtype in (np.int64,
                                                                           np.int32):
            k = int(k.item())  # 0-d integer tensors index like Python ints
        if k is None:
            items.append(None)
        elif k is Ellipsis:
            ell += 1
            if ell > 1:
                raise IndexError("an index can only have a single ellipsis ('...')")
            items.append(k)
        elif isinstance(k, slice):
            step = _int(k.step)
            if step is not None and step <= 0:
                raise ValueError("slice step cannot be zero" if step == 0 else
                                 "step must be greater than zero")
            items.append(slice(_int(k.start), _int(k.stop), step))
            used += 1
        elif isinstance(k, bool):
            items.append(k)
            n_adv += 1
        elif isinstance(k, (int, np.integer)):
            items.append(int(k))
            n_int += 1
            used += 1
        elif isinstance(k, (Tensor, list, np.ndarray)) or type(k).__module__.startswith("cupy"):
            a = _array_key(k, xp)
            items.append(a)
            n_adv += 1
            used += a.ndim if a.dtype.kind == "b" else 1
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(k).__name__})")
    ndim = len(shape)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if n_adv and ell:
        # NOTE: PyTorch expands ``...`` into slices first, so an ellipsis covering no dims
        # does not separate two advanced indices (numpy's placement would differ)
        e = next(j for j, k in enumerate(items) if k is Ellipsis)
        items[e:e + 1] = [slice(None)] * (ndim - used)
        used = ndim
    _check_bounds(items, shape, used)
    if n_adv == 0:
        if Ellipsis not in items:
            items.append(Ellipsis)  # numpy then returns a 0-d view, not a scalar copy
        return None, tuple(items), True
    if n_int == 0:
        return None, tuple(items), False
    pre, rest = [], []
    for k in items:
        if isinstance(k, int) and not isinstance(k, bool):
            pre.append(k)
        elif k is None or isinstance(k, slice):
            pre.append(k)
            rest.append(slice(None))
        elif k is Ellipsis:
            pre.append(k)
            rest.append(k)
        else:  # advanced: keep its dims in ``pre``, index them in ``rest``
            pre.extend([slice(None)] * (k.ndim if hasattr(k, "ndim") and k.dtype.kind == "b"
                                        else 0 if isinstance(k, bool) else 1))
            rest.append(k)
    return tuple(pre), tuple(rest), False


def _check_bounds(items, shape, used):
    """IndexError naming the index, dimension and size (ints, int arrays, mask shapes)."""
    dim = 0
    for k in items:
        if k is Ellipsis:
            dim += len(shape) - used
        elif k is None or isinstance(k, bool):
            continue
        elif isinstance(k, slice):
            dim += 1
        elif isinstance(k, int):
            n = shape[dim]
            if k < -n or k >= n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
            dim += 1
        elif k.dtype.kind == "b":
            for j, s in enumerate(k.shape):
                if s != shape[dim + j]:
                    raise IndexError(f"The shape of the mask {list(k.shape)} at index {j} does "
                                     f"not match the shape of the indexed tensor {list(shape)} "
                                     f"at index {dim + j}")
            dim += k.ndim
        else:
            n = shape[dim]
            if k.size and (int(k.min()) < -n or int(k.max()) >= n):
                bad = int(k.min()) if int(k.min()) < -n else int(k.max())
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size "
                                 f"{n}")
            dim += 1


def _at(a, pre):
    return a if pre is None else a[pre]


# ---------------------------------------------------------------------- getitem
class GetItem(Node):
    def forward(self, xp, x, pre, key, basic):
        self.shape, self.pre, self.key, self.basic = x.shape, pre, key, basic
        return _at(x, pre)[key]

    def backward(self, gy):
        if self.basic:
            return (slice_backward(gy, self.shape, self.key),)
        return (index_put_zeros(gy, self.shape, self.pre, self.key),)

    def name(self):
        return "SliceBackward0" if self.basic else "IndexBackward0"


def getitem(input, key):
    """``input[key]``: a view for basic indices, a copy for advanced ones.

    Args:
        input: the tensor.
        key: ints, slices (positive steps), ``None``, ``...``, integer tensors/lists, bool
            masks, or a tuple of these.

    Raises:
        IndexError: an index out of range (naming index, dimension and size), a mask whose
            shape does not match, or an index of the wrong type.
        ValueError: a slice step that is not positive.

    Example:
        >>> import ember
        >>> x = ember.arange(6.).reshape(2, 3)
        >>> x[x > 2]
        tensor([3., 4., 5.])
    """
    x = input._data
    pre, k, basic = convert_key(key, x.shape, xp_of(x))
    if basic:
        return view_op(GetItem(), input, x, None, k, True)
    return apply(GetItem(), (input,), x, pre, k, False)


def getitem_raw(t, pre, key, basic):
    """``t[pre][key]`` for an already converted key (no view bookkeeping)."""
    return apply(GetItem(), (t,), t._data, pre, key, basic)


class SliceBackward(Node):
    """``zeros(shape)`` with ``g`` written at basic index ``key`` (also the grad of slicing)."""

    def forward(self, xp, g, shape, key):
        self.key = key
        z = xp.zeros(shape, g.dtype)
        z[key] = g
        return z

    def backward(self, gg):
        return (getitem_raw(gg, None, self.key, True),)


def slice_backward(g, shape, key):
    return apply(SliceBackward(), (g,), g._data, shape, key)


class IndexPutZeros(Node):
    """``zeros(shape)`` with ``g`` accumulated at advanced index ``[pre][key]``."""

    def forward(self, xp, g, shape, pre, key):
        self.pre, self.key = pre, key
        z = xp.zeros(shape, g.dtype)
        _add_at(xp, _at(z, pre), key, g)
        return z

    def backward(self, gg):
        return (getitem_raw(gg, self.pre, self.key, False),)


def index_put_zeros(g, shape, pre, key):
    return apply(IndexPutZeros(), (g,), g._data, tuple(shape), pre, key)


class IndexPut(Node):
    """Out-of-place ``x[key] = v`` (``accumulate``: ``x[key] += v``)."""

    def forward(self, xp, x, v, pre, key, basic, accumulate):
        self.pre, self.key, self.basic, self.accumulate = pre, key, basic, accumulate
        self.vshape = getattr(v, "shape", ())
        out = x.copy()
        tgt = _at(out, pre)
        try:
            if accumulate:
                _add_at(xp, tgt, key, v)
            else:
                tgt[key] = v
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(self.vshape)} "
                               f"cannot be broadcast to indexing result of shape "
                               f"{list(tgt[key].shape)}") from None
        return out

    def backward(self, gy):
        gx = gv = None
        if self.next_functions[0][0] is not None:
            gx = gy if self.accumulate else _put(gy, self.pre, self.key, self.basic, None, 0)
        if self.next_functions[1][0] is not None:
            gv = getitem_raw(gy, self.pre, self.key, self.basic)
            extra = len(self.vshape) - gv.ndim
            if extra > 0:  # numpy drops leading 1s of the value when assigning
                gv = gv.reshape((1,) * extra + tuple(gv.shape))
        return gx, gv


def _put(input, pre, key, basic, vt, v, accumulate=False):
    return apply(IndexPut(), (input, vt), input._data, v, pre, key, basic, accumulate)


def put_key(input, indices, values, accumulate=False, cast=True):
    """``input[indices] = values`` out of place, for ``index_put`` and ``x[i] = v``."""
    x = input._data
    pre, key, basic = convert_key(indices, x.shape, xp_of(x))
    vt = values if isinstance(values, Tensor) else None
    v = values._data if vt is not None else values
    if vt is not None:
        check_same_device("index_put", input, vt)
        if v.dtype != x.dtype:
            if not cast:
                raise RuntimeError(f"Index put requires the source and destination dtypes "
                                   f"match, got {_name(input)} for the destination and "
                                   f"{_name(vt)} for the source.")
            v = v.astype(x.dtype)
    return _put(input, pre, key, basic, vt, v, accumulate)


def index_put(input, indices, values, accumulate: bool = False):
    """Out-of-place ``input[indices] = values`` (``+=`` with ``accumulate``).

    Args:
        input: the tensor.
        indices: a tuple of index tensors (any ``getitem`` key is accepted).
        values: a tensor of ``input``'s dtype broadcastable to the indexed shape.
        accumulate: add into the indexed positions (repeats add up). Default False.

    Raises:
        RuntimeError: ``values`` of another dtype, or of a shape that does not broadcast.

    Example:
        >>> import ember
        >>> ember.zeros(4).index_put((ember.tensor([0, 0, 2]),), ember.tensor(1.), True)
        tensor([2., 0., 1., 0.])
    """
    return put_key(input, indices, values, accumulate, cast=False)


def _name(t):
    from ..autograd.node import _legacy_type
    return _legacy_type(t)[6:-7]


# ---------------------------------------------------------------------- view backwards
def as_strided_backward(g, in_geom, out_geom, span):
    """Gradient of ``as_strided``: scatter-add ``g`` onto the storage positions of the view,
    then read them back at the input's positions (composed of differentiable ops)."""
    xp = xp_of(g._data)
    out_pos = strided_positions(xp, *out_geom).reshape(-1)
    in_pos = strided_positions(xp, *in_geom)
    store = index_put_zeros(g.reshape(-1), (max(span, 1),), None, (out_pos,))
    return getitem_raw(store, None, (in_pos,), False)


def unfold_backward(g, shape, dim, size, step):
    """Sum the windows of ``g`` back onto a tensor of ``shape``."""
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    n = g._data.shape[dim] if len(shape) else g._data.shape[0]
    if not len(shape):
        out_geom = ((n, size), (step, 1), 0)
    else:
        st = strides[:dim] + [strides[dim] * step] + strides[dim + 1:] + [strides[dim]]
        sh = list(shape[:dim]) + [n] + list(shape[dim + 1:]) + [size]
        out_geom = (tuple(sh), tuple(st), 0)
    return as_strided_backward(g, (tuple(shape), tuple(strides), 0), out_geom,
                               storage_extent(shape, strides) if len(shape) else 1)


_ = T


# the index/mask/take families (imported last: they build on the helpers above)
from ._select import (  # noqa: E402
    argwhere,
    index_add,
    index_copy,
    index_fill,
    index_select,
    masked_fill,
    masked_scatter,
    masked_select,
    nonzero,
    put,
    take,
    take_along_dim,
)
