"""The fused recurrence node behind nn.RNN/LSTM/GRU (one autograd node per layer+direction).

Gradients are checked against finite differences (gradcheck/gradgradcheck, float64) and the
array-level BPTT against a numpy float64 BPTT written here (per sequence, explicit loop over
time); both the plain and the ``create_graph`` backward are covered, with packed batch sizes,
both directions, with and without biases and projection.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.autograd import gradcheck, gradgradcheck
from ember.nn.functional._rnn_fused import recurrence
from ember.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from ember.testing import assert_close

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
MODES = list(GATES)
BATCH_SIZES = [3, 3, 2, 1]  # packed: sequences of lengths 4, 3, 2


def _np(t):
    return t.detach().numpy(force=True).astype(np.float64)


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _inputs(mode, device, *, bias=True, proj=False, seed=0, dtype=ember.float64, rg=True):
    """(gi, h0, c0, w_hh, b_ih, b_hh, w_hr) tensors for a hidden size of 3."""
    rng = np.random.default_rng(seed)
    hidden, h_out = 3, (2 if proj else 3)
    g = GATES[mode] * hidden
    n = sum(BATCH_SIZES)

    def t(*shape, scale=1.0):
        arr = scale * rng.standard_normal(shape)
        return ember.tensor(arr, dtype=dtype, device=device, requires_grad=rg)

    return (t(n, g), t(BATCH_SIZES[0], h_out), t(BATCH_SIZES[0], hidden) if mode == "LSTM"
            else None, t(g, h_out, scale=0.7), t(g) if bias else None, t(g) if bias else None,
            t(h_out, hidden, scale=0.7) if proj else None)


def _run(mode, inputs, reverse):
    gi, h0, c0, w_hh, b_ih, b_hh, w_hr = inputs
    state0 = (h0,) if c0 is None else (h0, c0)
    out, state = recurrence(mode, gi, BATCH_SIZES, state0, w_hh, b_ih, b_hh, w_hr, reverse)
    return (out, *state)


def _ref_forward(mode, arrs, reverse):
    """numpy float64 recurrence per sequence; returns (out, h_n, c_n, cache) with the
    per-step values the reference BPTT needs."""
    gi, h0, c0, w_hh, b_ih, b_hh, w_hr = arrs
    hidden = gi.shape[1] // GATES[mode]
    b_ih = np.zeros(gi.shape[1]) if b_ih is None else b_ih
    b_hh = np.zeros(gi.shape[1]) if b_hh is None else b_hh
    offs = np.concatenate([[0], np.cumsum(BATCH_SIZES)])
    out = np.zeros((gi.shape[0], h0.shape[1]))
    hn, cn = h0.copy(), None if c0 is None else c0.copy()
    cache = {}
    for b in range(h0.shape[0]):
        steps = [t for t, bs in enumerate(BATCH_SIZES) if bs > b]
        h, c = h0[b], None if c0 is None else c0[b]
        for t in (steps[::-1] if reverse else steps):
            row = offs[t] + b
            a = gi[row] + b_ih
            gh = w_hh @ h + b_hh
            if mode == "LSTM":
                z = a + gh
                i, f = _sig(z[:hidden]), _sig(z[hidden:2 * hidden])
                gg, o = np.tanh(z[2 * hidden:3 * hidden]), _sig(z[3 * hidden:])
                cache[row] = (h, c, i, f, gg, o)
                c = f * c + i * gg
                hf = o * np.tanh(c)
                h = hf if w_hr is None else w_hr @ hf
                cache[row] += (c, hf)
            elif mode == "GRU":
                r = _sig(a[:hidden] + gh[:hidden])
                zz = _sig(a[hidden:2 * hidden] + gh[hidden:2 * hidden])
                n = np.tanh(a[2 * hidden:] + r * gh[2 * hidden:])
                cache[row] = (h, r, zz, n, gh[2 * hidden:])
                h = (1 - zz) * n + zz * h
            else:
                pre = a + gh
                cache[row] = (h, pre)
                h = np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0)
            out[row] = h
        hn[b] = h
        if c0 is not None:
            cn[b] = c
    return out, hn, cn, cache


def _ref_grads(mode, arrs, reverse, g_out, g_hn, g_cn):
    """Reference BPTT (float64, one sequence at a time): grads of the 7 inputs."""
    gi, h0, c0, w_hh, b_ih, b_hh, w_hr = arrs
    _, _, _, cache = _ref_forward(mode, arrs, reverse)
    offs = np.concatenate([[0], np.cumsum(BATCH_SIZES)])
    d_gi = np.zeros_like(gi)
    d_h0, d_whh, d_bhh = np.zeros_like(h0), np.zeros_like(w_hh), np.zeros(gi.shape[1])
    d_c0 = None if c0 is None else np.zeros_like(c0)
    d_whr = None if w_hr is None else np.zeros_like(w_hr)
    for b in range(h0.shape[0]):
        steps = [t for t, bs in enumerate(BATCH_SIZES) if bs > b]
        order = steps[::-1] if reverse else steps
        dh = g_hn[b].copy()
        dc = None if c0 is None else g_cn[b].copy()
        for t in order[::-1]:
            row = offs[t] + b
            dh = dh + g_out[row]
            if mode == "LSTM":
                hp, cp, i, f, gg, o, c, hf = cache[row]
                if w_hr is not None:
                    d_whr += np.outer(dh, hf)
                    dh = w_hr.T @ dh
                tc = np.tanh(c)
                dc = dc + dh * o * (1 - tc ** 2)
                dz = np.concatenate([dc * gg * i * (1 - i), dc * cp * f * (1 - f),
                                     dc * i * (1 - gg ** 2), dh * tc * o * (1 - o)])
                d_gi[row] = dz
                d_whh += np.outer(dz, hp)
                d_bhh += dz
                dc = dc * f
                dh = w_hh.T @ dz
            elif mode == "GRU":
                hp, r, zz, n, ghn = cache[row]
                dn = dh * (1 - zz) * (1 - n ** 2)
                dzz = dh * (hp - n) * zz * (1 - zz)
                dr = dn * ghn * r * (1 - r)
                d_gi[row] = np.concatenate([dr, dzz, dn])
                dgh = np.concatenate([dr, dzz, dn * r])
                d_whh += np.outer(dgh, hp)
                d_bhh += dgh
                dh = dh * zz + w_hh.T @ dgh
            else:
                hp, pre = cache[row]
                dz = dh * (1 - np.tanh(pre) ** 2) if mode == "RNN_TANH" else dh * (pre > 0)
                d_gi[row] = dz
                d_whh += np.outer(dz, hp)
                d_bhh += dz
                dh = w_hh.T @ dz
        d_h0[b] = dh
        if c0 is not None:
            d_c0[b] = dc
    d_bih = d_gi.sum(0)
    return d_gi, d_h0, d_c0, d_whh, d_bih, d_bhh, d_whr


CASES = [(m, rev, bias, proj) for m in MODES for rev in (False, True) for bias in (True, False)
         for proj in ((False, True) if m == "LSTM" else (False,))]
CASE_IDS = [f"{m}-{'rev' if r else 'fwd'}-{'bias' if b else 'nobias'}{'-proj' if p else ''}"
            for m, r, b, p in CASES]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_forward_and_bptt_match_numpy_reference(case, device):
    mode, reverse, bias, proj = case
    inputs = _inputs(mode, device, bias=bias, proj=proj)
    arrs = [None if t is None else _np(t) for t in inputs]
    outs = _run(mode, inputs, reverse)
    ref = _ref_forward(mode, arrs, reverse)
    for got, want in zip(outs, ref[:3], strict=False):
        assert_close(_np(got), want, rtol=1e-12, atol=1e-12)
    rng = np.random.default_rng(1)
    gouts = [rng.standard_normal(tuple(o.shape)) for o in outs]
    ember.autograd.backward(outs, [ember.tensor(g, device=device) for g in gouts])
    g_cn = gouts[2] if mode == "LSTM" else None
    want = _ref_grads(mode, arrs, reverse, gouts[0], gouts[1], g_cn)
    for t, w in zip(inputs, want, strict=True):
        if t is not None:
            assert_close(_np(t.grad), w, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradcheck(case, device):
    mode, reverse, bias, proj = case
    inputs = _inputs(mode, device, bias=bias, proj=proj, seed=2)
    present = [t for t in inputs if t is not None]

    def f(*ts):
        it = iter(ts)
        full = [None if t is None else next(it) for t in inputs]
        return _run(mode, full, reverse)

    assert gradcheck(f, present)


@pytest.mark.parametrize("mode", MODES)
def test_gradgradcheck(mode, device):
    inputs = _inputs(mode, device, proj=mode == "LSTM", seed=3)
    present = [t for t in inputs if t is not None]

    def f(*ts):
        it = iter(ts)
        full = [None if t is None else next(it) for t in inputs]
        return _run(mode, full, mode == "GRU")

    assert gradgradcheck(f, present)


@pytest.mark.parametrize("mode", MODES)
def test_create_graph_backward_equals_plain(mode, device):
    inputs = _inputs(mode, device, seed=4)
    present = [t for t in inputs if t is not None]
    outs = _run(mode, inputs, False)
    loss = sum((o * o).sum() for o in outs)
    plain = ember.autograd.grad(loss, present, retain_graph=True)
    graph = ember.autograd.grad(loss, present, create_graph=True)
    for a, b in zip(plain, graph, strict=True):
        assert b.requires_grad
        assert_close(_np(b), _np(a), rtol=1e-12, atol=1e-12)


def test_unused_outputs_and_partial_inputs(device):
    gi, h0, c0, w_hh, b_ih, b_hh, _ = _inputs("LSTM", device, seed=5)
    h0 = h0.detach()  # no gradient wanted for the initial state
    out, (hn, cn) = recurrence("LSTM", gi, BATCH_SIZES, (h0, c0), w_hh, b_ih, b_hh, None,
                               False)
    assert out.grad_fn is hn.grad_fn is cn.grad_fn
    cn.sum().backward()  # out and h_n get no gradient
    arrs = [_np(t) for t in (gi, h0, c0, w_hh, b_ih, b_hh)] + [None]
    want = _ref_grads("LSTM", arrs, False, np.zeros(tuple(out.shape)), np.zeros(tuple(hn.shape)),
                      np.ones(tuple(cn.shape)))
    assert h0.grad is None
    for t, w in zip((gi, c0, w_hh, b_ih, b_hh), (want[0], *want[2:6]), strict=True):
        assert_close(_np(t.grad), w, rtol=1e-10, atol=1e-10)


def test_retain_graph_and_freed_graph(device):
    inputs = _inputs("GRU", device, seed=6)
    out = _run("GRU", inputs, False)[0]
    out.sum().backward(retain_graph=True)
    first = _np(inputs[3].grad)
    out.sum().backward()
    assert_close(_np(inputs[3].grad), 2 * first, rtol=1e-12, atol=1e-12)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        out.sum().backward()


def test_inplace_change_of_recurrent_weight_is_detected(device):
    inputs = _inputs("RNN_TANH", device, seed=7)
    out = _run("RNN_TANH", inputs, False)[0]
    with ember.no_grad():
        inputs[3].mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("mode", MODES)
def test_no_grad_and_float32(mode, device):
    inputs = _inputs(mode, device, seed=8, dtype=ember.float32, rg=False)
    arrs = [None if t is None else _np(t) for t in inputs]
    outs = _run(mode, inputs, True)
    ref = _ref_forward(mode, arrs, True)
    for got, want in zip(outs, ref[:3], strict=False):
        assert got.dtype == ember.float32
        assert got.grad_fn is None
        assert_close(_np(got), want, rtol=1e-5, atol=1e-5, check_dtype=False)


def test_sigmoid_saturation_is_finite(device):
    gi, h0, c0, w_hh, _, _, _ = _inputs("LSTM", device, seed=9, dtype=ember.float32, rg=False)
    big = ember.full(tuple(gi.shape), -200.0, device=device)  # exp(200) overflows float32
    out, (hn, cn) = recurrence("LSTM", big, BATCH_SIZES, (h0, c0), w_hh, None, None, None,
                               False)
    assert np.isfinite(_np(out)).all() and np.isfinite(_np(cn)).all()
    # every gate is ~0 except tanh(g) = -1: c' = 0 * c, h' = 0
    assert_close(_np(cn), np.zeros(tuple(cn.shape)), rtol=0, atol=1e-30)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_module_double_backward_packed(cls, device):
    ember.manual_seed(0)
    kw = {"proj_size": 1} if cls is nn.LSTM else {}
    m = cls(2, 2, num_layers=2, bidirectional=True, dtype=ember.float64, device=device, **kw)
    rng = np.random.default_rng(10)
    x = ember.tensor(rng.standard_normal((3, 2, 2)), device=device, requires_grad=True)

    def f(x, *ps):  # gradgradcheck perturbs the chosen parameters in place, so m sees ps
        out, _ = m(pack_padded_sequence(x, [3, 2]))
        return pad_packed_sequence(out)[0]

    assert gradgradcheck(f, (x, m.weight_hh_l0_reverse, m.weight_ih_l1))


def test_module_dtype_mismatch_errors():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match=r"RNN input dtype \(ember.float64\) does not match "
                                         r"weight dtype \(ember.float32\)"):
        lstm(ember.randn(2, 1, 3, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="Input and hidden tensors are not the same dtype, "
                                           "found input tensor with Float and hidden tensor "
                                           "with Double"):
        nn.GRU(3, 4)(ember.randn(2, 1, 3), ember.randn(1, 1, 4, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in "
                                           "RNN"):
        lstm(ember.randn(0, 2, 3))
