"""``Upsample``, ``UpsamplingNearest2d``, ``UpsamplingBilinear2d``: layers over ``interpolate``."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resample 1-D, 2-D or 3-D data with :func:`ember.nn.functional.interpolate`.

    Args:
        size (int or tuple, optional): output spatial size. Default: ``None``.
        scale_factor (float or tuple, optional): spatial multiplier (stored as float).
            Default: ``None``.
        mode (str): ``'nearest'`` | ``'nearest-exact'`` | ``'linear'`` | ``'bilinear'`` |
            ``'bicubic'`` | ``'trilinear'`` | ``'area'``. Default: ``'nearest'``.
        align_corners (bool, optional): see ``interpolate``. Default: ``None``.
        recompute_scale_factor (bool, optional): see ``interpolate``. Default: ``None``.

    Example:
        >>> import ember
        >>> ember.nn.Upsample(scale_factor=2)(ember.ones(1, 1, 2, 3)).shape
        ember.Size([1, 1, 4, 6])
    """

    __constants__ = ["size", "scale_factor", "mode", "align_corners", "name",
                     "recompute_scale_factor"]

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """2-D nearest-neighbour upsampling (``Upsample(mode='nearest')``).

    Example:
        >>> import ember
        >>> ember.nn.UpsamplingNearest2d(scale_factor=2)(ember.ones(1, 1, 2, 2)).shape
        ember.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """2-D bilinear upsampling with ``align_corners=True``.

    Example:
        >>> import ember
        >>> ember.nn.UpsamplingBilinear2d(size=3)(ember.ones(1, 1, 2, 2)).shape
        ember.Size([1, 1, 3, 3])
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
