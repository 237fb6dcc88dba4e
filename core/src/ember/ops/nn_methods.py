"""Neural-network functions PyTorch also exposes on ``torch`` and as Tensor methods.

``ember.softmax(x, dim)``, ``x.log_softmax(dim)``, ``ember.dropout(x, p, train)`` … forward
to :mod:`ember.nn.functional`, imported on first use so ``import ember`` stays fast.

Example:
    >>> import ember
    >>> ember.tensor([0.0, 0.0]).softmax(0)
    tensor([0.5000, 0.5000])
"""

from __future__ import annotations

__all__ = ["softmax", "log_softmax", "dropout", "alpha_dropout", "feature_alpha_dropout",
           "pdist", "cosine_similarity", "pairwise_distance", "prelu", "selu", "celu",
           "rrelu", "hardshrink", "threshold"]


def _F():
    from ..nn import functional
    return functional


def softmax(input, dim, dtype=None):
    """``exp(x) / exp(x).sum(dim)`` computed stably; see :func:`ember.nn.functional.softmax`."""
    return _F().softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    """``x - logsumexp(x, dim)``; see :func:`ember.nn.functional.log_softmax`."""
    return _F().log_softmax(input, dim, dtype=dtype)


def dropout(input, p: float, train: bool):
    """Zero elements with probability ``p`` when ``train`` (scaling the rest by 1/(1-p))."""
    return _F().dropout(input, p, train)


def alpha_dropout(input, p: float, train: bool):
    return _F().alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p: float, train: bool):
    return _F().feature_alpha_dropout(input, p, train)


def pdist(input, p: float = 2):
    """Pairwise distances between the rows of a 2-D tensor (upper triangle, flattened)."""
    return _F().pdist(input, p)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    return _F().cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    return _F().pairwise_distance(x1, x2, p, eps, keepdim)


def prelu(input, weight):
    return _F().prelu(input, weight)


def selu(input):
    return _F().selu(input)


def celu(input, alpha: float = 1.0):
    return _F().celu(input, alpha)


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False):
    return _F().rrelu(input, lower, upper, training)


def hardshrink(input, lambd: float = 0.5):
    return _F().hardshrink(input, lambd)


def threshold(input, threshold, value):
    return _F().threshold(input, threshold, value)
