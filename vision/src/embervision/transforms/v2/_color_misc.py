"""v2 colour, conversion, normalisation and bounding-box housekeeping transforms."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from PIL import Image as _PIL

import ember

from ... import tv_tensors
from .. import _sampling
from .._transforms_color import _check_input
from . import functional as F
from ._transform import Transform, _RandomApplyTransform, query_chw, tree_flatten

__all__ = ["ColorJitter", "Grayscale", "RandomGrayscale", "GaussianBlur", "RandomInvert",
           "RandomPosterize", "RandomSolarize", "RandomAdjustSharpness", "RandomAutocontrast",
           "RandomEqualize", "RandomErasing", "Normalize", "ToDtype", "ConvertImageDtype",
           "ToImage", "ToPureTensor", "PILToTensor", "ToPILImage", "ToTensor",
           "ConvertBoundingBoxFormat", "ClampBoundingBoxes", "SanitizeBoundingBoxes"]


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue in a random order (one draw per
    sample)."""

    def __init__(self, brightness=None, contrast=None, saturation=None, hue=None) -> None:
        super().__init__()
        self.brightness = None if brightness is None else _check_input(brightness, "brightness")
        self.contrast = None if contrast is None else _check_input(contrast, "contrast")
        self.saturation = None if saturation is None else _check_input(saturation, "saturation")
        self.hue = None if hue is None else _check_input(hue, "hue", center=0,
                                                         bound=(-0.5, 0.5),
                                                         clip_first_on_zero=False)

    def make_params(self, flat_inputs):
        fn_idx = ember.randperm(4).tolist()

        def draw(r):
            return None if r is None else _sampling.uniform(r[0], r[1])

        return dict(fn_idx=fn_idx, b=draw(self.brightness), c=draw(self.contrast),
                    s=draw(self.saturation), h=draw(self.hue))

    def transform(self, inpt, params):
        out = inpt
        for fn_id in params["fn_idx"]:
            if fn_id == 0 and params["b"] is not None:
                out = F.adjust_brightness(out, params["b"])
            elif fn_id == 1 and params["c"] is not None:
                out = F.adjust_contrast(out, params["c"])
            elif fn_id == 2 and params["s"] is not None:
                out = F.adjust_saturation(out, params["s"])
            elif fn_id == 3 and params["h"] is not None:
                out = F.adjust_hue(out, params["h"])
        return out


class Grayscale(Transform):
    """Convert images to grayscale (1 or 3 channels)."""

    def __init__(self, num_output_channels: int = 1) -> None:
        super().__init__()
        self.num_output_channels = num_output_channels

    def transform(self, inpt, params):
        return F.rgb_to_grayscale(inpt, self.num_output_channels)


class RandomGrayscale(_RandomApplyTransform):
    """Grayscale keeping the channel count, with probability ``p``."""

    def __init__(self, p: float = 0.1) -> None:
        super().__init__(p)

    def make_params(self, flat_inputs):
        return dict(num_input_channels=query_chw(flat_inputs)[0])

    def transform(self, inpt, params):
        return F.rgb_to_grayscale(inpt, params["num_input_channels"])


class GaussianBlur(Transform):
    """Gaussian blur with ``sigma ~ U(sigma)``."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)) -> None:
        super().__init__()
        from .._transforms_color import GaussianBlur as _V1
        v1 = _V1(kernel_size, sigma)
        self.kernel_size, self.sigma = v1.kernel_size, v1.sigma

    def make_params(self, flat_inputs):
        s = _sampling.uniform(self.sigma[0], self.sigma[1])
        return dict(sigma=[s, s])

    def transform(self, inpt, params):
        return F.gaussian_blur(inpt, list(self.kernel_size), params["sigma"])


def _simple(name: str, fn, doc: str, *attrs):
    """A ``_RandomApplyTransform`` calling ``fn(inpt, *attrs)``."""

    def __init__(self, *args, p: float = 0.5):
        if len(args) > len(attrs) + 1 or len(args) < len(attrs):
            raise TypeError(f"{name}() takes {len(attrs)} positional argument(s) and p")
        if len(args) == len(attrs) + 1:
            p = args[-1]
        _RandomApplyTransform.__init__(self, p)
        for a, v in zip(attrs, args, strict=False):
            setattr(self, a, v)

    def transform(self, inpt, params):
        return fn(inpt, *(getattr(self, a) for a in attrs))

    return type(name, (_RandomApplyTransform,), {"__init__": __init__, "transform": transform,
                                                 "__doc__": doc})


RandomInvert = _simple("RandomInvert", F.invert, "Invert with probability ``p``.")
RandomPosterize = _simple("RandomPosterize", F.posterize, "Posterize with probability ``p``.",
                          "bits")
RandomSolarize = _simple("RandomSolarize", F.solarize, "Solarize with probability ``p``.",
                         "threshold")
RandomAdjustSharpness = _simple("RandomAdjustSharpness", F.adjust_sharpness,
                                "Adjust sharpness with probability ``p``.", "sharpness_factor")
RandomAutocontrast = _simple("RandomAutocontrast", F.autocontrast,
                             "Autocontrast with probability ``p``.")
RandomEqualize = _simple("RandomEqualize", F.equalize, "Equalize with probability ``p``.")
for _cls in (RandomInvert, RandomPosterize, RandomSolarize, RandomAdjustSharpness,
             RandomAutocontrast, RandomEqualize):
    _cls.__module__ = __name__


class RandomErasing(_RandomApplyTransform):
    """Erase one random rectangle of images/videos (masks and boxes pass through)."""

    _transformed_types = (ember.Tensor,)

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0,
                 inplace: bool = False) -> None:
        super().__init__(p)
        from .._transforms_color import RandomErasing as _V1
        _V1(p, scale, ratio, value, inplace)  # argument validation
        self.scale, self.ratio, self.value, self.inplace = scale, ratio, value, inplace

    def make_params(self, flat_inputs):
        c, h, w = query_chw(flat_inputs)
        if isinstance(self.value, (int, float)):
            value = [float(self.value)]
        elif isinstance(self.value, str):
            value = None
        else:
            value = list(self.value)
        if value is not None and len(value) not in (1, c):
            raise ValueError(f"If value is a sequence, it should have either a single value or "
                             f"{c} (number of inpt channels)")
        area = h * w
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            erase_area = area * _sampling.uniform(self.scale[0], self.scale[1])
            aspect = math.exp(_sampling.uniform(log_ratio[0], log_ratio[1]))
            eh = int(round(math.sqrt(erase_area * aspect)))
            ew = int(round(math.sqrt(erase_area / aspect)))
            if not (eh < h and ew < w):
                continue
            v = (ember.empty((c, eh, ew), dtype=ember.float32).normal_() if value is None
                 else ember.tensor(value)[:, None, None])
            return dict(i=_sampling.randint(0, h - eh + 1), j=_sampling.randint(0, w - ew + 1),
                        h=eh, w=ew, v=v)
        return dict(i=0, j=0, h=h, w=w, v=None)

    def transform(self, inpt, params):
        if params["v"] is None or isinstance(inpt, (tv_tensors.Mask, tv_tensors.BoundingBoxes)):
            return inpt
        return F.erase(inpt, params["i"], params["j"], params["h"], params["w"], params["v"],
                       self.inplace)


class Normalize(Transform):
    """Normalize float images per channel (masks and boxes pass through)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace=False) -> None:
        super().__init__()
        self.mean, self.std, self.inplace = list(mean), list(std), inplace

    def transform(self, inpt, params):
        return F.normalize(inpt, self.mean, self.std, self.inplace)


class ToDtype(Transform):
    """Cast to ``dtype`` (or a ``{type: dtype}`` dict); ``scale`` rescales image values."""

    def __init__(self, dtype, scale: bool = False) -> None:
        super().__init__()
        self.dtype, self.scale = dtype, scale

    def transform(self, inpt, params):
        if isinstance(inpt, _PIL.Image):
            return inpt
        dtype = self.dtype
        if not isinstance(dtype, dict) and isinstance(inpt, (tv_tensors.Mask,
                                                             tv_tensors.BoundingBoxes)):
            return inpt  # a single dtype converts images and videos only
        if isinstance(dtype, dict):
            dtype = next((d for t, d in dtype.items() if isinstance(t, type)
                          and isinstance(inpt, t)), dtype.get("others"))
            if dtype is None:
                return inpt
        return F.to_dtype(inpt, dtype, self.scale)


class ConvertImageDtype(ToDtype):
    """``ToDtype(dtype, scale=True)``."""

    def __init__(self, dtype=ember.float32) -> None:
        super().__init__(dtype, scale=True)


class ToImage(Transform):
    """PIL image / ndarray / plain tensor -> ``tv_tensors.Image``."""

    import numpy as _np
    _transformed_types = (ember.Tensor, _PIL.Image, _np.ndarray)

    def transform(self, inpt, params):
        if isinstance(inpt, tv_tensors.TVTensor) and not isinstance(inpt, tv_tensors.Image):
            return inpt
        return F.to_image(inpt)


class ToPureTensor(Transform):
    """Strip TVTensor types (plain ``ember.Tensor`` out)."""

    _transformed_types = (tv_tensors.TVTensor,)

    def transform(self, inpt, params):
        return F._plain(inpt)


class PILToTensor(Transform):
    """PIL image -> plain ``(C, H, W)`` tensor of the same dtype."""

    _transformed_types = (_PIL.Image,)

    def transform(self, inpt, params):
        return F.pil_to_tensor(inpt)


class ToPILImage(Transform):
    """Tensor image -> PIL image."""

    def __init__(self, mode=None) -> None:
        super().__init__()
        self.mode = mode

    def transform(self, inpt, params):
        if isinstance(inpt, (_PIL.Image, tv_tensors.Mask, tv_tensors.BoundingBoxes)):
            return inpt
        return F.to_pil_image(inpt, self.mode)


class ToTensor(Transform):
    """Deprecated in torchvision: PIL/ndarray -> float ``[0, 1]`` tensor (use ToImage +
    ToDtype)."""

    import numpy as _np
    _transformed_types = (_PIL.Image, _np.ndarray)

    def transform(self, inpt, params):
        from ..functional import to_tensor
        return to_tensor(inpt)


class ConvertBoundingBoxFormat(Transform):
    """Convert every ``BoundingBoxes`` of the sample to ``format``."""

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, format) -> None:
        super().__init__()
        self.format = F.K._fmt(format)

    def transform(self, inpt, params):
        out = F.convert_bounding_box_format(F._plain(inpt), inpt.format, self.format)
        return tv_tensors.wrap(out, like=inpt, format=self.format)


class ClampBoundingBoxes(Transform):
    """Clamp every ``BoundingBoxes`` to its canvas."""

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def transform(self, inpt, params):
        return tv_tensors.wrap(F.clamp_bounding_boxes(F._plain(inpt), inpt.format,
                                                      inpt.canvas_size), like=inpt)


def _find_labels_default(inputs):
    sample = inputs
    if isinstance(inputs, (tuple, list)):
        sample = next((x for x in inputs if isinstance(x, Mapping)), None)
    if not isinstance(sample, Mapping):
        raise ValueError("When using the default labels_getter, the input passed to forward "
                         "must be a dictionary or a two-tuple whose second item is a dictionary "
                         f"or a tensor, but got {type(inputs).__name__} instead.")
    key = next((k for k in sample if isinstance(k, str) and k.lower() == "labels"), None)
    if key is None:
        key = next((k for k in sample if isinstance(k, str) and "label" in k.lower()), None)
    if key is None:
        raise ValueError("Could not infer where the labels are in the sample. Try passing a "
                         "callable as the labels_getter parameter?If there are no labels in the "
                         "sample by design, pass labels_getter=None.")
    return sample[key]


class SanitizeBoundingBoxes(Transform):
    """Drop degenerate boxes (side < ``min_size``, area < ``min_area``, outside the canvas) and
    the matching labels and instance masks."""

    def __init__(self, min_size: float = 1.0, min_area: float = 1.0,
                 labels_getter="default") -> None:
        super().__init__()
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        if labels_getter == "default":
            labels_getter = _find_labels_default
        elif labels_getter is not None and not callable(labels_getter):
            raise ValueError("labels_getter should either be 'default', a callable, or None, "
                             f"but got {labels_getter}.")
        self.min_size, self.min_area, self.labels_getter = min_size, min_area, labels_getter

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        labels = None if self.labels_getter is None else self.labels_getter(sample)
        if labels is not None and not isinstance(labels, (ember.Tensor, tuple, list)):
            raise ValueError(f"The labels in the input to forward() must be a tensor or None, "
                             f"got {type(labels)} instead.")
        label_list = list(labels) if isinstance(labels, (tuple, list)) else \
            ([] if labels is None else [labels])
        flat, spec = tree_flatten(sample)
        boxes = [x for x in flat if isinstance(x, tv_tensors.BoundingBoxes)]
        if len(boxes) != 1:
            raise ValueError(f"SanitizeBoundingBoxes(): expected exactly one BoundingBoxes in "
                             f"the sample, found {len(boxes)}")
        b = boxes[0]
        xyxy = F.K._to_xyxy(F._plain(b), b.format)
        ws, hs = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
        valid = (ws >= self.min_size) & (hs >= self.min_size) & ((ws * hs) >= self.min_area)
        valid = valid & (xyxy >= 0).all(dim=-1)
        h, w = b.canvas_size
        valid = valid & (xyxy[:, 0] <= w) & (xyxy[:, 2] <= w) & (xyxy[:, 1] <= h) \
            & (xyxy[:, 3] <= h)
        n = int(b.shape[0])
        out = []
        for x in flat:
            if any(x is lab for lab in label_list):
                out.append(F._plain(x)[valid])
            elif isinstance(x, tv_tensors.BoundingBoxes) or (
                    isinstance(x, tv_tensors.Mask) and x.ndim >= 3 and int(x.shape[0]) == n):
                out.append(tv_tensors.wrap(F._plain(x)[valid], like=x))
            else:
                out.append(x)
        from ._transform import tree_unflatten
        return tree_unflatten(out, spec)


