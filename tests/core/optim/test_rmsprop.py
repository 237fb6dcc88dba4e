"""RMSprop against an independent numpy float64 implementation of the published update rule."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.optim import RMSprop
from ember.testing import optim_harness as H


def _reference(x, steps, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
               centered=False, maximize=False):
    """RMSprop (Hinton's lecture 6e; PyTorch's eps-outside-sqrt, centred and momentum forms)."""
    x = x.copy()
    sq, ga, buf = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    out = []
    for _ in range(steps):
        g = H.grad_np(x, maximize, weight_decay)
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


@pytest.mark.parametrize("cfg", CONFIGS, ids=H.cfg_id)
@pytest.mark.parametrize("dtype", [ember.float64, ember.float32], ids=str)
def test_trajectory_matches_reference(cfg, dtype, device):
    H.check_trajectory(RMSprop, _reference, cfg, dtype, device)


def test_param_groups_use_their_own_settings(device):
    cfgs = [{"lr": 0.03, "momentum": 0.9}, {"lr": 0.01, "centered": True, "alpha": 0.8}]
    H.check_param_groups(RMSprop, _reference, cfgs, device, lr=0.5)


def test_params_without_grad_are_skipped(device):
    opt, frozen = H.check_frozen_param(RMSprop, device, lr=0.1, momentum=0.5, centered=True)
    assert len(opt.state[frozen]) == 0


def test_state_names_and_step_counter(device):
    params = H.make_params(ember.float32, device)
    opt = RMSprop(params, momentum=0.9, centered=True)
    for _ in range(3):
        H.step(opt, params)
    st = opt.state[params[0]]
    assert set(st) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    assert float(st["step"]) == 3.0
    assert st["square_avg"].dtype == ember.float32 and st["square_avg"].shape == params[0].shape
    assert set(RMSprop(params).defaults) >= {"lr", "alpha", "eps", "weight_decay", "momentum",
                                             "centered", "maximize"}


def test_state_dict_round_trip_gives_identical_continuation(device):
    cfg = {"lr": 0.02, "momentum": 0.7, "centered": True, "weight_decay": 0.01}
    H.check_state_dict_continuation(RMSprop, cfg, device)


def test_updates_in_place_keep_parameter_identity(device):
    params = H.make_params(ember.float64, device)
    before = [p._data for p in params]
    opt = RMSprop(params, lr=0.1)
    H.step(opt, params)
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
