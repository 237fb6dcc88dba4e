"""Rprop against an independent numpy float64 implementation of the published update rule."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
from ember.optim import Rprop

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


def _reference(x, steps, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    """Rprop (Riedmiller and Braun 1993) in PyTorch's variant: after a sign change the step
    size shrinks and the coordinate is not moved (its remembered gradient becomes 0)."""
    x = x.copy()
    prev, size = np.zeros_like(x), np.full_like(x, lr)
    out = []
    for _ in range(steps):
        g = _grad_np(x)
        if maximize:
            g = -g
        prod = g * prev
        factor = np.where(prod > 0, etas[1], np.where(prod < 0, etas[0], 1.0))
        size = np.clip(size * factor, step_sizes[0], step_sizes[1])
        g = np.where(prod < 0, 0.0, g)
        x = x - np.sign(g) * size
        prev = g
        out.append(x.copy())
    return out


CONFIGS = [
    {},
    {"lr": 0.1},
    {"lr": 0.2, "etas": (0.3, 1.5)},
    {"lr": 0.1, "step_sizes": (0.05, 0.15)},
    {"lr": 0.1, "maximize": True},
]


def _cfg_id(c):
    return ",".join(f"{k}={v}" for k, v in c.items()) or "default"


@pytest.mark.parametrize("cfg", CONFIGS, ids=_cfg_id)
@pytest.mark.parametrize("dtype", [ember.float64, ember.float32], ids=str)
def test_trajectory_matches_reference(cfg, dtype, device):
    params = _params(dtype, device)
    opt = Rprop(params, **cfg)
    refs = [_reference(_x0(s, i), 25, **cfg) for i, s in enumerate(SHAPES)]
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == ember.float64 else {"rtol": 1e-4, "atol": 1e-5}
    steps = 25 if dtype == ember.float64 else 8  # float32 may flip a sign near an optimum later
    for k in range(steps):
        _step(opt, params)
        for p, ref in zip(params, refs, strict=True):
            assert p.dtype == dtype
            np.testing.assert_allclose(p.detach().cpu().numpy(), ref[k], **tol)


def test_sign_change_shrinks_step_and_skips_the_move(device):
    w = ember.nn.Parameter(ember.tensor([1.0, 1.0], dtype=ember.float64, device=device))
    opt = Rprop([w], lr=0.5, etas=(0.25, 2.0))
    for grad, expect_w, expect_size in [([1.0, 1.0], [0.5, 0.5], [0.5, 0.5]),
                                        ([1.0, -1.0], [-0.5, 0.5], [1.0, 0.125]),
                                        ([1.0, -1.0], [-2.5, 0.625], [2.0, 0.125])]:
        w.grad = ember.tensor(grad, dtype=ember.float64, device=device)
        opt.step()
        np.testing.assert_allclose(w.detach().cpu().numpy(), expect_w, rtol=0, atol=1e-15)
        np.testing.assert_allclose(opt.state[w]["step_size"].cpu().numpy(), expect_size, rtol=0)


def test_param_groups_use_their_own_settings(device):
    params = _params(ember.float64, device)
    cfgs = [{"lr": 0.2, "etas": (0.4, 1.1)}, {"lr": 0.05, "step_sizes": (1e-3, 0.1)}]
    opt = Rprop([{"params": [params[0]], **cfgs[0]}, {"params": [params[1]], **cfgs[1]}], lr=0.5)
    for _ in range(20):
        _step(opt, params)
    for i, (p, cfg) in enumerate(zip(params, cfgs, strict=True)):
        ref = _reference(_x0(SHAPES[i], i), 20, **cfg)[-1]
        np.testing.assert_allclose(p.detach().cpu().numpy(), ref, rtol=1e-10, atol=1e-12)


def test_params_without_grad_are_skipped(device):
    params = _params(ember.float64, device)
    frozen = ember.nn.Parameter(ember.ones(3, dtype=ember.float64, device=device))
    opt = Rprop(params + [frozen], lr=0.1)
    for _ in range(5):
        _step(opt, params)
    np.testing.assert_array_equal(frozen.detach().cpu().numpy(), np.ones(3))
    assert len(opt.state[frozen]) == 0


def test_state_names_and_step_counter(device):
    params = _params(ember.float32, device)
    opt = Rprop(params, lr=0.125)
    for _ in range(3):
        _step(opt, params)
    st = opt.state[params[0]]
    assert set(st) == {"step", "prev", "step_size"}
    assert float(st["step"]) == 3.0
    assert st["step_size"].dtype == ember.float32 and st["step_size"].shape == params[0].shape


def test_state_dict_round_trip_gives_identical_continuation(device):
    cfg = {"lr": 0.1, "etas": (0.4, 1.3)}
    params = _params(ember.float64, device)
    opt = Rprop(params, **cfg)
    for _ in range(10):
        _step(opt, params)
    sd = copy.deepcopy(opt.state_dict())
    clones = [ember.nn.Parameter(p.detach().clone()) for p in params]
    opt2 = Rprop(clones, lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.1
    for _ in range(10):
        _step(opt, params)
        _step(opt2, clones)
    for p, q in zip(params, clones, strict=True):
        np.testing.assert_array_equal(p.detach().cpu().numpy(), q.detach().cpu().numpy())


@pytest.mark.parametrize("kw, msg", [
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"etas": (1.5, 2.0)}, "Invalid eta values: 1.5, 2.0"),
    ({"etas": (0.5, 0.9)}, "Invalid eta values: 0.5, 0.9"),
])
def test_invalid_hyper_parameters(kw, msg):
    p = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(ValueError, match=msg):
        Rprop([p], **kw)
