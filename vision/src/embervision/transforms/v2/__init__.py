"""v2 transforms: like v1 but on whole samples (pytrees of images, videos, masks, boxes)."""

from ... import tv_tensors
from . import functional
from ._augment import *  # noqa: F403
from ._augment import __all__ as _augment_all
from ._color_misc import *  # noqa: F403
from ._color_misc import __all__ as _color_all
from ._geometry import *  # noqa: F403
from ._geometry import __all__ as _geometry_all
from ._mix import *  # noqa: F403
from ._mix import __all__ as _mix_all
from ._transform import *  # noqa: F403
from ._transform import __all__ as _transform_all
from .functional import InterpolationMode

__all__ = ["functional", "tv_tensors", "InterpolationMode", *_transform_all, *_geometry_all,
           *_color_all, *_augment_all, *_mix_all]
