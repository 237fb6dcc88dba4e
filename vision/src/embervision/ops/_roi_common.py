"""Shared pieces of the RoI operators: box-format checks and a differentiable sparse gather.

Both ``roi_align`` and ``roi_pool`` are linear in their input once the sampling plan (which
input rows feed which output, with what weight) is fixed. ``_gather_rows`` applies such a plan
to a (R, C) table and ``_scatter_rows`` its transpose; each is the other's backward, so first
and second derivatives come for free.
"""

from __future__ import annotations

import numpy as np

import ember
from ember import Tensor
from ember.autograd.node import Node
from ember.ops._dispatch import apply

_np_ndarray = np.ndarray


def _add_at(xp, a, key, v) -> None:
    if xp is np:
        np.add.at(a, key, v)
    else:
        xp.add.at(a, key, v)


class _GatherRows(Node):
    """out[m] = sum_j w[j, m] * table[idx[j, m]]   (table (R, C) -> out (M, C))."""

    def forward(self, xp, table, idx, w, rows):
        self.idx, self.w, self.rows = idx, w, rows
        out = xp.zeros((idx.shape[1], table.shape[1]), dtype=table.dtype)
        for j in range(idx.shape[0]):  # NOTE: J is small (4 corners x samples per bin)
            out += w[j][:, None] * table[idx[j]]
        return out

    def backward(self, gy):
        return (_scatter_rows(gy, self.idx, self.w, self.rows),)


class _ScatterRows(Node):
    """The transpose of :class:`_GatherRows`: table[idx[j, m]] += w[j, m] * g[m]."""

    def forward(self, xp, g, idx, w, rows):
        self.idx, self.w, self.rows = idx, w, rows
        out = xp.zeros((rows, g.shape[1]), dtype=g.dtype)
        for j in range(idx.shape[0]):
            _add_at(xp, out, idx[j], w[j][:, None] * g)
        return out

    def backward(self, gy):
        return (_gather_rows(gy, self.idx, self.w, self.rows),)


def _gather_rows(table: Tensor, idx, w, rows: int) -> Tensor:
    w = w.astype(table._data.dtype, copy=False)
    return apply(_GatherRows(), (table,), table._data, idx, w, rows)


def _scatter_rows(g: Tensor, idx, w, rows: int) -> Tensor:
    w = w.astype(g._data.dtype, copy=False)
    return apply(_ScatterRows(), (g,), g._data, idx, w, rows)




def convert_boxes_to_roi_format(boxes) -> Tensor:
    """A list of per-image (L_i, 4) boxes -> one (K, 5) tensor with the image index first."""
    rois = []
    for i, b in enumerate(boxes):
        idx = ember.full((b.shape[0], 1), float(i), dtype=b.dtype, device=b.device)
        rois.append(ember.cat([idx, b], dim=1))
    return ember.cat(rois, dim=0)


def check_roi_boxes_shape(op: str, boxes) -> None:
    """Raise ValueError unless ``boxes`` is a (K, 5) tensor or a list of (L, 4) tensors."""
    if isinstance(boxes, (list, tuple)):
        for b in boxes:
            if not isinstance(b, Tensor) or b.dim() != 2 or b.shape[1] != 4:
                shape = tuple(b.shape) if isinstance(b, Tensor) else type(b).__name__
                raise ValueError(f"{op}(): the boxes in the list must be Tensor[L, 4], got "
                                 f"{shape}")
    elif isinstance(boxes, Tensor):
        if boxes.dim() != 2 or boxes.shape[1] != 5:
            raise ValueError(f"{op}(): boxes must be a Tensor[K, 5] (batch index, x1, y1, x2, "
                             f"y2), got shape {tuple(boxes.shape)}")
    else:
        raise ValueError(f"{op}(): boxes must be a Tensor[K, 5] or a list of Tensor[L, 4], got "
                         f"{type(boxes).__name__}")


def rois_array(op: str, input: Tensor, boxes):
    """Checked boxes as a float64 host array (K, 5) (the sampling plan is built on the host)."""
    check_roi_boxes_shape(op, boxes)
    if not isinstance(input, Tensor) or input.dim() != 4:
        raise ValueError(f"{op}(): input must be a 4-d Tensor (N, C, H, W), got "
                         f"{tuple(input.shape) if isinstance(input, Tensor) else input!r}")
    rois = boxes if isinstance(boxes, Tensor) else convert_boxes_to_roi_format(boxes)
    arr = rois.detach().cpu().numpy().astype(np.float64)
    if arr.shape[0] and (arr[:, 0].min() < 0 or arr[:, 0].max() >= input.shape[0]):
        raise ValueError(f"{op}(): box batch indices must lie in [0, {input.shape[0] - 1}], "
                         f"got {arr[:, 0].min():g}..{arr[:, 0].max():g}")
    return arr


def pair(v, op: str, name: str) -> tuple[int, int]:
    """``v`` or ``(v, v)`` as a pair of ints."""
    if isinstance(v, int):
        return v, v
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return int(v[0]), int(v[1])
    raise ValueError(f"{op}(): {name} must be an int or a pair of ints, got {v!r}")


def to_device(arr, like: Tensor):
    """Move a host index/weight array to the device of ``like``."""
    if type(like._data) is _np_ndarray:
        return arr
    import cupy  # NOTE: only reached for cupy tensors
    return cupy.asarray(arr)
