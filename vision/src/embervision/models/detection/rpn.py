"""Region Proposal Network (Ren et al. 2015): objectness + box deltas per anchor, NMS."""

from __future__ import annotations

import ember
from ember import Tensor, nn
from ember.nn import functional as F

from ...ops import boxes as box_ops
from ...ops.misc import Conv2dNormActivation
from . import _utils as det_utils
from .anchor_utils import AnchorGenerator
from .image_list import ImageList

__all__ = ["AnchorGenerator", "RPNHead", "RegionProposalNetwork", "concat_box_prediction_layers"]


class RPNHead(nn.Module):
    """Shared 3x3 conv(s) + ReLU, then 1x1 convs for objectness (A) and box deltas (4A).

    Args:
        in_channels (int): channels of every feature map.
        num_anchors (int): anchors per location A.
        conv_depth (int): number of 3x3 conv layers. Default: 1.

    Shape:
        forward(list of (N, C, H_l, W_l)) -> (list of (N, A, H_l, W_l), list of (N, 4A, H_l, W_l)).

    Example:
        >>> h = RPNHead(4, 3)
        >>> logits, deltas = h([ember.zeros(1, 4, 5, 5)])
        >>> tuple(logits[0].shape), tuple(deltas[0].shape)
        ((1, 3, 5, 5), (1, 12, 5, 5))
    """

    _version = 2

    def __init__(self, in_channels: int, num_anchors: int, conv_depth: int = 1) -> None:
        super().__init__()
        self.conv = nn.Sequential(*[Conv2dNormActivation(in_channels, in_channels, kernel_size=3,
                                                         norm_layer=None)
                                    for _ in range(conv_depth)])
        self.cls_logits = nn.Conv2d(in_channels, num_anchors, kernel_size=1, stride=1)
        self.bbox_pred = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=1, stride=1)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                if layer.bias is not None:
                    nn.init.constant_(layer.bias, 0)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # NOTE: version-1 checkpoints stored the single conv as "conv.{weight,bias}"
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            for kind in ("weight", "bias"):
                old_key, new_key = f"{prefix}conv.{kind}", f"{prefix}conv.0.0.{kind}"
                if old_key in state_dict:
                    state_dict[new_key] = state_dict.pop(old_key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, x: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        logits, bbox_reg = [], []
        for feature in x:
            t = self.conv(feature)
            logits.append(self.cls_logits(t))
            bbox_reg.append(self.bbox_pred(t))
        return logits, bbox_reg


def permute_and_flatten(layer: Tensor, N: int, A: int, C: int, H: int, W: int) -> Tensor:
    """(N, A*C, H, W) -> (N, H*W*A, C), ordered by location then anchor."""
    return layer.reshape(N, -1, C, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, C)


def concat_box_prediction_layers(box_cls: list[Tensor], box_regression: list[Tensor]):
    """Flatten per-level head outputs into (N * sum H W A, C) logits and (..., 4) deltas."""
    cls_flat, reg_flat = [], []
    for cls_l, reg_l in zip(box_cls, box_regression, strict=False):
        N, AxC, H, W = cls_l.shape
        A = reg_l.shape[1] // 4
        C = AxC // A
        cls_flat.append(permute_and_flatten(cls_l, N, A, C, H, W))
        reg_flat.append(permute_and_flatten(reg_l, N, A, 4, H, W))
    return ember.cat(cls_flat, dim=1).flatten(0, -2), ember.cat(reg_flat, dim=1).reshape(-1, 4)


class RegionProposalNetwork(nn.Module):
    """Propose object boxes from anchors; in training also return the RPN losses.

    Per image and level the ``pre_nms_top_n`` highest-objectness anchors are decoded, clipped,
    boxes smaller than 1e-3 and scores below ``score_thresh`` dropped, NMS applied per level and
    the best ``post_nms_top_n`` kept. Losses: binary cross-entropy on sampled anchors
    (``loss_objectness``) and smooth-L1 (beta 1/9) on positive anchors' deltas summed over the
    number of sampled anchors (``loss_rpn_box_reg``).

    Args:
        anchor_generator (AnchorGenerator), head (nn.Module).
        fg_iou_thresh (float), bg_iou_thresh (float): anchor labelling thresholds.
        batch_size_per_image (int), positive_fraction (float): anchor sampling.
        pre_nms_top_n (dict[str, int]), post_nms_top_n (dict[str, int]): keys ``training``
            and ``testing``.
        nms_thresh (float). score_thresh (float): Default: 0.0.

    Raises:
        ValueError: in training mode without ``targets``.
    """

    def __init__(self, anchor_generator: AnchorGenerator, head: nn.Module, fg_iou_thresh: float,
                 bg_iou_thresh: float, batch_size_per_image: int, positive_fraction: float,
                 pre_nms_top_n: dict[str, int], post_nms_top_n: dict[str, int],
                 nms_thresh: float, score_thresh: float = 0.0) -> None:
        super().__init__()
        self.anchor_generator = anchor_generator
        self.head = head
        self.box_coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        self.box_similarity = box_ops.box_iou
        self.proposal_matcher = det_utils.Matcher(fg_iou_thresh, bg_iou_thresh,
                                                  allow_low_quality_matches=True)
        self.fg_bg_sampler = det_utils.BalancedPositiveNegativeSampler(batch_size_per_image,
                                                                       positive_fraction)
        self._pre_nms_top_n = pre_nms_top_n
        self._post_nms_top_n = post_nms_top_n
        self.nms_thresh = nms_thresh
        self.score_thresh = score_thresh
        self.min_size = 1e-3

    def pre_nms_top_n(self) -> int:
        return self._pre_nms_top_n["training" if self.training else "testing"]

    def post_nms_top_n(self) -> int:
        return self._post_nms_top_n["training" if self.training else "testing"]

    def assign_targets_to_anchors(self, anchors: list[Tensor], targets: list[dict]):
        """Per image: anchor labels (1 fg, 0 bg, -1 ignored) and the matched gt boxes."""
        labels, matched_gt_boxes = [], []
        for anchors_i, target in zip(anchors, targets, strict=False):
            gt_boxes = target["boxes"]
            if gt_boxes.numel() == 0:
                matched = ember.zeros(anchors_i.shape, dtype=ember.float32, device=anchors_i.device)
                lab = ember.zeros((anchors_i.shape[0],), dtype=ember.float32,
                                  device=anchors_i.device)
            else:
                matched_idxs = self.proposal_matcher(self.box_similarity(gt_boxes, anchors_i))
                matched = gt_boxes[matched_idxs.clamp(min=0)]
                lab = (matched_idxs >= 0).to(dtype=ember.float32)
                lab[matched_idxs == self.proposal_matcher.BELOW_LOW_THRESHOLD] = 0.0
                lab[matched_idxs == self.proposal_matcher.BETWEEN_THRESHOLDS] = -1.0
            labels.append(lab)
            matched_gt_boxes.append(matched)
        return labels, matched_gt_boxes

    def _get_top_n_idx(self, objectness: Tensor, num_anchors_per_level: list[int]) -> Tensor:
        r, offset = [], 0
        for ob in objectness.split(num_anchors_per_level, 1):
            k = det_utils._topk_min(ob, self.pre_nms_top_n(), 1)
            _, top_n_idx = ob.topk(k, dim=1)
            r.append(top_n_idx + offset)
            offset += ob.shape[1]
        return ember.cat(r, dim=1)

    def filter_proposals(self, proposals: Tensor, objectness: Tensor, image_shapes,
                         num_anchors_per_level: list[int]):
        """Top-n per level, clip, drop tiny/low-score boxes, per-level NMS, keep post-n."""
        num_images = proposals.shape[0]
        device = proposals.device
        objectness = objectness.detach().reshape(num_images, -1)
        levels = ember.cat([ember.full((n,), idx, dtype=ember.int64, device=device)
                            for idx, n in enumerate(num_anchors_per_level)], 0)
        levels = levels.reshape(1, -1).expand_as(objectness)
        top_n_idx = self._get_top_n_idx(objectness, num_anchors_per_level)
        batch_idx = ember.arange(num_images, device=device)[:, None]
        objectness = objectness[batch_idx, top_n_idx]
        levels = levels[batch_idx, top_n_idx]
        proposals = proposals[batch_idx, top_n_idx]
        objectness_prob = ember.sigmoid(objectness)
        final_boxes, final_scores = [], []
        for boxes, scores, lvl, img_shape in zip(proposals, objectness_prob, levels,
                                                 image_shapes, strict=False):
            boxes = box_ops.clip_boxes_to_image(boxes, img_shape)
            keep = box_ops.remove_small_boxes(boxes, self.min_size)
            boxes, scores, lvl = boxes[keep], scores[keep], lvl[keep]
            keep = ember.where(scores >= self.score_thresh)[0]
            boxes, scores, lvl = boxes[keep], scores[keep], lvl[keep]
            keep = box_ops.batched_nms(boxes, scores, lvl, self.nms_thresh)
            keep = keep[: self.post_nms_top_n()]
            final_boxes.append(boxes[keep])
            final_scores.append(scores[keep])
        return final_boxes, final_scores

    def compute_loss(self, objectness: Tensor, pred_bbox_deltas: Tensor, labels: list[Tensor],
                     regression_targets: list[Tensor]) -> tuple[Tensor, Tensor]:
        """(objectness BCE loss, box smooth-L1 loss) over the sampled anchors."""
        sampled_pos, sampled_neg = self.fg_bg_sampler(labels)
        sampled_pos = ember.where(ember.cat(sampled_pos, dim=0))[0]
        sampled_neg = ember.where(ember.cat(sampled_neg, dim=0))[0]
        sampled = ember.cat([sampled_pos, sampled_neg], dim=0)
        objectness = objectness.flatten()
        labels = ember.cat(labels, dim=0)
        regression_targets = ember.cat(regression_targets, dim=0)
        box_loss = F.smooth_l1_loss(pred_bbox_deltas[sampled_pos], regression_targets[sampled_pos],
                                    beta=1 / 9, reduction="sum") / sampled.numel()
        objectness_loss = F.binary_cross_entropy_with_logits(objectness[sampled], labels[sampled])
        return objectness_loss, box_loss

    def forward(self, images: ImageList, features: dict, targets: list[dict] | None = None):
        features = list(features.values())
        objectness, pred_bbox_deltas = self.head(features)
        anchors = self.anchor_generator(images, features)
        num_images = len(anchors)
        num_anchors_per_level = [o[0].shape[0] * o[0].shape[1] * o[0].shape[2]
                                 for o in objectness]
        objectness, pred_bbox_deltas = concat_box_prediction_layers(objectness, pred_bbox_deltas)
        proposals = self.box_coder.decode(pred_bbox_deltas.detach(), anchors)
        proposals = proposals.reshape(num_images, -1, 4)
        boxes, _ = self.filter_proposals(proposals, objectness, images.image_sizes,
                                         num_anchors_per_level)
        losses = {}
        if self.training:
            if targets is None:
                raise ValueError("targets should not be None")
            labels, matched_gt_boxes = self.assign_targets_to_anchors(anchors, targets)
            regression_targets = self.box_coder.encode(matched_gt_boxes, anchors)
            loss_objectness, loss_rpn_box_reg = self.compute_loss(
                objectness, pred_bbox_deltas, labels, regression_targets)
            losses = {"loss_objectness": loss_objectness, "loss_rpn_box_reg": loss_rpn_box_reg}
        return boxes, losses
