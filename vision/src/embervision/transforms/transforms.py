"""v1 transform classes (torchvision.transforms.transforms)."""

from ._transforms_base import *  # noqa: F403
from ._transforms_base import __all__ as _base_all
from ._transforms_color import *  # noqa: F403
from ._transforms_color import __all__ as _color_all
from ._transforms_geometry import *  # noqa: F403
from ._transforms_geometry import __all__ as _geometry_all
from .functional import InterpolationMode

__all__ = [*_base_all, *_geometry_all, *_color_all, "InterpolationMode"]
