"""Op records for the binary family (see :mod:`ember.testing.op_db`): every public function of
``ember.ops.binary`` and ``ember.ops.comparison``.

References are numpy float64 or hand formulas (``xlogy``, ``logaddexp``, ``hypot``,
``copysign`` …).  Samples cover equal shapes, broadcasting ``(3, 1)`` with ``(1, 4)``, 0-d
tensors and Python scalars on either side (through the operators, which is how PyTorch
code writes ``2 - x``).  Integer and bool semantics, NaN handling and tie gradients are
tested beside the records in ``tests/core/ops/test_binary.py``.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _dtype as T
from ..op_record import ErrorInput, OpRecord

__all__ = ["RECORDS"]

# samples: same shape, broadcast (3,1) x (1,4), 0-d with 2-d, 2-d with 0-d
_PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ())]
_I = np.array([[-7, -3, 0, 3], [7, 8, -8, 5]], dtype=np.int64)
_J = np.array([[2, -2, 3, 2], [-3, 3, 5, -5]], dtype=np.int64)
_B1 = np.array([True, True, False, False])
_B2 = np.array([True, False, True, False])
_NAN = np.array([1.0, np.nan, 2.0, np.nan, -np.inf, 3.0])
_NAN2 = np.array([np.nan, 0.5, 2.0, np.nan, 1.0, np.inf])
_BAD = ((2, 3), (2, 4))  # shapes that do not broadcast
_BCAST_MSG = r"The size of tensor a \(3\) must match the size of tensor b \(4\) at " \
    r"non-singleton dimension 1; got shapes \[2, 3\] and \[2, 4\]"


def _b(name, op, ref, samples=None, domain=(-2.0, 2.0), bad_shapes=True, **kw):
    """A record over the standard broadcasting samples; ``op`` is a ``lib`` attribute name or
    a callable; a broadcast error input is added unless ``bad_shapes`` is False."""
    fn = (lambda lib, x, y, **k: getattr(lib, op)(x, y, **k)) if isinstance(op, str) else op
    errors = list(kw.pop("errors", []))
    if bad_shapes:
        errors.append(ErrorInput(_BAD, RuntimeError, _BCAST_MSG))
    return OpRecord(name, fn, ref, samples=_PAIRS + (samples or []), domain=domain,
                    errors=errors, **kw)


def _alias(name, ref, **kw):
    """A forward-only record for an alias (the same function under another name)."""
    return OpRecord(name, lambda lib, x, y: getattr(lib, name)(x, y), ref,
                    samples=[((3, 4), (3, 4))], grad=False, **kw)


def _xlogy(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))


def _xlog1py(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log1p(y))


def _logaddexp(x, y):
    m = np.maximum(x, y)
    return m + np.log(np.exp(x - m) + np.exp(y - m))


def _hypot(x, y):
    return np.sqrt(x * x + y * y)


def _copysign(x, y):
    return np.abs(x) * np.where(np.signbit(y), -1.0, 1.0)


def _py_mod(x, y):
    # Python's % (sign of the divisor), elementwise
    return np.vectorize(lambda a, b: a - math.floor(a / b) * b, otypes=[np.float64])(x, y)


def _c_fmod(x, y):
    return np.vectorize(math.fmod, otypes=[np.float64])(x, y)


def _isclose(x, y, rtol=1e-5, atol=1e-8, equal_nan=False):
    with np.errstate(invalid="ignore"):
        close = np.abs(x - y) <= atol + rtol * np.abs(y)
    close = (close & np.isfinite(y)) | (x == y)
    if equal_nan:
        close |= np.isnan(x) & np.isnan(y)
    return close


def _trunc_div_int(x, y):
    return np.vectorize(lambda a, b: int(a / b) if abs(a) < 2 ** 52 else a // b,
                        otypes=[np.int64])(x, y)


def _floor_div_int(x, y):
    return np.vectorize(lambda a, b: a // b, otypes=[np.int64])(x, y)


def _clamp(x, lo=None, hi=None):
    r = x if lo is None else np.maximum(x, lo)
    return r if hi is None else np.minimum(r, hi)


_SUB_BOOL = "Subtraction, the `-` operator, with two bool tensors is not supported"
_SUB_ONE_BOOL = "Subtraction, the `-` operator, with a bool tensor is not supported"
_NOT_FLOAT = "not implemented for 'Float'"

RECORDS: list[OpRecord] = [
    # ------------------------------------------------------------------ arithmetic
    _b("add", "add", np.add),
    OpRecord("add_alpha", lambda lib, x, y, alpha=2.5: lib.add(x, y, alpha=alpha),
             lambda x, y: x + 2.5 * y, samples=_PAIRS, errors=[
                 ErrorInput((_I, _J), RuntimeError, "alpha must not be a floating point"),
                 ErrorInput(((3,), (3,)), RuntimeError, "Boolean alpha only supported",
                            {"alpha": True})]),
    OpRecord("add_operator_scalars", lambda lib, x: 2.5 + x + 1, lambda x: 2.5 + x + 1,
             samples=[((3, 4),), ((),)]),
    _b("sub", "sub", np.subtract, errors=[
        ErrorInput((_B1, _B2), RuntimeError, _SUB_BOOL),
        ErrorInput((_B1, _I[0]), RuntimeError, _SUB_ONE_BOOL)]),
    _alias("subtract", np.subtract),
    OpRecord("sub_alpha", lambda lib, x, y: lib.sub(x, y, alpha=-0.5),
             lambda x, y: x + 0.5 * y, samples=_PAIRS),
    OpRecord("rsub_operator", lambda lib, x: 2 - x, lambda x: 2 - x,
             samples=[((3, 4),), ((),)], errors=[
                 ErrorInput((_B1,), RuntimeError, _SUB_ONE_BOOL)]),
    OpRecord("rsub", lambda lib, x, y: lib.rsub(x, y), lambda x, y: y - x, samples=_PAIRS),
    OpRecord("rsub_alpha", lambda lib, x, y: lib.rsub(x, y, alpha=3),
             lambda x, y: y - 3 * x, samples=_PAIRS[:2]),
    _b("mul", "mul", np.multiply),
    _alias("multiply", np.multiply),
    OpRecord("mul_operator_scalar", lambda lib, x: 3 * x * 0.5, lambda x: 1.5 * x,
             samples=[((3, 4),), ((),)]),
    _b("div", "div", np.divide, domain=(0.5, 2.0),
       samples=[(np.array([-1.5, 1.5, 3.0]), np.array([-0.5, 2.0, -4.0]))],
       errors=[ErrorInput(((3,), (3,)), RuntimeError,
                          "rounding_mode to be one of None, 'trunc', or 'floor' but found "
                          "'round'", {"rounding_mode": "round"})]),
    _alias("divide", np.divide, domain=(0.5, 2.0)),
    _alias("true_divide", np.divide, domain=(0.5, 2.0)),
    OpRecord("div_operator_scalars", lambda lib, x: (2 / x) / 4, lambda x: 0.5 / x,
             samples=[((3, 4),), ((),)], domain=(0.5, 2.0)),
    OpRecord("div_by_zero", lambda lib, x: x / 0, lambda x: x / 0.0,
             samples=[(np.array([-1.0, 0.0, 2.0]),)], grad=False),
    OpRecord("div_trunc", lambda lib, x, y: lib.div(x, y, rounding_mode="trunc"),
             lambda x, y: np.trunc(x / y), samples=_PAIRS, domain=(-3.0, 3.0), gradgrad=False),
    OpRecord("div_floor", lambda lib, x, y: lib.div(x, y, rounding_mode="floor"),
             lambda x, y: np.floor(x / y), samples=_PAIRS, domain=(-3.0, 3.0), gradgrad=False),
    OpRecord("div_trunc_int", lambda lib, x, y: lib.div(x, y, rounding_mode="trunc"),
             _trunc_div_int, samples=[(_I, _J)], grad=False, errors=[
                 ErrorInput((_I, _J * 0), RuntimeError, "ZeroDivisionError")]),
    # PyTorch has no derivative for floor_divide (ember's is 0, tested in test_binary.py)
    _b("floor_divide", "floor_divide", lambda x, y: np.floor(x / y), domain=(0.5, 3.0),
       grad=False, samples=[(np.array([-7.0, 7.0, -7.5]), np.array([2.0, -2.0, 2.0]))]),
    OpRecord("floor_divide_int", lambda lib, x, y: x // y, _floor_div_int,
             samples=[(_I, _J)], grad=False, errors=[
                 ErrorInput((_I, _J * 0), RuntimeError, "ZeroDivisionError"),
                 ErrorInput((_B1, _B2), NotImplementedError, "not implemented for 'Bool'")]),
    _b("remainder", "remainder", _py_mod, domain=(0.5, 3.0), gradgrad=False,
       samples=[(np.array([-7.0, 7.0, -7.5, 7.5]), np.array([2.0, -2.0, -2.0, 2.0]))]),
    OpRecord("remainder_int", lambda lib, x, y: x % y,
             lambda x, y: np.vectorize(lambda a, b: a % b, otypes=[np.int64])(x, y),
             samples=[(_I, _J)], grad=False, errors=[
                 ErrorInput((_I, _J * 0), RuntimeError, "ZeroDivisionError")]),
    _b("fmod", "fmod", _c_fmod, domain=(0.5, 3.0), gradgrad=False,
       samples=[(np.array([-7.0, 7.0, -7.5, 7.5]), np.array([2.0, -2.0, -2.0, 2.0]))]),
    OpRecord("fmod_int", lambda lib, x, y: lib.fmod(x, y),
             lambda x, y: np.vectorize(lambda a, b: int(math.fmod(a, b)), otypes=[np.int64])(
                 x, y), samples=[(_I, _J)], grad=False),
    _b("pow", "pow", np.power, domain=(0.5, 2.0)),
    OpRecord("pow_scalar_exponent", lambda lib, x, e: x ** e, lambda x, e: x ** e,
             samples=[((3, 4), 2), ((3, 4), 3), ((3, 4), 0), ((), -1.5)], domain=(0.5, 2.0),
             errors=[ErrorInput((_I, -1), RuntimeError,
                                "Integers to negative integer powers are not allowed")]),
    OpRecord("pow_negative_base", lambda lib, x: x ** 3 - x ** 2, lambda x: x ** 3 - x ** 2,
             samples=[((3, 4),)]),
    OpRecord("pow_scalar_base", lambda lib, x: 2 ** x + 0.5 ** x, lambda x: 2 ** x + 0.5 ** x,
             samples=[((3, 4),), ((),)]),
    OpRecord("pow_int", lambda lib, x, y: lib.pow(x, y),
             lambda x, y: np.vectorize(lambda a, b: int(a ** b) if b >= 0 else
                                       (1 if a == 1 else (-1) ** (-b) if a == -1 else 0),
                                       otypes=[np.int64])(x, y),
             samples=[(_I, np.abs(_J)), (np.array([-2, -1, 0, 1, 2]), np.array([-1, -3, -2,
                                                                                 -5, 2]))],
             grad=False, errors=[ErrorInput((_B1, _B2), NotImplementedError,
                                            "\"pow\" not implemented for 'Bool'")]),
    OpRecord("float_power", lambda lib, x, y: lib.float_power(x, y), np.power,
             samples=_PAIRS, domain=(0.5, 2.0), dtypes=(T.float64,)),
    _b("atan2", "atan2", np.arctan2),
    _alias("arctan2", np.arctan2),
    _b("hypot", "hypot", _hypot, errors=[
        ErrorInput((_I, _J), NotImplementedError, "\"hypot\" not implemented for 'Long'")]),
    _b("logaddexp", "logaddexp", _logaddexp, domain=(-3.0, 3.0)),
    OpRecord("logaddexp_large", lambda lib, x, y: lib.logaddexp(x, y), _logaddexp,
             samples=[(np.array([800.0, -800.0, 1.0]), np.array([799.0, -801.0, 1.0]))],
             grad=False),
    _b("logaddexp2", "logaddexp2",
       lambda x, y: _logaddexp(x * math.log(2), y * math.log(2)) / math.log(2)),
    # NOTE: x == 0 samples carry no gradient check: PyTorch (and ember) define d/dx there as
    # 0, not log(y) (tested in test_binary.py)
    _b("xlogy", "xlogy", _xlogy, domain=(0.2, 2.0),
       samples=[(np.array([-1.0, 1.0, 2.0]), np.array([0.25, 0.5, 3.0]))]),
    OpRecord("xlogy_zero", lambda lib, x, y: lib.xlogy(x, y), _xlogy,
             samples=[(np.array([0.0, 0.0, 1.0, 0.0, 0.0]),
                       np.array([np.nan, 0.0, 0.0, np.inf, 2.0]))], grad=False),
    # torch spells it torch.special.xlog1py: these two records are ember-only
    _b("special_xlog1py", "special_xlog1py", _xlog1py, domain=(0.2, 2.0), tags=("ember_only",),
       samples=[(np.array([-1.0, 1.0, 2.0]), np.array([-0.5, 2.0, -0.75]))]),
    OpRecord("special_xlog1py_zero", lambda lib, x, y: lib.special_xlog1py(x, y), _xlog1py,
             samples=[(np.array([0.0, 0.0, 1.0, 0.0]), np.array([-1.0, np.nan, -1.0, 3.0]))],
             grad=False, tags=("ember_only",)),
    # ------------------------------------------------------------------ min / max
    *[_b(n, n, f, gradgrad=False) for n, f in [
        ("maximum", np.maximum), ("minimum", np.minimum), ("fmax", np.fmax), ("fmin", np.fmin)]],
    # maximum/minimum propagate NaN, fmax/fmin return the number
    *[OpRecord(n + "_nan", lambda lib, x, y, n=n: getattr(lib, n)(x, y), f,
               samples=[(_NAN, _NAN2)], grad=False) for n, f in [
        ("maximum", np.maximum), ("minimum", np.minimum), ("fmax", np.fmax), ("fmin", np.fmin)]],
    _b("copysign", "copysign", _copysign),
    OpRecord("copysign_signed_zero", lambda lib, x, y: lib.copysign(x, y), _copysign,
             samples=[(np.array([1.0, -2.0, 3.0, -4.0]), np.array([-0.0, 0.0, -1.0, 2.0]))],
             grad=False),
    OpRecord("nextafter", lambda lib, x, y: lib.nextafter(x, y), None,
             samples=[], errors=[
                 ErrorInput((_I, _J), NotImplementedError, "\"nextafter\" not implemented")]),
    # NOTE: PyTorch 2.13's ldexp backward gives 0 for negative integer exponents (an integer
    # pow), so the gradient sample keeps them >= 0; ember's 2 ** other is in test_binary.py
    OpRecord("ldexp", lambda lib, x, e: lib.ldexp(x, e), lambda x, e: x * 2.0 ** e,
             samples=[((2, 4), np.abs(_J)), ((3, 4), (3, 4))]),
    OpRecord("ldexp_negative_exponent", lambda lib, x, e: lib.ldexp(x, e),
             lambda x, e: x * 2.0 ** e, samples=[((2, 4), _J)], grad=False),
    # ------------------------------------------------------------------ fused
    OpRecord("lerp", lambda lib, x, y: lib.lerp(x, y, 0.3), lambda x, y: x + 0.3 * (y - x),
             samples=_PAIRS, errors=[
                 ErrorInput((_I, _J), NotImplementedError, "\"lerp\" not implemented")]),
    OpRecord("lerp_tensor_weight", lambda lib, x, y, w: lib.lerp(x, y, w),
             lambda x, y, w: x + w * (y - x), samples=[((3, 4), (3, 4), (3, 4)),
                                                      ((3, 1), (1, 4), ())]),
    OpRecord("addcmul", lambda lib, x, a, b: lib.addcmul(x, a, b, value=-2),
             lambda x, a, b: x - 2 * a * b, samples=[((3, 4), (3, 4), (3, 4)),
                                                     ((3, 1), (1, 4), ())]),
    OpRecord("addcdiv", lambda lib, x, a, b: lib.addcdiv(x, a, b, value=0.5),
             lambda x, a, b: x + 0.5 * a / b, samples=[((3, 4), (3, 4), (3, 4)),
                                                       ((3, 1), (1, 4), ())],
             domain=(0.5, 2.0), errors=[
                 ErrorInput(((3,), _I[0, :3], _J[0, :3]), RuntimeError,
                            "Integer division with addcdiv is no longer supported")]),
    OpRecord("heaviside", lambda lib, x, v: lib.heaviside(x, v),
             lambda x, v: np.where(x == 0, v, (x > 0).astype(np.float64)),
             samples=[(np.array([-1.0, 0.0, 2.0, 0.0]), np.array([0.5, 0.5, 0.5, 7.0]))],
             grad=False, errors=[ErrorInput((np.array([0.0, 1.0]), _J[0, :2]), RuntimeError,
                                            "tensors with different dtypes")]),
    OpRecord("square_", lambda lib, x: (x * 1).square_(), lambda x: x * x,
             samples=[((3, 4),), ((),)]),
    # ------------------------------------------------------------------ integer / bitwise
    OpRecord("gcd", lambda lib, x, y: lib.gcd(x, y), np.gcd, samples=[(_I, _J)], grad=False,
             errors=[ErrorInput(((3,), (3,)), NotImplementedError, _NOT_FLOAT)]),
    OpRecord("lcm", lambda lib, x, y: lib.lcm(x, y), np.lcm, samples=[(_I, _J)], grad=False,
             errors=[ErrorInput(((3,), (3,)), NotImplementedError, _NOT_FLOAT)]),
    OpRecord("bitwise_and", lambda lib, x, y: x & y, np.bitwise_and,
             samples=[(_I, _J), (_B1, _B2)], grad=False,
             errors=[ErrorInput(((3,), (3,)), NotImplementedError, _NOT_FLOAT)]),
    OpRecord("bitwise_or", lambda lib, x, y: lib.bitwise_or(x, y), np.bitwise_or,
             samples=[(_I, _J), (_B1, _B2)], grad=False,
             errors=[ErrorInput(((3,), (3,)), NotImplementedError, _NOT_FLOAT)]),
    OpRecord("bitwise_xor", lambda lib, x, y: x ^ y, np.bitwise_xor,
             samples=[(_I, _J), (_B1, _B2)], grad=False,
             errors=[ErrorInput(((3,), (3,)), NotImplementedError, _NOT_FLOAT)]),
    OpRecord("bitwise_left_shift", lambda lib, x, y: lib.bitwise_left_shift(x, y),
             lambda x, y: x * 2 ** y, samples=[(_I, np.abs(_J))], grad=False,
             errors=[ErrorInput((_B1, _B2), NotImplementedError, "not implemented for 'Bool'")]),
    OpRecord("bitwise_right_shift", lambda lib, x, y: x >> y,
             lambda x, y: np.floor(x / 2.0 ** y).astype(np.int64), samples=[(_I, np.abs(_J))],
             grad=False),
    # ------------------------------------------------------------------ comparison
    *[_b(n, n, f, grad=False, samples=[(_NAN, _NAN2), (_I, _J)])
      for n, f in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                   ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)]],
    *[_alias(n, f) for n, f in [("greater", np.greater), ("greater_equal", np.greater_equal),
                                ("less", np.less), ("less_equal", np.less_equal),
                                ("not_equal", np.not_equal)]],
    OpRecord("comparison_operators", lambda lib, x, y: ((x < y) & (x <= 0.5)) | (x == 1),
             lambda x, y: ((x < y) & (x <= 0.5)) | (x == 1), samples=_PAIRS, grad=False),
    *[_b(n, n, f, grad=False, samples=[(_I, _J), (_B1, _B2), (_NAN, _NAN2)])
      for n, f in [("logical_and", np.logical_and), ("logical_or", np.logical_or),
                   ("logical_xor", np.logical_xor)]],
    OpRecord("where", lambda lib, c, x, y: lib.where(c, x, y), np.where,
             samples=[(_B1, (4,), (4,)), (_B1.reshape(4, 1), (1, 3), ()),
                      (_B1, (4,), 2.5), (_B1, -1.0, (2, 4))],
             errors=[ErrorInput((_B1, (3,), (4,)), RuntimeError, "The size of tensor a"),
                     ErrorInput((_J, (2, 4), (2, 4)), RuntimeError,
                                "condition to be a boolean tensor, but got a tensor with dtype "
                                "Long")]),
    OpRecord("clamp", lambda lib, x, lo=-0.5, hi=0.75: lib.clamp(x, lo, hi),
             lambda x: _clamp(x, -0.5, 0.75), samples=[((3, 4),), ((),)], errors=[
                 ErrorInput(((3,), None, None), RuntimeError, "At least one of 'min' or 'max'")]),
    OpRecord("clamp_tensor_bounds", lambda lib, x, lo, hi: lib.clamp(x, lo, hi), _clamp,
             samples=[((3, 4), (3, 4), (3, 4)), ((3, 4), (3, 1), ()), ((2, 3), (3,), (2, 1))],
             domain=(-2.0, 2.0), gradgrad=False, errors=[
                 ErrorInput(((2, 3), (2, 4), (2, 3)), RuntimeError, "The size of tensor a")]),
    OpRecord("clamp_min_only", lambda lib, x, lo: lib.clamp(x, min=lo),
             lambda x, lo: _clamp(x, lo), samples=[((3, 4), (3, 4)), ((3, 4), 0.1)]),
    OpRecord("clamp_max_only", lambda lib, x, hi: lib.clamp(x, max=hi),
             lambda x, hi: _clamp(x, None, hi), samples=[((3, 4), (3, 4)), ((3, 4), 0.1)]),
    OpRecord("clip", lambda lib, x: lib.clip(x, -1, 1), lambda x: np.clip(x, -1, 1),
             samples=[((3, 4),)]),
    OpRecord("clamp_min", lambda lib, x: lib.clamp_min(x, 0.2), lambda x: np.maximum(x, 0.2),
             samples=[((3, 4),)]),
    OpRecord("clamp_max", lambda lib, x: lib.clamp_max(x, 0.2), lambda x: np.minimum(x, 0.2),
             samples=[((3, 4),)]),
    OpRecord("isclose", lambda lib, x, y, rtol=1e-3, atol=1e-3: lib.isclose(x, y, rtol, atol),
             lambda x, y: _isclose(x, y, 1e-3, 1e-3),
             samples=[(np.array([1.0, 1.0, np.inf, np.nan, 2.0, -np.inf]),
                       np.array([1.0005, 1.01, np.inf, np.nan, np.inf, np.inf])), (_I, _J)],
             grad=False, errors=[ErrorInput(((3,), (3,)), RuntimeError,
                                            "rtol must be greater than or equal to zero",
                                            {"rtol": -1.0})]),
    OpRecord("isclose_equal_nan", lambda lib, x, y: lib.isclose(x, y, equal_nan=True),
             lambda x, y: _isclose(x, y, equal_nan=True),
             samples=[(np.array([np.nan, 1.0, np.nan]), np.array([np.nan, np.nan, 1.0]))],
             grad=False),
    OpRecord("allclose", lambda lib, x, y: lib.allclose(x, y), lambda x, y: _isclose(x, y).all(),
             samples=[(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])),
                      (np.array([1.0, 2.0]), np.array([1.0, 2.1]))], grad=False),
    OpRecord("equal", lambda lib, x, y: lib.equal(x, y),
             lambda x, y: np.shape(x) == np.shape(y) and bool((x == y).all()),
             samples=[(_I, _I), (_I, _J), (_NAN, _NAN), ((2, 3), (3, 2))], grad=False),
    OpRecord("isin", lambda lib, x, y: lib.isin(x, y), np.isin,
             samples=[(_I, _J), (_I, np.array([3, 8, 100]))], grad=False),
    OpRecord("isin_invert", lambda lib, x, y: lib.isin(x, y, invert=True),
             lambda x, y: np.isin(x, y, invert=True), samples=[(_I, _J)], grad=False),
]
