"""In-place array kernels shared by the optimizers, each one PyTorch CPU op with its order of
operations, written with ``out=`` ufuncs (``np`` ufuncs dispatch to cupy for cupy arrays)."""

from __future__ import annotations

import numpy as np


def lerp_(a, end, weight: float, tmp) -> None:
    """``a.lerp_(end, weight)``: ``a + w (end - a)`` for ``|w| < 0.5``, else
    ``end - (end - a)(1 - w)`` (PyTorch's two-sided formula)."""
    np.subtract(end, a, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        a += tmp
    else:
        tmp *= 1 - weight
        np.subtract(end, tmp, out=a)


def addcmul_(a, t1, t2, value: float, tmp) -> None:
    """``a.addcmul_(t1, t2, value=value)``: ``a + value * t1 * t2``."""
    np.multiply(t1, value, out=tmp)
    tmp *= t2
    a += tmp


def addcdiv_(a, t1, t2, value: float, tmp) -> None:
    """``a.addcdiv_(t1, t2, value=value)``: ``a + value * t1 / t2``."""
    np.multiply(t1, value, out=tmp)
    tmp /= t2
    a += tmp


def add_(a, b, alpha: float, tmp) -> None:
    """``a.add_(b, alpha=alpha)``: ``a + alpha * b``."""
    if alpha == 1:
        a += b
    else:
        np.multiply(b, alpha, out=tmp)
        a += tmp


def decayed_grad(p, g, maximize: bool, weight_decay: float, out, tmp):
    """The gradient seen by the update: ``-g`` if ``maximize``, plus ``weight_decay * p``
    (``g.add(p, alpha=weight_decay)``) when non-zero; ``g`` itself when neither applies,
    else written into ``out``."""
    if not maximize and weight_decay == 0:
        return g
    if maximize:
        np.negative(g, out=out)
        if weight_decay != 0:
            add_(out, p, weight_decay, tmp)
    else:
        np.multiply(p, weight_decay, out=out)
        np.add(g, out, out=out)
    return out
