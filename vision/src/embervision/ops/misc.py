"""Building blocks shared by the model zoo: conv-norm-activation, squeeze-excitation, MLP.

The module names and ``state_dict`` keys follow torchvision's ``ops.misc`` so that published
weight files load unchanged (e.g. ``Conv2dNormActivation`` is a ``Sequential`` whose children
are ``0`` conv, ``1`` norm, ``2`` activation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ember
from ember import nn

__all__ = ["Conv2dNormActivation", "Conv3dNormActivation", "FrozenBatchNorm2d", "MLP", "Permute",
           "SqueezeExcitation"]


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d whose statistics and affine parameters are fixed buffers.

    ``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias``, all four stored as
    buffers (no gradients), as detection backbones use it.

    Args:
        num_features (int): number of channels C.
        eps (float): added to the variance. Default: 1e-5.

    Shape:
        input (N, C, H, W) -> output of the same shape.

    Example:
        >>> m = FrozenBatchNorm2d(3)
        >>> m(ember.ones(1, 3, 2, 2)).shape
        ember.Size([1, 3, 2, 2])
    """

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", ember.ones(num_features))
        self.register_buffer("bias", ember.zeros(num_features))
        self.register_buffer("running_mean", ember.zeros(num_features))
        self.register_buffer("running_var", ember.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # NOTE: checkpoints of an ordinary BatchNorm2d carry a counter this layer does not have.
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, x):
        scale = self.weight.reshape(1, -1, 1, 1) * (self.running_var.reshape(1, -1, 1, 1)
                                                    + self.eps).rsqrt()
        bias = self.bias.reshape(1, -1, 1, 1) - self.running_mean.reshape(1, -1, 1, 1) * scale
        return x * scale + bias

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, eps={self.eps}"


class _ConvNormActivation(nn.Sequential):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, groups,
                 norm_layer, activation_layer, dilation, inplace, bias, conv_layer) -> None:
        if padding is None:
            if isinstance(kernel_size, int) and isinstance(dilation, int):
                padding = (kernel_size - 1) // 2 * dilation
            else:
                n = len(kernel_size) if isinstance(kernel_size, Sequence) else len(dilation)
                ks = kernel_size if isinstance(kernel_size, Sequence) else (kernel_size,) * n
                dl = dilation if isinstance(dilation, Sequence) else (dilation,) * n
                padding = tuple((k - 1) // 2 * d for k, d in zip(ks, dl, strict=True))
        if bias is None:
            bias = norm_layer is None
        layers = [conv_layer(in_channels, out_channels, kernel_size, stride, padding,
                             dilation=dilation, groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            params = {} if inplace is None else {"inplace": inplace}
            layers.append(activation_layer(**params))
        super().__init__(*layers)
        self.out_channels = out_channels


class Conv2dNormActivation(_ConvNormActivation):
    """Conv2d followed by an optional normalisation layer and an optional activation.

    Args:
        in_channels (int), out_channels (int): channels in and out.
        kernel_size (int | tuple): Default: 3.
        stride (int | tuple): Default: 1.
        padding (int | tuple | None): Default None = ``(kernel_size - 1) // 2 * dilation``.
        groups (int): Default: 1.
        norm_layer (callable | None): Default: ``nn.BatchNorm2d``.
        activation_layer (callable | None): Default: ``nn.ReLU``.
        dilation (int | tuple): Default: 1.
        inplace (bool | None): passed to the activation when not None. Default: True.
        bias (bool | None): Default None = bias only without a norm layer.

    Shape:
        (N, C_in, H, W) -> (N, C_out, H', W').

    Example:
        >>> m = Conv2dNormActivation(3, 8, stride=2)
        >>> m(ember.zeros(1, 3, 8, 8)).shape
        ember.Size([1, 8, 4, 4])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, stride=1,
                 padding=None, groups: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU, dilation=1,
                 inplace: bool | None = True, bias: bool | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups,
                         norm_layer, activation_layer, dilation, inplace, bias, nn.Conv2d)


class Conv3dNormActivation(_ConvNormActivation):
    """Conv3d followed by an optional normalisation layer and an optional activation.

    Same arguments as :class:`Conv2dNormActivation` with ``norm_layer=nn.BatchNorm3d``.

    Example:
        >>> Conv3dNormActivation(1, 2)(ember.zeros(1, 1, 3, 3, 3)).shape
        ember.Size([1, 2, 3, 3, 3])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, stride=1,
                 padding=None, groups: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm3d,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU, dilation=1,
                 inplace: bool | None = True, bias: bool | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups,
                         norm_layer, activation_layer, dilation, inplace, bias, nn.Conv3d)


class SqueezeExcitation(nn.Module):
    """Squeeze-and-Excitation block: ``x * scale(fc2(act(fc1(avgpool(x)))))``.

    Args:
        input_channels (int): channels of the input.
        squeeze_channels (int): channels of the bottleneck.
        activation (callable): Default: ``nn.ReLU``.
        scale_activation (callable): Default: ``nn.Sigmoid``.

    Shape:
        (N, C, H, W) -> (N, C, H, W).

    Example:
        >>> SqueezeExcitation(4, 2)(ember.ones(1, 4, 3, 3)).shape
        ember.Size([1, 4, 3, 3])
    """

    def __init__(self, input_channels: int, squeeze_channels: int,
                 activation: Callable[..., nn.Module] = nn.ReLU,
                 scale_activation: Callable[..., nn.Module] = nn.Sigmoid) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, x):
        return self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))

    def forward(self, x):
        return self._scale(x) * x


class MLP(nn.Sequential):
    """Multi-layer perceptron: (Linear, norm, activation, Dropout) per hidden layer, then
    Linear, Dropout.

    Args:
        in_channels (int): input features.
        hidden_channels (list[int]): width of each layer; the last is the output width.
        norm_layer (callable | None): Default: None.
        activation_layer (callable | None): Default: ``nn.ReLU``.
        inplace (bool | None): Default: None.
        bias (bool): Default: True.
        dropout (float): Default: 0.0.

    Raises:
        ValueError: when ``hidden_channels`` is empty.

    Example:
        >>> MLP(4, [8, 2])(ember.zeros(3, 4)).shape
        ember.Size([3, 2])
    """

    def __init__(self, in_channels: int, hidden_channels: list[int],
                 norm_layer: Callable[..., nn.Module] | None = None,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
                 inplace: bool | None = None, bias: bool = True, dropout: float = 0.0) -> None:
        if len(hidden_channels) == 0:
            raise ValueError("MLP(): hidden_channels must name at least one layer width")
        params = {} if inplace is None else {"inplace": inplace}
        layers = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            layers.append(activation_layer(**params))
            layers.append(nn.Dropout(dropout, **params))
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)


class Permute(nn.Module):
    """Permute the dimensions of the input (``x.permute(*dims)``) as a module.

    Example:
        >>> Permute([0, 2, 1])(ember.zeros(1, 2, 3)).shape
        ember.Size([1, 3, 2])
    """

    def __init__(self, dims: list[int]) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(*self.dims)
