"""Feature Pyramid Network (Lin et al. 2017) and its extra top levels."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from ember import Tensor, nn
from ember.nn import functional as F

from .misc import Conv2dNormActivation

__all__ = ["ExtraFPNBlock", "FeaturePyramidNetwork", "LastLevelMaxPool", "LastLevelP6P7"]


class ExtraFPNBlock(nn.Module):
    """Base of blocks that add levels on top of the FPN: ``forward(results, x, names)``
    returns the extended (results, names)."""

    def forward(self, results: list[Tensor], x: list[Tensor], names: list[str]):
        raise NotImplementedError


class LastLevelMaxPool(ExtraFPNBlock):
    """Adds a ``"pool"`` level: 1x1 max pool with stride 2 of the top level."""

    def forward(self, x: list[Tensor], y: list[Tensor], names: list[str]):
        names.append("pool")
        x.append(F.max_pool2d(x[-1], kernel_size=1, stride=2, padding=0))
        return x, names


class LastLevelP6P7(ExtraFPNBlock):
    """Adds ``"p6"`` (3x3 stride-2 conv of P5, or of C5 when channels differ) and ``"p7"``."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        for m in (self.p6, self.p7):
            nn.init.kaiming_uniform_(m.weight, a=1)
            nn.init.constant_(m.bias, 0)
        self.use_P5 = in_channels == out_channels

    def forward(self, p: list[Tensor], c: list[Tensor], names: list[str]):
        x = p[-1] if self.use_P5 else c[-1]
        p6 = self.p6(x)
        p7 = self.p7(F.relu(p6))
        p.extend([p6, p7])
        names.extend(["p6", "p7"])
        return p, names


class FeaturePyramidNetwork(nn.Module):
    """Top-down pathway with lateral 1x1 connections and 3x3 output convolutions.

    Args:
        in_channels_list (list[int]): channels of each input level (finest first).
        out_channels (int): channels of every output level.
        extra_blocks (ExtraFPNBlock | None): Default: None.
        norm_layer (callable | None): Default: None.

    Raises:
        ValueError: for a zero in ``in_channels_list``.
        TypeError: when ``extra_blocks`` is not an ExtraFPNBlock.

    Shape:
        forward(OrderedDict name -> (N, C_i, H_i, W_i)) -> OrderedDict name -> (N, out, H_i, W_i).

    Example:
        >>> import ember
        >>> fpn = FeaturePyramidNetwork([4, 8], 6)
        >>> out = fpn(OrderedDict(a=ember.zeros(1, 4, 8, 8), b=ember.zeros(1, 8, 4, 4)))
        >>> [tuple(v.shape) for v in out.values()]
        [(1, 6, 8, 8), (1, 6, 4, 4)]
    """

    _version = 2

    def __init__(self, in_channels_list: list[int], out_channels: int,
                 extra_blocks: ExtraFPNBlock | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self.inner_blocks = nn.ModuleList()
        self.layer_blocks = nn.ModuleList()
        for in_channels in in_channels_list:
            if in_channels == 0:
                raise ValueError("in_channels=0 is currently not supported")
            self.inner_blocks.append(Conv2dNormActivation(
                in_channels, out_channels, kernel_size=1, padding=0, norm_layer=norm_layer,
                activation_layer=None))
            self.layer_blocks.append(Conv2dNormActivation(
                out_channels, out_channels, kernel_size=3, norm_layer=norm_layer,
                activation_layer=None))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
        if extra_blocks is not None and not isinstance(extra_blocks, ExtraFPNBlock):
            raise TypeError(f"extra_blocks should be of type ExtraFPNBlock not "
                            f"{type(extra_blocks).__name__}")
        self.extra_blocks = extra_blocks

    def forward(self, x: dict) -> OrderedDict:
        names = list(x.keys())
        feats = list(x.values())
        last_inner = self.inner_blocks[-1](feats[-1])
        results = [self.layer_blocks[-1](last_inner)]
        for idx in range(len(feats) - 2, -1, -1):
            lateral = self.inner_blocks[idx](feats[idx])
            top_down = F.interpolate(last_inner, size=tuple(lateral.shape[-2:]), mode="nearest")
            last_inner = lateral + top_down
            results.insert(0, self.layer_blocks[idx](last_inner))
        if self.extra_blocks is not None:
            results, names = self.extra_blocks(results, feats, names)
        return OrderedDict(zip(names, results, strict=True))
