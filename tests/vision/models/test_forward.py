"""Each model family runs a forward pass at its minimum input size; training-mode outputs;
helpers checked against hand-derived values."""

import numpy as np
import pytest

import ember
import embervision.models as M
from embervision.models import segmentation
from embervision.models._utils import (
    IntermediateLayerGetter,
    _make_divisible,
    _ovewrite_named_param,
)
from embervision.models.densenet import _remap_densenet_keys
from embervision.models.regnet import BlockParams
from embervision.models.shufflenetv2 import channel_shuffle

# (builder kwargs, input side) - the side is the weights' published ``min_size``
CASES = {
    "resnet18": ({}, 1), "resnext50_32x4d": ({}, 1), "alexnet": ({}, 63),
    "squeezenet1_0": ({}, 21), "squeezenet1_1": ({}, 17), "densenet121": ({}, 29),
    "mobilenet_v2": ({}, 1), "mobilenet_v3_small": ({}, 1), "mobilenet_v3_large": ({}, 1),
    "efficientnet_b0": ({}, 1), "efficientnet_v2_s": ({}, 33), "shufflenet_v2_x0_5": ({}, 1),
    "mnasnet0_5": ({}, 1), "googlenet": ({"init_weights": False}, 15),
    "inception_v3": ({"init_weights": False}, 75), "regnet_y_400mf": ({}, 1),
    "regnet_x_400mf": ({}, 1), "convnext_tiny": ({}, 32), "vit_b_32": ({"image_size": 64}, 64),
    "swin_t": ({}, 40), "swin_v2_t": ({}, 40),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_at_min_size(name, fast_init):
    kwargs, side = CASES[name]
    model = M.get_model(name, num_classes=7, **kwargs).eval()
    x = ember.randn(2, 3, side, side)
    with ember.no_grad():
        y = model(x)
    assert tuple(y.shape) == (2, 7)
    assert y.dtype == ember.float32
    assert bool(ember.isfinite(y).all())


def test_min_size_is_the_published_one():
    for name, (_, side) in CASES.items():
        if name in ("vit_b_32", "swin_t", "swin_v2_t"):
            continue  # ViT is built for 64x64 here; Swin pads smaller inputs to whole windows
        min_size = M.get_model_weights(name).DEFAULT.meta["min_size"]
        assert side >= min_size[0], name


def test_resnet18_backward_reaches_every_parameter():
    model = M.resnet18(num_classes=3)
    loss = model(ember.randn(2, 3, 32, 32)).sum()
    loss.backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())


def test_googlenet_and_inception_training_outputs():
    g = M.googlenet(num_classes=5, init_weights=False).train()
    out = g(ember.randn(2, 3, 64, 64))
    assert type(out).__name__ == "GoogLeNetOutputs"
    assert [tuple(t.shape) for t in out] == [(2, 5)] * 3
    # NOTE: the aux head needs the 17x17 Mixed_6e map of a 299x299 input: test it directly
    aux = M.inception.InceptionAux(768, 4)
    assert tuple(aux(ember.randn(2, 768, 17, 17)).shape) == (2, 4)
    i = M.inception_v3(num_classes=4, aux_logits=False, init_weights=False).train()
    assert tuple(i(ember.randn(2, 3, 75, 75)).shape) == (2, 4)


def test_googlenet_warns_without_init_weights():
    with pytest.warns(FutureWarning, match="init_weights=True"):
        M.GoogLeNet(aux_logits=False)


def test_vit_zero_head_and_size_checks(fast_init):
    m = M.vit_b_32(image_size=32).eval()
    with ember.no_grad():
        y = m(ember.randn(1, 3, 32, 32))
    # NOTE: the head is zero-initialised, so fresh logits are exactly zero
    assert float(y.abs().max()) == 0.0
    with pytest.raises(ValueError, match="wrong image size"):
        m(ember.randn(1, 3, 64, 64))
    with pytest.raises(ValueError, match="indivisible by patch size"):
        M.vit_b_32(image_size=40)


def test_zero_init_residual_makes_blocks_identity():
    m = M.resnet18(zero_init_residual=True)
    blk = m.layer1[0].eval()
    x = ember.rand(1, 64, 5, 5)  # non-negative, so relu(x + 0) == x
    with ember.no_grad():
        np.testing.assert_allclose(blk(x).numpy(), x.numpy(), rtol=0, atol=0)


@pytest.mark.parametrize("name,aux", [("fcn_resnet50", True), ("deeplabv3_mobilenet_v3_large",
                                                                True),
                                      ("lraspp_mobilenet_v3_large", None)])
def test_segmentation_outputs(name, aux):
    kwargs = {"weights_backbone": None, "num_classes": 3}
    if aux:
        kwargs["aux_loss"] = True
    model = M.get_model(name, **kwargs).eval()
    with ember.no_grad():
        out = model(ember.randn(1, 3, 37, 45))
    assert list(out) == (["out", "aux"] if aux else ["out"])
    assert all(tuple(v.shape) == (1, 3, 37, 45) for v in out.values())


def test_segmentation_argument_errors():
    with pytest.raises(NotImplementedError, match="auxiliary loss"):
        segmentation.lraspp_mobilenet_v3_large(weights_backbone=None, aux_loss=True)
    with pytest.raises(ValueError, match="'num_classes' expected value 21"):
        segmentation.fcn_resnet50(weights="DEFAULT", num_classes=3)


def test_make_divisible_by_hand():
    assert _make_divisible(32 * 0.75, 8) == 24
    assert _make_divisible(10, 8) == 16  # 8 would lose more than 10 %
    assert _make_divisible(3, 8) == 8
    assert _make_divisible(1280 * 1.1, 8) == 1408


def test_ovewrite_named_param():
    kw = {}
    _ovewrite_named_param(kw, "num_classes", 10)
    assert kw == {"num_classes": 10}
    _ovewrite_named_param(kw, "num_classes", 10)
    with pytest.raises(ValueError, match="'num_classes' expected value 11 but got 10"):
        _ovewrite_named_param(kw, "num_classes", 11)


def test_regnet_block_params_match_the_paper():
    # RegNetY-400MF (Radosavovic et al. 2020, table in appendix): widths and depths per stage
    p = BlockParams.from_init_params(depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8,
                                     se_ratio=0.25)
    assert p.depths == [1, 3, 6, 6]
    assert p.widths == [48, 104, 208, 440]
    with pytest.raises(ValueError, match="Invalid RegNet settings"):
        BlockParams.from_init_params(depth=4, w_0=30, w_a=1.0, w_m=2.0, group_width=8)


def test_channel_shuffle_by_hand():
    x = ember.arange(6.).reshape(1, 6, 1, 1)
    assert channel_shuffle(x, 2).flatten().tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    assert channel_shuffle(x, 3).flatten().tolist() == [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]


def test_densenet_old_keys_are_remapped():
    old = {"features.denseblock2.denselayer3.norm.2.running_var": 1,
           "features.denseblock2.denselayer3.conv.1.weight": 2, "features.norm5.weight": 3}
    assert list(_remap_densenet_keys(old)) == [
        "features.denseblock2.denselayer3.norm2.running_var",
        "features.denseblock2.denselayer3.conv1.weight", "features.norm5.weight"]


def test_vit_loads_pre_refactor_mlp_keys(fast_init):
    m = M.vit_b_32(image_size=32)
    sd = m.state_dict()
    old = {}
    for k, v in sd.items():
        k = k.replace("mlp.0.", "mlp.linear_1.").replace("mlp.3.", "mlp.linear_2.")
        old[k] = v.clone() + 1
    m2 = M.vit_b_32(image_size=32)
    m2.load_state_dict(old)
    w = m2.encoder.layers.encoder_layer_0.mlp[3].weight
    np.testing.assert_allclose(w.detach().numpy(),
                               sd["encoder.layers.encoder_layer_0.mlp.3.weight"].numpy() + 1)


def test_intermediate_layer_getter():
    m = M.resnet18()
    body = IntermediateLayerGetter(m, {"layer1": "a", "layer3": "b"})
    assert "layer4" not in dict(body.named_children())
    with ember.no_grad():
        out = body(ember.randn(1, 3, 32, 32))
    assert list(out) == ["a", "b"]
    assert tuple(out["a"].shape) == (1, 64, 8, 8) and tuple(out["b"].shape) == (1, 256, 2, 2)
    with pytest.raises(ValueError, match="return_layers are not present"):
        IntermediateLayerGetter(m, {"nope": "x"})


def test_constructor_errors():
    with pytest.raises(ValueError, match="replace_stride_with_dilation"):
        M.ResNet(M.resnet.BasicBlock, [1, 1, 1, 1], replace_stride_with_dilation=[True])
    with pytest.raises(ValueError, match="Unsupported SqueezeNet version"):
        M.SqueezeNet("2_0")
    with pytest.raises(ValueError, match="alpha should be greater than 0.0"):
        M.MNASNet(0.0)
    with pytest.raises(ValueError, match="expected stages_repeats"):
        M.ShuffleNetV2([1, 2], [1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="should not be empty"):
        M.EfficientNet([], 0.2)
    with pytest.raises(ValueError, match="Unknown model"):
        M.get_model("resnet19")
