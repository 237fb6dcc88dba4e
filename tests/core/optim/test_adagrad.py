"""Adagrad against an independent numpy float64 implementation of the published update rule."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.optim import Adagrad
from ember.testing import optim_harness as H


def _reference(x, steps, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
               eps=1e-10, maximize=False):
    """Adagrad (Duchi et al. 2011) with PyTorch's lr decay lr / (1 + (t - 1) * lr_decay)."""
    x = x.copy()
    acc = np.full_like(x, initial_accumulator_value)
    out = []
    for t in range(1, steps + 1):
        g = H.grad_np(x, maximize, weight_decay)
        clr = lr / (1 + (t - 1) * lr_decay)
        acc = acc + g * g
        x = x - clr * g / (np.sqrt(acc) + eps)
        out.append(x.copy())
    return out


CONFIGS = [
    {},
    {"lr": 0.1},
    {"lr": 0.1, "lr_decay": 0.05},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3},
    {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.02, "initial_accumulator_value": 0.1},
    {"lr": 0.05, "maximize": True},
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=H.cfg_id)
@pytest.mark.parametrize("dtype", [ember.float64, ember.float32], ids=str)
def test_trajectory_matches_reference(cfg, dtype, device):
    H.check_trajectory(Adagrad, _reference, cfg, dtype, device)


def test_param_groups_use_their_own_settings(device):
    cfgs = [{"lr": 0.3, "lr_decay": 0.1}, {"lr": 0.05, "initial_accumulator_value": 1.0}]
    H.check_param_groups(Adagrad, _reference, cfgs, device, lr=0.5)


def test_params_without_grad_are_skipped(device):
    opt, frozen = H.check_frozen_param(Adagrad, device, lr=0.1)
    # like PyTorch, Adagrad creates its state eagerly in the constructor
    assert float(opt.state[frozen]["step"]) == 0.0
    np.testing.assert_array_equal(opt.state[frozen]["sum"].cpu().numpy(), np.zeros(3))


def test_state_names_and_step_counter(device):
    params = H.make_params(ember.float32, device)
    opt = Adagrad(params, initial_accumulator_value=0.25)
    st = opt.state[params[0]]
    assert set(st) == {"step", "sum"}
    np.testing.assert_array_equal(st["sum"].cpu().numpy(), np.full(H.SHAPES[0], 0.25, np.float32))
    for _ in range(3):
        H.step(opt, params)
    assert float(st["step"]) == 3.0
    assert st["sum"].dtype == ember.float32 and st["sum"].shape == params[0].shape


def test_state_dict_round_trip_gives_identical_continuation(device):
    cfg = {"lr": 0.1, "lr_decay": 0.02, "weight_decay": 0.01}
    H.check_state_dict_continuation(Adagrad, cfg, device)


@pytest.mark.parametrize("kw, msg", [
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"lr_decay": -0.5}, "Invalid lr_decay value: -0.5"),
    ({"weight_decay": -1e-3}, "Invalid weight_decay value: -0.001"),
    ({"initial_accumulator_value": -1.0}, "Invalid initial_accumulator_value value: -1.0"),
    ({"eps": -1.0}, "Invalid epsilon value: -1.0"),
])
def test_invalid_hyper_parameters(kw, msg):
    p = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(ValueError, match=msg):
        Adagrad([p], **kw)
