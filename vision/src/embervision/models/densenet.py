"""DenseNet 121/161/169/201 (Huang et al. 2016)."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import ember
from ember import nn
from ember.nn import functional as F

from ._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from ._utils import _ovewrite_named_param

__all__ = ["DenseNet", "DenseNet121_Weights", "DenseNet161_Weights", "DenseNet169_Weights",
           "DenseNet201_Weights", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int,
                 drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        # NOTE: accepted for signature compatibility; ember keeps all activations (no
        # checkpointing), so the layer computes the same values either way.
        self.memory_efficient = memory_efficient

    def forward(self, input):
        prev = [input] if not isinstance(input, list) else input
        x = self.conv1(self.relu1(self.norm1(ember.cat(prev, 1))))
        x = self.conv2(self.relu2(self.norm2(x)))
        if self.drop_rate > 0:
            x = F.dropout(x, p=self.drop_rate, training=self.training)
        return x


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers: int, num_input_features: int, bn_size: int, growth_rate: int,
                 drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(
                num_input_features + i * growth_rate, growth_rate=growth_rate, bn_size=bn_size,
                drop_rate=drop_rate, memory_efficient=memory_efficient))

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return ember.cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC: dense blocks joined by 1x1-conv + avg-pool transitions, then ``classifier``.

    Args:
        growth_rate (int): channels each layer adds. Default: 32.
        block_config (tuple[int, ...]): layers per dense block. Default: (6, 12, 24, 16).
        num_init_features (int): channels after the stem. Default: 64.
        bn_size (int): bottleneck width multiplier. Default: 4.
        drop_rate (float): dropout after each dense layer. Default: 0.
        num_classes (int): Default: 1000.
        memory_efficient (bool): accepted; no effect in ember. Default: False.
    """

    def __init__(self, growth_rate: int = 32, block_config: tuple[int, ...] = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0,
                 num_classes: int = 1000, memory_efficient: bool = False) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(
                num_layers, num_features, bn_size=bn_size, growth_rate=growth_rate,
                drop_rate=drop_rate, memory_efficient=memory_efficient))
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}",
                                         _Transition(num_features, num_features // 2))
                num_features = num_features // 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        out = F.relu(self.features(x))
        out = ember.flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1)
        return self.classifier(out)


# NOTE: the published files predate the norm1/relu1/conv1 names and spell them "norm.1" etc.
_OLD_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def _remap_densenet_keys(state_dict: dict) -> dict:
    """Rename old ``denselayerN.norm.1.weight`` keys to ``denselayerN.norm1.weight``.

    Example:
        >>> list(_remap_densenet_keys({"features.denseblock1.denselayer1.norm.1.weight": 0}))
        ['features.denseblock1.denselayer1.norm1.weight']
    """
    out = OrderedDict()
    for key, value in state_dict.items():
        m = _OLD_KEY.match(key)
        out[m.group(1) + m.group(2) if m else key] = value
    return out


def _densenet(growth_rate: int, block_config: tuple[int, ...], num_init_features: int,
              weights, progress: bool, **kwargs: Any) -> DenseNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    if weights is not None:
        state = weights.get_state_dict(progress=progress, check_hash=True)
        model.load_state_dict(_remap_densenet_keys(state))
    return model


class DenseNet121_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("DenseNet121_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class DenseNet161_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("DenseNet161_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class DenseNet169_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("DenseNet169_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class DenseNet201_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("DenseNet201_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


@register_model(weights=DenseNet121_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: DenseNet121_Weights.IMAGENET1K_V1))
def densenet121(*, weights: DenseNet121_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-121 (growth rate 32, blocks (6, 12, 24, 16)).

    Args:
        weights (DenseNet121_Weights | str | None): pretrained weights (old key names are
            remapped). Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`DenseNet`.
    """
    return _densenet(32, (6, 12, 24, 16), 64, DenseNet121_Weights.verify(weights), progress,
                     **kwargs)


@register_model(weights=DenseNet161_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: DenseNet161_Weights.IMAGENET1K_V1))
def densenet161(*, weights: DenseNet161_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-161 (growth rate 48, blocks (6, 12, 36, 24)).

    Args:
        weights (DenseNet161_Weights | str | None): pretrained weights (old key names are
            remapped). Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`DenseNet`.
    """
    return _densenet(48, (6, 12, 36, 24), 96, DenseNet161_Weights.verify(weights), progress,
                     **kwargs)


@register_model(weights=DenseNet169_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: DenseNet169_Weights.IMAGENET1K_V1))
def densenet169(*, weights: DenseNet169_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-169 (growth rate 32, blocks (6, 12, 32, 32)).

    Args:
        weights (DenseNet169_Weights | str | None): pretrained weights (old key names are
            remapped). Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`DenseNet`.
    """
    return _densenet(32, (6, 12, 32, 32), 64, DenseNet169_Weights.verify(weights), progress,
                     **kwargs)


@register_model(weights=DenseNet201_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: DenseNet201_Weights.IMAGENET1K_V1))
def densenet201(*, weights: DenseNet201_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-201 (growth rate 32, blocks (6, 12, 48, 32)).

    Args:
        weights (DenseNet201_Weights | str | None): pretrained weights (old key names are
            remapped). Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`DenseNet`.
    """
    return _densenet(32, (6, 12, 48, 32), 64, DenseNet201_Weights.verify(weights), progress,
                     **kwargs)
