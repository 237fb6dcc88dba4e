"""The fast array paths of the convolutions (``nn/functional/_conv.py``).

* a forward with many output positions per sample runs one GEMM per sample on strided views
  of the im2col columns (no (O, N) -> (N, O) transpose copy);
* a stride-1 input gradient (and a stride-1 ``conv_transpose``) runs as a plain convolution
  of the output gradient with the flipped, transposed kernel; geometries where that needs a
  negative padding keep the col2im scatter.

References are numpy float64, written here as loops over kernel taps: the direct sum for the
forward and the scatter (adjoint) definition for the input gradient; weight gradients by the
correlation definition.  Double backward by finite differences (gradgradcheck).
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import _host_buffers as workspace
from ember.autograd import gradcheck, gradgradcheck
from ember.nn.functional import _conv_arrays
from ember.testing import assert_close


def _pads(padding, k, d):
    if padding == "same":
        tot = [dd * (kk - 1) for dd, kk in zip(d, k, strict=True)]
        return [(t // 2, t - t // 2) for t in tot]
    return [(padding, padding)] * len(k)


def _taps(k):
    return list(np.ndindex(*k))


def _sl(tap, d, s, osz):
    return tuple(slice(t * dd, t * dd + (o - 1) * ss + 1, ss)
                 for t, dd, ss, o in zip(tap, d, s, osz, strict=True))


def ref_conv(x, w, stride, padding, dilation, groups):
    """out[n, o, p] = sum_{c, t} x_pad[n, g(o) * cg + c, p * s + t * d] * w[o, c, t]."""
    nd = x.ndim - 2
    s, d, k = (stride,) * nd, (dilation,) * nd, w.shape[2:]
    pads = _pads(padding, k, d)
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    n, c = x.shape[:2]
    o = w.shape[0]
    cg, og = c // groups, o // groups
    osz = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    out = np.zeros((n, o, *osz))
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        for tap in _taps(k):
            win = xs[(slice(None), slice(None)) + _sl(tap, d, s, osz)]
            wt = w[(slice(g * og, (g + 1) * og), slice(None)) + tap]
            out[:, g * og:(g + 1) * og] += np.einsum("nc...,oc->no...", win, wt)
    return out


def ref_conv_grads(x, w, gy, stride, padding, dilation, groups):
    """(gx, gw) of sum(conv(x, w) * gy): scatter of gy through each tap, and correlation."""
    nd = x.ndim - 2
    s, d, k = (stride,) * nd, (dilation,) * nd, w.shape[2:]
    pads = _pads(padding, k, d)
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w)
    c = x.shape[1]
    o = w.shape[0]
    cg, og = c // groups, o // groups
    osz = gy.shape[2:]
    for g in range(groups):
        gys = gy[:, g * og:(g + 1) * og]
        for tap in _taps(k):
            key = (slice(None), slice(g * cg, (g + 1) * cg)) + _sl(tap, d, s, osz)
            wt = w[(slice(g * og, (g + 1) * og), slice(None)) + tap]
            gxp[key] += np.einsum("no...,oc->nc...", gys, wt)
            gw[(slice(g * og, (g + 1) * og), slice(None)) + tap] = np.einsum(
                "nop,ncp->oc", gys.reshape(*gys.shape[:2], -1),
                xp[key].reshape(xp.shape[0], cg, -1))
    crop = (slice(None), slice(None)) + tuple(
        slice(lo, lo + n) for (lo, _), n in zip(pads, x.shape[2:], strict=True))
    return gxp[crop], gw


def _rand(rng, shape):
    return rng.standard_normal(shape)


def _case(geom, seed):
    """``(x, w, y_ref, gy, gx_ref, gw_ref)``: random inputs of ``geom`` and the references."""
    xs, ws, s, p, d, g = geom
    rng = np.random.default_rng(seed)
    x, w = _rand(rng, xs), _rand(rng, ws)
    y_ref = ref_conv(x, w, s, p, d, g)
    gy = _rand(rng, y_ref.shape)
    return (x, w, y_ref, gy, *ref_conv_grads(x, w, gy, s, p, d, g))


# (input shape, weight shape, stride, padding, dilation, groups)
GEOMS = [
    ((2, 3, 34, 34), (4, 3, 3, 3), 1, 1, 1, 1),        # many positions; more out channels
    ((2, 4, 36, 36), (4, 2, 3, 3), 1, 0, 1, 2),        # grouped, no padding
    ((1, 3, 40, 33), (3, 3, 3, 3), 1, 2, 1, 1),        # padding == k - 1
    ((2, 5, 9, 9), (4, 5, 3, 3), 1, 1, 2, 1),          # dilated
    ((2, 2, 10, 10), (2, 2, 4, 4), 1, "same", 1, 1),   # asymmetric 'same' padding
    ((2, 4, 8, 8), (4, 1, 3, 3), 1, 1, 1, 4),          # depthwise
    ((2, 3, 8, 8), (2, 3, 3, 3), 1, 3, 1, 1),          # padding > k - 1: col2im fallback
    ((2, 3, 11, 11), (4, 3, 3, 3), 2, 1, 1, 1),        # strided: col2im path
    ((2, 4, 50), (3, 4, 5), 1, 2, 1, 1),               # 1-D, many positions
    ((1, 3, 5, 6, 7), (2, 3, 3, 3, 3), 1, 1, 1, 1),    # 3-D
]


def _conv(nd):
    return {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]


@pytest.mark.parametrize("geom", GEOMS, ids=lambda g: f"{g[0]}-{g[1]}-s{g[2]}p{g[3]}d{g[4]}g{g[5]}")
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_conv_forward_and_grads_match_reference(geom, dtype, device):
    xs, ws, s, p, d, g = geom
    x, w, y_ref, gy, gx_ref, gw_ref = _case(geom, 0)
    xt = ember.tensor(x, dtype=dtype, device=device, requires_grad=True)
    wt = ember.tensor(w, dtype=dtype, device=device, requires_grad=True)
    y = _conv(len(xs) - 2)(xt, wt, stride=s, padding=p, dilation=d, groups=g)
    assert y.dtype == dtype
    tol = {"atol": 1e-4, "rtol": 1e-4} if dtype == ember.float32 else {}
    assert_close(y, ember.tensor(y_ref, dtype=dtype, device=device), **tol)
    y.backward(ember.tensor(gy, dtype=dtype, device=device))  # the array fast path
    assert xt.grad.dtype == dtype and wt.grad.dtype == dtype
    assert_close(xt.grad, ember.tensor(gx_ref, dtype=dtype, device=device), **tol)
    assert_close(wt.grad, ember.tensor(gw_ref, dtype=dtype, device=device), **tol)
    # create_graph runs the ember-op backward formulas (ConvolutionTranspose / ...Weight)
    y2 = _conv(len(xs) - 2)(xt, wt, stride=s, padding=p, dilation=d, groups=g)
    gx, gw = ember.autograd.grad(y2, (xt, wt), ember.tensor(gy, dtype=dtype, device=device),
                                 create_graph=True)
    assert_close(gx, ember.tensor(gx_ref, dtype=dtype, device=device), **tol)
    assert_close(gw, ember.tensor(gw_ref, dtype=dtype, device=device), **tol)


@pytest.mark.parametrize("kw", [
    {"padding": 0}, {"padding": 1}, {"padding": 2, "dilation": 2},
    {"padding": 1, "groups": 2}, {"padding": 0, "dilation": 2, "output_padding": 1},
])
@pytest.mark.parametrize("cog", [3, 4])  # fewer output than input channels: col2im path
def test_conv_transpose_stride1_matches_scatter_reference(kw, cog, device):
    rng = np.random.default_rng(1)
    groups = kw.get("groups", 1)
    x = _rand(rng, (2, 4, 7, 6))
    w = _rand(rng, (4, cog, 3, 3))
    p, d, op = kw["padding"], kw.get("dilation", 1), kw.get("output_padding", 0)
    # the scatter definition: out_full[n, g*cog + c, i + t*d] += x[n, g*cig + j, i] w[j, c, t]
    cig = 4 // groups
    full = [(n - 1) + d * 2 + 1 + op for n in x.shape[2:]]
    out = np.zeros((2, cog * groups, *full))
    for g in range(groups):
        for tap in _taps((3, 3)):
            key = (slice(None), slice(g * cog, (g + 1) * cog)) + tuple(
                slice(t * d, t * d + n) for t, n in zip(tap, x.shape[2:], strict=True))
            out[key] += np.einsum("nj...,jc->nc...", x[:, g * cig:(g + 1) * cig],
                                  w[(slice(g * cig, (g + 1) * cig), slice(None)) + tap])
    ref = out[:, :, p:full[0] - p, p:full[1] - p]
    got = F.conv_transpose2d(ember.tensor(x, device=device), ember.tensor(w, device=device),
                             **kw)
    assert_close(got, ember.tensor(ref, device=device))


@pytest.mark.parametrize("kw", [
    {"padding": 1}, {"padding": "same", "dilation": 2}, {"padding": 1, "groups": 2},
    {"padding": 3},
])
def test_stride1_conv_gradcheck_and_gradgradcheck(kw, device):
    rng = np.random.default_rng(2)
    x = ember.tensor(_rand(rng, (2, 4, 5, 5)), device=device, requires_grad=True)
    w = ember.tensor(_rand(rng, (4, 4 // kw.get("groups", 1), 3, 3)), device=device,
                     requires_grad=True)
    b = ember.tensor(_rand(rng, (4,)), device=device, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))


def test_stride1_conv_transpose_gradgradcheck(device):
    rng = np.random.default_rng(3)
    x = ember.tensor(_rand(rng, (1, 2, 4, 4)), device=device, requires_grad=True)
    w = ember.tensor(_rand(rng, (2, 2, 3, 3)), device=device, requires_grad=True)
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, padding=1), (x, w))
    assert gradgradcheck(lambda x, w: F.conv_transpose2d(x, w, padding=1), (x, w))


def test_float32_conv_keeps_float32_with_bias(device):
    rng = np.random.default_rng(4)
    x = ember.tensor(_rand(rng, (2, 3, 33, 33)), dtype=ember.float32, device=device,
                     requires_grad=True)
    w = ember.tensor(_rand(rng, (4, 3, 3, 3)), dtype=ember.float32, device=device,
                     requires_grad=True)
    b = ember.tensor(_rand(rng, (4,)), dtype=ember.float32, device=device, requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert y.dtype == ember.float32 and y.is_contiguous()
    y.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == ember.float32
    assert_close(b.grad, ember.full((4,), 2.0 * 33 * 33, device=device))


@pytest.mark.parametrize("n,c,o,size,kw", [
    (1, 4, 6, (9, 9), dict(padding=1)),                          # one sample, small image
    (1, 4, 6, (20, 20), dict(stride=2, padding=1)),              # one sample, one GEMM
    (2, 4, 6, (40, 40), dict(padding=1)),                        # per-sample GEMMs, wide grid
    (2, 4, 6, (12, 10), dict(padding=(1, 0), stride=1)),         # (3, 1): wide grid = output
    (2, 4, 6, (40, 30), dict(padding=(1, 0), stride=1)),         # the same, per-sample GEMMs
    (3, 8, 8, (11, 11), dict(stride=2, padding=1, groups=8)),    # depthwise, strided scatter
    (2, 4, 8, (12, 12), dict(padding=1)),                        # stride-1 col2im scatter
])
@pytest.mark.parametrize("blocks", [False, True], ids=["whole", "blocks"])
def test_results_never_share_scratch_buffers(n, c, o, size, kw, blocks, monkeypatch):
    # temporaries (wide-grid products, padded sums, column products) go back to a workspace
    # cache that the next call reuses: no result may live in one of them (every buffer is
    # cached here, not only those over 1 MB); also with columns in blocks of one sample
    monkeypatch.setattr(workspace, "_MIN_BYTES", 1)
    if blocks:
        monkeypatch.setattr(_conv_arrays, "_BLOCK_BYTES", 1)
    rng = np.random.default_rng(11)
    kh = 1 if kw.get("padding") == (1, 0) else 3
    groups = kw.get("groups", 1)
    w = ember.tensor(rng.standard_normal((o, c // groups, 3, kh)).astype(np.float32),
                     requires_grad=True)
    outs = []
    for _ in range(2):
        x = ember.tensor(rng.standard_normal((n, c, *size)).astype(np.float32) * 3,
                         requires_grad=True)
        y = F.conv2d(x, w, **kw)
        y.backward(ember.ones_like(y) * float(rng.standard_normal()))
        outs.append((y, x.grad))
    held = [(y.detach().numpy().copy(), g.numpy().copy()) for y, g in outs]
    for _ in range(2):  # more calls of every shape: the cache hands its buffers out again
        x = ember.tensor(rng.standard_normal((n, c, *size)).astype(np.float32),
                         requires_grad=True)
        F.conv2d(x, w, **kw).sum().backward()
    for (y, g), (y0, g0) in zip(outs, held, strict=True):
        np.testing.assert_array_equal(y.detach().numpy(), y0)
        np.testing.assert_array_equal(g.numpy(), g0)


# (input shape, weight shape, stride, padding, dilation, groups) with 5 samples: blocks of 2
# leave a block of 1
BLOCK_GEOMS = [
    ((5, 3, 34, 34), (4, 3, 3, 3), 1, 1, 1, 1),    # wide grid, per-sample GEMMs
    ((5, 4, 12, 12), (6, 2, 3, 3), 1, 0, 1, 2),    # grouped: one GEMM + transpose per block
    ((5, 3, 11, 11), (4, 3, 3, 3), 2, 1, 1, 1),    # strided: im2col and col2im per block
    ((5, 4, 9, 9), (4, 1, 3, 3), 2, 1, 1, 4),      # depthwise, strided
    ((5, 2, 30), (3, 2, 5), 1, 2, 1, 1),           # 1-D
    ((5, 2, 6, 7, 8), (3, 2, 3, 3, 3), 1, 1, 1, 1),  # 3-D, wide grid
    ((5, 3, 13, 13), (4, 3, 3, 3), 1, 2, 2, 1),    # dilated, exact im2col (1/5 junk)
]


@pytest.mark.parametrize("per_block", [1, 2])
@pytest.mark.parametrize("geom", BLOCK_GEOMS,
                         ids=lambda g: f"{g[0]}-{g[1]}-s{g[2]}p{g[3]}d{g[4]}g{g[5]}")
def test_conv_in_blocks_of_samples_matches_reference(geom, per_block, monkeypatch):
    # large batches run im2col + GEMM (and the weight gradient, and the strided input
    # gradient's GEMM + scatter) in blocks of samples; force blocks of 1 and 2 samples here
    xs, ws, s, p, d, g = geom
    x, w, y_ref, gy, gx_ref, gw_ref = _case(geom, 12)
    per_sample = xs[1] * int(np.prod(ws[2:])) * int(np.prod(y_ref.shape[2:])) * 8
    monkeypatch.setattr(_conv_arrays, "_BLOCK_BYTES", per_block * per_sample)
    assert _conv_arrays._block(np, xs[0], xs[1], y_ref.shape[2:], ws[2:], np.float64) \
        == per_block
    xt = ember.tensor(x, requires_grad=True)
    wt = ember.tensor(w, requires_grad=True)
    y = _conv(len(xs) - 2)(xt, wt, stride=s, padding=p, dilation=d, groups=g)
    assert y.grad_fn._cols is None  # no whole-batch columns kept for the backward
    assert_close(y, ember.tensor(y_ref))
    y.backward(ember.tensor(gy))
    assert_close(xt.grad, ember.tensor(gx_ref))
    assert_close(wt.grad, ember.tensor(gw_ref))
    # the transposed convolution's scatter runs in the same blocks
    gx = {3: F.conv_transpose1d, 4: F.conv_transpose2d, 5: F.conv_transpose3d}[len(xs)]
    got = gx(ember.tensor(gy), wt.detach(), stride=s, padding=p, dilation=d, groups=g,
             output_padding=tuple(n - ((o - 1) * s - 2 * p + d * (k - 1) + 1)
                                  for n, o, k in zip(xs[2:], gy.shape[2:], ws[2:],
                                                     strict=True)))
    assert_close(got, ember.tensor(gx_ref))


def test_block_size_is_the_whole_batch_for_small_columns():
    # 64 x (3 * 9) x 32 x 32 float32 columns: 7 MB, under the block size: one block
    assert _conv_arrays._block(np, 64, 3, (32, 32), (3, 3), np.float32) == 64
    # 16 x (64 * 9) x 56 x 56 columns: 115 MB, 7.2 MB per sample: one sample per block
    assert _conv_arrays._block(np, 16, 64, (56, 56), (3, 3), np.float32) == 1
    # 16 x (256 * 9) x 14 x 14: 1.8 MB per sample: 4 samples per block
    assert _conv_arrays._block(np, 16, 256, (14, 14), (3, 3), np.float32) == 4
