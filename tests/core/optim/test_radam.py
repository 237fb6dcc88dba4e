"""RAdam against an independent float64 numpy reference of the published update rule."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import ember
from ember.optim import RAdam

SHAPES = [(4, 3), (5,)]
K = [1.5, 0.7]  # loss = sum_i sum(0.5 K_i p_i^2 + sin(2 p_i)); grad = K p + 2 cos(2 p)


def _init():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s) for s in SHAPES]


def _loss(ps):
    return sum((0.5 * k * p * p + ember.sin(2 * p)).sum() for k, p in zip(K, ps, strict=False))


def _ref(steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
         decoupled_weight_decay=False, maximize=False):
    """Liu et al. 2019, Algorithm 2, with the rectification used when rho_t > 5."""
    b1, b2 = betas
    ps = _init()
    m = [np.zeros_like(p) for p in ps]
    v = [np.zeros_like(p) for p in ps]
    rho_inf = 2 / (1 - b2) - 1
    for t in range(1, steps + 1):
        rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        for i, p in enumerate(ps):
            g = K[i] * p + 2 * np.cos(2 * p)
            g = -g if maximize else g
            if decoupled_weight_decay:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1 ** t)
            if rho > 5:
                r = math.sqrt((rho - 4) * (rho - 2) * rho_inf
                              / ((rho_inf - 4) * (rho_inf - 2) * rho))
                ps[i] = p - lr * m_hat * r * math.sqrt(1 - b2 ** t) / (np.sqrt(v[i]) + eps)
            else:
                ps[i] = p - lr * m_hat
    return ps


def _run(factory, steps, device, dtype=ember.float32):
    ps = [ember.nn.Parameter(ember.tensor(a, dtype=dtype, device=device)) for a in _init()]
    opt = factory(ps)
    for _ in range(steps):
        opt.zero_grad()
        _loss(ps).backward()
        opt.step()
    return ps, opt


# rho_t > 5 (rectified update) from step 6 on for these beta2 values, so both branches run
# within 25 steps; beta2 = 0.9 makes the adaptive term differ strongly from 0.999.
CASES = [{}, {"betas": (0.9, 0.9)}, {"weight_decay": 0.1, "betas": (0.8, 0.95)},
         {"weight_decay": 0.2, "decoupled_weight_decay": True, "betas": (0.9, 0.9)},
         {"maximize": True, "eps": 1e-3, "betas": (0.9, 0.9)}]


@pytest.mark.parametrize("kw", CASES, ids=lambda kw: str(kw))
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64], ids=str)
def test_trajectory(kw, dtype, device):
    lr = 0.005 if kw.get("maximize") else 0.03
    ps, opt = _run(lambda ps: RAdam(ps, lr=lr, **kw), 25, device, dtype)
    tol = 1e-4 if dtype is ember.float32 else 1e-10
    for p, r in zip(ps, _ref(25, lr, **kw), strict=False):
        np.testing.assert_allclose(p.detach().cpu().numpy(), r, rtol=tol, atol=tol)
    assert set(opt.state[ps[0]]) == {"step", "exp_avg", "exp_avg_sq"}


def test_unrectified_first_steps_are_sgd_with_momentum(device):
    # rho_t <= 5 for t <= 5 with beta2 = 0.999: p -= lr * m_hat; step 1: m_hat = g
    p = ember.nn.Parameter(ember.tensor([1.0, -2.0], device=device))
    opt = RAdam([p], lr=0.1)
    p.grad = ember.tensor([3.0, -0.5], device=device)
    opt.step()
    np.testing.assert_allclose(p.detach().cpu().numpy(), [0.7, -1.95], rtol=1e-6)


def test_groups_none_grads_and_round_trip(device):
    ps = [ember.nn.Parameter(ember.tensor(a, dtype=ember.float32, device=device))
          for a in _init()]
    frozen = ember.nn.Parameter(ember.zeros(2, device=device))
    opt = RAdam([{"params": [ps[0], frozen], "betas": (0.9, 0.9)},
                 {"params": [ps[1]], "lr": 0.01}], lr=0.03)
    for _ in range(10):
        opt.zero_grad()
        _loss(ps).backward()
        opt.step()
    sd = copy.deepcopy(opt.state_dict())
    saved = [p.detach().clone() for p in ps]
    for _ in range(10):
        opt.zero_grad()
        _loss(ps).backward()
        opt.step()
    np.testing.assert_allclose(ps[0].detach().cpu().numpy(),
                               _ref(20, 0.03, betas=(0.9, 0.9))[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ps[1].detach().cpu().numpy(), _ref(20, 0.01)[1], rtol=1e-4,
                               atol=1e-4)
    assert frozen not in opt.state
    qs = [ember.nn.Parameter(s.clone()) for s in saved]
    opt2 = RAdam([{"params": [qs[0], ember.nn.Parameter(ember.zeros(2, device=device))]},
                  {"params": [qs[1]]}])
    opt2.load_state_dict(sd)
    for _ in range(10):
        opt2.zero_grad()
        _loss(qs).backward()
        opt2.step()
    for p, q in zip(ps, qs, strict=False):
        np.testing.assert_array_equal(p.detach().cpu().numpy(), q.detach().cpu().numpy())


@pytest.mark.parametrize("kw, msg", [
    ({"lr": -1.0}, "Invalid learning rate: -1.0"),
    ({"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ({"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
    ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
])
def test_errors(kw, msg, device):
    with pytest.raises(ValueError, match=msg):
        RAdam([ember.nn.Parameter(ember.ones(2, device=device))], **kw)


def test_defaults(device):
    d = RAdam([ember.nn.Parameter(ember.ones(2, device=device))]).defaults
    assert d["lr"] == 1e-3 and d["decoupled_weight_decay"] is False
