"""Tensor kernels for geometry and dtype conversion on images of shape ``(..., C, H, W)``.

Every kernel is vectorised over the leading dimensions, keeps the input's dtype (integer images
are computed in float32 and rounded back) and never mutates its input.
"""

from __future__ import annotations

import numbers

import numpy as np

import ember
import ember.nn.functional as F

__all__ = []

_INT_MAX = {ember.uint8: 255, ember.int8: 127, ember.int16: 32767,
            ember.int32: 2**31 - 1, ember.int64: 2**63 - 1}


def _max_value(dtype) -> float:
    """Largest value of an image of ``dtype``: 1.0 for floats, the integer maximum otherwise."""
    if dtype.is_floating_point:
        return 1.0
    if dtype not in _INT_MAX:
        raise TypeError(f"image dtype {dtype} is not supported; expected a float or an integer "
                        f"dtype among {sorted(str(d) for d in _INT_MAX)}")
    return _INT_MAX[dtype]


def _assert_image_tensor(img, fname: str) -> None:
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"{fname}(): img should be a Tensor or a PIL Image, got "
                        f"{type(img).__name__}")
    if img.ndim < 2:
        raise TypeError(f"{fname}(): tensor is not a torch image: expected at least 2 dimensions "
                        f"(..., H, W), got shape {tuple(img.shape)}")


def get_dimensions(img) -> list[int]:
    """``[channels, height, width]`` of a ``(..., C, H, W)`` or ``(H, W)`` image tensor."""
    channels = 1 if img.ndim == 2 else int(img.shape[-3])
    return [channels, int(img.shape[-2]), int(img.shape[-1])]


def _to_nchw_float(img, float_dtypes=(ember.float32, ember.float64)):
    """Reshape to ``(N, C, H, W)`` and cast to float; returns what ``_from_nchw`` needs."""
    shape = tuple(img.shape)
    x = img.reshape(1, 1, *shape) if img.ndim == 2 else img.reshape(-1, *shape[-3:])
    out_dtype = img.dtype
    if out_dtype not in float_dtypes:
        x = x.to(float_dtypes[0])
    return x, shape, out_dtype


def _from_nchw(x, shape, out_dtype):
    """Undo ``_to_nchw_float``: round and cast integer images back, restore leading dims."""
    x = x.reshape(*shape[:-2], *x.shape[-2:])
    if x.dtype != out_dtype:
        if not out_dtype.is_floating_point:
            x = ember.round(x)
        x = x.to(out_dtype)
    return x


# ------------------------------------------------------------------------------ flips and crops

def hflip(img):
    """Mirror the last (width) axis."""
    _assert_image_tensor(img, "hflip")
    return img.flip(-1)


def vflip(img):
    """Mirror the height axis."""
    _assert_image_tensor(img, "vflip")
    return img.flip(-2)


def crop(img, top: int, left: int, height: int, width: int):
    """``img[..., top:top+height, left:left+width]``, zero-padding parts outside the image."""
    _assert_image_tensor(img, "crop")
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


# ------------------------------------------------------------------------------ padding

def _parse_padding(padding) -> list[int]:
    """Normalise an int / 1- / 2- / 4-sequence padding to ``[left, top, right, bottom]``."""
    if isinstance(padding, bool) or not isinstance(padding, (numbers.Integral, tuple, list)):
        raise TypeError(f"pad(): got inappropriate padding arg {padding!r}: expected an int or a "
                        f"sequence of ints")
    if isinstance(padding, numbers.Integral):
        return [int(padding)] * 4
    if len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if not all(isinstance(p, numbers.Integral) for p in padding):
        raise TypeError(f"pad(): padding values must be ints, got {padding!r}")
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return padding


def _pad_indices(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """Source index of every output position along one axis for the index-based pad modes."""
    i = np.arange(-before, n + after)
    if mode == "edge":
        return np.clip(i, 0, n - 1)
    if mode == "reflect":
        period = 2 * (n - 1)
        if period == 0:
            return np.zeros_like(i)
        j = np.mod(i, period)
        return np.where(j >= n, period - j, j)
    j = np.mod(i, 2 * n)  # symmetric: the edge pixel is repeated
    return np.where(j >= n, 2 * n - 1 - j, j)


_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the last two axes by ``[left, top, right, bottom]`` (negative values crop).

    ``constant`` writes ``fill``; ``edge`` repeats the border pixel; ``reflect`` mirrors without
    repeating it (``[1,2,3] -> [3,2,1,2,3]``); ``symmetric`` mirrors repeating it
    (``[1,2,3] -> [2,1,1,2,3]``). Works on every dtype and any number of leading dimensions.
    """
    _assert_image_tensor(img, "pad")
    if fill is None:
        fill = 0
    if not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError(f"pad(): got inappropriate fill arg {fill!r}: expected a number")
    if isinstance(fill, (tuple, list)):
        if len(fill) != 1:
            raise ValueError(f"pad(): a sequence fill must have one value for tensors, got "
                             f"{fill!r}")
        fill = fill[0]
    if not isinstance(padding_mode, str):
        raise TypeError(f"pad(): got inappropriate padding_mode arg {padding_mode!r}")
    if padding_mode not in _PAD_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric, "
                         f"got {padding_mode!r}")
    left, top, right, bottom = _parse_padding(padding)
    h, w = int(img.shape[-2]), int(img.shape[-1])
    if padding_mode == "constant":
        if min(left, top, right, bottom) < 0:  # negative padding crops first
            img = img[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
            left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
        if not (left or top or right or bottom):
            return img.clone()
        oh, ow = int(img.shape[-2]) + top + bottom, int(img.shape[-1]) + left + right
        out = ember.full((*img.shape[:-2], oh, ow), fill, dtype=img.dtype, device=img.device)
        out[..., top:top + img.shape[-2], left:left + img.shape[-1]] = img
        return out
    if padding_mode == "reflect" and (max(left, right) >= w or max(top, bottom) >= h):
        raise ValueError(f"pad(): reflect padding {[left, top, right, bottom]} must be smaller "
                         f"than the image size (H={h}, W={w})")
    rows = ember.as_tensor(_pad_indices(h, top, bottom, padding_mode), device=img.device)
    cols = ember.as_tensor(_pad_indices(w, left, right, padding_mode), device=img.device)
    return ember.index_select(ember.index_select(img, -2, rows), -1, cols)


# ------------------------------------------------------------------------------ resize

def resize(img, size: list[int], interpolation: str = "bilinear", antialias: bool | None = True):
    """Resample the last two axes to ``size = [h, w]`` with ``ember.nn.functional.interpolate``.

    Integer images are resampled in float32 and rounded back (bicubic clamps to the dtype range
    first); ``antialias`` only applies to bilinear/bicubic.
    """
    _assert_image_tensor(img, "resize")
    if antialias is None or interpolation not in ("bilinear", "bicubic"):
        antialias = False
    x, shape, out_dtype = _to_nchw_float(img)
    align_corners = False if interpolation in ("bilinear", "bicubic") else None
    x = F.interpolate(x, size=list(size), mode=interpolation, align_corners=align_corners,
                      antialias=antialias)
    if interpolation == "bicubic" and not out_dtype.is_floating_point:
        x = x.clamp(0, _max_value(out_dtype))
    return _from_nchw(x, shape, out_dtype)


# ------------------------------------------------------------------------------ grid transforms

def _affine_grid(matrix: list[float], w: int, h: int, ow: int, oh: int,
                 dtype=np.float32) -> np.ndarray:
    """Normalised sampling grid ``(1, oh, ow, 2)`` for an inverse affine ``matrix`` (2x3, centre
    origin): output pixel centre ``p`` reads input point ``matrix @ [p, 1]``.

    NOTE: built in the sampling dtype (float32 for float32/integer images) in the same order as
    torchvision (``[x, y, 1] @ (theta.T / [w/2, h/2])``), so nearest-neighbour ties at exact
    half-pixel positions (e.g. 30 degree rotations) resolve the same way.
    """
    xs = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, ow, dtype=dtype)
    ys = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, oh, dtype=dtype)
    base = np.ones((oh, ow, 3), dtype=dtype)
    base[..., 0] = xs[None, :]
    base[..., 1] = ys[:, None]
    theta = np.asarray(matrix, dtype=dtype).reshape(2, 3)
    rescaled = theta.T / np.array([0.5 * w, 0.5 * h], dtype=dtype)
    return (base.reshape(-1, 3) @ rescaled).reshape(1, oh, ow, 2)


def _perspective_grid(coeffs: list[float], w: int, h: int, dtype=np.float32) -> np.ndarray:
    """Normalised grid for Pillow's perspective convention:
    ``x_in = (c0 x + c1 y + c2) / (c6 x + c7 y + 1)``, same for ``y_in`` with ``c3, c4, c5``
    (built in the sampling dtype in torchvision's order, see ``_affine_grid``)."""
    c = [float(v) for v in coeffs]
    base = np.ones((h, w, 3), dtype=dtype)
    base[..., 0] = np.linspace(0.5, w - 0.5, w, dtype=dtype)[None, :]
    base[..., 1] = np.linspace(0.5, h - 0.5, h, dtype=dtype)[:, None]
    base = base.reshape(-1, 3)
    theta1 = np.array([[c[0], c[1], c[2]], [c[3], c[4], c[5]]], dtype=dtype)
    theta2 = np.array([[c[6], c[7], 1.0], [c[6], c[7], 1.0]], dtype=dtype)
    num = base @ (theta1.T / np.array([0.5 * w, 0.5 * h], dtype=dtype))
    den = base @ theta2.T
    return (num / den - 1.0).reshape(1, h, w, 2)


def _grid_dtype(img):
    return np.float64 if img.dtype == ember.float64 else np.float32


def _apply_grid(img, grid: np.ndarray, mode: str, fill):
    """Sample ``img`` at ``grid`` (zeros outside) and paint ``fill`` where the source is outside.

    NOTE: an extra all-ones channel is sampled with the image; its value is the fraction of the
    output pixel that came from inside the image, used to blend in ``fill`` (bilinear) or to
    select it (nearest, threshold 0.5) exactly as torchvision does.
    """
    x, shape, out_dtype = _to_nchw_float(img)
    n, c = int(x.shape[0]), int(x.shape[1])
    if isinstance(grid, ember.Tensor):
        g = grid.to(dtype=x.dtype, device=img.device)
    else:
        g = ember.as_tensor(grid.astype(np.float32 if x.dtype == ember.float32 else np.float64),
                            device=img.device)
    g = g.expand(n, *g.shape[1:])
    if fill is not None:
        x = ember.cat([x, ember.ones((n, 1, *x.shape[-2:]), dtype=x.dtype, device=x.device)], 1)
    x = F.grid_sample(x, g, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask, x = x[:, -1:], x[:, :-1]
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        if len(fill_list) not in (1, c):
            raise ValueError(f"The number of elements in 'fill' ({len(fill_list)}) does not match "
                             f"the number of channels of the image ({c})")
        fill_img = ember.as_tensor(fill_list, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        if mode == "nearest":
            x = ember.where(mask < 0.5, fill_img, x)
        else:
            x = x * mask + (1.0 - mask) * fill_img
    return _from_nchw(x, shape[:-2] + tuple(x.shape[-2:]), out_dtype)


def _check_grid_mode(interpolation: str, fname: str) -> None:
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"{fname}(): interpolation '{interpolation}' is unsupported for tensors; "
                         f"expected 'nearest' or 'bilinear'")


def _affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """Bounding size ``(w, h)`` of the image's corners mapped by the (inverse) ``matrix``."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    new = pts @ np.asarray(matrix, dtype=np.float32).reshape(2, 3).T
    lo = new.min(0) + np.array([w * 0.5, h * 0.5], dtype=np.float32)
    hi = new.max(0) + np.array([w * 0.5, h * 0.5], dtype=np.float32)
    tol = 1e-4  # NOTE: truncate to 1e-4 so that ceil(1e-15) does not add a pixel
    size = np.ceil(np.trunc(hi / tol) * tol) - np.floor(np.trunc(lo / tol) * tol)
    return int(size[0]), int(size[1])


def affine(img, matrix: list[float], interpolation: str = "nearest", fill=None):
    """Apply the inverse affine ``matrix`` (centre-origin pixel coordinates) with grid sampling."""
    _assert_image_tensor(img, "affine")
    _check_grid_mode(interpolation, "affine")
    h, w = int(img.shape[-2]), int(img.shape[-1])
    grid = _affine_grid(matrix, w, h, w, h, _grid_dtype(img))
    return _apply_grid(img, grid, interpolation, fill)


def rotate(img, matrix: list[float], interpolation: str = "nearest", expand: bool = False,
           fill=None):
    """Rotate with the inverse ``matrix``; ``expand`` grows the canvas to hold the whole image."""
    _assert_image_tensor(img, "rotate")
    _check_grid_mode(interpolation, "rotate")
    h, w = int(img.shape[-2]), int(img.shape[-1])
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    grid = _affine_grid(matrix, w, h, ow, oh, _grid_dtype(img))
    return _apply_grid(img, grid, interpolation, fill)


def perspective(img, perspective_coeffs: list[float], interpolation: str = "bilinear",
                fill=None):
    """Warp with Pillow's 8 perspective coefficients (output pixel -> input point)."""
    _assert_image_tensor(img, "perspective")
    _check_grid_mode(interpolation, "perspective")
    if len(perspective_coeffs) != 8:
        raise ValueError(f"perspective(): expected 8 coefficients, got {len(perspective_coeffs)}")
    h, w = int(img.shape[-2]), int(img.shape[-1])
    grid = _perspective_grid(perspective_coeffs, w, h, _grid_dtype(img))
    return _apply_grid(img, grid, interpolation, fill)


def _gaussian_kernel1d(ksize: int, sigma: float) -> np.ndarray:
    half = (ksize - 1) * 0.5
    x = np.linspace(-half, half, ksize)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(img, kernel_size: list[int], sigma: list[float]):
    """Separable Gaussian blur with reflect padding; ``kernel_size = [kx, ky]`` (odd)."""
    _assert_image_tensor(img, "gaussian_blur")
    x, shape, out_dtype = _to_nchw_float(img)
    n, c, h, w = (int(s) for s in x.shape)
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0])
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1])
    k2d = np.outer(ky, kx).astype(np.float32 if x.dtype == ember.float32 else np.float64)
    weight = ember.as_tensor(k2d, device=x.device).reshape(1, 1, *k2d.shape)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    x = F.pad(x, [px, px, py, py], mode="reflect").reshape(n * c, 1, h + 2 * py, w + 2 * px)
    x = F.conv2d(x, weight).reshape(n, c, h, w)
    return _from_nchw(x, shape, out_dtype)


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Overwrite ``img[..., i:i+h, j:j+w]`` with ``v`` (a copy unless ``inplace``)."""
    _assert_image_tensor(img, "erase")
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img


def elastic(img, displacement, interpolation: str = "bilinear", fill=None):
    """Sample at the pixel centres plus ``displacement`` (``(1, H, W, 2)``, normalised units)."""
    _assert_image_tensor(img, "elastic_transform")
    _check_grid_mode(interpolation, "elastic_transform")
    h, w = int(img.shape[-2]), int(img.shape[-1])
    if tuple(displacement.shape) != (1, h, w, 2):
        raise ValueError(f"Argument displacement shape should be (1, {h}, {w}, 2), but given "
                         f"{tuple(displacement.shape)}")
    xs = np.linspace((-w + 1) / w, (w - 1) / w, w)
    ys = np.linspace((-h + 1) / h, (h - 1) / h, h)
    identity = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None]), -1)[None]
    dtype = img.dtype if img.dtype.is_floating_point else ember.float32
    grid = ember.as_tensor(identity, dtype=dtype, device=img.device) + displacement.to(dtype)
    return _apply_grid(img, grid, interpolation, fill)
