"""Bounding-box utilities: IoU variants, NMS, format conversion, clipping, masks to boxes.

Boxes are (N, 4) tensors; unless stated otherwise in ``(x1, y1, x2, y2)`` format with
``0 <= x1 < x2`` and ``0 <= y1 < y2``.
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor

__all__ = ["batched_nms", "box_area", "box_convert", "box_iou", "clip_boxes_to_image",
           "complete_box_iou", "distance_box_iou", "generalized_box_iou", "masks_to_boxes", "nms",
           "remove_small_boxes"]

_INT = (ember.int32, ember.int64)
_FLOAT = (ember.float32, ember.float64)


def _upcast(t: Tensor) -> Tensor:
    # NOTE: products of coordinates overflow float16 and small int types
    if t.is_floating_point():
        return t if t.dtype in _FLOAT else t.float()
    return t if t.dtype in _INT else t.int()


def _check_boxes(op: str, boxes, name: str = "boxes") -> None:
    if not isinstance(boxes, Tensor):
        raise TypeError(f"{op}(): {name} must be a Tensor, got {type(boxes).__name__}")
    if boxes.dim() < 1 or boxes.shape[-1] != 4:
        raise ValueError(f"{op}(): {name} must have shape (..., 4), got {tuple(boxes.shape)}")


def box_area(boxes: Tensor) -> Tensor:
    """Areas ``(x2 - x1) * (y2 - y1)`` of (N, 4) xyxy boxes.

    Raises:
        ValueError: when the last dimension is not 4.

    Example:
        >>> box_area(ember.tensor([[0., 0., 2., 3.]])).tolist()
        [6.0]
    """
    _check_boxes("box_area", boxes)
    boxes = _upcast(boxes)
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def _box_inter_union(boxes1: Tensor, boxes2: Tensor):
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = ember.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = ember.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[:, None] + area2[None, :] - inter


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise intersection over union: ``|A n B| / |A u B|``.

    Args:
        boxes1 (Tensor): (N, 4) xyxy. boxes2 (Tensor): (M, 4) xyxy.

    Shape:
        (N, M).

    Raises:
        ValueError: when either input is not (., 4).

    Example:
        >>> box_iou(ember.tensor([[0., 0., 2., 2.]]), ember.tensor([[1., 1., 3., 3.]])).tolist()
        [[0.1428571492433548]]
    """
    _check_boxes("box_iou", boxes1, "boxes1")
    _check_boxes("box_iou", boxes2, "boxes2")
    inter, union = _box_inter_union(boxes1, boxes2)
    return inter / union


def _enclosing(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    lti = ember.minimum(boxes1[:, None, :2], boxes2[None, :, :2])
    rbi = ember.maximum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    return _upcast(rbi - lti).clamp(min=0)


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise generalised IoU: ``IoU - (|C| - |A u B|) / |C|`` with C the enclosing box.

    Shape:
        (N, M), values in [-1, 1].

    Example:
        >>> generalized_box_iou(ember.tensor([[0., 0., 1., 1.]]),
        ...                     ember.tensor([[2., 0., 3., 1.]])).tolist()
        [[-0.3333333432674408]]
    """
    _check_boxes("generalized_box_iou", boxes1, "boxes1")
    _check_boxes("generalized_box_iou", boxes2, "boxes2")
    inter, union = _box_inter_union(boxes1, boxes2)
    iou = inter / union
    whi = _enclosing(boxes1, boxes2)
    areai = whi[..., 0] * whi[..., 1]
    return iou - (areai - union) / areai


def _box_diou_iou(boxes1: Tensor, boxes2: Tensor, eps: float):
    iou = box_iou(boxes1, boxes2)
    whi = _enclosing(boxes1, boxes2)
    diag = whi[..., 0] ** 2 + whi[..., 1] ** 2 + eps
    b1, b2 = _upcast(boxes1), _upcast(boxes2)
    xp, yp = (b1[:, 0] + b1[:, 2]) / 2, (b1[:, 1] + b1[:, 3]) / 2
    xg, yg = (b2[:, 0] + b2[:, 2]) / 2, (b2[:, 1] + b2[:, 3]) / 2
    centers = (xp[:, None] - xg[None, :]) ** 2 + (yp[:, None] - yg[None, :]) ** 2
    return iou - centers / diag, iou


def distance_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise distance IoU: ``IoU - d^2 / c^2`` (centre distance over enclosing diagonal).

    Args:
        boxes1 (Tensor): (N, 4). boxes2 (Tensor): (M, 4).
        eps (float): added to ``c^2``. Default: 1e-7.

    Example:
        >>> distance_box_iou(ember.tensor([[0., 0., 1., 1.]]),
        ...                  ember.tensor([[0., 0., 1., 1.]])).tolist()
        [[1.0]]
    """
    _check_boxes("distance_box_iou", boxes1, "boxes1")
    _check_boxes("distance_box_iou", boxes2, "boxes2")
    return _box_diou_iou(boxes1, boxes2, eps)[0]


def complete_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise complete IoU: ``DIoU - alpha * v`` with the aspect-ratio term
    ``v = 4 / pi^2 * (atan(w_gt / h_gt) - atan(w / h))^2`` and ``alpha = v / (1 - IoU + v)``
    (alpha is treated as a constant for gradients).

    Example:
        >>> complete_box_iou(ember.tensor([[0., 0., 1., 1.]]),
        ...                  ember.tensor([[0., 0., 1., 1.]])).tolist()
        [[1.0]]
    """
    _check_boxes("complete_box_iou", boxes1, "boxes1")
    _check_boxes("complete_box_iou", boxes2, "boxes2")
    b1, b2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _box_diou_iou(b1, b2, eps)
    w_pred = b1[:, None, 2] - b1[:, None, 0]
    h_pred = b1[:, None, 3] - b1[:, None, 1]
    w_gt = b2[:, 2] - b2[:, 0]
    h_gt = b2[:, 3] - b2[:, 1]
    v = (4 / math.pi ** 2) * (ember.atan(w_pred / h_pred) - ember.atan(w_gt / h_gt)) ** 2
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression: keep the best box, drop boxes overlapping it by more
    than ``iou_threshold`` IoU, repeat.

    Args:
        boxes (Tensor): (N, 4) xyxy.
        scores (Tensor): (N,).
        iou_threshold (float): boxes with IoU > threshold are suppressed.

    Returns:
        Tensor: int64 indices of the kept boxes, by decreasing score.

    Raises:
        ValueError: for mismatched shapes.

    Example:
        >>> b = ember.tensor([[0., 0., 2., 2.], [0.1, 0., 2., 2.], [3., 3., 4., 4.]])
        >>> nms(b, ember.tensor([0.9, 0.8, 0.7]), 0.5).tolist()
        [0, 2]
    """
    _check_boxes("nms", boxes)
    if boxes.dim() != 2:
        raise ValueError(f"nms(): boxes must be 2-d (N, 4), got {tuple(boxes.shape)}")
    if not isinstance(scores, Tensor) or scores.dim() != 1 or scores.shape[0] != boxes.shape[0]:
        shape = tuple(scores.shape) if isinstance(scores, Tensor) else type(scores).__name__
        raise ValueError(f"nms(): scores must be a 1-d Tensor of length {boxes.shape[0]}, got "
                         f"{shape}")
    b = boxes.detach().cpu().numpy().astype(np.float64)
    s = scores.detach().cpu().numpy()
    order = np.argsort(-s, kind="stable")
    x1, y1, x2, y2 = (np.ascontiguousarray(b[order, k]) for k in range(4))
    area = (x2 - x1) * (y2 - y1)
    alive = np.arange(len(order))
    keep = []
    # NOTE: greedy suppression is sequential by definition. Each step compares the best
    # remaining box with the boxes still alive only (O(N) memory, and the alive set shrinks as
    # boxes are suppressed) instead of building the N x N IoU matrix.
    with np.errstate(divide="ignore", invalid="ignore"):
        while alive.size:
            i, rest = alive[0], alive[1:]
            keep.append(i)
            w = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
            h = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
            inter = w * h
            alive = rest[~(inter / (area[i] + area[rest] - inter) > iou_threshold)]
    return ember.as_tensor(order[np.asarray(keep, dtype=np.int64)].astype(np.int64),
                           device=boxes.device)


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """NMS within each category ``idxs`` (boxes of different categories never suppress
    each other), by offsetting each category's boxes beyond all others.

    Returns:
        Tensor: int64 indices of the kept boxes, by decreasing score.

    Example:
        >>> b = ember.tensor([[0., 0., 2., 2.], [0.1, 0., 2., 2.]])
        >>> batched_nms(b, ember.tensor([0.9, 0.8]), ember.tensor([0, 1]), 0.5).tolist()
        [0, 1]
    """
    if boxes.numel() == 0:
        return ember.empty((0,), dtype=ember.int64, device=boxes.device)
    max_coordinate = boxes.max()
    offsets = idxs.to(boxes.dtype) * (max_coordinate + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """Indices of the boxes whose width and height are both at least ``min_size``.

    Example:
        >>> remove_small_boxes(ember.tensor([[0., 0., 1., 5.], [0., 0., 3., 3.]]), 2).tolist()
        [1]
    """
    _check_boxes("remove_small_boxes", boxes)
    ws, hs = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    keep = (ws >= min_size) & (hs >= min_size)
    return ember.where(keep)[0]


def clip_boxes_to_image(boxes: Tensor, size) -> Tensor:
    """Clamp xyxy boxes to an image of ``size = (height, width)``.

    Example:
        >>> clip_boxes_to_image(ember.tensor([[-1., 2., 9., 12.]]), (10, 8)).tolist()
        [[0.0, 2.0, 8.0, 10.0]]
    """
    _check_boxes("clip_boxes_to_image", boxes)
    height, width = size
    bx = boxes[..., 0::2].clamp(min=0, max=width)
    by = boxes[..., 1::2].clamp(min=0, max=height)
    return ember.stack((bx, by), dim=boxes.dim()).reshape(boxes.shape)


_FORMATS = ("xyxy", "xywh", "cxcywh")


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert boxes between ``"xyxy"`` (corners), ``"xywh"`` (corner + size) and ``"cxcywh"``
    (centre + size).

    Raises:
        ValueError: for an unknown format.

    Example:
        >>> box_convert(ember.tensor([[1., 2., 4., 6.]]), "xyxy", "cxcywh").tolist()
        [[2.5, 4.0, 3.0, 4.0]]
    """
    if in_fmt not in _FORMATS or out_fmt not in _FORMATS:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt!r} and "
                         f"out_fmt {out_fmt!r}; choose from {_FORMATS}")
    _check_boxes("box_convert", boxes)
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return ember.stack((a, b, c, d), dim=-1)


def masks_to_boxes(masks: Tensor) -> Tensor:
    """The tight xyxy box (inclusive pixel coordinates) around each non-zero mask.

    Args:
        masks (Tensor): (N, H, W).

    Returns:
        Tensor: (N, 4) float boxes.

    Raises:
        ValueError: for a mask with no non-zero pixel.

    Example:
        >>> m = ember.zeros(1, 4, 5)
        >>> m[0, 1:3, 2:5] = 1
        >>> masks_to_boxes(m).tolist()
        [[2.0, 1.0, 4.0, 2.0]]
    """
    if masks.numel() == 0:
        return ember.zeros((0, 4), device=masks.device)
    m = masks.detach().cpu().numpy() != 0
    cols, rows = m.any(axis=1), m.any(axis=2)
    empty = ~rows.any(axis=1)
    if empty.any():
        raise ValueError(f"masks_to_boxes(): mask {int(np.argmax(empty))} has no non-zero pixel")
    h, w = m.shape[1:]
    x1 = cols.argmax(1)
    x2 = w - 1 - cols[:, ::-1].argmax(1)
    y1 = rows.argmax(1)
    y2 = h - 1 - rows[:, ::-1].argmax(1)
    out = np.stack([x1, y1, x2, y2], axis=1).astype(np.float32)
    return ember.as_tensor(out, device=masks.device)
