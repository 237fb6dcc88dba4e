"""Resampling: ``interpolate`` (and the deprecated ``upsample*``), ``grid_sample``, ``affine_grid``.

``interpolate`` is separable: along each spatial axis the output sample ``o`` reads ``K`` input
samples ``idx[o, :]`` with weights ``w[o, :]`` (both computed from the sizes only, with
PyTorch's source-index formulas), so one ``index_select`` and one weighted sum per axis do the
whole resampling and autograd comes from those ops.  ``grid_sample`` gathers the ``2^d``
(bilinear), ``1`` (nearest) or ``16`` (bicubic) taps of every grid point from the flattened
input; its weights are ember expressions of the grid, so the grid gets gradients too.

Example:
    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.interpolate(ember.tensor([[[1., 3.]]]), scale_factor=2, mode="linear").tolist()
    [[[1.0, 1.5, 2.5, 3.0]]]
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from ..._tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "grid_sample",
           "affine_grid"]

_A = -0.75  # cubic convolution constant of the non-antialiased bicubic kernels
_LINEAR_MODES = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _cc1(x, a):  # |x| <= 1
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cc2(x, a):  # 1 < |x| < 2
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _cubic_coeffs(t, a=_A):
    """The four cubic-convolution weights of taps ``-1, 0, 1, 2`` at fraction ``t``."""
    return [_cc2(t + 1, a), _cc1(t, a), _cc1(1 - t, a), _cc2(2 - t, a)]


def _area_scale(n_in, n_out, align_corners, scale):
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _source_index(scale, dst, align_corners, cubic):
    if align_corners:
        return scale * dst
    src = scale * (dst + 0.5) - 0.5
    return src if cubic else np.maximum(src, 0.0)


def _axis_nearest(n_in, n_out, scale, exact, shortcut):
    dst = np.arange(n_out)
    # PyTorch's 2-D nearest kernel short-cuts equal and doubled sizes whatever the scale
    if shortcut and n_out == n_in:
        return dst[:, None], None
    if shortcut and n_out == 2 * n_in:
        return (dst >> 1)[:, None], None
    # PyTorch's scale and source positions are float32
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else \
        np.float32(n_in) / np.float32(n_out)
    pos = dst.astype(np.float32) + np.float32(0.5 if exact else 0.0)
    src = np.floor(pos * s).astype(np.int64)
    return np.minimum(src, n_in - 1)[:, None], None


def _axis_linear(n_in, n_out, align_corners, scale):
    dst = np.arange(n_out)
    if n_out == n_in:
        return dst[:, None], None
    s = _area_scale(n_in, n_out, align_corners, scale)
    src = _source_index(s, dst.astype(np.float64), align_corners, False)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0, 0.0, 1.0)
    i1 = i0 + (i0 < n_in - 1)
    return np.stack([i0, i1], 1), np.stack([1 - lam, lam], 1)


def _axis_cubic(n_in, n_out, align_corners, scale):
    s = _area_scale(n_in, n_out, align_corners, scale)
    src = _source_index(s, np.arange(n_out, dtype=np.float64), align_corners, True)
    i0 = np.floor(src)
    t = src - i0
    idx = np.clip(i0.astype(np.int64)[:, None] + np.arange(-1, 3)[None, :], 0, n_in - 1)
    return idx, np.stack(_cubic_coeffs(t), 1)


def _axis_antialias(n_in, n_out, align_corners, scale, cubic):
    """PyTorch's separable antialias weights: filter support scaled by the downscale factor."""
    s = _area_scale(n_in, n_out, align_corners, scale)
    interp = 4 if cubic else 2
    support = interp / 2 * s if s >= 1.0 else interp / 2 * 1.0
    max_interp = int(math.ceil(support)) * 2 + 1
    invscale = 1.0 / s if s >= 1.0 else 1.0
    center = s * (np.arange(n_out) + 0.5)
    xmin = np.maximum((center - support + 0.5).astype(np.int64), 0)
    xsize = np.clip(np.minimum((center + support + 0.5).astype(np.int64), n_in) - xmin,
                    0, max_interp)
    j = np.arange(max_interp)[None, :]
    x = np.abs((j + xmin[:, None] - center[:, None] + 0.5) * invscale)
    if cubic:  # Keys cubic with a = -0.5 (PIL's), as PyTorch's antialiased bicubic
        w = np.where(x < 1.0, _cc1(x, -0.5), np.where(x < 2.0, _cc2(x, -0.5), 0.0))
    else:
        w = np.maximum(1.0 - x, 0.0)
    w = np.where(j < xsize[:, None], w, 0.0)
    total = w.sum(1, keepdims=True)
    w = np.divide(w, total, out=np.zeros_like(w), where=total != 0)
    return np.minimum(xmin[:, None] + j, n_in - 1), w


def _resample_axis(x, axis, idx, w):
    """Gather ``idx`` (O, K) along ``axis`` and contract the K taps with weights ``w``."""
    import ember
    o, k = idx.shape
    y = x.index_select(axis, ember.tensor(idx.reshape(-1), device=x.device))
    if w is None:
        return y
    y = y.reshape(*x.shape[:axis], o, k, *x.shape[axis + 1:])
    wt = ember.tensor(w, dtype=x.dtype, device=x.device)
    return (y * wt.reshape(o, k, *(1,) * (x.dim() - axis - 1))).sum(axis + 1)


def _is_integer(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool) or (
        isinstance(v, Tensor) and not v.is_floating_point())


def _output_size(input, dim, size, scale_factor, recompute_scale_factor, mode):
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    scales = None
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(v) for v in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                "or Tuple[int, int, int], but got size with types "
                                f"{[type(v) for v in size]}")
            out = [int(v) for v in size]
        else:
            out = [int(size)] * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        out = [int(n * s) for n, s in zip(input.shape[2:], scales, strict=True)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or mode == "area":
        scales = None
    if any(o <= 0 for o in out) or any(n <= 0 for n in input.shape[2:]):
        raise RuntimeError(f"interpolate(): input and output sizes should be greater than 0, "
                           f"but got input {list(input.shape[2:])} and output {out}")
    return out, scales or [None] * dim


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    r"""Resample ``input`` to ``size`` (or ``scale_factor`` times its spatial size).

    Along each spatial axis, output index ``o`` maps to the source coordinate
    ``s = scale * o`` (``align_corners=True``, ``scale = (in - 1) / (out - 1)``) or
    ``s = scale * (o + 0.5) - 0.5`` (otherwise, ``scale = 1 / scale_factor`` when a scale factor
    is given and ``recompute_scale_factor`` is not true, else ``in / out``).  ``nearest`` reads
    ``floor(o * scale)``, ``nearest-exact`` ``floor((o + 0.5) * scale)``, the linear modes
    blend the two neighbours of ``s``, ``bicubic`` four with the cubic convolution kernel
    (``A = -0.75``, indices clamped to the border) and ``area`` is adaptive average pooling.
    ``antialias=True`` (bilinear/bicubic) widens the filter by the downscale factor.

    Args:
        input (Tensor): ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        size (int or tuple, optional): output spatial size. Default: ``None``.
        scale_factor (float or tuple, optional): spatial multiplier. Default: ``None``.
        mode (str): ``'nearest'`` | ``'nearest-exact'`` | ``'linear'`` | ``'bilinear'`` |
            ``'bicubic'`` | ``'trilinear'`` | ``'area'``. Default: ``'nearest'``.
        align_corners (bool, optional): align the corner pixel centres (linear modes only).
            Default: ``None`` (``False``).
        recompute_scale_factor (bool, optional): derive the kernel's scale from the computed
            output size instead of ``scale_factor``. Default: ``None``.
        antialias (bool): antialiased downsampling (bilinear/bicubic, 4-D). Default: ``False``.

    Shape:
        ``(N, C, *S)`` to ``(N, C, *S_out)``.

    Raises:
        ValueError: both or neither of size/scale_factor, wrong lengths, ``align_corners`` with a
            non-interpolating mode, ``antialias`` with an unsupported mode.
        NotImplementedError: a mode that does not fit the input's rank.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.interpolate(ember.tensor([[[1., 2.]]]), size=4).tolist()
        [[[1.0, 1.0, 2.0, 2.0]]]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    need = _LINEAR_MODES.get(mode)
    if mode != "bicubic" and need and input.dim() in (3, 4, 5) and need != input.dim():
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need}D input")
    if input.dim() not in (3, 4, 5) or mode not in (*_LINEAR_MODES, "nearest", "nearest-exact",
                                                     "area"):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
            "the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact"
            f" (got {mode})")
    out, scales = _output_size(input, dim, size, scale_factor, recompute_scale_factor, mode)
    if antialias and not (mode in ("bilinear", "bicubic") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and "
                         "requires a 4-D tensor as input")
    if mode not in ("nearest", "nearest-exact") and not input.is_floating_point():
        raise NotImplementedError(f"interpolate(): mode '{mode}' is not implemented for "
                                  f"{input.dtype} input (floating point expected)")
    if mode == "area":
        from ._pool_adaptive import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1](input,
                                                                                         out)
    y = input
    for i, (n_in, n_out, sc) in enumerate(zip(input.shape[2:], out, scales, strict=True)):
        if antialias:
            idx, w = _axis_antialias(n_in, n_out, align_corners, sc, mode == "bicubic")
        elif mode in ("nearest", "nearest-exact"):
            idx, w = _axis_nearest(n_in, n_out, sc, mode == "nearest-exact",
                                   mode == "nearest" and dim == 2)
        elif mode == "bicubic":
            idx, w = _axis_cubic(n_in, n_out, align_corners, sc)
        else:
            idx, w = _axis_linear(n_in, n_out, align_corners, sc)
        y = _resample_axis(y, 2 + i, idx, w)
    return y


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (warns, as PyTorch does).

    Example:
        >>> import warnings, ember
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     ember.nn.functional.upsample(ember.ones(1, 1, 2), scale_factor=2).shape
        ember.Size([1, 1, 4])
    """
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')`` (warns).

    Example:
        >>> import warnings, ember
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     ember.nn.functional.upsample_nearest(ember.ones(1, 1, 2, 2), 3).shape
        ember.Size([1, 1, 3, 3])
    """
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)`` (warns).

    Example:
        >>> import warnings, ember
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     ember.nn.functional.upsample_bilinear(ember.ones(1, 1, 2, 2), 3).shape
        ember.Size([1, 1, 3, 3])
    """
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _unnormalize(c, n, align_corners):
    return (c + 1) / 2 * (n - 1) if align_corners else ((c + 1) * n - 1) / 2


def _reflect(c, twice_low, twice_high):
    import ember
    if twice_low == twice_high:
        return c * 0
    lo, span = twice_low / 2, (twice_high - twice_low) / 2
    c = (c - lo).abs()
    extra = ember.fmod(c, span)
    flips = ember.floor(c / span)
    return ember.where(ember.fmod(flips, 2) == 0, extra + lo, span - extra + lo)


def _pad_coord(c, n, padding_mode, align_corners):
    if padding_mode == "border":
        return c.clamp(0, n - 1)
    if padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align_corners else _reflect(c, -1, 2 * n - 1)
        return c.clamp(0, n - 1)
    return c


def _gather_taps(flat, sizes, taps):
    """Sum over taps ``(indices per dim, weight)`` of ``weight * input[indices]`` (0 outside)."""
    import ember
    n, c = flat.shape[:2]
    out = None
    for idx, w in taps:
        valid = None
        lin = None
        for d, (i, sz) in enumerate(zip(idx, sizes, strict=True)):
            ok = (i >= 0) & (i < sz)
            valid = ok if valid is None else valid & ok
            stride = math.prod(sizes[d + 1:])
            term = i.clamp(0, sz - 1) * stride
            lin = term if lin is None else lin + term
        v = flat.gather(2, lin.reshape(n, 1, -1).expand(n, c, -1))
        wv = ember.where(valid, w, ember.zeros((), dtype=w.dtype, device=w.device))
        term = v * wv.reshape(n, 1, -1)
        out = term if out is None else out + term
    return out


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    r"""Sample ``input`` at the normalised locations ``grid`` (spatial transformer sampling).

    ``grid[n, ..., :]`` holds ``(x, y[, z])`` in ``[-1, 1]``; a coordinate maps to the pixel
    position ``((c + 1) / 2) * (size - 1)`` (``align_corners=True``) or
    ``((c + 1) * size - 1) / 2``.  ``padding_mode`` decides what out-of-range positions read:
    ``'zeros'``, the clamped ``'border'`` or the ``'reflection'`` about the borders.  Bilinear
    weights ``(1 - t)`` / ``t`` per dimension, nearest rounds half to even, bicubic uses the
    cubic convolution kernel with ``A = -0.75``.

    Args:
        input (Tensor): ``(N, C, H, W)`` or ``(N, C, D, H, W)`` (bilinear/nearest only).
        grid (Tensor): ``(N, H_out, W_out, 2)`` or ``(N, D_out, H_out, W_out, 3)``.
        mode (str): ``'bilinear'`` | ``'nearest'`` | ``'bicubic'``. Default: ``'bilinear'``.
        padding_mode (str): ``'zeros'`` | ``'border'`` | ``'reflection'``. Default: ``'zeros'``.
        align_corners (bool, optional): ``-1``/``1`` are the corner pixels' centres.
            Default: ``None`` (``False``, with PyTorch's warning).

    Shape:
        ``(N, C, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``.

    Raises:
        ValueError: unknown ``mode`` or ``padding_mode``.
        RuntimeError: mismatched ranks, batch sizes, dtypes or last grid dimension.

    Example:
        >>> import ember
        >>> x = ember.arange(4.).view(1, 1, 2, 2)
        >>> g = ember.tensor([[[[0., 0.]]]])
        >>> ember.nn.functional.grid_sample(x, g, align_corners=False).item()
        1.5
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if "
                      "the old behavior is desired. See the documentation of grid_sample for "
                      "details.", stacklevel=2)
        align_corners = False
    import ember
    if input.dim() not in (4, 5) or grid.dim() != input.dim():
        raise RuntimeError("grid_sampler(): expected 4D or 5D input and grid with same number of "
                           f"dimensions, but got input with sizes {list(input.shape)} and grid "
                           f"with sizes {list(grid.shape)}")
    nd = input.dim() - 2
    if input.dtype != grid.dtype:
        raise RuntimeError("grid_sampler(): expected input and grid to have same dtype, but "
                           f"input has {input.dtype} and grid has {grid.dtype}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if any(s == 0 for s in input.shape[2:]):
        raise RuntimeError("grid_sampler(): expected input to have non-empty spatial dimensions, "
                           f"but input has sizes {list(input.shape)}")
    n, c = input.shape[:2]
    sizes = tuple(input.shape[2:])
    flat = input.reshape(n, c, -1)
    g = grid.reshape(n, -1, nd)
    # spatial dim d (D, H, W order) reads grid coordinate nd - 1 - d (x is the width)
    coords = [_unnormalize(g[..., nd - 1 - d], sizes[d], align_corners) for d in range(nd)]
    if mode == "bicubic":
        base = [ember.floor(cd).detach() for cd in coords]
        coeffs = [_cubic_coeffs(cd - b) for cd, b in zip(coords, base, strict=True)]
        taps = []
        for ky, kx in itertools.product(range(4), repeat=2):
            idx = []
            for d, k in enumerate((ky, kx)):
                pos = _pad_coord(base[d] + (k - 1), sizes[d], padding_mode, align_corners)
                idx.append(pos.long())
            taps.append((idx, coeffs[0][ky] * coeffs[1][kx]))
    else:
        coords = [_pad_coord(cd, sz, padding_mode, align_corners)
                  for cd, sz in zip(coords, sizes, strict=True)]
        if mode == "nearest":
            idx = [cd.detach().round().long() for cd in coords]
            # NOTE: a weight of exactly 1 (also for infinite coordinates) that stays connected
            # to the grid with a zero derivative, so the grid gets PyTorch's zero gradient
            taps = [(idx, coords[0].clamp(0, 0) * 0 + 1)]
        else:
            base = [ember.floor(cd).detach() for cd in coords]
            frac = [cd - b for cd, b in zip(coords, base, strict=True)]
            taps = []
            for bits in itertools.product((0, 1), repeat=nd):
                w = None
                for d, bit in enumerate(bits):
                    wd = frac[d] if bit else 1 - frac[d]
                    w = wd if w is None else w * wd
                taps.append(([(b + bit).long() for b, bit in zip(base, bits, strict=True)], w))
    out = _gather_taps(flat, sizes, taps)
    return out.reshape(n, c, *grid.shape[1:-1])


def _base_coords(n, align_corners):
    if n <= 1:
        return np.zeros(max(n, 0))
    r = np.linspace(-1.0, 1.0, n)
    return r if align_corners else r * (n - 1) / n


def affine_grid(theta, size, align_corners=None):
    r"""Sampling grid of the affine maps ``theta`` for an output of ``size`` (for grid_sample).

    ``grid[n, ..., :] = theta[n] @ (x, y[, z], 1)`` where ``(x, y, z)`` run over the normalised
    pixel centres: ``linspace(-1, 1, S)`` (``align_corners=True``) or that times ``(S - 1) / S``.

    Args:
        theta (Tensor): ``(N, 2, 3)`` (2-D) or ``(N, 3, 4)`` (3-D), floating point.
        size (tuple): the output size ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        align_corners (bool, optional): see :func:`grid_sample`. Default: ``None`` (``False``,
            with PyTorch's warning).

    Shape:
        ``(N, H, W, 2)`` or ``(N, D, H, W, 3)``.

    Raises:
        ValueError: non-floating ``theta``, a ``theta`` shape that does not fit ``size``,
            non-positive sizes.
        NotImplementedError: ``size`` of length other than 4 or 5.

    Example:
        >>> import ember
        >>> th = ember.tensor([[[1., 0., 0.], [0., 1., 0.]]])
        >>> ember.nn.functional.affine_grid(th, (1, 1, 1, 2), align_corners=False).tolist()
        [[[[-0.5, 0.0], [0.5, 0.0]]]]
    """
    import ember
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if "
                      "the old behavior is desired. See the documentation of grid_sample for "
                      "details.", stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError("Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{ember.Size(size)}. Got {theta.shape}.")
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError("Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{ember.Size(size)}. Got {theta.shape}.")
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {ember.Size(size)}")
    nd = len(spatial)
    axes = [_base_coords(s, align_corners) for s in spatial]  # D, H, W order
    mesh = np.meshgrid(*axes, indexing="ij")
    # last axis: (x, y[, z], 1) = (W, H[, D], 1) coordinates
    base = np.stack([mesh[nd - 1 - k] for k in range(nd)] + [np.ones(spatial)], -1)
    bt = ember.tensor(base.reshape(1, -1, nd + 1), dtype=theta.dtype, device=theta.device)
    grid = bt @ theta.transpose(1, 2)
    return grid.reshape(size[0], *spatial, nd)
