"""The backbone + head + upsampling skeleton shared by the segmentation models."""

from __future__ import annotations

from collections import OrderedDict

from ember import nn
from ember.nn import functional as F


class _SimpleSegmentationModel(nn.Module):
    """``backbone`` returns {"out", "aux"} features; each head's output is upsampled bilinearly
    to the input size and returned in an OrderedDict under the same key."""

    __constants__ = ["aux_classifier"]

    def __init__(self, backbone: nn.Module, classifier: nn.Module,
                 aux_classifier: nn.Module | None = None) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    def forward(self, x):
        input_shape = tuple(x.shape[-2:])
        features = self.backbone(x)
        result = OrderedDict()
        out = self.classifier(features["out"])
        result["out"] = F.interpolate(out, size=input_shape, mode="bilinear", align_corners=False)
        if self.aux_classifier is not None:
            aux = self.aux_classifier(features["aux"])
            result["aux"] = F.interpolate(aux, size=input_shape, mode="bilinear",
                                          align_corners=False)
        return result


def _ovewrite_value_param(param: str, actual, expected):
    """``expected``, after checking that the user did not ask for something else.

    Raises:
        ValueError: when ``actual`` is set and differs from ``expected``.
    """
    if actual is not None and actual != expected:
        raise ValueError(f"The parameter '{param}' expected value {expected} but got {actual} "
                         f"instead.")
    return expected
