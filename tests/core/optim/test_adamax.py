"""Adamax against an independent float64 numpy reference of the published update rule."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
from ember.optim import Adamax

SHAPES = [(4, 3), (5,)]
K = [1.5, 0.7]  # loss = sum_i sum(0.5 K_i p_i^2 + sin(2 p_i)); grad = K p + 2 cos(2 p)


def _init():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s) for s in SHAPES]


def _loss(ps):
    return sum((0.5 * k * p * p + ember.sin(2 * p)).sum() for k, p in zip(K, ps, strict=False))


def _ref(steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    """Kingma & Ba, Algorithm 2 (Adamax), with PyTorch's eps inside the max."""
    b1, b2 = betas
    ps = _init()
    m = [np.zeros_like(p) for p in ps]
    u = [np.zeros_like(p) for p in ps]
    for t in range(1, steps + 1):
        for i, p in enumerate(ps):
            g = K[i] * p + 2 * np.cos(2 * p)
            g = (-g if maximize else g) + weight_decay * p
            m[i] = b1 * m[i] + (1 - b1) * g
            u[i] = np.maximum(b2 * u[i], np.abs(g) + eps)
            ps[i] = p - lr / (1 - b1 ** t) * m[i] / u[i]
    return ps


def _run(factory, steps, device, dtype=ember.float32):
    ps = [ember.nn.Parameter(ember.tensor(a, dtype=dtype, device=device)) for a in _init()]
    opt = factory(ps)
    for _ in range(steps):
        opt.zero_grad()
        _loss(ps).backward()
        opt.step()
    return ps, opt


CASES = [{}, {"weight_decay": 0.1}, {"maximize": True, "weight_decay": 0.05},
         {"betas": (0.5, 0.8), "eps": 1e-2}]


@pytest.mark.parametrize("kw", CASES, ids=lambda kw: str(kw))
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64], ids=str)
def test_trajectory(kw, dtype, device):
    ps, opt = _run(lambda ps: Adamax(ps, lr=0.03, **kw), 25, device, dtype)
    tol = 1e-4 if dtype is ember.float32 else 1e-10
    for p, r in zip(ps, _ref(25, 0.03, **kw), strict=False):
        np.testing.assert_allclose(p.detach().cpu().numpy(), r, rtol=tol, atol=tol)
    assert set(opt.state[ps[0]]) == {"step", "exp_avg", "exp_inf"}
    assert opt.state[ps[0]]["step"].item() == 25.0


def test_groups_none_grads_and_round_trip(device):
    ps = [ember.nn.Parameter(ember.tensor(a, dtype=ember.float32, device=device))
          for a in _init()]
    frozen = ember.nn.Parameter(ember.zeros(2, device=device))
    opt = Adamax([{"params": [ps[0], frozen]}, {"params": [ps[1]], "lr": 0.01}], lr=0.03)
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
    np.testing.assert_allclose(ps[0].detach().cpu().numpy(), _ref(20, 0.03)[0], rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(ps[1].detach().cpu().numpy(), _ref(20, 0.01)[1], rtol=1e-4,
                               atol=1e-4)
    assert frozen not in opt.state
    qs = [ember.nn.Parameter(s.clone()) for s in saved]
    opt2 = Adamax([{"params": [qs[0], ember.nn.Parameter(ember.zeros(2, device=device))]},
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
    ({"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
])
def test_errors(kw, msg, device):
    with pytest.raises(ValueError, match=msg):
        Adamax([ember.nn.Parameter(ember.ones(2, device=device))], **kw)


def test_defaults(device):
    d = Adamax([ember.nn.Parameter(ember.ones(2, device=device))]).defaults
    assert d["lr"] == 2e-3 and d["betas"] == (0.9, 0.999) and d["eps"] == 1e-8
