"""Rprop against an independent numpy float64 implementation of the published update rule."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.optim import Rprop
from ember.testing import optim_harness as H


def _reference(x, steps, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    """Rprop (Riedmiller and Braun 1993) in PyTorch's variant: after a sign change the step
    size shrinks and the coordinate is not moved (its remembered gradient becomes 0)."""
    x = x.copy()
    prev, size = np.zeros_like(x), np.full_like(x, lr)
    out = []
    for _ in range(steps):
        g = H.grad_np(x, maximize)
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


@pytest.mark.parametrize("cfg", CONFIGS, ids=H.cfg_id)
@pytest.mark.parametrize("dtype", [ember.float64, ember.float32], ids=str)
def test_trajectory_matches_reference(cfg, dtype, device):
    steps = 25 if dtype == ember.float64 else 8  # float32 may flip a sign near an optimum later
    H.check_trajectory(Rprop, _reference, cfg, dtype, device, steps=steps)


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
    cfgs = [{"lr": 0.2, "etas": (0.4, 1.1)}, {"lr": 0.05, "step_sizes": (1e-3, 0.1)}]
    H.check_param_groups(Rprop, _reference, cfgs, device, lr=0.5)


def test_params_without_grad_are_skipped(device):
    opt, frozen = H.check_frozen_param(Rprop, device, lr=0.1)
    assert len(opt.state[frozen]) == 0


def test_state_names_and_step_counter(device):
    params = H.make_params(ember.float32, device)
    opt = Rprop(params, lr=0.125)
    for _ in range(3):
        H.step(opt, params)
    st = opt.state[params[0]]
    assert set(st) == {"step", "prev", "step_size"}
    assert float(st["step"]) == 3.0
    assert st["step_size"].dtype == ember.float32 and st["step_size"].shape == params[0].shape


def test_state_dict_round_trip_gives_identical_continuation(device):
    H.check_state_dict_continuation(Rprop, {"lr": 0.1, "etas": (0.4, 1.3)}, device)


@pytest.mark.parametrize("kw, msg", [
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"etas": (1.5, 2.0)}, "Invalid eta values: 1.5, 2.0"),
    ({"etas": (0.5, 0.9)}, "Invalid eta values: 0.5, 0.9"),
])
def test_invalid_hyper_parameters(kw, msg):
    p = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(ValueError, match=msg):
        Rprop([p], **kw)
