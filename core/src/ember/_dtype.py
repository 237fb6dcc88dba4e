"""dtypes and PyTorch's type-promotion rules.

An ember ``dtype`` names a numpy dtype and carries the category flags PyTorch exposes
(``is_floating_point``, ``is_complex``, ``is_signed``, ``itemsize``).  Promotion follows
PyTorch, not numpy: any floating type beats any integer type (``int64 + float16 -> float16``),
and Python scalars / zero-dim tensors only raise the result's *category*, never its width
(``int64_tensor * 2.5 -> float32``, ``float16_tensor + 1e10 -> float16``).

Example:
    >>> import ember
    >>> ember.promote_types(ember.int8, ember.uint8)
    ember.int16
    >>> ember.tensor([1, 2]).mul(2.5).dtype
    ember.float32
"""

from __future__ import annotations

import builtins

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "half", "float", "double", "int8", "int16", "int32",
    "int64", "short", "int", "long", "uint8", "bool", "complex64", "complex128", "cfloat",
    "cdouble", "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
    "can_cast", "finfo", "iinfo",
]


class dtype:
    """A tensor element type (``ember.float32`` …); compares equal only to itself."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_kind")

    def __init__(self, name: str, np_dtype) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        k = self.np.kind
        self.is_floating_point = k == "f"
        self.is_complex = k == "c"
        self.is_signed = k in "fic"
        self.itemsize = self.np.itemsize
        # category used by promotion: 0 bool, 1 integer, 2 floating, 3 complex
        self._kind = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}[k]

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_dtype_from_name, (self.name,))

    def to_real(self) -> dtype:
        """The real counterpart of a complex dtype (other dtypes are returned unchanged)."""
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> dtype:
        """The complex dtype with this float precision (``float16 -> complex64``: ember has
        no complex32); complex dtypes are returned unchanged.

        Raises:
            RuntimeError: for integer and bool dtypes.
        """
        if self._kind < 2:
            raise RuntimeError(f"Unknown Complex ScalarType for {scalar_type_name(self)}")
        return {float16: complex64, float32: complex64, float64: complex128}.get(self, self)


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool = dtype("bool", np.bool_)
complex64 = cfloat = dtype("complex64", np.complex64)
complex128 = cdouble = dtype("complex128", np.complex128)

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool, complex64, complex128)
_BY_NAME = {d.name: d for d in _ALL}
_BY_NP = {d.np: d for d in _ALL}


def _dtype_from_name(name: str) -> dtype:
    return _BY_NAME[name]


# PyTorch's C++ ScalarType names, used in "not implemented for 'Float'" messages
_SCALAR_TYPE_NAMES = {
    "float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
    "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool",
    "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}


def scalar_type_name(d: dtype) -> str:
    """PyTorch's ScalarType name of ``d`` (``float32 -> 'Float'``), as its messages print it."""
    return _SCALAR_TYPE_NAMES[d.name]


def not_implemented(op: str, d: dtype) -> NotImplementedError:
    """The error an op raises for a dtype it has no kernel for (PyTorch's wording and type;
    NotImplementedError is a RuntimeError subclass, so ``except RuntimeError`` catches it)."""
    return NotImplementedError(f'"{op}" not implemented for \'{scalar_type_name(d)}\'')


def from_numpy_dtype(np_dtype, what: str = "array") -> dtype:
    """The ember dtype of a numpy dtype; TypeError naming it when ember has no such dtype."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        names = ", ".join(_BY_NAME)
        raise TypeError(
            f"can't convert {what} of numpy dtype {np_dtype!s}: the supported types are {names}"
        ) from None


def to_dtype(d, what: str = "dtype") -> dtype:
    """Accept an ember dtype (or a numpy dtype / Python type, for convenience); return ember's."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if d is builtins.complex:
        return complex128
    try:
        return _BY_NP[np.dtype(d)]
    except (KeyError, TypeError):
        raise TypeError(f"{what} must be an ember.dtype, got {d!r}") from None


_default = [float32]


def get_default_dtype() -> dtype:
    """The default floating dtype (float32 unless changed by :func:`set_default_dtype`)."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype; only float32 and float64 (and float16) are allowed."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, got {d}")
    _default[0] = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` cast to, by PyTorch's table.

    Differs from numpy where floats meet integers: the float type wins unchanged
    (``int32 + float16 -> float16``; numpy says float32).
    """
    if a is b:
        return a
    ka, kb = a._kind, b._kind
    if ka != kb:
        hi, lo = (a, b) if ka > kb else (b, a)
        if hi._kind >= 2 and lo._kind <= 1:  # float/complex meets bool/int: float wins
            return hi
        if hi._kind == 1:  # int meets bool
            return hi
        # complex meets float: complex of the wider precision
    return _BY_NP[np.promote_types(a.np, b.np)]


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """Let ``lower`` (a lower-priority operand group) raise ``higher``'s category only."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(x) -> dtype:
    """dtype a Python scalar contributes as a "wrapped number" in promotion."""
    if isinstance(x, builtins.bool):
        return bool
    if isinstance(x, builtins.int):
        return int64
    if isinstance(x, builtins.float):
        return _default[0]
    if isinstance(x, builtins.complex):
        return complex64 if _default[0] is not float64 else complex128
    raise TypeError(f"unsupported scalar type {type(x).__name__}")


def result_type(*operands) -> dtype:
    """dtype of an op over ``operands`` (tensors and Python scalars), by PyTorch's rules.

    Operands with dimensions dominate; zero-dim tensors and then Python scalars only matter
    when their category (bool < integer < floating < complex) is higher.
    """
    dim = zero = wrapped = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def can_cast(from_: dtype, to: dtype) -> builtins.bool:
    """Whether PyTorch allows an in-place op to cast ``from_`` into ``to`` (no category drop)."""
    return from_._kind <= to._kind


class finfo:
    """Machine limits of a floating dtype: ``bits, eps, max, min, tiny, resolution``."""

    def __init__(self, type: dtype | None = None) -> None:
        d = to_dtype(type if type is not None else _default[0])
        if not (d.is_floating_point or d.is_complex):
            raise TypeError(f"finfo() requires a floating point input type, got {d}. Use "
                            f"ember.iinfo for integer types")
        f = np.finfo(d.np)
        self.dtype = d.to_real().name
        self.bits, self.eps, self.max, self.min = f.bits, builtins.float(f.eps), \
            builtins.float(f.max), builtins.float(f.min)
        self.tiny = self.smallest_normal = builtins.float(f.tiny)
        # NOTE: 10 ** -precision computed in Python (numpy's is rounded to the dtype itself,
        # 0.0010004 for float16); PyTorch reports exactly 0.001
        self.resolution = 10.0 ** -builtins.int(f.precision)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps}, smallest_normal={self.tiny}, bits={self.bits}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: ``bits, min, max``."""

    def __init__(self, type: dtype) -> None:
        d = to_dtype(type)
        if d is bool:
            raise TypeError("ember.bool is not supported by ember.iinfo")
        if d._kind != 1:
            raise TypeError(f"iinfo() requires an integer input type, got {d}. Use "
                            f"ember.finfo for floating point types")
        i = np.iinfo(d.np)
        self.bits, self.dtype = i.bits, d.name
        self.min, self.max = builtins.int(i.min), builtins.int(i.max)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, bits={self.bits}, dtype={self.dtype})"
