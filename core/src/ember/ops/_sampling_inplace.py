"""In-place random fills: ``uniform_``, ``normal_``, ``bernoulli_``, ``random_``,
``exponential_``, ``cauchy_``, ``log_normal_``, ``geometric_`` (PyTorch's Tensor methods).

Each draws in float64 from the tensor's device generator (or ``generator=``), validates its
parameters with PyTorch's messages, and writes into the tensor's memory (views see it).

Example:
    >>> import ember
    >>> g = ember.Generator().manual_seed(0)
    >>> x = ember.empty(1000).uniform_(-1, 1, generator=g)
    >>> bool((x >= -1).all() and (x < 1).all())
    True
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as T
from ..autograd import grad_mode
from ..random import generator_for

__all__ = ["uniform_", "normal_", "bernoulli_", "random_", "exponential_", "cauchy_",
           "log_normal_", "geometric_"]


def _float_only(self, name: str) -> None:
    if self._data.dtype.kind != "f":
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{self.dtype.name.capitalize().replace('Int64', 'Long')}'")


def _fill(self, name: str, arr):
    if grad_mode._state.enabled and self.grad_fn is None and self._rg:
        raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place "
                           f"operation. ({name})")
    x = self._data
    x[...] = arr.astype(x.dtype, copy=False)
    self._bump()
    return self


def _xp(g):
    if g.device.type == "cpu":
        return np
    import cupy
    return cupy


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    """Fill with samples from U[``from``, ``to``)."""
    from_ = kw.pop("from", from_)
    _float_only(self, "uniform_")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={from_} > to={to}")
    g = generator_for(self.device, generator)
    return _fill(self, "uniform_", g._uniform(self._data.shape, np.float64) * (to - from_)
                 + from_)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with samples from N(``mean``, ``std``²)."""
    _float_only(self, "normal_")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    g = generator_for(self.device, generator)
    # NOTE: float32 draws and arithmetic for float32 tensors (as PyTorch computes), a
    # float64 draw otherwise; 4-5x faster than drawing float64 and rounding.
    work = np.float32 if self._data.dtype == np.float32 else np.float64
    arr = g._normal(self._data.shape, work)
    arr *= work(std)
    arr += work(mean)
    return _fill(self, "normal_", arr)


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1 samples, 1 with probability ``p`` (a number or a tensor of them)."""
    from .._tensor import Tensor
    g = generator_for(self.device, generator)
    if isinstance(p, Tensor):
        pa = p._data
        if bool(((pa < 0) | (pa > 1)).any()):
            raise RuntimeError("bernoulli_ expects all elements of p to be in [0, 1]")
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        pa = p
    return _fill(self, "bernoulli_", g._uniform(self._data.shape, np.float64) < pa)


def _default_to(dt) -> int:
    if dt.kind == "f":  # every integer up to 2**mantissa is exactly representable
        return 2 ** (np.finfo(dt).nmant + 1) + 1
    if dt.kind == "b":
        return 2
    return int(np.iinfo(dt).max) + 1


def random_(self, from_=0, to=None, *, generator=None, **kw):
    """Fill with integers uniform on [``from``, ``to``); ``random_(to)`` is [0, ``to``)."""
    from_ = kw.pop("from", from_)
    if to is None:
        from_, to = (0, from_) if from_ else (0, _default_to(self._data.dtype))
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} "
                           f">= to={to}")
    g = generator_for(self.device, generator)
    return _fill(self, "random_", g._integers(int(from_), int(to), self._data.shape, np.int64))


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with Exp(``lambd``) samples: ``-log(1 - U) / lambd``."""
    _float_only(self, "exponential_")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    g = generator_for(self.device, generator)
    xp = _xp(g)
    return _fill(self, "exponential_",
                 -xp.log1p(-g._uniform(self._data.shape, np.float64)) / lambd)


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy samples: ``median + sigma * tan(pi (U - 1/2))``."""
    _float_only(self, "cauchy_")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    g = generator_for(self.device, generator)
    u = g._uniform(self._data.shape, np.float64)
    return _fill(self, "cauchy_", median + sigma * _xp(g).tan(math.pi * (u - 0.5)))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with ``exp(N(mean, std²))`` samples."""
    _float_only(self, "log_normal_")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    g = generator_for(self.device, generator)
    return _fill(self, "log_normal_",
                 _xp(g).exp(g._normal(self._data.shape, np.float64) * std + mean))


def geometric_(self, p, *, generator=None):
    """Fill with the number of Bernoulli(``p``) trials up to the first success (≥ 1)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    g = generator_for(self.device, generator)
    u = g._uniform(self._data.shape, np.float64)
    return _fill(self, "geometric_", _xp(g).ceil(_xp(g).log1p(-u) / math.log1p(-p)))


_ = T
