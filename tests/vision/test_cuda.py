"""embervision on a GPU (``cuda`` marker): models, ops and tensor transforms give the CPU's
results to float32 rounding when their inputs live on the GPU."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from embervision import models, ops
from embervision.transforms import functional as F
from embervision.transforms import v2

pytestmark = pytest.mark.cuda


def _close(gpu, cpu, tol=1e-4):
    assert gpu.device.type == "cuda"
    np.testing.assert_allclose(gpu.detach().cpu().numpy(), cpu.detach().numpy(),
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("builder,size", [
    ("resnet18", 64), ("mobilenet_v3_small", 64), ("densenet121", 64), ("efficientnet_b0", 64),
    ("convnext_tiny", 64), ("swin_t", 64), ("vit_b_32", 64)])
def test_classifier_forward_and_backward_match_cpu(builder, size):
    ember.manual_seed(0)
    extra = {"image_size": size} if builder.startswith("vit") else {}
    model = models.get_model(builder, num_classes=10, **extra).eval()
    x = ember.randn(1, 3, size, size)
    cpu = model(x)
    cpu.square().sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model.cuda()
    gpu = model(x.cuda())
    _close(gpu, cpu, 2e-3)
    gpu.square().sum().backward()
    for p, g in zip(model.parameters(), grads, strict=True):
        _close(p.grad, g, 5e-3)


def test_train_step_on_gpu_moves_batchnorm_statistics():
    ember.manual_seed(0)
    model = models.resnet18(num_classes=10).cuda().train()
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = ember.randn(4, 3, 64, 64, device="cuda"), ember.tensor([1, 2, 3, 4], device="cuda")
    before = model.bn1.running_mean.clone()
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = ember.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert model.bn1.running_mean.device.type == "cuda"
    assert not ember.equal(model.bn1.running_mean, before)
    assert losses[-1] < losses[0]


def test_detection_model_runs_on_gpu():
    ember.manual_seed(0)
    model = models.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None,
                                                     num_classes=3, min_size=128, max_size=128)
    model.eval()
    img = ember.rand(3, 128, 160)
    cpu = model([img])[0]
    gpu = model.cuda()([img.cuda()])[0]
    assert gpu["boxes"].device.type == "cuda"
    assert gpu["boxes"].shape == cpu["boxes"].shape
    _close(gpu["scores"], cpu["scores"], 1e-3)


def test_box_ops_match_cpu():
    g = ember.Generator().manual_seed(0)
    xy = ember.rand(200, 2, generator=g) * 100
    boxes = ember.cat([xy, xy + 5 + ember.rand(200, 2, generator=g) * 30], 1)
    scores = ember.rand(200, generator=g)
    idx = ember.randint(0, 3, (200,), generator=g)
    assert ops.nms(boxes.cuda(), scores.cuda(), 0.5).cpu().tolist() == \
        ops.nms(boxes, scores, 0.5).tolist()
    assert ops.batched_nms(boxes.cuda(), scores.cuda(), idx.cuda(), 0.5).cpu().tolist() == \
        ops.batched_nms(boxes, scores, idx, 0.5).tolist()
    _close(ops.box_iou(boxes.cuda(), boxes[:7].cuda()), ops.box_iou(boxes, boxes[:7]))
    _close(ops.generalized_box_iou(boxes.cuda(), boxes.cuda()),
           ops.generalized_box_iou(boxes, boxes))


def test_roi_align_forward_and_backward_match_cpu():
    g = ember.Generator().manual_seed(1)
    feats = ember.randn(2, 4, 16, 16, generator=g)
    rois = ember.tensor([[0, 1.0, 1.0, 9.0, 12.0], [1, 3.5, 2.0, 15.0, 8.0]])
    out = {}
    for dev in ("cpu", "cuda"):
        f = feats.to(dev).detach().requires_grad_()  # a leaf of its own per device
        y = ops.roi_align(f, rois.to(dev), (5, 5), spatial_scale=1.0, sampling_ratio=2,
                          aligned=True)
        y.square().sum().backward()
        out[dev] = (y, f.grad)
    _close(out["cuda"][0], out["cpu"][0])
    _close(out["cuda"][1], out["cpu"][1])
    _close(ops.roi_pool(feats.cuda(), rois.cuda(), 3), ops.roi_pool(feats, rois, 3))


def test_tensor_transforms_match_cpu():
    img = ember.randint(0, 256, (3, 40, 50), dtype=ember.uint8)
    cases = [
        lambda t: F.resize(t, [20, 31], antialias=True),
        lambda t: F.rotate(t, 30.0),
        lambda t: F.affine(t, 10.0, [2, 3], 1.1, [5.0, 0.0]),
        lambda t: F.adjust_hue(t, 0.2),
        lambda t: F.gaussian_blur(t, [5, 5], [1.5, 1.5]),
        lambda t: F.equalize(t),
        lambda t: F.normalize(F.convert_image_dtype(t, ember.float32), [0.5] * 3, [0.2] * 3),
        lambda t: v2.functional.perspective(t, [[0, 0], [49, 0], [49, 39], [0, 39]],
                                            [[2, 1], [45, 3], [48, 37], [1, 36]]),
    ]
    for fn in cases:
        cpu, gpu = fn(img), fn(img.cuda())
        assert gpu.dtype == cpu.dtype
        # uint8 results may differ by one level where float rounding lands on .5
        _close(gpu.float(), cpu.float(), 1.0 if cpu.dtype == ember.uint8 else 1e-4)
