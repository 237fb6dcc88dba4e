"""``nn.utils``: gradient clipping, parameter/vector conversion, ``functional_call``.

Expected norms and clipped values are computed with numpy float64.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)
from ember.nn.utils.stateless import functional_call


def _np(t):
    return t.detach().numpy(force=True).astype(np.float64)


def _params(device, grads):
    ps = []
    for g in grads:
        p = nn.Parameter(ember.zeros(len(g), device=device))
        p.grad = ember.tensor(g, device=device)
        ps.append(p)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf])
def test_clip_grad_norm(device, norm_type):
    grads = [[3.0, -4.0], [1.0, 2.0, -2.0]]
    ps = _params(device, grads)
    flat = np.concatenate([np.asarray(g) for g in grads])
    total = np.abs(flat).max() if norm_type == math.inf else \
        (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    out = clip_grad_norm_(ps, max_norm=1.0, norm_type=norm_type)
    np.testing.assert_allclose(float(out), total, rtol=1e-6)
    coef = 1.0 / (total + 1e-6)
    for p, g in zip(ps, grads, strict=True):
        np.testing.assert_allclose(_np(p.grad), np.asarray(g) * coef, rtol=1e-6)


def test_clip_grad_norm_no_op_below_max_and_generators(device):
    ps = _params(device, [[0.3, 0.4]])
    out = clip_grad_norm_((p for p in ps), max_norm=10.0, foreach=True)
    assert float(out) == pytest.approx(0.5)
    np.testing.assert_allclose(_np(ps[0].grad), [0.3, 0.4], rtol=1e-6)
    # a single tensor, and parameters without grad are skipped
    p = nn.Parameter(ember.zeros(2, device=device))
    assert float(clip_grad_norm_(p, 1.0)) == 0.0


def test_clip_grad_norm_nonfinite(device):
    ps = _params(device, [[float("inf"), 1.0]])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert math.isinf(float(clip_grad_norm_(ps, 1.0)))


def test_get_total_norm():
    t = get_total_norm([ember.tensor([3.0]), ember.tensor([[4.0]])])
    assert float(t) == 5.0
    assert float(get_total_norm([])) == 0.0
    assert float(get_total_norm(ember.tensor([1.0, -2.0]), norm_type=1)) == 3.0


def test_clip_grad_value(device):
    ps = _params(device, [[3.0, -0.5, -7.0]])
    assert clip_grad_value_(ps, 1.0) is None
    np.testing.assert_allclose(_np(ps[0].grad), [1.0, -0.5, -1.0])


def test_parameters_vector_round_trip(device):
    lin = nn.Linear(3, 2).to(device)
    vec = parameters_to_vector(lin.parameters())
    ref = np.concatenate([_np(lin.weight).ravel(), _np(lin.bias)])
    np.testing.assert_allclose(_np(vec), ref)
    assert vec.requires_grad  # differentiable
    new = ember.arange(8, dtype=ember.float32, device=device)
    vector_to_parameters(new, lin.parameters())
    np.testing.assert_allclose(_np(lin.weight), np.arange(6).reshape(2, 3))
    np.testing.assert_allclose(_np(lin.bias), [6.0, 7.0])
    with pytest.raises(TypeError, match="expected ember.Tensor, but got: list"):
        vector_to_parameters([1.0], lin.parameters())


def test_functional_call():
    lin = nn.Linear(2, 1)
    w0 = lin.weight
    w = ember.tensor([[1.0, 2.0]], requires_grad=True)
    b = ember.tensor([0.5])
    x = ember.tensor([[3.0, 4.0]])
    out = functional_call(lin, {"weight": w, "bias": b}, (x,))
    assert float(out) == 11.5
    out.sum().backward()
    np.testing.assert_allclose(_np(w.grad), [[3.0, 4.0]])
    assert lin.weight is w0 and lin.weight.grad is None  # restored, untouched
    # partial replacement, dict tuple, single non-tuple arg
    out = functional_call(lin, ({"weight": w},), x)
    np.testing.assert_allclose(_np(out), _np(x) @ _np(w).T + _np(lin.bias))
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        functional_call(lin, ({"weight": w}, {"weight": w}), (x,))
    with pytest.raises(RuntimeError, match="Error\\(s\\) in reparametrizing for Linear:\n\t"
                                           "Unexpected key\\(s\\): 'nope'.\n\t"
                                           "Missing key\\(s\\): 'bias'."):
        functional_call(lin, {"weight": w, "nope": b}, (x,), strict=True)


def test_functional_call_tied_weights():
    a, b = nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False)
    b.weight = a.weight  # one Parameter under two names
    seq = nn.Sequential(a, b)
    w = ember.eye(2) * 2
    x = ember.ones(1, 2)
    out = functional_call(seq, {"0.weight": w}, (x,))
    np.testing.assert_allclose(_np(out), [[4.0, 4.0]])  # both uses replaced
    out = functional_call(seq, {"0.weight": w}, (x,), tie_weights=False)
    np.testing.assert_allclose(_np(out), (_np(x) * 2) @ _np(a.weight).T, rtol=1e-6)
    with pytest.raises(ValueError, match="which are tied"):
        functional_call(seq, {"0.weight": w, "1.weight": w * 1}, (x,))
