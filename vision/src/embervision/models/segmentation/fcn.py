"""Fully convolutional networks (Long et al. 2015) on dilated ResNet-50/101 backbones."""

from __future__ import annotations

from typing import Any

from ember import nn

from .._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from .._utils import IntermediateLayerGetter
from ..resnet import ResNet, ResNet50_Weights, ResNet101_Weights, resnet50, resnet101
from ._utils import _ovewrite_value_param, _SimpleSegmentationModel

__all__ = ["FCN", "FCNHead", "FCN_ResNet50_Weights", "FCN_ResNet101_Weights", "fcn_resnet50",
           "fcn_resnet101"]


class FCN(_SimpleSegmentationModel):
    """FCN: backbone features -> ``FCNHead`` -> bilinear upsampling (optional aux head).

    Shape:
        (N, 3, H, W) -> {"out": (N, num_classes, H, W), "aux": same when built}.
    """


class FCNHead(nn.Sequential):
    """3x3 conv to in/4 channels, BN, ReLU, Dropout(0.1), 1x1 conv to ``channels``."""

    def __init__(self, in_channels: int, channels: int) -> None:
        inter_channels = in_channels // 4
        super().__init__(nn.Conv2d(in_channels, inter_channels, 3, padding=1, bias=False),
                         nn.BatchNorm2d(inter_channels), nn.ReLU(), nn.Dropout(0.1),
                         nn.Conv2d(inter_channels, channels, 1))


def _fcn_resnet(backbone: ResNet, num_classes: int, aux: bool | None) -> FCN:
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    body = IntermediateLayerGetter(backbone, return_layers=return_layers)
    aux_classifier = FCNHead(1024, num_classes) if aux else None
    return FCN(body, FCNHead(2048, num_classes), aux_classifier)


class FCN_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = weights_from_meta("FCN_ResNet50_Weights", "COCO_WITH_VOC_LABELS_V1")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class FCN_ResNet101_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = weights_from_meta("FCN_ResNet101_Weights", "COCO_WITH_VOC_LABELS_V1")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@register_model(weights=FCN_ResNet50_Weights)
@handle_legacy_interface(
    weights=("pretrained", lambda kwargs: FCN_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1),
    weights_backbone=("pretrained_backbone", lambda kwargs: ResNet50_Weights.IMAGENET1K_V1))
def fcn_resnet50(*, weights: FCN_ResNet50_Weights | None = None, progress: bool = True,
                 num_classes: int | None = None, aux_loss: bool | None = None,
                 weights_backbone: ResNet50_Weights | None = ResNet50_Weights.IMAGENET1K_V1,
                 **kwargs: Any) -> FCN:
    """FCN with a dilated ResNet-50 backbone.

    NOTE: as in torchvision the backbone defaults to ImageNet weights (a download); pass
    weights_backbone=None for a randomly initialised model.

    Args:
        weights (FCN_ResNet50_Weights | str | None): Default: None.
        progress (bool): Default: True.
        num_classes (int | None): Default None = 21 (or the weights' categories).
        aux_loss (bool | None): build the auxiliary head on layer3.
        weights_backbone (ResNet50_Weights | None): Default: IMAGENET1K_V1.
        **kwargs: ignored, as in torchvision.
    """
    weights = FCN_ResNet50_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
        aux_loss = _ovewrite_value_param("aux_loss", aux_loss, True)
    elif num_classes is None:
        num_classes = 21
    backbone = resnet50(weights=weights_backbone, replace_stride_with_dilation=[False, True, True])
    model = _fcn_resnet(backbone, num_classes, aux_loss)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


@register_model(weights=FCN_ResNet101_Weights)
@handle_legacy_interface(
    weights=("pretrained", lambda kwargs: FCN_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1),
    weights_backbone=("pretrained_backbone", lambda kwargs: ResNet101_Weights.IMAGENET1K_V1))
def fcn_resnet101(*, weights: FCN_ResNet101_Weights | None = None, progress: bool = True,
                  num_classes: int | None = None, aux_loss: bool | None = None,
                  weights_backbone: ResNet101_Weights | None = ResNet101_Weights.IMAGENET1K_V1,
                  **kwargs: Any) -> FCN:
    """FCN with a dilated ResNet-101 backbone.

    NOTE: as in torchvision the backbone defaults to ImageNet weights (a download); pass
    weights_backbone=None for a randomly initialised model.

    Args:
        weights (FCN_ResNet101_Weights | str | None): Default: None.
        progress (bool): Default: True.
        num_classes (int | None): Default None = 21 (or the weights' categories).
        aux_loss (bool | None): build the auxiliary head on layer3.
        weights_backbone (ResNet101_Weights | None): Default: IMAGENET1K_V1.
        **kwargs: ignored, as in torchvision.
    """
    weights = FCN_ResNet101_Weights.verify(weights)
    weights_backbone = ResNet101_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
        aux_loss = _ovewrite_value_param("aux_loss", aux_loss, True)
    elif num_classes is None:
        num_classes = 21
    backbone = resnet101(weights=weights_backbone, replace_stride_with_dilation=[False, True, True])
    model = _fcn_resnet(backbone, num_classes, aux_loss)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
