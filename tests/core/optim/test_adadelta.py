"""Adadelta against an independent numpy float64 implementation of the published update rule."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
from ember.optim import Adadelta

SHAPES = [(4,), (2, 3)]


def _matrix(n):
    """A fixed symmetric positive-definite matrix with couplings between entries."""
    return np.diag(np.arange(1.0, n + 1)) + 0.2 * (np.ones((n, n)) - np.eye(n))


def _grad_np(x):
    """Gradient of 0.5 x^T A x + sum(sin(3x)) for the flattened x."""
    v = x.reshape(-1)
    return (_matrix(v.size) @ v + 3.0 * np.cos(3.0 * v)).reshape(x.shape)


def _loss(p):
    v = p.reshape(-1)
    a = ember.tensor(_matrix(v.shape[0]), dtype=p.dtype, device=p.device)
    return 0.5 * (v @ (a @ v)) + ember.sin(3 * v).sum()


def _x0(shape, seed):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=shape)


def _params(dtype, device):
    return [ember.nn.Parameter(ember.tensor(_x0(s, i), dtype=dtype, device=device))
            for i, s in enumerate(SHAPES)]


def _step(opt, params):
    opt.zero_grad()
    sum(_loss(p) for p in params).backward()
    opt.step()


def _reference(x, steps, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    """Adadelta (Zeiler 2012) with PyTorch's extra learning rate multiplier."""
    x = x.copy()
    sq, acc = np.zeros_like(x), np.zeros_like(x)
    out = []
    for _ in range(steps):
        g = _grad_np(x)
        if maximize:
            g = -g
        g = g + weight_decay * x
        sq = rho * sq + (1 - rho) * g * g
        delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
        acc = rho * acc + (1 - rho) * delta * delta
        x = x - lr * delta
        out.append(x.copy())
    return out


CONFIGS = [
    {},
    {"lr": 0.5, "rho": 0.95},
    {"weight_decay": 0.1},
    {"lr": 2.0, "eps": 1e-3, "rho": 0.5},
    {"maximize": True},
]


def _cfg_id(c):
    return ",".join(f"{k}={v}" for k, v in c.items()) or "default"


@pytest.mark.parametrize("cfg", CONFIGS, ids=_cfg_id)
@pytest.mark.parametrize("dtype", [ember.float64, ember.float32], ids=str)
def test_trajectory_matches_reference(cfg, dtype, device):
    params = _params(dtype, device)
    opt = Adadelta(params, **cfg)
    refs = [_reference(_x0(s, i), 25, **cfg) for i, s in enumerate(SHAPES)]
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == ember.float64 else {"rtol": 1e-4, "atol": 1e-5}
    for k in range(25):
        _step(opt, params)
        for p, ref in zip(params, refs, strict=True):
            assert p.dtype == dtype
            np.testing.assert_allclose(p.detach().cpu().numpy(), ref[k], **tol)


def test_param_groups_use_their_own_settings(device):
    params = _params(ember.float64, device)
    cfgs = [{"lr": 0.5, "rho": 0.8}, {"lr": 1.5, "eps": 1e-4}]
    opt = Adadelta([{"params": [params[0]], **cfgs[0]}, {"params": [params[1]], **cfgs[1]}])
    for _ in range(20):
        _step(opt, params)
    for i, (p, cfg) in enumerate(zip(params, cfgs, strict=True)):
        ref = _reference(_x0(SHAPES[i], i), 20, **cfg)[-1]
        np.testing.assert_allclose(p.detach().cpu().numpy(), ref, rtol=1e-10, atol=1e-12)


def test_params_without_grad_are_skipped(device):
    params = _params(ember.float64, device)
    frozen = ember.nn.Parameter(ember.ones(3, dtype=ember.float64, device=device))
    opt = Adadelta(params + [frozen])
    for _ in range(5):
        _step(opt, params)
    np.testing.assert_array_equal(frozen.detach().cpu().numpy(), np.ones(3))
    assert len(opt.state[frozen]) == 0


def test_state_names_and_step_counter(device):
    params = _params(ember.float32, device)
    opt = Adadelta(params)
    for _ in range(3):
        _step(opt, params)
    st = opt.state[params[0]]
    assert set(st) == {"step", "square_avg", "acc_delta"}
    assert float(st["step"]) == 3.0
    assert st["acc_delta"].dtype == ember.float32 and st["acc_delta"].shape == params[0].shape
    assert Adadelta(params).defaults["lr"] == 1.0


def test_state_dict_round_trip_gives_identical_continuation(device):
    cfg = {"lr": 0.8, "rho": 0.85, "weight_decay": 0.01}
    params = _params(ember.float64, device)
    opt = Adadelta(params, **cfg)
    for _ in range(10):
        _step(opt, params)
    sd = copy.deepcopy(opt.state_dict())
    clones = [ember.nn.Parameter(p.detach().clone()) for p in params]
    opt2 = Adadelta(clones, lr=0.1)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.8
    for _ in range(10):
        _step(opt, params)
        _step(opt2, clones)
    for p, q in zip(params, clones, strict=True):
        np.testing.assert_array_equal(p.detach().cpu().numpy(), q.detach().cpu().numpy())


@pytest.mark.parametrize("kw, msg", [
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"rho": 1.5}, "Invalid rho value: 1.5"),
    ({"rho": -0.1}, "Invalid rho value: -0.1"),
    ({"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ({"weight_decay": -1e-3}, "Invalid weight_decay value: -0.001"),
])
def test_invalid_hyper_parameters(kw, msg):
    p = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(ValueError, match=msg):
        Adadelta([p], **kw)
