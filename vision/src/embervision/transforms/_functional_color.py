"""Tensor kernels for colour and dtype on images of shape ``(..., C, H, W)``.

Blends follow torchvision: ``ratio * a + (1 - ratio) * b`` clamped to ``[0, bound]`` and cast
back to the input dtype (integer images are truncated, not rounded, as torchvision does).
"""

from __future__ import annotations

import numpy as np

import ember
import ember.nn.functional as F

from ._functional_tensor import _assert_image_tensor, _max_value, get_dimensions

__all__ = []


def _assert_channels(img, permitted: tuple[int, ...], fname: str) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"{fname}(): input image tensor permitted channel values are "
                        f"{list(permitted)}, but found {c}")


def _float_dtype(img):
    return img.dtype if img.dtype.is_floating_point else ember.float32


def _blend(img1, img2, ratio: float):
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    out = ratio * img1.to(_float_dtype(img1)) + (1.0 - ratio) * img2.to(_float_dtype(img1))
    return out.clamp(0, bound).to(img1.dtype)


def convert_image_dtype(image, dtype=ember.float32):
    """Convert ``image`` to ``dtype`` rescaling values to the new dtype's range.

    Float images span ``[0, 1]``, integer ones ``[0, max]``. int -> float divides by the input
    maximum; float -> int multiplies by ``max + 1 - 1e-3`` and truncates; int -> int shifts by the
    ratio of the ranges (floor division when narrowing).

    Raises:
        TypeError: ``image`` is not a Tensor.
        RuntimeError: float32 -> int32/int64 or float64 -> int64, which cannot be exact.
    """
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"convert_image_dtype(): input img should be Tensor Image, got "
                        f"{type(image).__name__}")
    if image.dtype == dtype:
        return image
    if image.dtype.is_floating_point:
        if dtype.is_floating_point:
            return image.to(dtype)
        if ((image.dtype == ember.float32 and dtype in (ember.int32, ember.int64))
                or (image.dtype == ember.float64 and dtype == ember.int64)):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               f"safely.")
        # NOTE: 1 - eps keeps 1.0 at max (not max + 1) while giving every bin equal width
        eps = 1e-3
        return image.mul(_max_value(dtype) + 1.0 - eps).to(dtype)
    input_max = _max_value(image.dtype)
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = _max_value(dtype)
    if input_max > output_max:
        factor = (input_max + 1) // (output_max + 1)
        return image.div(factor, rounding_mode="floor").to(dtype)
    factor = (output_max + 1) // (input_max + 1)
    return image.to(dtype) * factor


def normalize(tensor, mean, std, inplace: bool = False):
    """``(tensor - mean[c]) / std[c]`` per channel of a float ``(..., C, H, W)`` tensor."""
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.dtype.is_floating_point:
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(tensor.shape)}")
    if (not inplace and tensor.device.type == "cpu" and tensor.dtype in _NUMPY_FLOATS
            and not (tensor.requires_grad and ember.is_grad_enabled())):
        out = _normalize_array(tensor, mean, std)
        if out is not None:
            return out
    mean = ember.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if bool((std == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         f"division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    if inplace:
        return tensor.sub_(mean).div_(std)
    # NOTE: out-of-place subtraction replaces clone + sub_ (one pass over memory fewer)
    return (tensor - mean).div_(std)


_NUMPY_FLOATS = (ember.float32, ember.float64)


def _normalize_array(tensor, mean, std):
    """:func:`normalize` out of place on a CPU tensor outside any graph, as two numpy passes
    (a data-loading hot path: ember's op dispatch costs more than the arithmetic here); None
    for statistics that are not plain numbers or that do not broadcast (the tensor path
    raises PyTorch's errors for those)."""
    if isinstance(mean, ember.Tensor) or isinstance(std, ember.Tensor):
        return None
    arr = tensor.detach().numpy()
    try:
        mean, std = (np.asarray(v, dtype=arr.dtype) for v in (mean, std))
    except (TypeError, ValueError):
        return None
    if mean.ndim == 1:
        mean = mean.reshape(-1, 1, 1)
    if std.ndim == 1:
        std = std.reshape(-1, 1, 1)
    try:
        np.broadcast_shapes(arr.shape, mean.shape, std.shape)
    except ValueError:
        return None
    if bool((std == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         f"division by zero.")
    out = np.subtract(arr, mean)
    np.divide(out, std, out=out)
    return ember.from_numpy(out)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """ITU-R 601-2 luma ``0.2989 R + 0.587 G + 0.114 B`` (truncated for integer images)."""
    _assert_image_tensor(img, "rgb_to_grayscale")
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels should be either 1 or 3, got "
                         f"{num_output_channels}")
    _assert_channels(img, (1, 3), "rgb_to_grayscale")
    if img.ndim == 2:
        img = img.unsqueeze(0)
    if img.shape[-3] == 3:
        r, g, b = img.to(_float_dtype(img)).unbind(-3)
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(-3)
    else:
        gray = img.clone()
    if num_output_channels == 3:
        return gray.expand(*gray.shape[:-3], 3, *gray.shape[-2:]).clone()
    return gray


def adjust_brightness(img, brightness_factor: float):
    """Blend with black: ``factor * img`` clamped to the dtype range."""
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img, "adjust_brightness")
    _assert_channels(img, (1, 3), "adjust_brightness")
    return _blend(img, ember.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level of each image."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img, "adjust_contrast")
    _assert_channels(img, (1, 3), "adjust_contrast")
    dtype = _float_dtype(img)
    gray = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = gray.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the grayscale image."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img, "adjust_saturation")
    _assert_channels(img, (1, 3), "adjust_saturation")
    if get_dimensions(img)[0] == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    r, g, b = img.unbind(-3)
    maxc = img.amax(dim=-3)
    minc = img.amin(dim=-3)
    eqc = maxc == minc  # NOTE: grey pixels have undefined hue; use 0 and avoid dividing by 0
    cr = maxc - minc
    ones = ember.ones_like(maxc)
    s = cr / ember.where(eqc, ones, maxc)
    cr_div = ember.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_div, (maxc - g) / cr_div, (maxc - b) / cr_div
    is_r, is_g = maxc == r, (maxc == g) & (maxc != r)
    is_b = (maxc != g) & (maxc != r)
    h = is_r.to(img.dtype) * (bc - gc) + is_g.to(img.dtype) * (2.0 + rc - bc) \
        + is_b.to(img.dtype) * (4.0 + gc - rc)
    h = ember.fmod(h / 6.0 + 1.0, 1.0)
    return h, s, maxc


def _hsv2rgb(h, s, v):
    i = ember.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(ember.int64) % 6
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    table = ((v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q))
    out = []
    for channel in table:  # six sectors of the hue circle, selected per pixel
        c = channel[5]
        for k in range(4, -1, -1):
            c = ember.where(i == k, channel[k], c)
        out.append(c)
    return ember.stack(out, -3)


def adjust_hue(img, hue_factor: float):
    """Rotate the hue channel in HSV space by ``hue_factor`` turns (``[-0.5, 0.5]``)."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _assert_image_tensor(img, "adjust_hue")
    _assert_channels(img, (1, 3), "adjust_hue")
    if get_dimensions(img)[0] == 1:
        return img
    orig_dtype = img.dtype
    x = convert_image_dtype(img, ember.float32)
    h, s, v = _rgb2hsv(x)
    h = ember.remainder(h + hue_factor, 1.0)
    return convert_image_dtype(_hsv2rgb(h, s, v), orig_dtype)


def adjust_gamma(img, gamma: float, gain: float = 1.0):
    """``gain * img ** gamma`` on the ``[0, 1]`` scale, clamped and converted back."""
    _assert_image_tensor(img, "adjust_gamma")
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    _assert_channels(img, (1, 3), "adjust_gamma")
    dtype = img.dtype
    x = img if dtype.is_floating_point else convert_image_dtype(img, ember.float32)
    x = (gain * x ** gamma).clamp(0, 1)
    return convert_image_dtype(x, dtype)


def invert(img):
    """``max - img`` (``1 - img`` for floats)."""
    _assert_image_tensor(img, "invert")
    _assert_channels(img, (1, 3), "invert")
    bound = _max_value(img.dtype)
    return (bound - img).to(img.dtype)


def posterize(img, bits: int):
    """Keep the ``bits`` most significant bits of each uint8 value."""
    _assert_image_tensor(img, "posterize")
    if img.dtype != ember.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    if not 0 <= bits <= 8:
        raise ValueError(f"posterize(): bits should be in [0, 8], got {bits}")
    _assert_channels(img, (1, 3), "posterize")
    return img & (256 - 2 ** (8 - bits))


def solarize(img, threshold: float):
    """Invert the pixels ``>= threshold``."""
    _assert_image_tensor(img, "solarize")
    _assert_channels(img, (1, 3), "solarize")
    if threshold > _max_value(img.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return ember.where(img >= threshold, invert(img), img)


def adjust_sharpness(img, sharpness_factor: float):
    """Blend with a 3x3 smoothed image (centre weight 5, others 1; borders untouched)."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image_tensor(img, "adjust_sharpness")
    _assert_channels(img, (1, 3), "adjust_sharpness")
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    dtype = _float_dtype(img)
    h, w = int(img.shape[-2]), int(img.shape[-1])
    x = img.to(dtype).reshape(-1, 1, h, w)
    kernel = ember.ones((1, 1, 3, 3), dtype=dtype, device=img.device)
    kernel[0, 0, 1, 1] = 5.0
    kernel = kernel / 13.0
    smooth = F.conv2d(x, kernel)
    if not img.dtype.is_floating_point:
        smooth = ember.round(smooth)
    degenerate = img.clone()
    degenerate[..., 1:-1, 1:-1] = smooth.reshape(*img.shape[:-2], h - 2, w - 2).to(img.dtype)
    return _blend(img, degenerate, sharpness_factor)


def autocontrast(img):
    """Stretch each channel linearly so its minimum maps to 0 and its maximum to the bound."""
    _assert_image_tensor(img, "autocontrast")
    _assert_channels(img, (1, 3), "autocontrast")
    bound = _max_value(img.dtype)
    dtype = _float_dtype(img)
    lo = img.amin(dim=(-2, -1), keepdim=True).to(dtype)
    hi = img.amax(dim=(-2, -1), keepdim=True).to(dtype)
    flat = hi == lo  # NOTE: constant channels are left unchanged instead of dividing by zero
    scale = bound / ember.where(flat, ember.ones_like(hi), hi - lo)
    lo = ember.where(flat, ember.zeros_like(lo), lo)
    scale = ember.where(flat, ember.ones_like(scale), scale)
    return ((img.to(dtype) - lo) * scale).clamp(0, bound).to(img.dtype)


def equalize(img):
    """Histogram-equalise each uint8 channel (PIL's ImageOps.equalize lookup table)."""
    _assert_image_tensor(img, "equalize")
    if img.dtype != ember.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, (1, 3), "equalize")
    return _equalize_uint8(img)


def _equalize_uint8(img):
    """PIL's equalize lookup table applied to every ``(H, W)`` plane of a uint8 tensor."""
    h, w = int(img.shape[-2]), int(img.shape[-1])
    flat = img.reshape(-1, h * w).to(ember.int64)
    nc = int(flat.shape[0])
    offsets = (ember.arange(nc, device=img.device) * 256).unsqueeze(1)
    hist = ember.bincount((flat + offsets).reshape(-1), minlength=256 * nc).reshape(nc, 256)
    # step = (number of pixels not in the last non-empty bin) // 255
    last = 255 - ember.argmax((hist.flip(-1) != 0).to(ember.int64), dim=-1)
    last_count = ember.gather(hist, 1, last.unsqueeze(1)).squeeze(1)
    step = ember.div(h * w - last_count, 255, rounding_mode="floor")
    safe_step = ember.where(step == 0, ember.ones_like(step), step).unsqueeze(1)
    lut = ember.div(ember.cumsum(hist, 1) + ember.div(safe_step, 2, rounding_mode="floor"),
                    safe_step, rounding_mode="floor")
    lut = ember.cat([ember.zeros_like(lut[:, :1]), lut[:, :-1]], 1).clamp(0, 255)
    out = ember.gather(lut, 1, flat)
    out = ember.where((step == 0).unsqueeze(1), flat, out)
    return out.to(ember.uint8).reshape(img.shape)
