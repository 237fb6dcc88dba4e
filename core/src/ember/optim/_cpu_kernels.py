"""Compiled CPU updates (optional, with numba): SGD, Adam/AdamW, Adamax, NAdam, RAdam,
RMSprop, Adagrad, Adadelta and ASGD as one loop per chunk.

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


def _grad(d, p, l2, maximize):
    """``±d + l2 p`` (the weight-decay term only when ``l2 != 0``).  Scalars: an array
    argument here would keep LLVM from vectorizing the calling loop."""
    if maximize:
        d = -d
    if l2 != 0:
        d = d + p * l2
    return d


def _lerp(a, end, w, w_far, near):
    """``a.lerp_(end, w)``, PyTorch's two-sided formula (``w_far = 1 - w``)."""
    if near:
        return a + (end - a) * w
    return end - (end - a) * w_far


def _max(a, b):
    """``np.maximum(a, b)`` for two scalars: a NaN on either side wins."""
    return a if (a >= b or a != a) else b


def _moments(p, g, m, v, w, w_far, beta2, c2, l2, decay, near, has_decay, maximize):
    """What Adam, NAdam and RAdam share, on scalars: ``p *= decay`` (decoupled decay),
    ``d = ±g + l2 p``, ``m.lerp_(d, w)``, ``v = beta2 v + (c2 d) d``; returns
    ``(p, d, m, v)``."""
    if has_decay:
        p = p * decay
    d = _grad(g, p, l2, maximize)
    return p, d, _lerp(m, d, w, w_far, near), v * beta2 + (d * c2) * d


def _sgd(neg_lr, wd, maximize, p, g):
    """``p += neg_lr * d`` with ``d = ±g + wd p`` (weight decay only when ``wd != 0``)."""
    for i in range(p.size):
        pi = p[i]
        p[i] = pi + _grad(g[i], pi, wd, maximize) * neg_lr


def _sgd_momentum(neg_lr, wd, momentum, alpha, maximize, nesterov, first, p, g, b):
    """SGD with a momentum buffer ``b``: ``b = momentum b + alpha d`` (``b = d`` on the
    ``first`` step), ``u = d + momentum b`` (nesterov) or ``b``, ``p += neg_lr u``."""
    for i in range(p.size):
        pi = p[i]
        d = _grad(g[i], pi, wd, maximize)
        if first:
            bi = d
        else:
            bi = b[i] * momentum + d * alpha
        b[i] = bi
        if nesterov:
            d = d + bi * momentum
        else:
            d = bi
        p[i] = pi + d * neg_lr


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
        pi, d, mi, vi = _moments(p[i], g[i], m[i], v[i], w, w_far, beta2, c2, l2, decay, near,
                                 has_decay, maximize)
        m[i] = mi
        v[i] = vi
        if amsgrad:
            vi = _max(vmax[i], vi)
            vmax[i] = vi
        p[i] = pi + (mi * neg_step) / (np.sqrt(vi) / bc2_sqrt + eps)


def _adamax(w, w_far, beta2, eps, neg_clr, l2, near, maximize, p, g, m, u):
    """Adamax: ``m.lerp_(d, w)``, ``u = max(beta2 u, |d| + eps)``, ``p += (neg_clr m) / u``."""
    for i in range(p.size):
        pi = p[i]
        d = _grad(g[i], pi, l2, maximize)
        mi = _lerp(m[i], d, w, w_far, near)
        m[i] = mi
        ui = _max(u[i] * beta2, abs(d) + eps)
        u[i] = ui
        p[i] = pi + (mi * neg_clr) / ui


def _nadam(w, w_far, beta2, c2, bc2, eps, grad_coef, avg_coef, l2, decay, near, has_decay,
           maximize, p, g, m, v):
    """NAdam: ``p *= decay``, ``m.lerp_(d, w)``, ``v = beta2 v + (c2 d) d``,
    ``denom = sqrt(v / bc2) + eps``, ``p += (grad_coef d) / denom``, then
    ``p += (avg_coef m) / denom``."""
    for i in range(p.size):
        pi, d, mi, vi = _moments(p[i], g[i], m[i], v[i], w, w_far, beta2, c2, l2, decay, near,
                                 has_decay, maximize)
        m[i] = mi
        v[i] = vi
        denom = np.sqrt(vi / bc2) + eps
        pi = pi + (d * grad_coef) / denom
        p[i] = pi + (mi * avg_coef) / denom


def _radam(w, w_far, beta2, c2, bc1, lr, bc2_sqrt, eps, rect, l2, decay, near, has_decay,
           has_rect, maximize, p, g, m, v):
    """RAdam: ``p *= decay``, ``m``, ``v`` as Adam, ``u = (m / bc1) lr``, times
    ``bc2_sqrt / (sqrt(v) + eps)`` and ``rect`` when the variance is tractable, ``p -= u``."""
    for i in range(p.size):
        pi, d, mi, vi = _moments(p[i], g[i], m[i], v[i], w, w_far, beta2, c2, l2, decay, near,
                                 has_decay, maximize)
        m[i] = mi
        v[i] = vi
        u = (mi / bc1) * lr
        if has_rect:
            u = (u * (bc2_sqrt / (np.sqrt(vi) + eps))) * rect
        p[i] = pi - u


def _rmsprop(alpha, c, w, w_far, eps, neg_lr, momentum, l2, near, maximize, centered,
             use_momentum, p, g, sq, ga, buf):
    """RMSprop: ``sq = alpha sq + (c d) d``; centered: ``ga.lerp_(d, w)``,
    ``avg = sqrt((-ga) ga + sq)``, else ``sqrt(sq)``; ``avg += eps``; then
    ``buf = momentum buf + d / avg``, ``p += neg_lr buf``, or ``p += (neg_lr d) / avg``.
    ``ga`` and ``buf`` are unused when their option is off."""
    for i in range(p.size):
        pi = p[i]
        d = _grad(g[i], pi, l2, maximize)
        s = sq[i] * alpha + (d * c) * d
        sq[i] = s
        if centered:
            a = _lerp(ga[i], d, w, w_far, near)
            ga[i] = a
            avg = np.sqrt((-a) * a + s)
        else:
            avg = np.sqrt(s)
        avg = avg + eps
        if use_momentum:
            b = buf[i] * momentum + d / avg
            buf[i] = b
            p[i] = pi + b * neg_lr
        else:
            p[i] = pi + (d * neg_lr) / avg


def _adagrad(neg_clr, eps, l2, maximize, p, g, acc):
    """Adagrad: ``acc += d d``, ``p += (neg_clr d) / (sqrt(acc) + eps)``."""
    for i in range(p.size):
        pi = p[i]
        d = _grad(g[i], pi, l2, maximize)
        a = acc[i] + d * d
        acc[i] = a
        p[i] = pi + (d * neg_clr) / (np.sqrt(a) + eps)


def _adadelta(rho, c, eps, neg_lr, l2, maximize, p, g, sq, acc):
    """Adadelta: ``sq = rho sq + (c d) d``, ``delta = sqrt(acc + eps) / sqrt(sq + eps) d``,
    ``acc = rho acc + (c delta) delta``, ``p += neg_lr delta``."""
    for i in range(p.size):
        pi = p[i]
        d = _grad(g[i], pi, l2, maximize)
        s = sq[i] * rho + (d * c) * d
        sq[i] = s
        ai = acc[i]
        delta = (np.sqrt(ai + eps) / np.sqrt(s + eps)) * d
        acc[i] = ai * rho + (delta * c) * delta
        p[i] = pi + delta * neg_lr


def _asgd(decay, neg_eta, mu, l2, maximize, average, p, g, ax):
    """ASGD: ``p = decay p + neg_eta d``, then ``ax += (p - ax) mu`` or (not ``average``,
    while mu is 1) ``ax = p``."""
    for i in range(p.size):
        pi = p[i]
        d = _grad(g[i], pi, l2, maximize)
        pi = pi * decay + d * neg_eta
        p[i] = pi
        if average:
            a = ax[i]
            ax[i] = a + (pi - a) * mu
        else:
            ax[i] = pi


_SOURCES = {"sgd": _sgd, "sgd_momentum": _sgd_momentum,
            "sgd_momentum_plain": _sgd_momentum_plain, "adam": _adam, "adamax": _adamax,
            "nadam": _nadam, "radam": _radam, "rmsprop": _rmsprop, "adagrad": _adagrad,
            "adadelta": _adadelta, "asgd": _asgd}
# NOTE: the loops call these by their module-level names, which numba resolves when it
# compiles a loop; so before the first loop, the names are rebound to compiled (inlined)
# versions of the plain functions kept here (LLVM inlines them)
_HELPERS = (_grad, _lerp, _max, _moments)  # in this order: _moments calls the first two
_helpers_compiled: list = [False]
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
    """The compiled loop ``name`` (a key of ``_SOURCES``) for arrays of
    ``dtype``, called as ``loop(*scalars, *flags, *arrays)`` on 1-D contiguous arrays, or
    None when numba is unavailable or disabled, or ``dtype`` is not float32/float64."""
    if dtype != np.float32 and dtype != np.float64:
        return None
    numba = _load_numba()
    if not numba:
        return None
    fn = _compiled.get(name)
    if fn is None:
        if not _helpers_compiled[0]:
            for helper in _HELPERS:
                globals()[helper.__name__] = numba.njit(helper)
            _helpers_compiled[0] = True
        options = {"nogil": True, "error_model": "numpy", "boundscheck": False}
        try:
            fn = numba.njit(cache=True, **options)(_SOURCES[name])
        except RuntimeError:  # numba found no writable cache directory: compile per process
            fn = numba.njit(**options)(_SOURCES[name])
        _compiled[name] = fn
    return fn
