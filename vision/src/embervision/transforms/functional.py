"""Functional image transforms: every function takes a PIL image or an ember tensor.

Tensors are images of shape ``(..., C, H, W)`` (or ``(H, W)``), float in ``[0, 1]`` or integer in
``[0, max]``; PIL images go through Pillow exactly as in torchvision.
"""

from __future__ import annotations

import math
import numbers
import warnings
from enum import Enum

import numpy as np
from PIL import Image

import ember

from . import _functional_color as F_c
from . import _functional_pil as F_pil
from . import _functional_tensor as F_t
from ._conversion import pil_to_tensor, to_pil_image, to_tensor
from ._functional_color import convert_image_dtype, normalize

__all__ = [
    "InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
    "to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize", "resize",
    "pad", "crop", "center_crop", "resized_crop", "hflip", "vflip", "five_crop", "ten_crop",
    "rotate", "affine", "perspective", "to_grayscale", "rgb_to_grayscale", "adjust_brightness",
    "adjust_contrast", "adjust_saturation", "adjust_hue", "adjust_gamma", "adjust_sharpness",
    "invert", "posterize", "solarize", "autocontrast", "equalize", "gaussian_blur", "erase",
    "elastic_transform",
]


class InterpolationMode(Enum):
    """Interpolation modes; the values are the ``mode`` names of ``interpolate``."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    # PIL-only modes
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


pil_modes_mapping = {
    InterpolationMode.NEAREST: Image.Resampling.NEAREST,
    InterpolationMode.NEAREST_EXACT: Image.Resampling.NEAREST,
    InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
    InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
    InterpolationMode.BOX: Image.Resampling.BOX,
    InterpolationMode.HAMMING: Image.Resampling.HAMMING,
    InterpolationMode.LANCZOS: Image.Resampling.LANCZOS,
}

_PIL_INT_MODES = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                  3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                  5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _interpolation(mode) -> InterpolationMode:
    """Accept an InterpolationMode, its string value or a Pillow integer constant."""
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, str):
        return InterpolationMode(mode.lower())
    if isinstance(mode, int) and mode in _PIL_INT_MODES:
        return _PIL_INT_MODES[mode]
    raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                    f"Pillow integer constant, got {mode!r}")


def _is_tensor(img) -> bool:
    return isinstance(img, ember.Tensor)


def _check_img(img, fname: str) -> None:
    if not (_is_tensor(img) or F_pil._is_pil_image(img)):
        raise TypeError(f"{fname}(): img should be PIL Image or Tensor. Got {type(img)}")


def get_dimensions(img) -> list[int]:
    """``[channels, height, width]`` of an image.

    Example:
        >>> import ember
        >>> get_dimensions(ember.zeros(3, 4, 5))
        [3, 4, 5]
    """
    _check_img(img, "get_dimensions")
    return F_t.get_dimensions(img) if _is_tensor(img) else F_pil.get_dimensions(img)


def get_image_size(img) -> list[int]:
    """``[width, height]`` of an image."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    """Number of channels of an image."""
    return get_dimensions(img)[0]


# ------------------------------------------------------------------------------ geometry

def _compute_resized_output_size(image_size, size, max_size=None) -> list[int]:
    """Output ``[h, w]``: ``size`` as is, or the short edge set to ``size[0]`` keeping aspect."""
    h, w = image_size
    if size is not None and len(size) == 2:
        return [int(size[0]), int(size[1])]
    short, long = (w, h) if w <= h else (h, w)
    if size is None:
        if max_size is None:
            raise ValueError("resize(): size can only be None if max_size is given")
        new_short, new_long = int(max_size * short / long), max_size
    else:
        requested = int(size[0])
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return [new_h, new_w]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size = (h, w)``, or match the smaller edge to ``size`` (int) keeping the
    aspect ratio (``int(size * long / short)`` for the longer edge, capped by ``max_size``).

    Args:
        img (PIL Image or Tensor): image ``(..., C, H, W)``.
        size (int or sequence): output size.
        interpolation (InterpolationMode): Default: ``BILINEAR``. Tensors support NEAREST,
            NEAREST_EXACT, BILINEAR, BICUBIC; Pillow integer constants are accepted.
        max_size (int, optional): cap on the longer edge (only with an int ``size``).
        antialias (bool, optional): antialias tensor downsampling (bilinear/bicubic); PIL
            always antialiases. Default: ``True``.

    Raises:
        TypeError: bad interpolation / size types. ValueError: bad size length or max_size.

    Example:
        >>> import ember
        >>> resize(ember.zeros(3, 20, 40), 10).shape
        ember.Size([3, 10, 20])
    """
    interpolation = _interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the "
                             "smaller edge, i.e. size should be an int or a sequence of length 1 "
                             "in torchscript mode.")
    elif isinstance(size, int):
        size = [size]
    elif size is not None:
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    _check_img(img, "resize")
    _, h, w = get_dimensions(img)
    output_size = _compute_resized_output_size((h, w), size, max_size)
    if [h, w] == output_size:
        return img
    if not _is_tensor(img):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument "
                          "antialias is ignored.", stacklevel=2)
        return F_pil.resize(img, output_size, pil_modes_mapping[interpolation])
    if interpolation.value not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"resize(): interpolation {interpolation} is not supported for "
                         f"tensors; use NEAREST, NEAREST_EXACT, BILINEAR or BICUBIC")
    return F_t.resize(img, output_size, interpolation.value, antialias)


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad every border: ``padding`` is an int, ``(lr, tb)`` or ``(left, top, right, bottom)``.

    Modes: ``constant`` (``fill``), ``edge``, ``reflect`` (no edge repeat), ``symmetric`` (edge
    repeated). Negative padding crops.

    Example:
        >>> import ember
        >>> pad(ember.ones(1, 2, 2), [1, 0]).shape
        ember.Size([1, 2, 4])
    """
    _check_img(img, "pad")
    if _is_tensor(img):
        return F_t.pad(img, padding, fill, padding_mode)
    if padding_mode not in F_t._PAD_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    return F_pil.pad(img, F_t._parse_padding(padding), fill, padding_mode)


def crop(img, top: int, left: int, height: int, width: int):
    """Crop the box at ``(top, left)`` of size ``(height, width)``; outside is zero-padded."""
    _check_img(img, "crop")
    if _is_tensor(img):
        return F_t.crop(img, top, left, height, width)
    return F_pil.crop(img, top, left, height, width)


def _crop_size(output_size) -> tuple[int, int]:
    if isinstance(output_size, numbers.Number):
        return int(output_size), int(output_size)
    if isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        return int(output_size[0]), int(output_size[0])
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        return int(output_size[0]), int(output_size[1])
    raise ValueError(f"output_size must be an int or a 1 or 2 element sequence, got "
                     f"{output_size!r}")


def center_crop(img, output_size):
    """Crop the centre ``(h, w)`` box (top/left ``round((H - h) / 2)``), zero-padding if larger.

    Example:
        >>> import ember
        >>> center_crop(ember.arange(25.).reshape(1, 5, 5), 3)[0, 0].tolist()
        [6.0, 7.0, 8.0]
    """
    _check_img(img, "center_crop")
    crop_h, crop_w = _crop_size(output_size)
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        padding_ltrb = [(crop_w - w) // 2 if crop_w > w else 0,
                        (crop_h - h) // 2 if crop_h > h else 0,
                        (crop_w - w + 1) // 2 if crop_w > w else 0,
                        (crop_h - h + 1) // 2 if crop_h > h else 0]
        img = pad(img, padding_ltrb, fill=0)
        _, h, w = get_dimensions(img)
        if crop_w == w and crop_h == h:
            return img
    top = int(round((h - crop_h) / 2.0))
    left = int(round((w - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """``crop`` then ``resize`` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    """Flip horizontally."""
    _check_img(img, "hflip")
    return F_t.hflip(img) if _is_tensor(img) else F_pil.hflip(img)


def vflip(img):
    """Flip vertically."""
    _check_img(img, "vflip")
    return F_t.vflip(img) if _is_tensor(img) else F_pil.vflip(img)


def five_crop(img, size):
    """The four corner crops and the centre crop ``(tl, tr, bl, br, center)``."""
    crop_h, crop_w = _crop_size(size)
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        raise ValueError(f"Requested crop size {(crop_h, crop_w)} is bigger than input size "
                         f"{(h, w)}")
    tl = crop(img, 0, 0, crop_h, crop_w)
    tr = crop(img, 0, w - crop_w, crop_h, crop_w)
    bl = crop(img, h - crop_h, 0, crop_h, crop_w)
    br = crop(img, h - crop_h, w - crop_w, crop_h, crop_w)
    return tl, tr, bl, br, center_crop(img, [crop_h, crop_w])


def ten_crop(img, size, vertical_flip: bool = False):
    """``five_crop`` of the image and of its (horizontally, or vertically) flipped copy."""
    first = five_crop(img, size)
    flipped = vflip(img) if vertical_flip else hflip(img)
    return first + five_crop(flipped, size)


def _get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=True):
    """2x3 affine matrix (row-major list of 6) of ``T * C * R * S * Sh * C^-1`` or its inverse.

    ``R`` rotates by ``angle`` degrees, ``S`` scales, ``Sh = SHy(shear[1]) SHx(shear[0])``.
    """
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
        return m
    m = [x * scale for x in (a, b, 0.0, c, d, 0.0)]
    m[2] += m[0] * (-cx) + m[1] * (-cy) + cx + tx
    m[5] += m[3] * (-cx) + m[4] * (-cy) + cy + ty
    return m


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center=None, fill=None):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default: image centre)."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _check_img(img, "rotate")
    if not _is_tensor(img):
        return F_pil.rotate(img, angle, pil_modes_mapping[interpolation], expand, center, fill)
    center_f = [0.0, 0.0]
    if center is not None:
        _, h, w = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [w, h], strict=False)]
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return F_t.rotate(img, matrix, interpolation.value, expand, fill)


def _parse_shear(shear) -> list[float]:
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if isinstance(shear, numbers.Number):
        return [float(shear), 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    return [float(s) for s in shear]


def affine(img, angle: float, translate, scale: float, shear,
           interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotate by ``angle``, translate, scale and shear (degrees) about ``center``, keeping the
    image size."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    shear = _parse_shear(shear)
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _check_img(img, "affine")
    _, h, w = get_dimensions(img)
    if not _is_tensor(img):
        center = [w * 0.5, h * 0.5] if center is None else center
        matrix = _get_inverse_affine_matrix(center, float(angle), translate, scale, shear)
        return F_pil.affine(img, matrix, pil_modes_mapping[interpolation], fill)
    center_f = [0.0, 0.0] if center is None else [1.0 * (c - s * 0.5)
                                                   for c, s in zip(center, [w, h], strict=False)]
    matrix = _get_inverse_affine_matrix(center_f, float(angle), [1.0 * t for t in translate],
                                        scale, shear)
    return F_t.affine(img, matrix, interpolation.value, fill)


def _get_perspective_coeffs(startpoints, endpoints) -> list[float]:
    """Solve the 8 coefficients mapping each end point back to its start point."""
    a = np.zeros((8, 8), dtype=np.float64)
    for i, ((sx, sy), (ex, ey)) in enumerate(zip(startpoints, endpoints, strict=False)):
        a[2 * i] = [ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey]
        a[2 * i + 1] = [0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey]
    b = np.asarray(startpoints, dtype=np.float64).reshape(8)
    return np.linalg.lstsq(a, b, rcond=None)[0].astype(np.float32).tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                fill=None):
    """Warp so that the four ``startpoints`` (``[x, y]``) land on ``endpoints``."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide only four points for startpoints and endpoints. Got "
                         f"{len(startpoints)} startpoints and {len(endpoints)} endpoints.")
    interpolation = _interpolation(interpolation)
    _check_img(img, "perspective")
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    if not _is_tensor(img):
        return F_pil.perspective(img, coeffs, pil_modes_mapping[interpolation], fill)
    return F_t.perspective(img, coeffs, interpolation.value, fill)


# ------------------------------------------------------------------------------ colour

def _dispatch(name: str, img, *args):
    _check_img(img, name)
    module = F_c if _is_tensor(img) else F_pil
    return getattr(module, name)(img, *args)


def to_grayscale(img, num_output_channels: int = 1):
    """Convert a PIL image to grayscale (``L``, or 3 equal channels)."""
    if not F_pil._is_pil_image(img):
        raise TypeError(f"Input should be PIL Image. Got {type(img)}")
    return F_pil.to_grayscale(img, num_output_channels)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Grayscale by luma ``0.2989 R + 0.587 G + 0.114 B``; 1 or 3 output channels."""
    _check_img(img, "rgb_to_grayscale")
    if not _is_tensor(img):
        return F_pil.to_grayscale(img, num_output_channels)
    return F_c.rgb_to_grayscale(img, num_output_channels)


def adjust_brightness(img, brightness_factor: float):
    """Multiply by ``brightness_factor`` (0 gives black, 1 the original)."""
    return _dispatch("adjust_brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey (0 gives solid grey, 1 the original)."""
    return _dispatch("adjust_contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the grayscale image (0 gives grey, 1 the original)."""
    return _dispatch("adjust_saturation", img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Shift the hue by ``hue_factor`` turns in ``[-0.5, 0.5]``."""
    return _dispatch("adjust_hue", img, hue_factor)


def adjust_gamma(img, gamma: float, gain: float = 1.0):
    """``gain * img ** gamma`` on the ``[0, 1]`` scale."""
    return _dispatch("adjust_gamma", img, gamma, gain)


def adjust_sharpness(img, sharpness_factor: float):
    """Blend with a smoothed copy (0 blurred, 1 original, 2 sharpened)."""
    return _dispatch("adjust_sharpness", img, sharpness_factor)


def invert(img):
    """``max - img``."""
    return _dispatch("invert", img)


def posterize(img, bits: int):
    """Keep the ``bits`` high bits of each uint8 value."""
    return _dispatch("posterize", img, bits)


def solarize(img, threshold: float):
    """Invert values ``>= threshold``."""
    return _dispatch("solarize", img, threshold)


def autocontrast(img):
    """Stretch each channel to the full range."""
    return _dispatch("autocontrast", img)


def equalize(img):
    """Histogram-equalise each uint8 channel."""
    return _dispatch("equalize", img)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian kernel (odd ``kernel_size``; ``sigma`` defaults to
    ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``), reflect-padded at the borders."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got "
                        f"{type(kernel_size)}")
    kernel_size = [kernel_size, kernel_size] if isinstance(kernel_size, int) else list(kernel_size)
    if len(kernel_size) == 1:
        kernel_size = kernel_size * 2
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got "
                         f"{len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    sigma = list(sigma)
    if len(sigma) == 1:
        sigma = sigma * 2
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    if any(s <= 0.0 for s in sigma):
        raise ValueError(f"sigma should have positive values. Got {sigma}")
    _check_img(img, "gaussian_blur")
    if _is_tensor(img):
        return F_t.gaussian_blur(img, kernel_size, sigma)
    out = F_t.gaussian_blur(pil_to_tensor(img), kernel_size, sigma)
    return to_pil_image(out, mode=img.mode)


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Replace ``img[..., i:i+h, j:j+w]`` with ``v`` (a tensor image only)."""
    if not _is_tensor(img):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    return F_t.erase(img, i, j, h, w, v, inplace)



def elastic_transform(img, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Move every pixel by ``displacement`` (``(1, H, W, 2)``, in grid units of ``[-1, 1]``).

    PIL images go through a tensor round trip, as in torchvision.
    """
    interpolation = _interpolation(interpolation)
    _check_img(img, "elastic_transform")
    if not isinstance(displacement, ember.Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    if _is_tensor(img):
        return F_t.elastic(img, displacement, interpolation.value, fill)
    out = F_t.elastic(pil_to_tensor(img), displacement, interpolation.value, fill)
    return to_pil_image(out, mode=img.mode)
