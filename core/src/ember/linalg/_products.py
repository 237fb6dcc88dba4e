"""Products built from matmul: matrix_power, matrix_exp, multi_dot, vecdot, cross.

All of them compose differentiable ember ops (matmul, inv, sums), except ``matrix_exp``,
whose backward is another ``matrix_exp`` of a block matrix.

Example:
    >>> import ember
    >>> ember.linalg.matrix_power(ember.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
    tensor([[1., 3.],
            [0., 1.]])
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.node import Node
from ..ops._dispatch import apply, check_same_device
from ..ops.matmul import cross as _cross3
from ._common import check_matrix, check_tensor, type_name
from ._solve import inv

__all__ = ["matrix_power", "matrix_exp", "multi_dot", "vecdot", "cross"]


def matrix_power(A, n: int, *, out=None):
    """``A`` multiplied by itself ``n`` times (``n < 0``: powers of the inverse; ``n = 0``:
    the identity), by repeated squaring.

    Args:
        A (Tensor): ``(*, m, m)`` matrices (integer matrices allowed for ``n >= 0``).
        n (int): the exponent.

    Raises:
        RuntimeError: non-square ``A``; ``n < 0`` with a non-float ``A``.
        LinAlgError: ``n < 0`` and a matrix is singular.

    Example:
        >>> import ember
        >>> ember.linalg.matrix_power(ember.tensor([[2.0, 0.0], [0.0, 3.0]]), -1)
        tensor([[0.5000, 0.0000],
                [0.0000, 0.3333]])
    """
    check_tensor("linalg.matrix_power", A)
    shape = A._data.shape
    if len(shape) < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 "
                           "dimensions.")
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but "
                           f"they are {shape[-2]} by {shape[-1]} matrices")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' must be int, not "
                        f"{type(n).__name__}")
    if n == 0:
        from ..ops.creation import eye
        # NOTE: as in PyTorch, the identity is copied into a clone of A, so the result is
        # part of A's graph (with a zero gradient)
        r = A.clone().copy_(eye(shape[-1], dtype=A.dtype, device=A.device).expand(shape))
        return r if out is None else out.copy_(r)
    base = inv(A) if n < 0 else A
    n = abs(int(n))
    result = None
    while True:  # O(log n) matmuls
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if not n:
            break
        base = base @ base
    return result if out is None else out.copy_(result)


# ---------------------------------------------------------------------- matrix exponential
# NOTE: Taylor degree 18 on a matrix scaled to 1-norm <= 1 truncates at 1/19! < 1e-17,
# below float64 rounding; the result is then squared back s times.
_TAYLOR_DEGREE = 18


def _expm_array(xp, a):
    n = a.shape[-1]
    norm1 = float(xp.abs(a).sum(-2).max()) if a.size else 0.0
    s = max(0, math.ceil(math.log2(norm1))) if norm1 > 1 else 0
    x = a / (2.0 ** s)
    eye = xp.eye(n, dtype=a.dtype)
    r = eye + x / _TAYLOR_DEGREE
    for k in range(_TAYLOR_DEGREE - 1, 0, -1):  # Horner: I + x/1 (I + x/2 (I + ...))
        r = eye + (x @ r) / k
    for _ in range(s):
        r = r @ r
    return r


class LinalgMatrixExp(Node):
    def forward(self, xp, a):
        return _expm_array(xp, a)

    def backward(self, gy):
        (A,) = self.saved
        # Frechet derivative: the top-right block of exp([[A^H, G], [0, A^H]])
        from ..ops.shape import cat
        n = A.shape[-1]
        Ah = A.mH
        zero = Ah * 0
        top = cat([Ah, gy], -1)
        bottom = cat([zero, Ah], -1)
        big = matrix_exp(cat([top, bottom], -2))
        return (big[..., :n, n:],)


def matrix_exp(A):
    r"""Matrix exponential :math:`e^A = \sum_k A^k / k!`.

    Scaling and squaring with a degree-18 Taylor polynomial; the gradient is the top-right
    block of :math:`\exp\begin{pmatrix}A^H & G\\ 0 & A^H\end{pmatrix}`, itself differentiable.

    Args:
        A (Tensor): ``(*, n, n)`` float or complex matrices.

    Raises:
        RuntimeError: ``A`` is not a batch of square float/complex matrices.

    Example:
        >>> import ember
        >>> ember.linalg.matrix_exp(ember.tensor([[0.0, 1.0], [0.0, 0.0]]))
        tensor([[1., 1.],
                [0., 1.]])
    """
    check_matrix("linalg.matrix_exp", A, square=True)
    node = LinalgMatrixExp()
    r = apply(node, (A,), A._data)
    if r.grad_fn is node:
        node.save(A)
    return r


# ---------------------------------------------------------------------- products
def _chain_order(dims):
    """Optimal parenthesization of a matrix chain (classic O(k^3) dynamic programme)."""
    k = len(dims) - 1
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = math.inf
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s
    return split


def multi_dot(tensors, *, out=None):
    """Product of a chain of matrices, multiplied in the cheapest order.

    The first tensor may be 1-D (a row vector) and the last 1-D (a column vector); all
    others must be 2-D.

    Args:
        tensors (sequence of Tensor): at least two.

    Raises:
        RuntimeError: fewer than two tensors, wrong dims, or shapes that do not chain.

    Example:
        >>> import ember
        >>> ember.linalg.multi_dot([ember.ones(2), ember.ones(2, 3), ember.ones(3)])
        tensor(6.)
    """
    tensors = list(tensors)
    k = len(tensors)
    if k < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {k}")
    for i, t in enumerate(tensors):
        check_tensor("multi_dot", t, f"tensors[{i}]")
        nd = t._data.ndim
        if i == 0 and nd not in (1, 2):
            raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {nd}D")
        if i == k - 1 and nd not in (1, 2):
            raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {nd}D")
        if 0 < i < k - 1 and nd != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {nd}D")
    check_same_device("multi_dot", *tensors)
    for i, t in enumerate(tensors):
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but "
                               f"tensor 0 is {type_name(tensors[0])} and tensor {i} is "
                               f"{type_name(t)}")
    first_vec, last_vec = tensors[0]._data.ndim == 1, tensors[-1]._data.ndim == 1
    mats = list(tensors)
    if first_vec:
        mats[0] = mats[0].unsqueeze(0)
    if last_vec:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i in range(k - 1):
        if mats[i]._data.shape[1] != mats[i + 1]._data.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i]._data.shape)} and "
                               f"{list(tensors[i + 1]._data.shape)} cannot be multiplied")
    dims = [m._data.shape[0] for m in mats] + [mats[-1]._data.shape[1]]
    split = _chain_order(dims)

    def prod(i, j):
        if i == j:
            return mats[i]
        s = split[i][j]
        return prod(i, s) @ prod(s + 1, j)

    r = prod(0, k - 1)
    if first_vec:
        r = r.squeeze(0)
    if last_vec:
        r = r.squeeze(-1)
    return r if out is None else out.copy_(r)


def vecdot(x, y, *, dim: int = -1, out=None):
    r"""Batched dot product :math:`\sum_i \overline{x_i} y_i` along ``dim`` (broadcasting).

    Example:
        >>> import ember
        >>> ember.linalg.vecdot(ember.tensor([[1.0, 2.0], [3.0, 4.0]]), ember.tensor([1.0, 1.0]))
        tensor([3., 7.])
    """
    check_tensor("linalg.vecdot", x, "x")
    check_tensor("linalg.vecdot", y, "y")
    r = (x.conj() * y).sum(dim)
    return r if out is None else out.copy_(r)


def cross(input, other, *, dim: int = -1, out=None):
    """Cross product of 3-vectors along ``dim`` (default: the last), broadcasting the rest.

    Raises:
        RuntimeError: different numbers of dims, or ``dim`` not of size 3.

    Example:
        >>> import ember
        >>> ember.linalg.cross(ember.tensor([1.0, 0.0, 0.0]), ember.tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.])
    """
    check_tensor("linalg.cross", input, "input")
    check_tensor("linalg.cross", other, "other")
    if input._data.ndim != other._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = dim % max(input._data.ndim, 1) if input._data.ndim else dim
    if input._data.shape[d] != 3 or other._data.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input._data.shape[d]} and {other._data.shape[d]}")
    from ..ops.shape import broadcast_tensors
    a, b = broadcast_tensors(input, other)
    r = _cross3(a, b, d)
    return r if out is None else out.copy_(r)

