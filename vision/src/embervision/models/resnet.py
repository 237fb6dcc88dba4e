"""ResNet, ResNeXt and Wide ResNet (He et al. 2015; Xie et al. 2016; Zagoruyko & Komodakis 2016).

Layer names and ``state_dict`` keys equal torchvision's (``conv1``, ``bn1``, ``layer1.0.conv1``
..., ``fc``), so its published weight files load unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember import nn

from ._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from ._utils import _load_weights, _ovewrite_named_param

__all__ = ["ResNet", "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights",
           "ResNet101_Weights", "ResNet152_Weights", "ResNeXt50_32X4D_Weights",
           "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights", "Wide_ResNet50_2_Weights",
           "Wide_ResNet101_2_Weights", "resnet18", "resnet34", "resnet50", "resnet101",
           "resnet152", "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
           "wide_resnet50_2", "wide_resnet101_2"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding equal to the dilation, no bias."""
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution, no bias."""
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34)."""

    expansion: int = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (stride, groups, dilation), 1x1 expand x4, with a residual (ResNet-50+).

    The stride sits on the 3x3 convolution ("ResNet V1.5"), as in torchvision.
    """

    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """ResNet backbone + classifier: stem, four residual stages, global pool, ``fc``.

    Args:
        block (type): ``BasicBlock`` or ``Bottleneck``.
        layers (list[int]): blocks per stage.
        num_classes (int): Default: 1000.
        zero_init_residual (bool): zero the last BN of each block. Default: False.
        groups (int), width_per_group (int): ResNeXt/Wide settings. Defaults: 1, 64.
        replace_stride_with_dilation (list[bool] | None): dilate stages 2-4 instead of striding.
        norm_layer (callable | None): Default: ``nn.BatchNorm2d``.

    Raises:
        ValueError: when ``replace_stride_with_dilation`` does not have 3 entries.

    Shape:
        (N, 3, H, W) -> (N, num_classes).
    """

    def __init__(self, block, layers: list[int], num_classes: int = 1000,
                 zero_init_residual: bool = False, groups: int = 1, width_per_group: int = 64,
                 replace_stride_with_dilation: list[bool] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self._norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element tuple, "
                             f"got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2, replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1,
                    dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = ember.flatten(self.avgpool(x), 1)
        return self.fc(x)


def _resnet(block, layers: list[int], weights, progress: bool, **kwargs: Any) -> ResNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = ResNet(block, layers, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ResNet18_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ResNet34_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ResNet50_Weights", "IMAGENET1K_V1")
    IMAGENET1K_V2 = weights_from_meta("ResNet50_Weights", "IMAGENET1K_V2")
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ResNet101_Weights", "IMAGENET1K_V1")
    IMAGENET1K_V2 = weights_from_meta("ResNet101_Weights", "IMAGENET1K_V2")
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ResNet152_Weights", "IMAGENET1K_V1")
    IMAGENET1K_V2 = weights_from_meta("ResNet152_Weights", "IMAGENET1K_V2")
    DEFAULT = IMAGENET1K_V2


class ResNeXt50_32X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ResNeXt50_32X4D_Weights", "IMAGENET1K_V1")
    IMAGENET1K_V2 = weights_from_meta("ResNeXt50_32X4D_Weights", "IMAGENET1K_V2")
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_32X8D_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ResNeXt101_32X8D_Weights", "IMAGENET1K_V1")
    IMAGENET1K_V2 = weights_from_meta("ResNeXt101_32X8D_Weights", "IMAGENET1K_V2")
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_64X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("ResNeXt101_64X4D_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class Wide_ResNet50_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("Wide_ResNet50_2_Weights", "IMAGENET1K_V1")
    IMAGENET1K_V2 = weights_from_meta("Wide_ResNet50_2_Weights", "IMAGENET1K_V2")
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet101_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("Wide_ResNet101_2_Weights", "IMAGENET1K_V1")
    IMAGENET1K_V2 = weights_from_meta("Wide_ResNet101_2_Weights", "IMAGENET1K_V2")
    DEFAULT = IMAGENET1K_V2


def _v1(enum):
    return lambda kwargs: enum.IMAGENET1K_V1


@register_model(weights=ResNet18_Weights)
@handle_legacy_interface(weights=("pretrained", _v1(ResNet18_Weights)))
def resnet18(*, weights: ResNet18_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-18 (11.7 M parameters).

    Args:
        weights (ResNet18_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`ResNet`.

    Example:
        >>> resnet18(num_classes=10).fc.out_features
        10
    """
    return _resnet(BasicBlock, [2, 2, 2, 2], ResNet18_Weights.verify(weights), progress, **kwargs)


@register_model(weights=ResNet34_Weights)
@handle_legacy_interface(weights=("pretrained", _v1(ResNet34_Weights)))
def resnet34(*, weights: ResNet34_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-34 (21.8 M parameters); arguments as :func:`resnet18`."""
    return _resnet(BasicBlock, [3, 4, 6, 3], ResNet34_Weights.verify(weights), progress, **kwargs)


@register_model(weights=ResNet50_Weights)
@handle_legacy_interface(weights=("pretrained", _v1(ResNet50_Weights)))
def resnet50(*, weights: ResNet50_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-50 (25.6 M parameters); arguments as :func:`resnet18`."""
    return _resnet(Bottleneck, [3, 4, 6, 3], ResNet50_Weights.verify(weights), progress, **kwargs)


@register_model(weights=ResNet101_Weights)
@handle_legacy_interface(weights=("pretrained", _v1(ResNet101_Weights)))
def resnet101(*, weights: ResNet101_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> ResNet:
    """ResNet-101 (44.5 M parameters); arguments as :func:`resnet18`."""
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNet101_Weights.verify(weights), progress,
                   **kwargs)


@register_model(weights=ResNet152_Weights)
@handle_legacy_interface(weights=("pretrained", _v1(ResNet152_Weights)))
def resnet152(*, weights: ResNet152_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> ResNet:
    """ResNet-152 (60.2 M parameters); arguments as :func:`resnet18`."""
    return _resnet(Bottleneck, [3, 8, 36, 3], ResNet152_Weights.verify(weights), progress,
                   **kwargs)


@register_model(weights=ResNeXt50_32X4D_Weights)
@handle_legacy_interface(weights=("pretrained", _v1(ResNeXt50_32X4D_Weights)))
def resnext50_32x4d(*, weights: ResNeXt50_32X4D_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> ResNet:
    """ResNeXt-50 32x4d; arguments as :func:`resnet18`."""
    _ovewrite_named_param(kwargs, "groups", 32)
    _ovewrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 6, 3], ResNeXt50_32X4D_Weights.verify(weights), progress,
                   **kwargs)


@register_model(weights=ResNeXt101_32X8D_Weights)
@handle_legacy_interface(weights=("pretrained", _v1(ResNeXt101_32X8D_Weights)))
def resnext101_32x8d(*, weights: ResNeXt101_32X8D_Weights | None = None, progress: bool = True,
                     **kwargs: Any) -> ResNet:
    """ResNeXt-101 32x8d; arguments as :func:`resnet18`."""
    _ovewrite_named_param(kwargs, "groups", 32)
    _ovewrite_named_param(kwargs, "width_per_group", 8)
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNeXt101_32X8D_Weights.verify(weights), progress,
                   **kwargs)


@register_model(weights=ResNeXt101_64X4D_Weights)
@handle_legacy_interface(weights=("pretrained", _v1(ResNeXt101_64X4D_Weights)))
def resnext101_64x4d(*, weights: ResNeXt101_64X4D_Weights | None = None, progress: bool = True,
                     **kwargs: Any) -> ResNet:
    """ResNeXt-101 64x4d; arguments as :func:`resnet18`."""
    _ovewrite_named_param(kwargs, "groups", 64)
    _ovewrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNeXt101_64X4D_Weights.verify(weights), progress,
                   **kwargs)


@register_model(weights=Wide_ResNet50_2_Weights)
@handle_legacy_interface(weights=("pretrained", _v1(Wide_ResNet50_2_Weights)))
def wide_resnet50_2(*, weights: Wide_ResNet50_2_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> ResNet:
    """Wide ResNet-50-2 (bottleneck twice as wide); arguments as :func:`resnet18`."""
    _ovewrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 6, 3], Wide_ResNet50_2_Weights.verify(weights), progress,
                   **kwargs)


@register_model(weights=Wide_ResNet101_2_Weights)
@handle_legacy_interface(weights=("pretrained", _v1(Wide_ResNet101_2_Weights)))
def wide_resnet101_2(*, weights: Wide_ResNet101_2_Weights | None = None, progress: bool = True,
                     **kwargs: Any) -> ResNet:
    """Wide ResNet-101-2 (bottleneck twice as wide); arguments as :func:`resnet18`."""
    _ovewrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 23, 3], Wide_ResNet101_2_Weights.verify(weights), progress,
                   **kwargs)
