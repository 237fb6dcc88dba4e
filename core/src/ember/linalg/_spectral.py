"""Spectral decompositions and what is built on them: svd, svdvals, eigh, eigvalsh, pinv,
matrix_rank, lstsq.

The SVD and eigh gradients are the standard formulas with :math:`1/(\\sigma_j^2-\\sigma_i^2)`
and :math:`1/(\\lambda_j-\\lambda_i)` off-diagonal terms: they are finite only for distinct
singular values / eigenvalues, and they are derived for real inputs (ember raises for
complex ones, whose phase gauge makes them subtler).  Losses that depend on the sign of
singular vectors / eigenvectors get gradients that are as arbitrary as those signs.

Example:
    >>> import ember
    >>> ember.linalg.svdvals(ember.tensor([[3.0, 0.0], [0.0, -4.0]]))
    tensor([4., 3.])
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import return_types as R
from .._tensor import Tensor
from ..autograd.node import Node
from ..ops._dispatch import apply, needs_grad
from ._common import check_matrix, check_real_grad, check_same, check_uplo, eye_like

__all__ = ["svd", "svdvals", "eigh", "eigvalsh", "pinv", "matrix_rank", "lstsq"]

linalg_lstsq = namedtuple("linalg_lstsq", "solution residuals rank singular_values")
linalg_lstsq.__module__ = "ember.return_types"


# ---------------------------------------------------------------------- svd
class LinalgSvd(Node):
    saves_output = True

    def forward(self, xp, a, full_matrices):
        self.full = full_matrices
        return tuple(xp.linalg.svd(a, full_matrices=full_matrices))

    def backward(self, gU, gS, gVh):
        (A,) = self.saved
        check_real_grad("linalg.svd", A)
        U, S, Vh = self.outputs
        m, n = A.shape[-2], A.shape[-1]
        k = min(m, n)
        if self.full and m != n:
            # NOTE: the extra columns of U / rows of Vh are not unique; as PyTorch, ember
            # differentiates through the first k only
            U, gU, Vh, gVh = U[..., :k], gU[..., :k], Vh[..., :k, :], gVh[..., :k, :]
        S2 = S * S
        eye = eye_like(S.unsqueeze(-1), k)
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + eye  # s_j^2 - s_i^2, 1 on the diagonal
        J = U.mH @ gU
        K = Vh @ gVh.mH
        X = ((J - J.mH) * S.unsqueeze(-2) + S.unsqueeze(-1) * (K - K.mH)) / E + \
            gS.unsqueeze(-1) * eye
        gA = U @ X @ Vh
        if m > k:  # (I - U U^H) gU S^-1 V^H
            gA = gA + ((gU - U @ J) / S.unsqueeze(-2)) @ Vh
        if n > k:  # U S^-1 gV^H (I - V V^H)
            gA = gA + U @ ((gVh - K.mH @ Vh) / S.unsqueeze(-1))
        return (gA,)


def svd(A, full_matrices: bool = True, *, driver=None, out=None):
    r"""Singular value decomposition :math:`A = U \operatorname{diag}(S) V^H`.

    ``S`` is real and descending; ``U`` and ``Vh`` have orthonormal columns / rows, each
    pair determined up to sign (phase).

    Args:
        A (Tensor): ``(*, m, n)`` float or complex matrices.
        full_matrices (bool): ``U`` is ``m x m`` and ``Vh`` ``n x n`` (``True``), or
            ``m x k`` and ``k x n`` with ``k = min(m, n)``. Default: ``True``.
        driver: accepted for compatibility (cuSOLVER driver choice); must be ``None`` on CPU.

    Shape:
        ``U``: ``(*, m, m|k)``, ``S``: ``(*, k)``, ``Vh``: ``(*, n|k, n)``.

    Raises:
        RuntimeError: ``A`` is not a batch of float/complex matrices; a ``driver`` on CPU.

    Example:
        >>> import ember
        >>> U, S, Vh = ember.linalg.svd(ember.tensor([[0.0, 2.0], [1.0, 0.0]]))
        >>> S
        tensor([2., 1.])
    """
    check_matrix("linalg.svd", A)
    if driver is not None and A.device.type == "cpu":
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    node = LinalgSvd()
    U, S, Vh = apply(node, (A,), A._data, bool(full_matrices))
    if S.grad_fn is node:
        node.save(A)
    return R.linalg_svd(U, S, Vh)


def svdvals(A, *, driver=None, out=None):
    """Singular values of ``A`` in descending order (the ``S`` of :func:`svd`).

    Args:
        A (Tensor): ``(*, m, n)`` float or complex matrices.

    Shape:
        ``(*, m, n)`` -> ``(*, min(m, n))``, real.

    Raises:
        RuntimeError: ``A`` is not a batch of float/complex matrices.

    Example:
        >>> import ember
        >>> ember.linalg.svdvals(ember.tensor([[1.0, 0.0], [0.0, -5.0]]))
        tensor([5., 1.])
    """
    check_matrix("linalg.svdvals", A)
    if needs_grad(A):
        r = svd(A, full_matrices=False).S
    else:
        r = Tensor._make(_xp(A).linalg.svd(A._data, compute_uv=False))
    return r if out is None else out.copy_(r)


def _xp(t: Tensor):
    from ..ops._dispatch import xp_of
    return xp_of(t._data)


# ---------------------------------------------------------------------- eigh
class LinalgEigh(Node):
    saves_output = True

    def forward(self, xp, a, uplo):
        return tuple(xp.linalg.eigh(a, UPLO=uplo))

    def backward(self, gw, gV):
        (A,) = self.saved
        check_real_grad("linalg.eigh", A)
        w, V = self.outputs
        # A = V diag(w) V^H:  gA = V (diag(gw) + sym((V^H gV) / E)) V^H, E_ij = w_j - w_i
        eye = eye_like(w.unsqueeze(-1), w.shape[-1])
        E = w.unsqueeze(-2) - w.unsqueeze(-1) + eye
        J = V.mH @ gV
        X = (J - J.mH) / (2 * E) + gw.unsqueeze(-1) * eye
        return (V @ X @ V.mH,)


def eigh(A, UPLO: str = "L", *, out=None):
    r"""Eigen-decomposition of Hermitian matrices: :math:`A = V \operatorname{diag}(w) V^H`.

    Only the ``UPLO`` triangle of ``A`` is read.  Eigenvalues are real and ascending;
    each eigenvector is determined up to sign (phase).

    Args:
        A (Tensor): ``(*, n, n)`` Hermitian matrices.
        UPLO (str): ``'L'`` or ``'U'``, the triangle to read. Default: ``'L'``.

    Shape:
        ``eigenvalues``: ``(*, n)``; ``eigenvectors``: ``(*, n, n)``.

    Raises:
        RuntimeError: non-square or non-float ``A``, or a bad ``UPLO``.

    Example:
        >>> import ember
        >>> ember.linalg.eigh(ember.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
        tensor([1., 3.])
    """
    check_matrix("linalg.eigh", A, square=True)
    check_uplo(UPLO)
    node = LinalgEigh()
    w, V = apply(node, (A,), A._data, UPLO.upper())
    if w.grad_fn is node:
        node.save(A)
    return R.linalg_eigh(w, V)


def eigvalsh(A, UPLO: str = "L", *, out=None):
    """Eigenvalues of Hermitian matrices, ascending (the ``eigenvalues`` of :func:`eigh`).

    Args:
        A (Tensor): ``(*, n, n)`` Hermitian matrices.
        UPLO (str): ``'L'`` or ``'U'``. Default: ``'L'``.

    Raises:
        RuntimeError: non-square or non-float ``A``, or a bad ``UPLO``.

    Example:
        >>> import ember
        >>> ember.linalg.eigvalsh(ember.tensor([[2.0, 0.0], [0.0, -1.0]]))
        tensor([-1.,  2.])
    """
    check_matrix("linalg.eigvalsh", A, square=True)
    check_uplo(UPLO)
    if needs_grad(A):
        r = eigh(A, UPLO).eigenvalues
    else:
        r = Tensor._make(_xp(A).linalg.eigvalsh(A._data, UPLO=UPLO.upper()))
    return r if out is None else out.copy_(r)


# ---------------------------------------------------------------------- pinv and rank
def _tol_array(v):
    """A tolerance as a float or as an array broadcasting against ``(*, k)``."""
    if v is None:
        return None
    if isinstance(v, Tensor):
        return v._data[..., None]
    return float(v)


def _tolerance(xp, s_max, m, n, atol, rtol, dt):
    """PyTorch's cut-off ``max(atol, rtol * s_max)`` with its defaults."""
    if rtol is None:
        given = atol is not None and (not isinstance(atol, float) or atol > 0)
        rtol = 0.0 if given else np.finfo(dt).eps * max(m, n)
    if atol is None:
        atol = 0.0
    return xp.maximum(atol, rtol * s_max)


def _pinv_array(xp, a, atol, rtol, hermitian):
    m, n = a.shape[-2], a.shape[-1]
    rdt = np.finfo(a.dtype).dtype
    if hermitian:
        w, V = xp.linalg.eigh(a)
        s = xp.abs(w)
        s_max = s.max(-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), rdt)
        keep = s > _tolerance(xp, s_max, m, n, atol, rtol, rdt)
        winv = xp.where(keep, 1 / xp.where(keep, w, 1), 0)
        return (V * winv[..., None, :]) @ xp.conj(V).swapaxes(-1, -2)
    U, s, Vh = xp.linalg.svd(a, full_matrices=False)
    s_max = s[..., :1] if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), rdt)
    keep = s > _tolerance(xp, s_max, m, n, atol, rtol, rdt)
    sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
    return (xp.conj(Vh).swapaxes(-1, -2) * sinv[..., None, :]) @ xp.conj(U).swapaxes(-1, -2)


class LinalgPinv(Node):
    saves_output = True

    def forward(self, xp, a, atol, rtol, hermitian):
        return _pinv_array(xp, a, atol, rtol, hermitian)

    def backward(self, G):
        (A,) = self.saved
        P = self.output
        # Golub & Pereyra: dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P, so
        # gA = -P^H G P^H + (I - A P) G^H P P^H + P^H P G^H (I - P A)  (constant rank)
        Ph, Gh = P.mH, G.mH
        K = Gh @ P
        KPh = K @ Ph
        Z = Ph @ (P @ Gh)
        return (-(Ph @ G @ Ph) + KPh - A @ (P @ KPh) + Z - (Z @ P) @ A,)


def pinv(A, rcond=None, hermitian: bool = False, *, atol=None, rtol=None, out=None):
    r"""Moore-Penrose pseudo-inverse :math:`A^+`, from the SVD (or eigh when ``hermitian``).

    Singular values below ``max(atol, rtol * sigma_max)`` are treated as zero; ``rtol``
    defaults to ``eps * max(m, n)`` when neither tolerance is given and to 0 when only
    ``atol`` is.  The gradient (Golub & Pereyra) is valid where the rank does not change.

    Args:
        A (Tensor): ``(*, m, n)`` float or complex matrices.
        rcond (float or Tensor, optional): legacy name of ``rtol``.
        hermitian (bool): ``A`` is Hermitian (only its lower triangle is read).
            Default: ``False``.
        atol, rtol (float or Tensor, optional): absolute / relative cut-offs.

    Shape:
        ``(*, m, n)`` -> ``(*, n, m)``.

    Raises:
        RuntimeError: ``A`` is not a batch of float/complex matrices.

    Example:
        >>> import ember
        >>> ember.linalg.pinv(ember.tensor([[2.0, 0.0], [0.0, 0.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.0000]])
    """
    check_matrix("linalg.pinv", A)
    if hermitian and A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(f"linalg.pinv(hermitian=True): A must be batches of square "
                           f"matrices, but they are {A._data.shape[-2]} by "
                           f"{A._data.shape[-1]} matrices")
    if rcond is not None:
        rtol = rcond
    node = LinalgPinv()
    r = apply(node, (A,), A._data, _tol_array(atol), _tol_array(rtol),
              bool(hermitian))
    if r.grad_fn is node:
        node.save(A)
    return r if out is None else out.copy_(r)


def matrix_rank(A, tol=None, hermitian: bool = False, *, atol=None, rtol=None, out=None):
    """Numerical rank: the number of singular values above ``max(atol, rtol * sigma_max)``.

    Args:
        A (Tensor): ``(*, m, n)`` float or complex matrices.
        tol (float, optional): legacy absolute tolerance (``atol`` with ``rtol = 0``).
        hermitian (bool): use eigenvalue magnitudes of the Hermitian ``A``. Default: ``False``.
        atol, rtol (float or Tensor, optional): as in :func:`pinv`.

    Shape:
        ``(*, m, n)`` -> ``(*)``, int64.

    Raises:
        RuntimeError: ``A`` is not a batch of float/complex matrices.

    Example:
        >>> import ember
        >>> ember.linalg.matrix_rank(ember.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(1)
    """
    check_matrix("linalg.matrix_rank", A)
    if tol is not None:
        atol, rtol = tol, 0.0
    xp = _xp(A)
    a = A._data
    m, n = a.shape[-2], a.shape[-1]
    rdt = np.finfo(a.dtype).dtype
    if hermitian:
        s = xp.abs(xp.linalg.eigvalsh(a))
        s_max = s.max(-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), rdt)
    else:
        s = xp.linalg.svd(a, compute_uv=False)
        s_max = s[..., :1] if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), rdt)
    tolv = _tolerance(xp, s_max, m, n, _tol_array(atol), _tol_array(rtol), rdt)
    r = Tensor._make((s > tolv).sum(-1).astype(np.int64))
    return r if out is None else out.copy_(r)


# ---------------------------------------------------------------------- least squares
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    r"""Least-squares solution of :math:`AX = B`: :math:`X = \arg\min \|AX - B\|_F`.

    Computed as :math:`A^+ B` with the pseudo-inverse (so it is differentiable and also
    defined for rank-deficient ``A``).  Returns ``(solution, residuals, rank,
    singular_values)``: ``residuals`` (squared column residual norms) when ``m > n`` and
    every matrix has full rank, ``rank`` unless ``driver='gels'``, ``singular_values`` for
    ``'gelsd'``/``'gelss'``; the others are empty, as in PyTorch.

    Args:
        A (Tensor): ``(*, m, n)`` matrices.
        B (Tensor): ``(*, m, k)`` or ``(*, m)`` right-hand sides, same dtype as ``A``.
        rcond (float, optional): relative cut-off for small singular values
            (default ``eps * max(m, n)``).
        driver (str, optional): ``'gels'``, ``'gelsy'`` (default), ``'gelsd'`` or ``'gelss'``;
            selects which extra outputs are filled.

    Raises:
        RuntimeError: mismatched shapes or dtypes, or an unknown ``driver``.

    Example:
        >>> import ember
        >>> A = ember.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
        >>> ember.linalg.lstsq(A, ember.tensor([[1.0], [2.0], [3.0]])).solution
        tensor([[1.],
                [2.]])
    """
    check_matrix("linalg.lstsq", A)
    check_same("linalg.lstsq", A, B)
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    driver = driver or "gelsy"
    m, n = A._data.shape[-2], A._data.shape[-1]
    vector = B._data.ndim == A._data.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    if b._data.ndim < 2 or b._data.shape[-2] != m:
        got = b._data.shape[-2] if b._data.ndim > 1 else b._data.shape[-1]
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2). "
                           f"Got {m} and {got}")
    X = pinv(A, rtol=rcond) @ b
    empty = Tensor._make(_xp(A).zeros((0,), np.finfo(A._data.dtype).dtype))
    rank = matrix_rank(A, rtol=rcond) if driver != "gels" else \
        Tensor._make(_xp(A).zeros((0,), np.int64))
    residuals = empty
    if m > n and driver != "gels" and bool((rank._data == n).all()):
        residuals = ((A @ X - b).abs() ** 2).sum(-2)
        if vector:
            residuals = residuals.squeeze(-1)
    sv = svdvals(A.detach()) if driver in ("gelsd", "gelss") else empty
    if vector:
        X = X.squeeze(-1)
    return linalg_lstsq(X, residuals, rank, sv)

