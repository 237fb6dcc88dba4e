"""Same weights, same logits: torchvision 0.28 vs embervision, one model per family.

Runs in the parity session (EMBER_PARITY=1 with PyTorch and torchvision installed). The
torchvision model's random-init state_dict is perturbed (so BN statistics and zero-initialised
heads matter), loaded into the ember model, and both run the same input in eval mode.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import ember
import embervision.models as M
from embervision import ops

torch = pytest.importorskip("torch") if os.environ.get("EMBER_PARITY") else None

pytestmark = [pytest.mark.parity,
              pytest.mark.skipif(torch is None,
                                 reason="parity tests run in the parity session (EMBER_PARITY=1 "
                                        "with PyTorch installed)")]




FAMILIES = {"resnet18": 64, "resnext50_32x4d": 64, "alexnet": 64, "vgg11_bn": 32,
            "squeezenet1_0": 64, "squeezenet1_1": 64, "densenet121": 64, "mobilenet_v2": 64,
            "mobilenet_v3_small": 64, "mobilenet_v3_large": 64, "efficientnet_b0": 64,
            "efficientnet_v2_s": 64, "shufflenet_v2_x0_5": 64, "mnasnet0_5": 64,
            "googlenet": 64, "inception_v3": 80, "regnet_y_400mf": 64, "regnet_x_400mf": 64,
            "convnext_tiny": 64, "vit_b_32": 224, "swin_t": 64, "swin_v2_t": 64}


def _perturbed(model):
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for k, v in model.state_dict().items():
            if not v.is_floating_point():
                continue
            if k.endswith("running_var"):
                v.copy_(torch.rand(v.shape, generator=g) + 0.5)
            elif k.endswith("running_mean"):
                v.copy_(0.1 * torch.randn(v.shape, generator=g))
            else:
                v.add_(0.02 * torch.randn(v.shape, generator=g))
    return {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_logits_match_torchvision(name, torchvision):
    tv = torchvision
    torch.manual_seed(0)
    kwargs = {"aux_logits": False, "init_weights": True} \
        if name in ("googlenet", "inception_v3") else {}
    t = tv.models.get_model(name, **kwargs).eval()
    e = M.get_model(name, **kwargs).eval()
    e.load_state_dict(_perturbed(t))
    side = FAMILIES[name]
    x = np.random.default_rng(0).standard_normal((2, 3, side, side)).astype(np.float32)
    with torch.no_grad():
        ref = t(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        got = e(ember.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


@pytest.mark.parametrize("name", ["fcn_resnet50", "deeplabv3_mobilenet_v3_large",
                                  "lraspp_mobilenet_v3_large"])
def test_segmentation_matches_torchvision(name, torchvision):
    tv = torchvision
    torch.manual_seed(0)
    kwargs = {"weights_backbone": None, "num_classes": 5}
    if "lraspp" not in name:
        kwargs["aux_loss"] = True
    t = tv.models.get_model(name, **kwargs).eval()
    e = M.get_model(name, **kwargs).eval()
    e.load_state_dict(_perturbed(t))
    x = np.random.default_rng(0).standard_normal((1, 3, 67, 61)).astype(np.float32)
    with torch.no_grad():
        ref = t(torch.from_numpy(x))
    with ember.no_grad():
        got = e(ember.from_numpy(x))
    assert list(got) == list(ref)
    for k in ref:
        r = ref[k].numpy()
        np.testing.assert_allclose(got[k].numpy(), r, rtol=1e-4, atol=1e-4 * np.abs(r).max())


def test_python_ops_match_torchvision(torchvision):
    tv = torchvision
    from torchvision.ops import boxes as tvb  # pure-Python parts (nms is a C op, not here)
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 50, (20, 2))
    b = np.concatenate([xy, xy + rng.uniform(1, 20, (20, 2))], 1)
    tb, eb = torch.from_numpy(b), ember.from_numpy(b)
    for fn in ("box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"):
        np.testing.assert_allclose(getattr(ops, fn)(eb, eb).numpy(),
                                   getattr(tvb, fn)(tb, tb).numpy(), rtol=1e-10, atol=1e-12)
    b2 = torch.from_numpy(b[::-1].copy())
    for fn in ("generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"):
        np.testing.assert_allclose(getattr(ops, fn)(eb, ember.from_numpy(b2.numpy())).numpy(),
                                   getattr(tv.ops, fn)(tb, b2).numpy(), rtol=1e-10, atol=1e-12)
    for a, c in (("xyxy", "cxcywh"), ("xywh", "xyxy"), ("cxcywh", "xywh")):
        np.testing.assert_allclose(ops.box_convert(eb, a, c).numpy(),
                                   tvb.box_convert(tb, a, c).numpy())
    x, y = rng.standard_normal((4, 5)), (rng.uniform(size=(4, 5)) > 0.5) * 1.0
    np.testing.assert_allclose(
        ops.sigmoid_focal_loss(ember.from_numpy(x), ember.from_numpy(y)).numpy(),
        tv.ops.sigmoid_focal_loss(torch.from_numpy(x), torch.from_numpy(y)).numpy(), rtol=1e-10)
