"""ASGD against an independent numpy float64 implementation of the published update rule."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.optim import ASGD
from ember.testing import optim_harness as H


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
        g = H.grad_np(x, maximize, weight_decay)
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


@pytest.mark.parametrize("cfg", CONFIGS, ids=H.cfg_id)
@pytest.mark.parametrize("dtype", [ember.float64, ember.float32], ids=str)
def test_trajectory_matches_reference(cfg, dtype, device):
    H.check_trajectory(ASGD, _reference, cfg, dtype, device, state_keys=("ax",))


def test_param_groups_use_their_own_settings(device):
    cfgs = [{"lr": 0.05, "t0": 4}, {"lr": 0.01, "lambd": 0.01, "alpha": 1.0}]
    H.check_param_groups(ASGD, _reference, cfgs, device, state_keys=("ax",), lr=0.5)


def test_params_without_grad_are_skipped(device):
    opt, frozen = H.check_frozen_param(ASGD, device, lr=0.1)
    assert len(opt.state[frozen]) == 0


def test_state_names_and_values(device):
    params = H.make_params(ember.float32, device)
    opt = ASGD(params, lr=0.1, lambd=0.5, alpha=0.5, t0=1)
    for _ in range(3):
        H.step(opt, params)
    st = opt.state[params[0]]
    assert set(st) == {"step", "eta", "mu", "ax"}
    assert float(st["step"]) == 3.0
    assert st["eta"].dtype == ember.float32 and st["eta"].dim() == 0
    assert float(st["eta"]) == pytest.approx(0.1 / (1 + 0.5 * 0.1 * 3) ** 0.5, rel=1e-6)
    assert float(st["mu"]) == pytest.approx(0.5)
    assert st["ax"].dtype == ember.float32 and st["ax"].shape == params[0].shape


def test_state_dict_round_trip_gives_identical_continuation(device):
    # float32: the loaded eta and mu keep float32, so the continuation is bitwise equal
    cfg = {"lr": 0.05, "t0": 4, "lambd": 0.01, "weight_decay": 0.01}
    H.check_state_dict_continuation(ASGD, cfg, device, dtype=ember.float32, state_keys=("ax",))


@pytest.mark.parametrize("kw, msg", [
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"weight_decay": -1e-3}, "Invalid weight_decay value: -0.001"),
])
def test_invalid_hyper_parameters(kw, msg):
    p = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(ValueError, match=msg):
        ASGD([p], **kw)


def test_eta_and_mu_are_rounded_to_the_default_dtype_after_a_float64_load(device):
    # loading casts eta and mu to the float64 parameter dtype (as PyTorch does); the new values
    # written at each step are still rounded to float32 first, like PyTorch's as_tensor
    params = H.make_params(ember.float64, device)
    opt = ASGD(params, lr=0.03, lambd=0.01, t0=1)
    H.step(opt, params)
    opt2 = ASGD(params, lr=0.5)
    opt2.load_state_dict(opt.state_dict())
    st = opt2.state[params[0]]
    assert st["eta"].dtype == ember.float64
    H.step(opt2, params)
    expected = float(np.float32(0.03 / (1 + 0.01 * 0.03 * 2) ** 0.75))
    assert float(st["eta"]) == expected and float(st["mu"]) == 1.0
