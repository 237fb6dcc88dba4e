"""Semantic segmentation models: FCN, DeepLabV3, LR-ASPP."""

from .deeplabv3 import *  # noqa: F403
from .fcn import *  # noqa: F403
from .lraspp import *  # noqa: F403
