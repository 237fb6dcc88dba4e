"""RNN, LSTM, GRU and their cells.

References are numpy float64 recurrences written here (explicit loop over time per sequence);
gradients by finite differences (float64). Reprs, state_dict keys and error messages were read
from PyTorch 2.13 and are written literally.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.autograd import gradcheck
from ember.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from ember.testing import assert_close

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _t(a, device, dtype=ember.float64, rg=False):
    return ember.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=rg)


def _np(t):
    return t.detach().numpy(force=True).astype(np.float64)


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _ref_step(mode, x, h, c, p, sfx):
    """One step for a single sequence (vectors); returns (h, c)."""
    w_ih, w_hh = p["weight_ih" + sfx], p["weight_hh" + sfx]
    b_ih = p.get("bias_ih" + sfx, np.zeros(w_ih.shape[0]))
    b_hh = p.get("bias_hh" + sfx, np.zeros(w_ih.shape[0]))
    gi = w_ih @ x + b_ih
    gh = w_hh @ h + b_hh
    if mode == "RNN_TANH":
        return np.tanh(gi + gh), None
    if mode == "RNN_RELU":
        return np.maximum(gi + gh, 0.0), None
    if mode == "GRU":
        H = h.shape[0]
        r = _sig(gi[:H] + gh[:H])
        z = _sig(gi[H:2 * H] + gh[H:2 * H])
        n = np.tanh(gi[2 * H:] + r * gh[2 * H:])
        return (1 - z) * n + z * h, None
    H = c.shape[0]
    g = gi + gh
    i, f, gg, o = _sig(g[:H]), _sig(g[H:2 * H]), np.tanh(g[2 * H:3 * H]), _sig(g[3 * H:])
    c2 = f * c + i * gg
    h2 = o * np.tanh(c2)
    if "weight_hr" + sfx in p:
        h2 = p["weight_hr" + sfx] @ h2
    return h2, c2


def _ref(mode, params, x, h0, c0, num_layers, bidir, lengths=None):
    """Time-major x (T, B, in); returns output (T, B, D*H_out) zero past each length, h_n, c_n."""
    T, B, _ = x.shape
    D = 2 if bidir else 1
    lengths = [T] * B if lengths is None else lengths
    hn = np.zeros_like(h0)
    cn = None if c0 is None else np.zeros_like(c0)
    inp = x
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            idx = layer * D + d
            out = np.zeros((T, B, h0.shape[2]))
            for b in range(B):
                h = h0[idx, b]
                c = None if c0 is None else c0[idx, b]
                steps = range(lengths[b]) if d == 0 else range(lengths[b] - 1, -1, -1)
                for t in steps:
                    h, c = _ref_step(mode, inp[t, b], h, c, params, sfx)
                    out[t, b] = h
                hn[idx, b] = h
                if c0 is not None:
                    cn[idx, b] = c
            outs.append(out)
        inp = np.concatenate(outs, axis=2)
    return inp, hn, cn


def _params(m):
    return {k: _np(v) for k, v in m.named_parameters()}


def _make(cls, kw, device):
    ember.manual_seed(0)
    return cls(3, 4, dtype=ember.float64, device=device, **kw)


CONFIGS = [
    (nn.RNN, "RNN_TANH", {}),
    (nn.RNN, "RNN_RELU", {"nonlinearity": "relu", "num_layers": 2}),
    (nn.RNN, "RNN_TANH", {"bias": False, "bidirectional": True, "batch_first": True}),
    (nn.LSTM, "LSTM", {}),
    (nn.LSTM, "LSTM", {"num_layers": 2, "bidirectional": True}),
    (nn.LSTM, "LSTM", {"proj_size": 2, "num_layers": 2, "batch_first": True}),
    (nn.LSTM, "LSTM", {"proj_size": 3, "bidirectional": True, "bias": False}),
    (nn.GRU, "GRU", {}),
    (nn.GRU, "GRU", {"num_layers": 3, "bidirectional": True, "batch_first": True}),
    (nn.GRU, "GRU", {"bias": False, "num_layers": 2}),
]
IDS = [f"{c[0].__name__}-{c[1]}-{'-'.join(f'{k}{v}' for k, v in c[2].items())}" for c in CONFIGS]


def _states(mode, kw, B, rng):
    D = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    h0 = rng.standard_normal((D, B, kw.get("proj_size", 0) or 4))
    c0 = rng.standard_normal((D, B, 4)) if mode == "LSTM" else None
    return h0, c0


def _call(m, mode, x, h0, c0):
    if mode == "LSTM":
        out, (h, c) = m(x, (h0, c0))
        return out, h, c
    out, h = m(x, h0)
    return out, h, None


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_forward_matches_reference(cfg, device):
    cls, mode, kw = cfg
    m = _make(cls, kw, device)
    rng = np.random.default_rng(1)
    T, B = 5, 3
    x = rng.standard_normal((T, B, 3))
    h0, c0 = _states(mode, kw, B, rng)
    out_ref, hn_ref, cn_ref = _ref(mode, _params(m), x, h0, c0, kw.get("num_layers", 1),
                                   kw.get("bidirectional", False))
    xin = x.transpose(1, 0, 2) if kw.get("batch_first") else x
    out, hn, cn = _call(m, mode, _t(xin, device), _t(h0, device),
                        None if c0 is None else _t(c0, device))
    if kw.get("batch_first"):
        out_ref = out_ref.transpose(1, 0, 2)
    assert_close(_np(out), out_ref, rtol=1e-10, atol=1e-10)
    assert_close(_np(hn), hn_ref, rtol=1e-10, atol=1e-10)
    if mode == "LSTM":
        assert_close(_np(cn), cn_ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cfg", CONFIGS[::3], ids=IDS[::3])
def test_default_zero_state_and_float32(cfg, device):
    cls, mode, kw = cfg
    m = _make(cls, kw, device)
    x = np.random.default_rng(2).standard_normal((4, 2, 3))
    h0, c0 = _states(mode, kw, 2, np.random.default_rng(0))
    h0[:] = 0
    if c0 is not None:
        c0[:] = 0
    xin = x.transpose(1, 0, 2) if kw.get("batch_first") else x
    out_ref = _ref(mode, _params(m), x, h0, c0, kw.get("num_layers", 1),
                   kw.get("bidirectional", False))[0]
    if kw.get("batch_first"):
        out_ref = out_ref.transpose(1, 0, 2)
    out = m(_t(xin, device))[0]
    assert_close(_np(out), out_ref, rtol=1e-10, atol=1e-10)
    m32 = m.float()
    out32 = m32(_t(xin, device, ember.float32))[0]
    assert out32.dtype == ember.float32
    assert_close(_np(out32), out_ref, rtol=1e-4, atol=1e-5, check_dtype=False)


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_unbatched_input(cfg, device):
    cls, mode, kw = cfg
    m = _make(cls, kw, device)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 1, 3))
    h0, c0 = _states(mode, kw, 1, rng)
    out_ref, hn_ref, _ = _ref(mode, _params(m), x, h0, c0, kw.get("num_layers", 1),
                              kw.get("bidirectional", False))
    out, hn, cn = _call(m, mode, _t(x[:, 0], device), _t(h0[:, 0], device),
                        None if c0 is None else _t(c0[:, 0], device))
    assert tuple(out.shape) == (4, out_ref.shape[2])
    assert_close(_np(out), out_ref[:, 0], rtol=1e-10, atol=1e-10)
    assert_close(_np(hn), hn_ref[:, 0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_packed_matches_reference(cfg, enforce_sorted, device):
    cls, mode, kw = cfg
    m = _make(cls, kw, device)
    rng = np.random.default_rng(4)
    T, B = 5, 4
    lengths = [5, 4, 2, 1] if enforce_sorted else [2, 5, 1, 4]
    x = rng.standard_normal((T, B, 3))
    h0, c0 = _states(mode, kw, B, rng)
    out_ref, hn_ref, cn_ref = _ref(mode, _params(m), x, h0, c0, kw.get("num_layers", 1),
                                   kw.get("bidirectional", False), lengths)
    bf = kw.get("batch_first", False)
    xin = x.transpose(1, 0, 2) if bf else x
    packed = pack_padded_sequence(_t(xin, device), lengths, batch_first=bf,
                                  enforce_sorted=enforce_sorted)
    out, hn, cn = _call(m, mode, packed, _t(h0, device), None if c0 is None else _t(c0, device))
    assert isinstance(out, nn.utils.rnn.PackedSequence)
    padded, lens = pad_packed_sequence(out, batch_first=bf)
    assert lens.tolist() == lengths
    if bf:
        out_ref = out_ref.transpose(1, 0, 2)
    assert_close(_np(padded), out_ref, rtol=1e-10, atol=1e-10)
    assert_close(_np(hn), hn_ref, rtol=1e-10, atol=1e-10)
    if mode == "LSTM":
        assert_close(_np(cn), cn_ref, rtol=1e-10, atol=1e-10)


def test_packed_equals_padded_at_valid_positions(device):
    m = _make(nn.LSTM, {"num_layers": 2}, device)
    rng = np.random.default_rng(5)
    lengths = [5, 3, 2]
    x = _t(rng.standard_normal((5, 3, 3)), device)
    full, _ = m(x)
    packed_out, (hn, _) = m(pack_padded_sequence(x, lengths))
    padded, _ = pad_packed_sequence(packed_out)
    for b, n in enumerate(lengths):
        assert_close(_np(padded[:n, b]), _np(full[:n, b]), rtol=1e-12, atol=1e-12)
        assert np.all(_np(padded[n:, b]) == 0)
        # forward-only, so the final hidden state is the padded output at the true length
        assert_close(_np(hn[1, b]), _np(full[n - 1, b]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cfg", [CONFIGS[i] for i in (1, 2, 4, 6, 8)],
                         ids=[IDS[i] for i in (1, 2, 4, 6, 8)])
def test_gradcheck_modules(cfg, device):
    cls, mode, kw = cfg
    ember.manual_seed(0)
    m = cls(2, 3 if mode != "LSTM" or not kw.get("proj_size") else 4, dtype=ember.float64,
            device=device, **{**kw, "proj_size": 2} if kw.get("proj_size") else kw)
    rng = np.random.default_rng(6)
    x = _t(rng.standard_normal((3, 2, 2)), device, rg=True)
    params = list(m.parameters())

    def f(x, *ps):  # gradcheck perturbs the parameters in place, so m sees ps
        out, h = m(x)
        h = h if isinstance(h, tuple) else (h,)
        return (out, *h)

    assert gradcheck(f, (x, *params))


def test_gradcheck_packed_with_hidden(device):
    ember.manual_seed(0)
    m = nn.GRU(2, 2, bidirectional=True, dtype=ember.float64, device=device)
    rng = np.random.default_rng(7)
    x = _t(rng.standard_normal((3, 3, 2)), device, rg=True)
    h0 = _t(rng.standard_normal((2, 3, 2)), device, rg=True)

    def f(x, h0):
        out, h = m(pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False), h0)
        return pad_packed_sequence(out)[0], h

    assert gradcheck(f, (x, h0))


@pytest.mark.parametrize("cls,mode", [(nn.RNNCell, "RNN_TANH"), (nn.LSTMCell, "LSTM"),
                                      (nn.GRUCell, "GRU")])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_forward_and_gradcheck(cls, mode, bias, device):
    ember.manual_seed(0)
    m = cls(3, 2, bias=bias, dtype=ember.float64, device=device)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 3))
    h = rng.standard_normal((4, 2))
    c = rng.standard_normal((4, 2))
    p = {k + "_l0": v for k, v in _params(m).items()}
    ref_h = np.stack([_ref_step(mode, x[b], h[b], c[b], p, "_l0")[0] for b in range(4)])
    xt, ht, ct = _t(x, device, rg=True), _t(h, device, rg=True), _t(c, device, rg=True)
    if mode == "LSTM":
        out = m(xt, (ht, ct))
        ref_c = np.stack([_ref_step(mode, x[b], h[b], c[b], p, "_l0")[1] for b in range(4)])
        assert_close(_np(out[0]), ref_h, rtol=1e-12, atol=1e-12)
        assert_close(_np(out[1]), ref_c, rtol=1e-12, atol=1e-12)
        assert gradcheck(lambda a, b, d, *ps: m(a, (b, d)), (xt, ht, ct, *m.parameters()))
        # unbatched, default state
        u = m(xt[0])
        assert tuple(u[0].shape) == (2,)
    else:
        out = m(xt, ht)
        assert_close(_np(out), ref_h, rtol=1e-12, atol=1e-12)
        assert gradcheck(lambda a, b, *ps: m(a, b), (xt, ht, *m.parameters()))
        zero = np.stack([_ref_step(mode, x[b], np.zeros(2), np.zeros(2), p, "_l0")[0]
                         for b in range(4)])
        assert_close(_np(m(xt)), zero, rtol=1e-12, atol=1e-12)
        assert_close(_np(m(xt[1], ht[1])), ref_h[1], rtol=1e-12, atol=1e-12)


def test_rnncell_relu(device):
    ember.manual_seed(0)
    m = nn.RNNCell(3, 2, nonlinearity="relu", dtype=ember.float64, device=device)
    x = np.random.default_rng(9).standard_normal((5, 3))
    p = _params(m)
    ref = np.maximum(x @ p["weight_ih"].T + p["bias_ih"] + p["bias_hh"], 0)
    assert_close(_np(m(_t(x, device))), ref, rtol=1e-12, atol=1e-12)


def test_dropout_between_layers(device):
    ember.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5, dtype=ember.float64, device=device)
    x = _t(np.random.default_rng(10).standard_normal((5, 2, 3)), device)
    m.eval()
    ref = _ref("LSTM", _params(m), _np(x), np.zeros((2, 2, 4)), np.zeros((2, 2, 4)), 2, False)
    assert_close(_np(m(x)[0]), ref[0], rtol=1e-10, atol=1e-10)
    m.train()
    a, b = _np(m(x)[0]), _np(m(x)[0])
    assert not np.allclose(a, b)  # stochastic in training
    # dropout=1 zeroes layer 0's output: layer 1 then runs on a zero input sequence
    m.dropout = 1.0
    (_, (hn, _)) = m(x)
    p = _params(m)
    l1 = {k.replace("_l1", "_l0"): v for k, v in p.items() if k.endswith("_l1")}
    ref1 = _ref("LSTM", l1, np.zeros((5, 2, 4)), np.zeros((1, 2, 4)), np.zeros((1, 2, 4)), 1,
                False)
    assert_close(_np(hn[1]), ref1[1][0], rtol=1e-10, atol=1e-10)


def test_dropout_warning_and_range():
    msg = ("dropout option adds dropout after all but last recurrent layer, so non-zero "
           "dropout expects num_layers greater than 1, but got dropout=0.5 and num_layers=1")
    with pytest.warns(UserWarning, match=msg):
        nn.LSTM(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\]"):
        nn.RNN(3, 4, dropout=1.5)


STATE_DICTS = [
    (lambda: nn.GRU(2, 3, num_layers=2, bidirectional=True, bias=False),
     "GRU(2, 3, num_layers=2, bias=False, bidirectional=True)",
     [("weight_ih_l0", (9, 2)), ("weight_hh_l0", (9, 3)), ("weight_ih_l0_reverse", (9, 2)),
      ("weight_hh_l0_reverse", (9, 3)), ("weight_ih_l1", (9, 6)), ("weight_hh_l1", (9, 3)),
      ("weight_ih_l1_reverse", (9, 6)), ("weight_hh_l1_reverse", (9, 3))]),
    (lambda: nn.RNN(4, 5, batch_first=True), "RNN(4, 5, batch_first=True)",
     [("weight_ih_l0", (5, 4)), ("weight_hh_l0", (5, 5)), ("bias_ih_l0", (5,)),
      ("bias_hh_l0", (5,))]),
    (lambda: nn.LSTM(3, 4, num_layers=2, proj_size=2), "LSTM(3, 4, proj_size=2, num_layers=2)",
     [("weight_ih_l0", (16, 3)), ("weight_hh_l0", (16, 2)), ("bias_ih_l0", (16,)),
      ("bias_hh_l0", (16,)), ("weight_hr_l0", (2, 4)), ("weight_ih_l1", (16, 2)),
      ("weight_hh_l1", (16, 2)), ("bias_ih_l1", (16,)), ("bias_hh_l1", (16,)),
      ("weight_hr_l1", (2, 4))]),
    (lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2),
     "LSTM(3, 4, proj_size=2, num_layers=2, bidirectional=True)",
     [("weight_ih_l0", (16, 3)), ("weight_hh_l0", (16, 2)), ("bias_ih_l0", (16,)),
      ("bias_hh_l0", (16,)), ("weight_hr_l0", (2, 4)), ("weight_ih_l0_reverse", (16, 3)),
      ("weight_hh_l0_reverse", (16, 2)), ("bias_ih_l0_reverse", (16,)),
      ("bias_hh_l0_reverse", (16,)), ("weight_hr_l0_reverse", (2, 4)),
      ("weight_ih_l1", (16, 4)), ("weight_hh_l1", (16, 2)), ("bias_ih_l1", (16,)),
      ("bias_hh_l1", (16,)), ("weight_hr_l1", (2, 4)), ("weight_ih_l1_reverse", (16, 4)),
      ("weight_hh_l1_reverse", (16, 2)), ("bias_ih_l1_reverse", (16,)),
      ("bias_hh_l1_reverse", (16,)), ("weight_hr_l1_reverse", (2, 4))]),
    (lambda: nn.LSTMCell(3, 4), "LSTMCell(3, 4)",
     [("weight_ih", (16, 3)), ("weight_hh", (16, 4)), ("bias_ih", (16,)), ("bias_hh", (16,))]),
    (lambda: nn.GRUCell(3, 4, bias=False), "GRUCell(3, 4, bias=False)",
     [("weight_ih", (12, 3)), ("weight_hh", (12, 4))]),
]


@pytest.mark.parametrize("make,rep,keys", STATE_DICTS, ids=[s[1] for s in STATE_DICTS])
def test_state_dict_and_repr(make, rep, keys):
    m = make()
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == keys
    assert repr(m) == rep


def test_reprs():
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == \
        "LSTM(10, 20, num_layers=2, batch_first=True)"
    assert repr(nn.RNN(3, 4, 2, "relu", False, True, 0.5, True)) == \
        "RNN(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"


def test_init_bounds_and_flatten():
    ember.manual_seed(0)
    m = nn.GRU(30, 64, num_layers=2, bidirectional=True)
    bound = 1 / math.sqrt(64)
    allv = np.concatenate([_np(p).ravel() for p in m.parameters()])
    assert np.abs(allv).max() <= bound
    assert np.abs(allv).max() > 0.95 * bound
    assert abs(allv.mean()) < 0.02 * bound * 10
    assert abs(allv.std() - bound / math.sqrt(3)) < 0.05 * bound
    m.flatten_parameters()
    assert len(m.all_weights) == 4 and len(m.all_weights[0]) == 4
    c = nn.LSTMCell(5, 16)
    assert np.abs(_np(c.weight_hh)).max() <= 0.25


def test_module_errors():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'foo'. Select from 'tanh' or "
                                         "'relu'."):
        nn.RNN(3, 4, nonlinearity="foo")
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size should be a positive integer or zero"):
        nn.LSTM(3, 4, proj_size=-1)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not "
                                         "RNN or GRU"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.RNN(3, 0)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        nn.RNN(3, 4, num_layers=0)
    rnn = nn.RNN(3, 4)
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        rnn(ember.randn(5, 2, 3), ember.randn(1, 3, 4))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 3, got 5"):
        rnn(ember.randn(5, 2, 5))
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 4D tensor "
                                         "instead"):
        rnn(ember.randn(5, 2, 3, 1))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but "
                                           "got 3-D tensor"):
        rnn(ember.randn(5, 3), ember.randn(1, 2, 4))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but "
                                           "got 2-D tensor"):
        rnn(ember.randn(5, 2, 3), ember.randn(2, 4))
    lstm = nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 4\), got "
                                           r"\[1, 3, 4\]"):
        lstm(ember.randn(5, 2, 3), (ember.randn(1, 2, 4), ember.randn(1, 3, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 2\), got "
                                           r"\[1, 2, 4\]"):
        nn.LSTM(3, 4, proj_size=2)(ember.randn(5, 2, 3),
                                   (ember.randn(1, 2, 4), ember.randn(1, 2, 4)))
    with pytest.raises(ValueError, match="GRU: Expected input to be 2D or 3D, got 1D"):
        nn.GRU(3, 4)(ember.randn(3))


def test_cell_errors():
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 expected 3"):
        nn.RNNCell(3, 4)(ember.randn(2, 5))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size "
                                           "3"):
        nn.RNNCell(3, 4)(ember.randn(2, 3), ember.randn(3, 4))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden1 batch size "
                                           "3"):
        nn.LSTMCell(3, 4)(ember.randn(2, 3), (ember.randn(2, 4), ember.randn(3, 4)))
    with pytest.raises(ValueError, match="RNNCell: Expected input to be 1D or 2D, got 3D "
                                         "instead"):
        nn.RNNCell(3, 4)(ember.randn(2, 3, 3))
    with pytest.raises(RuntimeError, match="lstm_cell expects two hidden states"):
        nn.LSTMCell(3, 4)(ember.randn(2, 3), (ember.randn(2, 4),))
    cell = nn.RNNCell(3, 4, nonlinearity="x")  # PyTorch only complains at call time
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: x"):
        cell(ember.randn(2, 3))
