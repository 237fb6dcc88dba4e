"""Padding (all modes, negative widths), unfold / fold, pixel / channel shuffles and layers.

References: ``numpy.pad`` (constant / reflect / edge / wrap), hand-derived values for negative
widths, and loops over blocks for im2col / col2im; gradients by finite differences.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close

_NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
            "circular": "wrap"}


def _t(a, device, dtype=ember.float64, rg=False):
    return ember.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=rg)


def _np(t):
    return t.detach().cpu().numpy()


def _np_widths(pad, ndim):
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
    return [(0, 0)] * (ndim - len(pairs)) + pairs[::-1]


# ------------------------------------------------------------------ pad
@pytest.mark.parametrize("mode", list(_NP_MODE))
@pytest.mark.parametrize("shape,pad", [((2, 3, 5), (1, 2)), ((2, 3, 5, 6), (1, 2, 3, 0)),
                                       ((3, 5, 6), (2, 1, 1, 1)),
                                       ((1, 2, 3, 4, 5), (1, 2, 0, 1, 2, 1))], ids=str)
def test_pad_matches_numpy(mode, shape, pad, device):
    x = np.random.default_rng(0).normal(size=shape)
    y = F.pad(_t(x, device), pad, mode=mode)
    assert_close(_np(y), np.pad(x, _np_widths(pad, x.ndim), mode=_NP_MODE[mode]))


def test_pad_constant_value_and_any_rank(device):
    x = np.arange(6.0).reshape(2, 3)
    y = F.pad(_t(x, device), (1, 0, 0, 2), value=-1.5)
    assert_close(_np(y), np.pad(x, [(0, 2), (1, 0)], constant_values=-1.5))
    x5 = np.ones((1, 1, 1, 1, 2))
    assert F.pad(_t(x5, device), (1, 1, 1, 1, 1, 1, 1, 1)).shape == (1, 3, 3, 3, 4)


@pytest.mark.parametrize("mode,expected", [
    ("constant", [0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 0.0]),
    ("reflect", [0.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0]),
    ("replicate", [0.0, 1.0, 2.0, 3.0, 4.0, 4.0, 4.0]),
], ids=str)
def test_pad_negative_left_crops(mode, expected, device):
    # x = [-1, 0, 1, 2, 3, 4] cropped by 1 on the left and padded by 2 on the right; the kept
    # right edge reflects / repeats as for the uncropped input
    x = _t([[np.arange(-1.0, 5.0)]], device)
    assert _np(F.pad(x, (-1, 2), mode=mode)).tolist() == [[expected]]


def test_pad_negative_reflect_uses_the_uncropped_input(device):
    x = _t([[np.arange(5.0)]], device)
    # positions -3..2 of [0, 1, 2, 3, 4] reflected: 3, 2, 1, 0, 1, 2
    assert _np(F.pad(x, (3, -2), mode="reflect")).tolist() == [[[3.0, 2.0, 1.0, 0.0, 1.0, 2.0]]]


def test_pad_negative_circular_crops_first(device):
    x = _t([[np.arange(5.0)]], device)
    assert _np(F.pad(x, (-1, 2), mode="circular")).tolist() == [[[1., 2., 3., 4., 1., 2.]]]
    assert _np(F.pad(x, (2, -1), mode="circular")).tolist() == [[[2., 3., 0., 1., 2., 3.]]]
    assert _np(F.pad(x, (-2, -1))).tolist() == [[[2.0, 3.0]]]


@pytest.mark.parametrize("mode", list(_NP_MODE))
def test_pad_grad_and_gradgrad(mode, device):
    x = _t(np.random.default_rng(1).normal(size=(1, 2, 4, 5)), device, rg=True)
    pads = (2, 1, 1, 2) if mode != "constant" else (1, -1, 2, 1)
    assert gradcheck(lambda t: F.pad(t, pads, mode=mode), (x,))
    assert gradgradcheck(lambda t: F.pad(t, pads, mode=mode), (x,))
    assert gradcheck(lambda t: F.pad(t, (-1, 2, 1, -1), mode=mode), (x,))


def test_pad_keeps_float32(device):
    x = ember.ones(1, 2, 3, device=device, requires_grad=True)
    y = F.pad(x, (1, 1), mode="reflect")
    y.sum().backward()
    assert y.dtype is ember.float32 and x.grad.dtype is ember.float32


@pytest.mark.parametrize("call,exc,match", [
    (lambda d: F.pad(ember.ones(1, 1, 3, device=d), (1,)), RuntimeError,
     "Padding length must be divisible by 2"),
    (lambda d: F.pad(ember.ones(1, 1, 3, device=d), (1,) * 8), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension but got "
     "padding length 8 and input of dimension 3"),
    (lambda d: F.pad(ember.ones(1, 1, 3, device=d), (1, 1), mode="foo"), NotImplementedError,
     "Unrecognised padding mode foo"),
    (lambda d: F.pad(ember.ones(1, 1, 3, device=d), (3, 3), mode="reflect"), RuntimeError,
     r"Padding size should be less than the corresponding input dimension, but got: padding "
     r"\(3, 3\) at dimension 2 of input \[1, 1, 3\]"),
    (lambda d: F.pad(ember.ones(1, 1, 3, device=d), (4, 1), mode="circular"), RuntimeError,
     "Padding value causes wrapping around more than once"),
    (lambda d: F.pad(ember.ones(3, device=d), (1, 1), mode="reflect"), NotImplementedError,
     "Padding size 2 is not supported for 1D input tensor"),
    (lambda d: F.pad(ember.ones(1, 1, 3, device=d), (1, 1), mode="reflect", value=2.0),
     RuntimeError, "doesn't take in value argument"),
], ids=["odd", "too_long", "mode", "reflect_size", "circular_wrap", "rank", "value"])
def test_pad_errors(call, exc, match, device):
    with pytest.raises(exc, match=match):
        call(device)


# ------------------------------------------------------------------ unfold / fold
def unfold_ref(x, k, dilation, padding, stride):
    n, c, h, w = x.shape
    xp = np.pad(x, [(0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2])
    oh = (h + 2 * padding[0] - dilation[0] * (k[0] - 1) - 1) // stride[0] + 1
    ow = (w + 2 * padding[1] - dilation[1] * (k[1] - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c * k[0] * k[1], oh * ow))
    for i in range(oh):
        for j in range(ow):
            for ci in range(c):
                for a in range(k[0]):
                    for b in range(k[1]):
                        out[:, (ci * k[0] + a) * k[1] + b, i * ow + j] = xp[
                            :, ci, i * stride[0] + a * dilation[0], j * stride[1] + b * dilation[1]]
    return out


def fold_ref(cols, size, k, dilation, padding, stride):
    n, ck, _ = cols.shape
    c = ck // (k[0] * k[1])
    hp, wp = size[0] + 2 * padding[0], size[1] + 2 * padding[1]
    oh = (hp - dilation[0] * (k[0] - 1) - 1) // stride[0] + 1
    ow = (wp - dilation[1] * (k[1] - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c, hp, wp))
    for i in range(oh):
        for j in range(ow):
            for ci in range(c):
                for a in range(k[0]):
                    for b in range(k[1]):
                        out[:, ci, i * stride[0] + a * dilation[0],
                            j * stride[1] + b * dilation[1]] += \
                            cols[:, (ci * k[0] + a) * k[1] + b, i * ow + j]
    return out[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]]


def test_unfold_matches_reference(device):
    x = np.random.default_rng(2).normal(size=(2, 3, 5, 6))
    y = F.unfold(_t(x, device), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    assert_close(_np(y), unfold_ref(x, (2, 3), (1, 2), (1, 1), (2, 1)))
    y = F.unfold(_t(x[0], device), 2)  # unbatched
    assert_close(_np(y), unfold_ref(x[:1], (2, 2), (1, 1), (0, 0), (1, 1))[0])


def test_fold_matches_reference_and_is_unfolds_adjoint(device):
    rng = np.random.default_rng(3)
    cols = rng.normal(size=(2, 3 * 6, 12))
    y = F.fold(_t(cols, device), (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    assert_close(_np(y), fold_ref(cols, (5, 6), (2, 3), (1, 2), (1, 1), (2, 1)))
    x = rng.normal(size=(2, 3, 5, 6))
    ux = unfold_ref(x, (2, 3), (1, 2), (1, 1), (2, 1))
    assert_close(float((ux * cols).sum()), float((x * _np(y)).sum()), rtol=1e-10)


def test_unfold_fold_grad_and_gradgrad(device):
    x = _t(np.random.default_rng(4).normal(size=(1, 2, 4, 5)), device, rg=True)
    assert gradcheck(lambda t: F.unfold(t, 2, padding=1, stride=2), (x,))
    assert gradgradcheck(lambda t: F.unfold(t, 2, padding=1, stride=2), (x,))
    c = _t(np.random.default_rng(5).normal(size=(1, 8, 12)), device, rg=True)
    assert gradcheck(lambda t: F.fold(t, (4, 5), 2), (c,))
    assert gradgradcheck(lambda t: F.fold(t, (4, 5), 2), (c,))


@pytest.mark.parametrize("call,match", [
    (lambda d: F.unfold(ember.ones(2, 3, device=d), 2),
     r"Input Error: Only 3D or 4D input Tensors are supported \(got 2D\)"),
    (lambda d: F.fold(ember.ones(1, 4, 5, device=d), (3, 3), 2),
     r"expected size of input's dimension 2 to match the calculated number of sliding blocks "
     r"2 \* 2 = 4, but got input.size\(2\)=5"),
    (lambda d: F.fold(ember.ones(1, 5, 4, device=d), (3, 3), 2),
     r"Expected size of input's dimension 1 to be divisible by the product of kernel_size"),
], ids=["unfold_rank", "fold_blocks", "fold_channels"])
def test_unfold_fold_errors(call, match, device):
    with pytest.raises(RuntimeError, match=match):
        call(device)


# ------------------------------------------------------------------ shuffles
def test_pixel_shuffle_and_unshuffle(device):
    x = np.random.default_rng(6).normal(size=(2, 8, 3, 4))
    y = F.pixel_shuffle(_t(x, device), 2)
    ref = np.zeros((2, 2, 6, 8))
    for c in range(2):
        for i in range(2):
            for j in range(2):
                ref[:, c, i::2, j::2] = x[:, c * 4 + i * 2 + j]
    assert_close(_np(y), ref)
    assert_close(_np(F.pixel_unshuffle(y, 2)), x)
    xt = _t(x[:1, :4, :2, :2], device, rg=True)
    assert gradcheck(lambda t: F.pixel_shuffle(t, 2), (xt,))
    with pytest.raises(RuntimeError, match=r"input.size\(-3\)=3 is not divisible by 4"):
        F.pixel_shuffle(ember.ones(1, 3, 2, 2, device=device), 2)
    with pytest.raises(RuntimeError, match=r"expects height to be divisible by downscale_factor"):
        F.pixel_unshuffle(ember.ones(1, 1, 3, 4, device=device), 2)


def test_channel_shuffle(device):
    x = np.arange(6.0).reshape(1, 6, 1, 1)
    y = F.channel_shuffle(_t(x, device), 3)
    assert _np(y).ravel().tolist() == [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]
    with pytest.raises(RuntimeError, match="Got 4 channels and 3 groups"):
        F.channel_shuffle(ember.ones(1, 4, 2, 2, device=device), 3)


# ------------------------------------------------------------------ layers
@pytest.mark.parametrize("m,expected", [
    (lambda: nn.ZeroPad1d(2), "ZeroPad1d((2, 2))"),
    (lambda: nn.ZeroPad2d((1, 2, 3, 4)), "ZeroPad2d((1, 2, 3, 4))"),
    (lambda: nn.ZeroPad3d(1), "ZeroPad3d((1, 1, 1, 1, 1, 1))"),
    (lambda: nn.ConstantPad1d(2, 3.5), "ConstantPad1d(padding=(2, 2), value=3.5)"),
    (lambda: nn.ConstantPad2d(1, 2), "ConstantPad2d(padding=(1, 1, 1, 1), value=2)"),
    (lambda: nn.ConstantPad3d(1, 0.0), "ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=0.0)"),
    (lambda: nn.ReflectionPad1d(2), "ReflectionPad1d((2, 2))"),
    (lambda: nn.ReflectionPad2d((1, 1, 2, 0)), "ReflectionPad2d((1, 1, 2, 0))"),
    (lambda: nn.ReflectionPad3d(1), "ReflectionPad3d((1, 1, 1, 1, 1, 1))"),
    (lambda: nn.ReplicationPad1d(2), "ReplicationPad1d((2, 2))"),
    (lambda: nn.ReplicationPad2d(1), "ReplicationPad2d((1, 1, 1, 1))"),
    (lambda: nn.ReplicationPad3d(1), "ReplicationPad3d((1, 1, 1, 1, 1, 1))"),
    (lambda: nn.CircularPad1d(1), "CircularPad1d((1, 1))"),
    (lambda: nn.CircularPad2d(1), "CircularPad2d((1, 1, 1, 1))"),
    (lambda: nn.CircularPad3d(1), "CircularPad3d((1, 1, 1, 1, 1, 1))"),
    (lambda: nn.Fold((4, 5), 2), "Fold(output_size=(4, 5), kernel_size=2, dilation=1, "
                                 "padding=0, stride=1)"),
    (lambda: nn.Unfold(2, padding=1), "Unfold(kernel_size=2, dilation=1, padding=1, stride=1)"),
    (lambda: nn.PixelShuffle(2), "PixelShuffle(upscale_factor=2)"),
    (lambda: nn.PixelUnshuffle(2), "PixelUnshuffle(downscale_factor=2)"),
    (lambda: nn.ChannelShuffle(2), "ChannelShuffle(groups=2)"),
], ids=lambda v: v.split("(")[0] if isinstance(v, str) else None)
def test_layer_repr(m, expected):
    mod = m()
    assert repr(mod) == expected
    assert list(mod.state_dict()) == []


@pytest.mark.parametrize("cls,mode,nd", [
    (nn.ReflectionPad2d, "reflect", 2), (nn.ReplicationPad3d, "edge", 3),
    (nn.CircularPad1d, "wrap", 1), (nn.ZeroPad2d, "constant", 2),
], ids=str)
def test_padding_layers_forward(cls, mode, nd, device):
    x = np.random.default_rng(7).normal(size=(2, 3) + (4,) * nd)
    widths = [(0, 0), (0, 0)] + [(2, 1)] * nd
    pad = (2, 1) * nd
    assert_close(_np(cls(pad)(_t(x, device))), np.pad(x, widths, mode=mode))


def test_constant_pad_layer_and_fold_layers(device):
    x = np.arange(4.0).reshape(1, 1, 2, 2)
    y = nn.ConstantPad2d((1, 0, 0, 1), 9.0)(_t(x, device))
    assert_close(_np(y), np.pad(x, [(0, 0), (0, 0), (0, 1), (1, 0)], constant_values=9.0))
    u = nn.Unfold(2)(_t(np.ones((1, 1, 3, 3)), device))
    assert_close(_np(nn.Fold(3, 2)(u)), np.array([[[[1., 2., 1.], [2., 4., 2.], [1., 2., 1.]]]]))
    s = nn.PixelShuffle(2)(_t(np.arange(4.0).reshape(1, 4, 1, 1), device))
    assert _np(s).tolist() == [[[[0.0, 1.0], [2.0, 3.0]]]]
    assert _np(nn.PixelUnshuffle(2)(s)).ravel().tolist() == [0.0, 1.0, 2.0, 3.0]
    c = nn.ChannelShuffle(2)(_t(np.arange(4.0).reshape(1, 4), device))
    assert _np(c).tolist() == [[0.0, 2.0, 1.0, 3.0]]


def test_padding_classes_hierarchy_pickle_and_docs():
    z = ember.nn.ZeroPad2d((1, 2, 0, 1))
    assert isinstance(z, ember.nn.ConstantPad2d) and z.value == 0.0  # as in PyTorch
    assert repr(pickle.loads(pickle.dumps(z))) == "ZeroPad2d((1, 2, 0, 1))"
    for kind in ("Zero", "Constant", "Reflection", "Replication", "Circular"):
        for nd in (1, 2, 3):
            cls = getattr(ember.nn, f"{kind}Pad{nd}d")
            assert cls.__module__ == "ember.nn.modules.padding"
            assert cls.__qualname__ == f"{kind}Pad{nd}d" and cls._nd == nd
            assert cls.__doc__.startswith(f"Pads the last {nd} dimension(s)")
