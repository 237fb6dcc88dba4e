"""DeepLabV3 (Chen et al. 2017) on dilated ResNet-50/101 and MobileNetV3-Large backbones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ember
from ember import nn
from ember.nn import functional as F

from .._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from .._utils import IntermediateLayerGetter
from ..mobilenetv3 import MobileNet_V3_Large_Weights, MobileNetV3, mobilenet_v3_large
from ..resnet import ResNet, ResNet50_Weights, ResNet101_Weights, resnet50, resnet101
from ._utils import _ovewrite_value_param, _SimpleSegmentationModel
from .fcn import FCNHead

__all__ = ["DeepLabV3", "DeepLabHead", "DeepLabV3_ResNet50_Weights", "DeepLabV3_ResNet101_Weights",
           "DeepLabV3_MobileNet_V3_Large_Weights", "deeplabv3_resnet50", "deeplabv3_resnet101",
           "deeplabv3_mobilenet_v3_large"]


class DeepLabV3(_SimpleSegmentationModel):
    """DeepLabV3: backbone features -> ASPP head -> bilinear upsampling (optional aux head).

    Shape:
        (N, 3, H, W) -> {"out": (N, num_classes, H, W), "aux": same when built}.
    """


class DeepLabHead(nn.Sequential):
    """ASPP, 3x3 conv + BN + ReLU, 1x1 conv to ``num_classes``."""

    def __init__(self, in_channels: int, num_classes: int,
                 atrous_rates: Sequence[int] = (12, 24, 36)) -> None:
        super().__init__(ASPP(in_channels, atrous_rates),
                         nn.Conv2d(256, 256, 3, padding=1, bias=False), nn.BatchNorm2d(256),
                         nn.ReLU(), nn.Conv2d(256, num_classes, 1))


class ASPPConv(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int, dilation: int) -> None:
        super().__init__(nn.Conv2d(in_channels, out_channels, 3, padding=dilation,
                                   dilation=dilation, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


class ASPPPooling(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, out_channels, 1,
                                                            bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())

    def forward(self, x):
        size = tuple(x.shape[-2:])
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: 1x1, three dilated 3x3 and an image-pool branch."""

    def __init__(self, in_channels: int, atrous_rates: Sequence[int],
                 out_channels: int = 256) -> None:
        super().__init__()
        modules: list[nn.Module] = [nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels),
            nn.ReLU())]
        modules.extend(ASPPConv(in_channels, out_channels, rate) for rate in tuple(atrous_rates))
        modules.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(modules)
        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(), nn.Dropout(0.5))

    def forward(self, x):
        return self.project(ember.cat([conv(x) for conv in self.convs], dim=1))


def _deeplabv3_resnet(backbone: ResNet, num_classes: int, aux: bool | None) -> DeepLabV3:
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    body = IntermediateLayerGetter(backbone, return_layers=return_layers)
    aux_classifier = FCNHead(1024, num_classes) if aux else None
    return DeepLabV3(body, DeepLabHead(2048, num_classes), aux_classifier)


def _stage_indices(features: nn.Sequential) -> list[int]:
    return ([0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)]
            + [len(features) - 1])


def _deeplabv3_mobilenetv3(backbone: MobileNetV3, num_classes: int,
                           aux: bool | None) -> DeepLabV3:
    features = backbone.features
    stages = _stage_indices(features)
    out_pos, aux_pos = stages[-1], stages[-4]
    return_layers = {str(out_pos): "out"}
    if aux:
        return_layers[str(aux_pos)] = "aux"
    body = IntermediateLayerGetter(features, return_layers=return_layers)
    aux_classifier = FCNHead(features[aux_pos].out_channels, num_classes) if aux else None
    return DeepLabV3(body, DeepLabHead(features[out_pos].out_channels, num_classes),
                     aux_classifier)


def _seg_args(weights, num_classes, aux_loss):
    if weights is not None:
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
        aux_loss = _ovewrite_value_param("aux_loss", aux_loss, True)
    elif num_classes is None:
        num_classes = 21
    return num_classes, aux_loss


class DeepLabV3_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = weights_from_meta("DeepLabV3_ResNet50_Weights",
                                                "COCO_WITH_VOC_LABELS_V1")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class DeepLabV3_ResNet101_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = weights_from_meta("DeepLabV3_ResNet101_Weights",
                                                "COCO_WITH_VOC_LABELS_V1")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class DeepLabV3_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = weights_from_meta("DeepLabV3_MobileNet_V3_Large_Weights",
                                                "COCO_WITH_VOC_LABELS_V1")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@register_model(weights=DeepLabV3_ResNet50_Weights)
@handle_legacy_interface(
    weights=("pretrained", lambda kwargs: DeepLabV3_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1),
    weights_backbone=("pretrained_backbone", lambda kwargs: ResNet50_Weights.IMAGENET1K_V1))
def deeplabv3_resnet50(*, weights: DeepLabV3_ResNet50_Weights | None = None,
                       progress: bool = True, num_classes: int | None = None,
                       aux_loss: bool | None = None,
                       weights_backbone: ResNet50_Weights | None = ResNet50_Weights.IMAGENET1K_V1,
                       **kwargs: Any) -> DeepLabV3:
    """DeepLabV3 with a dilated ResNet-50 backbone.

    NOTE: as in torchvision the backbone defaults to ImageNet weights (a download); pass
    ``weights_backbone=None`` for a randomly initialised model.

    Args:
        weights (DeepLabV3_ResNet50_Weights | str | None): Default: None.
        progress (bool): Default: True.
        num_classes (int | None): Default None = 21 (or the weights' categories).
        aux_loss (bool | None): build the auxiliary FCN head on layer3.
        weights_backbone (ResNet50_Weights | None): Default: IMAGENET1K_V1.
        **kwargs: ignored, as in torchvision.
    """
    weights = DeepLabV3_ResNet50_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
    num_classes, aux_loss = _seg_args(weights, num_classes, aux_loss)
    backbone = resnet50(weights=weights_backbone, replace_stride_with_dilation=[False, True, True])
    model = _deeplabv3_resnet(backbone, num_classes, aux_loss)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


@register_model(weights=DeepLabV3_ResNet101_Weights)
@handle_legacy_interface(
    weights=("pretrained", lambda kwargs: DeepLabV3_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1),
    weights_backbone=("pretrained_backbone", lambda kwargs: ResNet101_Weights.IMAGENET1K_V1))
def deeplabv3_resnet101(*, weights: DeepLabV3_ResNet101_Weights | None = None,
                        progress: bool = True, num_classes: int | None = None,
                        aux_loss: bool | None = None,
                        weights_backbone: ResNet101_Weights | None = (
                            ResNet101_Weights.IMAGENET1K_V1),
                        **kwargs: Any) -> DeepLabV3:
    """DeepLabV3 with a dilated ResNet-101 backbone; arguments as :func:`deeplabv3_resnet50`."""
    weights = DeepLabV3_ResNet101_Weights.verify(weights)
    weights_backbone = ResNet101_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
    num_classes, aux_loss = _seg_args(weights, num_classes, aux_loss)
    backbone = resnet101(weights=weights_backbone, replace_stride_with_dilation=[False, True, True])
    model = _deeplabv3_resnet(backbone, num_classes, aux_loss)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


@register_model(weights=DeepLabV3_MobileNet_V3_Large_Weights)
@handle_legacy_interface(
    weights=("pretrained",
             lambda kwargs: DeepLabV3_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1),
    weights_backbone=("pretrained_backbone",
                      lambda kwargs: MobileNet_V3_Large_Weights.IMAGENET1K_V1))
def deeplabv3_mobilenet_v3_large(
        *, weights: DeepLabV3_MobileNet_V3_Large_Weights | None = None, progress: bool = True,
        num_classes: int | None = None, aux_loss: bool | None = None,
        weights_backbone: MobileNet_V3_Large_Weights | None = (
            MobileNet_V3_Large_Weights.IMAGENET1K_V1),
        **kwargs: Any) -> DeepLabV3:
    """DeepLabV3 with a dilated MobileNetV3-Large backbone; arguments as
    :func:`deeplabv3_resnet50`."""
    weights = DeepLabV3_MobileNet_V3_Large_Weights.verify(weights)
    weights_backbone = MobileNet_V3_Large_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
    num_classes, aux_loss = _seg_args(weights, num_classes, aux_loss)
    backbone = mobilenet_v3_large(weights=weights_backbone, dilated=True)
    model = _deeplabv3_mobilenetv3(backbone, num_classes, aux_loss)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
