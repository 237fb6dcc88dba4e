"""PIL kernels: each transform is done by Pillow itself, as torchvision does."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

__all__ = []


def _is_pil_image(img) -> bool:
    return isinstance(img, Image.Image)


def _check(img, fname: str) -> None:
    if not _is_pil_image(img):
        raise TypeError(f"{fname}(): img should be PIL Image. Got {type(img)}")


def get_dimensions(img) -> list[int]:
    _check(img, "get_dimensions")
    channels = 1 if img.mode == "1" else len(img.getbands())
    return [channels, img.height, img.width]


def hflip(img):
    _check(img, "hflip")
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    _check(img, "vflip")
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def crop(img, top: int, left: int, height: int, width: int):
    _check(img, "crop")
    return img.crop((left, top, left + width, top + height))


def resize(img, size: list[int], interpolation=Image.Resampling.BILINEAR):
    """``size = [h, w]``; Pillow's own (always antialiased) resampling."""
    _check(img, "resize")
    if not (isinstance(size, (list, tuple)) and len(size) == 2):
        raise TypeError(f"resize(): got inappropriate size arg {size!r}")
    h, w = size
    return img.resize((w, h), interpolation)


def _parse_fill(fill, img, name: str = "fillcolor") -> dict:
    """Pillow fill option: a per-band tuple (ints except for mode ``F``)."""
    num_channels = get_dimensions(img)[0]
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and num_channels > 1:
        fill = tuple([fill] * num_channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * num_channels
        elif len(fill) != num_channels:
            raise ValueError("The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {num_channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, padding: list[int], fill=0, padding_mode: str = "constant"):
    """``padding = [left, top, right, bottom]`` (already parsed); negative values crop."""
    _check(img, "pad")
    left, top, right, bottom = padding
    if padding_mode == "constant" and min(padding) >= 0:
        opts = _parse_fill(fill, img, name="fill")
        out = ImageOps.expand(img, border=(left, top, right, bottom), **opts)
        if img.mode == "P":
            out.putpalette(img.getpalette())
        return out
    crop_l, crop_t, crop_r, crop_b = (max(-p, 0) for p in padding)
    if crop_l or crop_t or crop_r or crop_b:
        img = img.crop((crop_l, crop_t, img.width - crop_r, img.height - crop_b))
    left, top, right, bottom = (max(p, 0) for p in padding)
    if padding_mode == "constant":
        return pad(img, [left, top, right, bottom], fill, "constant")
    arr = np.asarray(img)
    widths = ((top, bottom), (left, right)) + (((0, 0),) if arr.ndim == 3 else ())
    out = Image.fromarray(np.pad(arr, widths, mode=padding_mode), mode=img.mode)
    if img.mode == "P":
        out.putpalette(img.getpalette())
    return out


def affine(img, matrix: list[float], interpolation=Image.Resampling.NEAREST, fill=None):
    _check(img, "affine")
    return img.transform(img.size, Image.Transform.AFFINE, matrix, interpolation,
                         **_parse_fill(fill, img))


def rotate(img, angle: float, interpolation=Image.Resampling.NEAREST, expand: bool = False,
           center=None, fill=None):
    _check(img, "rotate")
    return img.rotate(angle, interpolation, expand, center, **_parse_fill(fill, img))


def perspective(img, perspective_coeffs: list[float], interpolation=Image.Resampling.BICUBIC,
                fill=None):
    _check(img, "perspective")
    return img.transform(img.size, Image.Transform.PERSPECTIVE, perspective_coeffs,
                         interpolation, **_parse_fill(fill, img))


def to_grayscale(img, num_output_channels: int = 1):
    _check(img, "to_grayscale")
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        arr = np.asarray(img.convert("L"))
        return Image.fromarray(np.dstack([arr, arr, arr]), "RGB")
    raise ValueError(f"num_output_channels should be either 1 or 3, got {num_output_channels}")


def _enhance(cls, img, factor: float, name: str):
    _check(img, name)
    if factor < 0:
        raise ValueError(f"{name.removeprefix('adjust_')}_factor ({factor}) is not non-negative.")
    return cls(img).enhance(factor)


def adjust_brightness(img, brightness_factor: float):
    return _enhance(ImageEnhance.Brightness, img, brightness_factor, "adjust_brightness")


def adjust_contrast(img, contrast_factor: float):
    return _enhance(ImageEnhance.Contrast, img, contrast_factor, "adjust_contrast")


def adjust_saturation(img, saturation_factor: float):
    return _enhance(ImageEnhance.Color, img, saturation_factor, "adjust_saturation")


def adjust_sharpness(img, sharpness_factor: float):
    return _enhance(ImageEnhance.Sharpness, img, sharpness_factor, "adjust_sharpness")


def adjust_hue(img, hue_factor: float):
    """Shift Pillow's 8-bit HSV hue by ``hue_factor * 255`` (wrapping around)."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _check(img, "adjust_hue")
    if img.mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    np_h += np.int32(hue_factor * 255).astype(np.uint8)  # NOTE: uint8 overflow is the wrap
    h = Image.fromarray(np_h, "L")
    return Image.merge("HSV", (h, s, v)).convert(img.mode)


def adjust_gamma(img, gamma: float, gain: float = 1.0):
    _check(img, "adjust_gamma")
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    mode = img.mode
    img = img.convert("RGB")
    lut = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
    return img.point(lut).convert(mode)


def invert(img):
    _check(img, "invert")
    return ImageOps.invert(img)


def posterize(img, bits: int):
    _check(img, "posterize")
    return ImageOps.posterize(img, bits)


def solarize(img, threshold: float):
    _check(img, "solarize")
    return ImageOps.solarize(img, threshold)


def autocontrast(img):
    _check(img, "autocontrast")
    return ImageOps.autocontrast(img)


def equalize(img):
    _check(img, "equalize")
    return ImageOps.equalize(img)

