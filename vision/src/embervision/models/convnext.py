"""ConvNeXt tiny/small/base/large (Liu et al. 2022)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import ember
from ember import nn
from ember.nn import functional as F

from ..ops.misc import Conv2dNormActivation, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from ._utils import _load_weights, _ovewrite_named_param

__all__ = ["ConvNeXt", "ConvNeXt_Tiny_Weights", "ConvNeXt_Small_Weights", "ConvNeXt_Base_Weights",
           "ConvNeXt_Large_Weights", "convnext_tiny", "convnext_small", "convnext_base",
           "convnext_large"]


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channel dimension of an (N, C, H, W) tensor."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """Depthwise 7x7, LayerNorm, MLP x4 with GELU, per-channel layer scale, residual."""

    def __init__(self, dim: int, layer_scale: float, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]), norm_layer(dim), nn.Linear(dim, 4 * dim, bias=True), nn.GELU(),
            nn.Linear(4 * dim, dim, bias=True), Permute([0, 3, 1, 2]))
        self.layer_scale = nn.Parameter(ember.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input):
        result = self.layer_scale * self.block(input)
        return self.stochastic_depth(result) + input


class CNBlockConfig:
    """One stage: channels in, channels after the downsampling layer (None: last), depth."""

    def __init__(self, input_channels: int, out_channels: int | None, num_layers: int) -> None:
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers


class ConvNeXt(nn.Module):
    """ConvNeXt: 4x4 patchify stem, stages of CNBlocks with 2x2 downsampling, norm + linear head.

    Args:
        block_setting (list[CNBlockConfig]): the stages.
        stochastic_depth_prob (float): Default: 0.0.
        layer_scale (float): initial layer scale. Default: 1e-6.
        num_classes (int): Default: 1000.
        block (callable | None): Default: ``CNBlock``.
        norm_layer (callable | None): Default: ``LayerNorm2d(eps=1e-6)``.

    Raises:
        ValueError: for an empty setting. TypeError: for rows that are not CNBlockConfig.
    """

    def __init__(self, block_setting: list[CNBlockConfig], stochastic_depth_prob: float = 0.0,
                 layer_scale: float = 1e-6, num_classes: int = 1000,
                 block: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None, **kwargs: Any) -> None:
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        if not (isinstance(block_setting, Sequence)
                and all(isinstance(s, CNBlockConfig) for s in block_setting)):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        block = CNBlock if block is None else block
        norm_layer = partial(LayerNorm2d, eps=1e-6) if norm_layer is None else norm_layer
        first = block_setting[0].input_channels
        layers: list[nn.Module] = [Conv2dNormActivation(3, first, kernel_size=4, stride=4,
                                                        padding=0, norm_layer=norm_layer,
                                                        activation_layer=None, bias=True)]
        total = sum(cnf.num_layers for cnf in block_setting)
        block_id = 0
        for cnf in block_setting:
            stage = []
            for _ in range(cnf.num_layers):
                sd_prob = stochastic_depth_prob * block_id / (total - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(nn.Sequential(norm_layer(cnf.input_channels),
                                            nn.Conv2d(cnf.input_channels, cnf.out_channels,
                                                      kernel_size=2, stride=2)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last = block_setting[-1]
        out = last.out_channels if last.out_channels is not None else last.input_channels
        self.classifier = nn.Sequential(norm_layer(out), nn.Flatten(1), nn.Linear(out, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


def _convnext(block_setting: list[CNBlockConfig], stochastic_depth_prob: float, weights,
              progress: bool, **kwargs: Any) -> ConvNeXt:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = ConvNeXt(block_setting, stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


class ConvNeXt_Tiny_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ConvNeXt_Tiny_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Small_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ConvNeXt_Small_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Base_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ConvNeXt_Base_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Large_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ConvNeXt_Large_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


@register_model(weights=ConvNeXt_Tiny_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: ConvNeXt_Tiny_Weights.IMAGENET1K_V1))
def convnext_tiny(*, weights: ConvNeXt_Tiny_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-Tiny (widths 96/192/384/768, depths 3/3/9/3).

    Args:
        weights (ConvNeXt_Tiny_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`ConvNeXt` (``stochastic_depth_prob`` default 0.1).
    """
    setting = [CNBlockConfig(96, 192, 3), CNBlockConfig(192, 384, 3),
               CNBlockConfig(384, 768, 9), CNBlockConfig(768, None, 3)]
    sd = kwargs.pop("stochastic_depth_prob", 0.1)
    return _convnext(setting, sd, ConvNeXt_Tiny_Weights.verify(weights), progress, **kwargs)


@register_model(weights=ConvNeXt_Small_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: ConvNeXt_Small_Weights.IMAGENET1K_V1))
def convnext_small(*, weights: ConvNeXt_Small_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-Small (widths 96/192/384/768, depths 3/3/27/3).

    Args:
        weights (ConvNeXt_Small_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`ConvNeXt` (``stochastic_depth_prob`` default 0.4).
    """
    setting = [CNBlockConfig(96, 192, 3), CNBlockConfig(192, 384, 3),
               CNBlockConfig(384, 768, 27), CNBlockConfig(768, None, 3)]
    sd = kwargs.pop("stochastic_depth_prob", 0.4)
    return _convnext(setting, sd, ConvNeXt_Small_Weights.verify(weights), progress, **kwargs)


@register_model(weights=ConvNeXt_Base_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: ConvNeXt_Base_Weights.IMAGENET1K_V1))
def convnext_base(*, weights: ConvNeXt_Base_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-Base (widths 128/256/512/1024, depths 3/3/27/3).

    Args:
        weights (ConvNeXt_Base_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`ConvNeXt` (``stochastic_depth_prob`` default 0.5).
    """
    setting = [CNBlockConfig(128, 256, 3), CNBlockConfig(256, 512, 3),
               CNBlockConfig(512, 1024, 27), CNBlockConfig(1024, None, 3)]
    sd = kwargs.pop("stochastic_depth_prob", 0.5)
    return _convnext(setting, sd, ConvNeXt_Base_Weights.verify(weights), progress, **kwargs)


@register_model(weights=ConvNeXt_Large_Weights)
@handle_legacy_interface(weights=("pretrained",
                                  lambda kwargs: ConvNeXt_Large_Weights.IMAGENET1K_V1))
def convnext_large(*, weights: ConvNeXt_Large_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> ConvNeXt:
    """ConvNeXt-Large (widths 192/384/768/1536, depths 3/3/27/3).

    Args:
        weights (ConvNeXt_Large_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`ConvNeXt` (``stochastic_depth_prob`` default 0.5).
    """
    setting = [CNBlockConfig(192, 384, 3), CNBlockConfig(384, 768, 3),
               CNBlockConfig(768, 1536, 27), CNBlockConfig(1536, None, 3)]
    sd = kwargs.pop("stochastic_depth_prob", 0.5)
    return _convnext(setting, sd, ConvNeXt_Large_Weights.verify(weights), progress, **kwargs)
