"""Fused CUDA updates: Adam/AdamW and SGD with momentum as one cupy kernel per tensor.

On a GPU the generic array kernels of :mod:`ember.optim._kernels` launch one kernel per ufunc
(about ten per parameter for Adam), which makes a step of a 100-tensor model launch-bound.
These elementwise kernels do the whole update of one tensor in one launch, with the same
formulas (and order of operations) as PyTorch's single-tensor implementations, computed in
the parameter's dtype (float32 or float64).  Built on first use, once per process.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fused_dtype", "adam_", "sgd_momentum_"]

_ADAM = (
    "T g, T w, T w_far, T beta2, T c2, T eps, T step_size, T bc2_sqrt, T l2, T decay, "
    "int32 near, int32 maximize",
    "T p, T m, T v",
    """
    T d = maximize ? -g : g;
    if (decay != (T)1) p = p * decay;
    if (l2 != (T)0) d = d + l2 * p;
    m = near ? m + w * (d - m) : d - (d - m) * w_far;
    v = v * beta2 + c2 * d * d;
    p = p - step_size * (m / (sqrt(v) / bc2_sqrt + eps));
    """,
    "ember_adam_update")

_SGD = (
    "T g, T lr, T momentum, T alpha, T wd, int32 nesterov, int32 maximize, int32 first",
    "T p, T buf",
    """
    T d = maximize ? -g : g;
    if (wd != (T)0) d = d + wd * p;
    buf = first ? d : buf * momentum + alpha * d;
    T u = nesterov ? d + momentum * buf : buf;
    p = p - lr * u;
    """,
    "ember_sgd_momentum_update")

_built: dict = {}


def _kernel(spec):
    k = _built.get(spec[-1])
    if k is None:
        import cupy
        k = _built[spec[-1]] = cupy.ElementwiseKernel(*spec)
    return k


def fused_dtype(a) -> bool:
    """Whether array ``a`` takes the fused path: a cupy array of float32 or float64."""
    return type(a) is not np.ndarray and a.dtype in (np.float32, np.float64)


def adam_(p, g, m, v, *, beta1, beta2, eps, step_size, bias_correction2_sqrt, l2, decay,
          maximize) -> None:
    """In place: ``m.lerp_(d, 1 - beta1)``, ``v.mul_(beta2).addcmul_(d, d, 1 - beta2)``,
    ``p.addcdiv_(m, sqrt(v) / bias_correction2_sqrt + eps, value=-step_size)`` with
    ``d = (-g if maximize else g) + l2 * p`` after ``p *= decay`` (AdamW's decoupled decay)."""
    t = p.dtype.type
    w = 1 - beta1  # NOTE: differences of hyper-parameters in double, as PyTorch's Python does
    _kernel(_ADAM)(g, t(w), t(1 - w), t(beta2), t(1 - beta2), t(eps), t(step_size),
                   t(bias_correction2_sqrt), t(l2), t(1.0 if decay is None else decay),
                   np.int32(abs(w) < 0.5), np.int32(maximize), p, m, v)


def sgd_momentum_(p, g, buf, *, lr, momentum, dampening, weight_decay, nesterov, maximize,
                  first) -> None:
    """In place: ``buf = d`` on the first step, else ``buf.mul_(momentum).add_(d, alpha=1 -
    dampening)``; ``p.add_(d + momentum * buf if nesterov else buf, alpha=-lr)`` with
    ``d = (-g if maximize else g) + weight_decay * p``."""
    t = p.dtype.type
    _kernel(_SGD)(g, t(lr), t(momentum), t(1 - dampening), t(weight_decay), np.int32(nesterov),
                  np.int32(maximize), np.int32(first), p, buf)
