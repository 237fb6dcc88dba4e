"""v2 photometric and scale augmentations, and the auto-augment policies on samples."""

from __future__ import annotations

from collections.abc import Sequence

import ember

from ... import tv_tensors
from .. import _sampling
from .. import _transforms_base as B
from .. import autoaugment as _aa
from .._functional_tensor import _max_value
from .._transforms_color import _check_input
from ..functional import InterpolationMode, _interpolation
from ..functional import pil_to_tensor as _pil_to_tensor
from ..functional import to_pil_image as _to_pil_image
from . import functional as F
from ._geometry import _fill_for
from ._transform import (
    Transform,
    _is_image_like,
    is_pure_tensor,
    query_chw,
    query_size,
    tree_flatten,
    tree_unflatten,
)

__all__ = ["RandomPhotometricDistort", "RandomChannelPermutation", "RandomShortestSize",
           "RandomResize", "ScaleJitter", "AutoAugment", "RandAugment", "TrivialAugmentWide",
           "AugMix"]


def permute_channels(inpt, permutation):
    """``inpt[..., permutation, :, :]`` for images (masks and boxes pass through)."""
    kind = F._kind(inpt)
    if kind == "pil":
        from ..functional import pil_to_tensor, to_pil_image
        return to_pil_image(permute_channels(pil_to_tensor(inpt), permutation), inpt.mode)
    if kind != "image":
        return inpt
    idx = ember.as_tensor(list(permutation), dtype=ember.int64, device=inpt.device)
    out = ember.index_select(F._plain(inpt), -3, idx)
    return tv_tensors.wrap(out, like=inpt) if isinstance(inpt, tv_tensors.TVTensor) else out


class RandomChannelPermutation(Transform):
    """Shuffle the channels of the images."""

    def make_params(self, flat_inputs):
        return dict(permutation=ember.randperm(query_chw(flat_inputs)[0]).tolist())

    def transform(self, inpt, params):
        return permute_channels(inpt, params["permutation"])


class RandomPhotometricDistort(Transform):
    """SSD's photometric distortion: each of brightness, contrast (before or after the others),
    saturation, hue and a channel shuffle is applied with probability ``p``."""

    def __init__(self, brightness=(0.875, 1.125), contrast=(0.5, 1.5), saturation=(0.5, 1.5),
                 hue=(-0.05, 0.05), p: float = 0.5) -> None:
        super().__init__()
        self.brightness = _check_input(brightness, "brightness")
        self.contrast = _check_input(contrast, "contrast")
        self.saturation = _check_input(saturation, "saturation")
        self.hue = _check_input(hue, "hue", center=0, bound=(-0.5, 0.5),
                                clip_first_on_zero=False)
        self.p = p

    def make_params(self, flat_inputs):
        c = query_chw(flat_inputs)[0]
        params = {}
        for key, rng in (("brightness", self.brightness), ("contrast", self.contrast),
                         ("saturation", self.saturation), ("hue", self.hue)):
            params[key] = _sampling.uniform(rng[0], rng[1]) if rng is not None and \
                _sampling.rand() < self.p else None
        params["contrast_before"] = _sampling.rand() < 0.5
        params["perm"] = ember.randperm(c).tolist() if _sampling.rand() < self.p else None
        return params

    def transform(self, inpt, params):
        if params["brightness"] is not None:
            inpt = F.adjust_brightness(inpt, params["brightness"])
        if params["contrast"] is not None and params["contrast_before"]:
            inpt = F.adjust_contrast(inpt, params["contrast"])
        if params["saturation"] is not None:
            inpt = F.adjust_saturation(inpt, params["saturation"])
        if params["hue"] is not None:
            inpt = F.adjust_hue(inpt, params["hue"])
        if params["contrast"] is not None and not params["contrast_before"]:
            inpt = F.adjust_contrast(inpt, params["contrast"])
        if params["perm"] is not None:
            inpt = permute_channels(inpt, params["perm"])
        return inpt


class _ResizeBase(Transform):
    def __init__(self, interpolation, antialias) -> None:
        super().__init__()
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias

    def transform(self, inpt, params):
        return F.resize(inpt, params["size"], self.interpolation, antialias=self.antialias)


class RandomShortestSize(_ResizeBase):
    """Resize so the short side is a random choice of ``min_size`` (long side <= max_size)."""

    def __init__(self, min_size, max_size=None, interpolation=InterpolationMode.BILINEAR,
                 antialias=True) -> None:
        super().__init__(interpolation, antialias)
        self.min_size = [min_size] if isinstance(min_size, int) else list(min_size)
        self.max_size = max_size

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        min_size = self.min_size[_sampling.randint(0, len(self.min_size))]
        r = min_size / min(h, w)
        if self.max_size is not None:
            r = min(r, self.max_size / max(h, w))
        return dict(size=[int(h * r), int(w * r)])


class RandomResize(_ResizeBase):
    """Resize the short side to an integer drawn from ``[min_size, max_size)``."""

    def __init__(self, min_size: int, max_size: int, interpolation=InterpolationMode.BILINEAR,
                 antialias=True) -> None:
        super().__init__(interpolation, antialias)
        if not min_size < max_size:
            raise ValueError(f"RandomResize(): min_size ({min_size}) must be smaller than "
                             f"max_size ({max_size})")
        self.min_size, self.max_size = min_size, max_size

    def make_params(self, flat_inputs):
        return dict(size=[_sampling.randint(self.min_size, self.max_size)])


class ScaleJitter(_ResizeBase):
    """Resize to fit ``target_size = (h, w)`` times a scale drawn from ``U(scale_range)``."""

    def __init__(self, target_size, scale_range=(0.1, 2.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True) -> None:
        super().__init__(interpolation, antialias)
        if not (isinstance(target_size, Sequence) and len(target_size) == 2):
            raise ValueError(f"ScaleJitter(): target_size must be (h, w), got {target_size}")
        self.target_size, self.scale_range = target_size, scale_range

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        scale = self.scale_range[0] + _sampling.rand() * (self.scale_range[1] - self.scale_range[0])
        r = min(self.target_size[1] / h, self.target_size[0] / w) * scale
        return dict(size=[int(h * r), int(w * r)])


def _policy_op(img, op_name: str, magnitude: float, interpolation, fill):
    """One auto-augment op with v2 kernels: Posterize and Equalize accept every dtype and the
    Solarize threshold (``magnitude`` on the 0..255 scale) scales with the dtype's maximum, so
    float images in ``[0, 1]`` work like in torchvision v2."""
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Equalize":
        return F.equalize(img)
    if op_name == "Solarize" and isinstance(img, ember.Tensor) and img.dtype != ember.uint8:
        return F.solarize(img, magnitude / 255.0 * _max_value(img.dtype))
    return _aa._apply_op(img, op_name, magnitude, interpolation, fill)


def _extract_image_or_video(transform, inputs):
    """``(flat, spec, index)`` of the sample's single image or video (torchvision's
    ``_flatten_and_extract_image_or_video``): bounding boxes and masks are refused."""
    sample = inputs if len(inputs) > 1 else inputs[0]
    flat, spec = tree_flatten(sample)
    needs = transform._needs_transform_list(flat)
    found = []
    for i, (x, n) in enumerate(zip(flat, needs, strict=True)):
        if n and (_is_image_like(x) or is_pure_tensor(x)):
            found.append(i)
        elif isinstance(x, (tv_tensors.BoundingBoxes, tv_tensors.Mask)):
            raise TypeError(f"Inputs of type {type(x).__name__} are not supported by "
                            f"{type(transform).__name__}()")
    if not found:
        raise TypeError("Found no image in the sample.")
    if len(found) > 1:
        raise TypeError("Auto augment transformations are only properly defined for a single "
                        f"image or video, but found {len(found)}.")
    return flat, spec, found[0]


class _AutoAugmentV2(Transform):
    """Run the v1 policy on the sample's single image or video; bounding boxes and masks in
    the sample raise ``TypeError`` (like torchvision), other leaves pass through."""

    _policy_cls = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()
        self.policy = self._policy_cls(*args, **kwargs)
        self.policy._apply_op = _policy_op

    def forward(self, *inputs):
        flat, spec, idx = _extract_image_or_video(self, inputs)
        x = flat[idx]
        plain = F._plain(x) if isinstance(x, tv_tensors.TVTensor) else x
        out = self.policy(plain)
        flat[idx] = tv_tensors.wrap(out, like=x) if isinstance(x, tv_tensors.TVTensor) else out
        return tree_unflatten(flat, spec)


class AutoAugment(_AutoAugmentV2):
    """v2 AutoAugment on the sample's single image or video (boxes/masks: TypeError)."""

    _policy_cls = _aa.AutoAugment


class RandAugment(_AutoAugmentV2):
    """v2 RandAugment on the sample's single image or video (boxes/masks: TypeError)."""

    _policy_cls = _aa.RandAugment


class TrivialAugmentWide(_AutoAugmentV2):
    """v2 TrivialAugmentWide on the sample's single image or video (boxes/masks: TypeError)."""

    _policy_cls = _aa.TrivialAugmentWide


def _augmix_op(img, op_name: str, magnitude: float, interpolation, fill):
    """One AugMix op with v2 semantics: float images are posterized on ``[0, 1]`` levels and
    equalized through uint8 (torchvision v2's kernels); the rest is the v1 op."""
    if img.dtype.is_floating_point and op_name == "Posterize":
        levels = 1 << int(magnitude)
        return (img * levels).floor().clamp(0, levels - 1) * (1.0 / levels)
    if img.dtype.is_floating_point and op_name == "Equalize":
        as_u8 = F.to_dtype(img, ember.uint8, scale=True)
        return F.to_dtype(F.equalize(as_u8), img.dtype, scale=True)
    return _aa._apply_op(img, op_name, magnitude, interpolation, fill)


class AugMix(Transform):
    """v2 AugMix on the sample's single image or video (Hendrycks et al., 2020).

    Same mixing as :class:`embervision.transforms.AugMix` (``out = m0 * img + sum_i m1 * w_i *
    chain_i(img)``, ``(m0, m1) ~ Dir(alpha, alpha)``, ``w ~ Dir(alpha, ..., alpha)``), except
    that Solarize thresholds scale with the dtype (so float images in ``[0, 1]`` work), a
    video's leading dim is its batch (one weight set per video) and bounding boxes or masks in
    the sample are refused.

    Args:
        severity (int): magnitude bins used, in ``[1, 10]``. Default: ``3``.
        mixture_width (int): number of chains. Default: ``3``.
        chain_depth (int): ops per chain; negative draws 1..3 per chain. Default: ``-1``.
        alpha (float): Dirichlet/Beta concentration (> 0). Default: ``1.0``.
        all_ops (bool): also use Brightness, Color, Contrast, Sharpness. Default: ``True``.
        interpolation (InterpolationMode or str): geometric ops. Default: ``"bilinear"``.
        fill (number, sequence or dict ``{type: fill}``, optional): outside the image.

    Shape:
        image ``[..., C, H, W]`` or video ``[..., T, C, H, W]`` -> same shape, type and dtype.

    Raises:
        ValueError: severity outside ``[1, 10]``, ``mixture_width < 1``, ``alpha <= 0``.
        TypeError: no image, several images/videos, or boxes/masks in the sample.

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> _ = ember.manual_seed(0)
        >>> img = tv_tensors.Image(ember.rand(3, 8, 8))
        >>> out = AugMix()(img)
        >>> type(out).__name__, tuple(out.shape), out.dtype
        ('Image', (3, 8, 8), ember.float32)
    """

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1,
                 alpha: float = 1.0, all_ops: bool = True,
                 interpolation=InterpolationMode.BILINEAR, fill=None) -> None:
        super().__init__()
        self._PARAMETER_MAX = _aa._AUGMIX_MAX
        self.alpha = _aa._check_augmix_args(severity, mixture_width, alpha, "AugMix")
        self.severity, self.mixture_width, self.chain_depth = severity, mixture_width, chain_depth
        self.all_ops, self.fill = all_ops, fill
        self.interpolation = _interpolation(interpolation)

    def _sample_dirichlet(self, params):
        """Rows of Dirichlet weights for ``(N, K)`` concentrations (replaceable in tests)."""
        return _aa._sampling.sample_dirichlet(params)

    def forward(self, *inputs):
        flat, spec, idx = _extract_image_or_video(self, inputs)
        orig = flat[idx]
        if isinstance(orig, ember.Tensor):
            img = F._plain(orig) if isinstance(orig, tv_tensors.TVTensor) else orig
        else:
            img = _pil_to_tensor(orig)
        if img.ndim < 3:
            raise TypeError(f"AugMix(): expected an image of shape [..., C, H, W], got shape "
                            f"{tuple(img.shape)}")
        fill = B._tensor_fill(img, _fill_for(self.fill, orig))
        expected_ndim = 5 if isinstance(orig, tv_tensors.Video) else 4
        mix = _aa._augmix(self, img, fill, expected_ndim=expected_ndim, v2=True,
                          apply_op=_augmix_op)
        if isinstance(orig, tv_tensors.TVTensor):
            mix = tv_tensors.wrap(mix, like=orig)
        elif not isinstance(orig, ember.Tensor):
            mix = _to_pil_image(mix)
        flat[idx] = mix
        return tree_unflatten(flat, spec)

    def extra_repr(self) -> str:
        return (f"severity={self.severity}, mixture_width={self.mixture_width}, "
                f"chain_depth={self.chain_depth}, alpha={self.alpha}, all_ops={self.all_ops}, "
                f"interpolation={self.interpolation}, fill={self.fill}")
