"""Input/target preprocessing of R-CNN models: normalise, resize, batch with padding."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import ember
from ember import Tensor, nn
from ember.nn import functional as F

from .image_list import ImageList

__all__ = ["GeneralizedRCNNTransform", "resize_boxes", "resize_keypoints"]


def _resize_image_and_masks(image: Tensor, self_min_size: int, self_max_size: int,
                            target: dict | None = None, fixed_size=None):
    size = None
    scale_factor = None
    recompute = None
    if fixed_size is not None:
        size = [fixed_size[1], fixed_size[0]]
    else:
        h, w = image.shape[-2:]
        scale_factor = min(self_min_size / min(h, w), self_max_size / max(h, w))
        recompute = True
    image = F.interpolate(image[None], size=size, scale_factor=scale_factor, mode="bilinear",
                          recompute_scale_factor=recompute, align_corners=False)[0]
    if target is not None and "masks" in target:
        mask = F.interpolate(target["masks"][:, None].float(), size=size,
                             scale_factor=scale_factor, recompute_scale_factor=recompute)
        target["masks"] = mask[:, 0].byte()
    return image, target


def _ratios(new_size, original_size) -> tuple[float, float]:
    # NOTE: the ratios are float32 quotients, as the reference computes them on float32 tensors
    return tuple(float(np.float32(s) / np.float32(o))
                 for s, o in zip(new_size, original_size, strict=False))


def resize_boxes(boxes: Tensor, original_size, new_size) -> Tensor:
    """Scale (N, 4) xyxy boxes from an image of ``original_size`` (h, w) to ``new_size``.

    Example:
        >>> resize_boxes(ember.tensor([[1., 2., 3., 4.]]), (10, 20), (20, 10)).tolist()
        [[0.5, 4.0, 1.5, 8.0]]
    """
    ratio_h, ratio_w = _ratios(new_size, original_size)
    xmin, ymin, xmax, ymax = boxes.unbind(1)
    return ember.stack((xmin * ratio_w, ymin * ratio_h, xmax * ratio_w, ymax * ratio_h), dim=1)


def resize_keypoints(keypoints: Tensor, original_size, new_size) -> Tensor:
    """Scale (N, K, 3) keypoints ``(x, y, visibility)`` like :func:`resize_boxes`.

    Example:
        >>> resize_keypoints(ember.tensor([[[1., 2., 1.]]]), (10, 10), (20, 30)).tolist()
        [[[3.0, 4.0, 1.0]]]
    """
    ratio_h, ratio_w = _ratios(new_size, original_size)
    return ember.stack((keypoints[..., 0] * ratio_w, keypoints[..., 1] * ratio_h,
                        keypoints[..., 2]), dim=-1)


class GeneralizedRCNNTransform(nn.Module):
    """Normalise, resize and batch images (and rescale target boxes) for an R-CNN.

    Each image is normalised ``(x - mean) / std`` per channel, resized bilinearly by
    ``min(min_size / min(h, w), max_size / max(h, w))`` (in training ``min_size`` is drawn from
    the tuple, in eval the last entry is used), then all images are zero-padded to a common
    size rounded up to a multiple of ``size_divisible``. ``postprocess`` maps predicted boxes
    back to the original image sizes.

    Args:
        min_size (int | tuple[int, ...]), max_size (int).
        image_mean (list[float]), image_std (list[float]).
        size_divisible (int): Default: 32.
        fixed_size (tuple[int, int] | None): resize to this (width, height) instead.

    Raises:
        ValueError: for an image that is not 3-d. TypeError: for an integer image.

    Example:
        >>> t = GeneralizedRCNNTransform(64, 100, [0., 0., 0.], [1., 1., 1.]).eval()
        >>> il, _ = t([ember.zeros(3, 40, 50)])
        >>> il.image_sizes, tuple(il.tensors.shape)
        ([(64, 80)], (1, 3, 64, 96))
    """

    def __init__(self, min_size, max_size: int, image_mean: list[float], image_std: list[float],
                 size_divisible: int = 32, fixed_size=None, **kwargs: Any) -> None:
        super().__init__()
        if not isinstance(min_size, (list, tuple)):
            min_size = (min_size,)
        self.min_size = min_size
        self.max_size = max_size
        self.image_mean = image_mean
        self.image_std = image_std
        self.size_divisible = size_divisible
        self.fixed_size = fixed_size
        self._skip_resize = kwargs.pop("_skip_resize", False)
        if kwargs:
            raise TypeError(f"GeneralizedRCNNTransform got unexpected keyword arguments "
                            f"{sorted(kwargs)}")

    def forward(self, images: list[Tensor], targets: list[dict] | None = None):
        images = list(images)
        if targets is not None:
            targets = [dict(t) for t in targets]
        for i, image in enumerate(images):
            if image.dim() != 3:
                raise ValueError(f"images is expected to be a list of 3d tensors of shape "
                                 f"[C, H, W], got {tuple(image.shape)}")
            target = targets[i] if targets is not None else None
            image = self.normalize(image)
            image, target = self.resize(image, target)
            images[i] = image
            if targets is not None and target is not None:
                targets[i] = target
        image_sizes = [(int(img.shape[-2]), int(img.shape[-1])) for img in images]
        batched = self.batch_images(images, size_divisible=self.size_divisible)
        return ImageList(batched, image_sizes), targets

    def normalize(self, image: Tensor) -> Tensor:
        """``(image - mean[:, None, None]) / std[:, None, None]``.

        Raises:
            TypeError: when ``image`` is not floating point.
        """
        if not image.is_floating_point():
            raise TypeError(f"Expected input images to be of floating type (in range [0, 1]), "
                            f"but found type {image.dtype} instead")
        mean = ember.as_tensor(self.image_mean, dtype=image.dtype, device=image.device)
        std = ember.as_tensor(self.image_std, dtype=image.dtype, device=image.device)
        return (image - mean[:, None, None]) / std[:, None, None]

    def torch_choice(self, k: list[int]) -> int:
        """A uniformly random element of ``k`` drawn with ember's generator."""
        index = int(ember.empty(1).uniform_(0.0, float(len(k))).item())
        return k[index]

    def resize(self, image: Tensor, target: dict | None = None):
        """Resize one (C, H, W) image and its target's boxes (and keypoints)."""
        h, w = image.shape[-2:]
        if self.training:
            if self._skip_resize:
                return image, target
            size = self.torch_choice(self.min_size)
        else:
            size = self.min_size[-1]
        image, target = _resize_image_and_masks(image, size, self.max_size, target,
                                                self.fixed_size)
        if target is None:
            return image, target
        target["boxes"] = resize_boxes(target["boxes"], (h, w), image.shape[-2:])
        if "keypoints" in target:
            target["keypoints"] = resize_keypoints(target["keypoints"], (h, w), image.shape[-2:])
        return image, target

    def max_by_axis(self, the_list: list[list[int]]) -> list[int]:
        """Elementwise maximum of equal-length integer lists."""
        return [max(col) for col in zip(*the_list, strict=False)]

    def batch_images(self, images: list[Tensor], size_divisible: int = 32) -> Tensor:
        """Zero-pad images (bottom/right) to a common size divisible by ``size_divisible``."""
        max_size = self.max_by_axis([list(img.shape) for img in images])
        stride = float(size_divisible)
        max_size[1] = int(math.ceil(float(max_size[1]) / stride) * stride)
        max_size[2] = int(math.ceil(float(max_size[2]) / stride) * stride)
        padded = [F.pad(img, (0, max_size[2] - img.shape[2], 0, max_size[1] - img.shape[1],
                              0, max_size[0] - img.shape[0])) for img in images]
        return ember.stack(padded)

    def postprocess(self, result: list[dict], image_shapes, original_image_sizes) -> list[dict]:
        """In eval mode, rescale each prediction's boxes (and keypoints) to its original size."""
        if self.training:
            return result
        sizes = zip(result, image_shapes, original_image_sizes, strict=False)
        for i, (pred, im_s, o_im_s) in enumerate(sizes):
            result[i]["boxes"] = resize_boxes(pred["boxes"], im_s, o_im_s)
            if "keypoints" in pred:
                result[i]["keypoints"] = resize_keypoints(pred["keypoints"], im_s, o_im_s)
        return result

    def __repr__(self) -> str:
        ind = "\n    "
        return (f"{self.__class__.__name__}({ind}Normalize(mean={self.image_mean}, "
                f"std={self.image_std}){ind}Resize(min_size={self.min_size}, "
                f"max_size={self.max_size}, mode='bilinear')\n)")
