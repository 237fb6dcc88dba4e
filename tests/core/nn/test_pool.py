"""Pooling: max / avg / adaptive / lp pools, max-unpooling, and their layers.

References are numpy float64 loops over output positions written here from PyTorch's
documented window rules (``start = o * stride - padding``; ceil-mode windows must start inside
the input or the left padding; adaptive windows ``[floor(o*S/O), ceil((o+1)*S/O))``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close


def _t(a, device, dtype=ember.float64, rg=False):
    return ember.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=rg)


def _np(t):
    return t.detach().cpu().numpy()


def _tup(v, nd):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd


def _out_size(n, k, s, p, d, ceil):
    num = n + 2 * p - d * (k - 1) - 1
    o = (math.ceil(num / s) if ceil else num // s) + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def max_pool_ref(x, k, stride=None, padding=0, dilation=1, ceil_mode=False):
    """(values, flat per-plane indices) by scanning every window (first maximum wins, the
    last NaN wins over everything)."""
    nd = x.ndim - 2
    k = _tup(k, nd)
    s = _tup(stride if stride is not None else k, nd)
    p, d = _tup(padding, nd), _tup(dilation, nd)
    size = x.shape[2:]
    osz = [_out_size(size[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd)]
    vals = np.zeros(x.shape[:2] + tuple(osz))
    idx = np.zeros(x.shape[:2] + tuple(osz), dtype=np.int64)
    for nc in np.ndindex(*x.shape[:2]):
        for o in np.ndindex(*osz):
            best, arg = -np.inf, -1
            for t in np.ndindex(*k):
                pos = [o[i] * s[i] - p[i] + t[i] * d[i] for i in range(nd)]
                if all(0 <= pos[i] < size[i] for i in range(nd)):
                    v = x[nc + tuple(pos)]
                    flat = int(np.ravel_multi_index(pos, size))
                    if arg < 0:  # PyTorch starts from the first position inside the input
                        arg = flat
                    if v > best or np.isnan(v):  # PyTorch's scan: a NaN always takes over
                        best, arg = v, flat
            vals[nc + o], idx[nc + o] = best, arg
    return vals, idx


def avg_pool_ref(x, k, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
    nd = x.ndim - 2
    k = _tup(k, nd)
    s = _tup(stride if stride is not None else k, nd)
    p = _tup(padding, nd)
    size = x.shape[2:]
    osz = [_out_size(size[i], k[i], s[i], p[i], 1, ceil_mode) for i in range(nd)]
    out = np.zeros(x.shape[:2] + tuple(osz))
    for o in np.ndindex(*osz):
        start = [o[i] * s[i] - p[i] for i in range(nd)]
        end = [min(start[i] + k[i], size[i] + p[i]) for i in range(nd)]
        pool = math.prod(end[i] - start[i] for i in range(nd))
        lo = [max(v, 0) for v in start]
        hi = [min(end[i], size[i]) for i in range(nd)]
        sl = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
        win = x[(slice(None), slice(None)) + sl]
        div = divisor_override or (pool if count_include_pad else
                                   math.prod(b - a for a, b in zip(lo, hi, strict=True)))
        out[(slice(None), slice(None)) + o] = win.sum(tuple(range(2, 2 + nd))) / div
    return out


def _adaptive_windows(n, o):
    return [(j * n // o, -(-(j + 1) * n // o)) for j in range(o)]


def adaptive_ref(x, osz, reduce):
    nd = x.ndim - 2
    size = x.shape[2:]
    wins = [_adaptive_windows(size[i], osz[i]) for i in range(nd)]
    out = np.zeros(x.shape[:2] + tuple(osz))
    idx = np.zeros(x.shape[:2] + tuple(osz), dtype=np.int64)
    for o in np.ndindex(*osz):
        sl = tuple(slice(*wins[i][o[i]]) for i in range(nd))
        w = x[(slice(None), slice(None)) + sl]
        if reduce == "avg":
            out[(slice(None), slice(None)) + o] = w.mean(tuple(range(2, 2 + nd)))
        else:
            flat = w.reshape(w.shape[:2] + (-1,))
            a = flat.argmax(-1)
            out[(slice(None), slice(None)) + o] = flat.max(-1)
            loc = np.unravel_index(a, w.shape[2:])
            glob = [loc[i] + wins[i][o[i]][0] for i in range(nd)]
            idx[(slice(None), slice(None)) + o] = np.ravel_multi_index(glob, size)
    return out, idx


# ------------------------------------------------------------------ max pooling
MAX_CASES = [
    (2, dict()),
    (3, dict(stride=2, padding=1)),
    ((3, 2), dict(stride=(2, 1), padding=(1, 1), dilation=(2, 1), ceil_mode=True)),
    (3, dict(stride=2, ceil_mode=True)),
]


@pytest.mark.parametrize("k,kw", MAX_CASES, ids=str)
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64], ids=str)
def test_max_pool2d_values_and_indices(k, kw, dtype, device):
    x = np.random.default_rng(0).normal(size=(2, 3, 7, 8))
    y, i = F.max_pool2d(_t(x, device, dtype), k, return_indices=True, **kw)
    ref, ridx = max_pool_ref(x.astype(dtype.np if hasattr(dtype, "np") else np.float64)
                             .astype(np.float64), k, **kw)
    assert y.dtype is dtype and i.dtype is ember.int64
    assert_close(_np(y), ref.astype(_np(y).dtype))
    np.testing.assert_array_equal(_np(i), ridx)


def test_max_pool1d_3d_and_unbatched(device):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 9))
    y, i = F.max_pool1d(_t(x, device), 3, 2, 1, return_indices=True)
    ref, ridx = max_pool_ref(x, 3, 2, 1)
    assert_close(_np(y), ref)
    np.testing.assert_array_equal(_np(i), ridx)
    x = rng.normal(size=(3, 5, 6, 7))  # unbatched 3-D
    y, i = F.max_pool3d(_t(x, device), 2, padding=1, return_indices=True)
    ref, ridx = max_pool_ref(x[None], 2, padding=1)
    assert y.shape == ref.shape[1:]
    assert_close(_np(y), ref[0])
    np.testing.assert_array_equal(_np(i), ridx[0])


def test_max_pool_ties_take_the_first_and_nan_propagates(device):
    x = _t([[[1.0, 1.0, 0.0, float("nan")]]], device)
    y, i = F.max_pool1d(x, 2, return_indices=True)
    assert _np(i).tolist() == [[[0, 3]]]
    assert _np(y)[0, 0, 0] == 1.0 and np.isnan(_np(y)[0, 0, 1])


@pytest.mark.parametrize("k,kw", MAX_CASES[:3], ids=str)
def test_max_pool2d_grad_and_gradgrad(k, kw, device):
    x = _t(np.random.default_rng(2).normal(size=(1, 2, 5, 6)), device, rg=True)
    assert gradcheck(lambda t: F.max_pool2d(t, k, **kw), (x,))
    assert gradgradcheck(lambda t: F.max_pool2d(t, k, **kw), (x,))


def test_max_pool_overlapping_windows_accumulate_gradient(device):
    x = _t([[[0.0, 5.0, 1.0, 2.0]]], device, rg=True)
    F.max_pool1d(x, 3, stride=1).sum().backward()  # 5 wins both windows
    assert _np(x.grad).tolist() == [[[0.0, 2.0, 0.0, 0.0]]]


def test_max_pool_fast_backward_matches_ember_ops(device):
    rng = np.random.default_rng(3)
    x = _t(rng.normal(size=(2, 2, 7, 7)), device, rg=True)
    y = F.max_pool2d(x, 3, 2, 1)
    g = _t(rng.normal(size=tuple(y.shape)), device)
    y.backward(g)
    (slow,) = ember.autograd.grad(F.max_pool2d(x, 3, 2, 1), (x,), g, create_graph=True)
    assert_close(_np(x.grad), _np(slow), rtol=1e-12, atol=1e-12)


def test_max_unpool2d_inverts_max_pool(device):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 7, 8))
    y, i = F.max_pool2d(_t(x, device), 2, return_indices=True)
    u = F.max_unpool2d(y, i, 2, output_size=(7, 8))
    ref = np.zeros_like(x)
    flat = ref.reshape(2, 3, -1)
    _, ridx = max_pool_ref(x, 2)
    np.put_along_axis(flat, ridx.reshape(2, 3, -1), max_pool_ref(x, 2)[0].reshape(2, 3, -1), -1)
    assert u.shape == (2, 3, 7, 8)
    assert_close(_np(u), ref)
    assert F.max_unpool2d(y, i, 2).shape == (2, 3, 6, 8)
    yt = _t(_np(y), device, rg=True)
    assert gradcheck(lambda t: F.max_unpool2d(t, i, 2, output_size=(7, 8)), (yt,))


def test_max_unpool1d_hand_values(device):
    u = F.max_unpool1d(_t([[[3.0, 2.0]]], device), ember.tensor([[[1, 2]]], device=device), 2)
    assert _np(u).tolist() == [[[0.0, 3.0, 2.0, 0.0]]]


# ------------------------------------------------------------------ average pooling
AVG_CASES = [
    (2, dict()),
    (3, dict(stride=2, padding=1)),
    (3, dict(stride=2, padding=1, count_include_pad=False, ceil_mode=True)),
    ((3, 2), dict(stride=2, padding=1, ceil_mode=True)),
    (2, dict(divisor_override=3)),
]


@pytest.mark.parametrize("k,kw", AVG_CASES, ids=str)
def test_avg_pool2d_forward_and_grad(k, kw, device):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 7, 8))
    assert_close(_np(F.avg_pool2d(_t(x, device), k, **kw)), avg_pool_ref(x, k, **kw),
                 rtol=1e-12, atol=1e-12)
    xs = _t(x[:1, :2, :5, :5], device, rg=True)
    assert gradcheck(lambda t: F.avg_pool2d(t, k, **kw), (xs,))
    assert gradgradcheck(lambda t: F.avg_pool2d(t, k, **kw), (xs,))


def test_avg_pool1d_3d(device):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 3, 9))
    assert_close(_np(F.avg_pool1d(_t(x, device), 3, 2, 1, True, False)),
                 avg_pool_ref(x, 3, 2, 1, True, False), rtol=1e-12, atol=1e-12)
    x = rng.normal(size=(1, 2, 5, 6, 7))
    y = F.avg_pool3d(_t(x, device), 3, stride=2, padding=1, ceil_mode=True)
    assert_close(_np(y), avg_pool_ref(x, 3, 2, 1, True), rtol=1e-12, atol=1e-12)
    x32 = ember.randn(1, 1, 4, 4, device=device, requires_grad=True)
    y32 = F.avg_pool2d(x32, 2)
    y32.sum().backward()
    assert y32.dtype is ember.float32 and x32.grad.dtype is ember.float32
    assert_close(_np(x32.grad), np.full((1, 1, 4, 4), 0.25, np.float32))


def test_lp_pool(device):
    rng = np.random.default_rng(7)
    x = np.abs(rng.normal(size=(2, 3, 6, 7))) + 0.1
    y = F.lp_pool2d(_t(x, device), 2.0, 3, stride=2)
    ref = np.sqrt(avg_pool_ref(x ** 2, 3, 2) * 9)
    assert_close(_np(y), ref, rtol=1e-12, atol=1e-12)
    y1 = F.lp_pool1d(_t(x[0, 0], device), 3.0, 2)  # unbatched (C, L)
    assert_close(_np(y1), np.cbrt(avg_pool_ref(x[0, 0][None] ** 3, 2)[0] * 2), rtol=1e-12)
    xs = _t(x[:1, :1, :4, :4], device, rg=True)
    assert gradcheck(lambda t: F.lp_pool2d(t, 2.0, 2), (xs,))


# ------------------------------------------------------------------ adaptive pooling
@pytest.mark.parametrize("osz", [(3, 5), (7, 4), (1, 1), (2, 8), (5, 3)], ids=str)
def test_adaptive_pool2d(osz, device):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, 3, 7, 8))
    ravg, _ = adaptive_ref(x, osz, "avg")
    rmax, ridx = adaptive_ref(x, osz, "max")
    assert_close(_np(F.adaptive_avg_pool2d(_t(x, device), osz)), ravg, rtol=1e-12, atol=1e-12)
    y, i = F.adaptive_max_pool2d(_t(x, device), osz, return_indices=True)
    assert_close(_np(y), rmax)
    np.testing.assert_array_equal(_np(i), ridx)
    xs = _t(x[:1, :2, :5, :6], device, rg=True)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, osz), (xs,))
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, osz), (xs,))


def test_adaptive_pool_1d_3d_none_and_unbatched(device):
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 3, 7))
    assert_close(_np(F.adaptive_avg_pool1d(_t(x, device), 3)), adaptive_ref(x, (3,), "avg")[0],
                 rtol=1e-12, atol=1e-12)
    y, i = F.adaptive_max_pool1d(_t(x[0], device), 3, return_indices=True)
    rmax, ridx = adaptive_ref(x[:1], (3,), "max")
    assert_close(_np(y), rmax[0])
    np.testing.assert_array_equal(_np(i), ridx[0])
    x = rng.normal(size=(1, 2, 5, 6, 7))
    y = F.adaptive_avg_pool3d(_t(x, device), (2, 4, None))
    assert_close(_np(y), adaptive_ref(x, (2, 4, 7), "avg")[0], rtol=1e-12, atol=1e-12)
    y = F.adaptive_max_pool3d(_t(x, device), (3, 2, 4))
    assert_close(_np(y), adaptive_ref(x, (3, 2, 4), "max")[0])


def test_adaptive_pool_gradgrad(device):
    x = _t(np.random.default_rng(10).normal(size=(1, 2, 5, 5)), device, rg=True)
    assert gradgradcheck(lambda t: F.adaptive_avg_pool2d(t, 3), (x,))
    assert gradgradcheck(lambda t: F.adaptive_max_pool2d(t, (2, 3)), (x,))


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("call,exc,match", [
    (lambda d: F.max_pool2d(ember.ones(2, 3, device=d), 2), RuntimeError,
     r"max_pool2d: Expected 3D or 4D \(batch mode\) tensor for input"),
    (lambda d: F.max_pool2d(ember.ones(1, 1, 4, 4, device=d), 2, padding=2), RuntimeError,
     r"pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and "
     r"dilation=1"),
    (lambda d: F.avg_pool2d(ember.ones(1, 1, 4, 4, device=d), 2, padding=2), RuntimeError,
     r"pad should be at most half of effective kernel size"),
    (lambda d: F.max_pool2d(ember.ones(1, 1, 2, 2, device=d), 3), RuntimeError,
     r"Given input size: \(1x2x2\). Calculated output size: \(1x0x0\). Output size is too "
     r"small"),
    (lambda d: F.max_pool2d(ember.ones(1, 1, 4, 4, device=d), 2, stride=0), RuntimeError,
     r"stride should not be zero"),
    (lambda d: F.adaptive_avg_pool2d(ember.ones(2, 3, device=d), 2), RuntimeError,
     r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got \[2, 3\]"),
    (lambda d: F.avg_pool2d(ember.ones(1, 1, 4, 4, device=d), 2, divisor_override=0),
     RuntimeError, r"divisor must be not zero"),
    (lambda d: F.max_unpool2d(ember.ones(1, 1, 2, 2, device=d),
                              ember.zeros(1, 1, 2, 2, dtype=ember.int64, device=d), 2,
                              output_size=(7, 7)),
     ValueError, r'invalid output_size "\(7, 7\)" \(dim 0 must be between 2 and 6\)'),
    (lambda d: F.max_unpool2d(ember.ones(1, 1, 2, 2, device=d),
                              ember.zeros(1, 1, 2, 1, dtype=ember.int64, device=d), 2),
     RuntimeError, r"Expected shape of indices to be same as that of the input tensor"),
], ids=["rank", "max_pad", "avg_pad", "too_small", "stride0", "adaptive_rank", "divisor0",
        "unpool_size", "unpool_indices"])
def test_pool_errors(call, exc, match, device):
    with pytest.raises(exc, match=match):
        call(device)


# ------------------------------------------------------------------ layers
@pytest.mark.parametrize("m,expected", [
    (lambda: nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                              "ceil_mode=False)"),
    (lambda: nn.MaxPool1d(3, 2, 1, 1, True, True),
     "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)"),
    (lambda: nn.MaxPool3d((2, 2, 2)), "MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), "
                                      "padding=0, dilation=1, ceil_mode=False)"),
    (lambda: nn.AvgPool1d(2), "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"),
    (lambda: nn.AvgPool2d(3, 2, 1, True, False, 2), "AvgPool2d(kernel_size=3, stride=2, "
                                                    "padding=1)"),
    (lambda: nn.AvgPool3d(2), "AvgPool3d(kernel_size=2, stride=2, padding=0)"),
    (lambda: nn.MaxUnpool1d(2), "MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))"),
    (lambda: nn.MaxUnpool2d(2, 1), "MaxUnpool2d(kernel_size=(2, 2), stride=(1, 1), "
                                   "padding=(0, 0))"),
    (lambda: nn.MaxUnpool3d(2), "MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), "
                                "padding=(0, 0, 0))"),
    (lambda: nn.AdaptiveAvgPool1d(3), "AdaptiveAvgPool1d(output_size=3)"),
    (lambda: nn.AdaptiveAvgPool2d((3, None)), "AdaptiveAvgPool2d(output_size=(3, None))"),
    (lambda: nn.AdaptiveAvgPool3d(2), "AdaptiveAvgPool3d(output_size=2)"),
    (lambda: nn.AdaptiveMaxPool1d(2), "AdaptiveMaxPool1d(output_size=2)"),
    (lambda: nn.AdaptiveMaxPool2d(2, True), "AdaptiveMaxPool2d(output_size=2)"),
    (lambda: nn.LPPool1d(2, 3), "LPPool1d(norm_type=2, kernel_size=3, stride=None, "
                                "ceil_mode=False)"),
    (lambda: nn.LPPool2d(2, 3, 2, True), "LPPool2d(norm_type=2, kernel_size=3, stride=2, "
                                         "ceil_mode=True)"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None)
def test_pool_layer_repr(m, expected):
    mod = m()
    assert repr(mod) == expected
    assert list(mod.state_dict()) == []


def test_pool_layers_forward(device):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 3, 6, 7))
    xt = _t(x, device)
    y, i = nn.MaxPool2d(3, 2, 1, return_indices=True)(xt)
    ref, ridx = max_pool_ref(x, 3, 2, 1)
    assert_close(_np(y), ref)
    u = nn.MaxUnpool2d(3, 2, 1)(y, i, output_size=xt.shape)
    assert u.shape == (2, 3, 6, 7)
    assert_close(_np(nn.AvgPool2d(2, ceil_mode=True)(xt)), avg_pool_ref(x, 2, ceil_mode=True))
    assert_close(_np(nn.AdaptiveAvgPool2d((2, None))(xt)), adaptive_ref(x, (2, 7), "avg")[0])
    assert_close(_np(nn.AdaptiveMaxPool2d(3)(xt)), adaptive_ref(x, (3, 3), "max")[0])
    assert_close(_np(nn.LPPool2d(1, 2)(_t(np.abs(x), device))),
                 avg_pool_ref(np.abs(x), 2) * 4, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("nd,shape,k", [(1, (2, 3, 9), 3), (2, (2, 3, 7, 9), 2),
                                        (2, (1, 2, 6, 6), (3, 2)), (3, (1, 2, 4, 5, 6), 2)])
def test_tiling_max_pool_matches_the_reference_with_ties_and_nans(nd, shape, k, device):
    # kernel = stride, no padding: the windows tile the input (sizes that do not divide leave
    # a border that no window reads and that gets no gradient)
    rng = np.random.default_rng(7)
    x = rng.integers(0, 3, size=shape).astype(np.float64)  # many ties
    x.reshape(-1)[::11] = np.nan
    fn = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1]
    xt = _t(x, device, rg=True)
    y, i = fn(xt, k, return_indices=True)
    ref, ridx = max_pool_ref(x, k)
    np.testing.assert_array_equal(_np(y), ref)  # NaN-aware equality
    np.testing.assert_array_equal(_np(i), ridx)
    gy = rng.normal(size=ref.shape)
    y.backward(_t(gy, device))
    assert_close(_np(xt.grad).ravel(), _routed_ref(x.shape, ridx, gy))
    xs = _t(rng.normal(size=shape), device, rg=True)
    assert gradgradcheck(lambda t: fn(t, k), (xs,))


def _routed_ref(shape, ridx, gy):
    """Flat input gradient of a max pool: each ``gy`` added at its window's flat index."""
    n, c = shape[:2]
    expect = np.zeros(math.prod(shape))
    plane = np.arange(n * c).reshape(n, c, 1) * math.prod(shape[2:])
    np.add.at(expect, (ridx.reshape(n, c, -1) + plane).ravel(), gy.ravel())
    return expect


OVERLAP_CASES = [  # windows that overlap or skip: reduced one axis at a time
    (1, (2, 3, 11), dict(kernel_size=3, stride=2, padding=1)),
    (1, (1, 2, 9), dict(kernel_size=4, stride=1, dilation=2, ceil_mode=True)),
    (2, (2, 3, 9, 10), dict(kernel_size=3, stride=2, padding=1)),
    (2, (1, 2, 8, 9), dict(kernel_size=(3, 2), stride=(1, 3), padding=(1, 0),
                           dilation=(2, 1), ceil_mode=True)),
    (2, (1, 2, 7, 7), dict(kernel_size=2, stride=3)),
    (3, (1, 2, 5, 6, 7), dict(kernel_size=3, stride=(2, 1, 2), padding=1)),
]


@pytest.mark.parametrize("nd,shape,kw", OVERLAP_CASES, ids=str)
def test_overlapping_max_pool_matches_the_reference_with_ties_nans_infs(nd, shape, kw,
                                                                         device):
    # the max is taken one axis at a time: ties must still go to the first tap in row-major
    # order, and a NaN window to its last NaN, as PyTorch's one scan over the window does
    rng = np.random.default_rng(8)
    fn = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1]
    for special in (None, np.nan, -np.inf):
        x = rng.integers(0, 3, size=shape).astype(np.float64)  # many ties
        if special is not None:
            x.reshape(-1)[::7] = special
        if special == -np.inf:  # whole windows of -inf, some reaching into the padding
            x[(Ellipsis,) + (slice(0, 2),) * nd] = -np.inf
        xt = _t(x, device, rg=True)
        y, i = fn(xt, return_indices=True, **kw)
        ref, ridx = max_pool_ref(x, kw["kernel_size"], kw.get("stride"), kw.get("padding", 0),
                                 kw.get("dilation", 1), kw.get("ceil_mode", False))
        np.testing.assert_array_equal(_np(y), ref)  # NaN-aware equality
        np.testing.assert_array_equal(_np(i), ridx)
        gy = rng.normal(size=ref.shape)
        y.backward(_t(gy, device))
        assert_close(_np(xt.grad).ravel(), _routed_ref(shape, ridx, gy))


@pytest.mark.parametrize("k,s", [(3, 2), (2, 2)], ids=["overlapping", "tiling"])
def test_max_pool_inf_gradient_reaches_only_the_maximum(k, s, device):
    # a masked product would turn inf * 0 into NaN at the losing taps
    x = _t([[[0.0, 5.0, 1.0, 2.0, 7.0, 3.0]]], device, rg=True)
    y, i = F.max_pool1d(x, k, s, return_indices=True)
    y.backward(_t(np.full(tuple(y.shape), np.inf), device))
    expect = np.zeros(6)
    expect[_np(i).ravel()] = np.inf
    np.testing.assert_array_equal(_np(x.grad).ravel(), expect)
