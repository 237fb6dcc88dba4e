"""MNASNet 0.5/0.75/1.0/1.3 (Tan et al. 2018), the "B1" variant without squeeze-excitation."""

from __future__ import annotations

from typing import Any

from ember import nn

from ._api import WeightsEnum, handle_legacy_interface, register_model, weights_from_meta
from ._utils import _load_weights, _ovewrite_named_param

__all__ = ["MNASNet", "MNASNet0_5_Weights", "MNASNet0_75_Weights", "MNASNet1_0_Weights",
           "MNASNet1_3_Weights", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]

# NOTE: the reference TensorFlow implementation's BN decay is 0.9997; PyTorch's momentum is 1-decay.
_BN_MOMENTUM = 1 - 0.9997


class _InvertedResidual(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, stride: int,
                 expansion_factor: int, bn_momentum: float = 0.1) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in (3, 5):
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False), nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, mid_ch, kernel_size, padding=kernel_size // 2, stride=stride,
                      groups=mid_ch, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum), nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch, momentum=bn_momentum))

    def forward(self, x):
        return self.layers(x) + x if self.apply_residual else self.layers(x)


def _stack(in_ch: int, out_ch: int, kernel_size: int, stride: int, exp_factor: int, repeats: int,
           bn_momentum: float) -> nn.Sequential:
    first = _InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor, bn_momentum)
    rest = [_InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor, bn_momentum)
            for _ in range(1, repeats)]
    return nn.Sequential(first, *rest)


def _round_to_multiple_of(val: float, divisor: int, round_up_bias: float = 0.9) -> int:
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError(f"round_up_bias should be greater than 0.0 and smaller than 1.0 "
                         f"instead of {round_up_bias}")
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def _get_depths(alpha: float) -> list[int]:
    return [_round_to_multiple_of(d * alpha, 8) for d in [32, 16, 24, 40, 80, 96, 192, 320]]


class MNASNet(nn.Module):
    """MNASNet: stem, six inverted-residual stacks, 1x1 conv to 1280, mean pool, classifier.

    Args:
        alpha (float): depth multiplier (> 0).
        num_classes (int): Default: 1000.
        dropout (float): Default: 0.2.

    Raises:
        ValueError: when ``alpha <= 0``.
    """

    _version = 2

    def __init__(self, alpha: float, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        d = _get_depths(alpha)
        m = _BN_MOMENTUM
        self.layers = nn.Sequential(
            nn.Conv2d(3, d[0], 3, padding=1, stride=2, bias=False),
            nn.BatchNorm2d(d[0], momentum=m), nn.ReLU(inplace=True),
            nn.Conv2d(d[0], d[0], 3, padding=1, stride=1, groups=d[0], bias=False),
            nn.BatchNorm2d(d[0], momentum=m), nn.ReLU(inplace=True),
            nn.Conv2d(d[0], d[1], 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(d[1], momentum=m),
            _stack(d[1], d[2], 3, 2, 3, 3, m), _stack(d[2], d[3], 5, 2, 3, 3, m),
            _stack(d[3], d[4], 5, 2, 6, 3, m), _stack(d[4], d[5], 3, 1, 6, 2, m),
            _stack(d[5], d[6], 5, 2, 6, 4, m), _stack(d[6], d[7], 3, 1, 6, 1, m),
            nn.Conv2d(d[7], 1280, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(1280, momentum=m), nn.ReLU(inplace=True))
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(1280, num_classes))
        for mod in self.modules():
            if isinstance(mod, nn.Conv2d):
                nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
                if mod.bias is not None:
                    nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.BatchNorm2d):
                nn.init.ones_(mod.weight)
                nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.Linear):
                nn.init.kaiming_uniform_(mod.weight, mode="fan_out", nonlinearity="sigmoid")
                nn.init.zeros_(mod.bias)

    def forward(self, x):
        return self.classifier(self.layers(x).mean([2, 3]))


def _mnasnet(alpha: float, weights, progress: bool, **kwargs: Any) -> MNASNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = MNASNet(alpha, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


class MNASNet0_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("MNASNet0_5_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class MNASNet0_75_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("MNASNet0_75_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class MNASNet1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("MNASNet1_0_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


class MNASNet1_3_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights_from_meta("MNASNet1_3_Weights", "IMAGENET1K_V1")
    DEFAULT = IMAGENET1K_V1


@register_model(weights=MNASNet0_5_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: MNASNet0_5_Weights.IMAGENET1K_V1))
def mnasnet0_5(*, weights: MNASNet0_5_Weights | None = None, progress: bool = True,
               **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 0.5.

    Args:
        weights (MNASNet0_5_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`MNASNet`.
    """
    return _mnasnet(0.5, MNASNet0_5_Weights.verify(weights), progress, **kwargs)


@register_model(weights=MNASNet0_75_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: MNASNet0_75_Weights.IMAGENET1K_V1))
def mnasnet0_75(*, weights: MNASNet0_75_Weights | None = None, progress: bool = True,
               **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 0.75.

    Args:
        weights (MNASNet0_75_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`MNASNet`.
    """
    return _mnasnet(0.75, MNASNet0_75_Weights.verify(weights), progress, **kwargs)


@register_model(weights=MNASNet1_0_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: MNASNet1_0_Weights.IMAGENET1K_V1))
def mnasnet1_0(*, weights: MNASNet1_0_Weights | None = None, progress: bool = True,
               **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 1.0.

    Args:
        weights (MNASNet1_0_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`MNASNet`.
    """
    return _mnasnet(1.0, MNASNet1_0_Weights.verify(weights), progress, **kwargs)


@register_model(weights=MNASNet1_3_Weights)
@handle_legacy_interface(weights=("pretrained", lambda kwargs: MNASNet1_3_Weights.IMAGENET1K_V1))
def mnasnet1_3(*, weights: MNASNet1_3_Weights | None = None, progress: bool = True,
               **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 1.3.

    Args:
        weights (MNASNet1_3_Weights | str | None): pretrained weights. Default: None.
        progress (bool): show a download progress bar. Default: True.
        **kwargs: passed to :class:`MNASNet`.
    """
    return _mnasnet(1.3, MNASNet1_3_Weights.verify(weights), progress, **kwargs)
