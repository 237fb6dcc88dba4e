"""Anchor generation for region proposal networks."""

from __future__ import annotations

import ember
from ember import Tensor, nn

from .image_list import ImageList

__all__ = ["AnchorGenerator"]


class AnchorGenerator(nn.Module):
    """Anchors of several sizes and aspect ratios at every location of every feature map.

    For size ``s`` and aspect ratio ``a = h / w`` the cell anchor is
    ``round([-w, -h, w, h] / 2)`` with ``h = s * sqrt(a)``, ``w = s / sqrt(a)``; it is shifted
    by ``(j * stride_w, i * stride_h)`` for each grid cell ``(i, j)`` where
    ``stride = image_size // feature_size``. Anchors are ordered by location (row-major), then
    by aspect ratio, then by size.

    Args:
        sizes (tuple[tuple[int]]): sizes per feature map. Default: ((128, 256, 512),).
        aspect_ratios (tuple[tuple[float]]): ratios per feature map. Default: ((0.5, 1.0, 2.0),).

    Shape:
        forward(image_list, feature_maps) -> list over images of (sum_l H_l W_l A_l, 4).

    Raises:
        ValueError: when the number of feature maps differs from the number of size groups.

    Example:
        >>> g = AnchorGenerator(((16,),), ((1.0,),))
        >>> g.cell_anchors[0].tolist()
        [[-8.0, -8.0, 8.0, 8.0]]
    """

    def __init__(self, sizes=((128, 256, 512),), aspect_ratios=((0.5, 1.0, 2.0),)) -> None:
        super().__init__()
        if not isinstance(sizes[0], (list, tuple)):
            sizes = tuple((s,) for s in sizes)
        if not isinstance(aspect_ratios[0], (list, tuple)):
            aspect_ratios = (aspect_ratios,) * len(sizes)
        self.sizes = sizes
        self.aspect_ratios = aspect_ratios
        self.cell_anchors = [self.generate_anchors(size, ratio)
                             for size, ratio in zip(sizes, aspect_ratios, strict=False)]

    def generate_anchors(self, scales, aspect_ratios, dtype=ember.float32,
                         device="cpu") -> Tensor:
        """Zero-centred (len(ratios) * len(scales), 4) anchors, rounded to integers."""
        scales = ember.as_tensor(scales, dtype=dtype, device=device)
        aspect_ratios = ember.as_tensor(aspect_ratios, dtype=dtype, device=device)
        h_ratios = ember.sqrt(aspect_ratios)
        w_ratios = 1 / h_ratios
        ws = (w_ratios[:, None] * scales[None, :]).reshape(-1)
        hs = (h_ratios[:, None] * scales[None, :]).reshape(-1)
        return (ember.stack([-ws, -hs, ws, hs], dim=1) / 2).round()

    def set_cell_anchors(self, dtype, device) -> None:
        """Cast the cell anchors to ``dtype`` on ``device``."""
        self.cell_anchors = [a.to(dtype=dtype, device=device) for a in self.cell_anchors]

    def num_anchors_per_location(self) -> list[int]:
        """Anchors per spatial location of each feature map."""
        return [len(s) * len(a) for s, a in zip(self.sizes, self.aspect_ratios, strict=False)]

    def grid_anchors(self, grid_sizes, strides) -> list[Tensor]:
        """Shift the cell anchors over each (height, width) grid with its (sy, sx) strides."""
        if not len(grid_sizes) == len(strides) == len(self.cell_anchors):
            raise ValueError(
                "Anchors should be Tuple[Tuple[int]] because each feature map could potentially "
                "have different sizes and aspect ratios. There needs to be a match between the "
                f"number of feature maps passed ({len(grid_sizes)}) and the number of sizes / "
                f"aspect ratios specified ({len(self.cell_anchors)}).")
        anchors = []
        for (grid_h, grid_w), (stride_h, stride_w), base in zip(grid_sizes, strides,
                                                                self.cell_anchors, strict=False):
            shifts_x = ember.arange(0, int(grid_w), dtype=ember.int64, device=base.device) \
                * int(stride_w)
            shifts_y = ember.arange(0, int(grid_h), dtype=ember.int64, device=base.device) \
                * int(stride_h)
            shift_y, shift_x = ember.meshgrid(shifts_y, shifts_x, indexing="ij")
            shift_x, shift_y = shift_x.reshape(-1), shift_y.reshape(-1)
            shifts = ember.stack((shift_x, shift_y, shift_x, shift_y), dim=1)
            anchors.append((shifts.reshape(-1, 1, 4) + base.reshape(1, -1, 4)).reshape(-1, 4))
        return anchors

    def forward(self, image_list: ImageList, feature_maps: list[Tensor]) -> list[Tensor]:
        grid_sizes = [tuple(f.shape[-2:]) for f in feature_maps]
        image_size = tuple(image_list.tensors.shape[-2:])
        dtype, device = feature_maps[0].dtype, feature_maps[0].device
        strides = [(image_size[0] // g[0], image_size[1] // g[1]) for g in grid_sizes]
        self.set_cell_anchors(dtype, device)
        per_level = self.grid_anchors(grid_sizes, strides)
        return [ember.cat(per_level) for _ in range(len(image_list.image_sizes))]
