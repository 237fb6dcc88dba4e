"""``Fold`` and ``Unfold``: col2im and im2col as layers."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Fold", "Unfold"]


class Fold(Module):
    """Combine sliding local blocks ``(N, C * prod(k), L)`` into ``(N, C, *output_size)``.

    Overlapping values are summed (see :func:`~ember.nn.functional.fold`).

    Args:
        output_size, kernel_size: int or pair.
        dilation: Default: 1. padding: Default: 0. stride: Default: 1.

    Example:
        >>> import ember
        >>> ember.nn.Fold((4, 5), 2)(ember.ones(1, 12, 12)).shape
        ember.Size([1, 3, 4, 5])
    """

    __constants__ = ["output_size", "kernel_size", "dilation", "padding", "stride"]

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    """Extract sliding local blocks: ``(N, C, H, W) -> (N, C * prod(k), L)`` (im2col).

    Args:
        kernel_size: int or pair.
        dilation: Default: 1. padding: Default: 0. stride: Default: 1.

    Example:
        >>> import ember
        >>> ember.nn.Unfold(2)(ember.ones(1, 3, 4, 5)).shape
        ember.Size([1, 12, 12])
    """

    __constants__ = ["kernel_size", "dilation", "padding", "stride"]

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
