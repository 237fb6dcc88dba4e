"""Adadelta against an independent numpy float64 implementation of the published update rule."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.optim import Adadelta
from ember.testing import optim_harness as H


def _reference(x, steps, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    """Adadelta (Zeiler 2012) with PyTorch's extra learning rate multiplier."""
    x = x.copy()
    sq, acc = np.zeros_like(x), np.zeros_like(x)
    out = []
    for _ in range(steps):
        g = H.grad_np(x, maximize, weight_decay)
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


@pytest.mark.parametrize("cfg", CONFIGS, ids=H.cfg_id)
@pytest.mark.parametrize("dtype", [ember.float64, ember.float32], ids=str)
def test_trajectory_matches_reference(cfg, dtype, device):
    H.check_trajectory(Adadelta, _reference, cfg, dtype, device)


def test_param_groups_use_their_own_settings(device):
    cfgs = [{"lr": 0.5, "rho": 0.8}, {"lr": 1.5, "eps": 1e-4}]
    H.check_param_groups(Adadelta, _reference, cfgs, device)


def test_params_without_grad_are_skipped(device):
    opt, frozen = H.check_frozen_param(Adadelta, device)
    assert len(opt.state[frozen]) == 0


def test_state_names_and_step_counter(device):
    params = H.make_params(ember.float32, device)
    opt = Adadelta(params)
    for _ in range(3):
        H.step(opt, params)
    st = opt.state[params[0]]
    assert set(st) == {"step", "square_avg", "acc_delta"}
    assert float(st["step"]) == 3.0
    assert st["acc_delta"].dtype == ember.float32 and st["acc_delta"].shape == params[0].shape
    assert Adadelta(params).defaults["lr"] == 1.0


def test_state_dict_round_trip_gives_identical_continuation(device):
    cfg = {"lr": 0.8, "rho": 0.85, "weight_decay": 0.01}
    H.check_state_dict_continuation(Adadelta, cfg, device)


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
