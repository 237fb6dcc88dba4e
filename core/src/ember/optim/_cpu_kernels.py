"""Compiled CPU updates (optional, with numba): SGD and Adam/AdamW as one loop per chunk.

The numpy kernels of the optimizers make one pass over a cache-sized chunk per ufunc (SGD
with momentum 4, Adam 13), each taking and releasing the GIL.  With numba installed (the
``ember[numba]`` extra) these loops do the whole update of a chunk in one pass and run
without the GIL, so the optimizer's threads overlap fully.  They compute exactly what the
numpy kernels compute: the same float32 (or float64) operations in the same order, each
rounded (numba compiles without ``fastmath``, so no fused multiply-add), with the scalars
rounded to the array's dtype first, as numpy does with a Python float (NEP 50).  The tests
hold the two paths to bit-identical results.

Loaded on first use (importing numba takes ~0.3 s, so ``import ember`` never does) and
compiled once per dtype, cached on disk where numba finds a writable cache directory.  Set
the environment variable ``EMBER_NUMBA=0`` to keep the numpy kernels.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

__all__ = ["cpu_loop"]


def _sgd(neg_lr, wd, maximize, p, g):
    """``p += neg_lr * d`` with ``d = ±g + wd p`` (weight decay only when ``wd != 0``)."""
    for i in range(p.size):
        d = g[i]
        if maximize:
            d = -d
        if wd != 0:
            d = d + p[i] * wd
        p[i] = p[i] + d * neg_lr


def _sgd_momentum(neg_lr, wd, momentum, alpha, maximize, nesterov, first, p, g, b):
    """SGD with a momentum buffer ``b``: ``b = momentum b + alpha d`` (``b = d`` on the
    ``first`` step), ``u = d + momentum b`` (nesterov) or ``b``, ``p += neg_lr u``."""
    for i in range(p.size):
        d = g[i]
        if maximize:
            d = -d
        if wd != 0:
            d = d + p[i] * wd
        if first:
            bi = d
        else:
            bi = b[i] * momentum + d * alpha
        b[i] = bi
        if nesterov:
            d = d + bi * momentum
        else:
            d = bi
        p[i] = p[i] + d * neg_lr


def _sgd_momentum_plain(neg_lr, momentum, p, g, b):
    """The common case of :func:`_sgd_momentum` (no weight decay, dampening, nesterov or
    maximize; not the first step) without its branches: ``b = momentum b + g``,
    ``p += neg_lr b``."""
    for i in range(p.size):
        bi = b[i] * momentum + g[i]
        b[i] = bi
        p[i] = p[i] + bi * neg_lr


def _adam(w, w_far, beta2, c2, bc2_sqrt, eps, neg_step, l2, decay, near, has_decay, maximize,
          amsgrad, p, g, m, v, vmax):
    """Adam: ``p *= decay`` (decoupled decay), ``d = ±g + l2 p``, ``m.lerp_(d, w)`` (two-sided:
    ``m + w (d - m)`` when ``near`` else ``d - (1 - w)(d - m)``), ``v = beta2 v + (c2 d) d``,
    ``vmax = max(vmax, v)`` (amsgrad; NaN propagates as in ``np.maximum``),
    ``p += (neg_step m) / (sqrt(v) / bc2_sqrt + eps)``.  ``vmax`` is unused without amsgrad."""
    for i in range(p.size):
        pi = p[i]
        if has_decay:
            pi = pi * decay
        d = g[i]
        if maximize:
            d = -d
        if l2 != 0:
            d = d + pi * l2
        mi = m[i]
        if near:
            mi = mi + (d - mi) * w
        else:
            mi = d - (d - mi) * w_far
        m[i] = mi
        vi = v[i] * beta2 + (d * c2) * d
        v[i] = vi
        if amsgrad:
            top = vmax[i]
            if not (top >= vi or top != top):
                top = vi
            vmax[i] = top
            vi = top
        p[i] = pi + (mi * neg_step) / (np.sqrt(vi) / bc2_sqrt + eps)


_SOURCES = {"sgd": _sgd, "sgd_momentum": _sgd_momentum,
            "sgd_momentum_plain": _sgd_momentum_plain, "adam": _adam}
_compiled: dict = {}
_numba: list = [None]   # [the numba module, or False when absent, disabled or broken]


def _load_numba():
    mod = _numba[0]
    if mod is None:
        mod = False
        if os.environ.get("EMBER_NUMBA", "1") != "0":
            try:
                import numba as mod
            except ImportError as err:
                # NOTE: absent is the normal case; installed but unimportable (e.g. built for
                # another numpy) is worth a warning. Results are the same either way.
                if getattr(err, "name", None) != "numba":
                    warnings.warn(f"ember.optim: numba failed to import ({err}); the "
                                  "optimizers use their numpy kernels", RuntimeWarning,
                                  stacklevel=3)
                mod = False
        _numba[0] = mod
    return mod


def cpu_loop(name: str, dtype):
    """The compiled loop ``name`` (a key of ``_SOURCES``: ``"sgd"``, ``"sgd_momentum"``,
    ``"sgd_momentum_plain"``, ``"adam"``) for arrays of
    ``dtype``, called as ``loop(*scalars, *flags, *arrays)`` on 1-D contiguous arrays, or
    None when numba is unavailable or disabled, or ``dtype`` is not float32/float64."""
    if dtype != np.float32 and dtype != np.float64:
        return None
    numba = _load_numba()
    if not numba:
        return None
    fn = _compiled.get(name)
    if fn is None:
        options = {"nogil": True, "error_model": "numpy", "boundscheck": False}
        try:
            fn = numba.njit(cache=True, **options)(_SOURCES[name])
        except RuntimeError:  # numba found no writable cache directory: compile per process
            fn = numba.njit(**options)(_SOURCES[name])
        _compiled[name] = fn
    return fn
