"""Lite R-ASPP (Howard et al. 2019) on a dilated MobileNetV3-Large backbone."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from ember import nn
from ember.nn import functional as F

from .._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from .._utils import IntermediateLayerGetter
from ..mobilenetv3 import MobileNet_V3_Large_Weights, MobileNetV3, mobilenet_v3_large
from ._utils import _ovewrite_value_param

__all__ = ["LRASPP", "LRASPP_MobileNet_V3_Large_Weights", "lraspp_mobilenet_v3_large"]


class LRASPP(nn.Module):
    """Backbone {"low", "high"} features -> ``LRASPPHead`` -> bilinear upsampling to the input.

    Shape:
        (N, 3, H, W) -> {"out": (N, num_classes, H, W)}.
    """

    def __init__(self, backbone: nn.Module, low_channels: int, high_channels: int,
                 num_classes: int, inter_channels: int = 128) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = LRASPPHead(low_channels, high_channels, num_classes, inter_channels)

    def forward(self, input):
        out = self.classifier(self.backbone(input))
        out = F.interpolate(out, size=tuple(input.shape[-2:]), mode="bilinear",
                            align_corners=False)
        return OrderedDict([("out", out)])


class LRASPPHead(nn.Module):
    """High features gated by a global-pool sigmoid, upsampled, plus a low-feature classifier."""

    def __init__(self, low_channels: int, high_channels: int, num_classes: int,
                 inter_channels: int) -> None:
        super().__init__()
        self.cbr = nn.Sequential(nn.Conv2d(high_channels, inter_channels, 1, bias=False),
                                 nn.BatchNorm2d(inter_channels), nn.ReLU(inplace=True))
        self.scale = nn.Sequential(nn.AdaptiveAvgPool2d(1),
                                   nn.Conv2d(high_channels, inter_channels, 1, bias=False),
                                   nn.Sigmoid())
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(inter_channels, num_classes, 1)

    def forward(self, input):
        low, high = input["low"], input["high"]
        x = self.cbr(high) * self.scale(high)
        x = F.interpolate(x, size=tuple(low.shape[-2:]), mode="bilinear", align_corners=False)
        return self.low_classifier(low) + self.high_classifier(x)


def _lraspp_mobilenetv3(backbone: MobileNetV3, num_classes: int) -> LRASPP:
    features = backbone.features
    stages = ([0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)]
              + [len(features) - 1])
    low_pos, high_pos = stages[-4], stages[-1]
    body = IntermediateLayerGetter(features, return_layers={str(low_pos): "low",
                                                            str(high_pos): "high"})
    return LRASPP(body, features[low_pos].out_channels, features[high_pos].out_channels,
                  num_classes)


class LRASPP_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = weights_from_meta("LRASPP_MobileNet_V3_Large_Weights",
                                                "COCO_WITH_VOC_LABELS_V1")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@register_model(weights=LRASPP_MobileNet_V3_Large_Weights)
@handle_legacy_interface(
    weights=("pretrained",
             lambda kwargs: LRASPP_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1),
    weights_backbone=("pretrained_backbone",
                      lambda kwargs: MobileNet_V3_Large_Weights.IMAGENET1K_V1))
def lraspp_mobilenet_v3_large(
        *, weights: LRASPP_MobileNet_V3_Large_Weights | None = None, progress: bool = True,
        num_classes: int | None = None,
        weights_backbone: MobileNet_V3_Large_Weights | None = (
            MobileNet_V3_Large_Weights.IMAGENET1K_V1),
        **kwargs: Any) -> LRASPP:
    """Lite R-ASPP with a dilated MobileNetV3-Large backbone.

    Args:
        weights (LRASPP_MobileNet_V3_Large_Weights | str | None): Default: None.
        progress (bool): Default: True.
        num_classes (int | None): Default None = 21 (or the weights' categories).
        weights_backbone (MobileNet_V3_Large_Weights | None): Default: IMAGENET1K_V1.

    Raises:
        NotImplementedError: when ``aux_loss=True`` is passed (the model has no aux head).
    """
    if kwargs.pop("aux_loss", False):
        raise NotImplementedError("This model does not use auxiliary loss")
    weights = LRASPP_MobileNet_V3_Large_Weights.verify(weights)
    weights_backbone = MobileNet_V3_Large_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
    elif num_classes is None:
        num_classes = 21
    backbone = mobilenet_v3_large(weights=weights_backbone, dilated=True)
    model = _lraspp_mobilenetv3(backbone, num_classes)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
