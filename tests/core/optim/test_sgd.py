"""SGD against an independent float64 numpy reference of the published update rule."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
from ember.optim import SGD

SHAPES = [(4, 3), (5,)]
K = [1.5, 0.7]  # loss = sum_i sum(0.5 K_i p_i^2 + sin(2 p_i)); grad = K p + 2 cos(2 p)


def _init():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s) for s in SHAPES]


def _grad(i, p):
    return K[i] * p + 2 * np.cos(2 * p)


def _loss(ps):
    return sum((0.5 * k * p * p + ember.sin(2 * p)).sum() for k, p in zip(K, ps, strict=False))


def _sgd_ref(steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
             maximize=False):
    ps = _init()
    bufs = [None] * len(ps)
    for _ in range(steps):
        for i, p in enumerate(ps):
            g = _grad(i, p)
            if maximize:
                g = -g
            g = g + weight_decay * p
            if momentum:
                bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + (1 - dampening) * g
                g = g + momentum * bufs[i] if nesterov else bufs[i]
            ps[i] = p - lr * g
    return ps


def _run(opt_factory, steps, device, dtype=ember.float32):
    ps = [ember.nn.Parameter(ember.tensor(a, dtype=dtype, device=device)) for a in _init()]
    opt = opt_factory(ps)
    for _ in range(steps):
        opt.zero_grad()
        _loss(ps).backward()
        opt.step()
    return ps, opt


CASES = [
    {},
    {"momentum": 0.9},
    {"momentum": 0.9, "dampening": 0.3},
    {"momentum": 0.8, "nesterov": True},
    {"weight_decay": 0.1},
    {"momentum": 0.9, "weight_decay": 0.05, "nesterov": True},
    {"momentum": 0.5, "dampening": 0.5, "weight_decay": 0.1, "maximize": True},
    {"maximize": True},
]


@pytest.mark.parametrize("kw", CASES, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items())
                         or "plain")
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64], ids=str)
def test_trajectory(kw, dtype, device):
    lr = 0.02 if kw.get("maximize") else 0.05
    steps = 25
    ps, _ = _run(lambda ps: SGD(ps, lr=lr, **kw), steps, device, dtype)
    ref = _sgd_ref(steps, lr, **kw)
    tol = 1e-4 if dtype is ember.float32 else 1e-10
    for p, r in zip(ps, ref, strict=False):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.detach().cpu().numpy(), r, rtol=tol, atol=tol)


def test_param_groups_with_different_settings(device):
    ps = [ember.nn.Parameter(ember.tensor(a, dtype=ember.float32, device=device))
          for a in _init()]
    opt = SGD([{"params": [ps[0]], "momentum": 0.9}, {"params": [ps[1]], "lr": 0.01}], lr=0.05)
    for _ in range(20):
        opt.zero_grad()
        _loss(ps).backward()
        opt.step()
    r0 = _sgd_ref(20, 0.05, momentum=0.9)[0]
    r1 = _sgd_ref(20, 0.01)[1]
    np.testing.assert_allclose(ps[0].detach().cpu().numpy(), r0, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ps[1].detach().cpu().numpy(), r1, rtol=1e-4, atol=1e-5)
    assert "momentum_buffer" in opt.state[ps[0]] and not opt.state[ps[1]]


def test_momentum_buffer_is_first_gradient(device):
    p = ember.nn.Parameter(ember.tensor([1.0, -2.0], device=device))
    opt = SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    p.grad = ember.tensor([3.0, 4.0], device=device)
    opt.step()
    # first step: buf = g (no dampening), p = p - lr * g
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].cpu().numpy(), [3.0, 4.0])
    np.testing.assert_allclose(p.detach().cpu().numpy(), [0.7, -2.4], rtol=1e-6)
    # the buffer is not the gradient itself
    assert opt.state[p]["momentum_buffer"].data_ptr() != p.grad.data_ptr()
    opt.step()
    # buf = 0.9*[3,4] + 0.5*[3,4] = [4.2, 5.6]; p -= 0.1 * buf
    np.testing.assert_allclose(p.detach().cpu().numpy(), [0.28, -2.96], rtol=1e-6)
    np.testing.assert_allclose(p.grad.cpu().numpy(), [3.0, 4.0])


def test_state_dict_round_trip_continues_identically(device):
    kw = {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}
    ps, opt = _run(lambda ps: SGD(ps, **kw), 10, device)
    saved_params = [p.detach().clone() for p in ps]
    sd = copy.deepcopy(opt.state_dict())
    for _ in range(10):
        opt.zero_grad()
        _loss(ps).backward()
        opt.step()
    qs = [ember.nn.Parameter(s.clone()) for s in saved_params]
    opt2 = SGD(qs, lr=1.0)
    opt2.load_state_dict(sd)
    for _ in range(10):
        opt2.zero_grad()
        _loss(qs).backward()
        opt2.step()
    for p, q in zip(ps, qs, strict=False):
        np.testing.assert_array_equal(p.detach().cpu().numpy(), q.detach().cpu().numpy())


@pytest.mark.parametrize("kw, msg", [
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"lr": 0.1, "momentum": -0.5}, "Invalid momentum value: -0.5"),
    ({"lr": 0.1, "weight_decay": -1e-3}, "Invalid weight_decay value: -0.001"),
    ({"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ({"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum and zero dampening"),
])
def test_errors(kw, msg, device):
    p = ember.nn.Parameter(ember.ones(2, device=device))
    with pytest.raises(ValueError, match=msg):
        SGD([p], **kw)


def test_defaults_and_compat_keywords(device):
    p = ember.nn.Parameter(ember.ones(2, device=device))
    opt = SGD([p], foreach=True, differentiable=False, fused=False)
    assert opt.defaults["lr"] == 1e-3 and opt.defaults["foreach"] is True
