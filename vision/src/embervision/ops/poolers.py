"""Multi-scale RoI Align: pool each box from the pyramid level that matches its size."""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor, nn

from ._roi_common import convert_boxes_to_roi_format
from .boxes import box_area
from .roi_align import roi_align

__all__ = ["LevelMapper", "MultiScaleRoIAlign"]


class LevelMapper:
    """Map boxes to pyramid levels (FPN paper eq. 1):
    ``k = floor(k0 + log2(sqrt(area) / canonical_scale) + eps)`` clamped to [k_min, k_max],
    returned as ``k - k_min``.

    Example:
        >>> LevelMapper(2, 5)([ember.tensor([[0., 0., 224., 224.], [0., 0., 10., 10.]])]).tolist()
        [2, 0]
    """

    def __init__(self, k_min: int, k_max: int, canonical_scale: int = 224,
                 canonical_level: int = 4, eps: float = 1e-6) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists: list[Tensor]) -> Tensor:
        s = ember.sqrt(ember.cat([box_area(b) for b in boxlists]))
        lvl = ember.floor(self.lvl0 + ember.log2(s / self.s0) + self.eps)
        return (ember.clamp(lvl, min=self.k_min, max=self.k_max) - self.k_min).to(ember.int64)


def _infer_scale(feature: Tensor, original_size: tuple[int, int]) -> float:
    # NOTE: log2 rounded in float32 (round half to even), as the reference computes it
    approx = np.float32(feature.shape[-2]) / np.float32(original_size[0])
    return float(2 ** float(np.round(np.log2(np.float32(approx)))))


class MultiScaleRoIAlign(nn.Module):
    """RoI Align over several feature maps (an FPN), each box from the level its size selects.

    Args:
        featmap_names (list[str]): keys of the feature dict to use, finest first.
        output_size (int | tuple[int, int]): pooled size.
        sampling_ratio (int): as in :func:`roi_align`.
        canonical_scale (int): Default: 224. canonical_level (int): Default: 4.

    Shape:
        forward(x: dict[str, (N, C, H_l, W_l)], boxes: list[(L_i, 4)], image_shapes:
        list[(h, w)]) -> (sum L_i, C, PH, PW).

    Raises:
        ValueError: when a feature name is missing from ``x``.

    Example:
        >>> m = MultiScaleRoIAlign(["a"], 2, 2)
        >>> feats = {"a": ember.zeros(1, 4, 8, 8)}
        >>> out = m(feats, [ember.tensor([[0., 0., 16., 16.]])], [(32, 32)])
        >>> out.shape
        ember.Size([1, 4, 2, 2])
    """

    def __init__(self, featmap_names: list[str], output_size, sampling_ratio: int, *,
                 canonical_scale: int = 224, canonical_level: int = 4) -> None:
        super().__init__()
        self.featmap_names = list(featmap_names)
        self.sampling_ratio = sampling_ratio
        self.output_size = (output_size, output_size) if isinstance(output_size, int) \
            else tuple(output_size)
        self.scales = None
        self.map_levels = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def forward(self, x: dict, boxes: list[Tensor], image_shapes: list[tuple[int, int]]) -> Tensor:
        missing = [k for k in self.featmap_names if k not in x]
        if missing:
            raise ValueError(f"MultiScaleRoIAlign: feature maps {missing} not in the input "
                             f"(has {list(x)})")
        feats = [x[k] for k in self.featmap_names]
        original = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
        scales = [_infer_scale(f, original) for f in feats]
        self.scales = scales
        lvl_min, lvl_max = -math.log2(scales[0]), -math.log2(scales[-1])
        self.map_levels = LevelMapper(int(lvl_min), int(lvl_max), self.canonical_scale,
                                      self.canonical_level)
        rois = convert_boxes_to_roi_format(boxes)
        if len(feats) == 1:
            return roi_align(feats[0], rois, self.output_size, spatial_scale=scales[0],
                             sampling_ratio=self.sampling_ratio)
        levels = self.map_levels(boxes).cpu().numpy()
        order, outs = [], []
        for level, (feature, scale) in enumerate(zip(feats, scales, strict=True)):
            idx = np.nonzero(levels == level)[0]
            if idx.size == 0:
                continue
            order.append(idx)
            outs.append(roi_align(feature, rois[ember.as_tensor(idx)], self.output_size,
                                  spatial_scale=scale, sampling_ratio=self.sampling_ratio))
        inverse = np.argsort(np.concatenate(order), kind="stable")
        return ember.cat(outs, 0)[ember.as_tensor(inverse)]

    def extra_repr(self) -> str:
        return (f"featmap_names={self.featmap_names}, output_size={self.output_size}, "
                f"sampling_ratio={self.sampling_ratio}")
