"""Comparisons, logical ops, ``where``, ``clamp``, ``isclose``/``allclose``/``equal``/``isin``:
promotion before comparing, NaN, complex ordering, broadcasting errors, scalar branches and the
gradients of ``where`` and ``clamp`` (boundaries, tensor bounds, inverted bounds).  The op
table for these functions lives in ``op_db/binary.py`` and runs in ``test_binary.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.testing import assert_close

NAN = math.nan


def _t(values, dtype=None, rg=False):
    return ember.tensor(values, dtype=dtype, requires_grad=rg)


# ---------------------------------------------------------------------- comparisons
def test_comparisons_promote_before_comparing():
    i = _t([1, 2, 3])
    assert (i < 2.5).tolist() == [True, True, False]
    assert (i == 2.0).tolist() == [False, True, False]
    assert (i == 2.5).tolist() == [False, False, False]
    assert (_t([0.1], ember.float32) == _t([0.1], ember.float64)).tolist() == [False]
    assert (_t([True, False]) == 1).tolist() == [True, False]
    assert (_t([1 + 1j]) == 1 + 1j).tolist() == [True]
    for r in (i < 2.5, i == i, ember.ne(i, 1)):
        assert r.dtype is ember.bool


def test_comparisons_wrap_out_of_range_integer_scalars_like_pytorch():
    # PyTorch casts the Python int to the tensor's dtype before comparing (C wraparound)
    assert (_t([1, 100], ember.int8) < 300).tolist() == [1 < 300 - 256, 100 < 300 - 256]
    assert (_t([1, 200], ember.uint8) < -1).tolist() == [True, True]  # -1 -> 255


def test_nan_compares_false_except_ne():
    a, b = _t([NAN, 1.0, NAN]), _t([NAN, NAN, 2.0])
    for fn in (ember.eq, ember.lt, ember.le, ember.gt, ember.ge):
        assert fn(a, b).tolist() == [False, False, False]
    assert ember.ne(a, b).tolist() == [True, True, True]


@pytest.mark.parametrize("name", ["lt", "le", "gt", "ge"])
def test_complex_has_no_order(name):
    z = _t([1 + 1j])
    with pytest.raises(NotImplementedError, match=f"\"{name}\" not implemented for "
                                                  "'ComplexFloat'"):
        getattr(ember, name)(z, z)
    with pytest.raises(NotImplementedError):
        getattr(ember, name)(_t([1.0]), 1j)


def test_logical_ops_take_truthiness_of_any_dtype():
    a, b = _t([0.0, 2.0, NAN, 0.0]), _t([0, 0, 5, 3])
    assert ember.logical_and(a, b).tolist() == [False, False, True, False]
    assert ember.logical_or(a, b).tolist() == [False, True, True, True]
    assert ember.logical_xor(a, b).tolist() == [False, True, False, True]
    assert ember.logical_and(_t([1 + 0j, 0j]), True).tolist() == [True, False]


def test_comparison_broadcast_error_names_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"lt\(\): The size of tensor a \(3\) must match the "
                                           r"size of tensor b \(2\) at non-singleton dimension "
                                           r"1; got shapes \[2, 3\] and \[3, 2\]"):
        _ = ember.ones(2, 3) < ember.ones(3, 2)


def test_comparison_out():
    out = ember.empty(3, dtype=ember.bool)
    r = ember.gt(_t([1.0, 2.0, 3.0]), 2.0, out=out)
    assert r is out and out.tolist() == [False, False, True]


# ---------------------------------------------------------------------- where
def test_where_dtype_follows_promotion():
    c = _t([True, False])
    assert ember.where(c, 1.0, 0).dtype is ember.float32
    assert ember.where(c, 1, 0).dtype is ember.int64
    assert ember.where(c, True, False).dtype is ember.bool
    assert ember.where(c, _t([1, 2], ember.int8), 2.5).dtype is ember.float32
    with pytest.raises(RuntimeError, match="value 300 cannot be converted to type ember.int8"):
        ember.where(c, _t([1, 2], ember.int8), 300)
    with pytest.raises(RuntimeError, match="value -300 cannot be converted"):
        ember.clamp(_t([1, 2], ember.int8), max=-300)
    assert ember.where(c, _t([1.0], ember.float16), _t([2.0], ember.float64)).dtype is \
        ember.float64
    r = ember.where(c, 1.5, 0)
    assert r.tolist() == [1.5, 0.0]


def test_where_scalar_branches_and_gradients():
    c = _t([True, False, True])
    x = _t([1.0, 2.0, 3.0], ember.float64, rg=True)
    r = ember.where(c, x, 0.0)
    assert r.tolist() == [1.0, 0.0, 3.0]
    r.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]
    y = _t([5.0], ember.float64, rg=True)  # broadcast branch: gradient summed back
    ember.where(c, -1.0, y).sum().backward()
    assert y.grad.tolist() == [1.0]


def test_where_uint8_condition_and_errors():
    assert ember.where(_t([1, 0], ember.uint8), 1.0, 0.0).tolist() == [1.0, 0.0]
    with pytest.raises(RuntimeError, match="boolean tensor, but got a tensor with dtype Float"):
        ember.where(_t([1.0]), 1.0, 0.0)
    with pytest.raises(TypeError, match="argument 'condition' must be Tensor"):
        ember.where(True, _t([1.0]), 0.0)
    with pytest.raises(RuntimeError, match=r"where\(\): The size of tensor a"):
        ember.where(ember.ones(2, 4) > 0, ember.ones(2, 3), 0.0)


def test_where_single_argument_is_nonzero():
    idx = ember.where(_t([[True, False], [False, True]]))
    assert [t.tolist() for t in idx] == [[0, 1], [0, 1]]


# ---------------------------------------------------------------------- clamp
def _clamp_grads(x, lo, hi):
    xt = _t(x, ember.float64, rg=True)
    lt = _t(lo, ember.float64, rg=True) if isinstance(lo, list) else lo
    ht = _t(hi, ember.float64, rg=True) if isinstance(hi, list) else hi
    r = ember.clamp(xt, lt, ht)
    r.sum().backward()
    grads = [xt.grad.tolist()]
    for b in (lt, ht):
        if isinstance(b, ember.Tensor):
            grads.append(b.grad.tolist())
    return r.tolist(), grads


def test_clamp_scalar_bounds_gradient_includes_the_boundaries():
    r, (gx,) = _clamp_grads([-1.0, 0.0, 0.5, 1.0, 2.0, NAN], 0.0, 1.0)
    assert r[:5] == [0.0, 0.0, 0.5, 1.0, 1.0] and math.isnan(r[5])
    assert gx == [0.0, 1.0, 1.0, 1.0, 0.0, 0.0]


def test_clamp_tensor_bounds_get_gradients():
    x = [-1.0, 0.0, 0.5, 1.0, 2.0, NAN, 0.5]
    lo = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]  # last: lo > hi, every value becomes hi
    hi = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    r, (gx, glo, ghi) = _clamp_grads(x, lo, hi)
    assert r[:5] + r[6:] == [0.0, 0.0, 0.5, 1.0, 1.0, 1.0] and math.isnan(r[5])
    assert gx == [0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert glo == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert ghi == [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0]


def test_clamp_single_tensor_bound():
    _, (gx, glo) = _clamp_grads([-1.0, 0.0, 2.0], [0.0, 0.0, 0.0], None)
    assert gx == [0.0, 1.0, 1.0] and glo == [1.0, 0.0, 0.0]
    _, (gx, ghi) = _clamp_grads([-1.0, 0.0, 2.0], None, [0.0, 0.0, 0.0])
    assert gx == [1.0, 1.0, 0.0] and ghi == [0.0, 0.0, 1.0]


def test_clamp_inverted_scalar_bounds_give_max():
    r, (gx,) = _clamp_grads([-1.0, 0.5, 3.0], 1.0, 0.0)
    assert r == [0.0, 0.0, 0.0] and gx == [0.0, 0.0, 0.0]


def test_clamp_dtype_and_broadcast():
    assert ember.clamp(_t([1, 5]), 2.5).tolist() == [2.5, 5.0]
    assert ember.clamp(_t([1, 5]), 2.5).dtype is ember.float32
    assert ember.clamp(_t([1, 5], ember.int8), _t(3)).dtype is ember.int8
    assert ember.clamp(_t([1, 5], ember.int8), _t([3, 3])).dtype is ember.int64
    assert ember.clamp(_t([True, False]), 0, 1).dtype is ember.int64
    assert ember.clamp(_t([1.0, 5.0]), _t(3.0, ember.float64)).dtype is ember.float32
    r = ember.clamp(_t([1.0, 2.0]), _t([[0.0], [3.0]]))
    assert r.shape == (2, 2) and r.tolist() == [[1.0, 2.0], [3.0, 3.0]]
    x = _t([1.0, 2.0], ember.float64, rg=True)  # gradient summed back to the smaller input
    ember.clamp(x, _t([[0.0], [1.5]], ember.float64)).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0]


def test_clamp_errors_and_aliases():
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        ember.clamp(_t([1.0]))
    with pytest.raises(NotImplementedError, match="clamp is not supported for complex types"):
        ember.clamp(_t([1j]), 0)
    with pytest.raises(TypeError, match="argument 'min' must be a number or Tensor"):
        ember.clamp(_t([1.0]), "0")
    x = _t([-2.0, 0.5, 3.0])
    assert ember.clip(x, -1, 1).tolist() == [-1.0, 0.5, 1.0]
    assert ember.clamp_min(x, 0).tolist() == [0.0, 0.5, 3.0]
    assert ember.clamp_max(x, 0).tolist() == [-2.0, 0.0, 0.0]
    assert x.clamp(min=0).tolist() == [0.0, 0.5, 3.0]
    out = ember.empty(3)
    assert ember.clamp(x, 0, 1, out=out) is out and out.tolist() == [0.0, 0.5, 1.0]


# ---------------------------------------------------------------------- closeness, equality
def test_isclose_formula_is_relative_to_other():
    # |a - b| <= atol + rtol * |b|: not symmetric
    a, b = _t([1.0], ember.float64), _t([1.1], ember.float64)
    assert ember.isclose(a, b, rtol=0.1 / 1.1 + 1e-12, atol=0).tolist() == [True]
    assert ember.isclose(b, a, rtol=0.1 / 1.1 + 1e-12, atol=0).tolist() == [False]
    inf = math.inf
    r = ember.isclose(_t([inf, -inf, inf, NAN]), _t([inf, -inf, -inf, NAN]))
    assert r.tolist() == [True, True, False, False]


def test_isclose_integers_and_errors():
    assert ember.isclose(_t([100], ember.uint8), _t([101], ember.uint8), rtol=0,
                         atol=1).tolist() == [True]
    assert ember.isclose(_t([1, 2]), _t([1, 3]), rtol=0.5, atol=0).tolist() == [True, True]
    with pytest.raises(RuntimeError, match="Float did not match Double"):
        ember.isclose(_t([1.0]), _t([1.0], ember.float64))
    with pytest.raises(RuntimeError, match="atol must be greater than or equal to zero"):
        ember.isclose(_t([1.0]), _t([1.0]), atol=-1.0)
    with pytest.raises(TypeError, match="argument 'input' \\(position 1\\) must be Tensor"):
        ember.isclose(1.0, _t([1.0]))


def test_allclose_and_equal():
    assert ember.allclose(_t([1.0, 2.0]), _t([1.0, 2.0 + 1e-7])) is True
    assert ember.allclose(_t([1.0, NAN]), _t([1.0, NAN])) is False
    assert ember.allclose(_t([1.0, NAN]), _t([1.0, NAN]), equal_nan=True) is True
    assert ember.equal(_t([1, 2]), _t([1.0, 2.0])) is True
    assert ember.equal(_t([1, 2]), _t([1, 3])) is False
    assert ember.equal(_t([NAN]), _t([NAN])) is False
    assert ember.equal(ember.ones(2), ember.ones(3)) is False


def test_isin():
    e = _t([[1, 2], [3, 4]])
    assert ember.isin(e, _t([2, 3])).tolist() == [[False, True], [True, False]]
    assert ember.isin(e, 4).tolist() == [[False, False], [False, True]]
    assert ember.isin(3, _t([1, 2, 3])).tolist() is True
    assert ember.isin(e, _t([2.0, 3.5])).tolist() == [[False, True], [False, False]]
    with pytest.raises(TypeError, match="expected a Tensor"):
        ember.isin(1, 2)
    assert_close(ember.isin(e, _t([1]), invert=True), np.array([[False, True], [True, True]]))
