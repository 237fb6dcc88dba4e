"""Faster R-CNN: architecture facts recorded from torchvision 0.28, train/eval behaviour."""

import hashlib
import math

import pytest

import ember
from ember import nn
from embervision import models
from embervision.models import ResNet50_Weights, resnet50
from embervision.models.detection import (
    AnchorGenerator,
    FasterRCNN,
    FasterRCNN_ResNet50_FPN_V2_Weights,
    FasterRCNN_ResNet50_FPN_Weights,
    FastRCNNPredictor,
    RoIHeads,
    RPNHead,
    TwoMLPHead,
    fasterrcnn_resnet50_fpn,
    fasterrcnn_resnet50_fpn_v2,
    resnet_fpn_backbone,
)
from embervision.models.detection.backbone_utils import _resnet_fpn_extractor
from embervision.ops import FrozenBatchNorm2d, MultiScaleRoIAlign

# Facts from torchvision 0.28 (sha256 of the sorted "key:shape" lines joined by "\n").
# weights=None, weights_backbone=None (BatchNorm2d backbone, everything trainable):
BN_PARAMS, BN_KEYS = 41808406, 348
BN_DIGEST = "895dafb30df199198424703eaf36e07645562c9499603dcbd956b92d8b83a162"
# the COCO_V1 architecture (FrozenBatchNorm2d backbone, trainable_backbone_layers=3):
FROZEN_PARAMS, FROZEN_TRAINABLE, FROZEN_KEYS = 41755286, 41532886, 295
FROZEN_DIGEST = "620d295681ed6846eaa92e7d715d81876cfbfe71fefbfea2c87c73e46b9b3bc6"
# fasterrcnn_resnet50_fpn_v2() with its defaults:
V2_PARAMS, V2_KEYS = 43712278, 404
V2_DIGEST = "14179c9cca67bc683986647117e1df25037b33957fbbbdf0bd7b52c4303cce13"

SMALL = dict(min_size=128, max_size=128, rpn_pre_nms_top_n_train=200,
             rpn_post_nms_top_n_train=40, rpn_pre_nms_top_n_test=200, rpn_post_nms_top_n_test=40,
             box_batch_size_per_image=32, rpn_batch_size_per_image=64)


def _digest(model):
    sd = model.state_dict()
    lines = [f"{k}:{tuple(sd[k].shape)}" for k in sorted(sd)]
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _count(model, trainable=False):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable)


@pytest.fixture
def fake_backbone_weights(monkeypatch):
    """ResNet50_Weights serve a locally built random state_dict (no download)."""
    sd = resnet50().state_dict()
    monkeypatch.setattr(ResNet50_Weights, "get_state_dict", lambda self, *a, **k: sd)
    return sd


def test_untrained_architecture_matches_torchvision():
    m = fasterrcnn_resnet50_fpn(weights_backbone=None)
    assert _count(m) == BN_PARAMS and _count(m, trainable=True) == BN_PARAMS
    assert _digest(m) == (BN_KEYS, BN_DIGEST)
    assert isinstance(m.backbone.body.bn1, nn.BatchNorm2d)


def test_pretrained_architecture_matches_torchvision(fake_backbone_weights):
    m = fasterrcnn_resnet50_fpn()  # default weights_backbone=IMAGENET1K_V1 (served locally)
    assert _count(m) == FROZEN_PARAMS == FasterRCNN_ResNet50_FPN_Weights.COCO_V1.meta[
        "num_params"]
    assert _count(m, trainable=True) == FROZEN_TRAINABLE
    assert _digest(m) == (FROZEN_KEYS, FROZEN_DIGEST)
    assert isinstance(m.backbone.body.bn1, FrozenBatchNorm2d)
    frozen = [n for n, p in m.named_parameters() if not p.requires_grad]
    assert all(n.startswith(("backbone.body.conv1", "backbone.body.layer1")) for n in frozen)
    assert len(frozen) == 11
    ember.testing.assert_close(m.backbone.body.conv1.weight.detach(),
                               fake_backbone_weights["conv1.weight"])
    assert "fc.weight" not in dict(m.named_parameters())
    assert m.state_dict()["rpn.head.conv.0.0.weight"].shape == (256, 256, 3, 3)
    assert m.state_dict()["roi_heads.box_head.fc6.weight"].shape == (1024, 256 * 7 * 7)
    assert m.state_dict()["roi_heads.box_predictor.bbox_pred.weight"].shape == (364, 1024)


def test_v2_architecture_matches_torchvision():
    m = fasterrcnn_resnet50_fpn_v2()
    assert _count(m) == V2_PARAMS == FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1.meta["num_params"]
    assert _digest(m) == (V2_KEYS, V2_DIGEST)
    w = FasterRCNN_ResNet50_FPN_V2_Weights.DEFAULT
    assert w.url == ("https://download.pytorch.org/models/"
                     "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth")
    assert w.meta["_metrics"] == {"COCO-val2017": {"box_map": 46.7}}
    assert len(w.meta["categories"]) == 91 and w.meta["min_size"] == (1, 1)
    assert isinstance(m.backbone.fpn.inner_blocks[0][1], nn.BatchNorm2d)


def test_v2_small_train_step():
    m = fasterrcnn_resnet50_fpn_v2(num_classes=3, **SMALL).train()
    target = [{"boxes": ember.tensor([[10.0, 20.0, 60.0, 80.0]]), "labels": ember.tensor([2])}]
    losses = m([ember.rand(3, 96, 96)], target)
    assert all(math.isfinite(v.item()) for v in losses.values())
    sum(losses.values()).backward()
    assert m.roi_heads.box_head[0][0].weight.grad.abs().sum().item() > 0
    m.eval()
    with ember.no_grad():
        out = m([ember.rand(3, 96, 96)])
    assert out[0]["boxes"].shape[1] == 4


def test_trainable_backbone_layers(fake_backbone_weights):
    m = fasterrcnn_resnet50_fpn(trainable_backbone_layers=5)
    assert all(p.requires_grad for p in m.parameters())
    m = fasterrcnn_resnet50_fpn(trainable_backbone_layers=0)
    assert not any(p.requires_grad for p in m.backbone.body.parameters())
    with pytest.raises(ValueError, match=r"range \[0,5\], got 6"):
        fasterrcnn_resnet50_fpn(trainable_backbone_layers=6)
    with pytest.warns(UserWarning, match="has no effect"):
        m = fasterrcnn_resnet50_fpn(weights_backbone=None, trainable_backbone_layers=2)
    assert all(p.requires_grad for p in m.parameters())


def test_weights_enum_facts():
    w = FasterRCNN_ResNet50_FPN_Weights.COCO_V1
    assert FasterRCNN_ResNet50_FPN_Weights.DEFAULT is w
    assert w.url == "https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth"
    assert w.meta["min_size"] == (1, 1)
    assert w.meta["_metrics"] == {"COCO-val2017": {"box_map": 37.0}}
    cats = w.meta["categories"]
    assert len(cats) == 91 and cats[:3] == ["__background__", "person", "bicycle"]
    assert cats[12] == "N/A" and cats[-1] == "toothbrush"
    assert w.transforms()(ember.full((3, 2, 2), 255, dtype=ember.uint8)).max().item() == 1.0
    assert models.get_model_weights("fasterrcnn_resnet50_fpn") is FasterRCNN_ResNet50_FPN_Weights
    assert models.get_weight("FasterRCNN_ResNet50_FPN_Weights.COCO_V1") is w
    assert models.list_models(models.detection) == ["fasterrcnn_resnet50_fpn",
                                                    "fasterrcnn_resnet50_fpn_v2"]


def test_load_coco_weights(monkeypatch):
    src = FasterRCNN(_resnet_fpn_extractor(resnet50(norm_layer=FrozenBatchNorm2d), 3), 91)
    sd = src.state_dict()
    calls = []

    def fake(self, *args, **kwargs):
        calls.append(kwargs)
        return sd
    monkeypatch.setattr(FasterRCNN_ResNet50_FPN_Weights, "get_state_dict", fake)
    m = models.get_model("fasterrcnn_resnet50_fpn", weights="COCO_V1")
    assert calls == [{"progress": True, "check_hash": True}]
    ember.testing.assert_close(m.roi_heads.box_predictor.cls_score.weight.detach(),
                               sd["roi_heads.box_predictor.cls_score.weight"])
    assert m.backbone.body.bn1.eps == 0.0  # the old checkpoint's FrozenBatchNorm2d eps
    with pytest.raises(ValueError, match="'num_classes' expected value 91 but got 5"):
        fasterrcnn_resnet50_fpn(weights="COCO_V1", num_classes=5)


def test_resnet_fpn_backbone_outputs():
    b = resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=5,
                            returned_layers=[2, 4])
    out = b(ember.zeros(1, 3, 64, 64))
    assert [(k, tuple(v.shape)) for k, v in out.items()] == [
        ("0", (1, 256, 8, 8)), ("1", (1, 256, 2, 2)), ("pool", (1, 256, 1, 1))]
    assert b.out_channels == 256
    with pytest.raises(ValueError, match="returned layer should be in the range"):
        resnet_fpn_backbone(backbone_name="resnet18", weights=None, returned_layers=[0, 1])
    with pytest.raises(ValueError, match="Trainable layers should be in the range"):
        resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=-1)
    with pytest.raises(ValueError, match="unknown backbone_name"):
        resnet_fpn_backbone(backbone_name="vgg11", weights=None)


class _TinyBackbone(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=8, padding=1)
        self.out_channels = 8

    def forward(self, x):
        return ember.relu(self.conv(x))


def _tiny(**kw):
    ember.manual_seed(0)
    args = dict(num_classes=4, min_size=64, max_size=64,
                rpn_anchor_generator=AnchorGenerator(((16, 32),), ((0.5, 1.0, 2.0),)),
                box_roi_pool=MultiScaleRoIAlign(["0"], 7, 2), rpn_pre_nms_top_n_train=100,
                rpn_post_nms_top_n_train=20, rpn_pre_nms_top_n_test=100,
                rpn_post_nms_top_n_test=20, box_batch_size_per_image=16,
                box_score_thresh=0.0)
    args.update(kw)
    return FasterRCNN(_TinyBackbone(), **args)


TARGETS = [{"boxes": ember.tensor([[4.0, 6.0, 30.0, 40.0], [20.0, 10.0, 50.0, 30.0]]),
            "labels": ember.tensor([1, 3])},
           {"boxes": ember.zeros(0, 4), "labels": ember.zeros(0, dtype=ember.int64)}]


def test_tiny_train_losses_and_gradients():
    m = _tiny().train()
    images = [ember.rand(3, 48, 64), ember.rand(3, 64, 40)]
    losses = m(images, TARGETS)
    assert sorted(losses) == ["loss_box_reg", "loss_classifier", "loss_objectness",
                              "loss_rpn_box_reg"]
    assert all(v.dim() == 0 and math.isfinite(v.item()) for v in losses.values())
    assert losses["loss_classifier"].item() > 0 and losses["loss_objectness"].item() > 0
    sum(losses.values()).backward()
    for p in (m.roi_heads.box_predictor.cls_score.weight, m.roi_heads.box_head.fc6.weight,
              m.rpn.head.cls_logits.weight, m.rpn.head.bbox_pred.weight, m.backbone.conv.weight):
        assert p.grad is not None and p.grad.abs().sum().item() > 0


def test_tiny_eval_structure_and_coordinates():
    m = _tiny(box_detections_per_img=7).eval()
    with ember.no_grad():
        out = m([ember.rand(3, 48, 64), ember.rand(3, 32, 96)])
    assert len(out) == 2
    for det, (h, w) in zip(out, [(48, 64), (32, 96)], strict=False):
        assert sorted(det) == ["boxes", "labels", "scores"]
        k = det["boxes"].shape[0]
        assert 0 < k <= 7 and det["boxes"].shape == (k, 4)
        assert det["labels"].dtype == ember.int64 and det["scores"].dtype == ember.float32
        b = det["boxes"].numpy()
        assert (b[:, 0::2] <= w + 1e-4).all() and (b[:, 1::2] <= h + 1e-4).all()
        assert (b >= 0).all()
        labels = det["labels"].numpy()
        assert ((labels >= 1) & (labels <= 3)).all()
        s = det["scores"].numpy()
        assert (s[:-1] >= s[1:]).all()  # batched NMS keeps by decreasing score


def test_eval_with_nothing_above_threshold():
    m = _tiny(box_score_thresh=1.0).eval()
    with ember.no_grad():
        out = m([ember.rand(3, 40, 40)])
    assert out[0]["boxes"].shape == (0, 4) and out[0]["labels"].shape == (0,)


def test_training_input_errors():
    m = _tiny().train()
    img = [ember.rand(3, 32, 32)]
    with pytest.raises(AssertionError, match="targets should not be none"):
        m(img)
    with pytest.raises(AssertionError, match=r"shape \[N, 4\]"):
        m(img, [{"boxes": ember.zeros(4), "labels": ember.tensor([1])}])
    with pytest.raises(AssertionError, match="positive height and width"):
        m(img, [{"boxes": ember.tensor([[5.0, 5.0, 5.0, 9.0]]), "labels": ember.tensor([1])}])
    with pytest.raises(TypeError, match="labels must of int64 type"):
        m(img, [{"boxes": ember.tensor([[1.0, 1.0, 9.0, 9.0]]),
                 "labels": ember.tensor([1], dtype=ember.int32)}])


def test_constructor_errors():
    with pytest.raises(ValueError, match="out_channels"):
        FasterRCNN(nn.ReLU(), num_classes=2)
    with pytest.raises(ValueError, match="num_classes should be None"):
        _tiny(box_predictor=FastRCNNPredictor(1024, 4))
    with pytest.raises(ValueError, match="num_classes should not be None"):
        _tiny(num_classes=None)
    with pytest.raises(TypeError, match="rpn_anchor_generator should be of type"):
        _tiny(rpn_anchor_generator=object())
    with pytest.raises(TypeError, match="box_roi_pool should be of type"):
        _tiny(box_roi_pool=object())


def test_roi_heads_rejects_mask_branches():
    m = _tiny()
    r = m.roi_heads
    with pytest.raises(NotImplementedError, match="mask and keypoint"):
        RoIHeads(r.box_roi_pool, r.box_head, r.box_predictor, 0.5, 0.5, 16, 0.25, None, 0.05,
                 0.5, 100, mask_head=nn.ReLU())
    assert not r.has_mask() and not r.has_keypoint()


def test_heads():
    head = TwoMLPHead(8, 4)
    assert head(ember.zeros(3, 2, 2, 2)).shape == (3, 4)
    pred = FastRCNNPredictor(4, 3)
    s, d = pred(ember.zeros(2, 4, 1, 1))
    assert s.shape == (2, 3) and d.shape == (2, 12)
    with pytest.raises(ValueError, match=r"expecting the last two dimensions to be \[1,1\]"):
        pred(ember.zeros(2, 1, 2, 2))


def test_rpn_head_loads_version1_keys():
    src = RPNHead(4, 3)
    sd = {k.replace("conv.0.0.", "conv."): v for k, v in src.state_dict().items()}
    assert "conv.weight" in sd
    dst = RPNHead(4, 3)
    dst.load_state_dict(sd)
    ember.testing.assert_close(dst.conv[0][0].weight.detach(), src.conv[0][0].weight.detach())


def test_full_model_small_eval_and_train_step():
    m = fasterrcnn_resnet50_fpn(weights_backbone=None, num_classes=5, **SMALL).eval()
    with ember.no_grad():
        out = m([ember.rand(3, 100, 120)])
    assert out[0]["boxes"].shape[1] == 4 and out[0]["boxes"].shape[0] <= 100
    assert out[0]["boxes"].numpy()[:, 2].max() <= 120 + 1e-3
    m.train()
    target = [{"boxes": ember.tensor([[10.0, 20.0, 60.0, 80.0]]), "labels": ember.tensor([3])}]
    losses = m([ember.rand(3, 100, 120)], target)
    assert all(math.isfinite(v.item()) for v in losses.values())
    sum(losses.values()).backward()
    assert m.roi_heads.box_predictor.bbox_pred.weight.grad.abs().sum().item() > 0
    assert m.rpn.head.conv[0][0].weight.grad.abs().sum().item() > 0
    assert m.backbone.fpn.layer_blocks[0][0].weight.grad.abs().sum().item() > 0
    assert m.backbone.body.layer1[0].conv1.weight.grad.abs().sum().item() > 0
