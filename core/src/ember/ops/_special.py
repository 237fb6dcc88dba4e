"""Special functions on arrays: erf family, gamma family, Bessel I0/I1, normal CDF, Hurwitz zeta.

Every function takes the array module first, ``f(xp, x)``, so one code path serves numpy and
cupy. Inputs are real arrays (float16/32/64; ints and bools compute as float64); the work is done
in float64 and the result is cast back to the input dtype, so a float32 result is the float64
result rounded once. Branches are ``xp.where`` over masks and series are fixed-length Horner
loops: no per-element Python. Floating-point warnings are silenced inside (every inf/NaN that
escapes is the intended value).

Methods (float64 relative error against mpmath, see tests/core/ops/test_special.py):

* ``erf``, ``erfc``, ``erfcx``: W. J. Cody's rational Chebyshev approximations (Math. Comp. 23,
  1969) on [0, 0.46875], [0.46875, 4] and (4, inf); beyond 0.46875, erfc(y) = exp(-y^2) erfcx(y)
  with erfcx(y) = exp(y^2) erfc(y) from the rational, so the tails keep full relative accuracy.
* ``erfinv``: Giles (2010) single-precision guess, then two Halley steps on erf (|x| < 1/2) or on
  log erfc(y) - log(1 - |x|) (|x| >= 1/2; 1 - |x| is exact there).
* ``lgamma``: Taylor series of lgamma(1 + z) (coefficients zeta(k)) and of lgamma(2 + z)
  (zeta(k) - 1) around the zeros at 1 and 2, reached by lgamma(x) = lgamma(x + 1) - log x
  below 3/4 and by downward recurrence up to 8; Stirling's series from 8; reflection for x < 0.
* ``digamma``: recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series;
  a Taylor series around the positive root x0 = 1.4616...; reflection for x < 0.
* ``zeta`` (Hurwitz) by Euler-Maclaurin: 10 direct terms, then the integral, the half term and
  12 Bernoulli corrections; ``polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x)``.
* ``i0``, ``i0e``, ``i1``, ``i1e``: power series in (x/2)^2 for |x| <= 25, Hankel's asymptotic
  expansion above.
* ``ndtr``, ``log_ndtr``, ``ndtri``: the standard normal CDF, its log and inverse, built on the
  above with care in the tails.

Example:
    >>> import numpy as np
    >>> from ember.ops import _special as S
    >>> print(S.erfc(np, np.array([0.0, 10.0])), S.lgamma(np, np.array([0.5, -0.5])))
    [1.00000000e+00 2.08848758e-45] [0.57236494 1.26551212]
    >>> S.log_ndtr(np, np.float32(-40.0))
    array(-804.60846, dtype=float32)
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

import numpy as np

__all__ = [
    "erf", "erfc", "erfcx", "erfinv", "lgamma", "digamma", "polygamma", "zeta",
    "i0", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr",
]

_INF, _NAN = math.inf, math.nan
_SQRT_PI = math.sqrt(math.pi)
_EULER = 0.5772156649015329
# Bernoulli numbers B_2 .. B_26 (exact).
_BERN = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
         Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
         Fraction(-174611, 330), Fraction(854513, 138), Fraction(-236364091, 2730),
         Fraction(8553103, 6)]


def _horner(coefs, t):
    """sum(coefs[k] * t**k) with ``coefs`` in increasing order (Python floats)."""
    r = coefs[-1]
    for c in reversed(coefs[:-1]):
        r = r * t + c
    return r


def _prep(xp, x, name):
    x = xp.asarray(x)
    if x.dtype.kind == "c":
        raise TypeError(f"{name}(): complex input is not supported, got dtype {x.dtype}")
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    return x.astype(np.float64, copy=False), dtype


_CHUNK = 16384  # elements per block on the CPU: the ~60 passes of a kernel stay in cache


def _run(xp, core, x, name):
    x64, dtype = _prep(xp, x, name)
    with np.errstate(all="ignore"):  # cupy never warns; numpy's masked-out lanes may
        if xp is np and x64.size > 2 * _CHUNK:
            # NOTE: the kernels are elementwise, so blocks give identical results; a loop over
            # blocks (not elements) runs ~10x faster than whole-array passes on large inputs
            flat = np.ascontiguousarray(x64).reshape(-1)
            out = np.empty(flat.shape, dtype)
            for i in range(0, flat.size, _CHUNK):
                out[i:i + _CHUNK] = core(xp, flat[i:i + _CHUNK])
            return out.reshape(x64.shape)
        return xp.asarray(core(xp, x64), dtype=dtype)


# ---------------------------------------------------------------------------------------------
# erf family (Cody 1969)
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SPLIT = 0.46875


def _erf_small(x):
    """erf for |x| <= 0.46875: x * R(x^2), odd, full relative accuracy down to subnormals."""
    z = x * x
    num = (((_A[4] * z + _A[0]) * z + _A[1]) * z + _A[2]) * z + _A[3]
    den = (((z + _B[0]) * z + _B[1]) * z + _B[2]) * z + _B[3]
    return x * num / den


def _erfcx_pos(xp, y):
    """exp(y^2) erfc(y) for y >= 0 (inf -> 0, NaN -> NaN)."""
    ys = xp.minimum(y, _SPLIT)  # NOTE: clamp so the unused branches cannot overflow
    small = xp.exp(ys * ys) * (1 - _erf_small(ys))
    ym = xp.minimum(y, 4.0)
    num, den = _C[8] * ym, ym
    for i in range(7):
        num, den = (num + _C[i]) * ym, (den + _D[i]) * ym
    mid = (num + _C[7]) / (den + _D[7])
    yb = xp.maximum(y, 4.0)
    z = 1 / (yb * yb)
    num, den = _P[5] * z, z
    for i in range(4):
        num, den = (num + _P[i]) * z, (den + _Q[i]) * z
    big = (1 / _SQRT_PI - z * (num + _P[4]) / (den + _Q[4])) / yb
    return xp.where(y < _SPLIT, small, xp.where(y <= 4.0, mid, big))


def _exp_neg_sq(xp, y, scale=1.0):
    """exp(-scale * y^2) for y >= 0 with y^2 split as hi^2 + (y - hi)(y + hi).

    NOTE: hi = trunc(16 y)/16 makes hi^2 exact, so rounding y^2 (relative error 1e-16 on a
    number of size ~700) cannot cost 1e-13 relative in the tail; Cody's trick.
    """
    y = xp.minimum(y, 40.0)  # exp(-1600 * scale) underflows anyway; keeps inf out
    hi = xp.trunc(16 * y) / 16
    return xp.exp(-scale * hi * hi) * xp.exp(-scale * (y - hi) * (y + hi))


def _erfc_pos(xp, y):
    """erfc(y) for y >= 0.46875-ish (used where the result is < ~0.5)."""
    return _exp_neg_sq(xp, y) * _erfcx_pos(xp, y)


def _erf(xp, x):
    y = xp.abs(x)
    return xp.where(y < _SPLIT, _erf_small(x), xp.copysign(1 - _erfc_pos(xp, y), x))


def _erfc(xp, x):
    y = xp.abs(x)
    t = _erfc_pos(xp, y)
    return xp.where(y < _SPLIT, 1 - _erf_small(x), xp.where(x < 0, 2 - t, t))


def _erfcx(xp, x):
    y = xp.abs(x)
    pos = _erfcx_pos(xp, y)
    # NOTE: erfcx(-y) = 2 exp(y^2) - erfcx(y); overflows to inf for y > 26.6 as it should
    return xp.where(x < 0, 2 * _exp_neg_sq(xp, y, -1.0) - pos, pos)


def erf(xp, x):
    """Error function, erf(x) = 2/sqrt(pi) * int_0^x exp(-t^2) dt; erf(+-inf) = +-1."""
    return _run(xp, _erf, x, "erf")


def erfc(xp, x):
    """Complementary error function 1 - erf(x), accurate in the right tail (erfc(10) ~ 2.1e-45)."""
    return _run(xp, _erfc, x, "erfc")


def erfcx(xp, x):
    """Scaled complementary error function exp(x^2) * erfc(x)."""
    return _run(xp, _erfcx, x, "erfcx")


def _giles(xp, x, w):
    """Giles (2010) single-precision erfinv(x), w = -log((1 - x)(1 + x)) given separately."""
    c = _horner((1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087,
                 -4.39150654e-06, -3.5233877e-06, 3.43273939e-07, 2.81022636e-08), w - 2.5)
    t = _horner((2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773,
                 -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257),
                xp.sqrt(w) - 3)
    return xp.where(w < 5, c, t) * x


def _erfcinv_tail(xp, c):
    """y with erfc(y) = c for 0 < c <= 1/2 (so y >= 0.4769)."""
    w = -xp.log(c * (2 - c))
    lc = xp.log(c)
    # NOTE: Giles's tail polynomial is fitted for w <= ~17 (float32); further out the
    # asymptotic y^2 = -log c - log(sqrt(pi) y) is the better start.
    y = _giles(xp, 1 - c, w)
    ya = xp.sqrt(-lc)
    for _ in range(3):
        ya = xp.sqrt(xp.maximum(-lc - xp.log(_SQRT_PI * ya), 0.25))
    y = xp.where(w < 16, y, ya)
    # NOTE: Halley on g(y) = log erfc(y) - log c = log erfcx(y) - y^2 - log c: no underflow
    # for c down to 5e-324, and g'' = -g' (g' + 2y) comes for free.
    for _ in range(2):
        ex = _erfcx_pos(xp, y)
        g = xp.log(ex) - y * y - lc
        gp = -2 / (_SQRT_PI * ex)
        d = g / gp
        y = y - d / (1 + 0.5 * d * (gp + 2 * y))
    return y


def _erfinv(xp, x):
    a = xp.abs(x)
    ac = xp.minimum(a, 0.5)
    y = _giles(xp, ac, -xp.log1p(-ac * ac))
    for _ in range(2):  # Halley on erf(y) - a: step f / (f' + y f), f' = 2/sqrt(pi) exp(-y^2)
        f = _erf(xp, y) - ac
        y = y - f / (2 / _SQRT_PI * xp.exp(-y * y) + y * f)
    # NOTE: for |x| >= 1/2, 1 - |x| is exact (Sterbenz), so invert erfc there instead.
    c = xp.where((a >= 0.5) & (a < 1), 1 - a, 0.5)
    y = xp.where(a < 0.5, y, _erfcinv_tail(xp, c))
    y = xp.where(a == 1, _INF, xp.where(a < 1, y, _NAN))  # NaN stays NaN
    return xp.copysign(y, x)


def erfinv(xp, x):
    """Inverse error function on [-1, 1]; erfinv(+-1) = +-inf, NaN outside."""
    return _run(xp, _erfinv, x, "erfinv")


# ---------------------------------------------------------------------------------------------
# Hurwitz zeta (Euler-Maclaurin)
_EM = [float(b / math.factorial(2 * j + 2)) for j, b in enumerate(_BERN[:12])]


def _hurwitz(xp, s, q):
    """zeta(s, q) = sum_k (q + k)^-s for s > 1, q > 0 (arrays, broadcast)."""
    n = 10
    a = q + n
    fac = s * a ** (-s - 1)
    ia2 = 1 / (a * a)
    tail = 0.0
    for j, e in enumerate(_EM):  # B_2j/(2j)! * s (s+1) .. (s+2j-2) * a^(1-s-2j)
        tail = tail + e * fac
        fac = fac * (s + 2 * j + 1) * (s + 2 * j + 2) * ia2
    r = tail + a ** (1 - s) / (s - 1) + 0.5 * a ** -s
    for k in range(n - 1, -1, -1):  # smallest terms first
        r = r + (q + k) ** -s
    return r


def _cotpi(xp, x):
    """cot(pi x) on the exact reduction r = x - round(x), |r| <= 1/2 (inf at integers).

    NOTE: tan is ill-conditioned near pi/2, so for |r| > 1/4 use sign(r) tan(pi (1/2 - |r|))
    with 1/2 - |r| exact; plain 1/tan(pi x) loses ~1e-13 there and all digits for huge x.
    """
    r = x - xp.round(x)
    ar = xp.abs(r)
    return xp.where(ar <= 0.25, 1 / xp.tan(math.pi * r),
                    xp.copysign(xp.tan(math.pi * (0.5 - ar)), r))


@cache
def _cot_poly(n):
    """Integer coefficients of P_n with d^n/dx^n cot(pi x) = pi^n P_n(cot(pi x))."""
    p = [0, 1]
    for _ in range(n):  # P' (c) times dc/dx = -pi (1 + c^2)
        d = [i * p[i] for i in range(1, len(p))] + [0, 0]
        p = [-(d[i] + (d[i - 2] if i >= 2 else 0)) for i in range(len(d))]
    return tuple(p)


def _zeta_int(xp, s, q):
    """zeta(s, q) for a Python int s >= 2 and any q (inf at non-positive integers).

    NOTE: for q < 0 the sum sum_k (q + k)^-s still converges (s integer); it is computed by the
    polygamma reflection zeta(s, q) = (-1)^(s+1) [pi^s P_(s-1)(cot pi q) / (s-1)! + zeta(s, 1-q)],
    which avoids summing ~|q| terms. Accuracy there is absolute, not relative, near zeros.
    """
    pos = q > 0
    r = _hurwitz(xp, float(s), xp.where(pos, q, 1 - q))
    p = [float(v) if abs(v) < 2 ** 1023 else math.copysign(_INF, v) for v in _cot_poly(s - 1)]
    refl = math.pi ** s / math.factorial(s - 1) * _horner(p, _cotpi(xp, q))
    neg = (-1) ** (s + 1) * (refl + r)
    r = xp.where(pos, r, xp.where(xp.floor(q) == q, _INF, neg))
    return xp.where(xp.isinf(q), xp.where(q > 0, 0.0, _NAN), r)


def zeta(xp, x, q):
    """Hurwitz zeta function zeta(x, q) = sum_{k>=0} (q + k)^-x, as ``torch.special.zeta``.

    x == 1 gives inf, x < 1 NaN; q a non-positive integer gives inf; q < 0 (non-integer) is
    defined for integer x only (NaN otherwise); q = inf gives 0.
    """
    s, ds = _prep(xp, x, "zeta")
    q0, (q, dq) = q, _prep(xp, q, "zeta")
    # Python numbers do not widen the result (as with PyTorch's scalars)
    dtype = np.result_type(*[d for v, d in ((x, ds), (q0, dq)) if not isinstance(v, (int, float))]
                           or [np.float64])
    s, q = xp.broadcast_arrays(s, q)
    with np.errstate(all="ignore"):
        r = _hurwitz(xp, xp.where(s > 1, s, 2.0), xp.where(q > 0, q, 1.0))
        r = xp.where(xp.isinf(s), xp.where(q > 1, 0.0, xp.where(q == 1, 1.0, _INF)), r)
        r = xp.where(xp.isinf(q) & (q > 0), 0.0, r)
        r = xp.where(q <= 0, xp.where(xp.floor(q) == q, _INF, _NAN), r)
        neg = (q < 0) & (xp.floor(q) != q) & (xp.floor(s) == s) & (s > 1) & ~xp.isinf(s)
        if bool(neg.any()):  # rare: one pass per distinct integer order (host sync on cupy)
            for sv in {int(v) for v in xp.unique(s[neg]).tolist()}:
                m = neg & (s == sv)
                r = xp.where(m, _zeta_int(xp, sv, xp.where(m, q, -0.5)), r)
        r = xp.where(s == 1, _INF, xp.where(s < 1, _NAN, r))
        r = xp.where(xp.isnan(s) | xp.isnan(q), _NAN, r)
        return xp.asarray(r, dtype=dtype)


# ---------------------------------------------------------------------------------------------
# gamma family
_ZETA_K = _hurwitz(np, np.arange(2.0, 42.0), np.ones(40)).tolist()  # zeta(k), k = 2 .. 41
_ZETA_K2 = _hurwitz(np, np.arange(2.0, 42.0), np.full(40, 2.0)).tolist()  # zeta(k) - 1
# lgamma(1 + z) = -gamma z + sum_k>=2 (-1)^k zeta(k) z^k / k         (|z| < 1)
_LG1 = [0.0, -_EULER] + [(-1) ** k * _ZETA_K[k - 2] / k for k in range(2, 42)]
# lgamma(2 + z) = (1 - gamma) z + sum_k>=2 (-1)^k (zeta(k) - 1) z^k / k   (|z| < 2)
_LG2 = [0.0, 1 - _EULER] + [(-1) ** k * _ZETA_K2[k - 2] / k for k in range(2, 42)]
# Stirling: lgamma(x) ~ (x - 1/2) log x - x + log(2 pi)/2 + sum B_2k / (2k (2k-1) x^(2k-1))
_STIRLING = [float(b / (2 * k * (2 * k - 1))) for k, b in enumerate(_BERN[:8], 1)]


def _lgamma_pos(xp, x):
    """log Gamma(x) for x > 0 (and +inf)."""
    # NOTE: near the zeros at 1 and 2 only the Taylor series keep relative accuracy; x - 1 and
    # x - 2 are exact there (Sterbenz).
    s1 = _horner(_LG1, xp.where(x < 0.25, x, x - 1))  # lgamma(1 + z), |z| <= 0.25
    s2 = _horner(_LG2, x - 2)  # lgamma(2 + z), |z| <= 0.75
    s3 = _horner(_LG2, x - 1) - xp.log(x)  # lgamma(x + 1) - log x, |x - 1| <= 0.75
    # NOTE: 2.75 <= x < 8 recurs *down* into the lgamma(2 + z) series: x - k is exact and
    # log(prod) + series adds two positive-ish terms, where shifting up to Stirling would
    # subtract two numbers ~10 to get ~0.5.
    xs, prod = xp.minimum(x, 8.0), 1.0
    for _ in range(6):
        high = xs >= 2.75
        prod = xp.where(high, prod * (xs - 1), prod)
        xs = xp.where(high, xs - 1, xs)
    s4 = xp.log(prod) + _horner(_LG2, xs - 2)
    xb = xp.maximum(x, 8.0)  # Stirling: 8 terms reach 1e-17 for x >= 8
    st = (xb - 0.5) * xp.log(xb) - xb + 0.5 * math.log(2 * math.pi) + _horner(
        _STIRLING, 1 / (xb * xb)) / xb
    st = xp.where(xp.isinf(xb), _INF, st)
    return xp.where(x < 0.25, s1 - xp.log(x), xp.where(x < 0.75, s3, xp.where(
        x < 1.25, s1, xp.where(x < 2.75, s2, xp.where(x < 8, s4, st)))))


def _sinpi_abs(xp, x):
    """|sin(pi x)| with exact argument reduction (x - round(x) is exact)."""
    return xp.abs(xp.sin(math.pi * (x - xp.round(x))))


def _lgamma(xp, x):
    pos = _lgamma_pos(xp, xp.where(x > 0, x, 1 - x))
    # NOTE: reflection Gamma(x) Gamma(1 - x) = pi / sin(pi x); |sin| computed on x - round(x)
    # so huge |x| loses nothing; near the negative zeros accuracy is absolute, not relative.
    refl = math.log(math.pi) - xp.log(_sinpi_abs(xp, x)) - pos
    neg = xp.where((xp.floor(x) == x) | xp.isinf(x), _INF, refl)
    return xp.where(x > 0, pos, xp.where(x == 0, _INF, neg))


def lgamma(xp, x):
    """log|Gamma(x)| for real x; +inf at the poles 0, -1, -2, ... and at +-inf."""
    return _run(xp, _lgamma, x, "lgamma")


_X0 = 1.4616321449683622  # positive root of digamma, rounded
_PSI_X0 = -9.2412655217294275e-17  # psi(_X0)
# psi(x0 + h) = psi(x0) + sum_k>=1 (-1)^(k+1) zeta(k+1, x0) h^k   (|h| < x0)
_PSI_ROOT = [_PSI_X0] + [(-1) ** (k + 1) * v for k, v in enumerate(
    _hurwitz(np, np.arange(2.0, 38.0), np.full(36, _X0)).tolist(), 1)]
_PSI_ASYM = [float(b / (2 * k)) for k, b in enumerate(_BERN[:8], 1)]  # B_2k / 2k


def _digamma_pos(xp, x):
    acc, xs = 0.0, x
    for _ in range(10):  # psi(x) = psi(x + 1) - 1/x until x >= 10
        low = xs < 10
        acc = acc + xp.where(low, 1 / xs, 0.0)
        xs = xp.where(low, xs + 1, xs)
    z = 1 / (xs * xs)
    r = xp.log(xs) - 0.5 / xs - z * _horner(_PSI_ASYM, z) - acc
    h = x - _X0
    # NOTE: near the root the recurrence cancels to absolute accuracy only; the Taylor series
    # (radius x0, used for |h| < 0.4) keeps relative accuracy.
    return xp.where(xp.abs(h) < 0.4, _horner(_PSI_ROOT, h), r)


def _digamma(xp, x):
    pos = _digamma_pos(xp, xp.where(x > 0, x, 1 - x))
    # NOTE: reflection psi(x) = psi(1 - x) - pi cot(pi x), cot on the exact x - round(x);
    # PyTorch's values at the poles: psi(+-0) = -+inf, psi(-n) = NaN, psi(-inf) = NaN.
    neg = xp.where(xp.floor(x) == x, _NAN, pos - math.pi * _cotpi(xp, x))
    r = xp.where(x > 0, pos, neg)
    return xp.where(x == 0, xp.copysign(_INF, -x), r)


def digamma(xp, x):
    """Digamma psi(x) = d/dx log Gamma(x), with PyTorch's values at 0 and negative integers."""
    return _run(xp, _digamma, x, "digamma")


def polygamma(xp, n, x):
    """n-th derivative of digamma, psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for integer n >= 0.

    For x > 0 this is accurate to ~1e-15 relative. For negative non-integer x the reflection of
    ``zeta`` is used (exact in value, absolute accuracy near sign changes); at the poles
    0, -1, -2, ... the result is (-1)^(n+1) inf (PyTorch returns a large finite number there
    for n == 1); polygamma(n, -inf) is NaN, polygamma(n, inf) is 0. n == 0 is ``digamma``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"polygamma(): n must be a non-negative integer, got {n!r}")
    n = int(n)
    if n == 0:
        return digamma(xp, x)
    scale = (-1) ** (n + 1) * (float(math.factorial(n)) if n <= 170 else _INF)
    return _run(xp, lambda xp, x: scale * _zeta_int(xp, n + 1, x), x, "polygamma")


# ---------------------------------------------------------------------------------------------
# modified Bessel functions of the first kind, orders 0 and 1
_BESSEL_SWITCH = 25.0
_I0_SER = [float(Fraction(1, math.factorial(k) ** 2)) for k in range(48)]
_I1_SER = [float(Fraction(1, math.factorial(k) * math.factorial(k + 1))) for k in range(48)]


def _hankel(nu, terms=30):
    """Coefficients of I_nu(x) ~ e^x / sqrt(2 pi x) * sum_k c_k x^-k (DLMF 10.40.1)."""
    c, a = [], Fraction(1)
    for k in range(terms):
        c.append(float(a))
        a = -a * (4 * nu * nu - (2 * k + 1) ** 2) / ((k + 1) * 8)
    return c


_I0_ASY, _I1_ASY = _hankel(0), _hankel(1)


def _bessel_scaled(xp, ax, ser, asy, odd):
    """exp(-ax) I_nu(ax) for ax >= 0: series below the switch, Hankel expansion above."""
    xs = xp.minimum(ax, _BESSEL_SWITCH)
    s = _horner(ser, 0.25 * xs * xs) * (0.5 * xs if odd else 1.0) * xp.exp(-xs)
    xb = xp.maximum(ax, _BESSEL_SWITCH)
    b = _horner(asy, 1 / xb) / (math.sqrt(2 * math.pi) * xp.sqrt(xb))  # 2 pi x may overflow
    return xp.where(ax <= _BESSEL_SWITCH, s, b)


def _bessel(xp, x, ser, asy, odd, scaled):
    ax = xp.abs(x)
    e = _bessel_scaled(xp, ax, ser, asy, odd)
    if not scaled:
        xs = xp.minimum(ax, _BESSEL_SWITCH)
        small = _horner(ser, 0.25 * xs * xs) * (0.5 * xs if odd else 1.0)
        # NOTE: e^x in two halves so I0(710) ~ 3e306 does not overflow through e^710
        h = xp.exp(0.5 * ax)
        e = xp.where(ax <= _BESSEL_SWITCH, small, xp.where(xp.isinf(ax), _INF, (e * h) * h))
    return xp.copysign(e, x) if odd else e


def i0(xp, x):
    """Modified Bessel function of the first kind, order 0."""
    return _run(xp, lambda xp, x: _bessel(xp, x, _I0_SER, _I0_ASY, False, False), x, "i0")


def i0e(xp, x):
    """Exponentially scaled I0: exp(-|x|) * i0(x)."""
    return _run(xp, lambda xp, x: _bessel(xp, x, _I0_SER, _I0_ASY, False, True), x, "i0e")


def i1(xp, x):
    """Modified Bessel function of the first kind, order 1 (odd)."""
    return _run(xp, lambda xp, x: _bessel(xp, x, _I1_SER, _I1_ASY, True, False), x, "i1")


def i1e(xp, x):
    """Exponentially scaled I1: exp(-|x|) * i1(x)."""
    return _run(xp, lambda xp, x: _bessel(xp, x, _I1_SER, _I1_ASY, True, True), x, "i1e")


# ---------------------------------------------------------------------------------------------
# standard normal distribution
def _ndtr_left(xp, x):
    """Phi(x) for x <= -1: exp(-x^2/2) erfcx(-x/sqrt 2) / 2.

    NOTE: erfc(-x/sqrt 2) would amplify the rounding of x/sqrt 2 by 2 t^2 (1e-13 at x = -37);
    taking exp(-x^2/2) from x itself keeps the far tail at full relative accuracy.
    """
    y = -xp.minimum(x, -1.0)
    return 0.5 * _exp_neg_sq(xp, y, 0.5) * _erfcx_pos(xp, y / math.sqrt(2))


def _ndtr(xp, x):
    mid = 0.5 * _erfc(xp, -x / math.sqrt(2))
    return xp.where(x < -1, _ndtr_left(xp, x), mid)


def _log_ndtr(xp, x):
    y = -xp.minimum(x, -1.0)
    # NOTE: left tail log Phi(x) = log(erfcx(-x/sqrt 2) / 2) - x^2/2: no underflow at all
    # (log_ndtr(-40) = -804.608...); right of 0, log1p(-Phi(-x)) keeps the tiny negatives.
    left = xp.log(0.5 * _erfcx_pos(xp, y / math.sqrt(2))) - 0.5 * y * y
    right = xp.log1p(-_ndtr(xp, -xp.maximum(x, 0.0))) + 0.0  # + 0.0: log_ndtr(inf) = +0
    return xp.where(x < -1, left, xp.where(x > 0, right, xp.log(_ndtr(xp, x))))


def _ndtri(xp, p):
    # NOTE: 2p - 1 is exact for p in [1/4, 3/4] (Sterbenz) -> erfinv; in the tails use erfc^-1
    # of 2p or 2(1 - p) (exact for p >= 1/2), so ndtri(1e-300) keeps full relative accuracy.
    q = xp.where(p < 0.5, p, 1 - p)
    mid = math.sqrt(2) * _erfinv(xp, xp.where((p > 0.25) & (p < 0.75), 2 * p - 1, 0.0))
    tail = math.sqrt(2) * _erfcinv_tail(xp, xp.where((q > 0) & (q <= 0.25), 2 * q, 0.5))
    r = xp.where((p > 0.25) & (p < 0.75), mid, xp.where(p < 0.5, -tail, tail))
    r = xp.where(p == 0, -_INF, xp.where(p == 1, _INF, r))
    return xp.where((p >= 0) & (p <= 1), r, _NAN)  # NaN stays NaN


def ndtr(xp, x):
    """Standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2."""
    return _run(xp, _ndtr, x, "ndtr")


def log_ndtr(xp, x):
    """log Phi(x), accurate in both tails (log_ndtr(-40) = -804.608...)."""
    return _run(xp, _log_ndtr, x, "log_ndtr")


def ndtri(xp, p):
    """Inverse of the standard normal CDF on [0, 1]; -inf / inf at 0 / 1, NaN outside."""
    return _run(xp, _ndtri, p, "ndtri")
