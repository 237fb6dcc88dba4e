"""Beta and Dirichlet draws from ember's global CPU generator (ember has no ``distributions``).

The draws go through the numpy ``Generator`` behind ``ember.random.default_generator``, so
``ember.manual_seed`` makes AugMix, MixUp and CutMix reproducible. The streams differ from
PyTorch's bit for bit (as every ember random stream does).
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import random as _random


def _numpy_rng() -> np.random.Generator:
    # looked up on every draw: manual_seed replaces the generator's numpy stream
    return _random.default_generator._rng


def check_concentration(alpha, owner: str) -> float:
    """``float(alpha)`` after checking it is a finite number > 0 (the Beta/Dirichlet domain)."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise TypeError(f"{owner}(): alpha must be a number, got {type(alpha).__name__}")
    alpha = float(alpha)
    if not (math.isfinite(alpha) and alpha > 0):
        raise ValueError(f"{owner}(): alpha must be a finite number > 0 (the concentration of "
                         f"the Beta/Dirichlet distribution), got {alpha}")
    return alpha


def sample_beta(alpha: float) -> float:
    """One draw of ``Beta(alpha, alpha)`` rounded to float32 (torch samples a float32 tensor).

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> 0.0 <= sample_beta(1.0) <= 1.0
        True
    """
    return float(np.float32(_numpy_rng().beta(alpha, alpha)))


def sample_dirichlet(concentration: ember.Tensor) -> ember.Tensor:
    """Rows of Dirichlet draws, like ``torch._sample_dirichlet``: ``(N, K)`` concentrations
    -> ``(N, K)`` float32 weights on the concentration's device, each row summing to 1.

    Rows sharing one concentration vector use numpy's Dirichlet sampler (stable for small
    alpha); otherwise independent Gamma draws are normalised per row.

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> w = sample_dirichlet(ember.ones(2, 3))
        >>> tuple(w.shape), bool(((w.sum(1) - 1).abs() < 1e-6).all())
        ((2, 3), True)
    """
    conc = np.asarray(concentration.detach().cpu().numpy(), dtype=np.float64)
    if conc.ndim != 2:
        raise ValueError(f"_sample_dirichlet(): expected (N, K) concentrations, got shape "
                         f"{tuple(conc.shape)}")
    rng = _numpy_rng()
    n, k = conc.shape
    if n == 0 or k == 0:
        out = np.zeros((n, k))
    elif (conc == conc[0]).all():
        out = rng.dirichlet(conc[0], size=n)
    else:
        g = rng.standard_gamma(conc)
        out = g / np.maximum(g.sum(-1, keepdims=True), np.finfo(np.float64).tiny)
    return ember.tensor(out.astype(np.float32), device=concentration.device)
