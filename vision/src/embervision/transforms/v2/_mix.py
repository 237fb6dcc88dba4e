"""Batch-level label mixing: MixUp and CutMix (images ``(N, C, H, W)`` + labels ``(N,)``).

Both pair each sample with its predecessor in the batch (``roll(1, 0)``), draw
``lam ~ Beta(alpha, alpha)`` from ember's global generator and return one-hot soft labels
``lam * onehot(y) + (1 - lam) * onehot(roll(y))``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from PIL import Image as _PIL

import ember
import ember.nn.functional as _nnF

from ... import tv_tensors
from .. import _sampling
from ._transform import Transform, is_pure_tensor, query_size, tree_flatten, tree_unflatten

__all__ = ["MixUp", "CutMix"]


def _find_labels_default_heuristic(inputs):
    """torchvision's default labels getter: the second item of a tuple/list when it is a plain
    tensor, else the ``labels``-like key of the (second item's) dict."""
    if isinstance(inputs, (tuple, list)):
        inputs = inputs[1]
    if is_pure_tensor(inputs):
        return inputs
    if not isinstance(inputs, Mapping):
        raise ValueError("When using the default labels_getter, the input passed to forward must "
                         "be a dictionary or a two-tuple whose second item is a dictionary or a "
                         f"tensor, but got {type(inputs).__name__} instead.")
    key = next((k for k in inputs if isinstance(k, str) and k.lower() == "labels"), None)
    if key is None:
        key = next((k for k in inputs if isinstance(k, str) and "label" in k.lower()), None)
    if key is None:
        raise ValueError("Could not infer where the labels are in the sample. Try passing a "
                         "callable as the labels_getter parameter?If there are no labels in the "
                         "sample by design, pass labels_getter=None.")
    return inputs[key]


def _parse_labels_getter(labels_getter):
    if isinstance(labels_getter, str) and labels_getter == "default":
        return _find_labels_default_heuristic
    if callable(labels_getter):
        return labels_getter
    if labels_getter is None:
        return lambda _: None
    raise ValueError("labels_getter should either be 'default', a callable, or None, but got "
                     f"{labels_getter}.")


class _BaseMixUpCutMix(Transform):
    def __init__(self, *, alpha: float = 1.0, num_classes=None, labels_getter="default") -> None:
        super().__init__()
        self.alpha = _sampling.check_concentration(alpha, type(self).__name__)
        if num_classes is not None and (isinstance(num_classes, bool)
                                        or not isinstance(num_classes, int) or num_classes < 1):
            raise ValueError(f"{type(self).__name__}(): num_classes must be a positive integer "
                             f"or None, got {num_classes!r}")
        self.num_classes = num_classes
        self._labels_getter = _parse_labels_getter(labels_getter)

    def _sample_lambda(self) -> float:
        """``lam ~ Beta(alpha, alpha)`` (a method so tests can fix it)."""
        return _sampling.sample_beta(self.alpha)

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        flat, spec = tree_flatten(sample)
        needs = self._needs_transform_list(flat)
        name = type(self).__name__
        if any(isinstance(x, (_PIL.Image, tv_tensors.BoundingBoxes, tv_tensors.Mask))
               for x in flat):
            raise ValueError(f"{name}() does not support PIL images, bounding boxes, keypoints "
                             f"and masks.")
        labels = self._labels_getter(sample)
        if not isinstance(labels, ember.Tensor):
            raise ValueError(f"The labels must be a tensor, but got {type(labels)} instead.")
        if labels.ndim not in (1, 2):
            raise ValueError("labels should be index based with shape (batch_size,) or "
                             "probability based with shape (batch_size, num_classes), but got a "
                             f"tensor of shape {tuple(labels.shape)} instead.")
        if labels.ndim == 2 and self.num_classes is not None \
                and labels.shape[-1] != self.num_classes:
            raise ValueError("When passing 2D labels, the number of elements in last dimension "
                             f"must match num_classes: {labels.shape[-1]} != {self.num_classes}. "
                             "You can Leave num_classes to None.")
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError("num_classes must be passed if the labels are index-based (1D)")
        if labels.ndim == 1 and (labels.dtype.is_floating_point or labels.dtype == ember.bool):
            raise ValueError(f"{name}(): index-based (1D) labels must be an integer tensor, got "
                             f"{labels.dtype}")
        label_idx = next((i for i, x in enumerate(flat) if x is labels), None)
        if label_idx is None:
            raise ValueError(f"{name}(): the labels returned by labels_getter are not a leaf of "
                             f"the input sample")
        params = {"labels": labels, "batch_size": int(labels.shape[0]),
                  **self.make_params([x for x, n in zip(flat, needs, strict=True) if n])}
        # the labels come after the images, so they are not selected by default
        needs[label_idx] = True
        out = [self.transform(x, params) if n else x for x, n in zip(flat, needs, strict=True)]
        return tree_unflatten(out, spec)

    def _check_image_or_video(self, inpt, *, batch_size: int) -> None:
        expected = 5 if isinstance(inpt, tv_tensors.Video) else 4
        if inpt.ndim != expected:
            raise ValueError(f"Expected a batched input with {expected} dims, but got {inpt.ndim} "
                             f"dimensions instead.")
        if inpt.shape[0] != batch_size:
            raise ValueError("The batch size of the image or video does not match the batch size "
                             f"of the labels: {inpt.shape[0]} != {batch_size}.")

    def _mixup_label(self, label, *, lam: float):
        if label.ndim == 1:
            label = _nnF.one_hot(label.to(ember.int64), num_classes=self.num_classes)
        if not label.dtype.is_floating_point:
            label = label.float()
        return label.roll(1, 0) * (1.0 - lam) + label * lam

    @staticmethod
    def _is_image_or_video(inpt) -> bool:
        return isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)) or is_pure_tensor(inpt)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, num_classes={self.num_classes}"


class MixUp(_BaseMixUpCutMix):
    """MixUp (Zhang et al., 2018) on a batch: blend each sample with the previous one.

    With ``lam ~ Beta(alpha, alpha)`` (one draw per call): ``x' = lam * x + (1 - lam) *
    roll(x, 1, 0)`` and ``y' = lam * onehot(y) + (1 - lam) * onehot(roll(y, 1, 0))``. Shuffle the
    batch first: pairs are consecutive samples.

    Args:
        alpha (float): Beta concentration (> 0). Default: ``1.0``.
        num_classes (int, optional): classes for one-hot labels; may be None only when the
            labels are already ``(N, num_classes)`` probabilities. Default: ``None``.
        labels_getter (callable or "default"): finds the labels in the input; the default
            takes the second argument (or the "labels" key of a dict). Default: ``"default"``.

    Shape:
        images ``(N, C, H, W)`` (videos ``(N, T, C, H, W)``), float; labels ``(N,)`` integer or
        ``(N, K)``. Output: same images shape; labels ``(N, K)`` float.

    Raises:
        ValueError: alpha <= 0; PIL images, boxes or masks in the input; labels that are not a
            tensor, not 1D/2D, non-integer 1D, or mismatching ``num_classes`` / batch size;
            images that are not batched.
        RuntimeError: integer images (the blend is not integral, as in torchvision).

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> imgs, labels = ember.rand(4, 3, 8, 8), ember.tensor([0, 1, 2, 1])
        >>> out, soft = MixUp(num_classes=3)(imgs, labels)
        >>> tuple(out.shape), tuple(soft.shape), bool(((soft.sum(1) - 1).abs() < 1e-6).all())
        ((4, 3, 8, 8), (4, 3), True)
    """

    def make_params(self, flat_inputs):
        return dict(lam=self._sample_lambda())

    def transform(self, inpt, params):
        lam = params["lam"]
        if inpt is params["labels"]:
            return self._mixup_label(inpt, lam=lam)
        if not self._is_image_or_video(inpt):
            return inpt
        self._check_image_or_video(inpt, batch_size=params["batch_size"])
        plain = tv_tensors._plain(inpt) if isinstance(inpt, tv_tensors.TVTensor) else inpt
        output = plain.roll(1, 0).mul_(1.0 - lam).add_(plain.mul(lam))
        return tv_tensors.wrap(output, like=inpt) if isinstance(inpt, tv_tensors.TVTensor) \
            else output


class CutMix(_BaseMixUpCutMix):
    """CutMix (Yun et al., 2019) on a batch: paste a box of the previous sample into each one.

    With ``lam ~ Beta(alpha, alpha)`` and a centre ``(r_x, r_y)`` drawn uniformly from the
    ``W x H`` pixels, the box has half-sides ``int(0.5 * sqrt(1 - lam) * W)`` and
    ``int(0.5 * sqrt(1 - lam) * H)`` clipped to the image; the labels use the box's actual
    area: ``lam' = 1 - (x2 - x1) * (y2 - y1) / (W * H)``,
    ``y' = lam' * onehot(y) + (1 - lam') * onehot(roll(y, 1, 0))``.

    Args:
        alpha (float): Beta concentration (> 0). Default: ``1.0``.
        num_classes (int, optional): classes for one-hot labels; may be None only when the
            labels are already ``(N, num_classes)`` probabilities. Default: ``None``.
        labels_getter (callable or "default"): finds the labels in the input. Default:
            ``"default"``.

    Shape:
        images ``(N, C, H, W)`` (videos ``(N, T, C, H, W)``), any dtype; labels ``(N,)``
        integer or ``(N, K)``. Output: same images shape and dtype; labels ``(N, K)`` float.

    Raises:
        ValueError: as :class:`MixUp`.

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> imgs = ember.randint(0, 256, (4, 3, 8, 8), dtype=ember.uint8)
        >>> out, soft = CutMix(num_classes=5)(imgs, ember.tensor([0, 4, 2, 1]))
        >>> out.dtype, tuple(soft.shape)
        (ember.uint8, (4, 5))
    """

    def make_params(self, flat_inputs):
        lam = self._sample_lambda()
        H, W = query_size(flat_inputs)
        r_x = _sampling.randint(0, W)
        r_y = _sampling.randint(0, H)
        r = 0.5 * math.sqrt(1.0 - lam)
        r_w_half, r_h_half = int(r * W), int(r * H)
        x1, y1 = max(r_x - r_w_half, 0), max(r_y - r_h_half, 0)
        x2, y2 = min(r_x + r_w_half, W), min(r_y + r_h_half, H)
        lam_adjusted = float(1.0 - (x2 - x1) * (y2 - y1) / (W * H))
        return dict(box=(x1, y1, x2, y2), lam_adjusted=lam_adjusted)

    def transform(self, inpt, params):
        if inpt is params["labels"]:
            return self._mixup_label(inpt, lam=params["lam_adjusted"])
        if not self._is_image_or_video(inpt):
            return inpt
        self._check_image_or_video(inpt, batch_size=params["batch_size"])
        x1, y1, x2, y2 = params["box"]
        plain = tv_tensors._plain(inpt) if isinstance(inpt, tv_tensors.TVTensor) else inpt
        output = plain.clone()
        output[..., y1:y2, x1:x2] = plain.roll(1, 0)[..., y1:y2, x1:x2]
        return tv_tensors.wrap(output, like=inpt) if isinstance(inpt, tv_tensors.TVTensor) \
            else output
