"""Unary elementwise ops: the op table (forward vs numpy/math float64 references, gradcheck,
gradgradcheck, error inputs) plus what a table cannot express: dtype rules for integer, bool and
complex inputs, gradients at kinks, NaN/inf propagation and ``out=``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.testing import assert_close, check_errors, check_op
from ember.testing.op_db import records

RECS = records("unary")


@pytest.mark.parametrize("rec", RECS, ids=lambda r: r.name)
def test_op(rec, device):
    check_op(rec, device)


@pytest.mark.parametrize("rec", [r for r in RECS if r.errors], ids=lambda r: r.name)
def test_errors(rec, device):
    check_errors(rec, device)


# ---------------------------------------------------------------------- dtypes
FLOAT_FNS = ["sqrt", "exp", "log", "sin", "tanh", "sigmoid", "erf", "lgamma", "reciprocal",
             "rsqrt", "expm1", "log1p", "atan", "sinc", "i0", "digamma"]


@pytest.mark.parametrize("name", FLOAT_FNS)
@pytest.mark.parametrize("dtype", [ember.int64, ember.uint8, ember.int8, ember.bool])
def test_integer_and_bool_inputs_compute_in_default_float(name, dtype, device):
    x = ember.tensor([1, 2, 3], device=device).to(dtype)
    r = getattr(ember, name)(x)
    assert r.dtype is ember.float32
    ref = getattr(ember, name)(x.to(ember.float64))
    assert_close(r.to(ember.float64), ref, rtol=1e-5, atol=1e-6)


def test_integer_input_follows_default_dtype(device):
    ember.set_default_dtype(ember.float64)
    try:
        r = ember.exp(ember.tensor([0, 1], device=device))
    finally:
        ember.set_default_dtype(ember.float32)
    assert r.dtype is ember.float64
    assert_close(r, np.array([1.0, math.e]))


@pytest.mark.parametrize("dtype", [ember.float16, ember.float32, ember.float64])
@pytest.mark.parametrize("name", ["exp", "sin", "sqrt", "abs", "neg", "floor", "sigmoid", "relu"])
def test_float_dtype_is_kept(name, dtype, device):
    x = ember.tensor([0.25, 1.5], dtype=dtype, device=device)
    assert getattr(ember, name)(x).dtype is dtype


@pytest.mark.parametrize("name", ["abs", "neg", "sign", "square", "floor", "ceil", "trunc",
                                  "round", "relu"])
@pytest.mark.parametrize("dtype", [ember.int8, ember.int32, ember.int64, ember.uint8])
def test_integer_dtype_is_kept(name, dtype, device):
    x = ember.tensor([0, 3, 7], dtype=dtype, device=device)
    r = getattr(ember, name)(x)
    assert r.dtype is dtype
    expect = {"abs": [0, 3, 7], "neg": [0, -3, -7], "sign": [0, 1, 1], "square": [0, 9, 49],
              "relu": [0, 3, 7]}.get(name, [0, 3, 7])
    assert_close(r, np.array(expect).astype(dtype.np))


def test_integer_wraparound():
    assert ember.neg(ember.tensor([1, 0], dtype=ember.uint8)).tolist() == [255, 0]
    assert ember.abs(ember.tensor([-128], dtype=ember.int8)).tolist() == [-128]  # C wraparound
    assert ember.square(ember.tensor([20], dtype=ember.int8)).tolist() == [400 - 512]


def test_bool_inputs():
    b = ember.tensor([True, False])
    assert ember.sign(b).dtype is ember.bool and ember.sign(b).tolist() == [True, False]
    assert ember.square(b).dtype is ember.int64 and ember.square(b).tolist() == [1, 0]
    assert ember.logical_not(b).tolist() == [False, True]
    assert (~b).tolist() == [False, True]
    for name in ["abs", "floor", "ceil", "trunc", "round"]:
        with pytest.raises(NotImplementedError, match=f"\"{name}\" not implemented for 'Bool'"):
            getattr(ember, name)(b)
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        _ = -b
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        ember.relu(b)


def test_round_integer_needs_zero_decimals():
    x = ember.tensor([15, -25])
    assert ember.round(x).tolist() == [15, -25]
    with pytest.raises(NotImplementedError, match="\"round\" not implemented for 'Long'"):
        ember.round(x, decimals=-1)


# ---------------------------------------------------------------------- complex
def test_complex_values():
    z = np.array([1 + 2j, -3 + 0.5j, 0j], dtype=np.complex128)
    t = ember.tensor(z)
    assert_close(ember.abs(t), np.array([math.hypot(1, 2), math.hypot(3, 0.5), 0.0]))
    assert ember.abs(t).dtype is ember.float64
    assert_close(ember.sgn(t), np.array([(1 + 2j) / math.hypot(1, 2),
                                         (-3 + 0.5j) / math.hypot(3, 0.5), 0]))
    assert_close(ember.angle(t), np.array([math.atan2(2, 1), math.atan2(0.5, -3), 0.0]))
    assert_close(ember.conj(t), np.array([1 - 2j, -3 - 0.5j, 0j]))
    assert_close(ember.real(t), np.array([1.0, -3.0, 0.0]))
    assert_close(ember.imag(t), np.array([2.0, 0.5, 0.0]))
    # sigmoid of complex numbers is 1 / (1 + e^-z), not a real-valued split by sign
    expect = [1 / (1 + complex(math.exp(-v.real) * math.cos(-v.imag),
                               math.exp(-v.real) * math.sin(-v.imag))) for v in z]
    assert_close(ember.sigmoid(t), np.array(expect))
    assert_close(ember.exp(t), np.array([complex(math.exp(v.real) * math.cos(v.imag),
                                                 math.exp(v.real) * math.sin(v.imag))
                                         for v in z]))


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "lgamma", "digamma", "i0", "logit",
                                  "floor", "ceil", "trunc", "round", "frac", "signbit",
                                  "sign"])
def test_complex_unsupported(name):
    t = ember.tensor([1 + 1j])
    with pytest.raises(NotImplementedError):
        getattr(ember, name)(t)


@pytest.mark.parametrize("name,match", [("isposinf", "isposinf does not support complex"),
                                        ("isneginf", "isneginf does not support complex"),
                                        ("deg2rad", "deg2rad is not supported for complex"),
                                        ("rad2deg", "rad2deg is not supported for complex"),
                                        ("relu", "clamp is not supported for complex")])
def test_complex_rejected_with_message(name, match):
    with pytest.raises(RuntimeError, match=match):
        getattr(ember, name)(ember.tensor([1 + 1j]))


def test_polygamma_and_mvlgamma_reject_complex_and_bad_order():
    with pytest.raises(NotImplementedError):
        ember.polygamma(1, ember.tensor([1 + 1j]))
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        ember.mvlgamma(ember.tensor([2.0]), 0)
    # PyTorch computes below (p-1)/2 instead of raising: lgamma's pole gives inf
    r = ember.mvlgamma(ember.tensor([0.5, 2.0], dtype=ember.float64), 3)
    assert math.isinf(r.tolist()[0])
    expect = 3 * 2 / 4 * math.log(math.pi) + sum(math.lgamma(2.0 - j / 2) for j in range(3))
    assert r.tolist()[1] == pytest.approx(expect, rel=1e-12)


# ---------------------------------------------------------------------- special values
def test_nan_inf_propagation():
    x = ember.tensor([math.nan, math.inf, -math.inf, -0.0])
    assert np.isnan(ember.sign(x).tolist()[0])
    assert ember.sign(x).tolist()[1:3] == [1.0, -1.0]
    assert ember.signbit(x).tolist() == [False, False, True, True]
    assert ember.exp(x).tolist()[1:] == [math.inf, 0.0, 1.0]
    assert ember.sigmoid(x).tolist()[1:] == [1.0, 0.0, 0.5]
    assert np.isnan(ember.floor(x).tolist()[0])
    r = ember.nan_to_num(x)
    assert r.tolist() == [0.0, ember.finfo(ember.float32).max, ember.finfo(ember.float32).min,
                          0.0]
    assert ember.isfinite(x).tolist() == [False, False, False, True]


def test_round_half_to_even_and_decimals():
    x = ember.tensor([0.5, 1.5, 2.5, -0.5, -2.5], dtype=ember.float64)
    assert ember.round(x).tolist() == [0.0, 2.0, 2.0, -0.0, -2.0]
    assert ember.round(ember.tensor([1.2345, 123.45], dtype=ember.float64), decimals=2).tolist() \
        == [1.23, 123.45]
    assert ember.round(ember.tensor([1234.5], dtype=ember.float64), decimals=-2).tolist() == \
        [1200.0]


def test_frac_and_fix_keep_sign():
    x = ember.tensor([-1.5, 2.25], dtype=ember.float64)
    assert ember.frac(x).tolist() == [-0.5, 0.25]
    assert ember.fix(x).tolist() == [-1.0, 2.0]


def test_isreal_of_complex():
    t = ember.tensor([1 + 0j, 1 + 1e-30j, 2j])
    assert ember.isreal(t).tolist() == [True, False, False]


# ---------------------------------------------------------------------- gradients at kinks
def _grad(fn, values):
    x = ember.tensor(values, dtype=ember.float64, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.tolist()


def test_gradients_at_kinks():
    assert _grad(ember.abs, [-2.0, 0.0, 3.0]) == [-1.0, 0.0, 1.0]  # sgn(0) = 0
    assert _grad(ember.relu, [-1.0, 0.0, 1.0]) == [0.0, 0.0, 1.0]
    assert _grad(ember.sign, [-1.0, 0.0, 1.0]) == [0.0, 0.0, 0.0]
    assert _grad(ember.floor, [-1.5, 0.0, 1.0]) == [0.0, 0.0, 0.0]
    assert _grad(ember.round, [0.5, 1.0]) == [0.0, 0.0]
    assert _grad(ember.frac, [-1.5, 2.5]) == [1.0, 1.0]
    assert _grad(ember.sqrt, [0.0, 4.0]) == [math.inf, 0.25]
    assert _grad(ember.sinc, [0.0]) == [0.0]
    g = _grad(lambda t: ember.nan_to_num(t), [math.nan, math.inf, 2.0])
    assert g == [0.0, 0.0, 1.0]


def test_logit_eps_gradient_is_zero_outside_the_clamp():
    eps = 0.25
    g = _grad(lambda t: ember.logit(t, eps), [0.1, 0.25, 0.5, 0.75, 0.9])
    # d/dp log(p / (1 - p)) = 1 / (p (1 - p)); the bounds themselves still pass the gradient
    assert g == pytest.approx([0.0, 1 / (0.25 * 0.75), 4.0, 1 / (0.25 * 0.75), 0.0])


def test_i0_double_backward():
    x = ember.tensor([0.0, 0.7, -1.3], dtype=ember.float64, requires_grad=True)
    assert gradcheck(ember.i0, (x,))
    (g,) = ember.autograd.grad(ember.i0(x).sum(), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    # I0'' = I0 - I1 / x, with limit 1/2 at 0 (series of I0: 1 + x^2/4 + x^4/64 + ...)
    def i0(v):
        return sum((v / 2) ** (2 * k) / math.factorial(k) ** 2 for k in range(30))

    def i1(v):
        return sum((v / 2) ** (2 * k + 1) / (math.factorial(k) * math.factorial(k + 1))
                   for k in range(30))
    expect = [0.5] + [i0(v) - i1(v) / v for v in (0.7, -1.3)]
    assert_close(gg, np.array(expect), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------- out=
@pytest.mark.parametrize("name", ["exp", "sqrt", "abs", "neg", "sign", "floor", "round",
                                  "sigmoid", "frac", "logit", "square"])
def test_out_argument(name, device):
    x = ember.tensor([0.25, 0.5, 0.75], device=device)
    out = ember.empty(3, device=device)
    r = getattr(ember, name)(x, out=out)
    assert r is out
    assert_close(out, getattr(ember, name)(x))


def test_method_forms():
    x = ember.tensor([0.25, 4.0])
    assert_close(x.sqrt(), np.array([0.5, 2.0]))
    assert_close(x.log2(), np.array([-2.0, 2.0]))
    assert_close(abs(-x), np.array([0.25, 4.0]))
    assert_close(-x, np.array([-0.25, -4.0]))
    assert (+x) is x


@pytest.mark.parametrize("create_graph", [False, True])
def test_relu_gradient_passes_through_nan_outputs(create_graph):
    # PyTorch's threshold_backward zeroes the gradient where the output is <= 0; a NaN output
    # is not, so its gradient passes (relu(nan) = nan, d/dx = 1), also for relu_
    x = ember.tensor([float("nan"), -1.0, 0.0, 2.0, float("-inf"), float("inf")],
                     requires_grad=True)
    gy = ember.tensor([3.0, 3.0, 3.0, 3.0, 3.0, 3.0])
    for fn in (ember.relu, lambda t: t.clone().relu_()):
        (gx,) = ember.autograd.grad(fn(x), x, gy, create_graph=create_graph)
        assert gx.tolist() == [3.0, 0.0, 0.0, 3.0, 0.0, 3.0]
