"""Building-block layers and losses of embervision.ops against numpy references."""

import doctest
import importlib
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck
from embervision import ops


def test_conv2d_norm_activation_layout():
    m = ops.Conv2dNormActivation(3, 8, kernel_size=5, stride=2, dilation=2)
    assert [type(c).__name__ for c in m] == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert m[0].padding == (4, 4) and m[0].bias is None and m.out_channels == 8
    m = ops.Conv2dNormActivation(3, 8, kernel_size=(1, 3), norm_layer=None, activation_layer=None)
    assert len(m) == 1 and m[0].padding == (0, 1) and m[0].bias is not None
    assert list(ops.Conv3dNormActivation(1, 2).state_dict())[:2] == ["0.weight", "1.weight"]


def test_frozen_batchnorm_formula_and_loading():
    rng = np.random.default_rng(0)
    m = ops.FrozenBatchNorm2d(3, eps=1e-3)
    bn = nn.BatchNorm2d(3)
    sd = {k: ember.from_numpy(rng.uniform(0.5, 1.5, 3).astype(np.float32))
          for k in ("weight", "bias", "running_mean", "running_var")}
    sd["num_batches_tracked"] = ember.tensor(7)
    bn.load_state_dict(sd)
    m.load_state_dict(bn.state_dict())  # the counter is dropped, not an unexpected key
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    v = {k: t.numpy()[None, :, None, None] for k, t in sd.items() if k != "num_batches_tracked"}
    ref = (x - v["running_mean"]) / np.sqrt(v["running_var"] + 1e-3) * v["weight"] + v["bias"]
    np.testing.assert_allclose(m(ember.from_numpy(x)).numpy(), ref, rtol=1e-5, atol=1e-6)
    assert not list(m.parameters())


def test_squeeze_excitation_value():
    se = ops.SqueezeExcitation(2, 1)
    with ember.no_grad():
        se.fc1.weight.fill_(1.0)
        se.fc1.bias.fill_(0.0)
        se.fc2.weight.copy_(ember.tensor([[[[1.0]]], [[[-1.0]]]]))
        se.fc2.bias.fill_(0.0)
    x = ember.tensor([[[[1.0, 3.0]], [[2.0, 2.0]]]])  # channel means 2 and 2
    s = 1 / (1 + np.exp(-4.0))
    ref = [[[[s, 3 * s]], [[2 * (1 - s), 2 * (1 - s)]]]]
    np.testing.assert_allclose(se(x).detach().numpy(), ref, rtol=1e-6)


def test_mlp_layout_and_errors():
    m = ops.MLP(4, [8, 3], norm_layer=nn.LayerNorm, dropout=0.1)
    assert [type(c).__name__ for c in m] == ["Linear", "LayerNorm", "ReLU", "Dropout", "Linear",
                                             "Dropout"]
    with pytest.raises(ValueError, match="at least one layer"):
        ops.MLP(4, [])


def test_fpn_top_down_by_hand():
    fpn = ops.FeaturePyramidNetwork([1, 2], 1, extra_blocks=ops.feature_pyramid_network
                                    .LastLevelMaxPool())
    with ember.no_grad():
        for blk in list(fpn.inner_blocks) + list(fpn.layer_blocks):
            blk[0].weight.zero_()
            blk[0].bias.zero_()
        fpn.inner_blocks[0][0].weight.fill_(1.0)        # lateral of level 0: identity
        fpn.inner_blocks[1][0].weight.fill_(0.5)        # lateral of level 1: mean-ish sum
        for blk in fpn.layer_blocks:                    # output convs: centre tap only
            blk[0].weight[0, 0, 1, 1] = 1.0
    c0 = ember.arange(16.0).reshape(1, 1, 4, 4)
    c1 = ember.ones(1, 2, 2, 2)
    out = fpn(OrderedDict(a=c0, b=c1))
    assert list(out) == ["a", "b", "pool"]
    np.testing.assert_allclose(out["b"].detach().numpy(), np.ones((1, 1, 2, 2)))
    # nearest upsampling of the 2x2 top level adds 1 everywhere
    np.testing.assert_allclose(out["a"].detach().numpy(), c0.numpy() + 1)
    assert tuple(out["pool"].shape) == (1, 1, 1, 1)
    with pytest.raises(ValueError, match="in_channels=0"):
        ops.FeaturePyramidNetwork([0, 2], 4)
    with pytest.raises(TypeError, match="ExtraFPNBlock"):
        ops.FeaturePyramidNetwork([1], 4, extra_blocks=nn.ReLU())


def test_fpn_p6p7():
    blk = ops.feature_pyramid_network.LastLevelP6P7(4, 4)
    p, names = blk([ember.zeros(1, 4, 8, 8)], [ember.zeros(1, 4, 8, 8)], ["p5"])
    assert names == ["p5", "p6", "p7"] and tuple(p[-1].shape) == (1, 4, 2, 2)


def _focal_ref(x, y, alpha, gamma):
    p = 1 / (1 + np.exp(-x))
    ce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss


@pytest.mark.parametrize("alpha,gamma", [(0.25, 2), (-1, 0), (0.5, 1.5)])
def test_sigmoid_focal_loss(alpha, gamma):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((3, 4)), (rng.uniform(size=(3, 4)) > 0.5).astype(np.float64)
    ref = _focal_ref(x, y, alpha, gamma)
    xt, yt = ember.from_numpy(x), ember.from_numpy(y)
    np.testing.assert_allclose(ops.sigmoid_focal_loss(xt, yt, alpha, gamma).numpy(), ref,
                               rtol=1e-10)
    assert ops.sigmoid_focal_loss(xt, yt, alpha, gamma, "sum").item() == pytest.approx(ref.sum())
    assert ops.sigmoid_focal_loss(xt, yt, alpha, gamma, "mean").item() == \
        pytest.approx(ref.mean())
    assert gradcheck(lambda t: ops.sigmoid_focal_loss(t, yt, alpha, gamma), (xt.requires_grad_(),))
    with pytest.raises(ValueError, match="Invalid Value for arg 'reduction'"):
        ops.sigmoid_focal_loss(xt, yt, reduction="max")


def test_stochastic_depth():
    x = ember.ones(400, 3)
    ember.manual_seed(0)
    y = ops.stochastic_depth(x, 0.25, "row").numpy()
    kept = y[:, 0] != 0
    assert set(np.unique(y).tolist()) <= {0.0, float(np.float32(1 / 0.75))}
    assert (y == y[:, :1]).all()  # whole rows
    assert 0.6 < kept.mean() < 0.9
    b = ops.stochastic_depth(x, 0.5, "batch").numpy()
    assert len(np.unique(b)) == 1
    assert ops.stochastic_depth(x, 0.5, "row", training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        ops.stochastic_depth(x, 1.5, "row")
    with pytest.raises(ValueError, match="'batch' or 'row'"):
        ops.StochasticDepth(0.1, "col")(x)


def test_drop_block():
    x = ember.ones(2, 3, 8, 8)
    assert ops.drop_block2d(x, 0.3, 3, training=False) is x
    ember.manual_seed(0)
    y = ops.DropBlock2d(0.3, 3)(x).numpy()
    kept = y != 0
    assert 0 < kept.mean() < 1
    # survivors are rescaled by numel / kept
    np.testing.assert_allclose(y[kept], y.size / kept.sum(), rtol=1e-5)
    assert tuple(ops.drop_block3d(ember.ones(1, 1, 4, 4, 4), 0.2, 3).shape) == (1, 1, 4, 4, 4)
    with pytest.raises(ValueError, match="block size should be odd"):
        ops.drop_block3d(ember.ones(1, 1, 4, 4, 4), 0.2, 2)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ops.drop_block2d(x, -0.1, 3)
    with pytest.raises(ValueError, match="input should be 4 dimensional"):
        ops.drop_block2d(ember.ones(2, 3), 0.1, 3)


MODULES = ["embervision.ops.boxes", "embervision.ops.box_iou_loss", "embervision.ops.roi_align",
           "embervision.ops.roi_pool",
           "embervision.ops.poolers", "embervision.ops.feature_pyramid_network",
           "embervision.ops.focal_loss", "embervision.ops.drop_block", "embervision.ops.misc",
           "embervision.ops.stochastic_depth", "embervision.feature_extraction",
           "embervision.transforms._presets", "embervision.models._api",
           "embervision.models._utils", "embervision.models.alexnet",
           "embervision.models.squeezenet", "embervision.models.densenet",
           "embervision.models.mobilenetv2", "embervision.models.googlenet",
           "embervision.models.resnet", "embervision.models.vgg"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), extraglobs={"ember": ember},
                             optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
