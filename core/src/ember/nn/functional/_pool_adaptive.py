"""Adaptive pooling (output size fixed, windows adapt) and max-unpooling.

Output cell ``o`` of a dimension of size ``S`` pooled to ``O`` covers
``[floor(o * S / O), ceil((o + 1) * S / O))`` (PyTorch's windows).  Adaptive average pooling is
a contraction with one averaging matrix per spatial dimension (a GEMM each); adaptive max
pooling gathers every window's candidates by index and takes the first maximum.  When ``O``
divides ``S`` both reduce to the regular pools.

Example:
    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.adaptive_avg_pool1d(ember.tensor([[1., 2., 3.]]), 2).tolist()
    [[1.5, 2.5]]
"""

from __future__ import annotations

import math

import numpy as np

from ..._tensor import Tensor
from ...ops._dispatch import xp_of

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _bounds(n, o):
    idx = np.arange(o)
    return (idx * n) // o, -((-(idx + 1) * n) // o)


def _adaptive_input(op, input, nd, output_size):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"[{', '.join(map(str, input.shape))}]")
    unbatched = input.dim() == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    if isinstance(output_size, (int, np.integer)):
        output_size = (int(output_size),) * nd
    output_size = tuple(output_size)
    if len(output_size) == 1 and nd > 1:
        output_size = output_size * nd
    if len(output_size) != nd:
        raise RuntimeError(f"{op}(): output_size must have {nd} elements, got "
                           f"{list(output_size)}")
    size = tuple(x.shape[2:])
    osz = tuple(n if o is None else int(o) for o, n in zip(output_size, size, strict=True))
    if any(o < 0 for o in osz) or any(n == 0 for n in size):
        raise RuntimeError(f"{op}(): elements of output_size must be non-negative and the "
                           f"input's spatial sizes positive, got output_size={list(osz)} for "
                           f"input of size [{', '.join(map(str, input.shape))}]")
    return x, unbatched, size, osz


def _adaptive_avg(nd, input, output_size):
    from ._pool import avg_pool1d, avg_pool2d, avg_pool3d
    op = f"adaptive_avg_pool{nd}d"
    x, unbatched, size, osz = _adaptive_input(op, input, nd, output_size)
    if all(o == 1 for o in osz):
        out = x.mean(tuple(range(2, 2 + nd)), keepdim=True)
    elif all(o > 0 and n % o == 0 for n, o in zip(size, osz, strict=True)):
        k = tuple(n // o for n, o in zip(size, osz, strict=True))
        out = (avg_pool1d, avg_pool2d, avg_pool3d)[nd - 1](x, k, k)
    else:
        import ember
        out = x
        for i, (n, o) in enumerate(zip(size, osz, strict=True)):
            start, end = _bounds(n, o)
            a = np.zeros((n, o))
            for j in range(o):  # builds the small (S, O) averaging matrix, not a data loop
                a[start[j]:end[j], j] = 1.0 / (end[j] - start[j])
            at = ember.tensor(a, dtype=x.dtype, device=x.device)
            out = (out.movedim(2 + i, -1) @ at).movedim(-1, 2 + i)
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling to ``output_size`` cells.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        output_size: the output length ``L_out``.

    Example:
        >>> import ember
        >>> ember.nn.functional.adaptive_avg_pool1d(ember.tensor([[1., 2., 3., 4.]]), 1).item()
        2.5
    """
    return _adaptive_avg(1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """2-D adaptive average pooling; ``output_size`` is an int or ``(H, W)`` (``None`` keeps).

    Example:
        >>> import ember
        >>> ember.nn.functional.adaptive_avg_pool2d(ember.ones(1, 3, 5, 7), (2, None)).shape
        ember.Size([1, 3, 2, 7])
    """
    return _adaptive_avg(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """3-D adaptive average pooling (see :func:`adaptive_avg_pool2d`).

    Example:
        >>> import ember
        >>> ember.nn.functional.adaptive_avg_pool3d(ember.ones(1, 1, 3, 3, 3), 2).shape
        ember.Size([1, 1, 2, 2, 2])
    """
    return _adaptive_avg(3, input, output_size)


def _adaptive_max(nd, input, output_size, return_indices):
    from ._pool import _max_pool
    op = f"adaptive_max_pool{nd}d"
    x, unbatched, size, osz = _adaptive_input(op, input, nd, output_size)
    if all(o > 0 and n % o == 0 for n, o in zip(size, osz, strict=True)):
        k = tuple(n // o for n, o in zip(size, osz, strict=True))
        r = _max_pool(op, nd, x, k, k, 0, 1, False, return_indices)
    else:
        xp = xp_of(x._data)
        # candidate flat indices (*osz, *kmax) per dimension; short windows repeat their last
        # element, which changes neither the maximum nor (first-maximum rule) its index
        cand = np.zeros((1,) * (2 * nd), dtype=np.int64)
        for i, (n, o) in enumerate(zip(size, osz, strict=True)):
            start, end = _bounds(n, o)
            kmax = int((end - start).max())
            ids = np.minimum(start[:, None] + np.arange(kmax)[None, :], end[:, None] - 1)
            shape = [1] * (2 * nd)
            shape[i], shape[nd + i] = o, kmax
            cand = cand + ids.reshape(shape) * math.prod(size[i + 1:])
        cand = cand.reshape(*osz, -1)
        n_, c = x.shape[:2]
        flat = x._data.reshape(n_, c, -1)
        vals = flat[:, :, xp.asarray(cand)]  # (N, C, *osz, K)
        arg = vals.argmax(-1)  # the first maximum (or first NaN), as in PyTorch
        idx = xp.take_along_axis(xp.broadcast_to(xp.asarray(cand), vals.shape),
                                 arg[..., None], -1)[..., 0]
        it = Tensor._make(xp.ascontiguousarray(idx))
        out = x.reshape(n_, c, -1).gather(2, it.reshape(n_, c, -1)).reshape(it.shape)
        r = (out, it) if return_indices else out
    if unbatched:
        return tuple(t.squeeze(0) for t in r) if return_indices else r.squeeze(0)
    return r


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D adaptive max pooling; ``return_indices`` adds the flat index of each maximum.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        output_size: the output length.
        return_indices: Default: ``False``.

    Example:
        >>> import ember
        >>> ember.nn.functional.adaptive_max_pool1d(ember.tensor([[1., 5., 3.]]), 2).tolist()
        [[5.0, 5.0]]
    """
    return _adaptive_max(1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-D adaptive max pooling (see :func:`adaptive_max_pool1d`).

    Example:
        >>> import ember
        >>> ember.nn.functional.adaptive_max_pool2d(ember.ones(1, 5, 7), 3).shape
        ember.Size([1, 3, 3])
    """
    return _adaptive_max(2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """3-D adaptive max pooling (see :func:`adaptive_max_pool1d`).

    Example:
        >>> import ember
        >>> ember.nn.functional.adaptive_max_pool3d(ember.ones(1, 1, 3, 3, 3), 2).shape
        ember.Size([1, 1, 2, 2, 2])
    """
    return _adaptive_max(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    """:func:`adaptive_max_pool1d` returning ``(output, indices)``."""
    return _adaptive_max(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    """:func:`adaptive_max_pool2d` returning ``(output, indices)``."""
    return _adaptive_max(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """:func:`adaptive_max_pool3d` returning ``(output, indices)``."""
    return _adaptive_max(3, input, output_size, True)


# ---------------------------------------------------------------------- max-unpooling
def _unpool(nd, input, indices, kernel_size, stride, padding, output_size):
    import ember

    from ._pool import _tuple
    op = f"max_unpool{nd}d"
    if not isinstance(input, Tensor) or not isinstance(indices, Tensor):
        raise TypeError(f"{op}(): input and indices must be Tensors")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"[{', '.join(map(str, input.shape))}]")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}(): Expected shape of indices to be same as that of the "
                           f"input tensor ({list(input.shape)}) but got indices tensor with "
                           f"shape: {list(indices.shape)}")
    k = _tuple(kernel_size, nd, op, "kernel_size")
    s = k if stride is None else _tuple(stride, nd, op, "stride")
    p = _tuple(padding, nd, op, "padding")
    size = input.shape[-nd:]
    default = [(n - 1) * ss - 2 * pp + kk for n, ss, pp, kk in zip(size, s, p, k, strict=True)]
    if output_size is None:
        osz = default
    else:
        output_size = list(output_size)
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        elif len(output_size) == nd + 1 and input.dim() == nd + 1:
            output_size = output_size[1:]
        if len(output_size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for d, (o, df, ss) in enumerate(zip(output_size, default, s, strict=True)):
            if not df - ss < o < df + ss:
                raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must '
                                 f"be between {df - ss} and {df + ss})")
        osz = [int(o) for o in output_size]
    lead = tuple(input.shape[:-nd])
    plane = math.prod(osz)
    x = input.reshape(*lead, -1)
    idx = indices.reshape(*lead, -1)
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= plane):
        raise RuntimeError(f"{op}(): Found an invalid max index: {int(idx.max())} (output "
                           f"volumes are of size {'x'.join(map(str, osz))})")
    out = ember.zeros(*lead, plane, dtype=input.dtype, device=input.device)
    return out.scatter(x.dim() - 1, idx, x).reshape(*lead, *osz)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of :func:`max_pool1d`: put each value at its index, zeros elsewhere.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        indices: the indices returned by ``max_pool1d(..., return_indices=True)``.
        kernel_size, stride, padding: the pool's. ``stride`` defaults to ``kernel_size``.
        output_size: optional target size (resolves the pool's rounding).

    Raises:
        ValueError: ``output_size`` of the wrong length or out of the admissible range.

    Example:
        >>> import ember
        >>> F = ember.nn.functional
        >>> F.max_unpool1d(ember.tensor([[3., 2.]]), ember.tensor([[1, 2]]), 2).tolist()
        [[0.0, 3.0, 2.0, 0.0]]
    """
    return _unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """2-D max-unpooling (see :func:`max_unpool1d`).

    Example:
        >>> import ember
        >>> F = ember.nn.functional
        >>> y, i = F.max_pool2d(ember.arange(16.).view(1, 1, 4, 4), 2, return_indices=True)
        >>> F.max_unpool2d(y, i, 2).sum().item()
        40.0
    """
    return _unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """3-D max-unpooling (see :func:`max_unpool1d`).

    Example:
        >>> import ember
        >>> F = ember.nn.functional
        >>> y, i = F.max_pool3d(ember.ones(1, 1, 2, 2, 2), 2, return_indices=True)
        >>> F.max_unpool3d(y, i, 2).shape
        ember.Size([1, 1, 2, 2, 2])
    """
    return _unpool(3, input, indices, kernel_size, stride, padding, output_size)
