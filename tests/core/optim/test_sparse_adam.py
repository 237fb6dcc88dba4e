"""SparseAdam (dense gradients, rows without gradient untouched) against a numpy float64
implementation of PyTorch's masked Adam update."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import ember
from ember.optim import SparseAdam

ROWS = [[0, 2], [1, 2, 4], [], [5], [0, 1, 2, 3, 4, 5], [3]] * 4  # rows looked up at each step


def _x0(seed=0):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=(6, 3))


def _step(opt, w, rows):
    """Loss sum_r (0.5 w_r^2 + sin(3 w_r)) over the looked-up rows (embedding-like)."""
    opt.zero_grad()
    if rows:
        idx = ember.tensor(rows, dtype=ember.int64, device=w.device)
        sel = w[idx]
        (0.5 * sel * sel + ember.sin(3 * sel)).sum().backward()
    else:
        (w * 0).sum().backward()  # a gradient of zeros: no row takes part, step still counts
    opt.step()


def _reference(x, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
    """Adam restricted to the rows present in the gradient (PyTorch's SparseAdam)."""
    b1, b2 = betas
    x = x.copy()
    m, v = np.zeros_like(x), np.zeros_like(x)
    out = []
    for t, rows in enumerate(ROWS, start=1):
        if rows:
            g = x[rows] + 3 * np.cos(3 * x[rows])
            if maximize:
                g = -g
            m[rows] = m[rows] + (1 - b1) * (g - m[rows])
            v[rows] = v[rows] + (1 - b2) * (g * g - v[rows])
            size = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            x[rows] = x[rows] - size * m[rows] / (np.sqrt(v[rows]) + eps)
        out.append((x.copy(), m.copy()))
    return out


CONFIGS = [{}, {"lr": 0.05}, {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-3},
           {"lr": 0.01, "maximize": True}]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: str(c))
@pytest.mark.parametrize("dtype", [ember.float64, ember.float32], ids=str)
def test_trajectory_matches_reference(cfg, dtype, device):
    w = ember.nn.Parameter(ember.tensor(_x0(), dtype=dtype, device=device))
    opt = SparseAdam([w], **cfg)
    ref = _reference(_x0(), **cfg)
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == ember.float64 else {"rtol": 1e-4, "atol": 1e-5}
    for k, rows in enumerate(ROWS):
        _step(opt, w, rows)
        np.testing.assert_allclose(w.detach().cpu().numpy(), ref[k][0], **tol)
        np.testing.assert_allclose(opt.state[w]["exp_avg"].cpu().numpy(), ref[k][1], **tol)
    assert opt.state[w]["step"] == len(ROWS)
    assert set(opt.state[w]) == {"step", "exp_avg", "exp_avg_sq"}


def test_untouched_rows_keep_value_and_moments(device):
    w = ember.nn.Parameter(ember.tensor(_x0(), dtype=ember.float64, device=device))
    opt = SparseAdam([w], lr=0.1)
    _step(opt, w, [1, 4])
    _step(opt, w, [1])
    got = w.detach().cpu().numpy()
    np.testing.assert_array_equal(got[[0, 2, 3, 5]], _x0()[[0, 2, 3, 5]])
    assert np.all(got[[1, 4]] != _x0()[[1, 4]])
    np.testing.assert_array_equal(opt.state[w]["exp_avg_sq"].cpu().numpy()[[0, 2, 3, 5]], 0)


def test_param_groups_and_params_without_grad(device):
    w = ember.nn.Parameter(ember.tensor(_x0(), dtype=ember.float64, device=device))
    frozen = ember.nn.Parameter(ember.ones(2, dtype=ember.float64, device=device))
    opt = SparseAdam([{"params": [w], "lr": 0.05}, {"params": [frozen]}], lr=0.5)
    for rows in ROWS:
        _step(opt, w, rows)
    np.testing.assert_allclose(w.detach().cpu().numpy(), _reference(_x0(), lr=0.05)[-1][0],
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(frozen.detach().cpu().numpy(), np.ones(2))
    assert len(opt.state[frozen]) == 0


def test_state_dict_round_trip_gives_identical_continuation(device):
    w = ember.nn.Parameter(ember.tensor(_x0(), dtype=ember.float64, device=device))
    opt = SparseAdam([w], lr=0.05)
    for rows in ROWS[:7]:
        _step(opt, w, rows)
    sd = copy.deepcopy(opt.state_dict())
    w2 = ember.nn.Parameter(w.detach().clone())
    opt2 = SparseAdam([w2], lr=0.5)
    opt2.load_state_dict(sd)
    for rows in ROWS[7:]:
        _step(opt, w, rows)
        _step(opt2, w2, rows)
    np.testing.assert_array_equal(w.detach().cpu().numpy(), w2.detach().cpu().numpy())


@pytest.mark.parametrize("kw, msg", [
    ({"lr": 0.0}, "Invalid learning rate: 0.0"),
    ({"eps": 0.0}, "Invalid epsilon value: 0.0"),
    ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
])
def test_invalid_hyper_parameters(kw, msg):
    p = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(ValueError, match=msg):
        SparseAdam([p], **kw)
