"""Fractional max pooling (Graham, 2015): max over ``k``-wide windows at pseudo-random strides.

Along a dimension of size ``n`` pooled to ``o`` outputs with window ``k`` and one sample
``u`` in [0, 1) per (batch, channel) plane, PyTorch's interval formula places window ``i`` at

.. math::
    \\alpha = \\frac{n - k}{o - 1},\\qquad
    \\text{start}_i = \\lfloor (i + u)\\,\\alpha \\rfloor - \\lfloor u\\,\\alpha \\rfloor
    \\;(i < o - 1),\\qquad \\text{start}_{o-1} = n - k,

computed in the input's floating dtype.  The window's flat candidate indices are gathered for
every plane at once and the first maximum (a NaN wins, the last one as in PyTorch) is selected;
the output is a ``gather`` of the input, so its backward (a scatter-add) and double backward
come from that op.  The samples are ``_random_samples[n, c, :]`` ordered (width, height) in 2-D
and (time, height, width) in 3-D, as in PyTorch.

Example:
    >>> import ember
    >>> import ember.nn.functional as F
    >>> x = ember.arange(16.).view(1, 1, 4, 4)
    >>> u = ember.full((1, 1, 2), 0.5)
    >>> F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=u).flatten().tolist()
    [5.0, 7.0, 13.0, 15.0]
"""

from __future__ import annotations

import math

import numpy as np

from ..._tensor import Tensor
from ...ops._dispatch import xp_of
from ._pool import _tuple

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]

_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}
# position of each spatial dimension's sample in _random_samples[n, c, :]
_SAMPLE_SLOT = {2: (1, 0), 3: (0, 1, 2)}


def _ratios(op, v, nd):
    if isinstance(v, (int, float, np.integer, np.floating)):
        return (float(v),) * nd
    v = tuple(float(i) for i in v)
    if len(v) not in (1, nd):
        raise ValueError(f"{op} requires output_ratio to either be a single float or a tuple "
                         f"of {nd} floats, got {list(v)}")
    return v * nd if len(v) == 1 else v


def _check_samples(op, samples, nd, x):
    if not isinstance(samples, Tensor):
        raise TypeError(f"{op}(): argument '_random_samples' must be Tensor, not "
                        f"{type(samples).__name__}")
    if samples.dim() != 3 or samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples of shape (N, C, {nd}); got "
                           f"[{', '.join(map(str, samples.shape))}]")
    if samples.dtype != x.dtype:
        raise RuntimeError(f"Expect _random_samples to have the same dtype as input, got "
                           f"{samples.dtype} and {x.dtype}")
    n, c = x.shape[:2]
    if samples.shape[0] < n or samples.shape[1] < c:
        raise RuntimeError(f"{op}(): _random_samples of shape "
                           f"[{', '.join(map(str, samples.shape))}] has fewer than the "
                           f"input's {n} batch entries or {c} channels")


def _starts(xp, u, n, o, k, dtype):
    """Window starts, shape ``u.shape + (o,)``, from PyTorch's interval formula."""
    if o == 0:
        return xp.zeros(u.shape + (0,), dtype=np.int64)
    last = xp.full(u.shape + (1,), n - k, dtype=np.int64)
    if o == 1:
        return last
    # NOTE: the arithmetic runs in the input's dtype (float32 stays float32) and truncates,
    # exactly like the C++ kernel, so a float32 window lands where PyTorch's does.
    alpha = dtype.type(n - k) / dtype.type(o - 1)
    i = xp.arange(o - 1, dtype=dtype)
    head = (((i + u[..., None]) * alpha).astype(np.int64)
            - (u * alpha).astype(np.int64)[..., None])
    return xp.concatenate([head, last], axis=-1)


def _fractional(nd, input, kernel_size, output_size, output_ratio, return_indices,
                _random_samples):
    import ember
    op = f"fractional_max_pool{nd}d"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"[{', '.join(map(str, input.shape))}]")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{op}(): expected a floating-point input, got {input.dtype}")
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    k = _tuple(kernel_size, nd, op, "kernel_size")
    if output_size is None:
        ratio = _ratios(op, output_ratio, nd)
        output_size = [int(n * r) for n, r in zip(input.shape[-nd:], ratio, strict=True)]
    osz = _tuple(output_size, nd, op, "output_size")
    unbatched = input.dim() == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    size = tuple(x.shape[2:])
    for name, n, o, kk in zip(_DIM_NAMES[nd], size, osz, k, strict=True):
        if kk <= 0 or o < 0:
            raise RuntimeError(f"{op}(): kernel_size must be positive and output_size "
                               f"non-negative, got kernel_size={list(k)}, "
                               f"output_size={list(osz)}")
        # NOTE: PyTorch's 3-D kernel also rejects a window that exactly fits (o + k - 1 == n)
        if o + kk - 1 > n or (nd == 3 and o + kk - 1 == n):
            raise RuntimeError(f"{op}(): pool {name} {kk} too large relative to input "
                               f"{name} {n}")
    if _random_samples is None:
        _random_samples = ember.rand(x.shape[0], x.shape[1], nd, dtype=x.dtype,
                                     device=x.device)
    _check_samples(op, _random_samples, nd, x)
    xp = xp_of(x._data)
    n_, c = x.shape[:2]
    u = _random_samples._data[:n_, :c]
    cand = xp.zeros((n_, c) + (1,) * (2 * nd), dtype=np.int64)
    for d in range(nd):
        starts = _starts(xp, u[..., _SAMPLE_SLOT[nd][d]], size[d], osz[d], k[d], x._data.dtype)
        ids = starts[..., None] + xp.arange(k[d], dtype=np.int64)  # (N, C, o_d, k_d)
        shape = [n_, c] + [1] * (2 * nd)
        shape[2 + d], shape[2 + nd + d] = osz[d], k[d]
        cand = cand + ids.reshape(shape) * math.prod(size[d + 1:])
    cand = cand.reshape(n_, c, *osz, math.prod(k))
    flat = x._data.reshape(n_, c, -1)
    vals = xp.take_along_axis(flat, cand.reshape(n_, c, -1), 2).reshape(cand.shape)
    arg = vals.argmax(-1)  # the first maximum; a NaN beats everything
    nan = xp.isnan(vals)
    if bool(nan.any()):  # PyTorch keeps the last NaN of a window
        last_nan = vals.shape[-1] - 1 - nan[..., ::-1].argmax(-1)
        arg = xp.where(nan.any(-1), last_nan, arg)
    idx = xp.ascontiguousarray(xp.take_along_axis(cand, arg[..., None], -1)[..., 0])
    it = Tensor._make(idx)
    out = x.reshape(n_, c, -1).gather(2, it.reshape(n_, c, -1)).reshape(it.shape)
    if unbatched:
        out, it = out.squeeze(0), it.squeeze(0)
    return (out, it) if return_indices else out


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """2-D fractional max pooling: ``kH × kW`` windows at pseudo-random strides.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``, floating point.
        kernel_size: the window size, an int or ``(kH, kW)``.
        output_size: ``(oH, oW)`` or an int; give this or ``output_ratio``. Default: ``None``.
        output_ratio: output size as a fraction of the input's, ``int(H * ratio)``.
            Default: ``None``.
        return_indices: also return the flat ``h * W + w`` index of every maximum (for
            :func:`max_unpool2d`). Default: ``False``.
        _random_samples: ``(N, C, 2)`` samples in [0, 1), ordered (width, height); drawn with
            :func:`ember.rand` when ``None``. Default: ``None``.

    Shape:
        ``(N, C, H, W)`` → ``(N, C, oH, oW)``.

    Raises:
        ValueError: neither ``output_size`` nor ``output_ratio`` given.
        RuntimeError: wrong input rank, a window that does not fit (``o + k - 1 > n``), or
            samples of the wrong shape or dtype.

    Example:
        >>> import ember
        >>> x = ember.arange(25.).view(1, 1, 5, 5)
        >>> u = ember.full((1, 1, 2), 0.25)
        >>> ember.nn.functional.fractional_max_pool2d(x, 2, output_size=3,
        ...                                           _random_samples=u).flatten().tolist()
        [6.0, 7.0, 9.0, 11.0, 12.0, 14.0, 21.0, 22.0, 24.0]
    """
    return _fractional(2, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """3-D fractional max pooling (see :func:`fractional_max_pool2d`).

    Args:
        input: ``(N, C, T, H, W)`` or ``(C, T, H, W)``, floating point.
        kernel_size: an int or ``(kT, kH, kW)``.
        output_size: ``(oT, oH, oW)`` or an int. Default: ``None``.
        output_ratio: fraction of the input size. Default: ``None``.
        return_indices: also return the flat ``(t * H + h) * W + w`` indices. Default: ``False``.
        _random_samples: ``(N, C, 3)`` samples in [0, 1), ordered (time, height, width).
            Default: ``None``.

    Example:
        >>> import ember
        >>> x = ember.randn(2, 3, 8, 8, 8)
        >>> ember.nn.functional.fractional_max_pool3d(x, 2, output_ratio=0.5).shape
        ember.Size([2, 3, 4, 4, 4])
    """
    return _fractional(3, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """:func:`fractional_max_pool2d` returning ``(output, indices)``."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """:func:`fractional_max_pool3d` returning ``(output, indices)``."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, True, _random_samples)
