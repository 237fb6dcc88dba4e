"""The thin path every op takes: operand checks, promotion, forward, graph recording.

An op function extracts arrays from its tensor arguments, builds its :class:`Node`, and calls
:func:`apply`, which runs ``node.forward(xp, *args)`` and — only when grad mode is on and an
input requires grad — records the node's edges and wraps the outputs with ``grad_fn=node``.
"""

from __future__ import annotations

import numbers
import traceback

import numpy as np

from .. import _device as D
from .. import _dtype as T
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.node import _anomaly, edge

_ndarray = np.ndarray
_state = grad_mode._state

# NOTE: PyTorch never warns about inf/nan produced by arithmetic; numpy does.  Ops run their
# forward with numpy's floating-point warnings off.  Setting numpy's error-state context
# variable directly costs ~0.1 us; ``np.errstate`` costs ~0.8 us per op, so it is the fallback.
try:
    from numpy._core._ufunc_config import _extobj_contextvar as _errvar
    from numpy._core._ufunc_config import _make_extobj

    _QUIET = _make_extobj(all="ignore")

    def quiet():
        return _errvar.set(_QUIET)

    def loud(token) -> None:
        _errvar.reset(token)
except ImportError:  # pragma: no cover - other numpy layouts
    class _ErrstateVar:
        """``set``/``reset`` over ``np.errstate`` where numpy's context variable is private."""

        @staticmethod
        def set(_):
            e = np.errstate(all="ignore")
            e.__enter__()
            return e

        @staticmethod
        def reset(token) -> None:
            token.__exit__(None, None, None)

    _errvar, _QUIET = _ErrstateVar(), None

    def quiet():
        return _errvar.set(_QUIET)

    def loud(token) -> None:
        _errvar.reset(token)


def xp_of(a):
    """numpy or cupy, whichever holds array ``a`` (numpy scalars count as numpy)."""
    if type(a) is _ndarray:
        return np
    cp = D._cupy
    return cp if cp is not None and isinstance(a, cp.ndarray) else np


def needs_grad(*tensors) -> bool:
    if not _state.enabled:
        return False
    for t in tensors:
        if t is not None and t._rg:
            return True
    return False


def _edge_meta(t):
    """(edge, input metadata) for one input: metadata is what the engine checks grads against."""
    if t is None or not t._rg:
        return (None, 0), None
    return edge(t), (t._data.shape, t._data.dtype)


def _record(node, inputs) -> None:
    if len(inputs) == 1:
        e, m = _edge_meta(inputs[0])
        node.next_functions = (e,)
        node._in_meta = (m,)
    elif len(inputs) == 2:
        e0, m0 = _edge_meta(inputs[0])
        e1, m1 = _edge_meta(inputs[1])
        node.next_functions = (e0, e1)
        node._in_meta = (m0, m1)
    else:
        em = [_edge_meta(t) for t in inputs]
        node.next_functions = tuple(e for e, _ in em)
        node._in_meta = tuple(m for _, m in em)
    if _anomaly[0]:
        node.__dict__["_trace"] = traceback.format_stack()[:-3]


def apply(node, inputs: tuple, *args, view_of=None):
    """Run ``node.forward(xp, *args)`` and wrap its output(s).

    ``inputs`` are the tensors that get graph edges (``None`` for absent optional ones),
    aligned with what ``node.backward`` returns.  ``view_of`` marks a single output as a view
    sharing memory and version counter with that tensor.
    """
    first = inputs[0] if inputs[0] is not None else next(t for t in inputs if t is not None)
    a = first._data
    ta = type(a)
    if len(inputs) > 1:
        for t in inputs:
            if t is not None and type(t._data) is not ta:  # mixed devices: say which
                check_same_device(type(node).__name__.lstrip("_"), *inputs)
                break
    xp = np if ta is _ndarray else D._cupy
    tok = quiet()
    try:
        out = node.forward(xp, *args)
    finally:
        loud(tok)
    return wrap(node, inputs, out, view_of)


def wrap(node, inputs, out, view_of=None):
    """Wrap forward output(s) as tensors; record ``node`` when the graph must be built."""
    rec = False
    if _state.enabled:
        for t in inputs:
            if t is not None and t._rg:
                rec = True
                break
    if type(out) is tuple:
        if not rec:
            return tuple(Tensor._make(o) for o in out)
        _record(node, inputs)
        res = []
        meta = []
        for i, o in enumerate(out):
            if type(o) is not _ndarray and isinstance(o, np.generic):
                o = np.asarray(o)
            diff = o.dtype.kind in "fc"
            res.append(Tensor._make(o, diff, node if diff else None, i))
            meta.append((o.shape, T._BY_NP[o.dtype], D.device_of_array(o)))
        node._out_meta = tuple(meta)
        if node.saves_output:
            node._outs = tuple((t._data, t._vc, t._vc[0]) for t in res)
        return tuple(res)
    if view_of is not None:
        base = view_of._base if view_of._base is not None else view_of
        vc = view_of._vc
    else:
        base = vc = None
    if not rec or out.dtype.kind not in "fc":
        return Tensor._make(out, vc=vc, base=base)
    _record(node, inputs)
    t = Tensor._make(out, True, node, 0, vc, base)
    if node.saves_output:
        node._outs = ((t._data, t._vc, t._vc[0]),)
    return t


def record_one(node, inputs, out):
    """Wrap the single output of a node that must be recorded (the caller checked that)."""
    if out.dtype.kind not in "fc":
        return Tensor._make(out)
    _record(node, inputs)
    t = Tensor._make(out, True, node)
    if node.saves_output:
        node._outs = ((out, t._vc, 0),)
    return t


# ---------------------------------------------------------------------- operand handling
def check_same_device(op: str, *tensors) -> None:
    """RuntimeError naming both devices when tensors live on different devices."""
    first = None
    for t in tensors:
        if t is None or not isinstance(t, Tensor):
            continue
        if first is None:
            first = t
        elif type(t._data) is not type(first._data) or (
                type(t._data) is not _ndarray and t.device != first.device):
            if t._data.ndim == 0 and type(t._data) is _ndarray:
                continue  # PyTorch lets CPU 0-d tensors join CUDA ops
            if first._data.ndim == 0 and type(first._data) is _ndarray:
                first = t  # ... also as the first operand
                continue
            raise RuntimeError(f"{op}: Expected all tensors to be on the same device, but found "
                               f"at least two devices, {first.device} and {t.device}!")


def as_tensor_arg(x, op: str, name: str, like: Tensor | None = None) -> Tensor:
    """Accept a tensor, or turn array-like data into a tensor on ``like``'s device."""
    if isinstance(x, Tensor):
        return x
    from .creation import tensor as _tensor
    try:
        return _tensor(x, device=like.device if like is not None else None)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor or a number, got "
                        f"{type(x).__name__}") from e


def is_scalar(x) -> bool:
    t = type(x)
    if t is float or t is int or t is bool:  # the common cases, without ABC checks
        return True
    return isinstance(x, (complex, numbers.Number)) and not isinstance(x, Tensor)


def to_py_scalar(x):
    """numpy scalars -> Python scalars (they promote as Python numbers do, like in PyTorch)."""
    if isinstance(x, np.generic):
        return x.item()
    return x


def scalar_array(xp, value, dt: T.dtype):
    """A Python scalar as a 0-d array of ``dt``, wrapping integers as C does (PyTorch)."""
    if dt._kind == 1 and isinstance(value, int):
        return np.array(value).astype(dt.np) if xp is np else xp.asarray(
            np.array(value).astype(dt.np))
    return value


def binary_operands(op: str, a, b):
    """Return ``(ta, tb, x, y, dtype)`` for a binary op in PyTorch's promotion.

    ``ta``/``tb`` are the tensor operands (``None`` for a Python scalar), ``x``/``y`` the
    arrays (or scalar) to compute with, already in the computation dtype ``dtype``.
    """
    if not isinstance(a, Tensor):
        if is_scalar(a) or isinstance(a, np.generic):
            if not isinstance(b, Tensor):
                b = as_tensor_arg(b, op, "other")
            tb, ta, y, x, dt = binary_operands(op, b, a)
            return ta, tb, x, y, dt
        a = as_tensor_arg(a, op, "input", b if isinstance(b, Tensor) else None)
    x = a._data
    if isinstance(b, Tensor):
        y = b._data
        if type(x) is not type(y) or type(x) is not _ndarray:
            check_same_device(op, a, b)
            if type(x) is not type(y):  # a CPU 0-d tensor joins a CUDA op: copy it over
                x, y = (xp_of(y).asarray(x), y) if type(x) is _ndarray else (x, xp_of(x).asarray(y))
        if x.dtype is y.dtype or x.dtype == y.dtype:
            return a, b, x, y, T._BY_NP[x.dtype]
        dt = T.result_type(a, b)
        if x.dtype != dt.np:
            x = x.astype(dt.np)
        if y.dtype != dt.np:
            y = y.astype(dt.np)
        return a, b, x, y, dt
    tb_ = type(b)
    if tb_ is not float and tb_ is not int:
        if isinstance(b, np.generic):
            b = b.item()
        if not is_scalar(b):
            b = as_tensor_arg(b, op, "other", a)
            return binary_operands(op, a, b)
        tb_ = type(b)
    adt = T._BY_NP[x.dtype]
    bk = 2 if tb_ is float else 1 if tb_ is int else 0 if tb_ is bool else \
        3 if isinstance(b, complex) else 2 if isinstance(b, float) else 1
    if bk <= adt._kind:
        dt = adt
    else:
        dt = T.result_type(a, b)
        x = x.astype(dt.np)
    if dt._kind == 1 and bk == 1:
        b = scalar_array(xp_of(x), b, dt)
    return a, None, x, b, dt


def float_dtype(dt: T.dtype) -> T.dtype:
    """Integer/bool -> the default float dtype (for ops like ``/``, ``sqrt``, ``mean``)."""
    return dt if dt._kind >= 2 else T.get_default_dtype()


def broadcast_error(op: str, *shapes) -> RuntimeError | None:
    """PyTorch's RuntimeError for ``shapes`` that do not broadcast, naming ``op`` and the
    shapes; ``None`` when they do broadcast.  Called only after numpy refused (no hot-path cost).
    """
    acc = ()
    for s in shapes:
        s = tuple(s)
        n = max(len(acc), len(s))
        a = (1,) * (n - len(acc)) + acc
        b = (1,) * (n - len(s)) + s
        # PyTorch scans from the last dimension and reports the first mismatch it meets
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(
                    f"{op}(): The size of tensor a ({a[i]}) must match the size of tensor b "
                    f"({b[i]}) at non-singleton dimension {i}; got shapes {list(acc)} and "
                    f"{list(s)}")
        acc = tuple(y if x == 1 else x for x, y in zip(a, b, strict=True))
    return None


def shape_of(v) -> tuple:
    """Shape of an array operand; ``()`` for a Python scalar."""
    return getattr(v, "shape", ())
