"""Tensor creation: from data, filled, ranges, identity and random sampling.

Signatures and dtype inference follow PyTorch: Python floats give the default dtype
(float32), Python ints give int64, numpy arrays keep their dtype; ``size`` may be given as
varargs or one sequence; ``generator=`` is accepted by every random function.

Example:
    >>> import ember
    >>> ember.tensor([[1, 2], [3, 4]]).dtype
    ember.int64
    >>> ember.zeros(2, 3).shape
    ember.Size([2, 3])
    >>> ember.arange(0, 1, 0.25)
    tensor([0.0000, 0.2500, 0.5000, 0.7500])
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from .. import _device as D
from .. import _dtype as T
from .._tensor import Tensor
from ..autograd.node import Node

__all__ = [
    "tensor", "as_tensor", "from_numpy", "asarray", "zeros", "ones", "full", "empty",
    "zeros_like", "ones_like", "full_like", "empty_like", "arange", "range", "linspace",
    "logspace", "eye", "rand", "randn", "randint", "randperm", "normal", "bernoulli",
    "multinomial", "rand_like", "randn_like", "randint_like", "poisson", "scalar_tensor",
    "empty_strided", "tril_indices", "triu_indices", "complex", "polar",
]


def _size(size, op: str) -> tuple:
    """Normalise ``*size`` (ints or one sequence) to a tuple of non-negative ints."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = size[0]
        if isinstance(size, Tensor):
            size = size.tolist()
    try:
        out = tuple(int(s) if not isinstance(s, bool) else _bad(op, size) for s in size)
    except TypeError:
        raise TypeError(f"{op}(): argument 'size' must be a tuple of ints, but found element of "
                        f"type {type(size).__name__}") from None
    for s in out:
        if s < 0:
            raise RuntimeError(f"{op}(): trying to create tensor with negative dimension {s}: "
                               f"{list(out)}")
    return out


def _bad(op, size):
    raise TypeError(f"{op}(): argument 'size' must be a tuple of ints, got {size!r}")


def _dev(device):
    return D.canonical(D.to_device(device))


def _finish(arr, requires_grad: bool, op: str) -> Tensor:
    t = Tensor._make(arr)
    if requires_grad:
        if arr.dtype.kind not in "fc":
            raise RuntimeError(f"{op}(): only Tensors of floating point and complex dtype can "
                               f"require gradients, got {t.dtype}")
        t._rg = True
    return t


def _nested_array(data, dtype=None):
    """``np.array(data)`` with PyTorch's exception types for ragged/huge/odd data."""
    try:
        return np.array(data, dtype=dtype)
    except OverflowError as e:
        raise ValueError(f"tensor(): Overflow when unpacking long long: {e}") from None
    except ValueError as e:
        if "string" in str(e):
            raise TypeError("new(): invalid data type 'str'") from None
        if "inhomogeneous" in str(e) or "sequence" in str(e):
            raise ValueError(f"tensor(): expected a rectangular nested sequence, got ragged "
                             f"data ({e})") from None
        raise


def _infer_np_dtype(data) -> T.dtype:
    """PyTorch's dtype for Python data: floats -> default, ints -> int64, bools -> bool."""
    arr = _nested_array(data)
    k = arr.dtype.kind
    if k == "f":
        return T.get_default_dtype() if arr.dtype == np.float64 and not _has_np(data) \
            else T.from_numpy_dtype(arr.dtype)
    if k == "c":
        return T.complex64 if T.get_default_dtype() is not T.float64 else T.complex128
    if k in "iu":
        return T.int64 if not _has_np(data) else T.from_numpy_dtype(arr.dtype)
    if k == "b":
        return T.bool
    if k in "US":
        raise TypeError("new(): invalid data type 'str'")
    raise RuntimeError(f"tensor(): Could not infer dtype of {type(data).__name__} "
                       f"(its elements give numpy dtype {arr.dtype})")


def _has_np(data) -> bool:
    """Whether ``data`` holds numpy scalars/arrays (whose dtype PyTorch keeps)."""
    if isinstance(data, (np.ndarray, np.generic)):
        return True
    if isinstance(data, (list, tuple)) and data:
        return _has_np(data[0])
    return False


def _plain(data):
    """Replace tensors inside nested lists by their (host) values."""
    if isinstance(data, Tensor):
        a = data._data
        return a if type(a) is np.ndarray else a.get()
    if isinstance(data, (list, tuple)):
        return [_plain(d) for d in data]
    return data


def _array_from_data(data, dt, device, copy: bool):
    """An array on ``device`` holding ``data``; ``dt=None`` infers the dtype like PyTorch."""
    device = D.canonical(device)
    xp = D.array_module(device)
    if isinstance(data, Tensor):
        arr = data._data
        src = data.device
    elif type(data) is np.ndarray or (D._cupy is not None and isinstance(data, D._cupy.ndarray)):
        arr, src = data, D.device_of_array(data)
    else:
        if isinstance(data, str) or (isinstance(data, (list, tuple)) and _has_str(data)):
            raise TypeError("new(): invalid data type 'str'")
        plain = _plain(data)
        if dt is None:
            dt = _infer_np_dtype(plain)
        try:
            arr = _nested_array(plain, dt.np)
        except TypeError as e:
            raise TypeError(f"tensor(): invalid data of type {type(data).__name__}: {e}") \
                from None
        return arr if xp is np else D.move_array(arr, D.CPU, device)
    if dt is None:
        dt = T.from_numpy_dtype(arr.dtype)
    arr = D.move_array(arr, src, device)
    if arr.dtype != dt.np:
        return arr.astype(dt.np)
    return arr.copy() if copy else arr


def _has_str(data) -> bool:
    if isinstance(data, (str, bytes)):
        return True
    if isinstance(data, (list, tuple)) and data:
        return _has_str(data[0])
    return False


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors)."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than ember.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    dt = T.to_dtype(dtype) if dtype is not None else None
    dev = D.to_device(device) if device is not None else (
        data.device if isinstance(data, Tensor) else D.CPU)
    arr = _array_from_data(data, dt, dev, copy=True)
    return _finish(arr, requires_grad, "tensor")


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor` but shares memory with ``data`` when dtype and device allow."""
    if isinstance(data, Tensor):
        t = data
        if dtype is not None:
            t = t.to(dtype=dtype)
        if device is not None:
            t = t.to(device=device)
        return t
    dt = T.to_dtype(dtype) if dtype is not None else None
    dev = D.to_device(device) if device is not None else (
        D.device_of_array(data) if _is_array(data) else D.CPU)
    return Tensor._make(_array_from_data(data, dt, dev, copy=False))


asarray = as_tensor


def _is_array(x) -> bool:
    return type(x) is np.ndarray or (D._cupy is not None and isinstance(x, D._cupy.ndarray))


def from_numpy(ndarray) -> Tensor:
    """A CPU tensor sharing memory with numpy array ``ndarray`` (no copy)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    T.from_numpy_dtype(ndarray.dtype, "np.ndarray")
    if not ndarray.flags.writeable:
        warnings.warn("The given NumPy array is not writable, and ember does not support "
                      "non-writable tensors. Writing to this tensor will fail.",
                      UserWarning, stacklevel=2)
    if ndarray.dtype.byteorder == ">":
        raise ValueError("from_numpy(): big-endian arrays are not supported; convert with "
                         "arr.astype(arr.dtype.newbyteorder('='))")
    return Tensor._make(ndarray)


def from_dlpack(ext) -> Tensor:
    """A tensor sharing memory with any DLPack-capable array (numpy, cupy, PyTorch …)."""
    dev_type, dev_id = ext.__dlpack_device__()
    if int(dev_type) == 1:  # kDLCPU
        return Tensor._make(np.from_dlpack(ext))
    cp = D._cupy if D._cupy is not None else D._load_cupy()
    if cp is None:
        raise RuntimeError(f"from_dlpack(): a CUDA array needs cupy: "
                           f"{D.cuda_unavailable_reason()}")
    return Tensor._make(cp.from_dlpack(ext))


def _factory(op, size, dtype, device, requires_grad, fill):
    shape = _size(size, op)
    dt = T.to_dtype(dtype) if dtype is not None else T.get_default_dtype()
    dev = _dev(device)
    xp = D.array_module(dev)
    with D.device_guard(dev):
        arr = fill(xp, shape, dt.np)
    return _finish(arr, requires_grad, op)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False) -> Tensor:
    """A tensor of zeros of the given size."""
    return _out(_factory("zeros", size, dtype, device, requires_grad, lambda xp, s, d:
                         xp.zeros(s, d)), out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False) -> Tensor:
    """A tensor of ones of the given size."""
    return _out(_factory("ones", size, dtype, device, requires_grad,
                         lambda xp, s, d: xp.ones(s, d)), out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    """An uninitialised tensor of the given size."""
    return _out(_factory("empty", size, dtype, device, requires_grad,
                         lambda xp, s, d: xp.empty(s, d)), out)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False) -> Tensor:
    """An uninitialised tensor; ember allocates it contiguous (strides are not honoured)."""
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from it)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = T.scalar_dtype(fill_value) if not isinstance(fill_value, np.generic) \
            else T.from_numpy_dtype(fill_value.dtype)
    elif isinstance(fill_value, (builtins.complex, np.complexfloating)) and \
            not T.to_dtype(dtype).is_complex:
        raise RuntimeError(f"full(): value {fill_value} cannot be converted to type "
                           f"{T.to_dtype(dtype)} without overflow")
    return _out(_factory("full", (size,) if not isinstance(size, int) else (size,), dtype,
                         device, requires_grad, lambda xp, s, d: xp.full(s, fill_value, d)), out)


def _out(t: Tensor, out):
    if out is None:
        return t
    out.resize_(t.shape) if tuple(out.shape) != tuple(t.shape) else None
    out.copy_(t)
    return out


def _like(op, input, dtype, device, requires_grad, fill):
    dt = T.to_dtype(dtype) if dtype is not None else input.dtype
    dev = _dev(device) if device is not None else input.device
    xp = D.array_module(dev)
    with D.device_guard(dev):
        arr = fill(xp, input._data.shape, dt.np)
    return _finish(arr, requires_grad, op)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return _like("zeros_like", input, dtype, device, requires_grad, lambda xp, s, d:
                 xp.zeros(s, d))


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return _like("ones_like", input, dtype, device, requires_grad, lambda xp, s, d:
                 xp.ones(s, d))


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return _like("empty_like", input, dtype, device, requires_grad, lambda xp, s, d:
                 xp.empty(s, d))


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return _like("full_like", input, dtype, device, requires_grad, lambda xp, s, d:
                 xp.full(s, fill_value, d))


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full((), s, dtype=dtype or T.get_default_dtype(), device=device,
                requires_grad=requires_grad)


def _num(x):
    return x.item() if isinstance(x, (Tensor, np.generic)) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    """Values ``start, start+step, …`` below ``end`` (``arange(n)`` is ``0 … n-1``)."""
    if end is None:
        start, end = 0, start
    start, end, step = _num(start), _num(end), _num(step)
    for v in (start, end, step):
        if not math.isfinite(v):
            raise RuntimeError(f"arange(): unsupported range: {start} -> {end} (step {step})")
    if dtype is None:
        dtype = T.get_default_dtype() if any(isinstance(v, float) for v in (start, end, step)) \
            else T.int64
    dt = T.to_dtype(dtype)
    if dt is T.int64:  # NOTE: PyTorch casts the bounds to int64 before sizing an int64 range
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange(): upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    # NOTE: length ceil((end - start) / step) computed in float64, values start + i * step
    n = max(0, math.ceil((end - start) / step))
    exact_int = all(isinstance(v, int) for v in (start, end, step))
    vals = start + np.arange(n, dtype=np.int64 if exact_int else np.float64) * step
    dev = _dev(device)
    arr = vals.astype(dt.np)
    return _out(_finish(D.move_array(arr, D.CPU, dev), requires_grad, "arange"), out)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Deprecated in PyTorch: like arange but includes ``end``; default dtype float."""
    warnings.warn("ember.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "ember.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    dt = T.to_dtype(dtype) if dtype is not None else T.get_default_dtype()
    arr = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    return _finish(D.move_array(arr, D.CPU, _dev(device)), requires_grad, "range")


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    NOTE: like PyTorch, the first half is computed from ``start`` and the second half from
    ``end`` so both ends are exact.
    """
    start, end = _num(start), _num(end)
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    dt = T.to_dtype(dtype) if dtype is not None else T.get_default_dtype()
    if steps == 1:
        vals = np.array([start], dtype=np.float64)
    else:
        i = np.arange(steps, dtype=np.float64)
        step = (end - start) / max(steps - 1, 1)
        half = steps // 2
        vals = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    if dt._kind == 1:
        vals = np.trunc(vals)
    arr = vals.astype(dt.np)
    return _out(_finish(D.move_array(arr, D.CPU, _dev(device)), requires_grad, "linspace"), out)


def logspace(start, end, steps, base: float = 10.0, *, out=None, dtype=None, layout=None,
             device=None, requires_grad=False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    dt = T.to_dtype(dtype) if dtype is not None else T.get_default_dtype()
    lin = linspace(start, end, steps, dtype=T.float64)._data
    arr = np.power(float(base), lin).astype(dt.np)
    return _out(_finish(D.move_array(arr, D.CPU, _dev(device)), requires_grad, "logspace"), out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad=False) -> Tensor:
    """The ``n × m`` identity matrix (``m`` defaults to ``n``)."""
    if n < 0:
        raise RuntimeError(f"eye(): n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"eye(): m must be greater or equal to 0, got {m}")
    dt = T.to_dtype(dtype) if dtype is not None else T.get_default_dtype()
    dev = _dev(device)
    xp = D.array_module(dev)
    with D.device_guard(dev):
        arr = xp.eye(n, m, dtype=dt.np)
    return _out(_finish(arr, requires_grad, "eye"), out)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    r, c = np.tril_indices(row, offset, col)
    dt = T.to_dtype(dtype) if dtype is not None else T.int64
    return Tensor._make(D.move_array(np.stack([r, c]).astype(dt.np), D.CPU, _dev(device)))


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    r, c = np.triu_indices(row, offset, col)
    dt = T.to_dtype(dtype) if dtype is not None else T.int64
    return Tensor._make(D.move_array(np.stack([r, c]).astype(dt.np), D.CPU, _dev(device)))


class Complex(Node):
    def forward(self, xp, re, im, dt):
        out = xp.empty(np.broadcast_shapes(re.shape, im.shape), dtype=dt)
        out.real[...] = re
        out.imag[...] = im  # NOTE: assigned, not re + 1j*im, so inf parts stay exact
        return out

    def backward(self, gy):
        from .unary import imag, real
        return real(gy), imag(gy)


def complex(real, imag, *, out=None) -> Tensor:
    """A complex tensor with real part ``real`` and imaginary part ``imag`` (broadcast).

    Args:
        real, imag: float32 or float64 tensors of the same dtype.

    Raises:
        RuntimeError: non-float inputs or different dtypes.

    Example:
        >>> import ember
        >>> ember.complex(ember.tensor([1.0]), ember.tensor([2.0]))
        tensor([1.+2.j])
    """
    for t in (real, imag):
        if not isinstance(t, Tensor):
            raise TypeError(f"complex(): argument must be Tensor, not {type(t).__name__}")
    if real.dtype not in (T.float32, T.float64) or imag.dtype not in (T.float32, T.float64):
        raise RuntimeError(f"complex(): Expected both inputs to be Float or Double tensors but "
                           f"got {real.dtype} and {imag.dtype}")
    if real.dtype is not imag.dtype:
        raise RuntimeError(f"complex(): Expected object of scalar type {real.dtype} but got "
                           f"scalar type {imag.dtype} for second argument")
    from ._dispatch import apply, check_same_device
    check_same_device("complex", real, imag)
    r = apply(Complex(), (real, imag), real._data, imag._data, real.dtype.to_complex().np)
    return _out(r, out)


def polar(abs, angle, *, out=None) -> Tensor:
    """``abs * (cos(angle) + i sin(angle))`` as a complex tensor.

    Example:
        >>> import ember
        >>> ember.polar(ember.tensor([2.0]), ember.tensor([0.0]))
        tensor([2.+0.j])
    """
    from .unary import cos, sin
    return complex(abs * cos(angle), abs * sin(angle), out=out)


# random samplers live in _sampling.py (imported last: it uses the helpers above)
from ._sampling import (  # noqa: E402
    bernoulli,
    multinomial,
    normal,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
)
