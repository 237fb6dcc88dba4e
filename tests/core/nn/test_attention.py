"""``F.scaled_dot_product_attention``, ``F.multi_head_attention_forward`` and
``nn.MultiheadAttention``.

References are written independently here in numpy float64; gradients by finite differences.
State_dict keys/shapes, reprs and error messages were read from PyTorch 2.13.
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
    a = np.asarray(a)
    if a.dtype == np.bool_:
        return ember.tensor(a, device=device)
    return ember.tensor(a, dtype=dtype, device=device, requires_grad=rg)


def _np(t):
    return t.detach().numpy(force=True).astype(np.float64)


def _softmax_np(x):
    m = np.max(x, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(x - m)
    s = e.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return e / s


def _sdpa_np(q, k, v, mask=None, causal=False, scale=None, gqa=False):
    if gqa:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
        v = np.repeat(v, q.shape[-3] // v.shape[-3], axis=-3)
    s = (1.0 / math.sqrt(q.shape[-1])) if scale is None else scale
    scores = np.einsum("...le,...se->...ls", q, k) * s
    L, S = scores.shape[-2:]
    if causal:
        scores = np.where(np.tril(np.ones((L, S), bool)), scores, -np.inf)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf) if mask.dtype == np.bool_ else scores + mask
    w = _softmax_np(scores)
    w = np.where(np.all(scores == -np.inf, axis=-1, keepdims=True), 0.0, w)
    return np.einsum("...ls,...sd->...ld", w, v)


# ---------------------------------------------------------------- scaled_dot_product_attention

SDPA_CASES = {
    "plain": dict(),
    "bool_mask": dict(mask="bool"),
    "float_mask": dict(mask="float"),
    "causal": dict(causal=True),
    "scale": dict(scale=0.37),
    "causal_bool_scale": dict(mask="bool", causal=True, scale=0.5),
    "gqa": dict(gqa=True),
    "gqa_causal": dict(gqa=True, causal=True),
}


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("case", list(SDPA_CASES), ids=str)
def test_sdpa_forward(case, dtype, device):
    cfg = SDPA_CASES[case]
    rng = np.random.default_rng(1)
    hk = 2 if cfg.get("gqa") else 4
    q = rng.standard_normal((2, 4, 5, 3))
    k = rng.standard_normal((2, hk, 6, 3))
    v = rng.standard_normal((2, hk, 6, 7))
    mask = None
    if cfg.get("mask") == "bool":
        mask = rng.random((5, 6)) > 0.3
    elif cfg.get("mask") == "float":
        mask = rng.standard_normal((2, 1, 5, 6))
    ref = _sdpa_np(q, k, v, mask, cfg.get("causal", False), cfg.get("scale"), cfg.get("gqa"))
    out = F.scaled_dot_product_attention(
        _t(q, device, dtype), _t(k, device, dtype), _t(v, device, dtype),
        attn_mask=None if mask is None else _t(mask, device, dtype),
        is_causal=cfg.get("causal", False), scale=cfg.get("scale"),
        enable_gqa=cfg.get("gqa", False))
    assert out.dtype == dtype and tuple(out.shape) == (2, 4, 5, 7)
    tol = 1e-5 if dtype == ember.float32 else 1e-12
    assert_close(_np(out), ref, atol=tol, rtol=tol)


def test_sdpa_fully_masked_row_is_zero(device):
    rng = np.random.default_rng(2)
    q, k, v = (rng.standard_normal((3, 4)), rng.standard_normal((5, 4)),
               rng.standard_normal((5, 2)))
    mask = np.ones((3, 5), bool)
    mask[1] = False
    qt = _t(q, device, rg=True)
    res = F.scaled_dot_product_attention(qt, _t(k, device), _t(v, device),
                                         attn_mask=_t(mask, device))
    res.sum().backward()
    out = _np(res)
    assert np.all(out[1] == 0.0)
    g = _np(qt.grad)
    assert np.all(g[1] == 0.0) and np.all(np.isfinite(g))
    assert_close(out[0], _sdpa_np(q, k, v)[0], atol=1e-12, rtol=1e-12)


def test_sdpa_dropout(device):
    rng = np.random.default_rng(3)
    q = _t(rng.standard_normal((2, 3, 4)), device)
    out = F.scaled_dot_product_attention(q, q, q, dropout_p=1.0)
    assert np.all(_np(out) == 0.0)
    out = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert tuple(out.shape) == (2, 3, 4) and np.all(np.isfinite(_np(out)))


def test_sdpa_gradcheck(device):
    rng = np.random.default_rng(4)
    q = _t(rng.standard_normal((1, 2, 3, 2)), device, rg=True)
    k = _t(rng.standard_normal((1, 1, 4, 2)), device, rg=True)
    v = _t(rng.standard_normal((1, 1, 4, 3)), device, rg=True)
    fm = _t(rng.standard_normal((3, 4)), device, rg=True)

    def f(q, k, v, m):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=True, scale=0.7,
                                              enable_gqa=True)

    assert gradcheck(f, (q, k, v, fm))
    assert gradgradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v), (q, k, k))


def test_sdpa_errors(device):
    x = ember.ones(1, 2, 3, 4, device=device)
    with pytest.raises(RuntimeError, match="Expected query, key, and value to have the same"):
        F.scaled_dot_product_attention(x, x, x.double())
    with pytest.raises(RuntimeError, match="must divide the number of heads in query"):
        F.scaled_dot_product_attention(ember.ones(1, 3, 3, 4, device=device), x, x,
                                       enable_gqa=True)
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float"):
        F.scaled_dot_product_attention(x, x, x, attn_mask=ember.ones(3, 3, dtype=ember.int64,
                                                                     device=device))
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(x, x, x, attn_mask=ember.ones(4, 5, device=device))


# ---------------------------------------------------------------- MultiheadAttention

def _mha_np(m, q, k, v, kpm=None, attn_mask=None, average=True):
    """Sequence-first numpy reference built from the module's own parameters."""
    p = {n: _np(t) for n, t in m.named_parameters()}
    E, H = m.embed_dim, m.num_heads
    d = E // H
    if "in_proj_weight" in p:
        wq, wk, wv = np.split(p["in_proj_weight"], 3)
    else:
        wq, wk, wv = p["q_proj_weight"], p["k_proj_weight"], p["v_proj_weight"]
    bq, bk, bv = np.split(p["in_proj_bias"], 3) if "in_proj_bias" in p else (0.0, 0.0, 0.0)
    Q, K, V = q @ wq.T + bq, k @ wk.T + bk, v @ wv.T + bv     # (L,N,E), (S,N,E)
    L, N = Q.shape[:2]
    bias = np.zeros((N, H, L, K.shape[0]))
    if attn_mask is not None:
        am = np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == np.bool_ else attn_mask
        bias = bias + (am if am.ndim == 2 else am.reshape(N, H, L, -1))
    if kpm is not None:
        km = np.where(kpm, -np.inf, 0.0) if kpm.dtype == np.bool_ else kpm
        bias = bias + km[:, None, None, :]
    if "bias_k" in p:
        K = np.concatenate([K, np.broadcast_to(p["bias_k"], (1, N, E))])
        V = np.concatenate([V, np.broadcast_to(p["bias_v"], (1, N, E))])
        bias = np.concatenate([bias, np.zeros((N, H, L, 1))], -1)
    if m.add_zero_attn:
        K = np.concatenate([K, np.zeros((1, N, E))])
        V = np.concatenate([V, np.zeros((1, N, E))])
        bias = np.concatenate([bias, np.zeros((N, H, L, 1))], -1)
    Qh = Q.reshape(L, N, H, d).transpose(1, 2, 0, 3)
    Kh = K.reshape(K.shape[0], N, H, d).transpose(1, 2, 0, 3)
    Vh = V.reshape(V.shape[0], N, H, d).transpose(1, 2, 0, 3)
    w = _softmax_np(Qh @ Kh.transpose(0, 1, 3, 2) / math.sqrt(d) + bias)   # (N,H,L,S)
    o = (w @ Vh).transpose(2, 0, 1, 3).reshape(L, N, E)
    o = o @ p["out_proj.weight"].T + p.get("out_proj.bias", 0.0)
    return o, (w.mean(1) if average else w)


MHA_CASES = {
    "packed": (dict(), dict()),
    "packed_kpm": (dict(), dict(kpm=True)),
    "bias_kv_mask": (dict(add_bias_kv=True), dict(attn_mask="float2d", kpm=True)),
    "zero_attn_unavg": (dict(add_zero_attn=True), dict(attn_mask="bool2d", average=False)),
    "separate_kv_dims": (dict(kdim=3, vdim=5), dict(attn_mask="float3d")),
    "all_extras_nobias": (dict(kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True,
                               bias=False), dict(kpm=True, average=False)),
    "batch_first": (dict(batch_first=True), dict(kpm=True, attn_mask="float2d")),
}


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("case", list(MHA_CASES), ids=str)
def test_mha_forward(case, need_weights, device):
    cfg, opts = MHA_CASES[case]
    ember.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, device=device, dtype=ember.float64, **cfg)
    rng = np.random.default_rng(5)
    L, S, N = 3, 4, 2
    q = rng.standard_normal((L, N, 8))
    k = rng.standard_normal((S, N, cfg.get("kdim", 8)))
    v = rng.standard_normal((S, N, cfg.get("vdim", 8)))
    kpm = None
    if opts.get("kpm"):
        kpm = rng.random((N, S)) > 0.6
        kpm[:, 0] = False
    am = {None: None, "float2d": rng.standard_normal((L, S)),
          "bool2d": np.triu(np.ones((L, S), bool), 2),
          "float3d": rng.standard_normal((N * 2, L, S))}[opts.get("attn_mask")]
    if kpm is not None and am is not None and am.dtype != np.bool_:
        kpm = np.where(kpm, -np.inf, 0.0)      # same mask dtypes: no deprecation warning
    avg = opts.get("average", True)
    ref_o, ref_w = _mha_np(m, q, k, v, kpm, am, avg)
    bf = cfg.get("batch_first", False)
    tr = (lambda a: a.transpose(1, 0, 2)) if bf else (lambda a: a)
    out, w = m(_t(tr(q), device), _t(tr(k), device), _t(tr(v), device),
               key_padding_mask=None if kpm is None else _t(kpm, device),
               need_weights=need_weights,
               attn_mask=None if am is None else _t(am, device),
               average_attn_weights=avg)
    assert_close(_np(out), tr(ref_o), atol=1e-12, rtol=1e-10)
    if need_weights:
        assert_close(_np(w), ref_w, atol=1e-12, rtol=1e-10)
    else:
        assert w is None


def test_mha_unbatched_and_float32(device):
    m = nn.MultiheadAttention(4, 2, device=device)
    rng = np.random.default_rng(6)
    q, k = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    out, w = m(_t(q, device, ember.float32), _t(k, device, ember.float32),
               _t(k, device, ember.float32))
    ro, rw = _mha_np(m, q[:, None], k[:, None], k[:, None])
    assert out.dtype == ember.float32 and tuple(out.shape) == (3, 4)
    assert tuple(w.shape) == (3, 5)
    assert_close(_np(out), ro[:, 0], atol=1e-5, rtol=1e-5)
    assert_close(_np(w), rw[0], atol=1e-5, rtol=1e-5)


def test_mha_is_causal_with_mask(device):
    m = nn.MultiheadAttention(4, 2, device=device, dtype=ember.float64)
    x = np.random.default_rng(7).standard_normal((4, 2, 4))
    mask = np.triu(np.ones((4, 4), bool), 1)
    ref, _ = _mha_np(m, x, x, x, attn_mask=mask)
    xt = _t(x, device)
    out, w = m(xt, xt, xt, attn_mask=_t(mask, device), is_causal=True, need_weights=False)
    assert w is None
    assert_close(_np(out), ref, atol=1e-12, rtol=1e-10)


def test_mha_gradcheck(device):
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, device=device, dtype=ember.float64)
    rng = np.random.default_rng(8)
    q = _t(rng.standard_normal((2, 1, 4)), device, rg=True)
    k = _t(rng.standard_normal((3, 1, 4)), device, rg=True)
    assert gradcheck(lambda q, k: m(q, k, k)[0], (q, k))
    out = m(q, k, k)[0].sum()
    out.backward()
    for name, p in m.named_parameters():
        assert p.grad is not None, name


def test_mha_parameters_and_repr():
    m = nn.MultiheadAttention(8, 2, add_bias_kv=True)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        ("in_proj_weight", (24, 8)), ("in_proj_bias", (24,)), ("bias_k", (1, 1, 8)),
        ("bias_v", (1, 1, 8)), ("out_proj.weight", (8, 8)), ("out_proj.bias", (8,))]
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear("
                       "in_features=8, out_features=8, bias=True)\n)")
    m = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        ("q_proj_weight", (8, 8)), ("k_proj_weight", (8, 3)), ("v_proj_weight", (8, 5)),
        ("out_proj.weight", (8, 8))]
    assert m.in_proj_weight is None and m.in_proj_bias is None and m.bias_k is None
    assert isinstance(m.out_proj, nn.Linear)


def test_mha_init_statistics():
    ember.manual_seed(0)
    E = 64
    m = nn.MultiheadAttention(E, 4)
    w = _np(m.in_proj_weight)
    bound = math.sqrt(6.0 / (E + 3 * E))            # xavier_uniform_ on (3E, E)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.all(_np(m.in_proj_bias) == 0) and np.all(_np(m.out_proj.bias) == 0)
    ob = 1.0 / math.sqrt(E)                          # out_proj keeps Linear's weight init
    assert np.abs(_np(m.out_proj.weight)).max() <= ob


def test_mha_errors(device):
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    m = nn.MultiheadAttention(4, 2, device=device)
    x = ember.ones(3, 2, 4, device=device)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is .*\(3, 3\)"):
        m(x, x, x, attn_mask=ember.zeros(3, 4, device=device))
    with pytest.raises(RuntimeError, match="The shape of the 3D attn_mask is"):
        m(x, x, x, attn_mask=ember.zeros(2, 3, 3, device=device))
    with pytest.raises(AssertionError, match="expected `attn_mask` to be `None`, 2-D or 3-D"):
        m(x, x, x, attn_mask=ember.zeros(3, device=device))
    with pytest.raises(AssertionError, match="Expected key_padded_mask.shape\\[1\\] to be 3"):
        m(x, x, x, key_padding_mask=ember.zeros(2, 5, dtype=ember.bool, device=device))
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask"):
        m(x, x, x, attn_mask=ember.zeros(3, 3, dtype=ember.int64, device=device))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 4, but got 5"):
        m(ember.ones(3, 2, 5, device=device), x, x)
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D"):
        m(ember.ones(4, device=device), x, x)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                                         "attn_mask is deprecated"):
        m(x, x, x, key_padding_mask=ember.zeros(2, 3, dtype=ember.bool, device=device),
          attn_mask=ember.zeros(3, 3, device=device))
