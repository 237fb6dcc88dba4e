"""Norms and distances: vector_norm, matrix_norm, norm, the legacy ``ember.norm``, dist, cdist.

Example:
    >>> import ember
    >>> ember.linalg.vector_norm(ember.tensor([3.0, -4.0]))
    tensor(5.)
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as T
from .._tensor import Tensor
from ..autograd.node import Node
from ..ops._dispatch import apply
from ..ops.reduction import dims as _dims
from ._common import check_float, check_matrix, check_tensor, type_name
from ._spectral import svdvals

__all__ = ["vector_norm", "matrix_norm", "norm", "legacy_norm", "dist", "cdist"]

_INF = math.inf


# ---------------------------------------------------------------------- vector norms
def _kept(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class LinalgVectorNorm(Node):
    saves_output = True

    def forward(self, xp, x, ord, axes, keepdim):
        self.ord, self.axes, self.keepdim = ord, axes, keepdim
        ax = xp.abs(x)
        if ord == 2:
            r = xp.sqrt(xp.sum(ax * ax, axis=axes, keepdims=keepdim))
        elif ord == 1:
            r = xp.sum(ax, axis=axes, keepdims=keepdim)
        elif ord == _INF:
            r = xp.max(ax, axis=axes, keepdims=keepdim)
        elif ord == -_INF:
            r = xp.min(ax, axis=axes, keepdims=keepdim)
        elif ord == 0:
            r = xp.sum(ax != 0, axis=axes, keepdims=keepdim).astype(ax.dtype)
        else:
            r = xp.sum(ax ** ord, axis=axes, keepdims=keepdim) ** (1.0 / ord)
        return xp.asarray(r)

    def backward(self, gy):
        (x,) = self.saved
        p = self.ord
        nrm = self.output
        if not self.keepdim:
            shape = _kept(x.shape, self.axes)
            gy, nrm = gy.reshape(shape), nrm.reshape(shape)
        if p == 0:
            return (x.abs() * 0,)
        if p == 1:
            return (x.sgn() * gy,)
        if p in (_INF, -_INF):
            # the gradient is shared evenly between the entries attaining the max (min)
            hit = (x.abs() == nrm).to(gy.dtype)
            return (x.sgn() * hit * (gy / hit.sum(self.axes, keepdim=True)),)
        # NOTE: the 2-norm (and every p-norm) has gradient 0 at x = 0, as in PyTorch
        zero = nrm == 0
        if p == 2:
            return (x * (gy / nrm).masked_fill(zero, 0),)
        scale = (gy / nrm ** (p - 1)).masked_fill(zero, 0)
        mag = x.abs() ** (p - 1)
        if p < 1:  # |x|^(p-1) is infinite at x = 0: those entries get 0
            mag = mag.masked_fill(x == 0, 0)
        return (x.sgn() * mag * scale,)


def _cast_for_norm(op: str, x: Tensor, dtype) -> Tensor:
    check_float(op, x)
    if dtype is None:
        return x
    dt = T.to_dtype(dtype)
    if dt._kind < 2:
        raise RuntimeError(f"{op}: dtype should be floating point or complex, but got "
                           f"{_TYPE_OF(dt)}")
    if x.is_complex() and not dt.is_complex:
        raise RuntimeError(f"{op}: dtype should be complex for complex inputs, but got "
                           f"{_TYPE_OF(dt)}")
    return x.to(dt)


def _TYPE_OF(dt):
    return type_name(Tensor._make(np.zeros((), dt.np)))


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None, out=None):
    r"""Vector p-norm :math:`\|x\|_p = (\sum_i |x_i|^p)^{1/p}` over ``dim``.

    ``ord`` may be any real number or ``inf`` (max abs), ``-inf`` (min abs), ``0`` (count of
    non-zeros).  The gradient at ``x = 0`` is 0 (a subgradient), as in PyTorch; for ``inf``
    norms it is shared evenly between tied entries.

    Args:
        x (Tensor): float or complex input.
        ord (float): the order. Default: ``2``.
        dim (int or tuple of ints, optional): dims to reduce; all when ``None``.
        keepdim (bool): keep reduced dims with size 1. Default: ``False``.
        dtype (ember.dtype, optional): cast ``x`` to this dtype first.

    Shape:
        ``x.shape`` without the reduced dims (with size-1 dims when ``keepdim``); real.

    Raises:
        RuntimeError: integer input or ``dtype``; an ``inf`` norm of an empty tensor.

    Example:
        >>> import ember
        >>> x = ember.tensor([[1.0, -2.0], [2.0, 0.0]])
        >>> ember.linalg.vector_norm(x, ord=1, dim=1)
        tensor([3., 2.])
    """
    check_tensor("linalg.vector_norm", x, "x")
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    x = _cast_for_norm("linalg.vector_norm", x, dtype)
    ndim = x._data.ndim
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        axes = tuple(range(ndim))
    else:
        try:
            axes = _dims(dim, ndim, "linalg.vector_norm")
        except RuntimeError:
            d = [int(v) % max(ndim, 1) for v in dim]
            raise RuntimeError(f"dim {next(v for v in d if d.count(v) > 1)} appears multiple "
                               "times in the list of dims") from None
    if ord in (_INF, -_INF) and x._data.size == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                           "tensor because the operation does not have an identity")
    node = LinalgVectorNorm()
    r = apply(node, (x,), x._data, float(ord), axes, bool(keepdim))
    if r.grad_fn is node:
        node.save(x)
    return r if out is None else out.copy_(r)


# ---------------------------------------------------------------------- matrix norms
def _matrix_dims(op, dim, ndim):
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        got = " ".join(map(str, dim)) if isinstance(dim, (tuple, list)) else dim
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {got}")
    d0 = _dims(dim[0], ndim, op)[0]
    d1 = _dims(dim[1], ndim, op)[0]
    if d0 == d1:
        raise RuntimeError(f"{op}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None, out=None):
    r"""Matrix norm over the two dims ``dim``.

    ``'fro'``: :math:`\sqrt{\sum |a_{ij}|^2}`; ``'nuc'``: sum of singular values; ``2`` /
    ``-2``: largest / smallest singular value; ``1`` / ``-1``: max / min column abs-sum;
    ``inf`` / ``-inf``: max / min row abs-sum.

    Args:
        A (Tensor): float or complex input with at least 2 dims.
        ord: one of the orders above. Default: ``'fro'``.
        dim (2-tuple of ints): the matrix dims. Default: ``(-2, -1)``.
        keepdim (bool): keep the reduced dims with size 1. Default: ``False``.
        dtype (ember.dtype, optional): cast ``A`` to this dtype first.

    Raises:
        RuntimeError: fewer than 2 dims, a bad ``dim`` or an unsupported ``ord``.

    Example:
        >>> import ember
        >>> ember.linalg.matrix_norm(ember.tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1)
        tensor(6.)
    """
    check_matrix("linalg.matrix_norm", A)
    d0, d1 = _matrix_dims("linalg.matrix_norm", dim, A._data.ndim)
    if ord not in ("fro", "nuc", 2, -2, 1, -1, _INF, -_INF):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    A = _cast_for_norm("linalg.matrix_norm", A, dtype)
    if ord == "fro":
        r = vector_norm(A, 2, (d0, d1), keepdim)
    elif ord in ("nuc", 2, -2):
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        r = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                r = r.unsqueeze(d)
    else:
        # |ord| = 1: max/min over columns of the column abs-sums; inf: over rows of row sums
        inner, outer = (d0, d1) if abs(ord) == 1 else (d1, d0)
        sums = A.abs().sum(inner, keepdim=True)
        r = sums.amax(outer, keepdim=True) if ord > 0 else sums.amin(outer, keepdim=True)
        if not keepdim:
            r = r.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    return r if out is None else out.copy_(r)


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None, out=None):
    """Vector or matrix norm, chosen like PyTorch's ``torch.linalg.norm``.

    With ``dim=None``: the 2-norm of the flattened input when ``ord`` is ``None``; else
    ``A`` must be 1-D (vector norm) or 2-D (matrix norm).  An int ``dim`` (or 1-tuple) gives
    a vector norm, a 2-tuple a matrix norm (``ord`` defaulting to ``'fro'``).

    Args:
        A (Tensor): float or complex input.
        ord: a vector order (number) or a matrix order (see :func:`matrix_norm`).
        dim (int or tuple, optional): the dims to reduce.
        keepdim (bool): keep reduced dims. Default: ``False``.
        dtype (ember.dtype, optional): cast ``A`` first.

    Raises:
        RuntimeError: integer input; ``ord`` without ``dim`` on 3+-D input; a ``dim`` of
            length other than 1 or 2.

    Example:
        >>> import ember
        >>> ember.linalg.norm(ember.tensor([[3.0, 0.0], [0.0, 4.0]]))
        tensor(5.)
    """
    check_tensor("linalg.norm", A)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None:
        if ord is None:
            return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
        nd = A._data.ndim
        if nd not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input "
                               f"must be 1D or 2D. Got {nd}D.")
        dim = tuple(range(nd))
    dim = tuple(dim)
    if len(dim) == 1:
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.norm: Order {ord} not supported for vector norms.")
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                       f"{list(dim)}")


def legacy_norm(input, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None):
    """``torch.norm``'s rules: ``'fro'`` is the 2-norm of the flattened dims, ``'nuc'`` the
    nuclear norm, a number a vector norm over ``dim`` (all dims by default)."""
    d = [dim] if isinstance(dim, int) else dim
    if isinstance(p, str):
        if p == "fro" and (d is None or len(d) <= 2):
            r = vector_norm(input, 2, d, keepdim, dtype=dtype)
        else:
            r = matrix_norm(input, p, list(range(input._data.ndim)) if d is None else d,
                            keepdim, dtype=dtype)
    else:
        r = vector_norm(input, 2.0 if p is None else p, d, keepdim, dtype=dtype)
    return r if out is None else out.copy_(r)


# ---------------------------------------------------------------------- distances
def dist(input, other, p=2):
    """p-norm of ``input - other`` (broadcast), over all elements.

    Example:
        >>> import ember
        >>> ember.dist(ember.tensor([1.0, 1.0]), ember.tensor([4.0, 5.0]))
        tensor(5.)
    """
    return vector_norm(input - other, float(p))


class EuclideanDist(Node):
    """Euclidean pairwise distances via ``|x|^2 + |y|^2 - 2 x y^T`` (one GEMM)."""

    saves_output = True

    def forward(self, xp, x1, x2):
        n1 = xp.sum(x1 * x1, -1)[..., :, None]
        n2 = xp.sum(x2 * x2, -1)[..., None, :]
        d2 = n1 + n2 - 2 * (x1 @ xp.swapaxes(x2, -1, -2))
        # NOTE: cancellation can make d2 slightly negative: clamp before the square root
        return xp.sqrt(xp.maximum(d2, 0))

    def backward(self, gy):
        x1, x2 = self.saved
        d = self.output
        # d d_ij / d x1_i = (x1_i - x2_j) / d_ij, taken as 0 where d_ij = 0
        W = (gy / d).masked_fill(d == 0, 0)
        g1 = x1 * W.sum(-1, keepdim=True) - W @ x2
        g2 = x2 * W.sum(-2).unsqueeze(-1) - W.mT @ x1
        return g1, g2


_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
          "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"):
    r"""Pairwise p-norm distances between the rows of ``x1`` and of ``x2``.

    :math:`d_{ij} = \|x1_i - x2_j\|_p`.  For ``p = 2`` and more than 25 rows on either side
    (or ``compute_mode='use_mm_for_euclid_dist'``) the distances come from one matrix
    product, faster but less accurate for close points.  Gradients at zero distance are 0.

    Args:
        x1 (Tensor): ``(*, P, M)``.
        x2 (Tensor): ``(*, R, M)``; batch dims broadcast.
        p (float): the norm order, ``>= 0``. Default: ``2.0``.
        compute_mode (str): one of ``'use_mm_for_euclid_dist_if_necessary'`` (default),
            ``'use_mm_for_euclid_dist'``, ``'donot_use_mm_for_euclid_dist'``.

    Shape:
        ``(*, P, R)``.

    Raises:
        RuntimeError: inputs below 2-D, different column counts, ``p < 0``, integer inputs,
            or an unknown ``compute_mode``.

    Example:
        >>> import ember
        >>> ember.cdist(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0], [1.0, 0.0]]))
        tensor([[5., 1.]])
    """
    check_tensor("cdist", x1, "x1")
    check_tensor("cdist", x2, "x2")
    if x1._data.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1._data.ndim}D")
    if x2._data.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2._data.ndim}D")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1._data.shape[-1]} X2: {x2._data.shape[-1]}")
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{type_name(t)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    P, Rn = x1._data.shape[-2], x2._data.shape[-2]
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == _MODES[0] and (P > 25 or Rn > 25)))
    if use_mm:
        batch = np.broadcast_shapes(x1._data.shape[:-2], x2._data.shape[:-2])
        a = x1.expand(batch + x1._data.shape[-2:])
        b = x2.expand(batch + x2._data.shape[-2:])
        node = EuclideanDist()
        r = apply(node, (a, b), a._data, b._data)
        if r.grad_fn is node:
            node.save(a, b)
        return r
    return vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), float(p), -1)
