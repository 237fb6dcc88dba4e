"""RMSprop against an independent numpy float64 implementation of the published update rule."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
from ember.optim import RMSprop

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


def _reference(x, steps, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
               centered=False, maximize=False):
    """RMSprop (Hinton's lecture 6e; PyTorch's eps-outside-sqrt, centred and momentum forms)."""
    x = x.copy()
    sq, ga, buf = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    out = []
    for _ in range(steps):
        g = _grad_np(x)
        if maximize:
            g = -g
        g = g + weight_decay * x
        sq = alpha * sq + (1 - alpha) * g * g
        if centered:
            ga = alpha * ga + (1 - alpha) * g
            denom = np.sqrt(sq - ga * ga) + eps
        else:
            denom = np.sqrt(sq) + eps
        if momentum > 0:
            buf = momentum * buf + g / denom
            x = x - lr * buf
        else:
            x = x - lr * g / denom
        out.append(x.copy())
    return out


CONFIGS = [
    {},
    {"lr": 0.05, "alpha": 0.9},
    {"lr": 0.02, "weight_decay": 0.1},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.01, "centered": True},
    {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.05, "eps": 1e-3},
    {"lr": 0.01, "maximize": True},
]


def _cfg_id(c):
    return ",".join(f"{k}={v}" for k, v in c.items()) or "default"


@pytest.mark.parametrize("cfg", CONFIGS, ids=_cfg_id)
@pytest.mark.parametrize("dtype", [ember.float64, ember.float32], ids=str)
def test_trajectory_matches_reference(cfg, dtype, device):
    params = _params(dtype, device)
    opt = RMSprop(params, **cfg)
    refs = [_reference(_x0(s, i), 25, **cfg) for i, s in enumerate(SHAPES)]
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == ember.float64 else {"rtol": 1e-4, "atol": 1e-5}
    for k in range(25):
        _step(opt, params)
        for p, ref in zip(params, refs, strict=True):
            assert p.dtype == dtype
            np.testing.assert_allclose(p.detach().cpu().numpy(), ref[k], **tol)


def test_param_groups_use_their_own_settings(device):
    params = _params(ember.float64, device)
    cfgs = [{"lr": 0.03, "momentum": 0.9}, {"lr": 0.01, "centered": True, "alpha": 0.8}]
    opt = RMSprop([{"params": [params[0]], **cfgs[0]}, {"params": [params[1]], **cfgs[1]}], lr=0.5)
    for _ in range(20):
        _step(opt, params)
    for i, (p, cfg) in enumerate(zip(params, cfgs, strict=True)):
        ref = _reference(_x0(SHAPES[i], i), 20, **cfg)[-1]
        np.testing.assert_allclose(p.detach().cpu().numpy(), ref, rtol=1e-10, atol=1e-12)


def test_params_without_grad_are_skipped(device):
    params = _params(ember.float64, device)
    frozen = ember.nn.Parameter(ember.ones(3, dtype=ember.float64, device=device))
    opt = RMSprop(params + [frozen], lr=0.1, momentum=0.5, centered=True)
    for _ in range(5):
        _step(opt, params)
    np.testing.assert_array_equal(frozen.detach().cpu().numpy(), np.ones(3))
    assert len(opt.state[frozen]) == 0


def test_state_names_and_step_counter(device):
    params = _params(ember.float32, device)
    opt = RMSprop(params, momentum=0.9, centered=True)
    for _ in range(3):
        _step(opt, params)
    st = opt.state[params[0]]
    assert set(st) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    assert float(st["step"]) == 3.0
    assert st["square_avg"].dtype == ember.float32 and st["square_avg"].shape == params[0].shape
    assert set(RMSprop(params).defaults) >= {"lr", "alpha", "eps", "weight_decay", "momentum",
                                             "centered", "maximize"}


def test_state_dict_round_trip_gives_identical_continuation(device):
    cfg = {"lr": 0.02, "momentum": 0.7, "centered": True, "weight_decay": 0.01}
    params = _params(ember.float64, device)
    opt = RMSprop(params, **cfg)
    for _ in range(10):
        _step(opt, params)
    sd = copy.deepcopy(opt.state_dict())
    clones = [ember.nn.Parameter(p.detach().clone()) for p in params]
    opt2 = RMSprop(clones, lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.02
    for _ in range(10):
        _step(opt, params)
        _step(opt2, clones)
    for p, q in zip(params, clones, strict=True):
        np.testing.assert_array_equal(p.detach().cpu().numpy(), q.detach().cpu().numpy())


def test_updates_in_place_keep_parameter_identity(device):
    params = _params(ember.float64, device)
    before = [p._data for p in params]
    opt = RMSprop(params, lr=0.1)
    _step(opt, params)
    assert all(p._data is b for p, b in zip(params, before, strict=True))
    assert all(p.grad_fn is None and p.requires_grad for p in params)


@pytest.mark.parametrize("kw, msg", [
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ({"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ({"weight_decay": -1e-3}, "Invalid weight_decay value: -0.001"),
    ({"alpha": -0.9}, "Invalid alpha value: -0.9"),
])
def test_invalid_hyper_parameters(kw, msg):
    p = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(ValueError, match=msg):
        RMSprop([p], **kw)
