"""Faster R-CNN against torchvision 0.28 (parity session only: EMBER_PARITY=1, torch installed).

torchvision's compiled ops do not load against this torch build, so its NMS is replaced by a
pure-torch greedy NMS written here (roi_align falls back to torchvision's python version).
"""

import os

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch") if os.environ.get("EMBER_PARITY") else None

pytestmark = [pytest.mark.parity,
              # NOTE: torch/torchvision's own deprecation notices while their modules load
              pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor:UserWarning"),
              pytest.mark.skipif(torch is None,
                                 reason="parity tests run in the parity session (EMBER_PARITY=1 "
                                        "with PyTorch installed)")]

SMALL = dict(min_size=128, max_size=128, rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=30,
             rpn_pre_nms_top_n_train=300, rpn_post_nms_top_n_train=30,
             box_batch_size_per_image=32, rpn_batch_size_per_image=64, box_score_thresh=0.0,
             box_detections_per_img=20)


@pytest.fixture(scope="module")
def tv(torchvision):
    from torchvision.ops import boxes as tvb

    def nms(boxes, scores, thr):
        order = scores.argsort(descending=True, stable=True)
        iou = tvb.box_iou(boxes[order], boxes[order]) > thr
        removed = torch.zeros(len(order), dtype=torch.bool)
        keep = []
        for i in range(len(order)):
            if not removed[i]:
                keep.append(i)
                removed |= iou[i]
        return order[torch.tensor(keep, dtype=torch.int64)]

    def batched_nms(boxes, scores, idxs, thr):
        if boxes.numel() == 0:
            return torch.empty((0,), dtype=torch.int64)
        offsets = idxs.to(boxes) * (boxes.max() + 1)
        return nms(boxes + offsets[:, None], scores, thr)

    saved = (tvb.nms, tvb.batched_nms)
    tvb.nms, tvb.batched_nms = nms, batched_nms
    yield torchvision
    tvb.nms, tvb.batched_nms = saved


def _pair(tv, frozen, v2=False):
    from torchvision.models import resnet50 as tv_resnet50
    from torchvision.models.detection import FasterRCNN as TvFasterRCNN
    from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor as tv_extract
    from torchvision.ops import FrozenBatchNorm2d as TvFrozen

    from embervision.models import resnet50
    from embervision.models.detection import FasterRCNN
    from embervision.models.detection.backbone_utils import _resnet_fpn_extractor
    from embervision.ops import FrozenBatchNorm2d
    torch.manual_seed(0)
    if v2:
        from torchvision.models.detection import fasterrcnn_resnet50_fpn_v2 as tvf2

        from embervision.models.detection import fasterrcnn_resnet50_fpn_v2
        tm, em = tvf2(**SMALL), fasterrcnn_resnet50_fpn_v2(**SMALL)
    elif frozen:
        tm = TvFasterRCNN(tv_extract(tv_resnet50(norm_layer=TvFrozen), 3), 91, **SMALL)
        em = FasterRCNN(_resnet_fpn_extractor(resnet50(norm_layer=FrozenBatchNorm2d), 3), 91,
                        **SMALL)
    else:
        from torchvision.models.detection import fasterrcnn_resnet50_fpn as tvf

        from embervision.models.detection import fasterrcnn_resnet50_fpn
        tm = tvf(weights=None, weights_backbone=None, **SMALL)
        em = fasterrcnn_resnet50_fpn(weights_backbone=None, **SMALL)
    sd = tm.state_dict()
    if frozen:  # realistic statistics so that activations stay in range
        for k, v in sd.items():
            if k.endswith("running_var"):
                v.uniform_(5.0, 20.0)
    tm.load_state_dict(sd)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def _images():
    rng = np.random.default_rng(0)
    return [rng.random((3, 96, 120), dtype=np.float32), rng.random((3, 80, 64), dtype=np.float32)]


@pytest.mark.parametrize("frozen,v2", [(True, False), (False, False), (False, True)],
                         ids=["frozen_bn", "batch_norm", "v2"])
def test_eval_detections_match(tv, frozen, v2):
    tm, em = _pair(tv, frozen, v2)
    tm.eval()
    em.eval()
    imgs = _images()
    with torch.no_grad():
        ref = tm([torch.from_numpy(i) for i in imgs])
    with ember.no_grad():
        out = em([ember.tensor(i) for i in imgs])
    for r, o in zip(ref, out, strict=False):
        assert o["labels"].tolist() == r["labels"].tolist()
        np.testing.assert_allclose(o["scores"].numpy(), r["scores"].numpy(), atol=1e-4)
        np.testing.assert_allclose(o["boxes"].numpy(), r["boxes"].numpy(), atol=1e-2)


def test_train_losses_match_with_deterministic_sampling(tv, monkeypatch):
    monkeypatch.setattr(torch, "randperm",
                        lambda n, **k: torch.arange(n, device=k.get("device")))
    monkeypatch.setattr(ember, "randperm",
                        lambda n, **k: ember.arange(n, device=k.get("device")))
    tm, em = _pair(tv, frozen=True)
    tm.train()
    em.train()
    imgs = _images()
    boxes = [[[10.0, 20.0, 60.0, 80.0], [30.0, 5.0, 100.0, 50.0]], [[5.0, 5.0, 40.0, 60.0]]]
    labels = [[3, 7], [1]]
    ref = tm([torch.from_numpy(i) for i in imgs],
             [{"boxes": torch.tensor(b), "labels": torch.tensor(lab)}
              for b, lab in zip(boxes, labels, strict=False)])
    out = em([ember.tensor(i) for i in imgs],
             [{"boxes": ember.tensor(b), "labels": ember.tensor(lab)}
              for b, lab in zip(boxes, labels, strict=False)])
    assert sorted(out) == sorted(ref)
    for k in ref:
        assert out[k].item() == pytest.approx(ref[k].item(), rel=1e-3, abs=1e-5), k
    sum(ref.values()).backward()
    sum(out.values()).backward()
    tp, ep = dict(tm.named_parameters()), dict(em.named_parameters())
    for name in ("roi_heads.box_predictor.cls_score.weight", "rpn.head.bbox_pred.weight",
                 "backbone.fpn.inner_blocks.3.0.weight"):
        np.testing.assert_allclose(ep[name].grad.numpy(), tp[name].grad.numpy(), rtol=1e-2,
                                   atol=1e-4)


def test_anchors_and_transform_match(tv):
    from torchvision.models.detection.anchor_utils import AnchorGenerator as TvAnchors
    from torchvision.models.detection.transform import GeneralizedRCNNTransform as TvTransform

    from embervision.models.detection import AnchorGenerator, GeneralizedRCNNTransform
    sizes, ratios = ((32,), (64,), (128,)), ((0.5, 1.0, 2.0),) * 3
    args = (100, 160, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    tt, et = TvTransform(*args).eval(), GeneralizedRCNNTransform(*args).eval()
    imgs = _images()
    til, _ = tt([torch.from_numpy(i) for i in imgs])
    eil, _ = et([ember.tensor(i) for i in imgs])
    assert eil.image_sizes == [tuple(s) for s in til.image_sizes]
    np.testing.assert_allclose(eil.tensors.numpy(), til.tensors.numpy(), atol=1e-4)
    shapes = [(16, 20), (8, 10), (4, 5)]
    ta = TvAnchors(sizes, ratios)(til, [torch.zeros(2, 1, *s) for s in shapes])
    ea = AnchorGenerator(sizes, ratios)(eil, [ember.zeros(2, 1, *s) for s in shapes])
    for a, b in zip(ea, ta, strict=False):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
