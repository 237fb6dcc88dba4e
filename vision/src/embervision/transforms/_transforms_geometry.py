"""v1 transform classes: type conversions, normalisation and geometry."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import ember
import ember.nn as nn

from . import functional as F
from ._sampling import rand as _rand
from ._sampling import randint as _randint
from ._sampling import uniform as _uniform
from ._transforms_base import _setup_angle, _setup_size, _tensor_fill
from .functional import InterpolationMode, _interpolation

__all__ = ["ToTensor", "PILToTensor", "ConvertImageDtype", "ToPILImage", "Normalize", "Resize",
           "CenterCrop", "Pad", "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip",
           "RandomResizedCrop", "FiveCrop", "TenCrop", "RandomRotation", "RandomAffine",
           "RandomPerspective", "ElasticTransform"]


class ToTensor:
    """PIL image / ``(H, W, C)`` ndarray to a ``(C, H, W)`` tensor (uint8 scaled to [0, 1])."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """PIL image to a ``(C, H, W)`` tensor of the same dtype."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class ConvertImageDtype(nn.Module):
    """Convert a tensor image to ``dtype`` rescaling its values."""

    def __init__(self, dtype) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class ToPILImage:
    """Tensor / ndarray to a PIL image (``mode`` inferred when None)."""

    def __init__(self, mode=None) -> None:
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mode={self.mode})" if self.mode else \
            f"{self.__class__.__name__}()"


class Normalize(nn.Module):
    """``(x - mean[c]) / std[c]`` per channel of a float tensor image."""

    def __init__(self, mean, std, inplace: bool = False) -> None:
        super().__init__()
        self.mean, self.std, self.inplace = mean, std, inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"


class Resize(nn.Module):
    """Resize to ``size`` (see :func:`functional.resize`)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True) -> None:
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = _interpolation(interpolation)

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def extra_repr(self) -> str:
        return (f"size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias}")


class CenterCrop(nn.Module):
    """Crop the centre ``size`` box."""

    def __init__(self, size) -> None:
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def extra_repr(self) -> str:
        return f"size={self.size}"


class Pad(nn.Module):
    """Pad every border (see :func:`functional.pad`)."""

    def __init__(self, padding, fill=0, padding_mode: str = "constant") -> None:
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode}"


class RandomCrop(nn.Module):
    """Crop a random ``size`` box (after optional padding)."""

    @staticmethod
    def get_params(img, output_size):
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        return _randint(0, h - th + 1), _randint(0, w - tw + 1), th, tw

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant") -> None:
        super().__init__()
        self.size = tuple(_setup_size(size, "Please provide only two dimensions (h, w) for "
                                            "size."))
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def extra_repr(self) -> str:
        return f"size={self.size}, padding={self.padding}"


class RandomHorizontalFlip(nn.Module):
    """Flip horizontally with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def forward(self, img):
        return F.hflip(img) if _rand() < self.p else img

    def extra_repr(self) -> str:
        return f"p={self.p}"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Flip vertically with probability ``p``."""

    def forward(self, img):
        return F.vflip(img) if _rand() < self.p else img


class RandomResizedCrop(nn.Module):
    """Crop a random area fraction ``scale`` with aspect ratio in ``ratio``, resize to ``size``.

    Ten tries draw ``area * U(scale)`` and ``exp(U(log ratio))``; if none fits, a centre crop
    clamped to the ratio range is used.
    """

    @staticmethod
    def get_params(img, scale, ratio):
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True) -> None:
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.interpolation = _interpolation(interpolation)
        self.antialias, self.scale, self.ratio = antialias, scale, ratio

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation,
                              antialias=self.antialias)

    def extra_repr(self) -> str:
        return (f"size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias}")


class FiveCrop(nn.Module):
    """The four corner crops and the centre crop."""

    def __init__(self, size) -> None:
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.five_crop(img, self.size)


class TenCrop(nn.Module):
    """``FiveCrop`` of the image and of its flipped copy."""

    def __init__(self, size, vertical_flip: bool = False) -> None:
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)


class RandomRotation(nn.Module):
    """Rotate by an angle drawn from ``U(degrees)``."""

    @staticmethod
    def get_params(degrees) -> float:
        return _uniform(degrees[0], degrees[1])

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0) -> None:
        super().__init__()
        self.degrees = _setup_angle(degrees, "degrees")
        self.interpolation = _interpolation(interpolation)
        self.expand, self.center = expand, center
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill

    def forward(self, img):
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center,
                        _tensor_fill(img, self.fill))

    def extra_repr(self) -> str:
        return f"degrees={self.degrees}, interpolation={self.interpolation.value}, " \
               f"expand={self.expand}"


class RandomAffine(nn.Module):
    """Random rotation, translation (fractions of W/H), scale and shear."""

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            translations = (int(round(_uniform(-max_dx, max_dx))),
                            int(round(_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None) -> None:
        super().__init__()
        self.degrees = _setup_angle(degrees, "degrees")
        if translate is not None:
            if not (isinstance(translate, Sequence) and len(translate) == 2):
                raise ValueError("translate should be a sequence of length 2.")
            for t in translate:
                if not 0.0 <= t <= 1.0:
                    raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            if not (isinstance(scale, Sequence) and len(scale) == 2):
                raise ValueError("scale should be a sequence of length 2.")
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        self.translate, self.scale = translate, scale
        self.shear = None if shear is None else _setup_angle(shear, "shear", (2, 4))
        self.interpolation = _interpolation(interpolation)
        self.fill = 0 if fill is None else fill
        self.center = center

    def forward(self, img):
        _, h, w = F.get_dimensions(img)
        angle, translate, scale, shear = self.get_params(self.degrees, self.translate,
                                                         self.scale, self.shear, [w, h])
        return F.affine(img, angle, translate, scale, shear, self.interpolation,
                        _tensor_fill(img, self.fill), self.center)

    def extra_repr(self) -> str:
        return f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}, " \
               f"shear={self.shear}"


class RandomPerspective(nn.Module):
    """With probability ``p``, move each corner inwards by up to ``distortion_scale`` of half the
    size and warp accordingly."""

    @staticmethod
    def get_params(width: int, height: int, distortion_scale: float):
        hw, hh = width // 2, height // 2
        dw, dh = int(distortion_scale * hw), int(distortion_scale * hh)
        topleft = [_randint(0, dw + 1), _randint(0, dh + 1)]
        topright = [_randint(width - dw - 1, width), _randint(0, dh + 1)]
        botright = [_randint(width - dw - 1, width), _randint(height - dh - 1, height)]
        botleft = [_randint(0, dw + 1), _randint(height - dh - 1, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5,
                 interpolation=InterpolationMode.BILINEAR, fill=0) -> None:
        super().__init__()
        self.p, self.distortion_scale = p, distortion_scale
        self.interpolation = _interpolation(interpolation)
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill

    def forward(self, img):
        if _rand() < self.p:
            _, h, w = F.get_dimensions(img)
            start, end = self.get_params(w, h, self.distortion_scale)
            return F.perspective(img, start, end, self.interpolation,
                                 _tensor_fill(img, self.fill))
        return img

    def extra_repr(self) -> str:
        return f"p={self.p}"




class ElasticTransform(nn.Module):
    """Random elastic deformation: uniform noise in ``[-1, 1]`` smoothed by a Gaussian of
    ``sigma`` (kernel ``int(8 sigma + 1)``, made odd) and scaled by ``alpha / size``.

    Args:
        alpha (float or sequence): displacement magnitude (x, y). Default: 50.
        sigma (float or sequence): smoothness (x, y). Default: 5.
    """

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR,
                 fill=0) -> None:
        super().__init__()
        self.alpha = _two_floats(alpha, "alpha")
        self.sigma = _two_floats(sigma, "sigma")
        self.interpolation = _interpolation(interpolation)
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError(f"fill should be int or float or a tuple or list, got {type(fill)}")
        self.fill = fill

    @staticmethod
    def get_params(alpha, sigma, size):
        """Displacement ``(1, H, W, 2)`` for an image of ``size = [H, W]``."""
        parts = []
        for i in range(2):
            d = ember.rand(1, 1, *size) * 2 - 1
            if sigma[i] > 0.0:
                k = int(8 * sigma[i] + 1)
                k += 1 - k % 2
                d = F.gaussian_blur(d, [k, k], [sigma[i], sigma[i]])
            parts.append(d * alpha[i] / size[i])
        return ember.cat(parts, 1).permute(0, 2, 3, 1)

    def forward(self, img):
        _, h, w = F.get_dimensions(img)
        displacement = self.get_params(self.alpha, self.sigma, [h, w])
        return F.elastic_transform(img, displacement, self.interpolation,
                                   _tensor_fill(img, self.fill))

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, sigma={self.sigma}"


def _two_floats(value, name: str) -> list[float]:
    if isinstance(value, numbers.Number):
        value = [float(value), float(value)]
    if not (isinstance(value, Sequence) and len(value) == 2):
        raise ValueError(f"If {name} is a sequence its length should be 2. Got {value}")
    for v in value:
        if not isinstance(v, numbers.Number) or v < 0:
            raise ValueError(f"{name} values should be non-negative numbers, got {value}")
    return [float(v) for v in value]
