"""Linear, Bilinear, Identity, Flatten, Unflatten, LazyLinear and ``F.linear``/``F.bilinear``.

References are numpy float64 einsums; gradients by finite differences (float64).  Reprs,
state_dict keys and error messages were read from PyTorch 2.13.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close


def _t(a, device, dtype=ember.float64, rg=False):
    return ember.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=rg)


def _np(t):
    return t.detach().numpy(force=True).astype(np.float64)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("shape", [(4,), (5, 4), (2, 3, 4)])
def test_linear_forward(device, dtype, shape):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(shape), rng.standard_normal((3, 4)), rng.standard_normal(3)
    out = F.linear(_t(x, device, dtype), _t(w, device, dtype), _t(b, device, dtype))
    assert out.dtype is dtype and tuple(out.shape) == shape[:-1] + (3,)
    tol = 1e-5 if dtype is ember.float32 else 1e-12
    np.testing.assert_allclose(_np(out), x @ w.T + b, rtol=tol, atol=tol)
    no_bias = F.linear(_t(x, device, dtype), _t(w, device, dtype))
    np.testing.assert_allclose(_np(no_bias), x @ w.T, rtol=tol, atol=tol)


def test_linear_vector_weight(device):
    out = F.linear(_t([1.0, 2.0], device), _t([3.0, 4.0], device), _t(0.5, device))
    assert out.shape == () and float(out) == 11.5


def test_linear_gradcheck(device):
    rng = np.random.default_rng(1)
    x = _t(rng.standard_normal((2, 3, 4)), device, rg=True)
    w = _t(rng.standard_normal((5, 4)), device, rg=True)
    b = _t(rng.standard_normal(5), device, rg=True)
    assert gradcheck(F.linear, (x, w, b))
    assert gradcheck(lambda x, w: F.linear(x, w), (x, w))
    assert gradgradcheck(F.linear, (x, w, b))


def test_linear_errors(device):
    lin = nn.Linear(4, 3).to(device)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(2x5 and 4x3\)"):
        lin(ember.ones(2, 5, device=device))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(6x5 and 4x3\)"):
        lin(ember.ones(2, 3, 5, device=device))
    with pytest.raises(TypeError, match="linear\\(\\): argument 'input' \\(position 1\\) must "
                                        "be Tensor, not list"):
        F.linear([1.0], lin.weight)
    with pytest.raises(RuntimeError, match="bias of shape \\(2,\\)"):
        F.linear(ember.ones(2, 4), ember.ones(3, 4), ember.ones(2))


def test_linear_module(device):
    lin = nn.Linear(20, 30)
    assert repr(lin) == "Linear(in_features=20, out_features=30, bias=True)"
    assert repr(nn.Linear(3, 4, bias=False)) == "Linear(in_features=3, out_features=4, bias=False)"
    assert [(k, tuple(v.shape)) for k, v in lin.state_dict().items()] == [
        ("weight", (30, 20)), ("bias", (30,))]
    assert lin.weight.dtype is ember.float32 and lin.weight.requires_grad
    assert nn.Linear(3, 4, bias=False).bias is None
    assert list(nn.Linear(3, 4, bias=False).state_dict()) == ["weight"]
    m = nn.Linear(2, 3, device=device, dtype=ember.float64)
    assert m.weight.dtype is ember.float64 and m.bias.device.type == device.split(":")[0]
    x = ember.randn(7, 2, dtype=ember.float64, device=device)
    np.testing.assert_allclose(_np(m(x)), _np(x) @ _np(m.weight).T + _np(m.bias), rtol=1e-12)
    m(x).sum().backward()
    np.testing.assert_allclose(_np(m.weight.grad), np.ones((3, 7)) @ _np(x), rtol=1e-12)
    np.testing.assert_allclose(_np(m.bias.grad), np.full(3, 7.0))


def test_linear_default_init_statistics():
    ember.manual_seed(0)
    fan_in = 400
    lin = nn.Linear(fan_in, 300)
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives exactly this bound
    w, b = _np(lin.weight), _np(lin.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound
    # U(-B, B): mean 0, variance B^2 / 3
    assert abs(w.mean()) < 0.01 * bound * 3
    np.testing.assert_allclose(w.var(), bound ** 2 / 3, rtol=0.02)
    lin.reset_parameters()
    assert not np.array_equal(_np(lin.weight), w)


def test_bilinear(device):
    rng = np.random.default_rng(2)
    x1, x2 = rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 2, 5))
    w, b = rng.standard_normal((6, 4, 5)), rng.standard_normal(6)
    ref = np.einsum("...i,oij,...j->...o", x1, w, x2) + b
    out = F.bilinear(_t(x1, device), _t(x2, device), _t(w, device), _t(b, device))
    np.testing.assert_allclose(_np(out), ref, rtol=1e-12, atol=1e-12)
    args = (_t(x1[0], device, rg=True), _t(x2[0], device, rg=True), _t(w, device, rg=True),
            _t(b, device, rg=True))
    assert gradcheck(F.bilinear, args)
    assert gradcheck(lambda a, c, w: F.bilinear(a, c, w), args[:3])
    m = nn.Bilinear(20, 30, 40)
    assert repr(m) == "Bilinear(in1_features=20, in2_features=30, out_features=40, bias=True)"
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        ("weight", (40, 20, 30)), ("bias", (40,))]
    bound = 1 / math.sqrt(20)
    assert np.abs(_np(m.weight)).max() <= bound and np.abs(_np(m.bias)).max() <= bound
    assert m(ember.randn(8, 20), ember.randn(8, 30)).shape == (8, 40)
    assert nn.Bilinear(2, 3, 4, bias=False).bias is None


@pytest.mark.parametrize("args, msg", [
    (((2, 4), (2, 5), (3, 4, 6), None),
     "bilinear(): input2 size does not match weight size: got 5 but expected 6"),
    (((2, 4), (2, 5), (3, 3, 5), None),
     "bilinear(): input1 size does not match weight size: got 4 but expected 3"),
    (((2, 4), (3, 5), (3, 4, 5), None),
     "bilinear(): input batch dimensions do not match at dim 0: got 2 and 3"),
    (((2, 4), (2, 5), (3, 4, 5), (4,)),
     "bilinear(): bias size does not match weight size: got 4 but expected 3"),
])
def test_bilinear_errors(args, msg):
    s1, s2, sw, sb = args
    with pytest.raises(RuntimeError) as e:
        F.bilinear(ember.ones(*s1), ember.ones(*s2), ember.ones(*sw),
                   None if sb is None else ember.ones(*sb))
    assert str(e.value) == msg


def test_identity_flatten_unflatten(device):
    x = ember.randn(2, 3, 4, 5, device=device)
    assert nn.Identity(3, foo=1)(x) is x
    assert repr(nn.Identity()) == "Identity()"
    f = nn.Flatten()
    assert repr(f) == "Flatten(start_dim=1, end_dim=-1)"
    assert f(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    np.testing.assert_array_equal(_np(f(x)), _np(x).reshape(2, 60))
    u = nn.Unflatten(1, (2, 5, 6))
    assert repr(u) == "Unflatten(dim=1, unflattened_size=(2, 5, 6))"
    assert repr(nn.Unflatten(1, [2, 3])) == "Unflatten(dim=1, unflattened_size=[2, 3])"
    y = u(f(x))
    np.testing.assert_array_equal(_np(y), _np(x).reshape(2, 2, 5, 6))
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints, but found "
                                        "element of type str at pos 1"):
        nn.Unflatten(1, (2, "a"))
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints, but found "
                                        "type int"):
        nn.Unflatten(1, 3)
    xg = ember.randn(2, 6, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda t: nn.Unflatten(1, (2, 3))(t).flatten(1), (xg,))


def test_lazy_linear():
    m = nn.LazyLinear(3)
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert isinstance(m.weight, nn.UninitializedParameter)
    assert m.has_uninitialized_params()
    x = ember.randn(4, 5)
    y = m(x)
    assert type(m) is nn.Linear and m.in_features == 5
    assert repr(m) == "Linear(in_features=5, out_features=3, bias=True)"
    assert type(m.weight) is nn.Parameter and m.weight.shape == (3, 5)
    assert np.abs(_np(m.weight)).max() <= 1 / math.sqrt(5)
    assert_close(y, x @ m.weight.T + m.bias)
    assert not m._forward_pre_hooks  # the initialisation hook is gone
    # loading a state_dict materialises the parameters
    lazy = nn.LazyLinear(3, bias=False)
    lazy.load_state_dict({"weight": ember.ones(3, 2)})
    assert lazy.weight.shape == (3, 2) and float(lazy.weight.sum()) == 6.0
    assert copy.deepcopy(nn.LazyLinear(2)).has_uninitialized_params()
