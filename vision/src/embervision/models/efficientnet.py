"""EfficientNet B0-B7 (Tan & Le 2019) and EfficientNetV2 S/M/L (Tan & Le 2021)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import ember
from ember import nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from ._utils import _load_weights, _make_divisible, _ovewrite_named_param

__all__ = ["EfficientNet", "EfficientNet_B0_Weights", "EfficientNet_B1_Weights",
           "EfficientNet_B2_Weights", "EfficientNet_B3_Weights", "EfficientNet_B4_Weights",
           "EfficientNet_B5_Weights", "EfficientNet_B6_Weights", "EfficientNet_B7_Weights",
           "EfficientNet_V2_S_Weights", "EfficientNet_V2_M_Weights", "EfficientNet_V2_L_Weights",
           "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
           "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
           "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"]


class _MBConvConfig:
    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, block: Callable[..., nn.Module]) -> None:
        self.expand_ratio = expand_ratio
        self.kernel = kernel
        self.stride = stride
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.block = block

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        return _make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """An MBConv stage row; channels scaled by ``width_mult``, depth by ``depth_mult``."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, width_mult: float = 1.0,
                 depth_mult: float = 1.0, block: Callable[..., nn.Module] | None = None) -> None:
        input_channels = self.adjust_channels(input_channels, width_mult)
        out_channels = self.adjust_channels(out_channels, width_mult)
        num_layers = int(math.ceil(num_layers * depth_mult))
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         MBConv if block is None else block)


class FusedMBConvConfig(_MBConvConfig):
    """A Fused-MBConv stage row (EfficientNetV2)."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int,
                 block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         FusedMBConv if block is None else block)


class MBConv(nn.Module):
    """Expand 1x1, depthwise kxk, squeeze-excitation, project 1x1; stochastic-depth residual."""

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module],
                 se_layer: Callable[..., nn.Module] = SqueezeExcitation) -> None:
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        squeeze = max(1, cnf.input_channels // 4)
        layers.append(se_layer(expanded, squeeze, activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, x):
        result = self.block(x)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + x
        return result


class FusedMBConv(nn.Module):
    """Fused expand kxk (or a single kxk when not expanding), project 1x1; residual as MBConv."""

    def __init__(self, cnf: FusedMBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module]) -> None:
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded,
                                               kernel_size=cnf.kernel, stride=cnf.stride,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
            layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=None))
        else:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.out_channels,
                                               kernel_size=cnf.kernel, stride=cnf.stride,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, x):
        result = self.block(x)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + x
        return result


class EfficientNet(nn.Module):
    """EfficientNet: SiLU stem, MBConv/Fused-MBConv stages, 1x1 head, dropout + linear.

    Args:
        inverted_residual_setting (Sequence[MBConvConfig | FusedMBConvConfig]): the stages.
        dropout (float): dropout before the classifier.
        stochastic_depth_prob (float): largest drop probability (grows linearly by block).
            Default: 0.2.
        num_classes (int): Default: 1000.
        norm_layer (callable | None): Default: ``nn.BatchNorm2d``.
        last_channel (int | None): head width. Default None = 4x the last stage's channels.

    Raises:
        ValueError: for an empty setting.
        TypeError: for rows that are not stage configurations.
    """

    def __init__(self, inverted_residual_setting: Sequence[_MBConvConfig], dropout: float,
                 stochastic_depth_prob: float = 0.2, num_classes: int = 1000,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 last_channel: int | None = None) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        first = inverted_residual_setting[0].input_channels
        layers: list[nn.Module] = [Conv2dNormActivation(3, first, kernel_size=3, stride=2,
                                                        norm_layer=norm_layer,
                                                        activation_layer=nn.SiLU)]
        total = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = stochastic_depth_prob * float(block_id) / total
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        lastconv_input = inverted_residual_setting[-1].out_channels
        lastconv_output = last_channel if last_channel is not None else 4 * lastconv_input
        layers.append(Conv2dNormActivation(lastconv_input, lastconv_output, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(lastconv_output, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))


def _efficientnet_conf(arch: str, width_mult: float = 1.0, depth_mult: float = 1.0):
    if arch.startswith("efficientnet_b"):
        b = partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
        return [b(1, 3, 1, 32, 16, 1), b(6, 3, 2, 16, 24, 2), b(6, 5, 2, 24, 40, 2),
                b(6, 3, 2, 40, 80, 3), b(6, 5, 1, 80, 112, 3), b(6, 5, 2, 112, 192, 4),
                b(6, 3, 1, 192, 320, 1)], None
    f, m = FusedMBConvConfig, MBConvConfig
    if arch == "efficientnet_v2_s":
        return [f(1, 3, 1, 24, 24, 2), f(4, 3, 2, 24, 48, 4), f(4, 3, 2, 48, 64, 4),
                m(4, 3, 2, 64, 128, 6), m(6, 3, 1, 128, 160, 9), m(6, 3, 2, 160, 256, 15)], 1280
    if arch == "efficientnet_v2_m":
        return [f(1, 3, 1, 24, 24, 3), f(4, 3, 2, 24, 48, 5), f(4, 3, 2, 48, 80, 5),
                m(4, 3, 2, 80, 160, 7), m(6, 3, 1, 160, 176, 14), m(6, 3, 2, 176, 304, 18),
                m(6, 3, 1, 304, 512, 5)], 1280
    if arch == "efficientnet_v2_l":
        return [f(1, 3, 1, 32, 32, 4), f(4, 3, 2, 32, 64, 7), f(4, 3, 2, 64, 96, 7),
                m(4, 3, 2, 96, 192, 10), m(6, 3, 1, 192, 224, 19), m(6, 3, 2, 224, 384, 25),
                m(6, 3, 1, 384, 640, 7)], 1280
    raise ValueError(f"Unsupported model type {arch}")


def _efficientnet(arch: str, width_mult: float, depth_mult: float, dropout: float, weights,
                  progress: bool, **kwargs: Any) -> EfficientNet:
    setting, last_channel = _efficientnet_conf(arch, width_mult, depth_mult)
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = EfficientNet(setting, kwargs.pop("dropout", dropout), last_channel=last_channel,
                         **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


_BN_TF = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
_BN_V2 = partial(nn.BatchNorm2d, eps=1e-03)


class EfficientNet_B0_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("EfficientNet_B0_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B1_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("EfficientNet_B1_Weights", "IMAGENET1K_V1")
    IMAGENET1K_V2 = weights_from_meta("EfficientNet_B1_Weights", "IMAGENET1K_V2")
    DEFAULT = IMAGENET1K_V2


class EfficientNet_B2_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("EfficientNet_B2_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B3_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("EfficientNet_B3_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B4_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("EfficientNet_B4_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B5_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("EfficientNet_B5_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B6_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("EfficientNet_B6_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B7_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("EfficientNet_B7_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("EfficientNet_V2_S_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_M_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("EfficientNet_V2_M_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_L_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("EfficientNet_V2_L_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


@register_model(weights=EfficientNet_B0_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: EfficientNet_B0_Weights.IMAGENET1K_V1))
def efficientnet_b0(*, weights: EfficientNet_B0_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B0 (width x1.0, depth x1.0, dropout 0.2).

    Args:
        weights (EfficientNet_B0_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`EfficientNet` (``dropout`` overrides the default).
    """
    return _efficientnet("efficientnet_b0", 1.0, 1.0, 0.2, EfficientNet_B0_Weights.verify(weights),
                         progress, **kwargs)


@register_model(weights=EfficientNet_B1_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: EfficientNet_B1_Weights.IMAGENET1K_V1))
def efficientnet_b1(*, weights: EfficientNet_B1_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B1 (width x1.0, depth x1.1, dropout 0.2).

    Args:
        weights (EfficientNet_B1_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`EfficientNet` (``dropout`` overrides the default).
    """
    return _efficientnet("efficientnet_b1", 1.0, 1.1, 0.2, EfficientNet_B1_Weights.verify(weights),
                         progress, **kwargs)


@register_model(weights=EfficientNet_B2_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: EfficientNet_B2_Weights.IMAGENET1K_V1))
def efficientnet_b2(*, weights: EfficientNet_B2_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B2 (width x1.1, depth x1.2, dropout 0.3).

    Args:
        weights (EfficientNet_B2_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`EfficientNet` (``dropout`` overrides the default).
    """
    return _efficientnet("efficientnet_b2", 1.1, 1.2, 0.3, EfficientNet_B2_Weights.verify(weights),
                         progress, **kwargs)


@register_model(weights=EfficientNet_B3_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: EfficientNet_B3_Weights.IMAGENET1K_V1))
def efficientnet_b3(*, weights: EfficientNet_B3_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B3 (width x1.2, depth x1.4, dropout 0.3).

    Args:
        weights (EfficientNet_B3_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`EfficientNet` (``dropout`` overrides the default).
    """
    return _efficientnet("efficientnet_b3", 1.2, 1.4, 0.3, EfficientNet_B3_Weights.verify(weights),
                         progress, **kwargs)


@register_model(weights=EfficientNet_B4_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: EfficientNet_B4_Weights.IMAGENET1K_V1))
def efficientnet_b4(*, weights: EfficientNet_B4_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B4 (width x1.4, depth x1.8, dropout 0.4).

    Args:
        weights (EfficientNet_B4_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`EfficientNet` (``dropout`` overrides the default).
    """
    return _efficientnet("efficientnet_b4", 1.4, 1.8, 0.4, EfficientNet_B4_Weights.verify(weights),
                         progress, **kwargs)


@register_model(weights=EfficientNet_B5_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: EfficientNet_B5_Weights.IMAGENET1K_V1))
def efficientnet_b5(*, weights: EfficientNet_B5_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B5 (width x1.6, depth x2.2, dropout 0.4).

    Args:
        weights (EfficientNet_B5_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`EfficientNet` (``dropout`` overrides the default).
    """
    kwargs.setdefault("norm_layer", _BN_TF)
    return _efficientnet("efficientnet_b5", 1.6, 2.2, 0.4, EfficientNet_B5_Weights.verify(weights),
                         progress, **kwargs)


@register_model(weights=EfficientNet_B6_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: EfficientNet_B6_Weights.IMAGENET1K_V1))
def efficientnet_b6(*, weights: EfficientNet_B6_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B6 (width x1.8, depth x2.6, dropout 0.5).

    Args:
        weights (EfficientNet_B6_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`EfficientNet` (``dropout`` overrides the default).
    """
    kwargs.setdefault("norm_layer", _BN_TF)
    return _efficientnet("efficientnet_b6", 1.8, 2.6, 0.5, EfficientNet_B6_Weights.verify(weights),
                         progress, **kwargs)


@register_model(weights=EfficientNet_B7_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: EfficientNet_B7_Weights.IMAGENET1K_V1))
def efficientnet_b7(*, weights: EfficientNet_B7_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B7 (width x2.0, depth x3.1, dropout 0.5).

    Args:
        weights (EfficientNet_B7_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`EfficientNet` (``dropout`` overrides the default).
    """
    kwargs.setdefault("norm_layer", _BN_TF)
    return _efficientnet("efficientnet_b7", 2.0, 3.1, 0.5, EfficientNet_B7_Weights.verify(weights),
                         progress, **kwargs)


@register_model(weights=EfficientNet_V2_S_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: EfficientNet_V2_S_Weights.IMAGENET1K_V1))
def efficientnet_v2_s(*, weights: EfficientNet_V2_S_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-V2S (width x1.0, depth x1.0, dropout 0.2).

    Args:
        weights (EfficientNet_V2_S_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`EfficientNet` (``dropout`` overrides the default).
    """
    kwargs.setdefault("norm_layer", _BN_V2)
    return _efficientnet("efficientnet_v2_s", 1.0, 1.0, 0.2,
                         EfficientNet_V2_S_Weights.verify(weights),
                         progress, **kwargs)


@register_model(weights=EfficientNet_V2_M_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: EfficientNet_V2_M_Weights.IMAGENET1K_V1))
def efficientnet_v2_m(*, weights: EfficientNet_V2_M_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-V2M (width x1.0, depth x1.0, dropout 0.3).

    Args:
        weights (EfficientNet_V2_M_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`EfficientNet` (``dropout`` overrides the default).
    """
    kwargs.setdefault("norm_layer", _BN_V2)
    return _efficientnet("efficientnet_v2_m", 1.0, 1.0, 0.3,
                         EfficientNet_V2_M_Weights.verify(weights),
                         progress, **kwargs)


@register_model(weights=EfficientNet_V2_L_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: EfficientNet_V2_L_Weights.IMAGENET1K_V1))
def efficientnet_v2_l(*, weights: EfficientNet_V2_L_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-V2L (width x1.0, depth x1.0, dropout 0.4).

    Args:
        weights (EfficientNet_V2_L_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`EfficientNet` (``dropout`` overrides the default).
    """
    kwargs.setdefault("norm_layer", _BN_V2)
    return _efficientnet("efficientnet_v2_l", 1.0, 1.0, 0.4,
                         EfficientNet_V2_L_Weights.verify(weights),
                         progress, **kwargs)
