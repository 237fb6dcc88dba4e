"""Inverses, determinants and linear solves: inv, inv_ex, det, slogdet, solve, solve_triangular.

Forwards call LAPACK through ``xp.linalg`` (numpy on the CPU, cupy/cuSOLVER on the GPU);
backwards are written with ember ops, so they can be differentiated again.

Example:
    >>> import ember
    >>> A = ember.tensor([[2.0, 0.0], [0.0, 4.0]])
    >>> ember.linalg.inv(A)
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
"""

from __future__ import annotations

import numpy as np

from .. import return_types as R
from .._tensor import Tensor
from ..autograd.node import Node
from ..ops._dispatch import apply
from ._common import (
    LinAlgError,
    check_matrix,
    check_same,
    lapack,
    linalg_errors,
    lu_info,
    singular_error,
)

__all__ = ["inv", "inv_ex", "det", "slogdet", "logdet", "solve", "solve_triangular"]


# ---------------------------------------------------------------------- inverse
class LinalgInvEx(Node):
    saves_output = True

    def forward(self, xp, a):
        try:
            return lapack(xp, xp.linalg.inv, a)
        except linalg_errors(xp):
            raise singular_error("linalg.inv", a) from None

    def backward(self, gy):
        # d(A^-1) = -A^-1 dA A^-1  =>  gA = -A^-H G A^-H
        ainv_h = self.output.mH
        return (-(ainv_h @ gy @ ainv_h),)


def inv(A, *, out=None):
    r"""Inverse of a square matrix (or of each matrix in a batch).

    :math:`A^{-1}` with :math:`A A^{-1} = I`; the gradient is :math:`-A^{-H} G A^{-H}`.

    Args:
        A (Tensor): ``(*, n, n)`` float or complex matrices.

    Shape:
        ``(*, n, n)`` -> ``(*, n, n)``.

    Raises:
        RuntimeError: ``A`` is not a batch of square float/complex matrices.
        LinAlgError: a matrix is singular (names the zero pivot of its LU and the batch element).

    Example:
        >>> import ember
        >>> ember.linalg.inv(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([[-2.0000,  1.0000],
                [ 1.5000, -0.5000]])
    """
    check_matrix("linalg.inv", A, square=True)
    r = apply(LinalgInvEx(), (A,), A._data)
    return r if out is None else out.copy_(r)


class InvExInfo(LinalgInvEx):
    """Like :class:`LinalgInvEx`, but also returns LAPACK's ``info`` instead of raising."""

    def name(self) -> str:
        return "LinalgInvExBackward0"

    def __init__(self, check_errors: bool) -> None:
        LinalgInvEx.__init__(self)
        self.check_errors = check_errors

    def forward(self, xp, a):
        if self.check_errors:
            res = LinalgInvEx.forward(self, xp, a)
            self.info = xp.zeros(a.shape[:-2], np.int32)
            return res
        try:
            res = lapack(xp, xp.linalg.inv, a)
            info = xp.zeros(a.shape[:-2], np.int32)
        except linalg_errors(xp):
            # NOTE: singular matrices get NaN inverses (LAPACK leaves garbage there)
            info_h = lu_info(a)
            res = xp.full(a.shape, np.nan, a.dtype)
            good = xp.asarray(info_h == 0)
            if a.ndim > 2 and bool(good.any()):
                res[good] = lapack(xp, xp.linalg.inv, a[good])
            info = xp.asarray(info_h)
        self.info = info
        return res


def inv_ex(A, *, check_errors: bool = False, out=None):
    """Inverse without raising on singular matrices: ``(inverse, info)``.

    ``info`` (int32, one per matrix) is 0 on success, else the 1-based index of the zero
    pivot of the LU factorization; the inverses of singular matrices are NaN.

    Args:
        A (Tensor): ``(*, n, n)`` matrices.
        check_errors (bool): raise like :func:`inv` instead. Default: ``False``.

    Raises:
        RuntimeError: ``A`` is not a batch of square float/complex matrices.

    Example:
        >>> import ember
        >>> ember.linalg.inv_ex(ember.tensor([[1.0, 2.0], [2.0, 4.0]])).info
        tensor(2, dtype=ember.int32)
    """
    check_matrix("linalg.inv_ex", A, square=True)
    node = InvExInfo(check_errors)
    r = apply(node, (A,), A._data)
    return R.linalg_inv_ex(r, Tensor._make(node.info))


# ---------------------------------------------------------------------- determinants
def _inv_for_backward(op: str, A: Tensor) -> Tensor:
    try:
        return inv(A)
    except LinAlgError:
        # NOTE: d det(A) = tr(adj(A) dA) is defined for singular A too, but ember computes
        # the gradient through A^-1 (documented in docs/differences.md)
        raise LinAlgError(f"{op}: the backward pass needs A to be invertible; ember does not "
                          "implement the derivative at singular matrices") from None


class LinalgDet(Node):
    saves_output = True

    def forward(self, xp, a):
        return xp.linalg.det(a)

    def backward(self, gy):
        (A,) = self.saved
        # d det(A) = det(A) tr(A^-1 dA)  =>  gA = g conj(det A) A^-H
        scale = (gy * self.output.conj()).unsqueeze(-1).unsqueeze(-1)
        return (scale * _inv_for_backward("linalg.det", A).mH,)


def det(A, *, out=None):
    r"""Determinant of a square matrix (or batch).

    Computed from an LU factorization; the gradient is :math:`g\,\det(A)\,A^{-H}`, which
    needs ``A`` invertible in the backward pass.

    Args:
        A (Tensor): ``(*, n, n)`` float or complex matrices.

    Shape:
        ``(*, n, n)`` -> ``(*)``.

    Raises:
        RuntimeError: ``A`` is not a batch of square float/complex matrices.

    Example:
        >>> import ember
        >>> ember.linalg.det(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(-2.)
    """
    check_matrix("linalg.det", A, square=True)
    node = LinalgDet()
    r = apply(node, (A,), A._data)
    if r.grad_fn is node:
        node.save(A)
    return r if out is None else out.copy_(r)


class LinalgSlogdet(Node):
    def forward(self, xp, a):
        sign, logabs = xp.linalg.slogdet(a)
        return xp.asarray(sign), xp.asarray(logabs)

    def backward(self, gsign, glog):
        (A,) = self.saved
        # d log|det A| = Re tr(A^-1 dA)  =>  gA = g A^-H  (the sign is locally constant for
        # real A; for complex A ember ignores the gradient of the sign, see differences.md)
        return (glog.unsqueeze(-1).unsqueeze(-1) * _inv_for_backward("linalg.slogdet", A).mH,)


def slogdet(A, *, out=None):
    r"""Sign and log of the absolute value of the determinant: ``(sign, logabsdet)``.

    :math:`\det A = \mathrm{sign} \cdot e^{\mathrm{logabsdet}}`, stable where ``det``
    over/underflows.  Singular matrices give ``sign = 0, logabsdet = -inf``.

    Args:
        A (Tensor): ``(*, n, n)`` float or complex matrices.

    Shape:
        ``(*, n, n)`` -> two tensors of shape ``(*)``.

    Raises:
        RuntimeError: ``A`` is not a batch of square float/complex matrices.

    Example:
        >>> import ember
        >>> ember.linalg.slogdet(ember.tensor([[-2.0, 0.0], [0.0, 3.0]]))
        linalg_slogdet(sign=tensor(-1.), logabsdet=tensor(1.7918))
    """
    check_matrix("linalg.slogdet", A, square=True)
    node = LinalgSlogdet()
    sign, logabs = apply(node, (A,), A._data)
    if logabs.grad_fn is node:
        node.save(A)
    return R.linalg_slogdet(sign, logabs)


def logdet(input):
    r"""Log-determinant :math:`\log\det A`: NaN for real matrices with a negative determinant,
    ``-inf`` for singular ones.

    Args:
        input (Tensor): ``(*, n, n)`` float or complex matrices.

    Example:
        >>> import ember
        >>> ember.logdet(ember.tensor([[2.0, 0.0], [0.0, 3.0]]))
        tensor(1.7918)
    """
    check_matrix("logdet", input, square=True)
    sign, logabs = slogdet(input)
    # NOTE: log(sign) is 0 for sign 1, NaN for -1 and -inf for 0 — exactly logdet's cases;
    # the sign carries no gradient (it is locally constant)
    return logabs + sign.detach().log()


# ---------------------------------------------------------------------- solves
class LinalgSolveEx(Node):
    saves_output = True

    def forward(self, xp, a, b):
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(a, batch + a.shape[-2:])
        b = xp.broadcast_to(b, batch + b.shape[-2:])
        try:
            return lapack(xp, xp.linalg.solve, a, b)
        except linalg_errors(xp):
            raise LinAlgError("linalg.solve: The solver failed because the input matrix is "
                              "singular.") from None

    def backward(self, gy):
        (A,) = self.saved
        # AX = B:  gB = A^-H G,  gA = -gB X^H
        gB = solve(A.mH, gy)
        gA = -(gB @ self.output.mH) if self.next_functions[0][0] is not None else None
        return gA, gB


def _broadcast_batch(op, a_shape, b_shape):
    try:
        return np.broadcast_shapes(a_shape, b_shape)
    except ValueError:
        for i in range(1, min(len(a_shape), len(b_shape)) + 1):
            x, y = a_shape[-i], b_shape[-i]
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                                   f"({y}) at non-singleton dimension "
                                   f"{max(len(a_shape), len(b_shape)) - i}") from None
        raise


def solve(A, B, *, left: bool = True, out=None):
    r"""Solve the linear system :math:`AX = B` (or :math:`XA = B` with ``left=False``).

    ``B`` is a vector right-hand side when it is 1-D or has shape ``A.shape[:-1]``; batch
    dimensions broadcast.  Gradients: :math:`g_B = A^{-H} G`, :math:`g_A = -g_B X^H`.

    Args:
        A (Tensor): ``(*, n, n)`` invertible matrices.
        B (Tensor): ``(*, n, k)`` or ``(*, n)`` right-hand sides, same dtype as ``A``.
        left (bool): solve :math:`AX = B` (``True``) or :math:`XA = B`. Default: ``True``.

    Shape:
        ``X`` has the broadcast batch shape and ``B``'s trailing shape.

    Raises:
        RuntimeError: non-square ``A``, mismatched shapes or dtypes.
        LinAlgError: ``A`` is singular.

    Example:
        >>> import ember
        >>> A = ember.tensor([[3.0, 1.0], [1.0, 2.0]])
        >>> ember.linalg.solve(A, ember.tensor([9.0, 8.0]))
        tensor([2., 3.])
    """
    check_matrix("linalg.solve", A, square=True)
    check_same("linalg.solve", A, B)
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and
                                   B._data.shape == A._data.shape[:-1])
    if not left:
        if vector:
            raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not "
                               "supported for left=False. In this case linalg.solve is "
                               "equivalent to B / A.squeeze(-1)")
        r = solve(A.mT, B.mT).mT
        return r if out is None else out.copy_(r)
    b = B.unsqueeze(-1) if vector else B
    n = A._data.shape[-1]
    if b._data.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({A._data.shape[-2]}x{n} and "
                           f"{b._data.shape[-2]}x{b._data.shape[-1]})")
    _broadcast_batch("linalg.solve", A._data.shape[:-2], b._data.shape[:-2])
    node = LinalgSolveEx()
    r = apply(node, (A, b), A._data, b._data)
    if r.grad_fn is node:
        node.save(A)
    if vector:
        r = r.squeeze(-1)
    return r if out is None else out.copy_(r)


class LinalgSolveTriangular(Node):
    saves_output = True

    def forward(self, xp, a, b, upper, unitriangular):
        self.upper, self.unit = upper, unitriangular
        t = xp.triu(a) if upper else xp.tril(a)
        if unitriangular:
            n = a.shape[-1]
            t = t.copy()
            t[..., xp.arange(n), xp.arange(n)] = 1
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        t = xp.broadcast_to(t, batch + a.shape[-2:])
        b = xp.broadcast_to(b, batch + b.shape[-2:])
        # NOTE: a general LU solve of the masked matrix: numpy has no batched trsm
        try:
            return lapack(xp, xp.linalg.solve, t, b)
        except linalg_errors(xp):
            raise singular_error("linalg.solve_triangular", t,
                                 "the triangular solve could not be completed") from None

    def backward(self, gy):
        (A,) = self.saved
        # TX = B:  gB = T^-H G,  gT = -triangle(gB X^H)
        gB = solve_triangular(A.mH, gy, upper=not self.upper, unitriangular=self.unit)
        gA = None
        if self.next_functions[0][0] is not None:
            full = -(gB @ self.output.mH)
            gA = full.triu(1 if self.unit else 0) if self.upper else \
                full.tril(-1 if self.unit else 0)
        return gA, gB


def solve_triangular(A, B, *, upper: bool, left: bool = True, unitriangular: bool = False,
                     out=None):
    r"""Solve :math:`AX = B` (or :math:`XA = B`) for triangular ``A``.

    Only the ``upper`` (or lower) triangle of ``A`` is read; with ``unitriangular`` its
    diagonal is taken to be ones.

    Args:
        A (Tensor): ``(*, n, n)`` triangular matrices.
        B (Tensor): ``(*, n, k)`` (``left``) or ``(*, k, n)`` right-hand sides.
        upper (bool): ``A`` is upper (``True``) or lower triangular.
        left (bool): solve :math:`AX = B` (``True``) or :math:`XA = B`. Default: ``True``.
        unitriangular (bool): assume a unit diagonal. Default: ``False``.

    Raises:
        RuntimeError: non-square ``A``, mismatched shapes or dtypes.
        LinAlgError: a zero on the diagonal (PyTorch returns inf/NaN instead).

    Example:
        >>> import ember
        >>> A = ember.tensor([[2.0, 1.0], [0.0, 4.0]])
        >>> ember.linalg.solve_triangular(A, ember.tensor([[4.0], [8.0]]), upper=True)
        tensor([[1.],
                [2.]])
    """
    check_matrix("linalg.solve_triangular", A, square=True)
    check_same("linalg.solve_triangular", A, B)
    if B._data.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    if not left:
        r = solve_triangular(A.mT, B.mT, upper=not upper, unitriangular=unitriangular).mT
        return r if out is None else out.copy_(r)
    n = A._data.shape[-1]
    if B._data.shape[-2] != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation AX = B ({n}x{n} and {B._data.shape[-2]}x"
                           f"{B._data.shape[-1]})")
    _broadcast_batch("linalg.solve_triangular", A._data.shape[:-2], B._data.shape[:-2])
    node = LinalgSolveTriangular()
    r = apply(node, (A, B), A._data, B._data, bool(upper), bool(unitriangular))
    if r.grad_fn is node:
        node.save(A)
    return r if out is None else out.copy_(r)

