"""Adam and AdamW against an independent float64 numpy reference of the published rule."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
from ember.optim import Adam, AdamW

SHAPES = [(4, 3), (5,)]
K = [1.5, 0.7]  # loss = sum_i sum(0.5 K_i p_i^2 + sin(2 p_i)); grad = K p + 2 cos(2 p)


def _init():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s) for s in SHAPES]


def _loss(ps):
    return sum((0.5 * k * p * p + ember.sin(2 * p)).sum() for k, p in zip(K, ps, strict=False))


def _adam_ref(steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
              maximize=False, decoupled=False):
    """Kingma & Ba with PyTorch's eps placement (eps added to sqrt(v_hat)), L2 or decoupled
    (Loshchilov & Hutter) decay, AMSGrad's running max of v."""
    b1, b2 = betas
    ps = _init()
    m = [np.zeros_like(p) for p in ps]
    v = [np.zeros_like(p) for p in ps]
    vmax = [np.zeros_like(p) for p in ps]
    for t in range(1, steps + 1):
        for i, p in enumerate(ps):
            g = K[i] * p + 2 * np.cos(2 * p)
            if maximize:
                g = -g
            if decoupled:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            vhat = v[i]
            if amsgrad:
                vmax[i] = np.maximum(vmax[i], v[i])
                vhat = vmax[i]
            denom = np.sqrt(vhat) / np.sqrt(1 - b2 ** t) + eps
            ps[i] = p - lr / (1 - b1 ** t) * m[i] / denom
    return ps


def _run(factory, steps, device, dtype=ember.float32):
    ps = [ember.nn.Parameter(ember.tensor(a, dtype=dtype, device=device)) for a in _init()]
    opt = factory(ps)
    for _ in range(steps):
        opt.zero_grad()
        _loss(ps).backward()
        opt.step()
    return ps, opt


CASES = [
    {},
    {"amsgrad": True},
    {"weight_decay": 0.1},
    {"weight_decay": 0.1, "amsgrad": True, "maximize": True},
    {"betas": (0.5, 0.9), "eps": 1e-3},
    {"betas": (0.8, 0.99), "weight_decay": 0.2, "decoupled_weight_decay": True},
    {"maximize": True},
]


def _ids(kw):
    return "-".join(f"{k}={v}" for k, v in kw.items()) or "plain"


@pytest.mark.parametrize("kw", CASES, ids=_ids)
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64], ids=str)
def test_adam_trajectory(kw, dtype, device):
    kw = dict(kw)
    decoupled = kw.pop("decoupled_weight_decay", False)
    ps, opt = _run(lambda ps: Adam(ps, lr=0.03, decoupled_weight_decay=decoupled, **kw), 25,
                   device, dtype)
    ref = _adam_ref(25, 0.03, decoupled=decoupled, **kw)
    tol = 1e-4 if dtype is ember.float32 else 1e-10
    for p, r in zip(ps, ref, strict=False):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.detach().cpu().numpy(), r, rtol=tol, atol=tol)
    st = opt.state[ps[0]]
    assert st["step"].item() == 25.0 and st["step"].dtype == ember.float32
    assert ("max_exp_avg_sq" in st) == kw.get("amsgrad", False)


@pytest.mark.parametrize("kw", [{}, {"weight_decay": 0.3}, {"amsgrad": True, "maximize": True},
                                {"weight_decay": 0.0}], ids=_ids)
def test_adamw_trajectory(kw, device):
    ps, opt = _run(lambda ps: AdamW(ps, lr=0.03, **kw), 25, device)
    ref = _adam_ref(25, 0.03, decoupled=True, **{"weight_decay": 1e-2, **kw})
    for p, r in zip(ps, ref, strict=False):
        np.testing.assert_allclose(p.detach().cpu().numpy(), r, rtol=1e-4, atol=1e-4)
    assert opt.defaults["weight_decay"] == (kw.get("weight_decay", 1e-2))
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def test_adamw_differs_from_adam_l2(device):
    a, _ = _run(lambda ps: AdamW(ps, lr=0.03, weight_decay=0.3), 10, device)
    b, _ = _run(lambda ps: Adam(ps, lr=0.03, weight_decay=0.3), 10, device)
    assert not np.allclose(a[0].detach().cpu().numpy(), b[0].detach().cpu().numpy())


def test_first_step_by_hand(device):
    # step 1: m = 0.1 g, v = 0.001 g^2, m_hat / sqrt(v_hat) = sign(g): p -= lr * sign(g)
    p = ember.nn.Parameter(ember.tensor([1.0, -2.0], device=device))
    opt = Adam([p], lr=0.1, eps=0.0)
    p.grad = ember.tensor([4.0, -0.5], device=device)
    opt.step()
    np.testing.assert_allclose(p.detach().cpu().numpy(), [0.9, -1.9], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["exp_avg"].cpu().numpy(), [0.4, -0.05], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["exp_avg_sq"].cpu().numpy(), [0.016, 0.00025],
                               rtol=1e-5)


def test_param_groups_and_none_grads(device):
    ps = [ember.nn.Parameter(ember.tensor(a, dtype=ember.float32, device=device))
          for a in _init()]
    extra = ember.nn.Parameter(ember.ones(3, device=device))
    opt = Adam([{"params": [ps[0], extra], "amsgrad": True}, {"params": [ps[1]], "lr": 0.01}],
               lr=0.03)
    for _ in range(20):
        opt.zero_grad()
        _loss(ps).backward()
        opt.step()
    np.testing.assert_allclose(ps[0].detach().cpu().numpy(),
                               _adam_ref(20, 0.03, amsgrad=True)[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ps[1].detach().cpu().numpy(), _adam_ref(20, 0.01)[1],
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(extra.detach().cpu().numpy(), np.ones(3, np.float32))
    assert extra not in opt.state


@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_state_dict_round_trip_continues_identically(cls, device):
    kw = {"lr": 0.03, "amsgrad": True, "weight_decay": 0.05}
    ps, opt = _run(lambda ps: cls(ps, **kw), 10, device)
    saved = [p.detach().clone() for p in ps]
    sd = copy.deepcopy(opt.state_dict())
    for _ in range(10):
        opt.zero_grad()
        _loss(ps).backward()
        opt.step()
    qs = [ember.nn.Parameter(s.clone()) for s in saved]
    opt2 = cls(qs)
    opt2.load_state_dict(sd)
    assert opt2.state[qs[0]]["step"].item() == 10.0
    for _ in range(10):
        opt2.zero_grad()
        _loss(qs).backward()
        opt2.step()
    for p, q in zip(ps, qs, strict=False):
        np.testing.assert_array_equal(p.detach().cpu().numpy(), q.detach().cpu().numpy())


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize("kw, msg", [
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ({"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ({"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
])
def test_errors(cls, kw, msg, device):
    p = ember.nn.Parameter(ember.ones(2, device=device))
    with pytest.raises(ValueError, match=msg):
        cls([p], **kw)


def test_defaults(device):
    p = ember.nn.Parameter(ember.ones(2, device=device))
    d = Adam([p], foreach=False, capturable=False, fused=None).defaults
    assert d["lr"] == 1e-3 and d["betas"] == (0.9, 0.999) and d["eps"] == 1e-8
    assert d["weight_decay"] == 0 and d["amsgrad"] is False
    assert d["decoupled_weight_decay"] is False
    assert AdamW([p]).defaults["weight_decay"] == 1e-2


def test_complex_parameter_updates_real_and_imaginary_parts(device):
    # PyTorch treats a complex parameter as its (real, imag) pairs (view_as_real)
    rng = np.random.default_rng(3)
    z0 = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    z = ember.nn.Parameter(ember.tensor(z0, dtype=ember.complex64, device=device))
    opt = Adam([z], lr=0.1)
    x = np.stack([z0.real, z0.imag], -1).reshape(-1)
    m = v = 0.0
    for t in range(1, 6):
        gz = rng.standard_normal(4) + 1j * rng.standard_normal(4)
        z.grad = ember.tensor(gz, dtype=ember.complex64, device=device)
        opt.step()
        g = np.stack([gz.real, gz.imag], -1).reshape(-1)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        x = x - 0.1 / (1 - 0.9 ** t) * m / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    got = z.detach().cpu().numpy()
    np.testing.assert_allclose(got.real, x[0::2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got.imag, x[1::2], rtol=1e-5, atol=1e-6)
