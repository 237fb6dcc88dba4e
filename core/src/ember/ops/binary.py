"""Elementwise binary arithmetic with broadcasting and PyTorch's type promotion.

Gradients come back in the broadcast shape; the engine sums them to each input's shape.
``/`` is true division (ints give the default float dtype), ``//`` floors, ``%`` takes the
divisor's sign (Python's rule) and ``fmod`` the dividend's.

Example:
    >>> import ember
    >>> ember.tensor([1, 2]) / 2
    tensor([0.5000, 1.0000])
    >>> ember.tensor([-7, 7]) // 2
    tensor([-4,  3])
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as T
from .._tensor import Tensor
from ..autograd.node import Node
from ._dispatch import _state, binary_operands, float_dtype, loud, quiet, wrap, xp_of

__all__ = [
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
    "floor_divide", "remainder", "fmod", "pow", "float_power", "atan2", "arctan2", "hypot",
    "logaddexp", "logaddexp2", "xlogy", "special_xlog1py", "maximum", "minimum", "fmax", "fmin",
    "copysign", "nextafter", "ldexp", "lerp", "addcmul", "addcdiv", "heaviside", "gcd", "lcm",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
    "square_", "binary",
]


class _B(Node):
    """A binary op; ``self.a``/``self.b`` are the operands (tensor, or the Python scalar)."""

    saves_inputs = True

    def operands(self):
        ta, tb = self.saved
        return (ta if ta is not None else self.sa), (tb if tb is not None else self.sb)

    def needs(self, i: int) -> bool:
        return self.next_functions[i][0] is not None


def binary(cls, a, b, op: str, to_float: bool = False, out_dtype=None):
    """Run binary op ``cls`` on tensors/scalars ``a``, ``b`` and record it when needed."""
    ta, tb, x, y, dt = binary_operands(op, a, b)
    if to_float and dt._kind < 2:
        f = float_dtype(dt).np
        x = x.astype(f) if ta is not None else x
        y = y.astype(f) if tb is not None else y
    node = cls()
    xp = np if type(x) is np.ndarray or type(y) is np.ndarray else xp_of(
        x if ta is not None else y)
    tok = quiet()
    try:
        out = node.forward(xp, x, y)
    finally:
        loud(tok)
    if type(out) is not np.ndarray and isinstance(out, np.generic):
        out = np.asarray(out)
    if _state.enabled and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        if cls.saves_inputs:
            node.save(ta, tb)
            node.sa = a if ta is None else None
            node.sb = b if tb is None else None
        return wrap(node, (ta, tb), out)
    return Tensor._make(out)


class Add(_B):
    saves_inputs = False

    def forward(self, xp, x, y):
        return x + y

    def backward(self, gy):
        return gy, gy


class Sub(_B):
    saves_inputs = False

    def forward(self, xp, x, y):
        return x - y

    def backward(self, gy):
        return gy, -gy


class Mul(_B):
    def forward(self, xp, x, y):
        return x * y

    def backward(self, gy):
        a, b = self.operands()
        ga = gy * _conj(b) if self.needs(0) else None
        gb = gy * _conj(a) if self.needs(1) else None
        return ga, gb


class Div(_B):
    def forward(self, xp, x, y):
        return x / y

    def backward(self, gy):
        a, b = self.operands()
        ga = gy / _conj(b) if self.needs(0) else None
        gb = -gy * _conj(a) / _conj(b * b) if self.needs(1) else None
        return ga, gb


class Pow(_B):
    def forward(self, xp, x, y):
        return x ** y

    def backward(self, gy):
        a, b = self.operands()
        ga = gb = None
        if self.needs(0):
            if isinstance(b, (int, float)) and not isinstance(b, bool):
                # NOTE: d/dx x^0 = 0 everywhere (also at x = 0, where 0 * x^-1 would be nan)
                ga = gy * 0 if b == 0 else gy * b * a ** (b - 1)
            else:
                ga = gy * b * (a ** (b - 1)).where(b != 0, 0.0)
        if self.needs(1):
            # NOTE: d/dy x^y = x^y log x, taken as 0 where x == 0 and y >= 0 (PyTorch's choice)
            r = a ** b
            la = a.log() if isinstance(a, Tensor) else math.log(a) if a > 0 else float("nan")
            g = gy * r * la
            if isinstance(a, Tensor):
                g = g.where((a != 0) | (b < 0), 0.0)
            elif a == 0:
                g = (gy * 0).where(b >= 0, float("nan"))
            gb = g
        return ga, gb


class Atan2(_B):
    def forward(self, xp, x, y):
        return xp.arctan2(x, y)

    def backward(self, gy):
        a, b = self.operands()
        d = a * a + b * b
        return (gy * b / d if self.needs(0) else None, -gy * a / d if self.needs(1) else None)


class Hypot(_B):
    saves_output = True

    def forward(self, xp, x, y):
        return xp.hypot(x, y)

    def backward(self, gy):
        a, b = self.operands()
        h = self.output
        return (gy * a / h if self.needs(0) else None, gy * b / h if self.needs(1) else None)


class LogAddExp(_B):
    saves_output = True

    def forward(self, xp, x, y):
        return xp.logaddexp(x, y)

    def backward(self, gy):
        a, b = self.operands()
        r = self.output
        return (gy * (a - r).exp() if self.needs(0) else None,
                gy * (b - r).exp() if self.needs(1) else None)


class LogAddExp2(_B):
    saves_output = True

    def forward(self, xp, x, y):
        return xp.logaddexp2(x, y)

    def backward(self, gy):
        a, b = self.operands()
        r = self.output
        return (gy * ((a - r) * math.log(2)).exp() if self.needs(0) else None,
                gy * ((b - r) * math.log(2)).exp() if self.needs(1) else None)


class Xlogy(_B):
    def forward(self, xp, x, y):
        # NOTE: 0 * log(y) is 0 even for y == 0 (but NaN y propagates)
        r = x * xp.log(y)
        return xp.where((x == 0) & ~xp.isnan(y), 0, r).astype(r.dtype, copy=False)

    def backward(self, gy):
        a, b = self.operands()
        ga = gb = None
        if self.needs(0):
            lb = b.log() if isinstance(b, Tensor) else math.log(b)
            ga = gy * lb
            if isinstance(a, Tensor):
                ga = ga.where((a != 0) | (b != b) if isinstance(b, Tensor) else (a != 0), 0.0)
        if self.needs(1):
            gb = gy * a / b
        return ga, gb


class Xlog1py(_B):
    def forward(self, xp, x, y):
        r = x * xp.log1p(y)
        return xp.where((x == 0) & ~xp.isnan(y), 0, r).astype(r.dtype, copy=False)

    def backward(self, gy):
        a, b = self.operands()
        ga = gy * (b.log1p() if isinstance(b, Tensor) else math.log1p(b)) \
            if self.needs(0) else None
        gb = gy * a / (b + 1) if self.needs(1) else None
        return ga, gb


class _MinMax(_B):
    """maximum/minimum: the gradient goes to the chosen input, split evenly on ties."""

    def backward(self, gy):
        a, b = self.operands()
        pick_a = self._pick(a, b)
        tie = (a == b)
        wa = pick_a.to(gy.dtype) - tie * 0.5
        wb = 1 - wa
        return (gy * wa if self.needs(0) else None, gy * wb if self.needs(1) else None)


class Maximum(_MinMax):
    def forward(self, xp, x, y):
        return xp.maximum(x, y)

    @staticmethod
    def _pick(a, b):
        return (a >= b) | (b != b)


class Minimum(_MinMax):
    def forward(self, xp, x, y):
        return xp.minimum(x, y)

    @staticmethod
    def _pick(a, b):
        return (a <= b) | (b != b)


class Fmax(_MinMax):
    def forward(self, xp, x, y):
        return xp.fmax(x, y)

    @staticmethod
    def _pick(a, b):
        return (a >= b) | (b != b)


class Fmin(_MinMax):
    def forward(self, xp, x, y):
        return xp.fmin(x, y)

    @staticmethod
    def _pick(a, b):
        return (a <= b) | (b != b)


class Copysign(_B):
    saves_output = True

    def forward(self, xp, x, y):
        return xp.copysign(x, y)

    def backward(self, gy):
        a, _ = self.operands()
        r = self.output
        # d/da copysign(a, b) = sign(a) * sign(result), 0 at a == 0
        g = (gy * a.sign() * r.sign()) if self.needs(0) else None
        return g, (gy * 0 if self.needs(1) else None)


class Remainder(_B):
    def forward(self, xp, x, y):
        if x.dtype.kind in "iu" if hasattr(x, "dtype") else False:
            if bool((xp.asarray(y) == 0).any()):
                raise RuntimeError("ZeroDivisionError: remainder by zero")
        return xp.remainder(x, y)

    def backward(self, gy):
        a, b = self.operands()
        return (gy if self.needs(0) else None,
                -gy * (a / b).floor() if self.needs(1) else None)


class Fmod(_B):
    def forward(self, xp, x, y):
        if x.dtype.kind in "iu" if hasattr(x, "dtype") else False:
            if bool((xp.asarray(y) == 0).any()):
                raise RuntimeError("ZeroDivisionError: fmod by zero")
        return xp.fmod(x, y)

    def backward(self, gy):
        a, b = self.operands()
        return (gy if self.needs(0) else None,
                -gy * (a / b).trunc() if self.needs(1) else None)


class FloorDivide(_B):
    saves_inputs = False

    def forward(self, xp, x, y):
        if x.dtype.kind in "iu" if hasattr(x, "dtype") else False:
            if bool((xp.asarray(y) == 0).any()):
                raise RuntimeError("ZeroDivisionError: integer division by zero")
        return xp.floor_divide(x, y)

    def backward(self, gy):
        return gy * 0, gy * 0


class Heaviside(_B):
    saves_inputs = False

    def forward(self, xp, x, y):
        return xp.where(x == 0, y, (x > 0)).astype(xp.result_type(x, y))

    def backward(self, gy):
        raise RuntimeError("the derivative for 'heaviside' is not implemented.")


def _conj(t):
    if isinstance(t, Tensor):
        return t.conj() if t._data.dtype.kind == "c" else t
    return t.conjugate() if isinstance(t, complex) else t


# ---------------------------------------------------------------------- public functions
def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other``."""
    if alpha != 1:
        other = mul(other, alpha)
    r = binary(Add, input, other, "add")
    return r if out is None else out.copy_(r)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``."""
    if _is_bool(input) and _is_bool(other):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    r = binary(Sub, input, other, "sub")
    return r if out is None else out.copy_(r)


subtract = sub


def _is_bool(x):
    return isinstance(x, Tensor) and x._data.dtype == np.bool_ or isinstance(x, bool)


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    return sub(other, input, alpha=alpha)


def mul(input, other, *, out=None):
    """``input * other``."""
    r = binary(Mul, input, other, "mul")
    return r if out is None else out.copy_(r)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """``input / other``; ``rounding_mode`` ``None`` (true division), ``'trunc'``, ``'floor'``."""
    if rounding_mode is None:
        r = binary(Div, input, other, "div", to_float=True)
    elif rounding_mode == "floor":
        r = floor_divide(input, other)
    elif rounding_mode == "trunc":
        r = binary(Div, input, other, "div", to_float=True).trunc()
        dt = T.result_type(*(v for v in (input, other)))
        if dt._kind < 2:
            r = r.to(dt)
    else:
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    return r if out is None else out.copy_(r)


divide = true_divide = div


def floor_divide(input, other, *, out=None):
    """``floor(input / other)`` (Python's ``//``)."""
    r = binary(FloorDivide, input, other, "floor_divide")
    return r if out is None else out.copy_(r)


def remainder(input, other, *, out=None):
    """Python's modulus: the result has the sign of ``other``."""
    r = binary(Remainder, input, other, "remainder")
    return r if out is None else out.copy_(r)


def fmod(input, other, *, out=None):
    """C's fmod: the result has the sign of ``input``."""
    r = binary(Fmod, input, other, "fmod")
    return r if out is None else out.copy_(r)


def pow(input, exponent, *, out=None):
    """``input ** exponent`` (either may be a scalar)."""
    if isinstance(input, Tensor) and isinstance(exponent, Tensor) is False and \
            isinstance(exponent, int) and exponent < 0 and input._data.dtype.kind in "iu":
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor) and exponent == 2 and \
            not isinstance(exponent, bool):
        r = binary(Pow, input, exponent, "pow")
    else:
        r = binary(Pow, input, exponent, "pow")
    return r if out is None else out.copy_(r)


def float_power(input, exponent):
    """``pow`` computed in float64 (complex128 for complex)."""
    dt = T.complex128 if any(isinstance(v, complex) or (isinstance(v, Tensor) and v.is_complex())
                             for v in (input, exponent)) else T.float64
    a = input.to(dt) if isinstance(input, Tensor) else input
    b = exponent.to(dt) if isinstance(exponent, Tensor) else exponent
    return pow(a, b)


def atan2(input, other, *, out=None):
    r = binary(Atan2, input, other, "atan2", to_float=True)
    return r if out is None else out.copy_(r)


arctan2 = atan2


def hypot(input, other, *, out=None):
    r = binary(Hypot, input, other, "hypot", to_float=True)
    return r if out is None else out.copy_(r)


def logaddexp(input, other, *, out=None):
    """``log(exp(input) + exp(other))`` without overflow."""
    r = binary(LogAddExp, input, other, "logaddexp", to_float=True)
    return r if out is None else out.copy_(r)


def logaddexp2(input, other, *, out=None):
    r = binary(LogAddExp2, input, other, "logaddexp2", to_float=True)
    return r if out is None else out.copy_(r)


def xlogy(input, other, *, out=None):
    """``input * log(other)``, defined as 0 where ``input == 0``."""
    r = binary(Xlogy, input, other, "xlogy", to_float=True)
    return r if out is None else out.copy_(r)


def special_xlog1py(input, other):
    return binary(Xlog1py, input, other, "xlog1py", to_float=True)


def maximum(input, other, *, out=None):
    """Elementwise max (NaN propagates)."""
    r = binary(Maximum, input, other, "maximum")
    return r if out is None else out.copy_(r)


def minimum(input, other, *, out=None):
    r = binary(Minimum, input, other, "minimum")
    return r if out is None else out.copy_(r)


def fmax(input, other, *, out=None):
    """Elementwise max ignoring NaN."""
    return binary(Fmax, input, other, "fmax")


def fmin(input, other, *, out=None):
    return binary(Fmin, input, other, "fmin")


def copysign(input, other, *, out=None):
    return binary(Copysign, input, other, "copysign", to_float=True)


def nextafter(input, other, *, out=None):
    ta, tb, x, y, dt = binary_operands("nextafter", input, other)
    return Tensor._make(xp_of(x).nextafter(x, y))


def ldexp(input, other, *, out=None):
    """``input * 2 ** other``."""
    return mul(input, pow(2.0, other))


def heaviside(input, values, *, out=None):
    return binary(Heaviside, input, values, "heaviside")


def lerp(input, end, weight, *, out=None):
    """``input + weight * (end - input)``."""
    r = add(input, mul(weight, sub(end, input)))
    return r if out is None else out.copy_(r)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 * tensor2``."""
    r = add(input, mul(mul(tensor1, tensor2), value))
    return r if out is None else out.copy_(r)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 / tensor2``."""
    if tensor1._data.dtype.kind in "iub" and tensor2._data.dtype.kind in "iub":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 and "
                           "tensor2.")
    r = add(input, mul(div(tensor1, tensor2), value))
    return r if out is None else out.copy_(r)


def _int_op(fn, name):
    def f(input, other, *, out=None):
        ta, tb, x, y, dt = binary_operands(name, input, other)
        if dt._kind not in (0, 1):
            raise RuntimeError(f"\"{name}_cpu\" not implemented for '{dt.name}'")
        r = Tensor._make(fn(xp_of(x if ta is not None else y), x, y))
        return r if out is None else out.copy_(r)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}`` of integer or bool tensors."
    return f


bitwise_and = _int_op(lambda xp, x, y: xp.bitwise_and(x, y), "bitwise_and")
bitwise_or = _int_op(lambda xp, x, y: xp.bitwise_or(x, y), "bitwise_or")
bitwise_xor = _int_op(lambda xp, x, y: xp.bitwise_xor(x, y), "bitwise_xor")
bitwise_left_shift = _int_op(lambda xp, x, y: xp.left_shift(x, y), "bitwise_left_shift")
bitwise_right_shift = _int_op(lambda xp, x, y: xp.right_shift(x, y), "bitwise_right_shift")
gcd = _int_op(lambda xp, x, y: xp.gcd(x, y), "gcd")
lcm = _int_op(lambda xp, x, y: xp.lcm(x, y), "lcm")


def square_(input):
    return input.mul_(input)
