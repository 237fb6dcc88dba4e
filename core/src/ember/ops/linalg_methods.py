"""Linear algebra in the top-level namespace and as Tensor methods (PyTorch's older API).

``ember.det``, ``ember.inverse``, ``x.norm()``, ``x.svd()`` … forward to :mod:`ember.linalg`;
``norm``, ``svd``, ``qr`` and ``cholesky`` keep the older signatures (``p='fro'``,
``some=True``, ``upper=False``, ``V`` instead of ``Vh``).

Example:
    >>> import ember
    >>> A = ember.tensor([[2.0, 0.0], [0.0, 3.0]])
    >>> A.det(), A.inverse().diagonal()
    (tensor(6.), tensor([0.5000, 0.3333]))
"""

from __future__ import annotations

import importlib

from .. import return_types as R


class _Lazy:
    """``ember.linalg``, imported on first use: it is big and most programs never need it,
    so ``import ember`` stays fast."""

    def __getattr__(self, name):
        return getattr(importlib.import_module("ember.linalg"), name)


_la = _Lazy()


def dist(input, other, p=2):
    """``vector_norm(input - other, p)``; see :func:`ember.linalg` (``_norms.dist``)."""
    from ..linalg._norms import dist as _dist
    return _dist(input, other, p)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of ``x1`` and ``x2`` (batched).

    Example:
        >>> import ember
        >>> ember.cdist(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0]]))
        tensor([[5.]])
    """
    from ..linalg._norms import cdist as _cdist
    return _cdist(x1, x2, p, compute_mode)


def legacy_norm(*args):
    from ..linalg._norms import legacy_norm as _legacy
    return _legacy(*args)

__all__ = ["norm", "det", "logdet", "slogdet", "inverse", "pinverse", "cholesky", "qr", "svd",
           "matrix_power", "matrix_exp", "dist", "cdist"]


def norm(input, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None):
    """Norm with ``torch.norm``'s rules (see :func:`ember.linalg.norm` for the modern API).

    ``p='fro'`` (default): 2-norm over ``dim`` (all dims); ``p='nuc'``: nuclear norm; a
    number: the vector p-norm over ``dim``.

    Args:
        input (Tensor): float or complex input.
        p (str or float): ``'fro'``, ``'nuc'`` or a number. Default: ``'fro'``.
        dim (int or tuple, optional): dims to reduce; all when ``None``.
        keepdim (bool): keep reduced dims. Default: ``False``.
        dtype (ember.dtype, optional): cast ``input`` first.

    Raises:
        RuntimeError: integer input; ``'nuc'`` over other than 2 dims.

    Example:
        >>> import ember
        >>> ember.norm(ember.tensor([[3.0, 4.0]]), p=1, dim=1)
        tensor([7.])
    """
    return legacy_norm(input, p, dim, keepdim, out, dtype)


def det(input):
    """Determinant; see :func:`ember.linalg.det`."""
    return _la.det(input)


def logdet(input):
    """Log-determinant (NaN for a negative determinant); see :func:`ember.linalg.slogdet`."""
    from ..linalg._solve import logdet as _logdet
    return _logdet(input)


def slogdet(input):
    """``(sign, logabsdet)`` of the determinant; see :func:`ember.linalg.slogdet`."""
    s = _la.slogdet(input)
    return R.slogdet(s.sign, s.logabsdet)


def inverse(input, *, out=None):
    """Matrix inverse; see :func:`ember.linalg.inv`."""
    return _la.inv(input, out=out)


def pinverse(input, rcond: float = 1e-15):
    """Pseudo-inverse with relative cut-off ``rcond``; see :func:`ember.linalg.pinv`."""
    return _la.pinv(input, rtol=rcond)


def cholesky(input, upper: bool = False, *, out=None):
    """Cholesky factor (lower, or upper with ``upper=True``); see
    :func:`ember.linalg.cholesky`.  (PyTorch also warns that this spelling is deprecated.)"""
    return _la.cholesky(input, upper=upper, out=out)


def qr(input, some: bool = True, *, out=None):
    """``(Q, R)``: reduced QR when ``some`` (default), complete otherwise."""
    q, r = _la.qr(input, "reduced" if some else "complete")
    return R.qr(q, r)


def svd(input, some: bool = True, compute_uv: bool = True, *, out=None):
    """``(U, S, V)`` with :math:`A = U \\operatorname{diag}(S) V^H` (note: ``V``, not ``Vh``).

    ``some=True`` gives the reduced factors; with ``compute_uv=False`` ``U`` and ``V`` are
    zero-filled ``m x m`` / ``n x n`` matrices, as in PyTorch.

    Example:
        >>> import ember
        >>> ember.svd(ember.tensor([[0.0, 3.0], [2.0, 0.0]])).S
        tensor([3., 2.])
    """
    if not compute_uv:
        from .creation import zeros
        S = _la.svdvals(input)
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        U = zeros(batch + (m, m), dtype=input.dtype, device=input.device)
        V = zeros(batch + (n, n), dtype=input.dtype, device=input.device)
        return R.svd(U, S, V)
    U, S, Vh = _la.svd(input, full_matrices=not some)
    return R.svd(U, S, Vh.mH)


def matrix_power(input, n: int):
    """``input`` to the integer power ``n``; see :func:`ember.linalg.matrix_power`."""
    return _la.matrix_power(input, n)


def matrix_exp(input):
    """Matrix exponential; see :func:`ember.linalg.matrix_exp`."""
    return _la.matrix_exp(input)
