"""Second-stage box head of Faster R-CNN: RoI pooling, classification and box refinement."""

from __future__ import annotations

import ember
from ember import Tensor, nn
from ember.nn import functional as F

from ...ops import boxes as box_ops
from . import _utils as det_utils

__all__ = ["RoIHeads", "fastrcnn_loss"]


def fastrcnn_loss(class_logits: Tensor, box_regression: Tensor, labels: list[Tensor],
                  regression_targets: list[Tensor]) -> tuple[Tensor, Tensor]:
    """Fast R-CNN losses: cross-entropy over all sampled proposals, and smooth-L1 (beta 1/9)
    of the ground-truth class's deltas on positives, summed and divided by the number of
    sampled proposals.

    Args:
        class_logits (Tensor): (N, K). box_regression (Tensor): (N, K*4).
        labels (list[Tensor]): int64 per image. regression_targets (list[Tensor]): (N_i, 4).

    Returns:
        tuple[Tensor, Tensor]: (classification loss, box loss).

    Example:
        >>> c, b = fastrcnn_loss(ember.zeros(2, 2), ember.zeros(2, 8), [ember.tensor([0, 1])],
        ...                      [ember.zeros(2, 4)])
        >>> round(c.item(), 4), b.item()
        (0.6931, 0.0)
    """
    labels = ember.cat(labels, dim=0)
    regression_targets = ember.cat(regression_targets, dim=0)
    classification_loss = F.cross_entropy(class_logits, labels)
    pos = ember.where(labels > 0)[0]
    labels_pos = labels[pos]
    N = class_logits.shape[0]
    box_regression = box_regression.reshape(N, box_regression.size(-1) // 4, 4)
    box_loss = F.smooth_l1_loss(box_regression[pos, labels_pos], regression_targets[pos],
                                beta=1 / 9, reduction="sum")
    return classification_loss, box_loss / labels.numel()


class RoIHeads(nn.Module):
    """Sample proposals against targets (training), pool their features, classify them and
    refine their boxes; in eval mode decode, score-threshold, NMS per class and keep the
    best ``detections_per_img``.

    Args:
        box_roi_pool (MultiScaleRoIAlign), box_head (nn.Module), box_predictor (nn.Module).
        fg_iou_thresh (float), bg_iou_thresh (float): proposal labelling thresholds.
        batch_size_per_image (int), positive_fraction (float): proposal sampling.
        bbox_reg_weights (tuple | None): Default None = (10, 10, 5, 5).
        score_thresh (float), nms_thresh (float), detections_per_img (int).
        mask_* / keypoint_* modules: only None is supported (boxes only).

    Raises:
        NotImplementedError: for mask or keypoint branches.
        TypeError: for non-float target boxes or non-int64 labels.
        ValueError: in training mode without targets or without ``boxes``/``labels`` keys.
    """

    def __init__(self, box_roi_pool, box_head, box_predictor, fg_iou_thresh, bg_iou_thresh,
                 batch_size_per_image, positive_fraction, bbox_reg_weights, score_thresh,
                 nms_thresh, detections_per_img, mask_roi_pool=None, mask_head=None,
                 mask_predictor=None, keypoint_roi_pool=None, keypoint_head=None,
                 keypoint_predictor=None) -> None:
        super().__init__()
        extra = [mask_roi_pool, mask_head, mask_predictor, keypoint_roi_pool, keypoint_head,
                 keypoint_predictor]
        if any(m is not None for m in extra):
            raise NotImplementedError("RoIHeads: mask and keypoint branches are not implemented "
                                      "in embervision (boxes only)")
        self.box_similarity = box_ops.box_iou
        self.proposal_matcher = det_utils.Matcher(fg_iou_thresh, bg_iou_thresh,
                                                  allow_low_quality_matches=False)
        self.fg_bg_sampler = det_utils.BalancedPositiveNegativeSampler(batch_size_per_image,
                                                                       positive_fraction)
        if bbox_reg_weights is None:
            bbox_reg_weights = (10.0, 10.0, 5.0, 5.0)
        self.box_coder = det_utils.BoxCoder(bbox_reg_weights)
        self.box_roi_pool = box_roi_pool
        self.box_head = box_head
        self.box_predictor = box_predictor
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.mask_roi_pool = self.mask_head = self.mask_predictor = None
        self.keypoint_roi_pool = self.keypoint_head = self.keypoint_predictor = None

    def has_mask(self) -> bool:
        return False

    def has_keypoint(self) -> bool:
        return False

    def assign_targets_to_proposals(self, proposals, gt_boxes, gt_labels):
        """Per image: clamped matched gt index and label (0 background, -1 ignored)."""
        matched_idxs, labels = [], []
        for props, gtb, gtl in zip(proposals, gt_boxes, gt_labels, strict=False):
            if gtb.numel() == 0:
                clamped = ember.zeros((props.shape[0],), dtype=ember.int64, device=props.device)
                lab = ember.zeros((props.shape[0],), dtype=ember.int64, device=props.device)
            else:
                m = self.proposal_matcher(box_ops.box_iou(gtb, props))
                clamped = m.clamp(min=0)
                lab = gtl[clamped].to(dtype=ember.int64)
                lab[m == self.proposal_matcher.BELOW_LOW_THRESHOLD] = 0
                lab[m == self.proposal_matcher.BETWEEN_THRESHOLDS] = -1
            matched_idxs.append(clamped)
            labels.append(lab)
        return matched_idxs, labels

    def subsample(self, labels: list[Tensor]) -> list[Tensor]:
        """Indices of the sampled (positive or negative) proposals of each image."""
        pos, neg = self.fg_bg_sampler(labels)
        return [ember.where(p | n)[0] for p, n in zip(pos, neg, strict=False)]

    def add_gt_proposals(self, proposals, gt_boxes):
        """Append each image's ground-truth boxes to its proposals."""
        return [ember.cat((p, g)) for p, g in zip(proposals, gt_boxes, strict=False)]

    def check_targets(self, targets) -> None:
        """Raise ValueError unless every target has ``boxes`` and ``labels``."""
        if targets is None:
            raise ValueError("targets should not be None")
        if not all("boxes" in t for t in targets):
            raise ValueError("Every element of targets should have a boxes key")
        if not all("labels" in t for t in targets):
            raise ValueError("Every element of targets should have a labels key")

    def select_training_samples(self, proposals, targets):
        """Sample proposals; returns (proposals, matched_idxs, labels, regression_targets)."""
        self.check_targets(targets)
        dtype, device = proposals[0].dtype, proposals[0].device
        gt_boxes = [t["boxes"].to(dtype) for t in targets]
        gt_labels = [t["labels"] for t in targets]
        proposals = self.add_gt_proposals(proposals, gt_boxes)
        matched_idxs, labels = self.assign_targets_to_proposals(proposals, gt_boxes, gt_labels)
        sampled_inds = self.subsample(labels)
        matched_gt_boxes = []
        for i, inds in enumerate(sampled_inds):
            proposals[i] = proposals[i][inds]
            labels[i] = labels[i][inds]
            matched_idxs[i] = matched_idxs[i][inds]
            gtb = gt_boxes[i]
            if gtb.numel() == 0:
                gtb = ember.zeros((1, 4), dtype=dtype, device=device)
            matched_gt_boxes.append(gtb[matched_idxs[i]])
        regression_targets = self.box_coder.encode(matched_gt_boxes, proposals)
        return proposals, matched_idxs, labels, regression_targets

    def postprocess_detections(self, class_logits, box_regression, proposals, image_shapes):
        """Decode per-class boxes, softmax scores; threshold, drop tiny boxes, class-wise NMS."""
        device = class_logits.device
        num_classes = class_logits.shape[-1]
        boxes_per_image = [p.shape[0] for p in proposals]
        pred_boxes = self.box_coder.decode(box_regression, proposals)
        pred_scores = F.softmax(class_logits, -1)
        all_boxes, all_scores, all_labels = [], [], []
        for boxes, scores, image_shape in zip(pred_boxes.split(boxes_per_image, 0),
                                              pred_scores.split(boxes_per_image, 0),
                                              image_shapes, strict=False):
            boxes = box_ops.clip_boxes_to_image(boxes, image_shape)
            labels = ember.arange(num_classes, device=device).reshape(1, -1).expand_as(scores)
            boxes = boxes[:, 1:].reshape(-1, 4)
            scores = scores[:, 1:].reshape(-1)
            labels = labels[:, 1:].reshape(-1)
            inds = ember.where(scores > self.score_thresh)[0]
            boxes, scores, labels = boxes[inds], scores[inds], labels[inds]
            keep = box_ops.remove_small_boxes(boxes, min_size=1e-2)
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
            keep = box_ops.batched_nms(boxes, scores, labels, self.nms_thresh)
            keep = keep[: self.detections_per_img]
            all_boxes.append(boxes[keep])
            all_scores.append(scores[keep])
            all_labels.append(labels[keep])
        return all_boxes, all_scores, all_labels

    def forward(self, features: dict, proposals: list[Tensor], image_shapes,
                targets: list[dict] | None = None):
        if targets is not None:
            for t in targets:
                if t["boxes"].dtype not in (ember.float32, ember.float64, ember.float16):
                    raise TypeError(f"target boxes must of float type, instead got "
                                    f"{t['boxes'].dtype}")
                if t["labels"].dtype != ember.int64:
                    raise TypeError(f"target labels must of int64 type, instead got "
                                    f"{t['labels'].dtype}")
        if self.training:
            proposals, _, labels, regression_targets = self.select_training_samples(proposals,
                                                                                    targets)
        box_features = self.box_roi_pool(features, proposals, image_shapes)
        box_features = self.box_head(box_features)
        class_logits, box_regression = self.box_predictor(box_features)
        result, losses = [], {}
        if self.training:
            loss_classifier, loss_box_reg = fastrcnn_loss(class_logits, box_regression, labels,
                                                          regression_targets)
            losses = {"loss_classifier": loss_classifier, "loss_box_reg": loss_box_reg}
        else:
            boxes, scores, labels = self.postprocess_detections(class_logits, box_regression,
                                                                proposals, image_shapes)
            result = [{"boxes": b, "labels": lab, "scores": s}
                      for b, s, lab in zip(boxes, scores, labels, strict=False)]
        return result, losses
