"""Binary elementwise ops: the op table (forward vs numpy float64 / hand formulas, gradcheck,
gradgradcheck, error inputs) plus what a table cannot express: integer and bool semantics,
Python scalars, NaN propagation, tie gradients, broadcasting errors and ``out=``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.testing import assert_close, check_errors, check_op
from ember.testing.op_db import records

RECS = records("binary")


@pytest.mark.parametrize("rec", RECS, ids=lambda r: r.name)
def test_op(rec, device):
    check_op(rec, device)


@pytest.mark.parametrize("rec", [r for r in RECS if r.errors], ids=lambda r: r.name)
def test_errors(rec, device):
    check_errors(rec, device)


def _t(values, dtype=None):
    return ember.tensor(values, dtype=dtype)


# ---------------------------------------------------------------------- integer semantics
def test_true_division_of_integers_gives_default_float():
    r = _t([-7, 7]) / _t([2, 2])
    assert r.dtype is ember.float32 and r.tolist() == [-3.5, 3.5]
    for r in (_t([-7, 7]) / 2, ember.div(_t([-7, 7]), 2), 7 / _t([2, -2])):
        assert r.dtype is ember.float32
    assert (_t([-7, 7]) / 2).tolist() == [-3.5, 3.5]
    assert (7 / _t([2, -2])).tolist() == [3.5, -3.5]
    assert (_t([True, False]) / _t([True, True])).tolist() == [1.0, 0.0]


def test_true_division_uses_the_scalar_value_not_its_wrapped_cast():
    # the Python int -3 must not be cast to uint8 (253) before a float division
    u = _t([3, 6], ember.uint8)
    assert (u / -3).tolist() == [-1.0, -2.0]
    assert (-3 / u).tolist() == [-1.0, -0.5]
    assert ember.copysign(u, -1).tolist() == [-3.0, -6.0]
    r = ember.xlogy(u, 2)
    assert r.dtype is ember.float32
    assert_close(r, np.array([3 * math.log(2), 6 * math.log(2)], np.float32))


def test_floor_division_and_modulus_follow_python():
    a, b = [-7, 7, -7, 7, 0], [2, 2, -2, -2, 3]
    expect_div = [x // y for x, y in zip(a, b, strict=True)]
    expect_mod = [x % y for x, y in zip(a, b, strict=True)]
    assert (_t(a) // _t(b)).tolist() == expect_div
    assert (_t(a) % _t(b)).tolist() == expect_mod
    assert ember.div(_t(a), _t(b), rounding_mode="floor").tolist() == expect_div
    af, bf = [float(v) for v in a], [float(v) for v in b]
    assert (_t(af) // _t(bf)).tolist() == [float(v) for v in expect_div]
    assert (_t(af) % _t(bf)).tolist() == [float(v) for v in expect_mod]
    # fmod takes the dividend's sign; trunc division rounds toward zero
    assert ember.fmod(_t(a), _t(b)).tolist() == [int(math.fmod(x, y)) for x, y in zip(a, b,
                                                                                     strict=True)]
    assert ember.div(_t(a), _t(b), rounding_mode="trunc").tolist() == \
        [int(x / y) for x, y in zip(a, b, strict=True)]
    assert (_t([-7, 7]) // 2.5).tolist() == [-3.0, 2.0]


def test_trunc_division_is_exact_on_large_int64():
    big = 2 ** 62 + 1
    r = ember.div(_t([big, -big]), 3, rounding_mode="trunc")
    assert r.dtype is ember.int64
    assert r.tolist() == [big // 3, -(big // 3)]


def test_integer_division_by_zero_raises():
    for fn in (lambda: _t([1, 2]) // 0, lambda: _t([1, 2]) % _t([1, 0]),
               lambda: ember.fmod(_t([1]), 0),
               lambda: ember.div(_t([1]), 0, rounding_mode="trunc"),
               lambda: _t([5], ember.uint8) // _t([0], ember.uint8)):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn()
    # floats divide by zero to inf / nan, like IEEE (no warning either)
    assert (_t([-1.0, 0.0, 2.0]) / 0).tolist()[::2] == [-math.inf, math.inf]
    assert math.isnan((_t([0.0]) / 0).tolist()[0])
    assert (_t([1, -1]) / 0).tolist() == [math.inf, -math.inf]
    assert (_t([-7.0, 7.0]) // 0).tolist() == [-math.inf, math.inf]
    assert all(math.isnan(v) for v in (_t([-7.0, 7.0]) % 0).tolist())


def test_uint8_wraps_like_c():
    u = _t([1, 200], ember.uint8)
    for r, expect in ((u + 300, [(1 + 300) % 256, (200 + 300) % 256]),
                      (u - 3, [(1 - 3) % 256, (200 - 3) % 256]),
                      (u * -1, [(-1) % 256, (-200) % 256]),
                      (u + u, [2, 400 % 256])):
        assert r.dtype is ember.uint8 and r.tolist() == expect
    assert (_t([127], ember.int8) + 1).tolist() == [-128]
    # the scalar is cast to the tensor's dtype first (PyTorch): -1 becomes 255 here
    assert (u // -1).tolist() == [0, 0]


def test_integer_powers():
    x = _t([-2, -1, 0, 1, 2])
    assert (x ** 2).tolist() == [4, 1, 0, 1, 4]
    assert (2 ** x).tolist() == [0, 0, 1, 2, 4]  # 2 ** -n truncates to 0 (C semantics)
    assert ((-1) ** x).tolist() == [1, -1, 1, -1, 1]
    assert (x ** _t([-1, -3, -2, -5, 2])).tolist() == [0, -1, 0, 1, 4]
    assert (x ** x.abs()).dtype is ember.int64
    assert (x ** 2.0).dtype is ember.float32
    assert (x ** 0.5).tolist()[3:] == [1.0, pytest.approx(2 ** 0.5, rel=1e-6)]
    assert (2.5 ** _t([1, 2])).tolist() == [2.5, 6.25]
    for bad in (-1, -3):
        with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
            x ** bad
        with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
            _t([1], ember.uint8) ** bad


def test_bool_arithmetic():
    a, b = _t([True, True, False, False]), _t([True, False, True, False])
    assert (a + b).dtype is ember.bool and (a + b).tolist() == [True, True, True, False]
    assert (a * b).dtype is ember.bool and (a * b).tolist() == [True, False, False, False]
    assert (a + 1).dtype is ember.int64 and (a + 1).tolist() == [2, 2, 1, 1]
    assert (a * 2.5).dtype is ember.float32
    assert (a ** True).tolist() == [True, True, False, False]
    assert (a ** False).tolist() == [True] * 4
    assert (a ** 2).dtype is ember.int64
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        _ = a - b
    for fn in (lambda: a - 1, lambda: 1 - a, lambda: _t([1, 2]) - True, lambda: a - 1.5):
        with pytest.raises(RuntimeError, match="with a bool tensor is not supported"):
            fn()
    with pytest.raises(NotImplementedError, match="\"pow\" not implemented for 'Bool'"):
        _ = a ** b
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        _ = a // b


def test_alpha_checks():
    i = _t([1, 2])
    assert ember.add(i, i, alpha=3).tolist() == [4, 8]
    assert ember.sub(_t([1.0]), _t([1.0]), alpha=0.5).tolist() == [0.5]
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not"):
        ember.sub(i, 1, alpha=1.5)
    with pytest.raises(RuntimeError, match="Boolean alpha only supported for Boolean results"):
        ember.add(_t([1.0]), _t([1.0]), alpha=True)
    assert ember.add(_t([True]), _t([False]), alpha=True).tolist() == [True]


# ---------------------------------------------------------------------- NaN, ties, gradients
def test_nan_propagation_in_min_max():
    a = _t([1.0, math.nan, math.nan, 3.0])
    b = _t([math.nan, 2.0, math.nan, 1.0])
    for fn in (ember.maximum, ember.minimum):
        r = fn(a, b).tolist()
        assert all(math.isnan(v) for v in r[:3]) and r[3] == (3.0 if fn is ember.maximum
                                                              else 1.0)
    assert ember.fmax(a, b).tolist()[:2] == [1.0, 2.0]
    assert ember.fmin(a, b).tolist()[:2] == [1.0, 2.0]
    assert math.isnan(ember.fmax(a, b).tolist()[2])


def _grads(fn, a, b):
    x = _t(a, ember.float64).requires_grad_()
    y = _t(b, ember.float64).requires_grad_()
    fn(x, y).backward(ember.ones(len(a), dtype=ember.float64))
    return x.grad.tolist(), y.grad.tolist()


def test_min_max_gradients_on_ties_and_nan():
    nan = math.nan
    a, b = [1.0, 2.0, 3.0, nan, nan, 1.0], [1.0, 1.0, 4.0, 1.0, nan, nan]
    # PyTorch: ties split evenly; where a NaN makes neither smaller both get the full gradient
    assert _grads(ember.maximum, a, b) == ([0.5, 1.0, 0.0, 1.0, 1.0, 1.0],
                                           [0.5, 0.0, 1.0, 1.0, 1.0, 1.0])
    assert _grads(ember.minimum, a, b) == ([0.5, 0.0, 1.0, 1.0, 1.0, 1.0],
                                           [0.5, 1.0, 0.0, 1.0, 1.0, 1.0])
    # fmax/fmin do not split ties: the whole gradient goes to input (or past a NaN other)
    assert _grads(ember.fmax, a, b) == ([1.0, 1.0, 0.0, 0.0, 1.0, 1.0],
                                        [0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    assert _grads(ember.fmin, a, b) == ([1.0, 0.0, 1.0, 0.0, 1.0, 1.0],
                                        [0.0, 1.0, 0.0, 1.0, 0.0, 0.0])


def test_max_with_scalar_gradient():
    x = _t([-1.0, 0.0, 2.0], ember.float64).requires_grad_()
    ember.maximum(x, 0.0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.5, 1.0]


def test_pow_gradient_conventions():
    # d/dx x^0 = 0 everywhere, also at 0
    x = _t([0.0, 2.0], ember.float64).requires_grad_()
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    # d/dy 0^y is taken as 0 for y >= 0 (log 0 = -inf would give nan)
    base = _t([0.0, 0.0, 2.0], ember.float64).requires_grad_()
    y = _t([0.0, 2.0, 3.0], ember.float64).requires_grad_()
    (base ** y).sum().backward()
    assert y.grad.tolist() == [0.0, 0.0, pytest.approx(8 * math.log(2))]
    assert base.grad.tolist() == [0.0, 0.0, pytest.approx(12.0)]
    e = _t([0.5, 2.0], ember.float64).requires_grad_()
    (3.0 ** e).sum().backward()
    assert_close(e.grad, np.array([3 ** 0.5 * math.log(3), 9 * math.log(3)]))
    assert gradcheck(lambda t: 0.5 ** t, (_t([0.3, 1.2], ember.float64).requires_grad_(),))


def test_xlogy_gradient_at_zero():
    # PyTorch defines d/dx xlogy(x, y) at x == 0 as 0 (xlogy(x != 0, y)), not log(y)
    g = _grads(ember.xlogy, [0.0, 2.0], [3.0, 3.0])
    assert g[0] == [0.0, pytest.approx(math.log(3))]
    assert g[1] == [0.0, pytest.approx(2 / 3)]


def test_floor_divide_gradient_is_zero():
    assert _grads(lambda x, y: x // y, [3.5, -2.0], [2.0, 1.5]) == ([0.0, 0.0], [0.0, 0.0])


def test_integer_results_have_no_grad_fn():
    x = _t([1.0, 2.0]).requires_grad_()
    assert (x > 1).grad_fn is None and not (x > 1).requires_grad
    assert (x.detach().long() // 2).grad_fn is None


# ---------------------------------------------------------------------- scalars, shapes
def test_python_scalars_on_either_side():
    x = _t([1.0, 2.0], ember.float64)
    assert (2 - x).tolist() == [1.0, 0.0]
    assert (2 ** x).tolist() == [2.0, 4.0]
    assert (x ** 2).tolist() == [1.0, 4.0]
    assert (1 / x).tolist() == [1.0, 0.5]
    assert (5 % x).tolist() == [0.0, 1.0]
    assert (5 // x).tolist() == [5.0, 2.0]
    assert (3 * x).dtype is ember.float64
    assert (x + np.float32(1.5)).dtype is ember.float64  # numpy scalars act as Python numbers


def test_zero_dim_operands():
    a = ember.tensor(2.0)
    r = a * _t([1.0, 2.0])
    assert r.shape == (2,) and r.tolist() == [2.0, 4.0]
    r = a + ember.tensor(3.0)
    assert r.shape == () and r.item() == 5.0
    assert (ember.tensor(7) // ember.tensor(-2)).item() == -4


@pytest.mark.parametrize("op,name", [(lambda a, b: a + b, "add"), (lambda a, b: a * b, "mul"),
                                     (lambda a, b: a / b, "div"), (lambda a, b: a ** b, "pow"),
                                     (ember.maximum, "maximum"), (ember.atan2, "atan2"),
                                     (lambda a, b: a & b, "bitwise_and")])
def test_broadcast_error_names_op_and_shapes(op, name):
    a, b = ember.ones(5, 1, 3), ember.ones(4, 2)
    if name == "bitwise_and":
        a, b = a.long(), b.long()
    with pytest.raises(RuntimeError) as e:
        op(a, b)
    msg = str(e.value)
    assert msg.startswith(f"{name}()")
    assert "The size of tensor a (3) must match the size of tensor b (2) at non-singleton " \
           "dimension 2" in msg
    assert "[5, 1, 3]" in msg and "[4, 2]" in msg


# ---------------------------------------------------------------------- out=, complex, misc
@pytest.mark.parametrize("fn", [ember.add, ember.sub, ember.mul, ember.div, ember.pow,
                                ember.maximum, ember.minimum, ember.fmax, ember.fmin,
                                ember.atan2, ember.hypot, ember.remainder, ember.fmod,
                                ember.xlogy, ember.copysign, ember.logaddexp,
                                ember.floor_divide])
def test_out_argument(fn, device):
    a = ember.tensor([[0.5, 1.5, 2.0]], device=device)
    b = ember.tensor([[1.0], [2.0]], device=device)
    out = ember.empty(2, 3, device=device)
    r = fn(a, b, out=out)
    assert r is out
    assert_close(out, fn(a, b))


def test_complex_arithmetic_and_promotion():
    z = _t([1 + 2j, -1j])
    assert (z * 2).tolist() == [2 + 4j, -2j]
    assert (z + _t([1, 2])).dtype is ember.complex64
    assert (_t([1.0], ember.float64) * 1j).dtype is ember.complex128
    r = ember.logaddexp(z, _t([0.5 + 0j, 2 + 1j]))
    expect = [np.log(np.exp(1 + 2j) + np.exp(0.5)), np.log(np.exp(-1j) + np.exp(2 + 1j))]
    assert_close(r, np.array(expect, np.complex64))
    with pytest.raises(NotImplementedError):
        ember.maximum(z, z)
    with pytest.raises(NotImplementedError):
        _ = z // z


def test_nextafter_and_ldexp():
    x = _t([1.0, 1.0, 0.0], ember.float64)
    assert ember.nextafter(x, _t([2.0, 0.0, -1.0], ember.float64)).tolist() == \
        [math.nextafter(1.0, 2.0), math.nextafter(1.0, 0.0), math.nextafter(0.0, -1.0)]
    r = ember.ldexp(_t([1.0, 3.0], ember.float16), _t([3, -1]))
    assert r.dtype is ember.float16 and r.tolist() == [8.0, 1.5]
    assert ember.ldexp(_t([1, 2]), _t([2, 2])).dtype is ember.float32
    x = _t([1.0, 1.0], ember.float64).requires_grad_()
    ember.ldexp(x, _t([2, -2])).sum().backward()
    assert x.grad.tolist() == [4.0, 0.25]


def test_heaviside_lerp_addcmul():
    assert ember.heaviside(_t([-1.5, 0.0, 2.0]), _t([0.5])).tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(RuntimeError, match="expected dtype ember.float32 for `end`"):
        ember.lerp(_t([1.0]), _t([2.0], ember.float64), 0.5)
    assert ember.lerp(_t([1.0]), _t([3.0]), 0.25).tolist() == [1.5]
    assert ember.addcmul(_t([1]), _t([2]), _t([3]), value=2).tolist() == [13]


def test_bitwise_and_shifts():
    a, b = _t([12, -5]), _t([10, 3])
    assert (a & b).tolist() == [12 & 10, -5 & 3]
    assert (a | b).tolist() == [12 | 10, -5 | 3]
    assert (a ^ b).tolist() == [12 ^ 10, -5 ^ 3]
    assert (a << _t([2, 1])).tolist() == [48, -10]
    assert (a >> _t([2, 1])).tolist() == [3, -3]  # arithmetic shift floors
    assert (_t([True, False]) & True).dtype is ember.bool
    assert ember.gcd(_t([12, -18]), _t([18, 12])).tolist() == [6, 6]
    assert ember.lcm(_t([4, 6]), _t([6, -4])).tolist() == [12, 12]


def test_aliases_are_the_same_functions():
    assert ember.subtract is ember.sub and ember.multiply is ember.mul
    assert ember.divide is ember.div and ember.true_divide is ember.div
    assert ember.arctan2 is ember.atan2


@pytest.mark.cuda
def test_cpu_zero_dim_tensor_joins_a_cuda_op():
    x = ember.tensor([1.0, 2.0], device="cuda")
    s = ember.tensor(2.0)  # CPU, 0-d: allowed beside CUDA tensors, as in PyTorch
    for r, expect in ((x * s, [2.0, 4.0]), (s - x, [1.0, 0.0]), (x < s, [True, False]),
                      (ember.where(x > 1, x, s), [2.0, 2.0]), (ember.clamp(x, s), [2.0, 2.0]),
                      (ember.maximum(s, x), [2.0, 2.0])):
        assert r.device.type == "cuda" and r.tolist() == expect
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        _ = x + ember.tensor([1.0, 2.0])
