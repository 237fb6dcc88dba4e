"""Image transforms (torchvision.transforms): functional kernels and composable classes."""

from . import functional
from .autoaugment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from .transforms import *  # noqa: F403
from .transforms import __all__ as _transforms_all

__all__ = ["functional", "AugMix", "AutoAugment", "AutoAugmentPolicy", "RandAugment",
           "TrivialAugmentWide", *_transforms_all]
