"""Op records for the unary family (see :mod:`ember.testing.op_db`): every public function of
``ember.ops.unary``.

References are independent of ember: numpy float64, Python's ``math`` module (vectorised),
or short hand-written series (digamma, polygamma, erfinv, i0) that need nothing but ``math``.
Domains keep each function away from its poles and branch cuts; kinks (``abs`` at 0,
rounding jumps) are avoided by the random samples and tested separately in
``tests/core/ops/test_unary.py``.
"""

from __future__ import annotations

import math

import numpy as np

from ..op_record import ErrorInput, OpRecord

__all__ = ["RECORDS"]

# ---------------------------------------------------------------------- float64 references


def _vec(f):
    """A scalar ``math`` function applied elementwise (test-only: speed does not matter)."""
    def g(x):
        return np.vectorize(f, otypes=[np.float64])(x)
    return g


def _digamma1(x: float) -> float:
    # reflection for x < 0.5, recurrence up to x >= 10, then the asymptotic series
    if x < 0.5:
        return _digamma1(1.0 - x) - math.pi / math.tan(math.pi * x)
    acc = 0.0
    while x < 10.0:
        acc -= 1.0 / x
        x += 1.0
    x2 = 1.0 / (x * x)
    series = x2 * (1 / 12 - x2 * (1 / 120 - x2 * (1 / 252 - x2 * (1 / 240 - x2 * (1 / 132)))))
    return acc + math.log(x) - 0.5 / x - series


def _polygamma1(n: int, x: float) -> float:
    # psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x); the Hurwitz zeta by a direct sum of N terms plus
    # the Euler-Maclaurin tail (error ~ N^-(n+6))
    s, big_n = n + 1, 40
    total = sum((x + k) ** -s for k in range(big_n))
    a = x + big_n
    total += a ** (1 - s) / (s - 1) + 0.5 * a ** -s + s / 12 * a ** (-s - 1) \
        - s * (s + 1) * (s + 2) / 720 * a ** (-s - 3)
    return (-1) ** (n + 1) * math.factorial(n) * total


def _erfinv1(y: float) -> float:
    lo, hi = -6.0, 6.0  # bisection on math.erf: 80 halvings reach float64 resolution
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if math.erf(mid) < y:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _i0_1(x: float) -> float:
    term, total, k = 1.0, 1.0, 0
    while term > 1e-17 * total:
        k += 1
        term *= (x / 2) ** 2 / (k * k)
        total += term
    return total


def _sinc(x):
    px = np.pi * x
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x == 0, 1.0, np.sin(px) / np.where(x == 0, 1.0, px))


def _mvlgamma3(x):
    lg = _vec(math.lgamma)
    return sum(lg(x - j / 2) for j in range(3)) + 3 * 2 / 4 * math.log(math.pi)


def _logit(x, eps=None):
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    return np.log(x) - np.log1p(-x)


def _round_half_even(x, decimals=0):
    scale = 10.0 ** decimals
    return np.vectorize(lambda v: round(v * scale) / scale, otypes=[np.float64])(x)


_SPECIAL = np.array([[-1.5, -0.0, 0.0, 2.25], [np.nan, np.inf, -np.inf, 1.0]])
_INTS = np.array([[-3, -1, 0], [1, 2, 7]], dtype=np.int64)
_BOOLS = np.array([True, False, True])

# ---------------------------------------------------------------------- records


def _u(name, fn, ref, domain=(-2.0, 2.0), samples=None, **kw):
    """A record for ``lib.<fn>(x)`` on a (3, 4) tensor, a 0-d tensor and a broadcast-free
    (2, 1, 3) tensor (plus extra samples)."""
    base = [((3, 4),), ((),), ((2, 1, 3),)]
    return OpRecord(name, (lambda lib, x: getattr(lib, fn)(x)) if isinstance(fn, str) else fn,
                    ref, samples=base + (samples or []), domain=domain, **kw)


_NEG_MSG = "Negation, the `-` operator, on a bool tensor is not supported"
_BOOL = ErrorInput((_BOOLS,), RuntimeError, _NEG_MSG)

RECORDS: list[OpRecord] = [
    _u("abs", "abs", np.abs, errors=[ErrorInput((_BOOLS,), NotImplementedError,
                                                "\"abs\" not implemented for 'Bool'")]),
    _u("absolute", "absolute", np.abs, grad=False),
    _u("abs_method", lambda lib, x: abs(x), np.abs),
    _u("neg", "neg", np.negative, errors=[_BOOL]),
    _u("negative", "negative", np.negative, grad=False, errors=[_BOOL]),
    _u("neg_operator", lambda lib, x: -x, np.negative, errors=[
        ErrorInput((_BOOLS,), RuntimeError, "use the `~` or `logical_not\\(\\)`")]),
    _u("positive", "positive", lambda x: x, errors=[
        ErrorInput((_BOOLS,), RuntimeError, "The `\\+` operator, on a bool tensor")]),
    _u("sign", "sign", np.sign),
    _u("sgn", "sgn", np.sign),
    OpRecord("signbit", lambda lib, x: lib.signbit(x), np.signbit,
             samples=[(_SPECIAL,), ((3, 4),)], grad=False),
    _u("sqrt", "sqrt", np.sqrt, domain=(0.1, 3.0)),
    _u("rsqrt", "rsqrt", lambda x: 1 / np.sqrt(x), domain=(0.1, 3.0)),
    _u("square", "square", lambda x: x * x),
    _u("exp", "exp", np.exp),
    _u("exp2", "exp2", lambda x: 2.0 ** x),
    _u("expm1", "expm1", np.expm1),
    _u("log", "log", np.log, domain=(0.1, 3.0)),
    _u("log2", "log2", lambda x: np.log(x) / math.log(2), domain=(0.1, 3.0)),
    _u("log10", "log10", lambda x: np.log(x) / math.log(10), domain=(0.1, 3.0)),
    _u("log1p", "log1p", np.log1p, domain=(-0.9, 2.0)),
    _u("sin", "sin", np.sin),
    _u("cos", "cos", np.cos),
    _u("tan", "tan", np.tan, domain=(-1.2, 1.2)),
    _u("asin", "asin", np.arcsin, domain=(-0.9, 0.9)),
    _u("acos", "acos", np.arccos, domain=(-0.9, 0.9)),
    _u("atan", "atan", np.arctan),
    _u("arcsin", "arcsin", np.arcsin, domain=(-0.9, 0.9), grad=False),
    _u("arccos", "arccos", np.arccos, domain=(-0.9, 0.9), grad=False),
    _u("arctan", "arctan", np.arctan, grad=False),
    _u("sinh", "sinh", np.sinh),
    _u("cosh", "cosh", np.cosh),
    _u("tanh", "tanh", np.tanh),
    _u("asinh", "asinh", np.arcsinh),
    _u("acosh", "acosh", np.arccosh, domain=(1.1, 3.0)),
    _u("atanh", "atanh", np.arctanh, domain=(-0.9, 0.9)),
    _u("arcsinh", "arcsinh", np.arcsinh, grad=False),
    _u("arccosh", "arccosh", np.arccosh, domain=(1.1, 3.0), grad=False),
    _u("arctanh", "arctanh", np.arctanh, domain=(-0.9, 0.9), grad=False),
    _u("sigmoid", "sigmoid", lambda x: 1 / (1 + np.exp(-x)), domain=(-6.0, 6.0)),
    _u("special_expit", "special_expit", lambda x: 1 / (1 + np.exp(-x)), grad=False,
       tags=("ember_only",)),  # torch spells it torch.special.expit
    OpRecord("sigmoid_extreme", lambda lib, x: lib.sigmoid(x),
             lambda x: np.exp(-np.logaddexp(0, -x)),
             samples=[(np.array([-800.0, -100.0, 0.0, 100.0, 800.0]),)], grad=False),
    _u("logit", "logit", _logit, domain=(0.05, 0.95)),
    OpRecord("logit_eps", lambda lib, x, eps: lib.logit(x, eps),
             lambda x, eps: _logit(x, eps), samples=[((3, 4), 0.2)], domain=(0.05, 0.95),
             gradgrad=False),
    _u("erf", "erf", _vec(math.erf), domain=(-3.0, 3.0)),
    _u("erfc", "erfc", _vec(math.erfc), domain=(-3.0, 3.0)),
    _u("erfinv", "erfinv", _vec(_erfinv1), domain=(-0.9, 0.9)),
    _u("lgamma", "lgamma", _vec(math.lgamma), domain=(0.1, 4.0),
       samples=[(np.array([-2.5, -1.5, -0.5, 0.5, 7.5]),)]),
    _u("digamma", "digamma", _vec(_digamma1), domain=(0.1, 4.0),
       samples=[(np.array([-2.5, -1.5, -0.5, 0.5, 7.5]),)], rtol32=1e-4),
    OpRecord("polygamma", lambda lib, x, n: lib.polygamma(n, x),
             lambda x, n: np.vectorize(lambda v: _polygamma1(n, v))(x),
             samples=[((3, 4), 1), ((3, 4), 2), ((), 3)], domain=(0.3, 3.0), rtol32=1e-4,
             atol32=1e-4, gradgrad=False,
             errors=[ErrorInput(((3,), -1), RuntimeError, "does not support negative n")]),
    OpRecord("polygamma_0", lambda lib, x: lib.polygamma(0, x), _vec(_digamma1),
             samples=[((3, 4),)], domain=(0.3, 3.0), gradgrad=False),
    OpRecord("mvlgamma", lambda lib, x, p=3: lib.mvlgamma(x, p), _mvlgamma3,
             samples=[((3, 4),), ((),)], domain=(1.5, 4.0), gradgrad=False,
             errors=[ErrorInput((np.array([0.5, 2.0]), 0), RuntimeError,
                                "p has to be greater than or equal to 1")]),
    _u("i0", "i0", _vec(_i0_1), domain=(-3.0, 3.0)),
    _u("sinc", "sinc", _sinc),
    # NOTE: sinc's backward pins the gradient to 0 at x == 0 (as PyTorch), so its own
    # derivative there is 0 instead of -pi^2/3: no gradgradcheck through 0
    OpRecord("sinc_at_zero", lambda lib, x: lib.sinc(x), _sinc,
             samples=[(np.array([0.0, 0.5, -1.0]),)], gradgrad=False),
    _u("floor", "floor", np.floor, domain=(-3.0, 3.0)),
    _u("ceil", "ceil", np.ceil, domain=(-3.0, 3.0)),
    _u("trunc", "trunc", np.trunc, domain=(-3.0, 3.0)),
    _u("fix", "fix", np.trunc, domain=(-3.0, 3.0), grad=False),
    _u("round", "round", _round_half_even, domain=(-3.0, 3.0)),
    # exact halves round to even (the jumps themselves: no gradient check)
    OpRecord("round_half_even", lambda lib, x: lib.round(x), _round_half_even,
             samples=[(np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]),)], grad=False),
    OpRecord("round_decimals", lambda lib, x, d: lib.round(x, decimals=d),
             lambda x, d: _round_half_even(x, d), samples=[((3, 4), 1), ((3, 4), 2)],
             domain=(-3.0, 3.0), rtol32=1e-6, atol32=1e-6),
    _u("frac", "frac", lambda x: x - np.trunc(x), domain=(-3.0, 3.0), errors=[
        ErrorInput((_INTS,), NotImplementedError, "\"frac\" not implemented for 'Long'")]),
    _u("reciprocal", "reciprocal", lambda x: 1 / x, domain=(0.2, 2.0),
       samples=[(np.array([-2.0, -0.5, 0.25, 4.0]),)]),
    _u("relu", "relu", lambda x: np.maximum(x, 0), errors=[
        ErrorInput((_BOOLS,), RuntimeError, "Boolean inputs not supported for relu")]),
    OpRecord("nan_to_num", lambda lib, x: lib.nan_to_num(x),
             lambda x: np.where(np.isnan(x), 0.0, np.where(np.isposinf(x), np.finfo(np.float64).max,
                                np.where(np.isneginf(x), np.finfo(np.float64).min, x))),
             samples=[((3, 4),)], gradgrad=False),
    OpRecord("nan_to_num_args", lambda lib, x: lib.nan_to_num(x, 1.5, 9.0, -9.0),
             lambda x: np.where(np.isnan(x), 1.5, np.where(np.isposinf(x), 9.0,
                                np.where(np.isneginf(x), -9.0, x))),
             samples=[(_SPECIAL,)], grad=False),
    _u("deg2rad", "deg2rad", lambda x: x * math.pi / 180, domain=(-360.0, 360.0)),
    _u("rad2deg", "rad2deg", lambda x: x * 180 / math.pi),
    _u("angle", "angle", lambda x: np.where(x < 0, math.pi, 0.0), grad=False),
    _u("conj", "conj", lambda x: x),
    _u("conj_physical", "conj_physical", lambda x: x, grad=False),
    _u("real", "real", lambda x: x),
    OpRecord("imag", lambda lib, x: lib.imag(x), None, samples=[], errors=[
        ErrorInput(((3,),), RuntimeError, "imag is not implemented for tensors with non-complex")]),
    OpRecord("isnan", lambda lib, x: lib.isnan(x), np.isnan, samples=[(_SPECIAL,), (_INTS,)],
             grad=False),
    OpRecord("isinf", lambda lib, x: lib.isinf(x), np.isinf, samples=[(_SPECIAL,), (_INTS,)],
             grad=False),
    OpRecord("isfinite", lambda lib, x: lib.isfinite(x), np.isfinite,
             samples=[(_SPECIAL,), (_INTS,)], grad=False),
    OpRecord("isposinf", lambda lib, x: lib.isposinf(x), np.isposinf,
             samples=[(_SPECIAL,), (_INTS,)], grad=False),
    OpRecord("isneginf", lambda lib, x: lib.isneginf(x), np.isneginf,
             samples=[(_SPECIAL,), (_INTS,)], grad=False),
    OpRecord("isreal", lambda lib, x: lib.isreal(x), lambda x: np.ones(np.shape(x), bool),
             samples=[(_SPECIAL,), (_INTS,)], grad=False),
    OpRecord("bitwise_not", lambda lib, x: lib.bitwise_not(x), np.invert,
             samples=[(_INTS,), (_BOOLS,)], grad=False, errors=[
                 ErrorInput(((3,),), NotImplementedError,
                            "\"bitwise_not\" not implemented for 'Float'")]),
    OpRecord("invert_operator", lambda lib, x: ~x, np.invert, samples=[(_INTS,), (_BOOLS,)],
             grad=False, errors=[ErrorInput(((3,),), TypeError, "only implemented on integer")]),
    OpRecord("logical_not", lambda lib, x: lib.logical_not(x), np.logical_not,
             samples=[(_SPECIAL,), (_INTS,), (_BOOLS,)], grad=False),
]
