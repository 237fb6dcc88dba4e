"""Elementwise unary math: forward against ``xp``, backward with ember ops.

Integer and bool inputs of floating functions (``exp``, ``sin``, ``sqrt`` …) compute in the
default float dtype, as in PyTorch; ``abs``, ``neg``, ``sign``, rounding keep integer dtypes.

Example:
    >>> import ember
    >>> x = ember.tensor([0.5, 1.0], requires_grad=True)
    >>> ember.sin(x).sum().backward()
    >>> x.grad
    tensor([0.8776, 0.5403])
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as T
from .. import _host_buffers
from .._tensor import Tensor
from ..autograd.node import Node
from ._dispatch import _QUIET, _errvar, _state, record_one, xp_of
from ._unary_docs import _EXAMPLES, _PRED_EXAMPLES, _ROUND_EXAMPLES
from .comparison import where as _where

__all__ = [
    "abs", "absolute", "neg", "negative", "positive", "sign", "sgn", "signbit", "sqrt", "rsqrt",
    "square", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan",
    "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "asinh",
    "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "sigmoid", "logit", "erf", "erfc",
    "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "floor", "ceil",
    "round", "trunc", "fix", "frac", "reciprocal", "relu", "nan_to_num", "deg2rad", "rad2deg",
    "angle", "conj", "conj_physical", "real", "imag", "isnan", "isinf", "isfinite", "isposinf",
    "isneginf", "isreal", "bitwise_not", "logical_not", "special_expit",
]

_FLOAT_KINDS = "fc"


def _S():
    """The special-function kernels (numpy has no erf/lgamma/digamma)."""
    from . import _special
    return _special


def _unary(cls, input, *params, to_float=True, op=None):
    """Run unary op ``cls`` on ``input`` (computing ints in the default float dtype)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op or cls.__name__.lower()}(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    x = input._data
    if to_float and x.dtype.kind not in _FLOAT_KINDS:
        x = x.astype(T.get_default_dtype().np)
    node = cls()
    xp = np if type(x) is np.ndarray else xp_of(x)
    tok = _errvar.set(_QUIET)  # (quiet() inlined: this is a hot path)
    try:
        out = node.forward(xp, x, *params)
    finally:
        _errvar.reset(tok)
    if _state.enabled and input._rg:
        if cls.saves_input:
            node.save(input)
        return record_one(node, (input,), out)
    return Tensor._make(out)


class _U(Node):
    saves_input = True

    @property
    def x(self):
        return self.saved[0]


def _op(name, fwd, bwd, saves_input=True, saves_output=False, fast=None):
    """Build a unary op class from a forward ``fwd(xp, x)`` and backward ``bwd(self, gy)``.

    ``fast(self, g)`` (optional) is the same derivative on arrays for plain backward passes
    (see ``Node.fast``); it returns a 1-tuple.
    """
    d = {"forward": lambda self, xp, x: fwd(xp, x), "_fwd": staticmethod(fwd),
         "backward": lambda self, gy: (bwd(self, gy),),
         "saves_input": saves_input, "saves_output": saves_output}
    if fast is not None:
        d["fast"] = fast
    return type(name, (_U,), d)


def _x(s):
    """The saved input's array (version-checked), for ``fast`` formulas."""
    return s.saved[0]._data


def _abs_grad(x):
    """d|x|/dx: sign(x) for reals; for complex x/|x| built from differentiable ops (sgn's
    own derivative is not zero off the real axis), 0 at 0."""
    if x._data.dtype.kind != "c":
        return x.sgn()
    nz = x != 0
    return _where(nz, x / _where(nz, x, 1).abs(), 0)


def _conj_a(a):
    return a.conj() if a.dtype.kind == "c" else a


# NOTE: backward formulas use ember ops so that double backward works.
Neg = _op("Neg", lambda xp, x: -x, lambda s, gy: -gy, saves_input=False,
          fast=lambda s, g: (-g,))
Abs = _op("Abs", lambda xp, x: xp.abs(x), lambda s, gy: gy * _abs_grad(s.x))
Exp = _op("Exp", lambda xp, x: xp.exp(x), lambda s, gy: gy * s.output.conj(), False, True,
          fast=lambda s, g: (g * _conj_a(s.out_array()),))
Exp2 = _op("Exp2", lambda xp, x: xp.exp2(x), lambda s, gy: gy * s.output * math.log(2),
           False, True)
Expm1 = _op("Expm1", lambda xp, x: xp.expm1(x), lambda s, gy: gy * (s.output + 1), False, True)
Log = _op("Log", lambda xp, x: xp.log(x), lambda s, gy: gy / s.x.conj(),
          fast=lambda s, g: (g / _conj_a(_x(s)),))
Log2 = _op("Log2", lambda xp, x: xp.log2(x), lambda s, gy: gy / (s.x * math.log(2)))
Log10 = _op("Log10", lambda xp, x: xp.log10(x), lambda s, gy: gy / (s.x * math.log(10)))
Log1p = _op("Log1p", lambda xp, x: xp.log1p(x), lambda s, gy: gy / (s.x + 1))
Sqrt = _op("Sqrt", lambda xp, x: xp.sqrt(x), lambda s, gy: gy / (2 * s.output.conj()),
           False, True, fast=lambda s, g: (g / (2 * _conj_a(s.out_array())),))
Rsqrt = _op("Rsqrt", lambda xp, x: 1 / xp.sqrt(x),
            lambda s, gy: gy * (-0.5) * s.output ** 3, False, True)
Square = _op("Square", lambda xp, x: x * x, lambda s, gy: gy * 2 * s.x)
Sin = _op("Sin", lambda xp, x: xp.sin(x), lambda s, gy: gy * s.x.cos().conj(),
          fast=lambda s, g: (g * _conj_a(xp_of(g).cos(_x(s))),))
Cos = _op("Cos", lambda xp, x: xp.cos(x), lambda s, gy: -gy * s.x.sin().conj(),
          fast=lambda s, g: (-g * _conj_a(xp_of(g).sin(_x(s))),))
Tan = _op("Tan", lambda xp, x: xp.tan(x), lambda s, gy: gy * (1 + s.output ** 2).conj(),
          False, True)
Asin = _op("Asin", lambda xp, x: xp.arcsin(x), lambda s, gy: gy * (1 - s.x ** 2).rsqrt())
Acos = _op("Acos", lambda xp, x: xp.arccos(x), lambda s, gy: -gy * (1 - s.x ** 2).rsqrt())
Atan = _op("Atan", lambda xp, x: xp.arctan(x), lambda s, gy: gy / (1 + s.x ** 2))
Sinh = _op("Sinh", lambda xp, x: xp.sinh(x), lambda s, gy: gy * s.x.cosh())
Cosh = _op("Cosh", lambda xp, x: xp.cosh(x), lambda s, gy: gy * s.x.sinh())
Tanh = _op("Tanh", lambda xp, x: xp.tanh(x), lambda s, gy: gy * (1 - s.output ** 2).conj(),
           False, True, fast=lambda s, g: (g * _conj_a(1 - s.out_array() ** 2),))
Asinh = _op("Asinh", lambda xp, x: xp.arcsinh(x), lambda s, gy: gy * (s.x ** 2 + 1).rsqrt())
Acosh = _op("Acosh", lambda xp, x: xp.arccosh(x), lambda s, gy: gy * (s.x ** 2 - 1).rsqrt())
Atanh = _op("Atanh", lambda xp, x: xp.arctanh(x), lambda s, gy: gy / (1 - s.x ** 2))
Reciprocal = _op("Reciprocal", lambda xp, x: 1 / x, lambda s, gy: -gy * (s.output ** 2).conj(),
                 False, True)
Erf = _op("Erf", lambda xp, x: _S().erf(xp, x),
          lambda s, gy: gy * (2 / math.sqrt(math.pi)) * (-(s.x ** 2)).exp())
Erfc = _op("Erfc", lambda xp, x: _S().erfc(xp, x),
           lambda s, gy: gy * (-2 / math.sqrt(math.pi)) * (-(s.x ** 2)).exp())
Erfinv = _op("Erfinv", lambda xp, x: _S().erfinv(xp, x),
             lambda s, gy: gy * (math.sqrt(math.pi) / 2) * (s.output ** 2).exp(), False, True)
Lgamma = _op("Lgamma", lambda xp, x: _S().lgamma(xp, x), lambda s, gy: gy * s.x.digamma())
Digamma = _op("Digamma", lambda xp, x: _S().digamma(xp, x), lambda s, gy: gy * polygamma(1, s.x))
I0 = _op("I0", lambda xp, x: _S().i0(xp, x), lambda s, gy: gy * _i1(s.x))
I1 = _op("I1", lambda xp, x: _S().i1(xp, x), lambda s, gy: gy * _i1_grad(s.x))
Sigmoid = _op("Sigmoid", lambda xp, x: _sigmoid(xp, x),
              lambda s, gy: gy * (s.output * (1 - s.output)).conj(), False, True,
              fast=lambda s, g: (lambda y: (g * _conj_a(y * (1 - y)),))(s.out_array()))
Relu = _op("Relu", lambda xp, x: _relu(xp, x),
           lambda s, gy: gy * (s.output <= 0).logical_not(), False, True,
           fast=lambda s, g: (_relu_grad(g, s.out_array()),))
Sinc = _op("Sinc", lambda xp, x: xp.sinc(x), lambda s, gy: gy * _sinc_grad(s.x))
Angle = _op("Angle", lambda xp, x: _angle(xp, x), lambda s, gy: gy * 0, saves_input=False)
Conj = _op("Conj", lambda xp, x: xp.conj(x), lambda s, gy: gy.conj(), saves_input=False)
Real = _op("Real", lambda xp, x: xp.real(x), lambda s, gy: gy, saves_input=False)
Imag = _op("Imag", lambda xp, x: xp.imag(x), lambda s, gy: gy * 1j, saves_input=False)


def _relu(xp, x):
    """``max(x, 0)`` in ``x``'s dtype, into a reusable host buffer on the CPU."""
    return xp.maximum(x, x.dtype.type(0), out=_host_buffers.result(xp, x.shape, x.dtype))


def _relu_grad(g, y):
    """``g * not(y <= 0)`` (PyTorch's ``threshold_backward``: a NaN output passes the
    gradient); for numpy arrays of one shape into a reusable host buffer."""
    xp = xp_of(y)
    passes = xp.less_equal(y, 0, out=xp.empty(y.shape, dtype=bool))  # an array even if 0-d
    xp.logical_not(passes, out=passes)
    if type(g) is np.ndarray and type(y) is np.ndarray and g.shape == y.shape:
        return np.multiply(g, passes, out=_host_buffers.empty(g.shape, g.dtype))
    return g * passes


def _sigmoid(xp, x):
    if x.dtype.kind == "c":
        return 1 / (1 + xp.exp(-x))
    # NOTE: split by sign so exp never overflows: 1/(1+e^-x) for x>=0, e^x/(1+e^x) otherwise.
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _angle(xp, x):
    if x.dtype.kind == "c":
        return xp.angle(x).astype(x.real.dtype)
    # real input: pi for negatives, 0 otherwise, NaN propagated
    return xp.where(x < 0, math.pi, xp.where(xp.isnan(x), x, 0)).astype(x.dtype)


def _sinc_grad(x):
    # d/dx sin(pi x)/(pi x) = (cos(pi x) pi x - sin(pi x)) / (pi x^2); 0 at x == 0
    px = x * math.pi
    safe = _where(x != 0, x, 1.0)
    g = ((px.cos() * px - px.sin()) / (safe * safe * math.pi))
    return _where(x != 0, g, 0.0)


def _i1(x):
    """The modified Bessel function I1 (i0's derivative), differentiable for double backward."""
    return _unary(I1, x, op="i1")


def _i1_grad(x):
    # NOTE: I1'(x) = I0(x) - I1(x) / x, whose limit at x = 0 is 1/2
    safe = _where(x != 0, x, 1.0)
    return _where(x != 0, x.i0() - _i1(safe) / safe, 0.5)


class Logit(_U):
    def forward(self, xp, x, eps):
        self.eps = eps
        if eps is not None:
            x = xp.clip(x, eps, 1 - eps)
        return xp.log(x / (1 - x))

    def backward(self, gy):
        x = self.x
        g = gy / (x * (1 - x))
        if self.eps is not None:
            g = g * ((x >= self.eps) & (x <= 1 - self.eps))
        return (g,)


class Polygamma(_U):
    def forward(self, xp, x, n):
        self.n = n
        return _S().polygamma(xp, n, x)

    def backward(self, gy):
        return (gy * polygamma(self.n + 1, self.x),)


class _Piecewise(_U):
    """Rounding-like ops: zero gradient almost everywhere."""
    saves_input = False

    def backward(self, gy):
        return (gy * 0,)


class Floor(_Piecewise):
    def forward(self, xp, x):
        return xp.floor(x)


class Ceil(_Piecewise):
    def forward(self, xp, x):
        return xp.ceil(x)


class Trunc(_Piecewise):
    def forward(self, xp, x):
        return xp.trunc(x)


class Sign(_Piecewise):
    def forward(self, xp, x):
        return xp.sign(x)


class Round(_Piecewise):
    def forward(self, xp, x, decimals):
        # NOTE: half to even, like PyTorch (and numpy)
        return xp.round(x, decimals)


class Frac(_U):
    saves_input = False

    def forward(self, xp, x):
        return x - xp.trunc(x)

    def backward(self, gy):
        return (gy,)


class Sgn(_U):
    saves_input = False

    def forward(self, xp, x):
        if x.dtype.kind != "c":
            return xp.sign(x)
        a = xp.abs(x)
        return xp.where(a == 0, 0, x / xp.where(a == 0, 1, a)).astype(x.dtype)

    def backward(self, gy):
        return (gy * 0,)


class NanToNum(_U):
    def forward(self, xp, x, nan, posinf, neginf):
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, gy):
        return (gy * self.x.isfinite(),)


# ---------------------------------------------------------------------- public functions
def _keep_int(cls, input, op, *params):
    return _unary(cls, input, *params, to_float=False, op=op)


def neg(input, *, out=None):
    """``-input`` (integers wrap around: ``-uint8(1) == 255``).

    Raises:
        RuntimeError: bool input (use ``~`` / :func:`logical_not`).
    """
    if input.dtype is T.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    r = _keep_int(Neg, input, "neg")
    return r if out is None else out.copy_(r)


negative = neg


def positive(input):
    """``+input``: the input itself (PyTorch returns it too, not a copy).

    Raises:
        RuntimeError: bool input.
    """
    if input.dtype is T.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def abs(input, *, out=None):
    """``|input|`` (the modulus for complex input; gradient 0 at 0).

    Raises:
        NotImplementedError: bool input.
    """
    if input._data.dtype.kind == "b":
        raise T.not_implemented("abs", T.bool)
    r = _keep_int(Abs, input, "abs")  # complex input: the modulus, a real tensor
    return r if out is None else out.copy_(r)


absolute = abs


def sign(input, *, out=None):
    """-1, 0 or 1 by the sign of ``input`` (NaN stays NaN; bool is returned as is).

    Raises:
        NotImplementedError: complex input (use :func:`sgn`).
    """
    if input._data.dtype.kind == "c":
        raise NotImplementedError("Unlike NumPy, sign is not intended to support complex "
                                  "numbers. Please use sgn instead.")
    r = input.clone() if input._data.dtype == np.bool_ else _keep_int(Sign, input, "sign")
    return r if out is None else out.copy_(r)


def sgn(input, *, out=None):
    """``input / |input|`` for complex input (0 at 0); :func:`sign` for real input."""
    r = input.clone() if input._data.dtype == np.bool_ else _keep_int(Sgn, input, "sgn")
    return r if out is None else out.copy_(r)


def signbit(input, *, out=None):
    """Whether the sign bit is set (true for -0.0); a bool tensor.

    Raises:
        NotImplementedError: complex input.
    """
    x = input._data
    if x.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    r = Tensor._make(xp_of(x).signbit(x))
    return r if out is None else out.copy_(r)


def _no_complex(input, op):
    if isinstance(input, Tensor) and input._data.dtype.kind == "c":
        raise T.not_implemented(op, input.dtype)


def _float_op(cls, name, real_only=False):
    if real_only:
        def f(input, *, out=None):
            _no_complex(input, name)
            r = _unary(cls, input, op=name)
            return r if out is None else out.copy_(r)
    elif getattr(cls, "_fwd", None) is not None:
        fwd, saves = cls._fwd, cls.saves_input

        def f(input, *, out=None):
            # NOTE: _unary inlined for float tensors (the common case; ~0.4 us less per op)
            if type(input) is Tensor and out is None:
                x = input._data
                if x.dtype.kind in _FLOAT_KINDS:
                    tok = _errvar.set(_QUIET)
                    try:
                        y = fwd(np if type(x) is np.ndarray else xp_of(x), x)
                    finally:
                        _errvar.reset(tok)
                    if _state.enabled and input._rg:
                        node = cls()
                        if saves:
                            node.save(input)
                        return record_one(node, (input,), y)
                    return Tensor._make(y)
            r = _unary(cls, input, op=name)
            return r if out is None else out.copy_(r)
    else:
        def f(input, *, out=None):
            r = _unary(cls, input, op=name)
            return r if out is None else out.copy_(r)
    f.__name__ = name
    f.__qualname__ = name
    math_, arg, res = _EXAMPLES[name]
    f.__doc__ = (f"Elementwise ``{math_}``; integer and bool inputs compute in the default float "
                 f"dtype.\n\n    Args:\n        input (Tensor): the values.\n        out (Tensor, "
                 f"optional): written with the result.\n\n    Shape: the input's.\n"
                 + ("\n    Raises:\n        NotImplementedError: complex input.\n"
                    if real_only else "")
                 + f"\n    Example:\n        >>> import ember\n        >>> ember.{name}(ember."
                   f"tensor({arg}))\n        {res}\n")
    return f



sqrt = _float_op(Sqrt, "sqrt")
rsqrt = _float_op(Rsqrt, "rsqrt")
exp = _float_op(Exp, "exp")
exp2 = _float_op(Exp2, "exp2")
expm1 = _float_op(Expm1, "expm1")
log = _float_op(Log, "log")
log2 = _float_op(Log2, "log2")
log10 = _float_op(Log10, "log10")
log1p = _float_op(Log1p, "log1p")
sin = _float_op(Sin, "sin")
cos = _float_op(Cos, "cos")
tan = _float_op(Tan, "tan")
asin = arcsin = _float_op(Asin, "asin")
acos = arccos = _float_op(Acos, "acos")
atan = arctan = _float_op(Atan, "atan")
sinh = _float_op(Sinh, "sinh")
cosh = _float_op(Cosh, "cosh")
tanh = _float_op(Tanh, "tanh")
asinh = arcsinh = _float_op(Asinh, "asinh")
acosh = arccosh = _float_op(Acosh, "acosh")
atanh = arctanh = _float_op(Atanh, "atanh")
sigmoid = special_expit = _float_op(Sigmoid, "sigmoid")
erf = _float_op(Erf, "erf", True)
erfc = _float_op(Erfc, "erfc", True)
erfinv = _float_op(Erfinv, "erfinv", True)
lgamma = _float_op(Lgamma, "lgamma", True)
digamma = _float_op(Digamma, "digamma", True)
i0 = _float_op(I0, "i0", True)
sinc = _float_op(Sinc, "sinc")
reciprocal = _float_op(Reciprocal, "reciprocal")


def square(input, *, out=None):
    """``input * input`` (integer dtypes are kept; bool gives int64, as ``pow(input, 2)``)."""
    if input._data.dtype == np.bool_:
        input = input.to(T.int64)
    r = _keep_int(Square, input, "square")
    return r if out is None else out.copy_(r)


def relu(input):
    """``max(input, 0)`` (gradient 0 at 0).

    Raises:
        RuntimeError: bool or complex input.
    """
    if input.dtype is T.bool:
        raise RuntimeError("relu(): Boolean inputs not supported for relu")
    if input._data.dtype.kind == "c":
        raise NotImplementedError("relu(): clamp is not supported for complex types")
    return _keep_int(Relu, input, "relu")


def logit(input, eps=None, *, out=None):
    """``log(p / (1 - p))`` with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given.

    The gradient is 0 outside ``[eps, 1 - eps]`` (bounds included in the passing region).
    """
    _no_complex(input, "logit")
    r = _unary(Logit, input, eps, op="logit")
    return r if out is None else out.copy_(r)


def polygamma(n, input):
    """The ``n``-th derivative of the digamma function."""
    if not isinstance(n, int) or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got {n}")
    _no_complex(input, "polygamma")
    if n == 0:
        return digamma(input)
    return _unary(Polygamma, input, n, op="polygamma")


def mvlgamma(input, p: int, *, out=None):
    """Multivariate log-gamma of dimension ``p``:
    ``p (p - 1) / 4 * log(pi) + sum_{j<p} lgamma(input - j / 2)``.

    Like PyTorch, inputs at or below ``(p - 1) / 2`` are not refused: they give ``lgamma``'s
    values there (``inf`` at its poles).

    Raises:
        RuntimeError: ``p < 1``.
        NotImplementedError: complex input.
    """
    _no_complex(input, "mvlgamma")
    if p < 1:
        raise RuntimeError(f"mvlgamma(): p has to be greater than or equal to 1, got {p}")
    if out is not None:
        return out.copy_(mvlgamma(input, p))
    from .creation import arange
    j = arange(p, dtype=input.dtype, device=input.device)
    return (input.unsqueeze(-1) - j / 2).lgamma().sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


def _check_rounding(input, name):
    k = input._data.dtype.kind
    if k == "b":
        raise T.not_implemented(name, T.bool)
    if k == "c":
        raise NotImplementedError(f"{name} is not supported for complex inputs")


def _rounding(cls, name):
    def f(input, *, out=None):
        _check_rounding(input, name)
        if input._data.dtype.kind in "iu":
            r = input.clone()
        else:
            r = _keep_int(cls, input, name)
        return r if out is None else out.copy_(r)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Elementwise ``{name}`` (zero gradient); integer tensors are returned as a "
                 f"copy.\n\n    Raises:\n        NotImplementedError: bool or complex input."
                 f"\n\n    Example:\n        >>> import ember\n        >>> ember.{name}(ember."
                 f"tensor([-1.5, 1.5]))\n        {_ROUND_EXAMPLES[name]}\n")
    return f



floor = _rounding(Floor, "floor")
ceil = _rounding(Ceil, "ceil")
trunc = fix = _rounding(Trunc, "trunc")


def round(input, *, decimals: int = 0, out=None):
    """Round half to even, to ``decimals`` decimal places (integers only with ``decimals=0``).

    Raises:
        NotImplementedError: bool or complex input; integer input with ``decimals != 0``.
    """
    _check_rounding(input, "round")
    if input._data.dtype.kind in "iu":
        if decimals != 0:
            raise T.not_implemented("round", input.dtype)
        r = input.clone()
    else:
        r = _keep_int(Round, input, "round", decimals)
    return r if out is None else out.copy_(r)


def frac(input, *, out=None):
    """``input - trunc(input)`` (the sign of ``input``; floating input only)."""
    if input._data.dtype.kind != "f":
        raise T.not_implemented("frac", input.dtype)
    r = _keep_int(Frac, input, "frac")
    return r if out is None else out.copy_(r)


def nan_to_num(input, nan: float = 0.0, posinf=None, neginf=None, *, out=None):
    """Replace NaN, +inf, -inf by ``nan``, ``posinf`` (dtype max), ``neginf`` (dtype min)."""
    if input._data.dtype.kind not in "fc":
        r = input.clone()
        return r if out is None else out.copy_(r)
    r = _keep_int(NanToNum, input, "nan_to_num", nan, posinf, neginf)
    return r if out is None else out.copy_(r)


def deg2rad(input):
    """Degrees to radians, ``input * pi / 180`` (integers give the default float dtype)."""
    if input._data.dtype.kind == "c":
        raise RuntimeError("deg2rad is not supported for complex tensors.")
    return input * (math.pi / 180)


def rad2deg(input):
    """Radians to degrees, ``input * 180 / pi`` (integers give the default float dtype)."""
    if input._data.dtype.kind == "c":
        raise RuntimeError("rad2deg is not supported for complex tensors.")
    return input * (180 / math.pi)


def angle(input):
    """The argument of complex numbers (0 or pi for reals)."""
    return _unary(Angle, input)


def conj(input):
    """Complex conjugate (a copy in ember; real tensors are returned as is)."""
    if input._data.dtype.kind != "c":
        return input
    return _keep_int(Conj, input, "conj")


conj_physical = conj


def real(input):
    """The real part of complex input (a copy in ember); real tensors are returned as is."""
    if input._data.dtype.kind != "c":
        return input
    return _keep_int(Real, input, "real")


def imag(input):
    """The imaginary part of complex input (a copy in ember).

    Raises:
        RuntimeError: non-complex input.
    """
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _keep_int(Imag, input, "imag")


def _complex_unsupported(name, x):
    if x.dtype.kind == "c":
        raise RuntimeError(f"{name} does not support complex inputs.")
    return np.zeros(x.shape, bool) if type(x) is np.ndarray else xp_of(x).zeros(x.shape, bool)


def _predicate(fn, name):
    def f(input):
        x = input._data
        return Tensor._make(fn(xp_of(x), x))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Elementwise ``{name}``: a bool tensor of the input's shape.\n\n    Example:"
                 f"\n        >>> import ember, math\n        >>> ember.{name}(ember.tensor("
                 f"[1.0, math.nan, math.inf]))\n        {_PRED_EXAMPLES[name]}\n")
    return f



isnan = _predicate(lambda xp, x: xp.isnan(x) if x.dtype.kind in "fc" else xp.zeros(x.shape, bool),
                   "isnan")
isinf = _predicate(lambda xp, x: xp.isinf(x) if x.dtype.kind in "fc" else xp.zeros(x.shape, bool),
                   "isinf")
isfinite = _predicate(lambda xp, x: xp.isfinite(x) if x.dtype.kind in "fc"
                      else xp.ones(x.shape, bool), "isfinite")
isposinf = _predicate(lambda xp, x: xp.isposinf(x) if x.dtype.kind == "f"
                      else _complex_unsupported("isposinf", x), "isposinf")
isneginf = _predicate(lambda xp, x: xp.isneginf(x) if x.dtype.kind == "f"
                      else _complex_unsupported("isneginf", x), "isneginf")
isreal = _predicate(lambda xp, x: xp.imag(x) == 0 if x.dtype.kind == "c"
                    else xp.ones(x.shape, bool), "isreal")
logical_not = _predicate(lambda xp, x: xp.logical_not(x), "logical_not")


def bitwise_not(input, *, out=None):
    """Bitwise NOT of an integer tensor (logical NOT for bool).

    Raises:
        NotImplementedError: floating or complex input.
    """
    x = input._data
    if x.dtype.kind not in "iub":
        raise T.not_implemented("bitwise_not", input.dtype)
    r = Tensor._make(xp_of(x).invert(x))
    return r if out is None else out.copy_(r)
