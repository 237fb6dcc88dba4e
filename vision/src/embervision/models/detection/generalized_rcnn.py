"""``GeneralizedRCNN``: transform -> backbone -> RPN -> RoI heads -> postprocess."""

from __future__ import annotations

from collections import OrderedDict

import ember
from ember import Tensor, nn

__all__ = ["GeneralizedRCNN"]


class GeneralizedRCNN(nn.Module):
    """Base of the two-stage detectors.

    In training mode ``forward(images, targets)`` returns the dict of losses; in eval mode
    ``forward(images)`` returns one dict per image with ``boxes`` (K, 4) xyxy in the original
    image's coordinates, ``labels`` (K,) int64 and ``scores`` (K,).

    Args:
        backbone (nn.Module): image -> feature dict (or a single feature map).
        rpn (nn.Module), roi_heads (nn.Module), transform (nn.Module).

    Raises:
        AssertionError: in training mode without targets, for target boxes that are not an
            (N, 4) tensor or that have zero/negative width or height (as the reference).
    """

    def __init__(self, backbone: nn.Module, rpn: nn.Module, roi_heads: nn.Module,
                 transform: nn.Module) -> None:
        super().__init__()
        self.transform = transform
        self.backbone = backbone
        self.rpn = rpn
        self.roi_heads = roi_heads

    def eager_outputs(self, losses: dict, detections: list[dict]):
        """The losses in training mode, the detections in eval mode."""
        return losses if self.training else detections

    def _check_targets(self, targets) -> None:
        if targets is None:
            raise AssertionError("targets should not be none when in training mode")
        for target in targets:
            boxes = target["boxes"]
            if not isinstance(boxes, Tensor):
                raise AssertionError(f"Expected target boxes to be of type Tensor, got "
                                     f"{type(boxes)}.")
            if boxes.dim() != 2 or boxes.shape[-1] != 4:
                raise AssertionError(f"Expected target boxes to be a tensor of shape [N, 4], got "
                                     f"{tuple(boxes.shape)}.")

    def forward(self, images: list[Tensor], targets: list[dict] | None = None):
        if self.training:
            self._check_targets(targets)
        original_image_sizes = []
        for img in images:
            if img.dim() < 2:
                raise AssertionError(f"expecting the last two dimensions of the Tensor to be H "
                                     f"and W instead got {tuple(img.shape)}")
            original_image_sizes.append((int(img.shape[-2]), int(img.shape[-1])))
        images, targets = self.transform(images, targets)
        if targets is not None:
            for target_idx, target in enumerate(targets):
                boxes = target["boxes"]
                degenerate = (boxes[:, 2:] <= boxes[:, :2]).any(dim=1)
                if degenerate.any():
                    bb_idx = int(ember.where(degenerate)[0][0])
                    raise AssertionError(f"All bounding boxes should have positive height and "
                                         f"width. Found invalid box {boxes[bb_idx].tolist()} for "
                                         f"target at index {target_idx}.")
        features = self.backbone(images.tensors)
        if isinstance(features, Tensor):
            features = OrderedDict([("0", features)])
        proposals, proposal_losses = self.rpn(images, features, targets)
        detections, detector_losses = self.roi_heads(features, proposals, images.image_sizes,
                                                     targets)
        detections = self.transform.postprocess(detections, images.image_sizes,
                                                original_image_sizes)
        losses = {}
        losses.update(detector_losses)
        losses.update(proposal_losses)
        return self.eager_outputs(losses, detections)
