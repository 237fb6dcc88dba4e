"""Triangular factorizations: cholesky, cholesky_ex and qr, with their gradients.

Example:
    >>> import ember
    >>> A = ember.tensor([[4.0, 2.0], [2.0, 5.0]])
    >>> ember.linalg.cholesky(A)
    tensor([[2., 0.],
            [1., 2.]])
"""

from __future__ import annotations

import numpy as np

from .. import return_types as R
from .._tensor import Tensor
from ..autograd.node import Node
from ..ops._dispatch import apply
from ..ops.shape import cat
from ._common import (
    check_matrix,
    check_real_grad,
    cholesky_info,
    lapack,
    linalg_errors,
    not_pd_error,
)
from ._solve import solve_triangular

__all__ = ["cholesky", "cholesky_ex", "qr"]


# ---------------------------------------------------------------------- cholesky
def _tril_half_diag_sym(Y: Tensor) -> Tensor:
    """``(tril(Y) + tril(Y, -1)^H) / 2``: the Hermitian part of Murray's Phi(Y)."""
    return 0.5 * (Y.tril() + Y.tril(-1).mH)


class LinalgCholeskyEx(Node):
    saves_output = True

    def __init__(self, check_errors: bool = True) -> None:
        Node.__init__(self)
        self.check_errors = check_errors

    def forward(self, xp, a):
        try:
            L = lapack(xp, xp.linalg.cholesky, a)
            self.info = xp.zeros(a.shape[:-2], np.int32)
            return L
        except linalg_errors(xp):
            info, partial = cholesky_info(a)
            if self.check_errors:
                raise not_pd_error("linalg.cholesky", info) from None
            # NOTE: failing matrices keep the partial factor (NaN from the failing column on),
            # the others are factored again by LAPACK
            L = xp.asarray(partial.astype(a.dtype))
            good = xp.asarray(info == 0)
            if a.ndim > 2 and bool(good.any()):
                L[good] = lapack(xp, xp.linalg.cholesky, a[good])
            self.info = xp.asarray(info)
            return L

    def backward(self, gL):
        # Murray (2016), arXiv:1602.07527: with A = L L^H,
        #   gA = L^-H Phi(L^H gL) L^-1, symmetrized (A is read as a Hermitian matrix)
        L = self.output
        S = _tril_half_diag_sym(L.mH @ gL.tril())
        S = solve_triangular(L.mH, S, upper=True)
        return (solve_triangular(L, S, upper=False, left=False),)


def cholesky(A, *, upper: bool = False, out=None):
    r"""Cholesky factor of Hermitian positive-definite matrices: :math:`A = L L^H`.

    Only the lower triangle of ``A`` is read.  The gradient is Murray's formula
    :math:`g_A = L^{-H}\,\Phi(L^H g_L)\,L^{-1}` (``Phi`` = lower triangle with a halved
    diagonal), symmetrized.

    Args:
        A (Tensor): ``(*, n, n)`` Hermitian positive-definite matrices.
        upper (bool): return the upper factor :math:`U = L^H` (:math:`A = U^H U`).
            Default: ``False``.

    Shape:
        ``(*, n, n)`` -> ``(*, n, n)``.

    Raises:
        RuntimeError: ``A`` is not a batch of square float/complex matrices.
        LinAlgError: a matrix is not positive-definite (names the failing leading minor).

    Example:
        >>> import ember
        >>> ember.linalg.cholesky(ember.tensor([[4.0, 2.0], [2.0, 5.0]]), upper=True)
        tensor([[2., 1.],
                [0., 2.]])
    """
    check_matrix("linalg.cholesky", A, square=True)
    r = apply(LinalgCholeskyEx(), (A,), A._data)
    if upper:
        r = r.mH
    return r if out is None else out.copy_(r)


def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False, out=None):
    """Cholesky factor without raising: ``(L, info)`` with ``info > 0`` the order of the
    first leading minor that is not positive-definite (0 on success).

    Args:
        A (Tensor): ``(*, n, n)`` matrices.
        upper (bool): return the upper factor. Default: ``False``.
        check_errors (bool): raise like :func:`cholesky` instead. Default: ``False``.

    Raises:
        RuntimeError: ``A`` is not a batch of square float/complex matrices.

    Example:
        >>> import ember
        >>> ember.linalg.cholesky_ex(ember.tensor([[1.0, 0.0], [0.0, -1.0]])).info
        tensor(2, dtype=ember.int32)
    """
    check_matrix("linalg.cholesky_ex", A, square=True)
    node = LinalgCholeskyEx(check_errors)
    r = apply(node, (A,), A._data)
    if upper:
        r = r.mH
    return R.linalg_cholesky_ex(r, Tensor._make(node.info))


# ---------------------------------------------------------------------- qr
def _copyltu(M: Tensor) -> Tensor:
    """Copy the strict lower triangle onto the upper one: ``tril(M) + tril(M, -1)^H``."""
    return M.tril() + M.tril(-1).mH


def _qr_square_r_backward(Q, R, gQ, gR):
    """gA for A = QR with R square (m >= n): (gQ + Q copyltu(M)) R^-H, M = R gR^H - gQ^H Q."""
    M = R @ gR.mH - gQ.mH @ Q
    b = gQ + Q @ _copyltu(M)
    return solve_triangular(R.mH, b, upper=False, left=False)


class LinalgQr(Node):
    saves_output = True

    def forward(self, xp, a, mode):
        self.mode = mode
        if mode == "r":
            r = xp.linalg.qr(a, mode="r")
            return xp.zeros((0,), a.dtype), r
        return tuple(xp.linalg.qr(a, mode=mode))

    def backward(self, gQ, gR):
        (A,) = self.saved
        Q, R = self.outputs
        check_real_grad("linalg.qr", A)
        m, n = A.shape[-2], A.shape[-1]
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        gR = gR.triu()
        if m >= n:
            return (_qr_square_r_backward(Q, R, gQ, gR),)
        # wide A = Q [X | Y]: X = Q U is a square QR, Y = Q D only moves through Q
        U = R[..., :, :m]
        gU, gD = gR[..., :, :m], gR[..., :, m:]
        Y = A[..., :, m:]
        gX = _qr_square_r_backward(Q, U, gQ + Y @ gD.mH, gU)
        return (cat([gX, Q @ gD], -1),)


def qr(A, mode: str = "reduced", *, out=None):
    r"""QR decomposition :math:`A = QR` with orthonormal ``Q`` and upper-triangular ``R``.

    Args:
        A (Tensor): ``(*, m, n)`` float or complex matrices.
        mode (str): ``'reduced'`` (``Q`` is ``m x k``, ``k = min(m, n)``), ``'complete'``
            (``Q`` is ``m x m``) or ``'r'`` (only ``R``; ``Q`` is empty). Default: ``'reduced'``.

    Shape:
        ``Q``: ``(*, m, k)`` or ``(*, m, m)``; ``R``: ``(*, k, n)`` or ``(*, m, n)``.

    Raises:
        RuntimeError: an unknown ``mode``, or ``A`` is not a batch of float/complex matrices.
            The backward raises for ``mode='r'`` and for ``mode='complete'`` with ``m > n``
            (``Q`` is not unique there), as in PyTorch.

    Example:
        >>> import ember
        >>> Q, R = ember.linalg.qr(ember.tensor([[3.0, 1.0], [4.0, 2.0]]))
        >>> ember.allclose(Q @ R, ember.tensor([[3.0, 1.0], [4.0, 2.0]]))
        True
    """
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    check_matrix("linalg.qr", A)
    node = LinalgQr()
    Q, Rm = apply(node, (A,), A._data, mode)
    if Rm.grad_fn is node:
        node.save(A)
    return R.linalg_qr(Q, Rm)
