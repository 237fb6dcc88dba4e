"""Fractional max-pooling layers (see :mod:`ember.nn.functional._pool_fractional`)."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


def _ntuple(v, n):
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v,) * n


class _FractionalMaxPoolNd(Module):
    __constants__ = ["kernel_size", "return_indices", "output_size", "output_ratio"]
    _nd = 0
    _fn = None

    def __init__(self, kernel_size, output_size=None, output_ratio=None,
                 return_indices: bool = False, _random_samples=None) -> None:
        super().__init__()
        name = type(self).__name__
        nd = self._nd
        self.kernel_size = _ntuple(kernel_size, nd)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _ntuple(output_size, nd) if output_size is not None else None
        self.output_ratio = _ntuple(output_ratio, nd) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a "
                             f"pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.output_size, self.output_ratio,
                              self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-D fractional max pooling (see :func:`~ember.nn.functional.fractional_max_pool2d`).

    Args:
        kernel_size: the window size, an int or ``(kH, kW)``.
        output_size: ``(oH, oW)`` or an int; give this or ``output_ratio``. Default: ``None``.
        output_ratio: output size as a fraction in (0, 1) of the input size. Default: ``None``.
        return_indices: also return the indices of the maxima. Default: ``False``.
        _random_samples: fixed ``(N, C, 2)`` samples (a buffer); fresh ones every call when
            ``None``. Default: ``None``.

    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` → ``(N, C, oH, oW)`` or ``(C, oH, oW)``.

    Raises:
        ValueError: both or neither of ``output_size`` and ``output_ratio``, or a ratio
            outside (0, 1).

    Example:
        >>> import ember
        >>> ember.nn.FractionalMaxPool2d(3, output_ratio=0.5)(ember.randn(1, 2, 10, 12)).shape
        ember.Size([1, 2, 5, 6])
    """

    _nd = 2
    _fn = staticmethod(F.fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-D fractional max pooling (see :func:`~ember.nn.functional.fractional_max_pool3d`).

    Args:
        kernel_size: an int or ``(kT, kH, kW)``.
        output_size: ``(oT, oH, oW)`` or an int. Default: ``None``.
        output_ratio: fraction in (0, 1) of the input size. Default: ``None``.
        return_indices: Default: ``False``.
        _random_samples: fixed ``(N, C, 3)`` samples. Default: ``None``.

    Shape:
        ``(N, C, T, H, W)`` or ``(C, T, H, W)`` → ``(N, C, oT, oH, oW)``.

    Example:
        >>> import ember
        >>> ember.nn.FractionalMaxPool3d(2, output_size=3)(ember.randn(1, 6, 6, 6)).shape
        ember.Size([1, 3, 3, 3])
    """

    _nd = 3
    _fn = staticmethod(F.fractional_max_pool3d)
