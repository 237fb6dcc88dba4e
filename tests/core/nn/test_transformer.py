"""``nn.Transformer``, ``TransformerEncoder``/``Decoder`` and their layers.

Forward passes (eval mode) are checked against a numpy float64 reference built from each
module's own parameters; state_dict keys, reprs and error messages were read from PyTorch 2.13.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.testing import assert_close


def _t(a, device, dtype=ember.float64):
    a = np.asarray(a)
    if a.dtype == np.bool_:
        return ember.tensor(a, device=device)
    return ember.tensor(a, dtype=dtype, device=device)


def _np(t):
    return t.detach().numpy(force=True).astype(np.float64)


def _params(m, prefix):
    return {n[len(prefix):]: _np(t) for n, t in m.named_parameters() if n.startswith(prefix)}


def _softmax_np(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _mha_np(p, H, q, kv, mask=None):
    """Packed-projection attention, sequence-first, float mask ``(L, S)`` or None."""
    E = q.shape[-1]
    d = E // H
    wq, wk, wv = np.split(p["in_proj_weight"], 3)
    bq, bk, bv = np.split(p["in_proj_bias"], 3) if "in_proj_bias" in p else (0.0, 0.0, 0.0)
    Q, K, V = q @ wq.T + bq, kv @ wk.T + bk, kv @ wv.T + bv
    L, N = Q.shape[:2]
    S = K.shape[0]
    Qh = Q.reshape(L, N, H, d).transpose(1, 2, 0, 3)
    Kh = K.reshape(S, N, H, d).transpose(1, 2, 0, 3)
    Vh = V.reshape(S, N, H, d).transpose(1, 2, 0, 3)
    sc = Qh @ Kh.transpose(0, 1, 3, 2) / math.sqrt(d)
    if mask is not None:
        sc = sc + mask
    o = (_softmax_np(sc) @ Vh).transpose(2, 0, 1, 3).reshape(L, N, E)
    return o @ p["out_proj.weight"].T + p.get("out_proj.bias", 0.0)


def _ln_np(p, name, x, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    y = (x - mu) / np.sqrt(x.var(-1, keepdims=True) + eps)
    return y * p[name + ".weight"] + p.get(name + ".bias", 0.0)


def _gelu_np(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def _ff_np(p, x, act):
    h = act(x @ p["linear1.weight"].T + p.get("linear1.bias", 0.0))
    return h @ p["linear2.weight"].T + p.get("linear2.bias", 0.0)


def _enc_layer_np(p, H, x, norm_first, act, mask=None):
    sa = lambda y: _mha_np(_sub(p, "self_attn."), H, y, y, mask)  # noqa: E731
    if norm_first:
        x = x + sa(_ln_np(p, "norm1", x))
        return x + _ff_np(p, _ln_np(p, "norm2", x), act)
    x = _ln_np(p, "norm1", x + sa(x))
    return _ln_np(p, "norm2", x + _ff_np(p, x, act))


def _dec_layer_np(p, H, x, mem, norm_first, act, tgt_mask=None):
    sa = lambda y: _mha_np(_sub(p, "self_attn."), H, y, y, tgt_mask)  # noqa: E731
    ca = lambda y: _mha_np(_sub(p, "multihead_attn."), H, y, mem)  # noqa: E731
    if norm_first:
        x = x + sa(_ln_np(p, "norm1", x))
        x = x + ca(_ln_np(p, "norm2", x))
        return x + _ff_np(p, _ln_np(p, "norm3", x), act)
    x = _ln_np(p, "norm1", x + sa(x))
    x = _ln_np(p, "norm2", x + ca(x))
    return _ln_np(p, "norm3", x + _ff_np(p, x, act))


def _sub(p, prefix):
    return {k[len(prefix):]: v for k, v in p.items() if k.startswith(prefix)}


_RELU = lambda x: np.maximum(x, 0.0)  # noqa: E731


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_forward(norm_first, bias, device):
    ember.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, norm_first=norm_first, bias=bias,
                                       activation="gelu", device=device,
                                       dtype=ember.float64).eval()
    x = np.random.default_rng(0).standard_normal((5, 3, 8))
    mask = np.triu(np.full((5, 5), -np.inf), 1)
    ref = _enc_layer_np(_params(layer, ""), 2, x, norm_first, _gelu_np, mask)
    out = layer(_t(x, device), src_mask=_t(mask, device))
    assert_close(_np(out), ref, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_forward_batch_first(norm_first, device):
    ember.manual_seed(1)
    layer = nn.TransformerDecoderLayer(8, 2, 16, norm_first=norm_first, batch_first=True,
                                       device=device, dtype=ember.float64).eval()
    rng = np.random.default_rng(1)
    tgt, mem = rng.standard_normal((3, 4, 8)), rng.standard_normal((3, 6, 8))
    mask = rng.standard_normal((4, 4))
    ref = _dec_layer_np(_params(layer, ""), 2, tgt.transpose(1, 0, 2), mem.transpose(1, 0, 2),
                        norm_first, _RELU, mask)
    out = layer(_t(tgt, device), _t(mem, device), tgt_mask=_t(mask, device))
    assert_close(_np(out), ref.transpose(1, 0, 2), atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_forward(norm_first, device):
    ember.manual_seed(2)
    model = nn.Transformer(8, 2, 2, 1, 16, norm_first=norm_first, device=device,
                           dtype=ember.float64).eval()
    rng = np.random.default_rng(2)
    src, tgt = rng.standard_normal((5, 2, 8)), rng.standard_normal((4, 2, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(4, device=device,
                                                          dtype=ember.float64)
    p = _params(model, "")
    x = src
    for i in range(2):
        x = _enc_layer_np(_sub(p, f"encoder.layers.{i}."), 2, x, norm_first, _RELU)
    mem = _ln_np(p, "encoder.norm", x)
    y = _dec_layer_np(_sub(p, "decoder.layers.0."), 2, tgt, mem, norm_first, _RELU,
                      np.triu(np.full((4, 4), -np.inf), 1))
    ref = _ln_np(p, "decoder.norm", y)
    out = model(_t(src, device), _t(tgt, device), tgt_mask=mask)
    assert_close(_np(out), ref, atol=1e-10, rtol=1e-10)


def test_encoder_key_padding_mask_and_callable_activation(device):
    ember.manual_seed(3)
    layer = nn.TransformerEncoderLayer(4, 2, 8, activation=F.relu, device=device,
                                       dtype=ember.float64)
    enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).eval()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 2, 4))
    kpm = np.array([[False, False, True], [False, False, False]])
    p = _params(enc, "")
    ref = []
    for b in range(2):
        xb = x[:, b:b + 1]
        keep = ~kpm[b]
        m = np.where(keep, 0.0, -np.inf)[None, :]
        for i in range(2):
            xb = _enc_layer_np(_sub(p, f"layers.{i}."), 2, xb, False, _RELU, m)
        ref.append(xb)
    out = enc(_t(x, device), src_key_padding_mask=_t(kpm, device))
    assert_close(_np(out), np.concatenate(ref, 1), atol=1e-10, rtol=1e-10)


def test_training_dropout_backward(device):
    ember.manual_seed(4)
    model = nn.Transformer(8, 2, 1, 1, 16, dropout=0.2, device=device)
    out = model(ember.randn(5, 2, 8, device=device), ember.randn(3, 2, 8, device=device))
    out.sum().backward()
    assert out.dtype == ember.float32
    for name, p in model.named_parameters():
        assert p.grad is not None and np.all(np.isfinite(_np(p.grad))), name


def test_state_dict_keys():
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=16)
    expected = [
        ("encoder.layers.0.self_attn.in_proj_weight", (24, 8)),
        ("encoder.layers.0.self_attn.in_proj_bias", (24,)),
        ("encoder.layers.0.self_attn.out_proj.weight", (8, 8)),
        ("encoder.layers.0.self_attn.out_proj.bias", (8,)),
        ("encoder.layers.0.linear1.weight", (16, 8)), ("encoder.layers.0.linear1.bias", (16,)),
        ("encoder.layers.0.linear2.weight", (8, 16)), ("encoder.layers.0.linear2.bias", (8,)),
        ("encoder.layers.0.norm1.weight", (8,)), ("encoder.layers.0.norm1.bias", (8,)),
        ("encoder.layers.0.norm2.weight", (8,)), ("encoder.layers.0.norm2.bias", (8,)),
        ("encoder.norm.weight", (8,)), ("encoder.norm.bias", (8,)),
        ("decoder.layers.0.self_attn.in_proj_weight", (24, 8)),
        ("decoder.layers.0.self_attn.in_proj_bias", (24,)),
        ("decoder.layers.0.self_attn.out_proj.weight", (8, 8)),
        ("decoder.layers.0.self_attn.out_proj.bias", (8,)),
        ("decoder.layers.0.multihead_attn.in_proj_weight", (24, 8)),
        ("decoder.layers.0.multihead_attn.in_proj_bias", (24,)),
        ("decoder.layers.0.multihead_attn.out_proj.weight", (8, 8)),
        ("decoder.layers.0.multihead_attn.out_proj.bias", (8,)),
        ("decoder.layers.0.linear1.weight", (16, 8)), ("decoder.layers.0.linear1.bias", (16,)),
        ("decoder.layers.0.linear2.weight", (8, 16)), ("decoder.layers.0.linear2.bias", (8,)),
        ("decoder.layers.0.norm1.weight", (8,)), ("decoder.layers.0.norm1.bias", (8,)),
        ("decoder.layers.0.norm2.weight", (8,)), ("decoder.layers.0.norm2.bias", (8,)),
        ("decoder.layers.0.norm3.weight", (8,)), ("decoder.layers.0.norm3.bias", (8,)),
        ("decoder.norm.weight", (8,)), ("decoder.norm.bias", (8,)),
    ]
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == expected
    layer = nn.TransformerEncoderLayer(8, 2, 16, bias=False, activation="gelu")
    assert list(layer.state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.out_proj.weight", "linear1.weight",
        "linear2.weight", "norm1.weight", "norm2.weight"]


def test_repr():
    layer = nn.TransformerEncoderLayer(8, 2, 16, bias=False, activation="gelu")
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8), enable_nested_tensor=False)
    assert repr(enc) == """TransformerEncoder(
  (layers): ModuleList(
    (0-1): 2 x TransformerEncoderLayer(
      (self_attn): MultiheadAttention(
        (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=False)
      )
      (linear1): Linear(in_features=8, out_features=16, bias=False)
      (dropout): Dropout(p=0.1, inplace=False)
      (linear2): Linear(in_features=16, out_features=8, bias=False)
      (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=False)
      (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=False)
      (dropout1): Dropout(p=0.1, inplace=False)
      (dropout2): Dropout(p=0.1, inplace=False)
    )
  )
  (norm): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)
)"""


def test_encoder_deep_copies_layer():
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    enc = nn.TransformerEncoder(layer, 3)
    assert len(enc.layers) == 3 and enc.num_layers == 3
    w = [m.linear1.weight for m in enc.layers]
    assert w[0] is not w[1] and w[0] is not layer.linear1.weight
    assert_close(_np(w[0]), _np(layer.linear1.weight), atol=0, rtol=0)


def test_transformer_xavier_init():
    ember.manual_seed(5)
    model = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=64)
    w = _np(model.encoder.layers[0].linear1.weight)               # (64, 32)
    bound = math.sqrt(6.0 / (64 + 32))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    ow = _np(model.decoder.layers[0].self_attn.out_proj.weight)   # (32, 32): xavier, not kaiming
    assert np.abs(ow).max() > 1.0 / math.sqrt(32)


def test_generate_square_subsequent_mask():
    m = _np(nn.Transformer.generate_square_subsequent_mask(3))
    expected = np.array([[0.0, -np.inf, -np.inf], [0.0, 0.0, -np.inf], [0.0, 0.0, 0.0]])
    assert np.array_equal(m, expected)
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=ember.float64).dtype == \
        ember.float64


def test_errors():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(4, 2, 8, activation="tanh")
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerDecoderLayer(6, 4, 8)
    model = nn.Transformer(4, 2, 1, 1, 8)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(ember.randn(3, 2, 4), ember.randn(3, 1, 4))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal "
                                           "to d_model"):
        model(ember.randn(3, 2, 4), ember.randn(3, 2, 5))
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask is"):
        layer(ember.randn(3, 2, 4), src_mask=ember.zeros(2, 2))
