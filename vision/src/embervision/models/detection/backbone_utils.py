"""ResNet + FPN backbones for the detection models."""

from __future__ import annotations

import warnings
from collections.abc import Callable

from ember import Tensor, nn

from ...ops import misc as misc_nn_ops
from ...ops.feature_pyramid_network import ExtraFPNBlock, FeaturePyramidNetwork, LastLevelMaxPool
from .. import resnet
from .._api import WeightsEnum, handle_legacy_interface
from .._utils import IntermediateLayerGetter

__all__ = ["BackboneWithFPN", "resnet_fpn_backbone"]

_RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
            "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2")


class BackboneWithFPN(nn.Module):
    """A backbone's intermediate feature maps followed by a Feature Pyramid Network.

    Args:
        backbone (nn.Module): children run in order (see ``IntermediateLayerGetter``).
        return_layers (dict[str, str]): child name -> output name.
        in_channels_list (list[int]): channels of each returned map.
        out_channels (int): FPN channels (stored as ``self.out_channels``).
        extra_blocks (ExtraFPNBlock | None): Default None = ``LastLevelMaxPool()``.
        norm_layer (callable | None): FPN normalisation. Default: None.

    Shape:
        (N, 3, H, W) -> OrderedDict of (N, out_channels, H_l, W_l).
    """

    def __init__(self, backbone: nn.Module, return_layers: dict[str, str],
                 in_channels_list: list[int], out_channels: int,
                 extra_blocks: ExtraFPNBlock | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if extra_blocks is None:
            extra_blocks = LastLevelMaxPool()
        self.body = IntermediateLayerGetter(backbone, return_layers=return_layers)
        self.fpn = FeaturePyramidNetwork(in_channels_list=in_channels_list,
                                         out_channels=out_channels, extra_blocks=extra_blocks,
                                         norm_layer=norm_layer)
        self.out_channels = out_channels

    def forward(self, x: Tensor):
        return self.fpn(self.body(x))


def _imagenet_v1(kwargs):
    # NOTE: ResNet50_Weights -> "resnet50", Wide_ResNet50_2_Weights -> "wide_resnet50_2"
    enums = {m.__name__[:-len("_Weights")].lower(): m for m in vars(resnet).values()
             if isinstance(m, type) and issubclass(m, WeightsEnum) and m is not WeightsEnum}
    return enums[kwargs["backbone_name"]]["IMAGENET1K_V1"]


@handle_legacy_interface(weights=("pretrained", _imagenet_v1))
def resnet_fpn_backbone(*, backbone_name: str, weights: WeightsEnum | None,
                        norm_layer: Callable[..., nn.Module] = misc_nn_ops.FrozenBatchNorm2d,
                        trainable_layers: int = 3, returned_layers: list[int] | None = None,
                        extra_blocks: ExtraFPNBlock | None = None) -> BackboneWithFPN:
    """A ResNet of ``backbone_name`` with an FPN on top; layers not trainable are frozen.

    Args:
        backbone_name (str): ``resnet18`` ... ``wide_resnet101_2``.
        weights (WeightsEnum | None): backbone weights.
        norm_layer (callable): Default: ``FrozenBatchNorm2d``.
        trainable_layers (int): trainable stages counted from the top, 0..5. Default: 3.
        returned_layers (list[int] | None): stages in [1, 4] to return. Default: all.
        extra_blocks (ExtraFPNBlock | None): Default: ``LastLevelMaxPool()``.

    Raises:
        ValueError: for an unknown backbone name or out-of-range layer settings.

    Example:
        >>> import ember
        >>> b = resnet_fpn_backbone(backbone_name="resnet18", weights=None)
        >>> [(k, tuple(v.shape)) for k, v in b(ember.zeros(1, 3, 64, 64)).items()][-1]
        ('pool', (1, 256, 1, 1))
    """
    if backbone_name not in _RESNETS:
        raise ValueError(f"resnet_fpn_backbone(): unknown backbone_name {backbone_name!r}; "
                         f"choose one of {list(_RESNETS)}")
    backbone = getattr(resnet, backbone_name)(weights=weights, norm_layer=norm_layer)
    return _resnet_fpn_extractor(backbone, trainable_layers, returned_layers, extra_blocks)


def _resnet_fpn_extractor(backbone: resnet.ResNet, trainable_layers: int,
                          returned_layers: list[int] | None = None,
                          extra_blocks: ExtraFPNBlock | None = None,
                          norm_layer: Callable[..., nn.Module] | None = None) -> BackboneWithFPN:
    if trainable_layers < 0 or trainable_layers > 5:
        raise ValueError(f"Trainable layers should be in the range [0,5], got {trainable_layers}")
    layers_to_train = ["layer4", "layer3", "layer2", "layer1", "conv1"][:trainable_layers]
    if trainable_layers == 5:
        layers_to_train.append("bn1")
    for name, parameter in backbone.named_parameters():
        if all(not name.startswith(layer) for layer in layers_to_train):
            parameter.requires_grad_(False)
    if extra_blocks is None:
        extra_blocks = LastLevelMaxPool()
    if returned_layers is None:
        returned_layers = [1, 2, 3, 4]
    if min(returned_layers) <= 0 or max(returned_layers) >= 5:
        raise ValueError(f"Each returned layer should be in the range [1,4]. Got {returned_layers}")
    return_layers = {f"layer{k}": str(v) for v, k in enumerate(returned_layers)}
    in_channels_stage2 = backbone.inplanes // 8
    in_channels_list = [in_channels_stage2 * 2 ** (i - 1) for i in returned_layers]
    return BackboneWithFPN(backbone, return_layers, in_channels_list, 256,
                           extra_blocks=extra_blocks, norm_layer=norm_layer)


def _validate_trainable_layers(is_trained: bool, trainable_backbone_layers: int | None,
                               max_value: int, default_value: int) -> int:
    if not is_trained:
        if trainable_backbone_layers is not None:
            warnings.warn("Changing trainable_backbone_layers has no effect if neither pretrained "
                          "nor pretrained_backbone have been set to True, falling back to "
                          f"trainable_backbone_layers={max_value} so that all layers are "
                          "trainable", UserWarning, stacklevel=3)
        trainable_backbone_layers = max_value
    if trainable_backbone_layers is None:
        trainable_backbone_layers = default_value
    if trainable_backbone_layers < 0 or trainable_backbone_layers > max_value:
        raise ValueError(f"Trainable backbone layers should be in the range [0,{max_value}], got "
                         f"{trainable_backbone_layers} ")
    return trainable_backbone_layers
