"""Random sampling ops: rand, randn, randint, randperm, normal, bernoulli, poisson,
multinomial (re-exported by :mod:`ember.ops.creation`; every one accepts ``generator=``).

Example:
    >>> import ember
    >>> g = ember.Generator().manual_seed(0)
    >>> ember.randint(0, 10, (3,), generator=g).shape
    ember.Size([3])
"""

from __future__ import annotations

import numpy as np

from .. import _device as D
from .. import _dtype as T
from .._tensor import Tensor
from ..random import generator_for
from .creation import _dev, _finish, _out, _size

__all__ = ["rand", "randn", "rand_like", "randn_like", "randint", "randint_like", "randperm",
           "normal", "bernoulli", "poisson", "multinomial"]


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
    from .binary import add, mul
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
    if p is None:
        probs = input._data
        if bool(((probs < 0) | (probs > 1)).any()):
            raise RuntimeError("bernoulli(): all elements of input must be in [0, 1]")
    else:
        probs = float(p)
        if not 0 <= probs <= 1:
            raise RuntimeError(f"bernoulli(): p must be in [0, 1], but got p={p}")
    g = generator_for(input.device, generator)
    u = g._uniform(input._data.shape, np.float64)
    return _out(Tensor._make((u < probs).astype(input._data.dtype)), out)


def poisson(input, generator=None) -> Tensor:
    """Poisson samples with rates ``input``."""
    g = generator_for(input.device, generator)
    if input.device.type != "cpu":
        raise RuntimeError("poisson(): ember samples Poisson variates on the CPU only")
    lam = input._data
    if not bool((lam >= 0).all()):  # also catches NaN
        raise RuntimeError("poisson(): invalid Poisson rate, expected rate to be non-negative")
    return Tensor._make(g._rng.poisson(lam).astype(lam.dtype))


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None,
                out=None) -> Tensor:
    """Indices sampled from the rows of ``input`` (unnormalised non-negative weights).

    Without replacement, uses exponential races (Efraimidis–Spirakis): the ``k`` smallest
    ``E_i / w_i`` with ``E_i ~ Exp(1)`` are a weighted sample without replacement.
    """
    if input.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {input.ndim}")
    if not input.is_floating_point():
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype}")
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
        # NOTE: one searchsorted for all rows: row r's cdf lives in [r, r + 1]
        off = xp.arange(w2.shape[0], dtype=np.float64)[:, None]
        flat = (cdf + off).reshape(-1)
        idx = xp.searchsorted(flat, (u + off).reshape(-1), side="right").reshape(u.shape)
        idx = xp.minimum(idx - (off * n).astype(np.int64), n - 1)
    else:
        u = g._uniform(w2.shape, np.float64)
        with np.errstate(divide="ignore"):
            keys = -xp.log1p(-u) / w2  # Exp(1) / w; zero weight -> inf, never chosen first
        idx = xp.argsort(keys, axis=-1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64)
    if input.ndim == 1:
        idx = idx[0]
    return _out(Tensor._make(idx), out)
