"""v2 functionals: each dispatches on the input type (plain tensor / ``Image`` / ``Video`` /
``Mask`` / ``BoundingBoxes`` / PIL image) to a kernel and re-wraps the result.

A TVTensor type with no kernel for an op passes through unchanged (colour ops leave masks and
boxes alone); any other unsupported type raises ``TypeError``.
"""

from __future__ import annotations

from PIL import Image as _PIL

import ember

from ... import tv_tensors
from .. import _functional_color as F_c
from .. import _functional_pil as F_pil
from .. import _functional_tensor as F_t
from .. import functional as F1
from ..functional import InterpolationMode, _interpolation
from . import _box_kernels as K
from ._box_kernels import clamp_bounding_boxes, convert_bounding_box_format

__all__ = [
    "InterpolationMode", "resize", "crop", "center_crop", "resized_crop", "horizontal_flip",
    "hflip", "vertical_flip", "vflip", "pad", "rotate", "affine", "perspective",
    "convert_bounding_box_format", "clamp_bounding_boxes", "to_image", "to_pil_image",
    "pil_to_tensor", "to_dtype", "convert_image_dtype", "normalize", "get_size",
    "get_dimensions", "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
    "adjust_gamma", "adjust_sharpness", "invert", "posterize", "solarize", "autocontrast",
    "equalize", "rgb_to_grayscale", "to_grayscale", "gaussian_blur", "erase", "elastic",
    "elastic_transform",
]

_Image, _Video, _Mask, _Boxes = (tv_tensors.Image, tv_tensors.Video, tv_tensors.Mask,
                                 tv_tensors.BoundingBoxes)


def _plain(t):
    return tv_tensors._plain(t) if isinstance(t, tv_tensors.TVTensor) else t


def _kind(inpt) -> str:
    """Which kernel family handles ``inpt``."""
    if isinstance(inpt, _Boxes):
        return "boxes"
    if isinstance(inpt, _Mask):
        return "mask"
    if isinstance(inpt, (_Image, _Video)):
        return "image"
    if isinstance(inpt, tv_tensors.TVTensor):
        return "other"
    if isinstance(inpt, ember.Tensor):
        return "image"
    if isinstance(inpt, _PIL.Image):
        return "pil"
    raise TypeError(f"expected a Tensor, a TVTensor or a PIL image, got {type(inpt).__name__}")


def _image_op(name: str, tensor_fn, pil_fn):
    """Functional for ops that only change images (masks and boxes pass through)."""

    def op(inpt, *args, **kwargs):
        kind = _kind(inpt)
        if kind == "pil":
            return pil_fn(inpt, *args, **kwargs)
        if kind != "image":
            return inpt
        out = tensor_fn(_plain(inpt), *args, **kwargs)
        return tv_tensors.wrap(out, like=inpt) if isinstance(inpt, tv_tensors.TVTensor) else out

    op.__name__ = name
    op.__doc__ = f"v2 ``{name}``: applies to images and videos; masks and boxes pass through."
    return op


adjust_brightness = _image_op("adjust_brightness", F_c.adjust_brightness, F_pil.adjust_brightness)
adjust_contrast = _image_op("adjust_contrast", F_c.adjust_contrast, F_pil.adjust_contrast)
adjust_saturation = _image_op("adjust_saturation", F_c.adjust_saturation, F_pil.adjust_saturation)
adjust_hue = _image_op("adjust_hue", F_c.adjust_hue, F_pil.adjust_hue)
adjust_gamma = _image_op("adjust_gamma", F_c.adjust_gamma, F_pil.adjust_gamma)
adjust_sharpness = _image_op("adjust_sharpness", F_c.adjust_sharpness, F_pil.adjust_sharpness)
invert = _image_op("invert", F_c.invert, F_pil.invert)
_VALUE_BITS = {ember.uint8: 8, ember.int8: 7, ember.int16: 15, ember.int32: 31, ember.int64: 63}


def _posterize_image(image, bits: int):
    """v2 posterize kernel: float images keep ``floor(x * 2**bits) / 2**bits`` (clamped to
    ``[0, 1 - 2**-bits]``), integer ones their ``bits`` most significant value bits."""
    if not isinstance(bits, int) or not 0 <= bits <= 8:
        raise TypeError(f"bits must be a positive integer in the range [0, 8], got {bits} "
                        f"instead.")
    if image.dtype.is_floating_point:
        levels = 1 << bits
        return image.mul(levels).floor().clamp(0, levels - 1).mul(1.0 / levels)
    nbits = _VALUE_BITS.get(image.dtype)
    if nbits is None:
        raise TypeError(f"Number of value bits is only defined for integer dtypes, but got "
                        f"{image.dtype}.")
    if bits >= nbits:
        return image
    return image & (((1 << bits) - 1) << (nbits - bits))


def _equalize_image(image):
    """v2 equalize kernel: any dtype goes through uint8 (``to_dtype(scale=True)``), is
    equalized per ``(H, W)`` plane with PIL's lookup table, and comes back in its dtype."""
    if image.numel() == 0:
        return image
    dtype = image.dtype
    out = F_c._equalize_uint8(F_c.convert_image_dtype(image, ember.uint8))
    if dtype.is_floating_point:
        # NOTE: x * (1 / 255) like torchvision's to_dtype (not x / 255: 1-ulp differences)
        return out.to(dtype).mul(1.0 / 255)
    return F_c.convert_image_dtype(out, dtype)


posterize = _image_op("posterize", _posterize_image, F_pil.posterize)
posterize.__doc__ = """v2 ``posterize``: keep ``bits`` bits of each value (images and videos).

    Float images are quantised on ``[0, 1]``: ``clamp(floor(x * 2**bits), 0, 2**bits - 1) /
    2**bits``; integer images keep their ``bits`` most significant value bits (``x & mask``).
    Masks and boxes pass through; PIL images use Pillow's ``ImageOps.posterize``.

    Args:
        inpt (Tensor, Image, Video or PIL image): ``[..., C, H, W]``.
        bits (int): bits to keep, in ``[0, 8]``.

    Shape:
        same shape and dtype as ``inpt``.

    Raises:
        TypeError: ``bits`` is not an int in ``[0, 8]``.

    Example:
        >>> import ember
        >>> posterize(ember.tensor([[[0.3, 0.74, 1.0]]]), 2).tolist()
        [[[0.25, 0.5, 0.75]]]
    """
solarize = _image_op("solarize", F_c.solarize, F_pil.solarize)
autocontrast = _image_op("autocontrast", F_c.autocontrast, F_pil.autocontrast)
equalize = _image_op("equalize", _equalize_image, F_pil.equalize)
equalize.__doc__ = """v2 ``equalize``: histogram-equalise each ``(H, W)`` plane (images, videos).

    Every dtype is converted to uint8 with ``to_dtype(..., scale=True)``, equalised with PIL's
    lookup table ``lut[k] = (cum_hist[k - 1] + step // 2) // step`` (``step`` = pixels outside
    the last non-empty bin // 255; planes with ``step == 0`` are unchanged) and converted back,
    so float results are multiples of ``1 / 255``. Masks and boxes pass through.

    Args:
        inpt (Tensor, Image, Video or PIL image): ``[..., C, H, W]``.

    Shape:
        same shape and dtype as ``inpt``.

    Example:
        >>> import ember
        >>> equalize(ember.tensor([[[0, 0, 255, 255]]], dtype=ember.uint8)).tolist()
        [[[0, 0, 255, 255]]]
    """
rgb_to_grayscale = _image_op("rgb_to_grayscale", F_c.rgb_to_grayscale, F_pil.to_grayscale)
to_grayscale = rgb_to_grayscale
gaussian_blur = _image_op("gaussian_blur", lambda x, k, s=None: F1.gaussian_blur(x, k, s),
                          lambda x, k, s=None: F1.gaussian_blur(x, k, s))
erase = _image_op("erase", F_t.erase, F1.erase)
normalize = _image_op("normalize", F_c.normalize, F_c.normalize)


def _geometry(inpt, image_fn, mask_fn, boxes_fn):
    kind = _kind(inpt)
    if kind == "other":
        return inpt
    if kind == "pil":
        return image_fn(inpt)
    if kind == "boxes":
        out, canvas = boxes_fn(_plain(inpt), inpt.format, inpt.canvas_size)
        return tv_tensors.wrap(out, like=inpt, canvas_size=canvas)
    fn = mask_fn if kind == "mask" else image_fn
    out = fn(_plain(inpt))
    return tv_tensors.wrap(out, like=inpt) if isinstance(inpt, tv_tensors.TVTensor) else out


def _mask_nchw(fn):
    """Run an image kernel on a mask, adding a channel axis to ``(H, W)`` masks."""

    def run(mask):
        if mask.ndim < 3:
            return fn(mask.unsqueeze(0)).squeeze(0)
        return fn(mask)

    return run


def get_size(inpt) -> list[int]:
    """``[H, W]`` of an image, video, mask, boxes' canvas or PIL image."""
    if isinstance(inpt, _Boxes):
        return list(inpt.canvas_size)
    if isinstance(inpt, _PIL.Image):
        return [inpt.height, inpt.width]
    return [int(inpt.shape[-2]), int(inpt.shape[-1])]


def get_dimensions(inpt) -> list[int]:
    """``[C, H, W]`` of an image."""
    return F1.get_dimensions(inpt)


def horizontal_flip(inpt):
    """Flip images, masks and boxes horizontally."""
    return _geometry(inpt, F1.hflip, F_t.hflip,
                     lambda b, f, c: (K.horizontal_flip_bounding_boxes(b, f, c), c))


def vertical_flip(inpt):
    """Flip images, masks and boxes vertically."""
    return _geometry(inpt, F1.vflip, F_t.vflip,
                     lambda b, f, c: (K.vertical_flip_bounding_boxes(b, f, c), c))


hflip, vflip = horizontal_flip, vertical_flip


def resize(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize images (``interpolation``), masks (nearest) and boxes (scaled with the canvas)."""
    interpolation = _interpolation(interpolation)
    h, w = get_size(inpt)
    if isinstance(size, int):
        size = [size]
    new = F1._compute_resized_output_size((h, w), None if size is None else list(size),
                                          max_size)
    return _geometry(
        inpt, lambda x: F1.resize(x, new, interpolation, antialias=antialias),
        _mask_nchw(lambda m: F1.resize(m, new, InterpolationMode.NEAREST)),
        lambda b, f, c: K.resize_bounding_boxes(b, f, c, new))


def crop(inpt, top: int, left: int, height: int, width: int):
    """Crop images/masks and move + clamp boxes into the crop."""
    return _geometry(inpt, lambda x: F1.crop(x, top, left, height, width),
                     _mask_nchw(lambda m: F_t.crop(m, top, left, height, width)),
                     lambda b, f, c: K.crop_bounding_boxes(b, f, top, left, height, width))


def center_crop(inpt, output_size):
    """Centre crop of images, masks and boxes (same box as :func:`functional.center_crop`)."""
    crop_h, crop_w = F1._crop_size(output_size)
    h, w = get_size(inpt)
    if crop_w > w or crop_h > h:
        ltrb = [(crop_w - w) // 2 if crop_w > w else 0, (crop_h - h) // 2 if crop_h > h else 0,
                (crop_w - w + 1) // 2 if crop_w > w else 0,
                (crop_h - h + 1) // 2 if crop_h > h else 0]
        inpt = pad(inpt, ltrb, fill=0)
        h, w = get_size(inpt)
        if crop_w == w and crop_h == h:
            return inpt
    return crop(inpt, int(round((h - crop_h) / 2.0)), int(round((w - crop_w) / 2.0)), crop_h,
                crop_w)


def resized_crop(inpt, top, left, height, width, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """``crop`` then ``resize``."""
    return resize(crop(inpt, top, left, height, width), size, interpolation, antialias=antialias)


def pad(inpt, padding, fill=0, padding_mode: str = "constant"):
    """Pad images/masks; boxes shift by ``(left, top)`` (constant mode only)."""
    ltrb = F_t._parse_padding(padding)

    def boxes_fn(b, f, c):
        if padding_mode != "constant":
            raise ValueError(f"Padding mode '{padding_mode}' is not supported with bounding "
                             f"boxes")
        return K.pad_bounding_boxes(b, f, c, ltrb)

    mask_fill = 0 if fill is None or isinstance(fill, (tuple, list)) else fill
    return _geometry(inpt, lambda x: F1.pad(x, ltrb, 0 if fill is None else fill, padding_mode),
                     _mask_nchw(lambda m: F_t.pad(m, ltrb, mask_fill, padding_mode)), boxes_fn)


def affine(inpt, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Affine-warp images (``interpolation``), masks (nearest) and boxes (corner hull)."""
    shear = F1._parse_shear(shear)
    return _geometry(
        inpt, lambda x: F1.affine(x, angle, translate, scale, shear, interpolation, fill, center),
        _mask_nchw(lambda m: F1.affine(m, angle, translate, scale, shear,
                                       InterpolationMode.NEAREST, 0 if fill is None else fill,
                                       center)),
        lambda b, f, c: K.affine_bounding_boxes(b, f, c, float(angle), list(translate),
                                                float(scale), shear, center))


def rotate(inpt, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate images, masks and boxes counter-clockwise by ``angle`` degrees."""
    return _geometry(
        inpt, lambda x: F1.rotate(x, angle, interpolation, expand, center, fill),
        _mask_nchw(lambda m: F1.rotate(m, angle, InterpolationMode.NEAREST, expand, center,
                                       0 if fill is None else fill)),
        lambda b, f, c: K.affine_bounding_boxes(b, f, c, -float(angle), [0.0, 0.0], 1.0,
                                                [0.0, 0.0], center, expand))


def perspective(inpt, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                fill=None):
    """Perspective-warp images (``interpolation``), masks (nearest) and boxes (corner hull)."""
    coeffs = F1._get_perspective_coeffs(startpoints, endpoints)
    return _geometry(
        inpt, lambda x: F1.perspective(x, startpoints, endpoints, interpolation, fill),
        _mask_nchw(lambda m: F1.perspective(m, startpoints, endpoints, InterpolationMode.NEAREST,
                                            0 if fill is None else fill)),
        lambda b, f, c: K.perspective_bounding_boxes(b, f, c, coeffs))


def elastic(inpt, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Elastic warp: images and videos sample ``identity_grid + displacement``
    (``interpolation``), masks the same grid with nearest, and boxes move their corners by the
    approximate inverse field (see ``_box_kernels.elastic_bounding_boxes``).

    Args:
        inpt (Tensor, Image, Video, Mask, BoundingBoxes or PIL image): ``[..., H, W]``.
        displacement (Tensor): ``(1, H, W, 2)`` offsets in ``[-1, 1]`` grid units.
        interpolation (InterpolationMode): images only. Default: ``BILINEAR``.
        fill (number or sequence, optional): value outside the image (masks: 0 when None).

    Raises:
        TypeError: ``displacement`` is not a Tensor.
        ValueError: ``displacement`` does not have shape ``(1, H, W, 2)``.

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> b = tv_tensors.BoundingBoxes([[1.0, 1.0, 3.0, 3.0]], format="XYXY", canvas_size=(4, 4))
        >>> elastic(b, ember.zeros(1, 4, 4, 2)).tolist()
        [[1.0, 1.0, 3.0, 3.0]]
    """
    return _geometry(
        inpt, lambda x: F1.elastic_transform(x, displacement, interpolation, fill),
        _mask_nchw(lambda m: F1.elastic_transform(m, displacement, InterpolationMode.NEAREST,
                                                  0 if fill is None else fill)),
        lambda b, f, c: (K.elastic_bounding_boxes(b, f, c, displacement), c))


elastic_transform = elastic


# ------------------------------------------------------------------------------ conversions

def to_image(inpt):
    """PIL image / ndarray / tensor -> ``tv_tensors.Image`` (PIL keeps its dtype)."""
    import numpy as np
    if isinstance(inpt, _PIL.Image):
        return tv_tensors.Image(F1.pil_to_tensor(inpt))
    if isinstance(inpt, np.ndarray):
        arr = inpt[:, :, None] if inpt.ndim == 2 else inpt
        return tv_tensors.Image(ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1))))
    if isinstance(inpt, ember.Tensor):
        return tv_tensors.Image(_plain(inpt))
    raise TypeError(f"Input can either be a pure Tensor, a numpy array, or a PIL image, but got "
                    f"{type(inpt)} instead.")


pil_to_tensor = F1.pil_to_tensor
to_pil_image = F1.to_pil_image


def to_dtype(inpt, dtype=ember.float32, scale: bool = False):
    """Cast to ``dtype``; with ``scale`` images are rescaled like ``convert_image_dtype``
    (masks and boxes are only cast)."""
    kind = _kind(inpt)
    if kind == "pil":
        raise TypeError("to_dtype(): PIL images are not supported; convert with to_image first")
    plain = _plain(inpt)
    out = F_c.convert_image_dtype(plain, dtype) if scale and kind == "image" else plain.to(dtype)
    return tv_tensors.wrap(out, like=inpt) if isinstance(inpt, tv_tensors.TVTensor) else out


def convert_image_dtype(image, dtype=ember.float32):
    """Alias of ``to_dtype(image, dtype, scale=True)``."""
    return to_dtype(image, dtype, scale=True)
