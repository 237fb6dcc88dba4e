"""Pooling layers: max / average / adaptive / power-average pools and max-unpooling."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
           "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
           "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
           "LPPool1d", "LPPool2d", "LPPool3d"]


def _ntuple(v, n):
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v,) * n


# ---------------------------------------------------------------------- max pooling
class _MaxPoolNd(Module):
    __constants__ = ["kernel_size", "stride", "padding", "dilation", "return_indices",
                     "ceil_mode"]
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


_MAX_DOC = """{nd}-D max pooling (see :func:`~ember.nn.functional.max_pool{nd}d`).

    Args:
        kernel_size: window size.
        stride: Default: ``kernel_size``.
        padding: implicit ``-inf`` padding, at most half the (dilated) kernel. Default: 0.
        dilation: spacing of the window elements. Default: 1.
        return_indices: also return the flat per-plane indices (for MaxUnpool). Default: False.
        ceil_mode: round the output size up. Default: ``False``.

    Shape:
        ``(N, C, {sp})`` or ``(C, {sp})`` → ``(N, C, {sp_out})``.

    Example:
        >>> import ember
        >>> ember.nn.MaxPool{nd}d(2)(ember.randn(1, 3, {size})).shape
        ember.Size([1, 3, {half}])
    """


class MaxPool1d(_MaxPoolNd):
    __doc__ = _MAX_DOC.format(nd=1, sp="L", sp_out="L_out", size="8", half="4")
    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    __doc__ = _MAX_DOC.format(nd=2, sp="H, W", sp_out="H_out, W_out", size="8, 8",
                              half="4, 4")
    _fn = staticmethod(F.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    __doc__ = _MAX_DOC.format(nd=3, sp="D, H, W", sp_out="D_out, H_out, W_out",
                              size="4, 4, 4", half="2, 2, 2")
    _fn = staticmethod(F.max_pool3d)


# ---------------------------------------------------------------------- max unpooling
class _MaxUnpoolNd(Module):
    _nd = 0
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        nd = self._nd
        self.kernel_size = _ntuple(kernel_size, nd)
        self.stride = _ntuple(stride if (stride is not None) else kernel_size, nd)
        self.padding = _ntuple(padding, nd)

    def forward(self, input, indices, output_size=None):
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


_UNPOOL_DOC = """Partial inverse of :class:`MaxPool{nd}d`: values at their indices, zeros elsewhere.

    Args:
        kernel_size, stride (default ``kernel_size``), padding: the pool's.

    ``forward(input, indices, output_size=None)``.

    Example:
        >>> import ember
        >>> pool = ember.nn.MaxPool{nd}d(2, return_indices=True)
        >>> y, i = pool(ember.randn(1, 1, {size}))
        >>> ember.nn.MaxUnpool{nd}d(2)(y, i).shape
        ember.Size([1, 1, {size}])
    """


class MaxUnpool1d(_MaxUnpoolNd):
    __doc__ = _UNPOOL_DOC.format(nd=1, size="4")
    _nd = 1
    _fn = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    __doc__ = _UNPOOL_DOC.format(nd=2, size="4, 4")
    _nd = 2
    _fn = staticmethod(F.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    __doc__ = _UNPOOL_DOC.format(nd=3, size="2, 2, 2")
    _nd = 3
    _fn = staticmethod(F.max_unpool3d)


# ---------------------------------------------------------------------- average pooling
class AvgPool1d(Module):
    """1-D average pooling (see :func:`~ember.nn.functional.avg_pool1d`).

    Args:
        kernel_size: window size.
        stride: Default: ``kernel_size``.
        padding: zero padding, at most half the kernel. Default: 0.
        ceil_mode: Default: ``False``.
        count_include_pad: count padded zeros in the divisor. Default: ``True``.

    Example:
        >>> import ember
        >>> ember.nn.AvgPool1d(2)(ember.tensor([[1., 3., 2., 0.]])).tolist()
        [[2.0, 1.0]]
    """

    __constants__ = ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AvgPoolNd(Module):
    __constants__ = ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                     "divisor_override"]
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding,
                              self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


_AVG_DOC = """{nd}-D average pooling (see :func:`~ember.nn.functional.avg_pool{nd}d`).

    Args:
        kernel_size: window size.
        stride: Default: ``kernel_size``.
        padding: zero padding, at most half the kernel. Default: 0.
        ceil_mode: Default: ``False``.
        count_include_pad: count padded zeros in the divisor. Default: ``True``.
        divisor_override: use this divisor instead. Default: ``None``.

    Example:
        >>> import ember
        >>> ember.nn.AvgPool{nd}d(2)(ember.ones(1, 1, {size})).sum().item()
        {total}
    """


class AvgPool2d(_AvgPoolNd):
    __doc__ = _AVG_DOC.format(nd=2, size="4, 4", total="4.0")
    _fn = staticmethod(F.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    __doc__ = _AVG_DOC.format(nd=3, size="4, 4, 4", total="8.0")
    _fn = staticmethod(F.avg_pool3d)


# ---------------------------------------------------------------------- adaptive pooling
class _AdaptiveAvgPoolNd(Module):
    __constants__ = ["output_size"]
    _fn = None

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self)._fn(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


_AAVG_DOC = """{nd}-D adaptive average pooling to ``output_size`` (``None`` keeps a size).

    Example:
        >>> import ember
        >>> ember.nn.AdaptiveAvgPool{nd}d({out})(ember.ones(2, 3, {size})).shape
        ember.Size([2, 3, {res}])
    """


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    __doc__ = _AAVG_DOC.format(nd=1, out="2", size="5", res="2")
    _fn = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    __doc__ = _AAVG_DOC.format(nd=2, out="(2, None)", size="5, 7", res="2, 7")
    _fn = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    __doc__ = _AAVG_DOC.format(nd=3, out="1", size="3, 3, 3", res="1, 1, 1")
    _fn = staticmethod(F.adaptive_avg_pool3d)


class _AdaptiveMaxPoolNd(Module):
    __constants__ = ["output_size", "return_indices"]
    _fn = None

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):
        return type(self)._fn(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


_AMAX_DOC = """{nd}-D adaptive max pooling; ``return_indices`` adds the flat indices.

    Example:
        >>> import ember
        >>> ember.nn.AdaptiveMaxPool{nd}d(2)(ember.ones(2, 3, {size})).shape
        ember.Size([2, 3, {res}])
    """


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    __doc__ = _AMAX_DOC.format(nd=1, size="5", res="2")
    _fn = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    __doc__ = _AMAX_DOC.format(nd=2, size="5, 7", res="2, 2")
    _fn = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    __doc__ = _AMAX_DOC.format(nd=3, size="3, 3, 3", res="2, 2, 2")
    _fn = staticmethod(F.adaptive_max_pool3d)


# ---------------------------------------------------------------------- power-average pooling
class _LPPoolNd(Module):
    __constants__ = ["norm_type", "kernel_size", "stride", "ceil_mode"]
    _fn = None

    def __init__(self, norm_type: float, kernel_size, stride=None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride,
                              self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


_LP_DOC = """{nd}-D power-average pooling ``(sum_window x ** p) ** (1 / p)``.

    Args:
        norm_type: ``p``.
        kernel_size: window size.
        stride: Default: ``kernel_size``.
        ceil_mode: Default: ``False``.

    Example:
        >>> import ember
        >>> ember.nn.LPPool{nd}d(1, 2)(ember.ones(1, 1, {size})).flatten()[0].item()
        {val}
    """


class LPPool1d(_LPPoolNd):
    __doc__ = _LP_DOC.format(nd=1, size="4", val="2.0")
    _fn = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    __doc__ = _LP_DOC.format(nd=2, size="4, 4", val="4.0")
    _fn = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPoolNd):
    __doc__ = _LP_DOC.format(nd=3, size="2, 2, 2", val="8.0")
    _fn = staticmethod(F.lp_pool3d)
