"""Elementwise binary arithmetic with broadcasting and PyTorch's type promotion.

Gradients come back in the broadcast shape; the engine sums them to each input's shape.
``/`` is true division (ints give the default float dtype), ``//`` floors, ``%`` takes the
divisor's sign (Python's rule) and ``fmod`` the dividend's.  Integer ``**`` follows C:
a negative exponent gives ``0`` except for bases ``1`` and ``-1``.

Example:
    >>> import ember
    >>> ember.tensor([1, 2]) / 2
    tensor([0.5000, 1.0000])
    >>> ember.tensor([-7, 7]) // 2
    tensor([-4,  3])
    >>> ember.tensor([-7, 7]) % 3, ember.fmod(ember.tensor([-7, 7]), 3)
    (tensor([2, 1]), tensor([-1,  1]))
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as T
from .._tensor import Tensor
from ._binary_nodes import (
    _INT,
    Add,
    Atan2,
    Copysign,
    Div,
    FloorDivide,
    Fmax,
    Fmin,
    Fmod,
    Heaviside,
    Hypot,
    LogAddExp,
    LogAddExp2,
    Maximum,
    Minimum,
    Mul,
    NextAfter,
    Pow,
    Remainder,
    Sub,
    TruncDivide,
    Xlog1py,
    Xlogy,
    binary,
)
from ._dispatch import binary_operands, broadcast_error, float_dtype, shape_of, xp_of

__all__ = [
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
    "floor_divide", "remainder", "fmod", "pow", "float_power", "atan2", "arctan2", "hypot",
    "logaddexp", "logaddexp2", "xlogy", "special_xlog1py", "maximum", "minimum", "fmax", "fmin",
    "copysign", "nextafter", "ldexp", "lerp", "addcmul", "addcdiv", "heaviside", "gcd", "lcm",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
    "square_", "binary",
]


# ---------------------------------------------------------------------- public functions
def _is_bool(x) -> bool:
    return isinstance(x, bool) or isinstance(x, Tensor) and x._data.dtype == np.bool_


def _check_alpha(op: str, input, other, alpha) -> None:
    dt = T.result_type(input, other)
    if isinstance(alpha, bool) and dt is not T.bool:
        raise RuntimeError(f"{op}(): Boolean alpha only supported for Boolean results.")
    if dt._kind < 2 and isinstance(alpha, (float, complex)):
        raise RuntimeError(f"{op}(): For integral input tensors, argument alpha must not be a "
                           f"floating point number.")
    if dt._kind < 3 and isinstance(alpha, complex):
        raise RuntimeError(f"{op}(): For non-complex input tensors, argument alpha must not be "
                           f"a complex number.")


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting and type promotion.

    Args:
        input (Tensor or Number), other (Tensor or Number): the operands.
        alpha (Number, default 1): multiplier of ``other``.
        out (Tensor, optional): written with the result.

    Raises:
        RuntimeError: shapes that do not broadcast; a float ``alpha`` with integer operands.

    Example:
        >>> import ember
        >>> ember.add(ember.tensor([1, 2]), ember.tensor([10, 20]), alpha=2)
        tensor([21, 42])
    """
    if alpha != 1 or alpha is True:
        _check_alpha("add", input, other, alpha)
        other = mul(other, alpha)
    r = binary(Add, input, other, "add")
    return r if out is None else out.copy_(r)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``; bool operands are refused (use ``^`` / ``~``).

    Raises:
        RuntimeError: a bool operand, or shapes that do not broadcast.

    Example:
        >>> import ember
        >>> 2 - ember.tensor([1.0, 3.0])
        tensor([ 1., -1.])
    """
    if _is_bool(input) or _is_bool(other):
        if _is_bool(input) and _is_bool(other):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if alpha != 1:
        _check_alpha("sub", input, other, alpha)
        other = mul(other, alpha)
    r = binary(Sub, input, other, "sub")
    return r if out is None else out.copy_(r)


subtract = sub


def rsub(input, other, *, alpha=1):
    """``other - alpha * input`` (``sub`` with the operands swapped)."""
    return sub(other, input, alpha=alpha)


def mul(input, other, *, out=None):
    """``input * other`` with broadcasting and type promotion (``bool * bool`` stays bool).

    Example:
        >>> import ember
        >>> ember.tensor([1, 2]) * 2.5
        tensor([2.5000, 5.0000])
    """
    r = binary(Mul, input, other, "mul")
    return r if out is None else out.copy_(r)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """``input / other``.

    ``rounding_mode=None`` is true division (integer operands give the default float dtype),
    ``'trunc'`` rounds toward zero and ``'floor'`` down; both keep integer dtypes.

    Raises:
        RuntimeError: an unknown ``rounding_mode``; integer division by zero when rounding.

    Example:
        >>> import ember
        >>> ember.div(ember.tensor([-7, 7]), 2, rounding_mode="trunc")
        tensor([-3,  3])
    """
    if rounding_mode is None:
        r = binary(Div, input, other, "div", to_float=True)
    elif rounding_mode == "floor":
        r = binary(FloorDivide, input, other, "div_floor")
    elif rounding_mode == "trunc":
        r = binary(TruncDivide, input, other, "div_trunc")
    else:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    return r if out is None else out.copy_(r)


divide = true_divide = div


def floor_divide(input, other, *, out=None):
    """``floor(input / other)`` (Python's ``//``; integer dtypes are kept).

    Raises:
        RuntimeError: integer division by zero (``ZeroDivisionError`` in the message).
    """
    r = binary(FloorDivide, input, other, "div_floor")
    return r if out is None else out.copy_(r)


def remainder(input, other, *, out=None):
    """Python's modulus ``input - floor(input / other) * other``: the sign of ``other``.

    Example:
        >>> import ember
        >>> ember.remainder(ember.tensor([-3, 3]), 2)
        tensor([1, 1])
    """
    r = binary(Remainder, input, other, "remainder")
    return r if out is None else out.copy_(r)


def fmod(input, other, *, out=None):
    """C's fmod ``input - trunc(input / other) * other``: the sign of ``input``.

    Example:
        >>> import ember
        >>> ember.fmod(ember.tensor([-3, 3]), 2)
        tensor([-1,  1])
    """
    r = binary(Fmod, input, other, "fmod")
    return r if out is None else out.copy_(r)


def pow(input, exponent, *, out=None):
    """``input ** exponent`` (either may be a Python number).

    Integers keep their dtype; a negative *tensor* exponent gives ``0`` unless the base is
    ``1`` or ``-1`` (C semantics). ``bool ** True/False`` stays bool.

    Raises:
        RuntimeError: an integer tensor raised to a negative Python integer.
        NotImplementedError: ``bool ** bool`` tensors.

    Example:
        >>> import ember
        >>> 2 ** ember.tensor([0, 1, 3])
        tensor([1, 2, 8])
    """
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        k = input._data.dtype.kind
        if k in "iub" and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if k == "b" and isinstance(exponent, bool):
            # NOTE: bool ** bool computes in bool (PyTorch): x ** True = x, x ** False = True
            x = input._data
            r = Tensor._make(x.copy() if exponent else xp_of(x).ones_like(x))
            return r if out is None else out.copy_(r)
    r = binary(Pow, input, exponent, "pow")
    return r if out is None else out.copy_(r)


def float_power(input, exponent, *, out=None):
    """``pow`` computed in float64 (complex128 when either operand is complex).

    Example:
        >>> import ember
        >>> ember.float_power(ember.tensor([2]), 2)
        tensor([4.], dtype=ember.float64)
    """
    dt = T.complex128 if any(isinstance(v, complex) or (isinstance(v, Tensor) and v.is_complex())
                             for v in (input, exponent)) else T.float64
    a = input.to(dt) if isinstance(input, Tensor) else input
    b = exponent.to(dt) if isinstance(exponent, Tensor) else exponent
    r = pow(a, b)
    return r if out is None else out.copy_(r)


def atan2(input, other, *, out=None):
    """Elementwise ``atan(input / other)`` in the quadrant of ``(other, input)``."""
    r = binary(Atan2, input, other, "atan2", to_float=True)
    return r if out is None else out.copy_(r)


arctan2 = atan2


def hypot(input, other, *, out=None):
    """``sqrt(input ** 2 + other ** 2)`` without overflow (floating operands only)."""
    r = binary(Hypot, input, other, "hypot")
    return r if out is None else out.copy_(r)


def logaddexp(input, other, *, out=None):
    """``log(exp(input) + exp(other))`` without overflow (floating or complex operands)."""
    r = binary(LogAddExp, input, other, "logaddexp")
    return r if out is None else out.copy_(r)


def logaddexp2(input, other, *, out=None):
    """``log2(2 ** input + 2 ** other)`` without overflow (floating operands only)."""
    r = binary(LogAddExp2, input, other, "logaddexp2")
    return r if out is None else out.copy_(r)


def xlogy(input, other, *, out=None):
    """``input * log(other)``, defined as 0 where ``input == 0`` (unless ``other`` is NaN).

    Example:
        >>> import ember
        >>> ember.xlogy(ember.tensor([0.0, 2.0]), ember.tensor([0.0, 1.0]))
        tensor([0., 0.])
    """
    r = binary(Xlogy, input, other, "xlogy", to_float=True)
    return r if out is None else out.copy_(r)


def special_xlog1py(input, other, *, out=None):
    """``input * log1p(other)``, defined as 0 where ``input == 0`` (unless ``other`` is NaN)."""
    r = binary(Xlog1py, input, other, "xlog1py", to_float=True)
    return r if out is None else out.copy_(r)


def _minmax(cls, name, nan_doc):
    def f(input, other, *, out=None):
        r = binary(cls, input, other, name)
        return r if out is None else out.copy_(r)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"Elementwise {name[1:] if name[0] == 'f' else name} of ``input`` and "
                 f"``other`` ({nan_doc}).\n\n    Raises:\n        NotImplementedError: complex "
                 f"operands.\n")
    return f


maximum = _minmax(Maximum, "maximum", "NaN propagates; ties split the gradient evenly")
minimum = _minmax(Minimum, "minimum", "NaN propagates; ties split the gradient evenly")
fmax = _minmax(Fmax, "fmax", "NaN is ignored when the other value is a number")
fmin = _minmax(Fmin, "fmin", "NaN is ignored when the other value is a number")


def copysign(input, other, *, out=None):
    """``|input|`` with the sign of ``other`` (integers compute in the default float dtype)."""
    r = binary(Copysign, input, other, "copysign", to_float=True)
    return r if out is None else out.copy_(r)


def nextafter(input, other, *, out=None):
    """The next floating-point value after ``input`` toward ``other`` (not differentiable)."""
    r = binary(NextAfter, input, other, "nextafter")
    return r if out is None else out.copy_(r)


def ldexp(input, other, *, out=None):
    """``input * 2 ** other`` in ``input``'s floating dtype (the default float for integers).

    Example:
        >>> import ember
        >>> ember.ldexp(ember.tensor([1.0]), ember.tensor([3]))
        tensor([8.])
    """
    dt = float_dtype(T.result_type(input, other))
    r = mul(input, pow(2.0, other).to(dt) if isinstance(other, Tensor) else 2.0 ** other)
    r = r if r.dtype is dt else r.to(dt)
    return r if out is None else out.copy_(r)


def heaviside(input, values, *, out=None):
    """Step function: 0 for ``input < 0``, ``values`` at 0, 1 for ``input > 0``.

    Raises:
        RuntimeError: tensors of different dtypes (PyTorch's restriction), complex tensors.
    """
    if isinstance(input, Tensor) and isinstance(values, Tensor) and input.dtype is not \
            values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    r = binary(Heaviside, input, values, "heaviside")
    return r if out is None else out.copy_(r)


def lerp(input, end, weight, *, out=None):
    """``input + weight * (end - input)`` (floating tensors of one dtype).

    Raises:
        RuntimeError: ``end`` of another dtype than ``input``; integer tensors.
    """
    if isinstance(end, Tensor) and end.dtype is not input.dtype:
        raise RuntimeError(f"lerp(): expected dtype {input.dtype} for `end` but got dtype "
                           f"{end.dtype}")
    if input._data.dtype.kind not in "fc":
        raise T.not_implemented("lerp", input.dtype)
    r = add(input, mul(weight, sub(end, input)))
    return r if out is None else out.copy_(r)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 * tensor2``."""
    r = add(input, mul(mul(tensor1, tensor2), value))
    return r if out is None else out.copy_(r)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 / tensor2`` (true division; integer tensor1/tensor2 raise)."""
    if tensor1._data.dtype.kind in "iub" and tensor2._data.dtype.kind in "iub":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 and "
                           "tensor2.")
    r = add(input, mul(div(tensor1, tensor2), value))
    return r if out is None else out.copy_(r)


def _int_op(fn, name, kinds=_INT):
    def f(input, other, *, out=None):
        ta, tb, x, y, dt = binary_operands(name, input, other)
        if dt._kind not in kinds:
            raise T.not_implemented(name, dt)
        try:
            r = Tensor._make(fn(xp_of(x if ta is not None else y), x, y))
        except ValueError:
            err = broadcast_error(name, shape_of(x), shape_of(y))
            if err is None:
                raise
            raise err from None
        return r if out is None else out.copy_(r)
    f.__name__ = f.__qualname__ = name
    what = "integer or bool" if 0 in kinds else "integer"
    f.__doc__ = (f"Elementwise ``{name}`` of {what} tensors (or Python ints).\n\n    Raises:\n"
                 f"        NotImplementedError: other dtypes.\n")
    return f


bitwise_and = _int_op(lambda xp, x, y: xp.bitwise_and(x, y), "bitwise_and")
bitwise_or = _int_op(lambda xp, x, y: xp.bitwise_or(x, y), "bitwise_or")
bitwise_xor = _int_op(lambda xp, x, y: xp.bitwise_xor(x, y), "bitwise_xor")
bitwise_left_shift = _int_op(lambda xp, x, y: xp.left_shift(x, y), "lshift", (1,))
bitwise_right_shift = _int_op(lambda xp, x, y: xp.right_shift(x, y), "rshift", (1,))
gcd = _int_op(lambda xp, x, y: xp.gcd(x, y), "gcd", (1,))
lcm = _int_op(lambda xp, x, y: xp.lcm(x, y), "lcm", (1,))
bitwise_left_shift.__name__ = bitwise_left_shift.__qualname__ = "bitwise_left_shift"
bitwise_right_shift.__name__ = bitwise_right_shift.__qualname__ = "bitwise_right_shift"


def square_(input):
    """In-place ``input * input`` (returns ``input``)."""
    return input.mul_(input)
