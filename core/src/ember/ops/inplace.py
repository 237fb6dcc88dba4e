"""In-place ops (``add_``, ``mul_``, ``x[i] = v`` …) and their place in the graph.

Without autograd an in-place op writes straight into the tensor's array (numpy ``out=`` /
slice assignment), so views see the change.  With autograd the op is computed out of place
from a snapshot of the old value, written back into the same memory, and the tensor's
``grad_fn`` moves to the new node; when the tensor is a view, its base gets a
:class:`CopySlices` node that routes the gradient of the written region through the op.
Modifying a leaf that requires grad raises, as does modifying a value saved for backward
(caught at backward through the version counter).
"""

from __future__ import annotations

import numpy as np

from .. import _device as D
from .. import _dtype as T
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.node import Node, edge
from ._dispatch import binary_operands, float_dtype, is_scalar, loud, quiet, xp_of
from ._views import geometry, is_view, regenerate_views, view_positions

__all__ = ["inplace", "write_inplace", "copy_", "zero_", "fill_", "setitem", "INPLACE"]

_state = grad_mode._state


def _check_leaf(self, op: str) -> None:
    if self.grad_fn is None and self._rg:
        raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place "
                           f"operation. ({op})")
    b = self._base
    if b is not None and b.grad_fn is None and b._rg and is_view(self):
        raise RuntimeError(f"a view of a leaf Variable that requires grad is being used in an "
                           f"in-place operation. ({op})")


def _castable(op, src_dtype, self):
    if src_dtype._kind > self.dtype._kind:
        raise RuntimeError(f"{op}: result type {_legacy(src_dtype)} can't be cast to the desired "
                           f"output type {_legacy(self.dtype)}")


def _legacy(dt):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}[dt.name]


def _assign(self, arr, op):
    """Write ``arr`` into ``self``'s memory (broadcasting into its shape only)."""
    x = self._data
    if arr.shape != x.shape:
        try:
            if np.broadcast_shapes(arr.shape, x.shape) != x.shape:
                raise ValueError
        except ValueError:
            b = list(np.broadcast_shapes(arr.shape, x.shape)) if _bc(arr.shape, x.shape) else \
                list(arr.shape)
            raise RuntimeError(f"{op}: output with shape {list(x.shape)} doesn't match the "
                               f"broadcast shape {b}") from None
    _writeable(x, op)
    xp = xp_of(x)
    if type(arr) is not type(x):
        arr = D.move_array(arr, D.device_of_array(arr), D.device_of_array(x))
    xp.copyto(x, arr, casting="unsafe")


def _writeable(x, op: str) -> None:
    """RuntimeError for memory that must not be written (expanded/overlapping views)."""
    if type(x) is np.ndarray and not x.flags.writeable or type(x) is not np.ndarray and any(
            st == 0 and n > 1 for st, n in zip(x.strides, x.shape, strict=True)):
        raise RuntimeError(f"{op}: unsupported operation: more than one element of the "
                           "written-to tensor refers to a single memory location (an expanded "
                           "or overlapping view, or a read-only numpy array). Please clone() the "
                           "tensor before performing the operation.")


def _bc(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def write_inplace(self, r: Tensor, op: str) -> Tensor:
    """Make ``self`` hold ``r``'s values (in its own memory) and ``r``'s place in the graph."""
    _castable(op, r.dtype, self)
    _assign(self, r._data, op)
    self._bump()
    if r.grad_fn is not None:
        if is_view(self):
            CopySlices.rebase(self._base, self, r)
        self.grad_fn, self._output_nr, self._rg = r.grad_fn, r._output_nr, True
        if self._base is None:
            regenerate_views(self)
    return self


def inplace(fn, op: str, reads_input_later: bool = True):
    """The in-place method for out-of-place op ``fn``: ``self.op_(*args)``.

    Under autograd ``fn`` runs on a snapshot of ``self`` holding its place in the graph; the
    snapshot is a copy unless ``reads_input_later`` is False (the op's backward uses only its
    output, e.g. ``relu``), when it shares ``self``'s memory: nothing reads it after ``fn``.
    """
    def method(self, *args, **kwargs):
        if _state.enabled and (self._rg or any(isinstance(a, Tensor) and a._rg for a in args)
                               or any(isinstance(v, Tensor) and v._rg for v in kwargs.values())):
            _check_leaf(self, op)
            data = self._data.copy() if reads_input_later else self._data
            snap = Tensor._make(data, self._rg, self.grad_fn, self._output_nr)
            if self.grad_fn is None and self._rg is False:
                snap._vc = [0]
            r = fn(snap, *args, **kwargs)
            return write_inplace(self, r, op)
        with grad_mode.no_grad():
            r = fn(self, *args, **kwargs)
        _castable(op, r.dtype, self)
        _assign(self, r._data, op)
        self._bump()
        return self
    method.__name__ = method.__qualname__ = op
    method.__doc__ = f"In-place version of ``{fn.__name__}``."
    return method


# ---------------------------------------------------------------------- fast paths (no graph)
def _fast_binary(ufunc, op, slow):
    """``self op= other`` via ``ufunc(out=self)`` when no graph is needed."""
    def method(self, other, *, alpha=1):
        if _state.enabled and (self._rg or (isinstance(other, Tensor) and other._rg)):
            return slow(self, other, alpha=alpha) if alpha != 1 else slow(self, other)
        ta, tb, x, y, dt = binary_operands(op, self, other)
        _castable(op, float_dtype(dt) if ufunc == "true_divide" else dt, self)
        if alpha != 1:
            y = y * alpha
        out = self._data
        _writeable(out, op)
        xp = xp_of(out)
        tok = quiet()  # like every op: no numpy floating-point warnings (inf * 0 …)
        try:
            getattr(xp, ufunc)(x, y, out=out, casting="unsafe")
        except ValueError:
            raise RuntimeError(f"{op}: output with shape {list(out.shape)} doesn't match the "
                               f"broadcast shape "
                               f"{list(np.broadcast_shapes(out.shape, np.shape(y)))}") from None
        finally:
            loud(tok)
        self._bump()
        return self
    method.__name__ = method.__qualname__ = op
    return method


def copy_(self, src, non_blocking: bool = False):
    """Copy ``src``'s values into ``self`` (broadcast, cast, across devices)."""
    if not isinstance(src, Tensor):
        if is_scalar(src):
            return fill_(self, src)
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    if _state.enabled and (self._rg or src._rg):
        _check_leaf(self, "copy_")
        return write_inplace(self, _CopyInto.run(self, src), "copy_")
    return _plain_copy(self, src)


def _plain_copy(self, src):
    if src._data.dtype.kind == "c" and self._data.dtype.kind != "c":
        import warnings
        warnings.warn("Casting complex values to real discards the imaginary part",
                      UserWarning, stacklevel=3)
    _assign(self, src._data, "copy_")
    self._bump()
    return self


class _CopyInto(Node):
    """``self.copy_(src)`` as a graph node: gradient to ``src`` (summed to its shape)."""

    @classmethod
    def run(cls, self, src):
        from ._dispatch import wrap
        node = cls()
        x = self._data
        xp = xp_of(x)
        s = src._data
        if type(s) is not type(x):
            s = D.move_array(s, src.device, self.device)
        out = xp.empty_like(x)
        out[...] = s.astype(x.dtype, copy=False) if s.dtype != x.dtype else s
        node.src_dtype, node.src_dev = src.dtype, src.device
        old = self if self._rg else None  # the overwritten values get a zero gradient
        return wrap(node, (old, src), out)

    def backward(self, gy):
        from .creation import zeros_like
        gx = zeros_like(gy) if self.next_functions[0][0] is not None else None
        g = None
        if self.next_functions[1][0] is not None:
            g = gy
            if g.device != self.src_dev:
                g = g.to(self.src_dev)
            if g.dtype is not self.src_dtype:
                g = g.to(self.src_dtype)
        return gx, g

    def name(self):
        return "CopyBackwards"


def zero_(self):
    """Fill with zeros (in place)."""
    return fill_(self, 0)


def fill_(self, value):
    """Fill with ``value`` (a number or a 0-d tensor) in place."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        if _state.enabled and value._rg:
            return copy_(self, value.expand(self._data.shape))
        value = value.item()
    if _state.enabled and self._rg:
        _check_leaf(self, "fill_")
        from .creation import full_like
        return copy_(self, full_like(self, value).detach())
    x = self._data
    _writeable(x, "fill_")
    x.fill(value)
    self._bump()
    return self


def setitem(self, key, value):
    """``self[key] = value`` (``value`` broadcast to the indexed shape and cast to ``self``'s
    dtype); with autograd, gradients flow to ``value`` and to ``self``'s earlier history."""
    from .indexing import convert_key, put_key
    vt = value if isinstance(value, Tensor) else None
    if _state.enabled and (self._rg or (vt is not None and vt._rg)):
        _check_leaf(self, "setitem")
        _writeable(self._data, "setitem")
        snap = Tensor._make(self._data.copy(), self._rg, self.grad_fn, self._output_nr)
        write_inplace(self, put_key(snap, key, value), "setitem")
        return
    x = self._data
    xp = xp_of(x)
    pre, k, _ = convert_key(key, x.shape, xp)
    if vt is not None:
        v = vt._data
        if type(v) is not type(x):
            v = D.move_array(v, vt.device, self.device)
    elif isinstance(value, (list, tuple)) or isinstance(value, np.ndarray):
        v = xp.asarray(np.asarray(value))
    else:
        v = value
    _writeable(x, "setitem")
    tgt = x if pre is None else x[pre]
    try:
        tgt[k] = v
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot "
                           f"be broadcast to indexing result of shape "
                           f"{list(tgt[k].shape)}") from None
    self._bump()


# ---------------------------------------------------------------------- views and in-place
class CopySlices(Node):
    """Gradient routing for a base whose view was modified in place.

    The gradient of the base splits in two: the region the view covers goes through the
    in-place op's node (then on to the view's old history); the rest goes to the base's old
    history.  ``positions`` are the base's flat (C-order) indices of the view's elements.
    Every other live view of the base is then regenerated to read from this node.
    """

    @classmethod
    def rebase(cls, base, view, r):
        node = cls()
        b = base._data
        node.positions = view_positions(xp_of(b), geometry(b, b), geometry(view._data, b))
        mask = xp_of(b).ones(b.shape, dtype=bool)
        mask.reshape(-1)[node.positions.reshape(-1)] = False
        node.mask = mask
        node.next_functions = (edge(base), (r.grad_fn, r._output_nr))
        node._in_meta = ((b.shape, b.dtype), (view._data.shape, view._data.dtype))
        base.grad_fn, base._output_nr, base._rg = node, 0, True
        regenerate_views(base, skip=view)

    def backward(self, gy):
        from .indexing import getitem_raw
        rest = gy * Tensor._make(self.mask)
        region = getitem_raw(gy.reshape(-1), None, (self.positions,), False)
        return rest, region


def _build_table():
    from . import binary, comparison, indexing, shape, unary
    from .reduction import cumprod, cumsum
    table = {}
    for name in ("neg", "abs", "sign", "sgn", "sqrt", "rsqrt", "square", "exp", "exp2", "expm1",
                 "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "acos", "atan",
                 "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "logit", "erf",
                 "erfc", "erfinv", "lgamma", "digamma", "i0", "sinc", "floor", "ceil", "round",
                 "trunc", "fix", "frac", "reciprocal", "relu", "nan_to_num", "deg2rad",
                 "rad2deg", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
                 "negative", "absolute", "logical_not", "bitwise_not", "conj_physical"):
        node = getattr(unary, name.capitalize(), None)  # the op's node class, where named so
        table[name + "_"] = inplace(getattr(unary, name), name + "_",
                                    getattr(node, "saves_input", True))
    table["polygamma_"] = inplace(lambda s, n: unary.polygamma(n, s), "polygamma_")
    for name in ("add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod",
                 "pow", "atan2", "arctan2", "hypot", "logaddexp", "xlogy", "copysign",
                 "maximum", "minimum", "fmax", "fmin", "lerp", "addcmul", "addcdiv",
                 "heaviside", "gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor",
                 "bitwise_left_shift", "bitwise_right_shift", "float_power", "ldexp",
                 "subtract", "multiply", "divide", "nextafter"):
        table[name + "_"] = inplace(getattr(binary, name), name + "_")
    for name in ("clamp", "clip", "clamp_min", "clamp_max", "eq", "ne", "lt", "le", "gt", "ge",
                 "logical_and", "logical_or", "logical_xor", "greater", "less", "greater_equal",
                 "less_equal", "not_equal"):
        table[name + "_"] = inplace(getattr(comparison, name), name + "_")
    for name in ("masked_fill", "masked_scatter", "index_add", "index_copy", "index_fill",
                 "scatter", "scatter_add", "scatter_reduce", "index_put", "put"):
        table[name + "_"] = inplace(getattr(indexing, name), name + "_")
    for name in ("tril", "triu"):
        table[name + "_"] = inplace(getattr(shape, name), name + "_")
    table["cumsum_"] = inplace(cumsum, "cumsum_")
    table["cumprod_"] = inplace(cumprod, "cumprod_")
    table["add_"] = _fast_binary("add", "add_", table["add_"])
    table["sub_"] = _fast_binary("subtract", "sub_", table["sub_"])
    table["mul_"] = _fast_binary("multiply", "mul_", table["mul_"])
    table["div_"] = _fast_binary("true_divide", "div_", table["div_"])
    table["copy_"] = copy_
    table["zero_"] = zero_
    table["fill_"] = fill_
    return table


INPLACE = _build_table()
_ = T
