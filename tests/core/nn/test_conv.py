"""Convolutions: conv1d/2d/3d, conv_transpose1d/2d/3d and the Conv / ConvTranspose layers.

Forward references are naive numpy float64 loops written here (a direct sum over output
positions and kernel taps, and the scatter definition of the transposed convolution);
gradients by finite differences (gradcheck / gradgradcheck).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_errors, check_op
from ember.testing.op_db import records


def _t(a, device, dtype=ember.float64, rg=False):
    return ember.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=rg)


def _np(t):
    return t.detach().cpu().numpy()


def _tup(v, nd):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd


# ------------------------------------------------------------------ numpy references
def conv_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Direct sum: out[n, o, p] = sum_{c, t} x_pad[n, g*cg + c, p*s + t*d] * w[o, c, t]."""
    nd = x.ndim - 2
    s, d = _tup(stride, nd), _tup(dilation, nd)
    k = w.shape[2:]
    if padding == "same":
        tot = [dd * (kk - 1) for dd, kk in zip(d, k, strict=True)]
        pads = [(t // 2, t - t // 2) for t in tot]
    elif padding == "valid":
        pads = [(0, 0)] * nd
    else:
        pads = [(p, p) for p in _tup(padding, nd)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    n, c = x.shape[:2]
    o = w.shape[0]
    cg, og = c // groups, o // groups
    osz = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    out = np.zeros((n, o, *osz))
    for pos in np.ndindex(*osz):
        for g in range(groups):
            for tap in np.ndindex(*k):
                idx = tuple(pos[i] * s[i] + tap[i] * d[i] for i in range(nd))
                xs = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + idx]
                ws = w[(slice(g * og, (g + 1) * og), slice(None)) + tap]
                out[(slice(None), slice(g * og, (g + 1) * og)) + pos] += xs @ ws.T
    if b is not None:
        out += b.reshape((1, o) + (1,) * nd)
    return out


def conv_t_ref(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Scatter definition: every input element adds x * w[c, :, t] at i*s + t*d - padding."""
    nd = x.ndim - 2
    s, p, q, d = (_tup(v, nd) for v in (stride, padding, output_padding, dilation))
    n, c = x.shape[:2]
    k = w.shape[2:]
    og = w.shape[1]
    cg = c // groups
    out_sz = [(x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + q[i] + 1
              for i in range(nd)]
    full = np.zeros((n, og * groups, *[o + 2 * pp for o, pp in zip(out_sz, p, strict=True)]))
    for pos in np.ndindex(*x.shape[2:]):
        for g in range(groups):
            for tap in np.ndindex(*k):
                idx = tuple(pos[i] * s[i] + tap[i] * d[i] for i in range(nd))
                xs = x[(slice(None), slice(g * cg, (g + 1) * cg)) + pos]
                ws = w[(slice(g * cg, (g + 1) * cg), slice(None)) + tap]
                full[(slice(None), slice(g * og, (g + 1) * og)) + idx] += xs @ ws
    crop = tuple(slice(pp, pp + o) for pp, o in zip(p, out_sz, strict=True))
    out = full[(slice(None), slice(None)) + crop]
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * nd)
    return out


CONV2D_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2)),
    dict(padding="same", dilation=2),
    dict(padding="valid"),
    dict(groups=2, padding=1),
    dict(groups=4),  # depthwise
]


@pytest.mark.parametrize("kw", CONV2D_CASES, ids=str)
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64], ids=str)
def test_conv2d_forward_matches_reference(kw, dtype, device):
    rng = np.random.default_rng(0)
    groups = kw.get("groups", 1)
    x = rng.normal(size=(2, 4, 7, 6))
    w = rng.normal(size=(8, 4 // groups, 3, 2))
    b = rng.normal(size=8)
    y = F.conv2d(_t(x, device, dtype), _t(w, device, dtype), _t(b, device, dtype), **kw)
    assert y.dtype is dtype
    tol = 1e-4 if dtype is ember.float32 else 1e-10
    assert_close(_np(y), conv_ref(x, w, b, **kw), rtol=tol, atol=tol)


@pytest.mark.parametrize("fn,nd,kw", [
    (F.conv1d, 1, dict(stride=2, padding=2, dilation=2)),
    (F.conv1d, 1, dict(padding="same")),
    (F.conv3d, 3, dict(stride=(1, 2, 1), padding=1)),
    (F.conv3d, 3, dict(groups=2, dilation=(2, 1, 1))),
], ids=["1d", "1d_same", "3d", "3d_groups"])
def test_conv1d_conv3d_forward(fn, nd, kw, device):
    rng = np.random.default_rng(1)
    groups = kw.get("groups", 1)
    x = rng.normal(size=(2, 4) + (6,) * nd)
    w = rng.normal(size=(6, 4 // groups) + (3,) * nd)
    y = fn(_t(x, device), _t(w, device), **kw)
    assert_close(_np(y), conv_ref(x, w, None, **kw), rtol=1e-10, atol=1e-10)


def test_conv_pointwise_is_a_gemm(device):
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(3, 5, 4, 4)), rng.normal(size=(7, 5, 1, 1)), rng.normal(size=7)
    y = F.conv2d(_t(x, device), _t(w, device), _t(b, device))
    assert_close(_np(y), np.einsum("nchw,oc->nohw", x, w[:, :, 0, 0]) + b[:, None, None],
                 rtol=1e-12, atol=1e-12)


def test_conv2d_unbatched(device):
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(3, 5, 5)), rng.normal(size=(2, 3, 3, 3))
    y = F.conv2d(_t(x, device), _t(w, device), padding=1)
    assert y.shape == (2, 5, 5)
    assert_close(_np(y), conv_ref(x[None], w, padding=1)[0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kw", [
    dict(),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(1, 0), output_padding=(0, 2), groups=2, dilation=(1, 2)),
    dict(dilation=2, output_padding=1),
], ids=str)
def test_conv_transpose2d_forward_matches_reference(kw, device):
    rng = np.random.default_rng(4)
    groups = kw.get("groups", 1)
    x = rng.normal(size=(2, 4, 4, 5))
    w = rng.normal(size=(4, 3, 3, 2))
    b = rng.normal(size=3 * groups)
    y = F.conv_transpose2d(_t(x, device), _t(w, device), _t(b, device), **kw)
    assert_close(_np(y), conv_t_ref(x, w, b, **kw), rtol=1e-10, atol=1e-10)


def test_conv_transpose1d_3d_forward(device):
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(2, 3, 6)), rng.normal(size=(3, 2, 3))
    kw = dict(stride=2, padding=1, output_padding=1)
    assert_close(_np(F.conv_transpose1d(_t(x, device), _t(w, device), **kw)),
                 conv_t_ref(x, w, **kw), rtol=1e-10, atol=1e-10)
    x, w = rng.normal(size=(1, 2, 3, 2, 3)), rng.normal(size=(2, 2, 2, 3, 2))
    kw = dict(stride=(2, 1, 2), padding=(0, 1, 1))
    assert_close(_np(F.conv_transpose3d(_t(x, device), _t(w, device), **kw)),
                 conv_t_ref(x, w, **kw), rtol=1e-10, atol=1e-10)


def test_conv_transpose_is_the_adjoint_of_conv(device):
    # <conv(x, w), y> == <x, conv_transpose(y, w)> for matching geometry
    rng = np.random.default_rng(6)
    x, w = rng.normal(size=(2, 4, 7, 7)), rng.normal(size=(6, 2, 3, 3))
    kw = dict(stride=2, padding=1, dilation=1, groups=2)
    cx = F.conv2d(_t(x, device), _t(w, device), **kw)
    y = rng.normal(size=tuple(cx.shape))
    ty = F.conv_transpose2d(_t(y, device), _t(w, device), output_padding=0, **kw)
    assert_close(float((_np(cx) * y).sum()), float((x * _np(ty)).sum()), rtol=1e-10)


# ------------------------------------------------------------------ gradients
GRAD_CASES = [
    dict(stride=2, padding=1),
    dict(padding=(1, 0), dilation=(2, 1), groups=2),
    dict(padding="same"),
]


@pytest.mark.parametrize("kw", GRAD_CASES, ids=str)
def test_conv2d_gradcheck(kw, device):
    rng = np.random.default_rng(7)
    groups = kw.get("groups", 1)
    x = _t(rng.normal(size=(2, 4, 5, 5)), device, rg=True)
    w = _t(rng.normal(size=(4, 4 // groups, 3, 2)), device, rg=True)
    b = _t(rng.normal(size=4), device, rg=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))


def test_conv2d_gradgradcheck(device):
    rng = np.random.default_rng(8)
    x = _t(rng.normal(size=(1, 2, 4, 4)), device, rg=True)
    w = _t(rng.normal(size=(4, 1, 3, 3)), device, rg=True)
    b = _t(rng.normal(size=4), device, rg=True)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2),
                         (x, w, b))


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, output_padding=1),
                                dict(groups=2, dilation=2)], ids=str)
def test_conv_transpose2d_grad_and_gradgrad(kw, device):
    rng = np.random.default_rng(9)
    x = _t(rng.normal(size=(1, 2, 3, 3)), device, rg=True)
    w = _t(rng.normal(size=(2, 2, 3, 2)), device, rg=True)
    b = _t(rng.normal(size=2 * kw.get("groups", 1)), device, rg=True)

    def f(x, w, b):
        return F.conv_transpose2d(x, w, b, **kw)
    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))


def test_conv1d_conv3d_gradcheck(device):
    rng = np.random.default_rng(10)
    x = _t(rng.normal(size=(2, 2, 7)), device, rg=True)
    w = _t(rng.normal(size=(3, 2, 3)), device, rg=True)
    assert gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=1, dilation=2), (x, w))
    x = _t(rng.normal(size=(1, 2, 3, 4, 3)), device, rg=True)
    w = _t(rng.normal(size=(2, 1, 2, 2, 2)), device, rg=True)
    assert gradcheck(lambda x, w: F.conv3d(x, w, padding=1, groups=2), (x, w))
    assert gradcheck(lambda x, w: F.conv_transpose3d(x, w, stride=2, padding=(1, 0, 0)), (x, w))


@pytest.mark.parametrize("transposed", [False, True])
def test_fast_backward_matches_ember_op_backward(transposed, device):
    # plain backward uses array formulas; create_graph uses the differentiable nodes
    rng = np.random.default_rng(11)
    x = _t(rng.normal(size=(2, 4, 6, 5)), device, rg=True)
    w = _t(rng.normal(size=(4, 2, 3, 3)), device, rg=True)
    b = _t(rng.normal(size=4 if not transposed else 4), device, rg=True)
    fn = F.conv_transpose2d if transposed else F.conv2d
    kw = dict(stride=2, padding=1, groups=2)
    y = fn(x, w, b, **kw)
    g = _t(rng.normal(size=tuple(y.shape)), device)
    y.backward(g)
    fast = [_np(t.grad) for t in (x, w, b)]
    slow = ember.autograd.grad(fn(x, w, b, **kw), (x, w, b), g, create_graph=True)
    for a, e in zip(fast, slow, strict=True):
        assert_close(a, _np(e), rtol=1e-12, atol=1e-12)


def test_conv2d_float32_backward_stays_float32(device):
    x = ember.randn(2, 3, 5, 5, device=device, requires_grad=True)
    w = ember.randn(4, 3, 3, 3, device=device, requires_grad=True)
    F.conv2d(x, w, padding=1).sum().backward()
    assert x.grad.dtype is ember.float32 and w.grad.dtype is ember.float32


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("call,exc,match", [
    (lambda d: F.conv2d(ember.ones(2, 3, device=d), ember.ones(1, 1, 1, 1, device=d)),
     RuntimeError, r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got "
                   r"input of size: \[2, 3\]"),
    (lambda d: F.conv2d(ember.ones(1, 4, 5, 5, device=d), ember.ones(2, 3, 3, 3, device=d)),
     RuntimeError, r"weight of size \[2, 3, 3, 3\], expected input\[1, 4, 5, 5\] to have 3 "
                   r"channels, but got 4 channels instead"),
    (lambda d: F.conv2d(ember.ones(1, 4, 5, 5, device=d), ember.ones(3, 2, 3, 3, device=d),
                        groups=2),
     RuntimeError, r"Given groups=2, expected weight to be divisible by 2 at dimension 0"),
    (lambda d: F.conv2d(ember.ones(1, 3, 2, 2, device=d), ember.ones(2, 3, 3, 3, device=d)),
     RuntimeError, r"Kernel size can't be greater than actual input size"),
    (lambda d: F.conv2d(ember.ones(1, 3, 5, 5, device=d), ember.ones(2, 3, 3, 3, device=d),
                        stride=2, padding="same"),
     RuntimeError, r"padding='same' is not supported for strided convolutions"),
    (lambda d: F.conv2d(ember.ones(1, 3, 5, 5, device=d), ember.ones(2, 3, 3, 3, device=d),
                        padding="full"),
     RuntimeError, r"Invalid padding string: 'full'"),
    (lambda d: F.conv2d(ember.ones(1, 3, 5, 5, device=d), ember.ones(2, 3, 3, device=d)),
     RuntimeError, r"Expected 4-dimensional weight for 4-dimensional input"),
    (lambda d: F.conv2d(ember.ones(1, 3, 5, 5, device=d), ember.ones(2, 3, 3, 3, device=d),
                        ember.ones(3, device=d)),
     RuntimeError, r"expected bias to be 1-dimensional with 2 elements"),
    (lambda d: F.conv2d(ember.ones(1, 3, 5, 5, device=d, dtype=ember.float64),
                        ember.ones(2, 3, 3, 3, device=d)),
     RuntimeError, r"Input type \(ember.float64\) and weight type \(ember.float32\)"),
    (lambda d: F.conv2d(ember.ones(1, 3, 5, 5, device=d), ember.ones(2, 3, 3, 3, device=d),
                        stride=(1, 1, 1)),
     RuntimeError, r"expected stride to be a single integer value or a list of 2 values"),
    (lambda d: F.conv_transpose2d(ember.ones(1, 3, 5, 5, device=d),
                                  ember.ones(2, 3, 3, 3, device=d)),
     RuntimeError, r"expected input\[1, 3, 5, 5\] to have 2 channels, but got 3 channels"),
    (lambda d: F.conv_transpose2d(ember.ones(1, 2, 5, 5, device=d),
                                  ember.ones(2, 3, 3, 3, device=d), output_padding=1),
     RuntimeError, r"output padding must be smaller than either stride or dilation"),
    (lambda d: F.conv1d(ember.ones(1, 3, 5, 5, 5, device=d), ember.ones(2, 3, 3, device=d)),
     RuntimeError, r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d"),
], ids=["rank", "channels", "groups", "kernel_too_big", "same_strided", "bad_string",
        "weight_rank", "bias", "dtype", "stride_len", "transposed_channels",
        "output_padding", "conv1d_rank"])
def test_conv_errors(call, exc, match, device):
    with pytest.raises(exc, match=match):
        call(device)


# ------------------------------------------------------------------ layers
def test_conv2d_layer_params_init_and_repr(device):
    ember.manual_seed(0)
    m = nn.Conv2d(3, 16, 3, padding=1, device=device)
    assert repr(m) == "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == \
        [("weight", (16, 3, 3, 3)), ("bias", (16,))]
    bound = 1 / math.sqrt(3 * 9)  # kaiming_uniform_(a=sqrt(5)) on fan_in = 27
    w = _np(m.weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.15 * bound
    assert np.abs(_np(m.bias)).max() <= bound
    x = ember.randn(2, 3, 6, 6, device=device)
    assert_close(_np(m(x)), conv_ref(_np(x).astype(np.float64), w.astype(np.float64),
                                     _np(m.bias).astype(np.float64), padding=1),
                 rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("m,expected", [
    (lambda: nn.Conv1d(4, 8, 3, stride=2, padding=1, dilation=2, groups=2, bias=False,
                       padding_mode="reflect"),
     "Conv1d(4, 8, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), groups=2, "
     "bias=False, padding_mode=reflect)"),
    (lambda: nn.Conv2d(3, 6, (3, 5), padding="same"),
     "Conv2d(3, 6, kernel_size=(3, 5), stride=(1, 1), padding=same)"),
    (lambda: nn.Conv3d(2, 4, 3, padding="valid"),
     "Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=valid)"),
    (lambda: nn.ConvTranspose2d(4, 8, 3, stride=2, padding=1, output_padding=1, groups=2),
     "ConvTranspose2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
     "output_padding=(1, 1), groups=2)"),
    (lambda: nn.ConvTranspose1d(4, 8, 3), "ConvTranspose1d(4, 8, kernel_size=(3,), stride=(1,))"),
    (lambda: nn.ConvTranspose3d(4, 8, 3, dilation=2, bias=False),
     "ConvTranspose3d(4, 8, kernel_size=(3, 3, 3), stride=(1, 1, 1), dilation=(2, 2, 2), "
     "bias=False)"),
], ids=["conv1d", "conv2d_same", "conv3d_valid", "convT2d", "convT1d", "convT3d"])
def test_conv_layer_repr(m, expected):
    assert repr(m()) == expected


def test_conv_transpose_layer_weight_shape_and_output_size(device):
    m = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2, device=device)
    assert tuple(m.weight.shape) == (4, 3, 3, 3) and tuple(m.bias.shape) == (6,)
    bound = 1 / math.sqrt(3 * 9)  # fan_in from weight.size(1) * receptive field
    assert np.abs(_np(m.weight)).max() <= bound
    x = ember.randn(1, 4, 3, 3, device=device)
    assert m(x).shape == (1, 6, 5, 5)
    y = m(x, output_size=[6, 6])
    assert y.shape == (1, 6, 6, 6)
    ref = conv_t_ref(_np(x).astype(np.float64), _np(m.weight).astype(np.float64),
                     _np(m.bias).astype(np.float64), stride=2, padding=1, output_padding=1,
                     groups=2)
    assert_close(_np(y), ref, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match=r"requested an output size of \[8, 8\], but valid "
                                         r"sizes range from \[5, 5\] to \[6, 6\]"):
        m(x, output_size=[8, 8])


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                          ("circular", "wrap")])
def test_conv_padding_modes(mode, np_mode, device):
    m = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode, dtype=ember.float64,
                  device=device)
    rng = np.random.default_rng(12)
    x = rng.normal(size=(2, 2, 5, 6))
    ref = conv_ref(np.pad(x, [(0, 0), (0, 0), (1, 1), (2, 2)], mode=np_mode), _np(m.weight),
                   _np(m.bias))
    assert_close(_np(m(_t(x, device))), ref, rtol=1e-10, atol=1e-10)
    xt = _t(x[:1, :, :4, :4], device, rg=True)
    assert gradcheck(lambda t: m(t), (xt,))


def test_conv_same_padding_even_kernel_mode(device):
    # 'same' with an even kernel pads one more after than before (PyTorch's split)
    m = nn.Conv1d(1, 1, 4, padding="same", padding_mode="circular", bias=False,
                  dtype=ember.float64, device=device)
    x = np.arange(6.0)[None, None]
    ref = conv_ref(np.pad(x, [(0, 0), (0, 0), (1, 2)], mode="wrap"), _np(m.weight))
    assert_close(_np(m(_t(x, device))), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, "groups must be a positive integer"),
    (lambda: nn.Conv2d(4, 4, 3, padding="full"), ValueError, "Invalid padding string 'full'"),
    (lambda: nn.Conv2d(4, 4, 3, stride=2, padding="same"), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: nn.Conv2d(4, 4, 3, padding_mode="mirror"), ValueError,
     "padding_mode must be one of"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
], ids=["in_groups", "out_groups", "groups0", "bad_padding", "same_strided", "bad_mode",
        "transposed_mode"])
def test_conv_layer_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_conv_layer_wrong_channels_names_both(device):
    m = nn.Conv2d(3, 4, 3, device=device)
    with pytest.raises(RuntimeError, match=r"to have 3 channels, but got 5 channels instead"):
        m(ember.ones(1, 5, 6, 6, device=device))
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) "
                                           r"input to conv2d, but got input of size: \[2, 3\]"):
        m(ember.ones(2, 3, device=device))


def test_lazy_conv2d_materialises(device):
    m = nn.LazyConv2d(8, 3, padding=1, device=device)
    assert type(m).__name__ == "LazyConv2d"
    y = m(ember.randn(2, 5, 6, 6, device=device))
    assert type(m) is nn.Conv2d and y.shape == (2, 8, 6, 6)
    assert tuple(m.weight.shape) == (8, 5, 3, 3) and m.in_channels == 5
    assert np.abs(_np(m.weight)).max() <= 1 / math.sqrt(45)
    assert repr(m) == "Conv2d(5, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    t = nn.LazyConvTranspose1d(4, 3)
    t(ember.randn(3, 7))  # unbatched: channels from dimension 0
    assert type(t) is nn.ConvTranspose1d and tuple(t.weight.shape) == (3, 4, 3)


def test_conv_layer_gradients_reach_parameters(device):
    m = nn.Conv2d(2, 4, 3, stride=2, groups=2, dtype=ember.float64, device=device)
    x = _t(np.random.default_rng(13).normal(size=(2, 2, 5, 5)), device, rg=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, groups=2),
                     (x, m.weight, m.bias))
    m(x).sum().backward()
    assert m.weight.grad.shape == m.weight.shape and m.bias.grad.shape == (4,)


# ------------------------------------------------------------------ op records
@pytest.mark.parametrize("rec", records("nn_conv"), ids=lambda r: r.name)
def test_op_records(rec, device):
    check_op(rec, device)
    check_errors(rec, device)
