"""v2 geometric transforms: images, masks and boxes of one sample move together."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import _sampling
from .. import _transforms_base as B
from .._transforms_geometry import RandomPerspective as _V1Perspective
from ..functional import InterpolationMode, _interpolation
from . import functional as F
from ._transform import Transform, _RandomApplyTransform, query_size

__all__ = ["Resize", "CenterCrop", "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip",
           "RandomVerticalFlip", "Pad", "RandomRotation", "RandomAffine", "RandomPerspective",
           "RandomZoomOut", "ElasticTransform"]


def _fill_for(fill, inpt):
    """Per-type fill: a dict ``{type: value}`` or one value for all; masks default to 0."""
    if isinstance(fill, dict):
        for cls, value in fill.items():
            if isinstance(cls, type) and isinstance(inpt, cls):
                return value
        return fill.get("others", None)
    return fill


class RandomHorizontalFlip(_RandomApplyTransform):
    """Flip the whole sample horizontally with probability ``p``."""

    def transform(self, inpt, params):
        return F.horizontal_flip(inpt)


class RandomVerticalFlip(_RandomApplyTransform):
    """Flip the whole sample vertically with probability ``p``."""

    def transform(self, inpt, params):
        return F.vertical_flip(inpt)


class Resize(Transform):
    """Resize images (``interpolation``), masks (nearest) and boxes."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True) -> None:
        super().__init__()
        if isinstance(size, int):
            size = [size]
        elif isinstance(size, Sequence) and len(size) in (1, 2):
            size = list(size)
        elif size is None:
            if not isinstance(max_size, int):
                raise ValueError(f"max_size must be an integer when size is None, but got "
                                 f"{max_size} instead.")
        else:
            raise ValueError(f"size can be an integer, a sequence of one or two integers, or "
                             f"None, but got {size} instead.")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = _interpolation(interpolation)

    def transform(self, inpt, params):
        return F.resize(inpt, self.size, self.interpolation, self.max_size, self.antialias)


class CenterCrop(Transform):
    """Centre crop of the whole sample."""

    def __init__(self, size) -> None:
        super().__init__()
        self.size = B._setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def transform(self, inpt, params):
        return F.center_crop(inpt, self.size)


class RandomResizedCrop(Transform):
    """Random area/aspect crop (same draws as v1) resized to ``size``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True) -> None:
        super().__init__()
        self.size = B._setup_size(size, "Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence) or len(scale) != 2:
            raise TypeError("Scale should be a sequence of two floats.")
        if not isinstance(ratio, Sequence) or len(ratio) != 2:
            raise TypeError("Ratio should be a sequence of two floats.")
        self.scale, self.ratio, self.antialias = scale, ratio, antialias
        self.interpolation = _interpolation(interpolation)

    def make_params(self, flat_inputs):
        height, width = query_size(flat_inputs)
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target_area = area * _sampling.uniform(self.scale[0], self.scale[1])
            aspect = math.exp(_sampling.uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return dict(top=_sampling.randint(0, height - h + 1),
                            left=_sampling.randint(0, width - w + 1), height=h, width=w)
        in_ratio = float(width) / float(height)
        if in_ratio < min(self.ratio):
            w, h = width, int(round(width / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            h, w = height, int(round(height * max(self.ratio)))
        else:
            w, h = width, height
        return dict(top=(height - h) // 2, left=(width - w) // 2, height=h, width=w)

    def transform(self, inpt, params):
        return F.resized_crop(inpt, **params, size=self.size, interpolation=self.interpolation,
                              antialias=self.antialias)


class Pad(Transform):
    """Pad the whole sample (boxes shift; only ``constant`` mode with boxes)."""

    def __init__(self, padding, fill=0, padding_mode: str = "constant") -> None:
        super().__init__()
        self.padding = padding
        F.F_t._parse_padding(padding)
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("`padding_mode` must be one of 'constant', 'edge', 'reflect' or "
                             "'symmetric'.")
        self.fill, self.padding_mode = fill, padding_mode

    def transform(self, inpt, params):
        return F.pad(inpt, self.padding, _fill_for(self.fill, inpt), self.padding_mode)


class RandomCrop(Transform):
    """Random ``size`` crop of the whole sample, with optional (if-needed) padding first."""

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant") -> None:
        super().__init__()
        self.size = B._setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.padding = None if padding is None else F.F_t._parse_padding(padding)
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        left, top, right, bottom = self.padding or [0, 0, 0, 0]
        h, w = h + top + bottom, w + left + right
        ch, cw = self.size
        if self.pad_if_needed and h < ch:
            diff = ch - h
            top, bottom, h = top + diff, bottom + diff, h + 2 * diff
        if self.pad_if_needed and w < cw:
            diff = cw - w
            left, right, w = left + diff, right + diff, w + 2 * diff
        if h < ch or w < cw:
            raise ValueError(f"Required crop size {(ch, cw)} is larger than input image size "
                             f"{(h, w)}")
        pad = [left, top, right, bottom]
        needs_pad = any(pad)
        top_c = _sampling.randint(0, h - ch + 1) if h > ch else 0
        left_c = _sampling.randint(0, w - cw + 1) if w > cw else 0
        return dict(needs_pad=needs_pad, padding=pad, top=top_c, left=left_c, height=ch,
                    width=cw)

    def transform(self, inpt, params):
        if params["needs_pad"]:
            inpt = F.pad(inpt, params["padding"], _fill_for(self.fill, inpt), self.padding_mode)
        return F.crop(inpt, params["top"], params["left"], params["height"], params["width"])


class RandomRotation(Transform):
    """Rotate the whole sample by an angle drawn from ``U(degrees)``."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0) -> None:
        super().__init__()
        self.degrees = B._setup_angle(degrees, "degrees")
        self.interpolation = _interpolation(interpolation)
        self.expand, self.center, self.fill = expand, center, fill

    def make_params(self, flat_inputs):
        return dict(angle=_sampling.uniform(self.degrees[0], self.degrees[1]))

    def transform(self, inpt, params):
        fill = _fill_for(self.fill, inpt)
        return F.rotate(inpt, params["angle"], self.interpolation, self.expand, self.center,
                        B._tensor_fill(inpt, fill) if not isinstance(inpt, F._Mask) else fill)


class RandomAffine(Transform):
    """Random affine transform of the whole sample (same parameter draws as v1)."""

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None) -> None:
        super().__init__()
        from .._transforms_geometry import RandomAffine as _V1
        v1 = _V1(degrees, translate, scale, shear, interpolation, fill, center)
        self.degrees, self.translate, self.scale, self.shear = (v1.degrees, v1.translate,
                                                                v1.scale, v1.shear)
        self.interpolation, self.fill, self.center = v1.interpolation, fill, center

    def make_params(self, flat_inputs):
        from .._transforms_geometry import RandomAffine as _V1
        h, w = query_size(flat_inputs)
        angle, translate, scale, shear = _V1.get_params(self.degrees, self.translate,
                                                        self.scale, self.shear, [w, h])
        return dict(angle=angle, translate=list(translate), scale=scale, shear=list(shear))

    def transform(self, inpt, params):
        fill = _fill_for(self.fill, inpt)
        fill = B._tensor_fill(inpt, fill) if not isinstance(inpt, F._Mask) else fill
        return F.affine(inpt, params["angle"], params["translate"], params["scale"],
                        params["shear"], self.interpolation, fill, self.center)


class RandomPerspective(_RandomApplyTransform):
    """Random perspective warp of the whole sample (boxes: hull of the warped corners)."""

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5,
                 interpolation=InterpolationMode.BILINEAR, fill=0) -> None:
        super().__init__(p)
        if not 0 <= distortion_scale <= 1:
            raise ValueError("Argument distortion_scale value should be between 0 and 1")
        self.distortion_scale, self.fill = distortion_scale, fill
        self.interpolation = _interpolation(interpolation)

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        start, end = _V1Perspective.get_params(w, h, self.distortion_scale)
        return dict(startpoints=start, endpoints=end)

    def transform(self, inpt, params):
        fill = _fill_for(self.fill, inpt)
        fill = B._tensor_fill(inpt, fill) if not isinstance(inpt, F._Mask) else fill
        return F.perspective(inpt, params["startpoints"], params["endpoints"],
                             self.interpolation, fill)


class RandomZoomOut(_RandomApplyTransform):
    """Place the sample on a canvas ``U(side_range)`` times larger at a random offset."""

    def __init__(self, fill=0, side_range=(1.0, 4.0), p: float = 0.5) -> None:
        super().__init__(p)
        if len(side_range) != 2 or side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")
        self.fill, self.side_range = fill, side_range

    def make_params(self, flat_inputs):
        orig_h, orig_w = query_size(flat_inputs)
        r = _sampling.uniform(self.side_range[0], self.side_range[1])
        canvas_w, canvas_h = int(orig_w * r), int(orig_h * r)
        left = int((canvas_w - orig_w) * _sampling.rand())
        top = int((canvas_h - orig_h) * _sampling.rand())
        right, bottom = canvas_w - (left + orig_w), canvas_h - (top + orig_h)
        return dict(padding=[left, top, right, bottom])

    def transform(self, inpt, params):
        return F.pad(inpt, params["padding"], _fill_for(self.fill, inpt))




class ElasticTransform(Transform):
    """Random elastic deformation of images, masks and boxes (same draws as v1)."""

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR,
                 fill=0) -> None:
        super().__init__()
        from .._transforms_geometry import ElasticTransform as _V1
        v1 = _V1(alpha, sigma, interpolation, fill)
        self.alpha, self.sigma, self.interpolation, self.fill = (v1.alpha, v1.sigma,
                                                                 v1.interpolation, fill)

    def make_params(self, flat_inputs):
        from .._transforms_geometry import ElasticTransform as _V1
        h, w = query_size(flat_inputs)
        return dict(displacement=_V1.get_params(self.alpha, self.sigma, [h, w]))

    def transform(self, inpt, params):
        fill = _fill_for(self.fill, inpt)
        if not isinstance(inpt, (F._Mask, F._Boxes)):
            fill = B._tensor_fill(inpt, fill)
        return F.elastic(inpt, params["displacement"], self.interpolation, fill)
