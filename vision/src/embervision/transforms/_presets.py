"""Preprocessing presets of the pretrained weights (``weights.transforms()``).

Each preset is a module taking a PIL image or a (..., C, H, W) tensor; they use the
``transforms.functional`` kernels so their results equal the class transforms'.
"""

from __future__ import annotations

from collections.abc import Sequence

import ember
from ember import Tensor, nn

from . import functional as F
from .functional import InterpolationMode

__all__ = ["ImageClassification", "ObjectDetection", "SemanticSegmentation",
           "VideoClassification"]

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def _mode(interpolation) -> InterpolationMode:
    return interpolation if isinstance(interpolation, InterpolationMode) \
        else InterpolationMode(interpolation)


def _to_float_tensor(img) -> Tensor:
    if not isinstance(img, Tensor):
        img = F.pil_to_tensor(img)
    return F.convert_image_dtype(img, ember.float)


class ObjectDetection(nn.Module):
    """Convert to a float tensor in [0, 1] (PIL or uint8 input); nothing else.

    Example:
        >>> ObjectDetection()(ember.full((3, 2, 2), 255, dtype=ember.uint8)).max().item()
        1.0
    """

    def forward(self, img) -> Tensor:
        return _to_float_tensor(img)

    def __repr__(self) -> str:
        return self.__class__.__name__ + "()"

    def describe(self) -> str:
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image "
                "``torch.Tensor`` objects. The images are rescaled to ``[0.0, 1.0]``.")


class ImageClassification(nn.Module):
    """Resize the short side to ``resize_size``, centre-crop ``crop_size``, scale to [0, 1],
    normalise with ``mean``/``std``.

    Args:
        crop_size (int): output side.
        resize_size (int): short side after resizing. Default: 256.
        mean, std (Sequence[float]): Default: ImageNet's.
        interpolation (InterpolationMode | str): Default: BILINEAR.
        antialias (bool | None): Default: True.

    Shape:
        (..., C, H, W) or PIL -> (..., C, crop_size, crop_size) float.

    Example:
        >>> ImageClassification(crop_size=4, resize_size=6)(ember.zeros(3, 8, 10)).shape
        ember.Size([3, 4, 4])
    """

    def __init__(self, *, crop_size: int, resize_size: int = 256,
                 mean: Sequence[float] = _IMAGENET_MEAN, std: Sequence[float] = _IMAGENET_STD,
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True) -> None:
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = _mode(interpolation)
        self.antialias = antialias

    def forward(self, img) -> Tensor:
        img = F.resize(img, self.resize_size, interpolation=self.interpolation,
                       antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        return F.normalize(_to_float_tensor(img), mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n"
                f"    resize_size={self.resize_size}\n    mean={self.mean}\n    std={self.std}\n"
                f"    interpolation={self.interpolation}\n)")

    def describe(self) -> str:
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image "
                "``torch.Tensor`` objects. The images are resized to "
                f"``resize_size={self.resize_size}`` using ``interpolation={self.interpolation}``"
                f", followed by a central crop of ``crop_size={self.crop_size}``. Finally the "
                "values are first rescaled to ``[0.0, 1.0]`` and then normalized using "
                f"``mean={self.mean}`` and ``std={self.std}``.")


class SemanticSegmentation(nn.Module):
    """Resize the short side to ``resize_size`` (when given), scale to [0, 1], normalise.

    Args:
        resize_size (int | None): short side after resizing; None keeps the size.
        mean, std (Sequence[float]): Default: ImageNet's.
        interpolation (InterpolationMode | str): Default: BILINEAR.
        antialias (bool | None): Default: True.

    Example:
        >>> SemanticSegmentation(resize_size=4)(ember.zeros(3, 8, 12)).shape
        ember.Size([3, 4, 6])
    """

    def __init__(self, *, resize_size: int | None, mean: Sequence[float] = _IMAGENET_MEAN,
                 std: Sequence[float] = _IMAGENET_STD, interpolation=InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.resize_size = [resize_size] if resize_size is not None else None
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = _mode(interpolation)
        self.antialias = antialias

    def forward(self, img) -> Tensor:
        if isinstance(self.resize_size, list):
            img = F.resize(img, self.resize_size, interpolation=self.interpolation,
                           antialias=self.antialias)
        return F.normalize(_to_float_tensor(img), mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(\n    resize_size={self.resize_size}\n"
                f"    mean={self.mean}\n    std={self.std}\n"
                f"    interpolation={self.interpolation}\n)")

    def describe(self) -> str:
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image "
                "``torch.Tensor`` objects. The images are resized to "
                f"``resize_size={self.resize_size}`` using ``interpolation={self.interpolation}``"
                ". Finally the values are first rescaled to ``[0.0, 1.0]`` and then normalized "
                f"using ``mean={self.mean}`` and ``std={self.std}``.")


class VideoClassification(nn.Module):
    """Per frame: resize, centre-crop, scale, normalise; output (..., C, T, H, W).

    Args:
        crop_size (tuple[int, int]), resize_size (tuple[int, int] | int).
        mean, std (Sequence[float]): Default: Kinetics-400's.
        interpolation (InterpolationMode | str): Default: BILINEAR.

    Example:
        >>> VideoClassification(crop_size=(2, 2), resize_size=(4, 4))(
        ...     ember.zeros(5, 3, 6, 6, dtype=ember.uint8)).shape
        ember.Size([3, 5, 2, 2])
    """

    def __init__(self, *, crop_size, resize_size,
                 mean: Sequence[float] = (0.43216, 0.394666, 0.37645),
                 std: Sequence[float] = (0.22803, 0.22145, 0.216989),
                 interpolation=InterpolationMode.BILINEAR) -> None:
        super().__init__()
        self.crop_size = list(crop_size)
        self.resize_size = list(resize_size) if isinstance(resize_size, Sequence) \
            else [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = _mode(interpolation)

    def forward(self, vid: Tensor) -> Tensor:
        squeeze = vid.ndim < 5
        if squeeze:
            vid = vid.unsqueeze(0)
        n, t, c, h, w = vid.shape
        vid = vid.reshape(-1, c, h, w)
        # NOTE: antialias=False matches the reference preset, trained on unfiltered resizes
        vid = F.resize(vid, self.resize_size, interpolation=self.interpolation, antialias=False)
        vid = F.center_crop(vid, self.crop_size)
        vid = F.normalize(F.convert_image_dtype(vid, ember.float), mean=self.mean, std=self.std)
        h, w = self.crop_size
        vid = vid.reshape(n, t, c, h, w).permute(0, 2, 1, 3, 4)
        return vid.squeeze(0) if squeeze else vid

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n"
                f"    resize_size={self.resize_size}\n    mean={self.mean}\n    std={self.std}\n"
                f"    interpolation={self.interpolation}\n)")
