"""Random draws of the transforms from ember's global CPU generator.

Scalar draws (:func:`rand`, :func:`uniform`, :func:`randint`) give the values of
``ember.rand(1)`` / ``ember.randint(low, high, (1,))`` and advance the stream alike, without
making tensors (they run a few times per image). Beta and Dirichlet draws (ember has no
``distributions``) go through the numpy ``Generator`` behind ``ember.random.default_generator``.
So ``ember.manual_seed`` makes every random transform reproducible; the streams differ from
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


def rand() -> float:
    """``float(ember.rand(1))``: a draw in the default dtype from the global generator."""
    return _random.default_generator._scalar_uniform(ember.get_default_dtype().np)


def uniform(low: float, high: float) -> float:
    """One draw of U(low, high), as ``torch.empty(1).uniform_(low, high)`` computes it:
    ``low + (high - low) * u`` with ``u`` the value of ``ember.rand(1, dtype=float64)``."""
    low, high = float(low), float(high)
    return low + (high - low) * _random.default_generator._scalar_uniform(np.float64)


def randint(low: int, high: int) -> int:
    """One draw from ``[low, high)``: the value of ``ember.randint(low, high, (1,))``."""
    return _random.default_generator._scalar_integer(int(low), int(high))


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
