"""Sigmoid focal loss (Lin et al. 2017, RetinaNet)."""

from __future__ import annotations

import ember
from ember import Tensor
from ember.nn import functional as F

__all__ = ["sigmoid_focal_loss"]


def sigmoid_focal_loss(inputs: Tensor, targets: Tensor, alpha: float = 0.25, gamma: float = 2,
                       reduction: str = "none") -> Tensor:
    """Binary cross-entropy down-weighted on easy examples.

    ``p = sigmoid(x)``, ``p_t = p y + (1 - p)(1 - y)``,
    ``loss = alpha_t * (1 - p_t)^gamma * BCE(x, y)`` with ``alpha_t = alpha y + (1 - alpha)(1 - y)``
    (no alpha weighting when ``alpha < 0``).

    Args:
        inputs (Tensor): logits, any shape.
        targets (Tensor): same shape, labels in [0, 1].
        alpha (float): positive-class weight; < 0 disables. Default: 0.25.
        gamma (float): focusing exponent. Default: 2.
        reduction (str): ``"none"``, ``"mean"`` or ``"sum"``. Default: ``"none"``.

    Raises:
        ValueError: for another reduction.

    Example:
        >>> round(sigmoid_focal_loss(ember.tensor([0.]), ember.tensor([1.])).item(), 6)
        0.043322
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction "
                         f"modes: 'none', 'mean', 'sum'")
    p = ember.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
