"""Model builders with torchvision's architectures, ``state_dict`` keys and weight enums."""

import sys

from . import detection, segmentation
from ._api import (
    Weights,
    WeightsEnum,
    get_model,
    get_model_builder,
    get_model_weights,
    get_weight,
    list_models,
)
from .alexnet import *  # noqa: F403
from .convnext import *  # noqa: F403
from .densenet import *  # noqa: F403
from .efficientnet import *  # noqa: F403
from .googlenet import *  # noqa: F403
from .inception import *  # noqa: F403
from .mnasnet import *  # noqa: F403
from .mobilenetv2 import *  # noqa: F403
from .mobilenetv3 import *  # noqa: F403
from .regnet import *  # noqa: F403
from .resnet import *  # noqa: F403
from .shufflenetv2 import *  # noqa: F403
from .squeezenet import *  # noqa: F403
from .swin_transformer import *  # noqa: F403
from .vgg import *  # noqa: F403
from .vision_transformer import *  # noqa: F403

# NOTE: each builder function shadows its family module's name (``models.alexnet`` is the
# function, as in torchvision), so the modules are looked up in sys.modules
_FAMILIES = ("alexnet", "convnext", "densenet", "efficientnet", "googlenet", "inception",
             "mnasnet", "mobilenetv2", "mobilenetv3", "regnet", "resnet", "shufflenetv2",
             "squeezenet", "swin_transformer", "vgg", "vision_transformer")

__all__ = ["Weights", "WeightsEnum", "detection", "get_model", "get_model_builder",
           "get_model_weights", "get_weight", "list_models", "segmentation",
           *(name for family in _FAMILIES
             for name in sys.modules[f"{__name__}.{family}"].__all__)]
