"""Automatic augmentation policies: AutoAugment, RandAugment, TrivialAugmentWide, AugMix.

Each applies randomly chosen image operations (shear, translate, rotate, colour, posterize,
solarize, ...) with magnitudes taken from a table of ``num_bins`` evenly spaced values, drawn from
ember's global generator. Tensor inputs should be uint8 (the Solarize table is on the 0..255
scale, as in torchvision).
"""

from __future__ import annotations

import math
from enum import Enum

import numpy as np

import ember
import ember.nn as nn

from . import _sampling
from . import functional as F
from ._functional_tensor import _max_value
from .functional import InterpolationMode, _interpolation

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _apply_op(img, op_name: str, magnitude: float, interpolation, fill):
    """Apply one named augmentation with its (signed) magnitude."""
    if op_name == "ShearX":
        # NOTE: the magnitude is a shear factor; affine takes an angle, hence atan
        return F.affine(img, 0.0, [0, 0], 1.0, [math.degrees(math.atan(magnitude)), 0.0],
                        interpolation, fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, 0.0, [0, 0], 1.0, [0.0, math.degrees(math.atan(magnitude))],
                        interpolation, fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, 0.0, [int(magnitude), 0], 1.0, [0.0, 0.0], interpolation, fill)
    if op_name == "TranslateY":
        return F.affine(img, 0.0, [0, int(magnitude)], 1.0, [0.0, 0.0], interpolation, fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation, fill=fill)
    enhance = {"Brightness": F.adjust_brightness, "Color": F.adjust_saturation,
               "Contrast": F.adjust_contrast, "Sharpness": F.adjust_sharpness}
    if op_name in enhance:
        return enhance[op_name](img, 1.0 + magnitude)
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Solarize":
        return F.solarize(img, magnitude)
    simple = {"AutoContrast": F.autocontrast, "Equalize": F.equalize, "Invert": F.invert}
    if op_name in simple:
        return simple[op_name](img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


def _space(num_bins: int, height: int, width: int, wide: bool = False) -> dict:
    """``op name -> (magnitudes, signed)``; a scalar magnitude table means "no magnitude"."""
    lin = np.linspace
    if wide:  # TrivialAugmentWide's wider ranges
        shear, tx, ty, rot, col, post_div = 0.99, 32.0, 32.0, 135.0, 0.99, 6
    else:
        shear, tx, ty = 0.3, 150.0 / 331.0 * width, 150.0 / 331.0 * height
        rot, col, post_div = 30.0, 0.9, 4
    posterize = 8 - np.round(np.arange(num_bins) / ((num_bins - 1) / post_div)).astype(int)
    return {
        "Identity": (np.array(0.0), False),
        "ShearX": (lin(0.0, shear, num_bins), True), "ShearY": (lin(0.0, shear, num_bins), True),
        "TranslateX": (lin(0.0, tx, num_bins), True), "TranslateY": (lin(0.0, ty, num_bins), True),
        "Rotate": (lin(0.0, rot, num_bins), True),
        "Brightness": (lin(0.0, col, num_bins), True), "Color": (lin(0.0, col, num_bins), True),
        "Contrast": (lin(0.0, col, num_bins), True), "Sharpness": (lin(0.0, col, num_bins), True),
        "Posterize": (posterize, False), "Solarize": (lin(255.0, 0.0, num_bins), False),
        "AutoContrast": (np.array(0.0), False), "Equalize": (np.array(0.0), False),
    }


def _fill_for(img, fill):
    if isinstance(img, ember.Tensor):
        if isinstance(fill, (int, float)):
            return [float(fill)] * F.get_image_num_channels(img)
        if fill is not None:
            return [float(f) for f in fill]
    return fill


def _randint(n: int) -> int:
    return _sampling.randint(0, n)


def _randint_range(low: int, high: int) -> int:
    return _sampling.randint(low, high)


def _rand() -> float:
    return _sampling.rand()


class AutoAugmentPolicy(Enum):
    """The policies learned on ImageNet, CIFAR10 and SVHN (Cubuk et al., 2019)."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# Each sub-policy: two (operation, probability, magnitude bin) triples; tables from the paper.
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
        (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
        (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
        (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)), (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)), (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)), (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)), (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)), (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)), (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
        (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
        (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
        (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
        (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
        (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
        (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
        (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
        (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
        (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
        (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
        (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)), (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)), (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)), (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)), (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)), (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)), (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)), (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
        (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}


class AutoAugment(nn.Module):
    """Apply one random sub-policy (two ops, each with its probability) of a learned policy.

    Args:
        policy (AutoAugmentPolicy): Default: ``IMAGENET``.
        interpolation (InterpolationMode): for the geometric ops. Default: ``NEAREST``.
        fill (number or sequence, optional): value outside the transformed image.

    Raises:
        ValueError: unknown policy.
    """

    _apply_op = staticmethod(_apply_op)  # one named op (v2 swaps in its kernels)

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET,
                 interpolation=InterpolationMode.NEAREST, fill=None) -> None:
        super().__init__()
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policy, self.fill = policy, fill
        self.interpolation = _interpolation(interpolation)
        self.policies = _POLICIES[policy]

    @staticmethod
    def get_params(transform_num: int):
        """(sub-policy index, two uniform draws, two random signs)."""
        policy_id = _randint(transform_num)
        probs = ember.rand(2).tolist()
        signs = ember.randint(2, (2,)).tolist()
        return policy_id, probs, signs

    def forward(self, img):
        fill = _fill_for(img, self.fill)
        _, height, width = F.get_dimensions(img)
        transform_id, probs, signs = self.get_params(len(self.policies))
        space = _space(10, height, width)
        space["Invert"] = (np.array(0.0), False)
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i] <= p:
                magnitudes, signed = space[op_name]
                magnitude = float(magnitudes[magnitude_id]) if magnitude_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude = -magnitude
                img = self._apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def extra_repr(self) -> str:
        return f"policy={self.policy}, fill={self.fill}"


class RandAugment(nn.Module):
    """Apply ``num_ops`` uniformly chosen ops at fixed ``magnitude`` (out of
    ``num_magnitude_bins``), each with a random sign (Cubuk et al., 2020)."""

    _apply_op = staticmethod(_apply_op)  # one named op (v2 swaps in its kernels)

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation=InterpolationMode.NEAREST, fill=None) -> None:
        super().__init__()
        if not 0 <= magnitude < num_magnitude_bins:
            raise ValueError(f"magnitude must be in [0, {num_magnitude_bins}), got {magnitude}")
        self.num_ops, self.magnitude = num_ops, magnitude
        self.num_magnitude_bins, self.fill = num_magnitude_bins, fill
        self.interpolation = _interpolation(interpolation)

    def forward(self, img):
        fill = _fill_for(img, self.fill)
        _, height, width = F.get_dimensions(img)
        space = _space(self.num_magnitude_bins, height, width)
        names = list(space)
        for _ in range(self.num_ops):
            op_name = names[_randint(len(names))]
            magnitudes, signed = space[op_name]
            magnitude = float(magnitudes[self.magnitude]) if magnitudes.ndim > 0 else 0.0
            if signed and _randint(2):
                magnitude = -magnitude
            img = self._apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def extra_repr(self) -> str:
        return (f"num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}")


class TrivialAugmentWide(nn.Module):
    """Apply one uniformly chosen op at a uniformly chosen magnitude from the wide ranges
    (Müller & Hutter, 2021)."""

    _apply_op = staticmethod(_apply_op)  # one named op (v2 swaps in its kernels)

    def __init__(self, num_magnitude_bins: int = 31, interpolation=InterpolationMode.NEAREST,
                 fill=None) -> None:
        super().__init__()
        self.num_magnitude_bins, self.fill = num_magnitude_bins, fill
        self.interpolation = _interpolation(interpolation)

    def forward(self, img):
        fill = _fill_for(img, self.fill)
        space = _space(self.num_magnitude_bins, 0, 0, wide=True)
        names = list(space)
        op_name = names[_randint(len(names))]
        magnitudes, signed = space[op_name]
        magnitude = float(magnitudes[_randint(len(magnitudes))]) if magnitudes.ndim > 0 else 0.0
        if signed and _randint(2):
            magnitude = -magnitude
        return self._apply_op(img, op_name, magnitude, self.interpolation, fill)

    def extra_repr(self) -> str:
        return f"num_magnitude_bins={self.num_magnitude_bins}"


# ----------------------------------------------------------------------------------- AugMix
_AUGMIX_MAX = 10  # torchvision's _PARAMETER_MAX: magnitude bins and the largest severity


def _linspace32(start: float, end: float, steps: int) -> np.ndarray:
    """``torch.linspace(start, end, steps)`` in float32: the first half counts up from
    ``start``, the second half down from ``end`` (keeps the table bit-equal to torch's)."""
    i = np.arange(steps)
    step = np.float32((np.float32(end) - np.float32(start)) / np.float32(max(steps - 1, 1)))
    # float32 step, multiply-add rounded once (as the fused kernel does)
    up = np.float64(np.float32(start)) + np.float64(step) * i
    down = np.float64(np.float32(end)) - np.float64(step) * (steps - 1 - i)
    return np.where(i < steps // 2, up, down).astype(np.float32)


def _augmix_space(num_bins: int, height: int, width: int, all_ops: bool, v2: bool) -> dict:
    """``op name -> (magnitudes or None, signed)`` in torchvision's order (the op index is
    drawn from it). v2 keeps Solarize on the 0..1 scale and multiplies by the dtype's max."""
    posterize = 4 - np.round(np.arange(num_bins) / ((num_bins - 1) / 4)).astype(int)
    space = {
        "ShearX": (_linspace32(0.0, 0.3, num_bins), True),
        "ShearY": (_linspace32(0.0, 0.3, num_bins), True),
        "TranslateX": (_linspace32(0.0, width / 3.0, num_bins), True),
        "TranslateY": (_linspace32(0.0, height / 3.0, num_bins), True),
        "Rotate": (_linspace32(0.0, 30.0, num_bins), True),
        "Posterize": (posterize, False),
        "Solarize": (_linspace32(1.0 if v2 else 255.0, 0.0, num_bins), False),
        "AutoContrast": (None, False),
        "Equalize": (None, False),
    }
    if all_ops:
        for name in ("Brightness", "Color", "Contrast", "Sharpness"):
            space[name] = (_linspace32(0.0, 0.9, num_bins), True)
    return space


def _check_augmix_args(severity, mixture_width, alpha, owner: str) -> float:
    if not 1 <= severity <= _AUGMIX_MAX:
        raise ValueError(f"The severity must be between [1, {_AUGMIX_MAX}]. Got {severity} "
                         f"instead.")
    if isinstance(mixture_width, bool) or not isinstance(mixture_width, int) \
            or mixture_width < 1:
        raise ValueError(f"{owner}(): mixture_width must be an integer >= 1, got "
                         f"{mixture_width!r}")
    return _sampling.check_concentration(alpha, owner)


def _augmix(aug_self, img, fill, expected_ndim: int, v2: bool, apply_op=None):
    """AugMix on a tensor ``img`` of shape ``[..., C, H, W]`` (one weight set per leading item
    once reshaped to ``expected_ndim`` dims):

        out = m0 * img + m1 * sum_i w_i * chain_i(img),  (m0, m1) ~ Dir(a, a), w ~ Dir(a, ..., a)

    computed in float32 (float64 for float64 images) and cast back to ``img.dtype``.
    ``apply_op`` (default ``_apply_op``) runs one named op."""
    apply_op = _apply_op if apply_op is None else apply_op
    height, width = int(img.shape[-2]), int(img.shape[-1])
    space = _augmix_space(_AUGMIX_MAX, height, width, aug_self.all_ops, v2)
    names = list(space)
    orig_dims = list(img.shape)
    batch = img.reshape([1] * max(expected_ndim - img.ndim, 0) + orig_dims)
    n = int(batch.shape[0])
    bdims = [n] + [1] * (batch.ndim - 1)
    k = aug_self.mixture_width
    m = aug_self._sample_dirichlet(ember.full((n, 2), aug_self.alpha, device=batch.device))
    combined = aug_self._sample_dirichlet(
        ember.full((n, k), aug_self.alpha, device=batch.device)) * m[:, 1].reshape(n, -1)
    mix = m[:, 0].reshape(bdims) * batch
    solarize_bound = _max_value(img.dtype) if v2 else 1.0
    for i in range(k):
        aug = batch
        depth = aug_self.chain_depth if aug_self.chain_depth > 0 else _randint_range(1, 4)
        for _ in range(depth):
            op_name = names[_randint(len(names))]
            magnitudes, signed = space[op_name]
            magnitude = 0.0
            if magnitudes is not None:
                magnitude = float(magnitudes[_randint(aug_self.severity)])
                if signed and ((_rand() <= 0.5) if v2 else _randint(2)):
                    magnitude = -magnitude
            if op_name == "Solarize":
                magnitude = solarize_bound * magnitude
            aug = apply_op(aug, op_name, magnitude, aug_self.interpolation, fill)
        mix = mix + combined[:, i].reshape(bdims) * aug
    return mix.reshape(orig_dims).to(dtype=img.dtype)


class AugMix(nn.Module):
    """AugMix (Hendrycks et al., 2020): mix the image with ``mixture_width`` chains of random
    ops.

    With ``(m0, m1) ~ Dirichlet(alpha, alpha)`` (a Beta draw) and ``w ~ Dirichlet(alpha, ...,
    alpha)`` over the chains, ``out = m0 * img + sum_i m1 * w_i * chain_i(img)``; each chain
    applies ``chain_depth`` ops (``U{1, 2, 3}`` when negative) drawn uniformly, at a magnitude
    bin drawn from ``[0, severity)`` with a random sign. Tensors should be uint8 ``[..., 1 or
    3, H, W]`` (Solarize uses the 0..255 scale); leading items get independent weights; the
    result keeps the input's dtype (truncated like ``Tensor.to``).

    Args:
        severity (int): magnitude bins used, in ``[1, 10]``. Default: ``3``.
        mixture_width (int): number of chains. Default: ``3``.
        chain_depth (int): ops per chain; negative draws 1..3 per chain. Default: ``-1``.
        alpha (float): Dirichlet/Beta concentration (> 0). Default: ``1.0``.
        all_ops (bool): also use Brightness, Color, Contrast, Sharpness. Default: ``True``.
        interpolation (InterpolationMode): for the geometric ops. Default: ``BILINEAR``.
        fill (number or sequence, optional): value outside the transformed image.

    Shape:
        ``[..., C, H, W]`` -> same shape and dtype (PIL images stay PIL images).

    Raises:
        ValueError: severity outside ``[1, 10]``, ``mixture_width < 1``, ``alpha <= 0``.

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> img = ember.randint(0, 256, (3, 8, 8), dtype=ember.uint8)
        >>> out = AugMix()(img)
        >>> tuple(out.shape), out.dtype
        ((3, 8, 8), ember.uint8)
    """

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1,
                 alpha: float = 1.0, all_ops: bool = True,
                 interpolation=InterpolationMode.BILINEAR, fill=None) -> None:
        super().__init__()
        self._PARAMETER_MAX = _AUGMIX_MAX
        self.alpha = _check_augmix_args(severity, mixture_width, alpha, "AugMix")
        self.severity, self.mixture_width, self.chain_depth = severity, mixture_width, chain_depth
        self.all_ops, self.fill = all_ops, fill
        self.interpolation = _interpolation(interpolation)

    def _sample_dirichlet(self, params):
        """Rows of Dirichlet weights for ``(N, K)`` concentrations (a method so tests can
        replace it, as in torchvision)."""
        return _sampling.sample_dirichlet(params)

    def forward(self, orig_img):
        img = orig_img if isinstance(orig_img, ember.Tensor) else F.pil_to_tensor(orig_img)
        if img.ndim < 3:
            raise TypeError(f"AugMix(): expected an image of shape [..., C, H, W], got shape "
                            f"{tuple(img.shape)}")
        mix = _augmix(self, img, _fill_for(img, self.fill), expected_ndim=4, v2=False)
        return mix if isinstance(orig_img, ember.Tensor) else F.to_pil_image(mix)

    def extra_repr(self) -> str:
        return (f"severity={self.severity}, mixture_width={self.mixture_width}, "
                f"chain_depth={self.chain_depth}, alpha={self.alpha}, all_ops={self.all_ops}, "
                f"interpolation={self.interpolation}, fill={self.fill}")
