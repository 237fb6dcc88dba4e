"""Distances and vector utilities: ``cosine_similarity``, ``pairwise_distance``, ``pdist``,
``normalize``, ``one_hot`` (``ember.cdist`` lives in :mod:`ember.linalg`).
"""

from __future__ import annotations

import numpy as np

from ..._dtype import get_default_dtype
from ..._tensor import Tensor, _wrap_dim
from ...linalg import vector_norm
from ...ops._dispatch import xp_of
from ...ops.binary import div

__all__ = ["cosine_similarity", "pairwise_distance", "pdist", "normalize", "one_hot"]


def _tensor_arg(x, op: str, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def _clamped_norm(x, dim: int, eps: float):
    # NOTE: PyTorch clamps each norm to eps in place under no_grad, so the value is
    # max(||x||, eps) while the gradient is the unclamped norm's; this reproduces both.
    n = vector_norm(x, 2, dim=dim, keepdim=True)
    nd = n.detach()
    return n + (nd.clamp_min(eps) - nd)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    r"""Cosine similarity along ``dim``: :math:`\sum \frac{x_1}{\max(\|x_1\|, \epsilon)}
    \frac{x_2}{\max(\|x_2\|, \epsilon)}` (each norm clamped separately, as PyTorch does).

    Args:
        x1 (Tensor): first input.
        x2 (Tensor): second input, broadcastable with ``x1``.
        dim (int): the dimension of the broadcast shape to reduce. Default: 1.
        eps (float): lower bound of each norm. Default: 1e-8.

    Shape:
        The broadcast shape without ``dim``.

    Raises:
        RuntimeError: shapes that do not broadcast. IndexError: ``dim`` out of range.

    Example:
        >>> import ember
        >>> ember.nn.functional.cosine_similarity(ember.tensor([[1.0, 0.0]]),
        ...                                       ember.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    _tensor_arg(x1, "cosine_similarity", "x1")
    _tensor_arg(x2, "cosine_similarity", "x2")
    # integer and bool inputs compute in the default float dtype, as in PyTorch
    if not x1.is_floating_point():
        x1 = x1.to(get_default_dtype())
    if not x2.is_floating_point():
        x2 = x2.to(get_default_dtype())
    if x1.shape != x2.shape:
        from ...ops.shape import broadcast_tensors
        x1, x2 = broadcast_tensors(x1, x2)
    d = _wrap_dim(dim, x1.ndim, "cosine_similarity")
    return ((x1 / _clamped_norm(x1, d, eps)) * (x2 / _clamped_norm(x2, d, eps))).sum(d)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    r"""p-norm distance along the last dimension: :math:`\|x_1 - x_2 + \epsilon\|_p`.

    Args:
        x1 (Tensor): ``(N, D)`` or ``(D,)``.
        x2 (Tensor): broadcastable with ``x1``.
        p (float): the norm degree. Default: 2.
        eps (float): added to the difference (avoids a zero norm). Default: 1e-6.
        keepdim (bool): keep the reduced dimension. Default: ``False``.

    Shape:
        ``(N)`` (or ``(N, 1)`` with ``keepdim``).

    Example:
        >>> import ember
        >>> ember.nn.functional.pairwise_distance(ember.tensor([[3.0, 4.0]]),
        ...                                       ember.zeros(1, 2), eps=0.0)
        tensor([5.])
    """
    _tensor_arg(x1, "pairwise_distance", "x1")
    _tensor_arg(x2, "pairwise_distance", "x2")
    diff = x1 - x2 + eps
    if diff.ndim == 0:
        return vector_norm(diff.reshape(1), p, dim=0)
    return vector_norm(diff, p, dim=max(x1.ndim, x2.ndim) - 1, keepdim=keepdim)


def pdist(input, p: float = 2.0) -> Tensor:
    r"""p-norm distances between all row pairs ``i < j`` of ``input`` (row-major order).

    Args:
        input (Tensor): ``(N, M)`` floating point.
        p (float): the norm degree, >= 0. Default: 2.

    Shape:
        ``(N (N - 1) / 2,)``.

    Raises:
        RuntimeError: input not 2-D or not floating point, or ``p < 0``.

    Example:
        >>> import ember
        >>> ember.nn.functional.pdist(ember.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
        tensor([5.0000, 1.0000, 4.2426])
    """
    _tensor_arg(input, "pdist", "input")
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    xp = xp_of(input._data)
    i, j = np.triu_indices(n, 1)
    if xp is not np:
        i, j = xp.asarray(i), xp.asarray(j)
    idx_i, idx_j = Tensor._make(i.astype(np.int64)), Tensor._make(j.astype(np.int64))
    return vector_norm(input[idx_i] - input[idx_j], p, dim=1)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    r"""Divide by the p-norm along ``dim``: :math:`x / \max(\|x\|_p, \epsilon)`.

    Args:
        input (Tensor): the input.
        p (float): the norm degree. Default: 2.
        dim (int): the normalised dimension. Default: 1.
        eps (float): lower bound of the norm. Default: 1e-12.
        out (Tensor, optional): the output tensor.

    Example:
        >>> import ember
        >>> ember.nn.functional.normalize(ember.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    _tensor_arg(input, "normalize", "input")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    return div(input, denom, out=out)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """One-hot encode an int64 class tensor: ``result[..., c] = (tensor[...] == c)``.

    Args:
        tensor (Tensor): class indices (int64).
        num_classes (int): number of classes; -1 infers ``tensor.max() + 1``. Default: -1.

    Shape:
        ``(*)`` -> ``(*, num_classes)``, dtype int64.

    Raises:
        RuntimeError: a non-int64 input, negative classes, classes ``>= num_classes``, or an
        empty input with ``num_classes=-1``.

    Example:
        >>> import ember
        >>> ember.nn.functional.one_hot(ember.tensor([0, 2]))
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    _tensor_arg(tensor, "one_hot", "tensor")
    x = tensor._data
    if x.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = xp_of(x)
    if x.size == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return Tensor._make(xp.zeros(x.shape + (num_classes,), dtype=np.int64))
    if int(x.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(x.max()) + 1
    elif int(x.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = xp.arange(num_classes, dtype=np.int64)
    return Tensor._make((x[..., None] == classes).astype(np.int64))
