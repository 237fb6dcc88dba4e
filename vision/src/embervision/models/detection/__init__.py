"""Object detection models: Faster R-CNN with a ResNet-50 FPN backbone and its machinery."""

from .anchor_utils import AnchorGenerator
from .backbone_utils import BackboneWithFPN, resnet_fpn_backbone
from .faster_rcnn import (
    FasterRCNN,
    FasterRCNN_ResNet50_FPN_V2_Weights,
    FasterRCNN_ResNet50_FPN_Weights,
    FastRCNNConvFCHead,
    FastRCNNPredictor,
    TwoMLPHead,
    fasterrcnn_resnet50_fpn,
    fasterrcnn_resnet50_fpn_v2,
)
from .generalized_rcnn import GeneralizedRCNN
from .image_list import ImageList
from .roi_heads import RoIHeads
from .rpn import RegionProposalNetwork, RPNHead
from .transform import GeneralizedRCNNTransform

__all__ = ["AnchorGenerator", "BackboneWithFPN", "FastRCNNConvFCHead", "FastRCNNPredictor",
           "FasterRCNN", "FasterRCNN_ResNet50_FPN_V2_Weights", "FasterRCNN_ResNet50_FPN_Weights",
           "GeneralizedRCNN", "GeneralizedRCNNTransform", "ImageList", "RPNHead",
           "RegionProposalNetwork", "RoIHeads", "TwoMLPHead", "fasterrcnn_resnet50_fpn",
           "fasterrcnn_resnet50_fpn_v2", "resnet_fpn_backbone"]
