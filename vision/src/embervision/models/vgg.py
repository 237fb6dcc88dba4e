"""VGG 11/13/16/19 with and without batch norm (Simonyan & Zisserman 2014)."""

from __future__ import annotations

from typing import Any

import ember
from ember import nn

from ._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from ._utils import _load_weights, _ovewrite_named_param

__all__ = ["VGG", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights",
           "VGG16_Weights", "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights", "vgg11",
           "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]


class VGG(nn.Module):
    """VGG classifier: ``features`` (convs), 7x7 adaptive pool, three-layer ``classifier``.

    Args:
        features (nn.Module): the convolutional trunk (see ``make_layers``).
        num_classes (int): Default: 1000.
        init_weights (bool): Default: True.
        dropout (float): Default: 0.5.

    Shape:
        (N, 3, H, W) with H, W >= 32 -> (N, num_classes).
    """

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))


def make_layers(cfg: list, batch_norm: bool = False) -> nn.Sequential:
    """The VGG trunk for a configuration list (channel counts, ``"M"`` for a 2x2 max pool).

    Example:
        >>> make_layers([8, "M", 16], batch_norm=True)(ember.zeros(1, 3, 4, 4)).shape
        ember.Size([1, 16, 2, 2])
    """
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            in_channels = v
    return nn.Sequential(*layers)


cfgs: dict[str, list] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512,
          512, 512, "M"],
}


def _vgg(cfg: str, batch_norm: bool, weights, progress: bool, **kwargs: Any) -> VGG:
    if weights is not None:
        kwargs["init_weights"] = False
        if weights.meta["categories"] is not None:
            _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("VGG11_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("VGG11_BN_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("VGG13_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("VGG13_BN_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("VGG16_Weights", "IMAGENET1K_V1")
    IMAGENET1K_FEATURES = weights_from_meta("VGG16_Weights", "IMAGENET1K_FEATURES")
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("VGG16_BN_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("VGG19_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("VGG19_BN_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1




@register_model(weights=VGG11_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: VGG11_Weights.IMAGENET1K_V1))
def vgg11(*, weights: VGG11_Weights | None = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG11 (configuration "A").

    Args:
        weights (VGG11_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VGG`.

    Example:
        >>> VGG11_Weights.DEFAULT.meta["num_params"]  # what vgg11() builds
        132863336
    """
    return _vgg("A", False, VGG11_Weights.verify(weights), progress, **kwargs)


@register_model(weights=VGG11_BN_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: VGG11_BN_Weights.IMAGENET1K_V1))
def vgg11_bn(*, weights: VGG11_BN_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VGG:
    """VGG11 with batch norm (configuration "A").

    Args:
        weights (VGG11_BN_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VGG`.
    """
    return _vgg("A", True, VGG11_BN_Weights.verify(weights), progress, **kwargs)


@register_model(weights=VGG13_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: VGG13_Weights.IMAGENET1K_V1))
def vgg13(*, weights: VGG13_Weights | None = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG13 (configuration "B").

    Args:
        weights (VGG13_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VGG`.
    """
    return _vgg("B", False, VGG13_Weights.verify(weights), progress, **kwargs)


@register_model(weights=VGG13_BN_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: VGG13_BN_Weights.IMAGENET1K_V1))
def vgg13_bn(*, weights: VGG13_BN_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VGG:
    """VGG13 with batch norm (configuration "B").

    Args:
        weights (VGG13_BN_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VGG`.
    """
    return _vgg("B", True, VGG13_BN_Weights.verify(weights), progress, **kwargs)


@register_model(weights=VGG16_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: VGG16_Weights.IMAGENET1K_V1))
def vgg16(*, weights: VGG16_Weights | None = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG16 (configuration "D").

    Args:
        weights (VGG16_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VGG`.
    """
    return _vgg("D", False, VGG16_Weights.verify(weights), progress, **kwargs)


@register_model(weights=VGG16_BN_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: VGG16_BN_Weights.IMAGENET1K_V1))
def vgg16_bn(*, weights: VGG16_BN_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VGG:
    """VGG16 with batch norm (configuration "D").

    Args:
        weights (VGG16_BN_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VGG`.
    """
    return _vgg("D", True, VGG16_BN_Weights.verify(weights), progress, **kwargs)


@register_model(weights=VGG19_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: VGG19_Weights.IMAGENET1K_V1))
def vgg19(*, weights: VGG19_Weights | None = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG19 (configuration "E").

    Args:
        weights (VGG19_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VGG`.
    """
    return _vgg("E", False, VGG19_Weights.verify(weights), progress, **kwargs)


@register_model(weights=VGG19_BN_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: VGG19_BN_Weights.IMAGENET1K_V1))
def vgg19_bn(*, weights: VGG19_BN_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VGG:
    """VGG19 with batch norm (configuration "E").

    Args:
        weights (VGG19_BN_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`VGG`.
    """
    return _vgg("E", True, VGG19_BN_Weights.verify(weights), progress, **kwargs)
