"""ASGD against an independent numpy float64 implementation of the published update rule."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
from ember.optim import ASGD

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


def _f32(v):
    """PyTorch keeps eta and mu in 0-d float32 tensors: round like them."""
    return float(np.float32(v))


def _reference(x, steps, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0,
               maximize=False):
    """ASGD as PyTorch formulates it (decayed eta, averaging from step t0 on); returns the
    parameter and the average ax after every step."""
    x = x.copy()
    ax = np.zeros_like(x)
    eta, mu = _f32(lr), 1.0
    out = []
    for t in range(1, steps + 1):
        g = _grad_np(x)
        if maximize:
            g = -g
        g = g + weight_decay * x
        x = x * (1 - lambd * eta) - eta * g
        ax = x.copy() if mu == 1 else ax + (x - ax) * mu
        eta = _f32(lr / (1 + lambd * lr * t) ** alpha)
        mu = _f32(1 / max(1, t - t0))
        out.append((x.copy(), ax.copy()))
    return out


CONFIGS = [
    {},
    {"lr": 0.05, "t0": 5},
    {"lr": 0.05, "lambd": 0.1, "alpha": 0.5, "t0": 3},
    {"lr": 0.02, "weight_decay": 0.1, "t0": 10},
    {"lr": 0.02, "maximize": True, "t0": 2},
]


def _cfg_id(c):
    return ",".join(f"{k}={v}" for k, v in c.items()) or "default"


@pytest.mark.parametrize("cfg", CONFIGS, ids=_cfg_id)
@pytest.mark.parametrize("dtype", [ember.float64, ember.float32], ids=str)
def test_trajectory_matches_reference(cfg, dtype, device):
    params = _params(dtype, device)
    opt = ASGD(params, **cfg)
    refs = [_reference(_x0(s, i), 25, **cfg) for i, s in enumerate(SHAPES)]
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == ember.float64 else {"rtol": 1e-4, "atol": 1e-5}
    for k in range(25):
        _step(opt, params)
        for p, ref in zip(params, refs, strict=True):
            assert p.dtype == dtype
            np.testing.assert_allclose(p.detach().cpu().numpy(), ref[k][0], **tol)
            np.testing.assert_allclose(opt.state[p]["ax"].cpu().numpy(), ref[k][1], **tol)


def test_param_groups_use_their_own_settings(device):
    params = _params(ember.float64, device)
    cfgs = [{"lr": 0.05, "t0": 4}, {"lr": 0.01, "lambd": 0.01, "alpha": 1.0}]
    opt = ASGD([{"params": [params[0]], **cfgs[0]}, {"params": [params[1]], **cfgs[1]}], lr=0.5)
    for _ in range(20):
        _step(opt, params)
    for i, (p, cfg) in enumerate(zip(params, cfgs, strict=True)):
        ref = _reference(_x0(SHAPES[i], i), 20, **cfg)[-1]
        np.testing.assert_allclose(p.detach().cpu().numpy(), ref[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(opt.state[p]["ax"].cpu().numpy(), ref[1], rtol=1e-10, atol=1e-12)


def test_params_without_grad_are_skipped(device):
    params = _params(ember.float64, device)
    frozen = ember.nn.Parameter(ember.ones(3, dtype=ember.float64, device=device))
    opt = ASGD(params + [frozen], lr=0.1)
    for _ in range(5):
        _step(opt, params)
    np.testing.assert_array_equal(frozen.detach().cpu().numpy(), np.ones(3))
    assert len(opt.state[frozen]) == 0


def test_state_names_and_values(device):
    params = _params(ember.float32, device)
    opt = ASGD(params, lr=0.1, lambd=0.5, alpha=0.5, t0=1)
    for _ in range(3):
        _step(opt, params)
    st = opt.state[params[0]]
    assert set(st) == {"step", "eta", "mu", "ax"}
    assert float(st["step"]) == 3.0
    assert st["eta"].dtype == ember.float32 and st["eta"].dim() == 0
    assert float(st["eta"]) == pytest.approx(0.1 / (1 + 0.5 * 0.1 * 3) ** 0.5, rel=1e-6)
    assert float(st["mu"]) == pytest.approx(0.5)
    assert st["ax"].dtype == ember.float32 and st["ax"].shape == params[0].shape


def test_state_dict_round_trip_gives_identical_continuation(device):
    # float32 parameters: the loaded eta and mu keep float32, so the continuation is bitwise equal
    cfg = {"lr": 0.05, "t0": 4, "lambd": 0.01, "weight_decay": 0.01}
    params = _params(ember.float32, device)
    opt = ASGD(params, **cfg)
    for _ in range(10):
        _step(opt, params)
    sd = copy.deepcopy(opt.state_dict())
    clones = [ember.nn.Parameter(p.detach().clone()) for p in params]
    opt2 = ASGD(clones, lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.05
    for _ in range(10):
        _step(opt, params)
        _step(opt2, clones)
    for p, q in zip(params, clones, strict=True):
        np.testing.assert_array_equal(p.detach().cpu().numpy(), q.detach().cpu().numpy())
        np.testing.assert_array_equal(opt.state[p]["ax"].cpu().numpy(),
                                      opt2.state[q]["ax"].cpu().numpy())


@pytest.mark.parametrize("kw, msg", [
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"weight_decay": -1e-3}, "Invalid weight_decay value: -0.001"),
])
def test_invalid_hyper_parameters(kw, msg):
    p = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(ValueError, match=msg):
        ASGD([p], **kw)
