"""Faster R-CNN (Ren et al. 2015) with a ResNet-50 FPN backbone."""

from __future__ import annotations

import functools
from typing import Any

from ember import nn
from ember.nn import functional as F

from ...ops import misc as misc_nn_ops
from ...ops.poolers import MultiScaleRoIAlign
from .._api import Weights, WeightsEnum, _preset, handle_legacy_interface, register_model
from .._meta import _COCO_CATEGORIES
from ..resnet import ResNet50_Weights, resnet50
from ..segmentation._utils import _ovewrite_value_param
from ._utils import overwrite_eps
from .anchor_utils import AnchorGenerator
from .backbone_utils import _resnet_fpn_extractor, _validate_trainable_layers
from .generalized_rcnn import GeneralizedRCNN
from .roi_heads import RoIHeads
from .rpn import RegionProposalNetwork, RPNHead
from .transform import GeneralizedRCNNTransform

__all__ = ["FastRCNNConvFCHead", "FastRCNNPredictor", "FasterRCNN",
           "FasterRCNN_ResNet50_FPN_V2_Weights", "FasterRCNN_ResNet50_FPN_Weights", "TwoMLPHead",
           "fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2"]


def _default_anchorgen() -> AnchorGenerator:
    anchor_sizes = ((32,), (64,), (128,), (256,), (512,))
    return AnchorGenerator(anchor_sizes, ((0.5, 1.0, 2.0),) * len(anchor_sizes))


class FasterRCNN(GeneralizedRCNN):
    """Faster R-CNN: backbone (+FPN), region proposal network, RoI box head.

    Input: a list of (3, H_i, W_i) float images in [0, 1]. Training: ``model(images, targets)``
    with targets ``{"boxes": (K, 4) float xyxy, "labels": (K,) int64}`` returns
    ``{"loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"}``. Eval:
    ``model(images)`` returns per image ``{"boxes", "labels", "scores"}`` in input coordinates.

    Args:
        backbone (nn.Module): must have ``out_channels``.
        num_classes (int | None): including background (None when ``box_predictor`` is given).
        min_size (int): Default: 800. max_size (int): Default: 1333.
        image_mean, image_std (list[float] | None): Default: ImageNet's.
        rpn_anchor_generator (AnchorGenerator | None), rpn_head (nn.Module | None).
        rpn_pre_nms_top_n_train/test (int): Default: 2000/1000.
        rpn_post_nms_top_n_train/test (int): Default: 2000/1000.
        rpn_nms_thresh (float): 0.7. rpn_fg_iou_thresh (float): 0.7. rpn_bg_iou_thresh: 0.3.
        rpn_batch_size_per_image (int): 256. rpn_positive_fraction (float): 0.5.
        rpn_score_thresh (float): 0.0.
        box_roi_pool (MultiScaleRoIAlign | None), box_head, box_predictor (nn.Module | None).
        box_score_thresh (float): 0.05. box_nms_thresh (float): 0.5.
        box_detections_per_img (int): 100. box_fg_iou_thresh / box_bg_iou_thresh: 0.5 / 0.5.
        box_batch_size_per_image (int): 512. box_positive_fraction (float): 0.25.
        bbox_reg_weights (tuple | None): Default (10, 10, 5, 5).
        **kwargs: passed to ``GeneralizedRCNNTransform`` (``size_divisible``, ``fixed_size``).

    Raises:
        ValueError: without ``backbone.out_channels``; when ``num_classes`` and
            ``box_predictor`` are both given or both missing.
        TypeError: for an anchor generator / RoI pool of the wrong type.
    """

    def __init__(self, backbone, num_classes=None, min_size=800, max_size=1333, image_mean=None,
                 image_std=None, rpn_anchor_generator=None, rpn_head=None,
                 rpn_pre_nms_top_n_train=2000, rpn_pre_nms_top_n_test=1000,
                 rpn_post_nms_top_n_train=2000, rpn_post_nms_top_n_test=1000,
                 rpn_nms_thresh=0.7, rpn_fg_iou_thresh=0.7, rpn_bg_iou_thresh=0.3,
                 rpn_batch_size_per_image=256, rpn_positive_fraction=0.5, rpn_score_thresh=0.0,
                 box_roi_pool=None, box_head=None, box_predictor=None, box_score_thresh=0.05,
                 box_nms_thresh=0.5, box_detections_per_img=100, box_fg_iou_thresh=0.5,
                 box_bg_iou_thresh=0.5, box_batch_size_per_image=512, box_positive_fraction=0.25,
                 bbox_reg_weights=None, **kwargs) -> None:
        if not hasattr(backbone, "out_channels"):
            raise ValueError("backbone should contain an attribute out_channels specifying the "
                             "number of output channels (assumed to be the same for all the "
                             "levels)")
        if not isinstance(rpn_anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError(f"rpn_anchor_generator should be of type AnchorGenerator or None "
                            f"instead of {type(rpn_anchor_generator)}")
        if not isinstance(box_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError(f"box_roi_pool should be of type MultiScaleRoIAlign or None instead "
                            f"of {type(box_roi_pool)}")
        if num_classes is not None:
            if box_predictor is not None:
                raise ValueError("num_classes should be None when box_predictor is specified")
        elif box_predictor is None:
            raise ValueError("num_classes should not be None when box_predictor is not specified")
        out_channels = backbone.out_channels
        if rpn_anchor_generator is None:
            rpn_anchor_generator = _default_anchorgen()
        if rpn_head is None:
            rpn_head = RPNHead(out_channels, rpn_anchor_generator.num_anchors_per_location()[0])
        rpn = RegionProposalNetwork(
            rpn_anchor_generator, rpn_head, rpn_fg_iou_thresh, rpn_bg_iou_thresh,
            rpn_batch_size_per_image, rpn_positive_fraction,
            dict(training=rpn_pre_nms_top_n_train, testing=rpn_pre_nms_top_n_test),
            dict(training=rpn_post_nms_top_n_train, testing=rpn_post_nms_top_n_test),
            rpn_nms_thresh, score_thresh=rpn_score_thresh)
        if box_roi_pool is None:
            box_roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"], output_size=7,
                                              sampling_ratio=2)
        if box_head is None:
            resolution = box_roi_pool.output_size[0]
            box_head = TwoMLPHead(out_channels * resolution ** 2, 1024)
        if box_predictor is None:
            box_predictor = FastRCNNPredictor(1024, num_classes)
        roi_heads = RoIHeads(box_roi_pool, box_head, box_predictor, box_fg_iou_thresh,
                             box_bg_iou_thresh, box_batch_size_per_image, box_positive_fraction,
                             bbox_reg_weights, box_score_thresh, box_nms_thresh,
                             box_detections_per_img)
        if image_mean is None:
            image_mean = [0.485, 0.456, 0.406]
        if image_std is None:
            image_std = [0.229, 0.224, 0.225]
        transform = GeneralizedRCNNTransform(min_size, max_size, image_mean, image_std, **kwargs)
        super().__init__(backbone, rpn, roi_heads, transform)


class TwoMLPHead(nn.Module):
    """Flatten, then two fully connected layers with ReLU (``fc6``, ``fc7``).

    Args:
        in_channels (int): flattened input size. representation_size (int): hidden size.

    Example:
        >>> import ember
        >>> TwoMLPHead(8, 4)(ember.zeros(2, 2, 2, 2)).shape
        ember.Size([2, 4])
    """

    def __init__(self, in_channels: int, representation_size: int) -> None:
        super().__init__()
        self.fc6 = nn.Linear(in_channels, representation_size)
        self.fc7 = nn.Linear(representation_size, representation_size)

    def forward(self, x):
        x = x.flatten(start_dim=1)
        return F.relu(self.fc7(F.relu(self.fc6(x))))


class FastRCNNConvFCHead(nn.Sequential):
    """Conv-norm-ReLU layers, flatten, then Linear+ReLU layers (the v2 box head).

    Args:
        input_size (tuple[int, int, int]): (C, H, W) of the pooled features.
        conv_layers (list[int]), fc_layers (list[int]): channel/feature sizes.
        norm_layer (callable | None): Default: None.
    """

    def __init__(self, input_size, conv_layers: list[int], fc_layers: list[int],
                 norm_layer=None) -> None:
        in_channels, in_height, in_width = input_size
        blocks, prev = [], in_channels
        for cur in conv_layers:
            blocks.append(misc_nn_ops.Conv2dNormActivation(prev, cur, norm_layer=norm_layer))
            prev = cur
        blocks.append(nn.Flatten())
        prev = prev * in_height * in_width
        for cur in fc_layers:
            blocks.append(nn.Linear(prev, cur))
            blocks.append(nn.ReLU(inplace=True))
            prev = cur
        super().__init__(*blocks)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)


class FastRCNNPredictor(nn.Module):
    """Class scores (``cls_score``) and per-class box deltas (``bbox_pred``) from features.

    Args:
        in_channels (int). num_classes (int): including background.

    Raises:
        ValueError: for a 4-d input whose spatial size is not 1x1.

    Example:
        >>> import ember
        >>> s, d = FastRCNNPredictor(8, 3)(ember.zeros(2, 8))
        >>> tuple(s.shape), tuple(d.shape)
        ((2, 3), (2, 12))
    """

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.cls_score = nn.Linear(in_channels, num_classes)
        self.bbox_pred = nn.Linear(in_channels, num_classes * 4)

    def forward(self, x):
        if x.dim() == 4 and list(x.shape[2:]) != [1, 1]:
            raise ValueError(f"x has the wrong shape, expecting the last two dimensions to be "
                             f"[1,1] instead of {list(x.shape[2:])}")
        x = x.flatten(start_dim=1)
        return self.cls_score(x), self.bbox_pred(x)


class FasterRCNN_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth",
        transforms=functools.partial(_preset, "ObjectDetection"),
        meta={
            "categories": list(_COCO_CATEGORIES),
            "min_size": (1, 1),
            "num_params": 41755286,
            "recipe": "https://github.com/pytorch/vision/tree/main/references/detection"
                      "#faster-r-cnn-resnet-50-fpn",
            "_metrics": {"COCO-val2017": {"box_map": 37.0}},
            "_ops": 134.38,
            "_file_size": 159.743,
            "_docs": "These weights were produced by following a similar training recipe as on "
                     "the paper.",
        },
    )
    DEFAULT = COCO_V1


class FasterRCNN_ResNet50_FPN_V2_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth",
        transforms=functools.partial(_preset, "ObjectDetection"),
        meta={
            "categories": list(_COCO_CATEGORIES),
            "min_size": (1, 1),
            "num_params": 43712278,
            "recipe": "https://github.com/pytorch/vision/pull/5763",
            "_metrics": {"COCO-val2017": {"box_map": 46.7}},
            "_ops": 280.371,
            "_file_size": 167.104,
            "_docs": "These weights were produced using an enhanced training recipe to boost the "
                     "model accuracy.",
        },
    )
    DEFAULT = COCO_V1


@register_model(weights=FasterRCNN_ResNet50_FPN_Weights)
@handle_legacy_interface(
    weights=("pretrained", lambda kwargs: FasterRCNN_ResNet50_FPN_Weights.COCO_V1),
    weights_backbone=("pretrained_backbone", lambda kwargs: ResNet50_Weights.IMAGENET1K_V1))
def fasterrcnn_resnet50_fpn(*, weights: FasterRCNN_ResNet50_FPN_Weights | None = None,
                            progress: bool = True, num_classes: int | None = None,
                            weights_backbone: ResNet50_Weights | None =
                            ResNet50_Weights.IMAGENET1K_V1,
                            trainable_backbone_layers: int | None = None,
                            **kwargs: Any) -> FasterRCNN:
    """Faster R-CNN with a ResNet-50 FPN backbone (41.8 M parameters).

    With pretrained weights (``weights`` or the default ``weights_backbone``) the backbone uses
    ``FrozenBatchNorm2d`` and only the top ``trainable_backbone_layers`` stages train; without
    any it uses ``BatchNorm2d`` and all layers train.

    NOTE: as in torchvision the backbone defaults to ImageNet weights (a download); pass
    ``weights_backbone=None`` for a randomly initialised model.

    Args:
        weights (FasterRCNN_ResNet50_FPN_Weights | str | None): Default: None.
        progress (bool): Default: True.
        num_classes (int | None): including background. Default None = 91 (or the weights').
        weights_backbone (ResNet50_Weights | None): Default: IMAGENET1K_V1.
        trainable_backbone_layers (int | None): 0..5; Default None = 3 (5 when untrained).
        **kwargs: passed to :class:`FasterRCNN`.

    Raises:
        ValueError: for ``num_classes`` conflicting with the weights or layers out of range.

    Example:
        >>> m = fasterrcnn_resnet50_fpn(weights_backbone=None, num_classes=3)
        >>> m.roi_heads.box_predictor.cls_score.out_features
        3
    """
    weights = FasterRCNN_ResNet50_FPN_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
    elif num_classes is None:
        num_classes = 91
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers,
                                                           5, 3)
    norm_layer = misc_nn_ops.FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
    backbone = resnet50(weights=weights_backbone, progress=progress, norm_layer=norm_layer)
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers)
    model = FasterRCNN(backbone, num_classes=num_classes, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
        if weights == FasterRCNN_ResNet50_FPN_Weights.COCO_V1:
            overwrite_eps(model, 0.0)
    return model


@register_model(weights=FasterRCNN_ResNet50_FPN_V2_Weights)
@handle_legacy_interface(
    weights=("pretrained", lambda kwargs: FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1),
    weights_backbone=("pretrained_backbone", lambda kwargs: ResNet50_Weights.IMAGENET1K_V1))
def fasterrcnn_resnet50_fpn_v2(*, weights: FasterRCNN_ResNet50_FPN_V2_Weights | None = None,
                               progress: bool = True, num_classes: int | None = None,
                               weights_backbone: ResNet50_Weights | None = None,
                               trainable_backbone_layers: int | None = None,
                               **kwargs: Any) -> FasterRCNN:
    """Faster R-CNN v2 (Li et al. 2021 recipe): BatchNorm2d in the backbone and the FPN, a
    two-conv RPN head and a four-conv + one-FC box head (43.7 M parameters).

    Args:
        weights (FasterRCNN_ResNet50_FPN_V2_Weights | str | None): Default: None.
        progress (bool): Default: True.
        num_classes (int | None): including background. Default None = 91 (or the weights').
        weights_backbone (ResNet50_Weights | None): Default: None.
        trainable_backbone_layers (int | None): 0..5; Default None = 3 (5 when untrained).
        **kwargs: passed to :class:`FasterRCNN`.

    Raises:
        ValueError: for ``num_classes`` conflicting with the weights or layers out of range.

    Example:
        >>> m = fasterrcnn_resnet50_fpn_v2(num_classes=3)
        >>> len(m.rpn.head.conv), m.roi_heads.box_predictor.cls_score.out_features
        (2, 3)
    """
    weights = FasterRCNN_ResNet50_FPN_V2_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
    elif num_classes is None:
        num_classes = 91
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers,
                                                           5, 3)
    backbone = resnet50(weights=weights_backbone, progress=progress)
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers,
                                     norm_layer=nn.BatchNorm2d)
    anchor_generator = _default_anchorgen()
    rpn_head = RPNHead(backbone.out_channels, anchor_generator.num_anchors_per_location()[0],
                       conv_depth=2)
    box_head = FastRCNNConvFCHead((backbone.out_channels, 7, 7), [256, 256, 256, 256], [1024],
                                  norm_layer=nn.BatchNorm2d)
    model = FasterRCNN(backbone, num_classes=num_classes, rpn_anchor_generator=anchor_generator,
                       rpn_head=rpn_head, box_head=box_head, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
