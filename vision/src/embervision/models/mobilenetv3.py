"""MobileNetV3 large and small (Howard et al. 2019)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import ember
from ember import nn

from ..ops.misc import Conv2dNormActivation
from ..ops.misc import SqueezeExcitation as SElayer
from ._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from ._utils import _load_weights, _make_divisible, _ovewrite_named_param

__all__ = ["MobileNetV3", "MobileNet_V3_Large_Weights", "MobileNet_V3_Small_Weights",
           "mobilenet_v3_large", "mobilenet_v3_small"]

_HARD_SE = partial(SElayer, scale_activation=nn.Hardsigmoid)


class InvertedResidualConfig:
    """One bottleneck row of the MobileNetV3 table, channels scaled by ``width_mult``."""

    def __init__(self, input_channels: int, kernel: int, expanded_channels: int,
                 out_channels: int, use_se: bool, activation: str, stride: int, dilation: int,
                 width_mult: float) -> None:
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels: int, width_mult: float) -> int:
        return _make_divisible(channels * width_mult, 8)


class InvertedResidual(nn.Module):
    """Expand, depthwise (optionally dilated), optional squeeze-excitation, project."""

    def __init__(self, cnf: InvertedResidualConfig, norm_layer: Callable[..., nn.Module],
                 se_layer: Callable[..., nn.Module] = _HARD_SE) -> None:
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        activation_layer = nn.Hardswish if cnf.use_hs else nn.ReLU
        layers: list[nn.Module] = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.expanded_channels,
                                               kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=activation_layer))
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.expanded_channels,
                                           kernel_size=cnf.kernel, stride=stride,
                                           dilation=cnf.dilation, groups=cnf.expanded_channels,
                                           norm_layer=norm_layer,
                                           activation_layer=activation_layer))
        if cnf.use_se:
            squeeze_channels = _make_divisible(cnf.expanded_channels // 4, 8)
            layers.append(se_layer(cnf.expanded_channels, squeeze_channels))
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.out_channels,
                                           kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, x):
        result = self.block(x)
        return result + x if self.use_res_connect else result


class MobileNetV3(nn.Module):
    """MobileNetV3: hard-swish stem, bottleneck stages (``features``), two-layer ``classifier``.

    Args:
        inverted_residual_setting (list[InvertedResidualConfig]): the stages.
        last_channel (int): width of the classifier's hidden layer.
        num_classes (int): Default: 1000.
        block (callable | None): Default: ``InvertedResidual``.
        norm_layer (callable | None): Default: BatchNorm2d(eps=0.001, momentum=0.01).
        dropout (float): Default: 0.2.

    Raises:
        ValueError: for an empty setting.
    """

    def __init__(self, inverted_residual_setting: list[InvertedResidualConfig],
                 last_channel: int, num_classes: int = 1000,
                 block: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None, dropout: float = 0.2,
                 **kwargs: Any) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        block = InvertedResidual if block is None else block
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        first = inverted_residual_setting[0].input_channels
        layers: list[nn.Module] = [Conv2dNormActivation(3, first, kernel_size=3, stride=2,
                                                        norm_layer=norm_layer,
                                                        activation_layer=nn.Hardswish)]
        layers.extend(block(cnf, norm_layer) for cnf in inverted_residual_setting)
        lastconv_input = inverted_residual_setting[-1].out_channels
        lastconv_output = 6 * lastconv_input
        layers.append(Conv2dNormActivation(lastconv_input, lastconv_output, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(lastconv_output, last_channel), nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True), nn.Linear(last_channel, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))


def _mobilenet_v3_conf(arch: str, width_mult: float = 1.0, reduced_tail: bool = False,
                       dilated: bool = False, **kwargs: Any):
    rd = 2 if reduced_tail else 1
    d = 2 if dilated else 1
    c = partial(InvertedResidualConfig, width_mult=width_mult)
    if arch == "mobilenet_v3_large":
        setting = [
            c(16, 3, 16, 16, False, "RE", 1, 1), c(16, 3, 64, 24, False, "RE", 2, 1),
            c(24, 3, 72, 24, False, "RE", 1, 1), c(24, 5, 72, 40, True, "RE", 2, 1),
            c(40, 5, 120, 40, True, "RE", 1, 1), c(40, 5, 120, 40, True, "RE", 1, 1),
            c(40, 3, 240, 80, False, "HS", 2, 1), c(80, 3, 200, 80, False, "HS", 1, 1),
            c(80, 3, 184, 80, False, "HS", 1, 1), c(80, 3, 184, 80, False, "HS", 1, 1),
            c(80, 3, 480, 112, True, "HS", 1, 1), c(112, 3, 672, 112, True, "HS", 1, 1),
            c(112, 5, 672, 160 // rd, True, "HS", 2, d),
            c(160 // rd, 5, 960 // rd, 160 // rd, True, "HS", 1, d),
            c(160 // rd, 5, 960 // rd, 160 // rd, True, "HS", 1, d)]
        last_channel = InvertedResidualConfig.adjust_channels(1280 // rd, width_mult)
    elif arch == "mobilenet_v3_small":
        setting = [
            c(16, 3, 16, 16, True, "RE", 2, 1), c(16, 3, 72, 24, False, "RE", 2, 1),
            c(24, 3, 88, 24, False, "RE", 1, 1), c(24, 5, 96, 40, True, "HS", 2, 1),
            c(40, 5, 240, 40, True, "HS", 1, 1), c(40, 5, 240, 40, True, "HS", 1, 1),
            c(40, 5, 120, 48, True, "HS", 1, 1), c(48, 5, 144, 48, True, "HS", 1, 1),
            c(48, 5, 288, 96 // rd, True, "HS", 2, d),
            c(96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, d),
            c(96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, d)]
        last_channel = InvertedResidualConfig.adjust_channels(1024 // rd, width_mult)
    else:
        raise ValueError(f"Unsupported model type {arch}")
    return setting, last_channel


def _mobilenet_v3(setting, last_channel: int, weights, progress: bool,
                  **kwargs: Any) -> MobileNetV3:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = MobileNetV3(setting, last_channel, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


class MobileNet_V3_Large_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("MobileNet_V3_Large_Weights", "IMAGENET1K_V1")
    IMAGENET1K_V2 = weights_from_meta("MobileNet_V3_Large_Weights", "IMAGENET1K_V2")
    DEFAULT = IMAGENET1K_V2


class MobileNet_V3_Small_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("MobileNet_V3_Small_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


@register_model(weights=MobileNet_V3_Large_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: MobileNet_V3_Large_Weights.IMAGENET1K_V1))
def mobilenet_v3_large(*, weights: MobileNet_V3_Large_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> MobileNetV3:
    """MobileNetV3-Large (5.5 M parameters).

    Args:
        weights (MobileNet_V3_Large_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: ``width_mult``, ``reduced_tail``, ``dilated`` and :class:`MobileNetV3`'s.

    Example:
        >>> mobilenet_v3_large(num_classes=3).eval()(ember.zeros(1, 3, 32, 32)).shape
        ember.Size([1, 3])
    """
    weights = MobileNet_V3_Large_Weights.verify(weights)
    setting, last_channel = _mobilenet_v3_conf("mobilenet_v3_large", **kwargs)
    for k in ("width_mult", "reduced_tail", "dilated"):
        kwargs.pop(k, None)
    return _mobilenet_v3(setting, last_channel, weights, progress, **kwargs)


@register_model(weights=MobileNet_V3_Small_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: MobileNet_V3_Small_Weights.IMAGENET1K_V1))
def mobilenet_v3_small(*, weights: MobileNet_V3_Small_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> MobileNetV3:
    """MobileNetV3-Small (2.5 M parameters); arguments as :func:`mobilenet_v3_large`."""
    weights = MobileNet_V3_Small_Weights.verify(weights)
    setting, last_channel = _mobilenet_v3_conf("mobilenet_v3_small", **kwargs)
    for k in ("width_mult", "reduced_tail", "dilated"):
        kwargs.pop(k, None)
    return _mobilenet_v3(setting, last_channel, weights, progress, **kwargs)
