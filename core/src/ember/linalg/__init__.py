"""``ember.linalg``: PyTorch's ``torch.linalg`` on numpy.linalg (CPU) and cupy.linalg (GPU).

Every function works on batches of matrices (leading dims), in float32/float64 and, where
LAPACK offers it, complex64/complex128, and is differentiable: the backward formulas are
written with ember ops, so they can be differentiated again.  Failures on a valid input
(a singular matrix, a matrix that is not positive-definite) raise :class:`LinAlgError`.

Example:
    >>> import ember
    >>> A = ember.tensor([[4.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> ember.linalg.det(A).backward()
    >>> A.grad
    tensor([[ 3., -1.],
            [-1.,  4.]])
"""

from __future__ import annotations

from ._common import LinAlgError
from ._decomp import cholesky, cholesky_ex, qr
from ._norms import matrix_norm, norm, vector_norm
from ._products import cross, matrix_exp, matrix_power, multi_dot, vecdot
from ._solve import det, inv, inv_ex, slogdet, solve, solve_triangular
from ._spectral import eigh, eigvalsh, lstsq, matrix_rank, pinv, svd, svdvals

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cross", "det", "eigh", "eigvalsh", "inv",
           "inv_ex", "lstsq", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank",
           "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd",
           "svdvals", "vecdot", "vector_norm"]
