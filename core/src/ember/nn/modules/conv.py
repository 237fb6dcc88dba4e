"""Convolution layers: ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d`` and their lazy forms."""

from __future__ import annotations

import math

from ...autograd.grad_mode import no_grad
from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(v, n):
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v,) * n


class _ConvNd(Module):
    """Shared state of convolutions: hyper-parameters, ``weight``/``bias`` and their init."""

    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode",
                     "output_padding", "in_channels", "out_channels", "kernel_size"]
    _nd = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None,
                 dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's order: last dimension first, (before, after) per dimension
        if isinstance(padding, str):
            rp = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1),
                                   strict=True):
                    total = d * (k - 1)
                    rp[2 * i] = total // 2
                    rp[2 * i + 1] = total - total // 2
            self._reversed_padding_repeated_twice = rp
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(padding)
                                                     for _ in range(2)]
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups)) + tuple(kernel_size)
        self.weight = Parameter(empty(shape, **factory_kwargs))
        if bias:
            self.bias = Parameter(empty(out_channels, **factory_kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: ``kaiming_uniform_(a=sqrt(5))``; bias U(-1/sqrt(fan_in), ...)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        nd = len(self.kernel_size)
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"


class _Conv(_ConvNd):
    """Conv{1,2,3}d: the constructor and forward shared by the three ranks."""

    _fn = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        nd = self._nd
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, nd),
                         _ntuple(stride, nd),
                         padding if isinstance(padding, str) else _ntuple(padding, nd),
                         _ntuple(dilation, nd), False, (0,) * nd, groups, bias, padding_mode,
                         device=device, dtype=dtype)

    def _conv_forward(self, input, weight, bias):
        fn = type(self)._fn
        if self.padding_mode != "zeros":
            return fn(F.pad(input, self._reversed_padding_repeated_twice,
                            mode=self.padding_mode),
                      weight, bias, self.stride, (0,) * self._nd, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


_CONV_DOC = """Applies a {nd}-D convolution (cross-correlation) over a batch of {what}.

    Parameters (PyTorch's names, shapes and init): ``weight``
    ``(out_channels, in_channels / groups, {ks})`` from ``kaiming_uniform_(a=sqrt(5))``, i.e.
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in = in_channels / groups * prod(k)``;
    ``bias`` ``(out_channels,)`` from the same bound.

    Args:
        in_channels (int), out_channels (int), kernel_size (int or tuple).
        stride: Default: 1.
        padding: int, tuple, ``'valid'`` or ``'same'``. Default: 0.
        dilation: Default: 1.
        groups: Default: 1 (``groups == in_channels`` is a depthwise convolution).
        bias (bool): Default: ``True``.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
            Default: ``'zeros'``.
        device, dtype: of the parameters.

    Shape:
        ``(N, C_in, {sp})`` or ``(C_in, {sp})`` → ``(N, C_out, {sp_out})``.

    Raises:
        ValueError: channels not divisible by ``groups``, a bad padding string or mode.
        RuntimeError: wrong input rank or channel count (see
            :func:`~ember.nn.functional.conv{nd}d`).

    Example:
        >>> import ember
        >>> m = ember.nn.Conv{nd}d(3, 8, 3, padding=1)
        >>> m(ember.randn(2, 3, {size})).shape
        ember.Size([2, 8, {size}])
    """


class Conv1d(_Conv):
    __doc__ = _CONV_DOC.format(nd=1, what="sequences", ks="k", sp="L", sp_out="L_out",
                               size="10")
    _nd = 1
    _fn = staticmethod(F.conv1d)


class Conv2d(_Conv):
    __doc__ = _CONV_DOC.format(nd=2, what="images", ks="kh, kw", sp="H, W",
                               sp_out="H_out, W_out", size="5, 5")
    _nd = 2
    _fn = staticmethod(F.conv2d)


class Conv3d(_Conv):
    __doc__ = _CONV_DOC.format(nd=3, what="volumes", ks="kd, kh, kw", sp="D, H, W",
                               sp_out="D_out, H_out, W_out", size="4, 4, 4")
    _nd = 3
    _fn = staticmethod(F.conv3d)


class _ConvTranspose(_ConvNd):
    """ConvTranspose{1,2,3}d: constructor, ``output_size`` handling and forward."""

    _fn = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        nd = self._nd
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{self.__class__.__name__}")
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, nd),
                         _ntuple(stride, nd), _ntuple(padding, nd), _ntuple(dilation, nd),
                         True, _ntuple(output_padding, nd), groups, bias, padding_mode,
                         device=device, dtype=dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims,
                        dilation=None):
        """The ``output_padding`` that makes the output ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return _ntuple(self.output_padding, num_spatial_dims)
        has_batch_dim = input.dim() == num_spatial_dims + 2
        num_non_spatial = 2 if has_batch_dim else 1
        output_size = list(output_size)
        if len(output_size) == num_non_spatial + num_spatial_dims:
            output_size = output_size[num_non_spatial:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, "
                             f"output_size must have {num_spatial_dims} or "
                             f"{num_non_spatial + num_spatial_dims} elements (got "
                             f"{len(output_size)})")
        mins, maxs = [], []
        for d in range(num_spatial_dims):
            size = ((input.size(d + num_non_spatial) - 1) * stride[d] - 2 * padding[d]
                    + (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1) + 1)
            mins.append(size)
            maxs.append(size + stride[d] - 1)
        for size, lo, hi in zip(output_size, mins, maxs, strict=True):
            if size < lo or size > hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                                 f"range from {mins} to {maxs} (for an input of "
                                 f"{input.size()[num_non_spatial:]})")
        return tuple(output_size[d] - mins[d] for d in range(num_spatial_dims))

    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for "
                             f"{self.__class__.__name__}")
        output_padding = self._output_padding(input, output_size, self.stride, self.padding,
                                              self.kernel_size, self._nd, self.dilation)
        return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding,
                              output_padding, self.groups, self.dilation)


_CONVT_DOC = """Applies a {nd}-D transposed convolution (the gradient of conv{nd}d in its input).

    Parameters: ``weight`` ``(in_channels, out_channels / groups, {ks})`` and ``bias``
    ``(out_channels,)``, initialised like :class:`Conv{nd}d` (``fan_in`` from ``weight``'s
    dimension 1, as in PyTorch).

    Args:
        in_channels (int), out_channels (int), kernel_size (int or tuple).
        stride: Default: 1.
        padding: Default: 0.
        output_padding: extra size on one side of the output. Default: 0.
        groups: Default: 1.
        bias (bool): Default: ``True``.
        dilation: Default: 1.
        padding_mode: only ``'zeros'``.

    ``forward(input, output_size=None)``: ``output_size`` picks the output padding.

    Raises:
        ValueError: a non-zeros padding mode, an unreachable ``output_size``.

    Example:
        >>> import ember
        >>> m = ember.nn.ConvTranspose{nd}d(4, 2, 3, stride=2, padding=1)
        >>> m(ember.randn(1, 4, {size}), output_size=[{out}]).shape
        ember.Size([1, 2, {out}])
    """


class ConvTranspose1d(_ConvTranspose):
    __doc__ = _CONVT_DOC.format(nd=1, ks="k", size="3", out="6")
    _nd = 1
    _fn = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    __doc__ = _CONVT_DOC.format(nd=2, ks="kh, kw", size="3, 3", out="6, 6")
    _nd = 2
    _fn = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    __doc__ = _CONVT_DOC.format(nd=3, ks="kd, kh, kw", size="2, 2, 2", out="4, 4, 4")
    _nd = 3
    _fn = staticmethod(F.conv_transpose3d)


# ---------------------------------------------------------------------- lazy forms
class _LazyConvXdMixin(LazyModuleMixin):
    """``in_channels`` inferred from the first input (dimension 1, or 0 when unbatched)."""

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            with no_grad():
                nd = self._nd
                if input.dim() not in (nd + 1, nd + 2):
                    raise RuntimeError(
                        f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                        f"{self.__class__.__name__}, but got input of size: "
                        f"{list(input.shape)}")
                self.in_channels = input.shape[1] if input.dim() == nd + 2 else input.shape[0]
                if self.in_channels % self.groups != 0:
                    raise ValueError("in_channels must be divisible by groups")
                if self.transposed:
                    shape = (self.in_channels, self.out_channels // self.groups)
                else:
                    shape = (self.out_channels, self.in_channels // self.groups)
                self.weight.materialize(shape + tuple(self.kernel_size))
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()


def _lazy_params(self, out_channels, bias, device, dtype) -> None:
    factory_kwargs = {"device": device, "dtype": dtype}
    self.weight = UninitializedParameter(**factory_kwargs)
    self.out_channels = out_channels
    if bias:
        self.bias = UninitializedParameter(**factory_kwargs)


class _LazyConv(_LazyConvXdMixin):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device=device, dtype=dtype)
        _lazy_params(self, out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvXdMixin):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device=device, dtype=dtype)
        _lazy_params(self, out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """A :class:`Conv1d` whose ``in_channels`` comes from the first input (then a Conv1d).

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConv1d(4, 3)
        >>> _ = m(ember.randn(1, 2, 5)); type(m).__name__, tuple(m.weight.shape)
        ('Conv1d', (4, 2, 3))
    """

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A :class:`Conv2d` whose ``in_channels`` comes from the first input (then a Conv2d).

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConv2d(4, 3)
        >>> _ = m(ember.randn(1, 2, 5, 5)); type(m).__name__, tuple(m.weight.shape)
        ('Conv2d', (4, 2, 3, 3))
    """

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """A :class:`Conv3d` whose ``in_channels`` comes from the first input (then a Conv3d).

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConv3d(4, 1)
        >>> _ = m(ember.randn(1, 2, 3, 3, 3)); type(m).__name__, tuple(m.weight.shape)
        ('Conv3d', (4, 2, 1, 1, 1))
    """

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """A :class:`ConvTranspose1d` with ``in_channels`` from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConvTranspose1d(4, 3)
        >>> _ = m(ember.randn(1, 2, 5)); type(m).__name__, tuple(m.weight.shape)
        ('ConvTranspose1d', (2, 4, 3))
    """

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """A :class:`ConvTranspose2d` with ``in_channels`` from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConvTranspose2d(4, 3)
        >>> _ = m(ember.randn(1, 2, 5, 5)); type(m).__name__, tuple(m.weight.shape)
        ('ConvTranspose2d', (2, 4, 3, 3))
    """

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """A :class:`ConvTranspose3d` with ``in_channels`` from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyConvTranspose3d(4, 1)
        >>> _ = m(ember.randn(1, 2, 3, 3, 3)); type(m).__name__, tuple(m.weight.shape)
        ('ConvTranspose3d', (2, 4, 1, 1, 1))
    """

    cls_to_become = ConvTranspose3d
