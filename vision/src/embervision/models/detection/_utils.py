"""Detection building blocks: box coding, IoU matching, balanced sampling.

Same names and behaviour as ``torchvision.models.detection._utils`` (imported as ``det_utils``).
"""

from __future__ import annotations

import math

import ember
from ember import Tensor, nn

from ...ops.misc import FrozenBatchNorm2d

__all__ = ["BalancedPositiveNegativeSampler", "BoxCoder", "Matcher", "encode_boxes",
           "overwrite_eps"]


class BalancedPositiveNegativeSampler:
    """Sample a fixed fraction of positives (and negatives for the rest) per image.

    Per image, ``min(#pos, int(batch_size_per_image * positive_fraction))`` positives
    (``matched >= 1``) and ``min(#neg, batch_size_per_image - num_pos)`` negatives
    (``matched == 0``) are drawn uniformly without replacement (``ember.randperm``); ``-1``
    entries are ignored.

    Args:
        batch_size_per_image (int): elements selected per image.
        positive_fraction (float): fraction of positives in the selection.

    Example:
        >>> s = BalancedPositiveNegativeSampler(2, 0.5)
        >>> pos, neg = s([ember.tensor([1, 0, -1])])
        >>> pos[0].tolist(), neg[0].tolist()
        ([1, 0, 0], [0, 1, 0])
    """

    def __init__(self, batch_size_per_image: int, positive_fraction: float) -> None:
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction

    def __call__(self, matched_idxs: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Return (positive masks, negative masks), one uint8 mask per image."""
        pos_idx, neg_idx = [], []
        for matched in matched_idxs:
            positive = ember.where(matched >= 1)[0]
            negative = ember.where(matched == 0)[0]
            num_pos = min(positive.numel(), int(self.batch_size_per_image * self.positive_fraction))
            num_neg = min(negative.numel(), self.batch_size_per_image - num_pos)
            perm1 = ember.randperm(positive.numel(), device=positive.device)[:num_pos]
            perm2 = ember.randperm(negative.numel(), device=negative.device)[:num_neg]
            pos_mask = ember.zeros_like(matched, dtype=ember.uint8)
            neg_mask = ember.zeros_like(matched, dtype=ember.uint8)
            pos_mask[positive[perm1]] = 1
            neg_mask[negative[perm2]] = 1
            pos_idx.append(pos_mask)
            neg_idx.append(neg_mask)
        return pos_idx, neg_idx


def encode_boxes(reference_boxes: Tensor, proposals: Tensor, weights: Tensor) -> Tensor:
    """Regression targets of ``reference_boxes`` relative to ``proposals`` (both (N, 4) xyxy).

    With widths/heights ``w, h`` and centres ``x, y`` (proposal ``p``, reference ``g``)::

        dx = wx * (x_g - x_p) / w_p     dy = wy * (y_g - y_p) / h_p
        dw = ww * log(w_g / w_p)        dh = wh * log(h_g / h_p)

    Args:
        reference_boxes (Tensor): (N, 4) targets. proposals (Tensor): (N, 4).
        weights (Tensor): (4,) ``(wx, wy, ww, wh)``.

    Shape:
        (N, 4).

    Example:
        >>> encode_boxes(ember.tensor([[0., 0., 4., 4.]]), ember.tensor([[0., 0., 2., 2.]]),
        ...              ember.tensor([1., 1., 1., 1.])).tolist()[0][:2]
        [0.5, 0.5]
    """
    wx, wy, ww, wh = weights[0], weights[1], weights[2], weights[3]
    ex_w = proposals[:, 2:3] - proposals[:, 0:1]
    ex_h = proposals[:, 3:4] - proposals[:, 1:2]
    ex_x = proposals[:, 0:1] + 0.5 * ex_w
    ex_y = proposals[:, 1:2] + 0.5 * ex_h
    gt_w = reference_boxes[:, 2:3] - reference_boxes[:, 0:1]
    gt_h = reference_boxes[:, 3:4] - reference_boxes[:, 1:2]
    gt_x = reference_boxes[:, 0:1] + 0.5 * gt_w
    gt_y = reference_boxes[:, 1:2] + 0.5 * gt_h
    dx = wx * (gt_x - ex_x) / ex_w
    dy = wy * (gt_y - ex_y) / ex_h
    dw = ww * ember.log(gt_w / ex_w)
    dh = wh * ember.log(gt_h / ex_h)
    return ember.cat((dx, dy, dw, dh), dim=1)


class BoxCoder:
    """Encode boxes as (dx, dy, dw, dh) offsets from reference boxes and decode them back.

    Decoding inverts :func:`encode_boxes`, clamping ``dw, dh`` at ``bbox_xform_clip``::

        x = dx / wx * w_p + x_p     w = exp(min(dw / ww, clip)) * w_p   (same for y, h)

    Args:
        weights (tuple[float, float, float, float]): ``(wx, wy, ww, wh)``.
        bbox_xform_clip (float): Default: ``log(1000 / 16)``.

    Example:
        >>> c = BoxCoder((1., 1., 1., 1.))
        >>> c.decode_single(ember.zeros(1, 4), ember.tensor([[0., 0., 2., 4.]])).tolist()
        [[0.0, 0.0, 2.0, 4.0]]
    """

    def __init__(self, weights: tuple[float, float, float, float],
                 bbox_xform_clip: float = math.log(1000.0 / 16)) -> None:
        self.weights = weights
        self.bbox_xform_clip = bbox_xform_clip

    def encode(self, reference_boxes: list[Tensor], proposals: list[Tensor]) -> tuple[Tensor, ...]:
        """Encode per-image lists; returns one (N_i, 4) target tensor per image."""
        boxes_per_image = [len(b) for b in reference_boxes]
        targets = self.encode_single(ember.cat(reference_boxes, dim=0), ember.cat(proposals, dim=0))
        return targets.split(boxes_per_image, 0)

    def encode_single(self, reference_boxes: Tensor, proposals: Tensor) -> Tensor:
        """Encode (N, 4) ``reference_boxes`` against (N, 4) ``proposals``."""
        weights = ember.as_tensor(self.weights, dtype=reference_boxes.dtype,
                                  device=reference_boxes.device)
        return encode_boxes(reference_boxes, proposals, weights)

    def decode(self, rel_codes: Tensor, boxes: list[Tensor]) -> Tensor:
        """Decode ``rel_codes`` (sum N_i, K*4) against the per-image ``boxes``.

        Returns:
            Tensor: (sum N_i, K, 4).

        Raises:
            TypeError: when ``boxes`` is not a list/tuple or ``rel_codes`` not a Tensor.
        """
        if not isinstance(boxes, (list, tuple)):
            raise TypeError("This function expects boxes of type list or tuple.")
        if not isinstance(rel_codes, Tensor):
            raise TypeError("This function expects rel_codes of type torch.Tensor.")
        box_sum = sum(b.size(0) for b in boxes)
        if box_sum > 0:
            rel_codes = rel_codes.reshape(box_sum, -1)
        pred_boxes = self.decode_single(rel_codes, ember.cat(list(boxes), dim=0))
        if box_sum > 0:
            pred_boxes = pred_boxes.reshape(box_sum, -1, 4)
        return pred_boxes

    def decode_single(self, rel_codes: Tensor, boxes: Tensor) -> Tensor:
        """Decode (N, K*4) ``rel_codes`` against (N, 4) ``boxes``; returns (N, K*4)."""
        boxes = boxes.to(rel_codes.dtype)
        widths = boxes[:, 2] - boxes[:, 0]
        heights = boxes[:, 3] - boxes[:, 1]
        ctr_x = boxes[:, 0] + 0.5 * widths
        ctr_y = boxes[:, 1] + 0.5 * heights
        wx, wy, ww, wh = self.weights
        dx = rel_codes[:, 0::4] / wx
        dy = rel_codes[:, 1::4] / wy
        dw = ember.clamp(rel_codes[:, 2::4] / ww, max=self.bbox_xform_clip)
        dh = ember.clamp(rel_codes[:, 3::4] / wh, max=self.bbox_xform_clip)
        pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
        pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
        half_w = 0.5 * (ember.exp(dw) * widths[:, None])
        half_h = 0.5 * (ember.exp(dh) * heights[:, None])
        pred = ember.stack((pred_ctr_x - half_w, pred_ctr_y - half_h, pred_ctr_x + half_w,
                            pred_ctr_y + half_h), dim=2)
        return pred.flatten(1)


class Matcher:
    """Assign each prediction (column) the ground truth (row) it overlaps most.

    For an (M, N) quality matrix, ``matches[n] = argmax_m q[m, n]``, replaced by
    ``BELOW_LOW_THRESHOLD`` (-1) when the best quality is below ``low_threshold`` and by
    ``BETWEEN_THRESHOLDS`` (-2) when it is in ``[low_threshold, high_threshold)``. With
    ``allow_low_quality_matches`` every prediction that ties for the best quality of some ground
    truth keeps its original match.

    Args:
        high_threshold (float), low_threshold (float): ``low <= high``.
        allow_low_quality_matches (bool): Default: False.

    Raises:
        ValueError: when ``low_threshold > high_threshold``; when called on an empty matrix.

    Example:
        >>> Matcher(0.7, 0.3)(ember.tensor([[0.9, 0.5, 0.1]])).tolist()
        [0, -2, -1]
    """

    BELOW_LOW_THRESHOLD = -1
    BETWEEN_THRESHOLDS = -2

    def __init__(self, high_threshold: float, low_threshold: float,
                 allow_low_quality_matches: bool = False) -> None:
        if low_threshold > high_threshold:
            raise ValueError(f"low_threshold should be <= high_threshold, got {low_threshold} > "
                             f"{high_threshold}")
        self.high_threshold = high_threshold
        self.low_threshold = low_threshold
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, match_quality_matrix: Tensor) -> Tensor:
        """Return the (N,) int64 matches for an (M gt, N predictions) quality matrix."""
        if match_quality_matrix.numel() == 0:
            if match_quality_matrix.shape[0] == 0:
                raise ValueError("No ground-truth boxes available for one of the images during "
                                 "training")
            raise ValueError("No proposal boxes available for one of the images during training")
        matched_vals, matches = match_quality_matrix.max(dim=0)
        all_matches = matches.clone() if self.allow_low_quality_matches else None
        below = matched_vals < self.low_threshold
        between = (matched_vals >= self.low_threshold) & (matched_vals < self.high_threshold)
        matches[below] = self.BELOW_LOW_THRESHOLD
        matches[between] = self.BETWEEN_THRESHOLDS
        if all_matches is not None:
            self.set_low_quality_matches_(matches, all_matches, match_quality_matrix)
        return matches

    def set_low_quality_matches_(self, matches: Tensor, all_matches: Tensor,
                                 match_quality_matrix: Tensor) -> None:
        """Restore the match of every prediction tying for some ground truth's best quality."""
        highest, _ = match_quality_matrix.max(dim=1)
        pred_inds = ember.where(match_quality_matrix == highest[:, None])[1]
        matches[pred_inds] = all_matches[pred_inds]


def overwrite_eps(model: nn.Module, eps: float) -> None:
    """Set ``eps`` of every ``FrozenBatchNorm2d`` in ``model`` (old checkpoints used 0).

    Example:
        >>> m = nn.Sequential(FrozenBatchNorm2d(2))
        >>> overwrite_eps(m, 0.0); m[0].eps
        0.0
    """
    for module in model.modules():
        if isinstance(module, FrozenBatchNorm2d):
            module.eps = eps


def _topk_min(input: Tensor, orig_kval: int, axis: int) -> int:
    return min(orig_kval, input.size(axis))
