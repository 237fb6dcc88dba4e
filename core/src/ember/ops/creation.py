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

import math
import warnings

import numpy as np

from .. import _device as D
from .. import _dtype as T
from .._tensor import Tensor
from ..random import generator_for

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


def _infer_np_dtype(data) -> T.dtype:
    """PyTorch's dtype for Python data: floats -> default, ints -> int64, bools -> bool."""
    arr = np.asarray(data)
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
    raise TypeError(f"tensor(): could not infer dtype of {type(data).__name__} "
                    f"(numpy made dtype {arr.dtype})")


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
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        plain = _plain(data)
        if dt is None:
            dt = _infer_np_dtype(plain)
        try:
            arr = np.array(plain, dtype=dt.np)
        except ValueError as e:
            raise ValueError(f"tensor(): could not build a tensor from ragged or invalid nested "
                             f"data: {e}") from None
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
    if isinstance(data, (list, tuple)):
        return any(_has_str(d) for d in data[:1])
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
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError(f"arange(): upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        dtype = T.get_default_dtype() if any(isinstance(v, float) for v in (start, end, step)) \
            else T.int64
    dt = T.to_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    vals = start + np.arange(n, dtype=np.float64 if dt._kind >= 2 or
                             isinstance(step, float) or isinstance(start, float) else np.int64) * step
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
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye(): n and m must be non-negative, got n={n}, m={m}")
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


# ---------------------------------------------------------------------- random
def _rand_common(op, size, generator, dtype, device, requires_grad, draw):
    shape = _size(size, op)
    dt = T.to_dtype(dtype) if dtype is not None else T.get_default_dtype()
    if dt._kind < 2:
        raise RuntimeError(f"{op}(): expected a floating point dtype, got {dt}")
    dev = _dev(device)
    g = generator_for(dev, generator)
    return _finish(draw(g, shape, dt.np), requires_grad, op)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """Uniform samples on [0, 1)."""
    return _out(_rand_common("rand", size, generator, dtype, device, requires_grad,
                             lambda g, s, d: g._uniform(s, d)), out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:
    """Standard normal samples."""
    return _out(_rand_common("randn", size, generator, dtype, device, requires_grad,
                             lambda g, s, d: g._normal(s, d)), out)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None) -> Tensor:
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None) -> Tensor:
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype,
                 device=device or input.device, requires_grad=requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False) -> Tensor:
    """Integers uniform on ``[low, high)``; ``randint(high, size)`` also works."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint(): missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    shape = _size((size,), "randint")
    dt = T.to_dtype(dtype) if dtype is not None else T.int64
    dev = _dev(device)
    g = generator_for(dev, generator)
    return _out(_finish(g._integers(int(low), int(high), shape, dt.np), requires_grad,
                        "randint"), out)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, generator=None,
                 requires_grad=False) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype or input.dtype, device=device or input.device)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    """A random permutation of ``0 … n-1``."""
    if n < 0:
        raise RuntimeError(f"randperm(): n must be non-negative, got {n}")
    dt = T.to_dtype(dtype) if dtype is not None else T.int64
    dev = _dev(device)
    g = generator_for(dev, generator)
    return _out(_finish(g._permutation(int(n)).astype(dt.np), requires_grad, "randperm"), out)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False) -> Tensor:
    """Normal samples with (broadcast) ``mean`` and ``std``, tensors or floats."""
    from .elementwise import add, mul
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if st and bool((std._data < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not st and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if not mt and not st:
        if size is None:
            raise TypeError("normal(): with float mean and std, 'size' is required")
        z = randn(size, generator=generator, dtype=dtype, device=device)
    else:
        like = mean if mt else std
        shape = np.broadcast_shapes(mean._data.shape if mt else (), std._data.shape if st else ())
        g = generator_for(like.device, generator)
        z = Tensor._make(g._normal(shape, like._data.dtype))
    from ..autograd.grad_mode import no_grad
    with no_grad():
        res = add(mul(z, std), mean)
    res._rg = bool(requires_grad)
    return _out(res, out)


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """0/1 samples with probabilities ``input`` (or the scalar ``p``), in ``input``'s dtype."""
    probs = input._data if p is None else np.full(input._data.shape, p)
    if bool(((probs < 0) | (probs > 1)).any()):
        raise RuntimeError("bernoulli(): all elements of input must be in [0, 1]")
    g = generator_for(input.device, generator)
    u = g._uniform(input._data.shape, np.float64)
    return _out(Tensor._make((u < probs).astype(input._data.dtype)), out)


def poisson(input, generator=None) -> Tensor:
    """Poisson samples with rates ``input``."""
    g = generator_for(input.device, generator)
    if input.device.type != "cpu":
        raise RuntimeError("poisson(): ember samples Poisson variates on the CPU only")
    return Tensor._make(g._rng.poisson(input._data).astype(input._data.dtype))


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None,
                out=None) -> Tensor:
    """Indices sampled from the rows of ``input`` (unnormalised non-negative weights).

    Without replacement, uses exponential races (Efraimidis–Spirakis): the ``k`` smallest
    ``E_i / w_i`` with ``E_i ~ Exp(1)`` are a weighted sample without replacement.
    """
    if input.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {input.ndim}")
    w = input._data.astype(np.float64)
    xp = np if type(w) is np.ndarray else D._cupy
    if not bool(xp.isfinite(w).all()) or bool((w < 0).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    w2 = w.reshape(-1, w.shape[-1])
    if bool((w2.sum(-1) <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    n = w2.shape[-1]
    if num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples, got {num_samples}")
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    g = generator_for(input.device, generator)
    if replacement:
        cdf = xp.cumsum(w2, -1)
        cdf /= cdf[:, -1:]
        u = g._uniform((w2.shape[0], num_samples), np.float64)
        idx = xp.stack([xp.searchsorted(cdf[r], u[r], side="right") for r in
                        builtins_range(w2.shape[0])])
        idx = xp.minimum(idx, n - 1)
    else:
        u = g._uniform(w2.shape, np.float64)
        with np.errstate(divide="ignore"):
            keys = -xp.log1p(-u) / w2  # Exp(1) / w; zero weight -> inf, never chosen first
        idx = xp.argsort(keys, axis=-1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64)
    if input.ndim == 1:
        idx = idx[0]
    return _out(Tensor._make(idx), out)


builtins_range = __builtins__["range"] if isinstance(__builtins__, dict) else __builtins__.range


def complex(real, imag) -> Tensor:
    """``real + 1j * imag`` as a complex tensor (differentiable)."""
    from .elementwise import add, mul
    return add(real, mul(imag, 1j))


def polar(abs, angle) -> Tensor:
    """``abs * (cos(angle) + 1j sin(angle))``."""
    from .elementwise import cos, sin
    return complex(abs * cos(angle), abs * sin(angle))
