"""Attach ops to :class:`Tensor` as methods and operators.

Every public op whose first parameter is ``input`` (or ``tensor``/``self``) becomes a method
of the same name — the table is ``METHOD_MODULES`` below; operators and the few methods
whose names or signatures differ from the functions are listed explicitly.
"""

from __future__ import annotations

import inspect

import numpy as np

from . import _dtype as T
from . import _pinned_memory, _shared_memory
from ._tensor import Tensor
from .ops import (
    _sampling_inplace,
    binary,
    comparison,
    conversion,
    counting,
    creation,
    indexing,
    inplace,
    linalg_methods,
    matmul,
    nn_methods,
    reduction,
    shape,
    sorting,
    unary,
)

METHOD_MODULES = [unary, binary, comparison, reduction, shape, indexing, matmul, linalg_methods]
METHOD_MODULES += [sorting, counting, nn_methods]
_FIRST = ("input", "tensor", "self")
# functions whose first parameter is "input" but that PyTorch has no Tensor method for
_NOT_METHODS = {"cat", "stack", "binary", "dims", "einsum", "chain_matmul", "block_diag",
                "cartesian_prod", "meshgrid", "broadcast_tensors", "broadcast_shapes",
                "hstack", "vstack", "dstack", "column_stack", "atleast_1d", "atleast_2d",
                "atleast_3d", "special_expit", "special_xlog1py", "squeeze_dims",
                "select_along", "getitem", "bucketize"}


def _attach_module(mod) -> None:
    for name in mod.__all__:
        if name in _NOT_METHODS or hasattr(Tensor, name) and name not in ("size",):
            continue
        fn = getattr(mod, name)
        if not callable(fn) or isinstance(fn, type):
            continue
        if _first_param(fn) in _FIRST:
            setattr(Tensor, name, fn)


def _first_param(fn):
    """Name of ``fn``'s first parameter (read from its code object: inspect.signature would
    cost ~10 ms at import over all ops)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        try:
            params = list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            return None
        return params[0] if params else None
    return code.co_varnames[0] if code.co_argcount else None


def _size_varargs(fn):
    """Methods like ``x.view(2, 3)`` take sizes as varargs (already supported by the ops)."""
    return fn


def _binop(fn, reflect=False):
    if reflect:
        def op(self, other):
            return fn(other, self)
    else:
        def op(self, other):
            return fn(self, other)
    op.__name__ = fn.__name__
    return op


def _ibinop(name):
    method = inplace.INPLACE[name]

    def op(self, other):
        return method(self, other)
    return op


def _rpow(self, other):
    return binary.pow(other, self)


def _rmatmul(self, other):
    return matmul.matmul(other, self)


def _rtruediv(self, other):
    return binary.div(other, self)


def _new(fill):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return fill(*size, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)
    return method


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    import warnings
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone()", UserWarning, stacklevel=2)
        data = data.detach()
    return creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                           requires_grad=requires_grad)


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return creation.full(size, fill_value, dtype=dtype or self.dtype,
                         device=device or self.device, requires_grad=requires_grad)


def _resize_(self, *size):
    shp = shape._shape_arg(size)
    n = int(np.prod(shp))
    x = self._data
    if n == x.size:
        self._data = x.reshape(shp) if x.flags.c_contiguous else x.copy().reshape(shp)
    else:
        flat = np.zeros(n, x.dtype) if type(x) is np.ndarray else \
            __import__("cupy").zeros(n, x.dtype)
        m = min(n, x.size)
        flat[:m] = x.reshape(-1)[:m]
        self._data = flat.reshape(shp)
    self._bump()
    return self


def _install() -> None:
    for mod in METHOD_MODULES:
        _attach_module(mod)
    for name, fn in inplace.INPLACE.items():
        setattr(Tensor, name, fn)
    t = Tensor
    # NOTE: operators bind the op functions directly (one call less per op); add and mul
    # are commutative in value and in promotion, so their reflected forms are the same.
    t.__add__ = t.__radd__ = binary.add
    t.__sub__ = binary.sub
    t.__rsub__ = _binop(binary.sub, True)
    t.__mul__ = t.__rmul__ = binary.mul
    t.__truediv__ = binary.div
    t.__rtruediv__ = _rtruediv
    t.__floordiv__ = _binop(binary.floor_divide)
    t.__rfloordiv__ = _binop(binary.floor_divide, True)
    t.__mod__ = _binop(binary.remainder)
    t.__rmod__ = _binop(binary.remainder, True)
    t.__pow__ = _binop(binary.pow)
    t.__rpow__ = _rpow
    t.__matmul__ = _binop(matmul.matmul)
    t.__rmatmul__ = _rmatmul
    t.__and__ = _binop(binary.bitwise_and)
    t.__rand__ = _binop(binary.bitwise_and, True)
    t.__or__ = _binop(binary.bitwise_or)
    t.__ror__ = _binop(binary.bitwise_or, True)
    t.__xor__ = _binop(binary.bitwise_xor)
    t.__rxor__ = _binop(binary.bitwise_xor, True)
    t.__lshift__ = _binop(binary.bitwise_left_shift)
    t.__rshift__ = _binop(binary.bitwise_right_shift)
    t.__iadd__ = _ibinop("add_")
    t.__isub__ = _ibinop("sub_")
    t.__imul__ = _ibinop("mul_")
    t.__itruediv__ = _ibinop("div_")
    t.__ifloordiv__ = _ibinop("floor_divide_")
    t.__imod__ = _ibinop("remainder_")
    t.__ipow__ = _ibinop("pow_")
    t.__iand__ = _ibinop("bitwise_and_")
    t.__ior__ = _ibinop("bitwise_or_")
    t.__ixor__ = _ibinop("bitwise_xor_")
    t.__eq__ = _binop(comparison.eq)
    t.__ne__ = _binop(comparison.ne)
    t.__lt__ = _binop(comparison.lt)
    t.__le__ = _binop(comparison.le)
    t.__gt__ = _binop(comparison.gt)
    t.__ge__ = _binop(comparison.ge)
    t.__neg__ = unary.neg
    t.__pos__ = unary.positive
    t.__abs__ = unary.abs
    t.__invert__ = _invert
    t.__getitem__ = indexing.getitem
    t.__setitem__ = inplace.setitem
    t.T = property(_T)
    t.real = property(unary.real, _set_part("real"))
    t.imag = property(unary.imag, _set_part("imag"))
    t.where = _where_method
    t.mT = property(lambda self: shape.transpose(self, -2, -1))
    t.H = property(lambda self: _T(self).conj())
    t.mH = property(lambda self: shape.adjoint(self))
    t.to = conversion.to
    t.cpu = conversion.cpu
    t.cuda = conversion.cuda
    t.type = conversion.type
    t.type_as = conversion.type_as
    t.float = conversion.float_
    t.double = conversion.double_
    t.half = conversion.half_
    t.int = conversion.int_
    t.long = conversion.long_
    t.short = conversion.short_
    t.char = conversion.char_
    t.byte = conversion.byte_
    t.bool = conversion.bool_
    t.cfloat = conversion.cfloat_
    t.cdouble = conversion.cdouble_
    t.new_tensor = new_tensor
    t.new_zeros = _new(creation.zeros)
    t.new_ones = _new(creation.ones)
    t.new_empty = _new(creation.empty)
    t.new_full = new_full
    for name in _sampling_inplace.__all__:
        setattr(t, name, getattr(_sampling_inplace, name))
    t.bernoulli = lambda self, p=None, *, generator=None: creation.bernoulli(
        self, p, generator=generator)
    t.multinomial = creation.multinomial
    t.resize_ = _resize_
    t.clone = shape.clone
    t.contiguous = shape.contiguous
    t.apply_ = _apply_
    t.sum_to_size = reduction.sum_to_size
    t.flip = shape.flip
    t.permute = shape.permute
    t.max = reduction.max
    t.min = reduction.min
    t.share_memory_, t.is_shared = _shared_memory.share_memory_, _shared_memory.is_shared
    t.pin_memory, t.is_pinned = _pinned_memory.pin_memory, _pinned_memory.is_pinned


def _apply_(self, fn):
    """Apply a Python function to every element in place (CPU only, slow by nature)."""
    if self.device.type != "cpu":
        raise TypeError("apply_ is only implemented on CPU tensors")
    flat = self._data.reshape(-1)
    for i, v in enumerate(flat.tolist()):
        flat[i] = fn(v)
    self._bump()
    return self


def _where_method(self, condition, other):
    """``self.where(condition, y)`` is ``ember.where(condition, self, y)``."""
    return comparison.where(condition, self, other)


def _set_part(part):
    def setter(self, value):
        _write_part(self, part, value)
    return setter


def _write_part(self, part, value):
    """``t.real = v`` / ``t.imag = v``: write into the complex tensor's memory."""
    if self._data.dtype.kind != "c":
        if part == "imag":
            raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
        self.copy_(value)
        return
    v = value._data if isinstance(value, Tensor) else value
    getattr(self._data, part)[...] = v
    self._bump()


def _invert(self):
    if self._data.dtype.kind not in "iub":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return unary.bitwise_not(self)


def _T(self):
    n = self._data.ndim
    if n == 2:
        return shape.transpose(self, 0, 1)
    return shape.permute(self, tuple(range(n - 1, -1, -1)))


_install()
_ = T
