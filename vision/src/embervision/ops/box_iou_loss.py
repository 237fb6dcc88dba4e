"""IoU-based box regression losses for matched box pairs (GIoU, DIoU, CIoU).

Unlike the pairwise ``*_box_iou`` functions these compare ``boxes1[i]`` with ``boxes2[i]``.
"""

from __future__ import annotations

import math

import ember
from ember import Tensor

__all__ = ["complete_box_iou_loss", "distance_box_iou_loss", "generalized_box_iou_loss"]


def _upcast_non_float(t: Tensor) -> Tensor:
    # NOTE: the losses are computed in floating point; integer boxes become float32
    return t if t.dtype in (ember.float32, ember.float64) else t.float()


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction "
                     f"modes: 'none', 'mean', 'sum'")


def _inter_union(boxes1: Tensor, boxes2: Tensor):
    x1, y1, x2, y2 = boxes1.unbind(-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(-1)
    xi1, yi1 = ember.maximum(x1, x1g), ember.maximum(y1, y1g)
    xi2, yi2 = ember.minimum(x2, x2g), ember.minimum(y2, y2g)
    overlap = (yi2 > yi1) & (xi2 > xi1)
    inter = ember.where(overlap, (xi2 - xi1) * (yi2 - yi1), ember.zeros_like(x1))
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    return inter, union


def _enclosing(boxes1: Tensor, boxes2: Tensor):
    x1, y1, x2, y2 = boxes1.unbind(-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(-1)
    return (ember.minimum(x1, x1g), ember.minimum(y1, y1g), ember.maximum(x2, x2g),
            ember.maximum(y2, y2g))


def _check(op: str, boxes1, boxes2) -> None:
    for name, b in (("boxes1", boxes1), ("boxes2", boxes2)):
        if not isinstance(b, Tensor) or b.shape[-1:] != (4,):
            shape = tuple(b.shape) if isinstance(b, Tensor) else type(b).__name__
            raise ValueError(f"{op}(): {name} must be a Tensor of shape (..., 4), got {shape}")


def generalized_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none",
                             eps: float = 1e-7) -> Tensor:
    """``1 - GIoU`` of matched xyxy boxes: ``1 - IoU + (|C| - |A u B|) / |C|``.

    Args:
        boxes1, boxes2 (Tensor): (..., 4) matched boxes.
        reduction (str): ``"none"``, ``"mean"`` or ``"sum"``. Default: ``"none"``.
        eps (float): added to denominators. Default: 1e-7.

    Raises:
        ValueError: for an unknown reduction or boxes not of shape (..., 4).

    Example:
        >>> box = ember.tensor([[0., 0., 1., 1.]])
        >>> round(generalized_box_iou_loss(box, box).item(), 6)  # eps keeps it a hair above 0
        0.0
    """
    _check("generalized_box_iou_loss", boxes1, boxes2)
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / (union + eps)
    xc1, yc1, xc2, yc2 = _enclosing(boxes1, boxes2)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    return _reduce(1 - (iou - (area_c - union) / (area_c + eps)), reduction)


def _diou_iou_loss(boxes1: Tensor, boxes2: Tensor, eps: float):
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / (union + eps)
    xc1, yc1, xc2, yc2 = _enclosing(boxes1, boxes2)
    diag = (xc2 - xc1) ** 2 + (yc2 - yc1) ** 2 + eps
    x1, y1, x2, y2 = boxes1.unbind(-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(-1)
    centers = ((x1 + x2) / 2 - (x1g + x2g) / 2) ** 2 + ((y1 + y2) / 2 - (y1g + y2g) / 2) ** 2
    return 1 - iou + centers / diag, iou


def distance_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none",
                          eps: float = 1e-7) -> Tensor:
    """``1 - DIoU`` of matched boxes: ``1 - IoU + d^2 / c^2`` (centre distance over the
    enclosing box's squared diagonal).

    Arguments and errors as :func:`generalized_box_iou_loss`.

    Example:
        >>> box = ember.tensor([[0., 0., 1., 1.]])
        >>> round(distance_box_iou_loss(box, box).item(), 6)  # eps keeps it a hair above 0
        0.0
    """
    _check("distance_box_iou_loss", boxes1, boxes2)
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    return _reduce(_diou_iou_loss(boxes1, boxes2, eps)[0], reduction)


def complete_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none",
                          eps: float = 1e-7) -> Tensor:
    """``1 - CIoU`` of matched boxes: the DIoU loss plus ``alpha * v`` with
    ``v = 4 / pi^2 (atan(w_gt / h_gt) - atan(w / h))^2`` and ``alpha = v / (1 - IoU + v)``
    (alpha treated as a constant for gradients).

    Arguments and errors as :func:`generalized_box_iou_loss`.

    Example:
        >>> box = ember.tensor([[0., 0., 1., 1.]])
        >>> round(complete_box_iou_loss(box, box).item(), 6)  # eps keeps it a hair above 0
        0.0
    """
    _check("complete_box_iou_loss", boxes1, boxes2)
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    diou_loss, iou = _diou_iou_loss(boxes1, boxes2, eps)
    x1, y1, x2, y2 = boxes1.unbind(-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(-1)
    v = (4 / math.pi ** 2) * (ember.atan((x2g - x1g) / (y2g - y1g))
                              - ember.atan((x2 - x1) / (y2 - y1))) ** 2
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return _reduce(diou_loss + alpha * v, reduction)
