"""ember.ops._special against independent references: Python's math module and mpmath.

Each accuracy row evaluates one function on a few hundred points (small, large, negative, tails)
and checks ``|got - ref| <= rtol * max(|ref|, floor)`` elementwise: ``floor = 0`` is a pure
relative bound, ``floor = 1`` an absolute one for small values (near zeros of the function, where
relative accuracy is lost by any method). The device under test is ``$EMBER_TEST_DEVICE``.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

try:
    from ember.ops import _special as S
except ImportError:  # ember not importable yet: the module depends on numpy only
    _path = Path(__file__).resolve().parents[3] / "core/src/ember/ops/_special.py"
    _spec = importlib.util.spec_from_file_location("ember_special", _path)
    S = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(S)

try:
    import mpmath as mp
except ImportError:  # test-only dependency; rows that need it are skipped
    mp = None

INF, NAN = math.inf, math.nan


def _sym(a):
    a = np.asarray(a, dtype=np.float64)
    return np.concatenate([a, -a])


def _geom(lo, hi, n):
    return np.geomspace(lo, hi, n)


def _nonint(a):
    a = np.asarray(a, dtype=np.float64)
    return a[np.floor(a) != a]


# ---------------------------------------------------------------------------------------------
# references (mpmath at 60 digits unless said otherwise)
def _mp(f, dps=60):
    def ref(v):
        with mp.workdps(dps):
            return float(mp.re(f(mp.mpf(v))))
    return ref


def _ref_erfcx(v):
    return mp.exp(v * v) * mp.erfc(v)


def _ref_log_ndtr(v):
    return mp.log(mp.ncdf(v)) if v <= 0 else mp.log1p(-mp.ncdf(-v))


def _ref_ndtri(p):
    q = min(p, 1 - p)
    with mp.workdps(60 + max(0, int(-math.log10(q)))):  # 1 - 2p must keep all digits of p
        y = mp.sqrt(2) * mp.erfinv(abs(2 * mp.mpf(p) - 1))
        return float(-y if p < 0.5 else y)


def _ref_zeta_neg(s):
    def ref(q):  # sum_{k < m} (q + k)^-s + zeta(s, q + m) with q + m > 0
        m = math.ceil(-q)
        with mp.workdps(60):
            q = mp.mpf(q)
            return float(mp.fsum((q + k) ** -s for k in range(m)) + mp.zeta(s, q + m))
    return ref


def _ref_polygamma(n):
    return _mp(lambda v: mp.polygamma(n, v))


def _ref_bessel(nu, scaled):
    return _mp(lambda v: mp.besseli(nu, v) * (mp.exp(-abs(v)) if scaled else 1))


# ---------------------------------------------------------------------------------------------
# points
X_ERF = np.concatenate([np.linspace(-6, 6, 121), _sym(_geom(1e-300, 30, 60)),
                        _sym([0.46875, np.nextafter(0.46875, 0), 4.0, np.nextafter(4, 5)])])
X_ERFC = np.concatenate([X_ERF[np.abs(X_ERF) <= 26.4], np.linspace(6, 26.4, 40), [10.0]])
X_ERFCX = np.concatenate([np.linspace(-26, 26, 105), _geom(1, 1e150, 60)])  # mpmath limit
X_ERFINV = np.concatenate([np.linspace(-0.999, 0.999, 101), _sym(1 - _geom(1e-16, 0.5, 40)),
                           _sym(_geom(1e-300, 0.5, 40))])
X_GAMMA_POS = np.concatenate([_geom(1e-300, 1e300, 100), np.linspace(0.01, 12, 200),
                              1 + _sym(_geom(1e-12, 0.3, 20)), 2 + _sym(_geom(1e-12, 0.3, 20)),
                              1.4616321449683622 + _sym(_geom(1e-10, 0.5, 20))])
X_GAMMA_NEG = np.concatenate([_nonint(np.linspace(-20.05, -0.05, 201)),
                              -_nonint(_geom(1e-300, 1e15, 80)), [-2.4570247382208006]])
X_POLY_POS = np.concatenate([_geom(1e-5, 1e5, 80), np.linspace(0.05, 10, 100)])
X_POLY_NEG = _nonint(np.linspace(-9.95, -0.05, 100))
X_ZETA_Q = np.concatenate([_geom(1e-3, 1e4, 60), np.linspace(0.1, 12, 40)])
X_BESSEL = np.concatenate([np.linspace(-30, 30, 121), _sym(_geom(1e-300, 700, 60)), [713.9]])
X_BESSEL_E = np.concatenate([X_BESSEL, _sym(_geom(700, 1e300, 20))])
X_NDTR = np.concatenate([np.linspace(-37.5, 10, 191), -_geom(1e-300, 37.5, 60)])
X_LOG_NDTR = np.concatenate([np.linspace(-40, 40, 161), -_geom(1, 1e150, 40),
                             _sym(_geom(1e-300, 1, 20))])
X_NDTRI = np.concatenate([np.linspace(0.001, 0.999, 101), _geom(1e-300, 0.25, 60),
                          1 - _geom(1e-16, 0.25, 30), [0.5, 0.25, 0.75]])


class Case(NamedTuple):
    name: str
    fn: Callable  # fn(xp, x)
    ref: Callable  # ref(float) -> float, independent of ember
    x: np.ndarray
    rtol: float
    floor: float = 0.0  # tolerance rtol * max(|ref|, floor)
    needs_mp: bool = True


def _poly(n):
    return lambda xp, x: S.polygamma(xp, n, x)


def _zeta(s):
    return lambda xp, q: S.zeta(xp, s, q)


CASES = [
    Case("erf", S.erf, math.erf, X_ERF, 1e-14, needs_mp=False),
    Case("erfc", S.erfc, math.erfc, X_ERFC, 1e-14, needs_mp=False),
    Case("erfc_mp", S.erfc, _mp(lambda v: mp.erfc(v)), X_ERFC, 1e-14),
    Case("erfcx", S.erfcx, _mp(_ref_erfcx), X_ERFCX, 1e-14),
    Case("erfinv", S.erfinv, _mp(lambda v: mp.erfinv(v)), X_ERFINV, 1e-14),
    # math.lgamma itself is only absolutely accurate near its zeros (1e-11 relative at 1 + 1e-4)
    Case("lgamma_math", S.lgamma, math.lgamma, np.concatenate([X_GAMMA_POS, X_GAMMA_NEG]), 1e-14,
         1.0, needs_mp=False),
    Case("lgamma_pos", S.lgamma, _mp(lambda v: mp.loggamma(v)), X_GAMMA_POS, 1e-14),
    Case("lgamma_neg", S.lgamma, _mp(lambda v: mp.loggamma(v)), X_GAMMA_NEG, 1e-14, 1.0),
    Case("digamma_pos", S.digamma, _mp(lambda v: mp.digamma(v)), X_GAMMA_POS, 1e-14),
    Case("digamma_neg", S.digamma, _mp(lambda v: mp.digamma(v)), X_GAMMA_NEG, 1e-14, 1.0),
    *[Case(f"polygamma{n}_pos", _poly(n), _ref_polygamma(n), X_POLY_POS, 1e-14)
      for n in (1, 2, 3, 6)],
    *[Case(f"polygamma{n}_neg", _poly(n), _ref_polygamma(n), X_POLY_NEG, 1e-14, 1.0)
      for n in (1, 2, 3, 6)],
    # NOTE: mpmath's own zeta needs ~200 digits to be right for large s and q
    *[Case(f"zeta_s{s}", _zeta(s), _mp(lambda q, s=s: mp.zeta(s, q), 250), X_ZETA_Q, 1e-14)
      for s in (1.0001, 1.5, 2.0, 3.7, 10.0, 30.5)],
    *[Case(f"zeta_s{s}_neg_q", _zeta(float(s)), _ref_zeta_neg(s), X_POLY_NEG, 1e-14, 1.0)
      for s in (2, 3, 5)],
    Case("i0", S.i0, _ref_bessel(0, False), X_BESSEL, 1e-14),
    Case("i0e", S.i0e, _ref_bessel(0, True), X_BESSEL_E, 1e-14),
    Case("i1", S.i1, _ref_bessel(1, False), X_BESSEL, 1e-14),
    Case("i1e", S.i1e, _ref_bessel(1, True), X_BESSEL_E, 1e-14),
    Case("ndtr", S.ndtr, _mp(lambda v: mp.ncdf(v)), X_NDTR, 1e-14),
    Case("log_ndtr", S.log_ndtr, _mp(_ref_log_ndtr), X_LOG_NDTR, 1e-14),
    Case("ndtri", S.ndtri, _ref_ndtri, X_NDTRI, 1e-14),
]


@cache
def _reference(name):
    case = next(c for c in CASES if c.name == name)
    return np.array([case.ref(float(v)) for v in case.x])


@pytest.fixture
def xp(device):
    if device.startswith("cuda"):
        return pytest.importorskip("cupy")
    return np


def _host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


def _check(case, got, ref):
    assert got.shape == ref.shape and got.dtype == np.float64
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(got[~finite], ref[~finite], err_msg=case.name)
    err = np.abs(got[finite] - ref[finite]) / np.maximum(np.abs(ref[finite]), case.floor or 1e-300)
    worst = int(np.argmax(err))
    assert err[worst] <= case.rtol, (
        f"{case.name}: error {err[worst]:.3g} > {case.rtol:g} at x={case.x[finite][worst]!r}: "
        f"got {got[finite][worst]!r}, expected {ref[finite][worst]!r}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_accuracy_against_reference(case, xp):
    if case.needs_mp and mp is None:
        pytest.skip("mpmath is not installed (test-only dependency)")
    _check(case, _host(case.fn(xp, xp.asarray(case.x))), _reference(case.name))


# ---------------------------------------------------------------------------------------------
# exact values at the edges of the domains (PyTorch's conventions)
SPECIAL = [
    ("erf", S.erf, [0.0, -0.0, INF, -INF, NAN], [0.0, -0.0, 1.0, -1.0, NAN]),
    ("erfc", S.erfc, [0.0, INF, -INF, NAN, 30.0], [1.0, 0.0, 2.0, NAN, 0.0]),
    ("erfcx", S.erfcx, [0.0, INF, -INF, NAN], [1.0, 0.0, INF, NAN]),
    ("erfinv", S.erfinv, [0.0, -0.0, 1.0, -1.0, 1.5, -1.5, INF, NAN],
     [0.0, -0.0, INF, -INF, NAN, NAN, NAN, NAN]),
    ("lgamma", S.lgamma, [1.0, 2.0, 0.0, -0.0, -1.0, -2.0, -1e20, INF, -INF, NAN],
     [0.0, 0.0, INF, INF, INF, INF, INF, INF, INF, NAN]),
    ("digamma", S.digamma, [0.0, -0.0, -1.0, -2.0, -1e20, INF, -INF, NAN],
     [-INF, INF, NAN, NAN, NAN, INF, NAN, NAN]),
    ("polygamma1", _poly(1), [0.0, -1.0, -5.0, INF, -INF, NAN], [INF, INF, INF, 0.0, NAN, NAN]),
    ("polygamma2", _poly(2), [0.0, -3.0, NAN], [-INF, -INF, NAN]),
    ("i0", S.i0, [0.0, INF, -INF, NAN], [1.0, INF, INF, NAN]),
    ("i0e", S.i0e, [0.0, INF, -INF, NAN], [1.0, 0.0, 0.0, NAN]),
    ("i1", S.i1, [0.0, -0.0, INF, -INF, NAN], [0.0, -0.0, INF, -INF, NAN]),
    ("i1e", S.i1e, [0.0, -0.0, INF, -INF, NAN], [0.0, -0.0, 0.0, -0.0, NAN]),
    ("ndtr", S.ndtr, [0.0, INF, -INF, NAN], [0.5, 1.0, 0.0, NAN]),
    ("log_ndtr", S.log_ndtr, [INF, -INF, NAN], [0.0, -INF, NAN]),
    ("ndtri", S.ndtri, [0.0, 1.0, 0.5, -0.1, 1.1, NAN], [-INF, INF, 0.0, NAN, NAN, NAN]),
    # zeta(x, q) with x = 2 unless the pair says otherwise: see the zeta row below
]
ZETA_SPECIAL = [((1.0, 2.0), INF), ((0.5, 2.0), NAN), ((2.0, 0.0), INF), ((2.0, -3.0), INF),
                ((2.5, -0.5), NAN), ((2.0, INF), 0.0), ((INF, 2.0), 0.0), ((INF, 1.0), 1.0),
                ((NAN, 1.0), NAN), ((2.0, NAN), NAN), ((2.0, -0.5), 4 + math.pi ** 2 / 2)]


@pytest.mark.parametrize("name, fn, x, expected", SPECIAL, ids=[s[0] for s in SPECIAL])
def test_special_values(name, fn, x, expected, xp):
    got = _host(fn(xp, xp.asarray(x, dtype=np.float64)))
    expected = np.array(expected)
    np.testing.assert_array_equal(got, expected, err_msg=name)
    signed = ~np.isnan(expected)  # the sign of zeros and infinities is part of the contract
    np.testing.assert_array_equal(np.signbit(got[signed]), np.signbit(expected[signed]),
                                  err_msg=name)


def test_special_values_zeta(xp):
    s = xp.asarray([p[0][0] for p in ZETA_SPECIAL])
    q = xp.asarray([p[0][1] for p in ZETA_SPECIAL])
    got = _host(S.zeta(xp, s, q))
    np.testing.assert_allclose(got, [p[1] for p in ZETA_SPECIAL], rtol=1e-15)


def test_named_values():
    # the tails that motivate the implementation (values from mpmath, 20 digits)
    np.testing.assert_allclose(S.erfc(np, np.array(10.0)), 2.0884875837625447570e-45, rtol=1e-15)
    np.testing.assert_allclose(S.log_ndtr(np, np.array(-40.0)), -804.60844201375378817,
                               rtol=1e-15)
    np.testing.assert_allclose(S.ndtri(np, np.array(1e-300)), -37.047096299361199, rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# dtypes, shapes, errors
UNARY = {
    "erf": S.erf, "erfc": S.erfc, "erfcx": S.erfcx, "erfinv": S.erfinv, "lgamma": S.lgamma,
    "digamma": S.digamma, "polygamma2": _poly(2), "zeta3": _zeta(3.0), "i0": S.i0,
    "i0e": S.i0e, "i1": S.i1, "i1e": S.i1e, "ndtr": S.ndtr, "log_ndtr": S.log_ndtr,
    "ndtri": S.ndtri,
}
_UNIT = {"erfinv", "ndtri"}  # domain (-1, 1) / (0, 1)


def _points(name, n=64):
    x = np.linspace(0.01, 0.99, n) if name in _UNIT else np.linspace(-5.3, 6.1, n)
    return _nonint(x)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("name", UNARY)
def test_low_precision_is_float64_rounded(name, dtype, xp):
    fn = UNARY[name]
    x = _points(name).astype(dtype)
    got = fn(xp, xp.asarray(x))
    assert got.dtype == dtype
    with np.errstate(over="ignore"):  # erfcx(-5) overflows float16, as it should
        want = _host(fn(xp, xp.asarray(x.astype(np.float64)))).astype(dtype)
    np.testing.assert_array_equal(_host(got), want)


@pytest.mark.parametrize("name", UNARY)
def test_shapes_and_no_mutation(name, xp):
    fn = UNARY[name]
    x = _points(name, 12).reshape(3, 4)
    xd = xp.asarray(x)
    out = _host(fn(xp, xd))
    assert out.shape == (3, 4)
    np.testing.assert_array_equal(out.ravel(), _host(fn(xp, xp.asarray(x.ravel()))))
    np.testing.assert_array_equal(_host(xd), x)  # input untouched
    scalar = fn(xp, xp.asarray(x[0, 0]))
    assert isinstance(scalar, type(xd)) and scalar.shape == ()
    assert _host(scalar) == out[0, 0]
    for shape in [(0,), (2, 0)]:
        assert fn(xp, xp.zeros(shape)).shape == shape


def test_integer_input_computes_in_float64():
    out = S.lgamma(np, np.array([1, 2, 3, 4]))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [0.0, 0.0, math.log(2), math.log(6)], rtol=1e-15, atol=0)


def test_zeta_broadcasts_and_python_scalars_keep_dtype():
    q = np.array([[1.0], [2.0]], dtype=np.float32)
    out = S.zeta(np, np.array([2.0, 3.0], dtype=np.float32), q)
    assert out.shape == (2, 2) and out.dtype == np.float32
    assert S.zeta(np, 2.0, q).dtype == np.float32


@pytest.mark.parametrize("n", [-1, 1.5, True, "2"])
def test_polygamma_rejects_bad_order(n):
    with pytest.raises(ValueError, match="polygamma"):
        S.polygamma(np, n, np.ones(3))


def test_polygamma_order_zero_is_digamma():
    x = np.array([-2.5, 0.3, 7.0])
    np.testing.assert_array_equal(S.polygamma(np, 0, x), S.digamma(np, x))


def test_complex_input_is_rejected():
    with pytest.raises(TypeError, match=r"erf\(\): complex"):
        S.erf(np, np.ones(2, dtype=np.complex128))


@pytest.mark.cuda
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gpu_matches_cpu(case):
    cp = pytest.importorskip("cupy")
    cpu = case.fn(np, case.x)
    gpu = case.fn(cp, cp.asarray(case.x)).get()
    finite = np.isfinite(cpu)
    np.testing.assert_array_equal(gpu[~finite], cpu[~finite])
    scale = np.maximum(np.abs(cpu[finite]), case.floor or 1e-300)
    assert np.max(np.abs(gpu[finite] - cpu[finite]) / scale, initial=0) <= 10 * case.rtol


def test_large_inputs_are_computed_blockwise_with_the_same_values():
    # more than two CPU blocks: the blockwise path must agree with math.erf / math.lgamma
    x = np.linspace(-6.0, 6.0, 70007)
    ref_erf = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(S.erf(np, x), ref_erf, rtol=1e-14, atol=1e-300)
    xs = x.reshape(7, 10001)[:, ::2]  # non-contiguous, 2-D
    got = S.lgamma(np, np.abs(xs) + 0.5)
    ref = np.array([[math.lgamma(abs(v) + 0.5) for v in row] for row in xs])
    assert got.shape == xs.shape
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-13)
