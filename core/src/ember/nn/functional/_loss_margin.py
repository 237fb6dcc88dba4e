"""Margin and embedding losses: soft/multi-label/multi-class margins, ranking, triplets.

All are compositions of ember ops (gradients and double gradients come free); the
``reduction`` handling is shared with ``_loss.py``.
"""

from __future__ import annotations

import numpy as np

from ...ops._dispatch import xp_of
from ._loss import _reduce, _reduction

__all__ = ["soft_margin_loss", "multilabel_soft_margin_loss", "multilabel_margin_loss",
           "multi_margin_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss"]


def _softplus(x):
    # NOTE: log(1 + exp(x)) = log1p(exp(-|x|)) + max(x, 0), finite for any x
    return (-x.abs()).exp().log1p() + x.clamp_min(0.0)


def _long_target(target) -> None:
    dt = target._data.dtype
    if dt != np.int64:
        names = {"int32": "Int", "float32": "Float", "float64": "Double", "int16": "Short",
                 "uint8": "Byte", "int8": "Char", "bool": "Bool", "float16": "Half"}
        raise RuntimeError(f"expected scalar type Long but found {names.get(dt.name, dt.name)}")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """Two-class logistic loss ``log(1 + exp(-y x))`` for targets ``y`` in {1, -1}.

    Args:
        input, target: tensors of the same shape.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Example:
        >>> import ember
        >>> round(ember.nn.functional.soft_margin_loss(ember.tensor([0.0]),
        ...       ember.tensor([1.0])).item(), 4)
        0.6931
    """
    reduction = _reduction(reduction, size_average, reduce)
    return _reduce(_softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean"):
    """Multi-label one-versus-all logistic loss, averaged over the classes.

    ``l_n = -1/C sum_c w_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c))``.

    Args:
        input: ``(N, C)`` logits. target: ``(N, C)`` in {0, 1}.
        weight: per-class weights ``(C,)``. Default None.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Example:
        >>> import ember
        >>> round(ember.nn.functional.multilabel_soft_margin_loss(ember.tensor([[0.0, 0.0]]),
        ...       ember.tensor([[1.0, 0.0]])).item(), 4)
        0.6931
    """
    reduction = _reduction(reduction, size_average, reduce)
    # -log sigmoid(x) = softplus(-x); -log sigmoid(-x) = softplus(x)
    loss = target * _softplus(-input) + (1 - target) * _softplus(input)
    if weight is not None:
        loss = loss * weight
    C = input.shape[-1]
    return _reduce(loss.sum(input.ndim - 1) / C, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None,
                           reduction: str = "mean"):
    """Multi-label hinge loss: ``sum_{j in y, i not in y} max(0, 1 - (x[j] - x[i])) / C``.

    ``target`` holds class indices, padded with -1 after the last one.

    Args:
        input: ``(C,)`` or ``(N, C)``. target: int64 of the same shape.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Raises:
        RuntimeError: target shape differs from input's, target not int64, index out of range.

    Example:
        >>> import ember
        >>> round(ember.nn.functional.multilabel_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]),
        ...       ember.tensor([[3, 0, -1, 1]])).item(), 4)
        0.85
    """
    reduction = _reduction(reduction, size_average, reduce)
    _long_target(target)
    if input.ndim > 2 or target.shape != input.shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    one = input.ndim == 1
    x = input.reshape(1, -1) if one else input
    t = target._data.reshape(x.shape)
    xp = xp_of(t)
    C = x.shape[1]
    # a target row is read up to its first -1
    valid = xp.cumprod(t != -1, axis=1).astype(bool)
    if bool((valid & ((t < 0) | (t >= C))).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    ts = xp.where(valid, t, 0)
    is_target = xp.zeros(x.shape, dtype=bool)
    rows = xp.broadcast_to(xp.arange(x.shape[0])[:, None], ts.shape)
    is_target[rows[valid], ts[valid]] = True
    from ..._tensor import Tensor
    xt = x.gather(1, Tensor._make(ts))  # x[y_j] per slot j
    pair = (1 - xt.unsqueeze(2) + x.unsqueeze(1)).clamp_min(0.0)  # (N, j, i)
    sel = (valid[:, :, None] & ~is_target[:, None, :]).astype(x._data.dtype)
    loss = (pair * Tensor._make(sel)).sum((1, 2)) / C
    if one:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean"):
    """Multi-class hinge loss: ``sum_{i != y} w_y max(0, margin - x[y] + x[i])**p / C``.

    Args:
        input: ``(C,)`` or ``(N, C)``. target: int64 class indices ``()`` or ``(N,)``.
        p: 1 or 2. Default 1.
        margin: Default 1.0.
        weight: per-class weights ``(C,)``. Default None.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Raises:
        ValueError: ``p`` not 1 or 2; ``weight`` not 1-D.
        RuntimeError: target size or dtype wrong, target out of range, weight size wrong.

    Example:
        >>> import ember
        >>> round(ember.nn.functional.multi_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]),
        ...       ember.tensor([3])).item(), 4)
        0.325
    """
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    one = input.ndim <= 1
    x = input.reshape(1, -1) if one else input
    N, C = x.shape
    if target.numel() != N or target.ndim > 1:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to "
                           "the number of input samples (batch size). Expected target size "
                           f"[{N}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    _long_target(target)
    t = target._data.reshape(N, 1)
    if bool(((t < 0) | (t >= C)).any()):
        raise RuntimeError("target out of range")
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"inconsistent weight size, expected {C} but got "
                           f"{list(weight.shape)}")
    from ..._tensor import Tensor
    tt = Tensor._make(t)
    xy = x.gather(1, tt)
    m = (margin - xy + x).clamp_min(0.0)
    if p == 2:
        m = m * m
    xp = xp_of(t)
    others = (xp.arange(C)[None, :] != t).astype(x._data.dtype)
    m = m * Tensor._make(others)
    if weight is not None:
        m = m * weight[target.reshape(N)].unsqueeze(1)
    loss = m.sum(1) / C
    if one:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean"):
    """Ranking hinge: ``max(0, -y (x1 - x2) + margin)`` for ``y`` in {1, -1}.

    Args:
        input1, input2, target: tensors of the same number of dimensions.
        margin: Default 0.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Raises:
        RuntimeError: the three tensors differ in dimension count.

    Example:
        >>> import ember
        >>> ember.nn.functional.margin_ranking_loss(ember.tensor([1.0]), ember.tensor([2.0]),
        ...                                         ember.tensor([1.0]))
        tensor(1.)
    """
    reduction = _reduction(reduction, size_average, reduce)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {_size(input1)}, input2: {_size(input2)}, "
                           f"target: {_size(target)} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0.0), reduction)


def _size(t) -> str:
    return f"ember.Size({list(t.shape)})"


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """Hinge embedding: ``x`` where ``y == 1``, ``max(0, margin - x)`` where ``y == -1``.

    Args:
        input: distances. target: same shape, in {1, -1}.
        margin: Default 1.0.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Example:
        >>> import ember
        >>> ember.nn.functional.hinge_embedding_loss(ember.tensor([0.3, 0.3]),
        ...                                          ember.tensor([1.0, -1.0]))
        tensor(0.5000)
    """
    reduction = _reduction(reduction, size_average, reduce)
    from ...ops.comparison import where
    m = where(target != 1, (margin - input).clamp_min(0.0), 0.0)
    return _reduce(m + where(target != -1, input, 0.0), reduction)


def cosine_embedding_loss(input1, input2, target, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean"):
    """Cosine embedding: ``1 - cos(x1, x2)`` where ``y == 1``, ``max(0, cos - margin)`` where -1.

    NOTE: 1e-12 is added to each squared magnitude (as PyTorch) so zero vectors stay finite.

    Args:
        input1, input2: ``(N, D)`` or ``(D,)``. target: ``(N,)`` or ``()`` in {1, -1}.
        margin: in [-1, 1]. Default 0.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Raises:
        RuntimeError: target of more than one dimension; shapes that do not broadcast.

    Example:
        >>> import ember
        >>> ember.nn.functional.cosine_embedding_loss(ember.tensor([[1.0, 0.0]]),
        ...     ember.tensor([[0.0, 1.0]]), ember.tensor([1.0]))
        tensor(1.)
    """
    reduction = _reduction(reduction, size_average, reduce)
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    from ...ops.comparison import where
    d = 1 if input1.ndim == 2 else 0
    prod = (input1 * input2).sum(d)
    m1 = (input1 * input1).sum(d) + 1e-12
    m2 = (input2 * input2).sum(d) + 1e-12
    cos = prod / (m1 * m2).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp_min(0.0),
                                                     0.0)
    return _reduce(loss, reduction)


def _pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6):
    # NOTE: eps is added to the difference (as PyTorch) so the norm's gradient is finite at 0
    from ...ops.linalg_methods import norm
    return norm(x1 - x2 + eps, p, dim=-1)


def _check_triplet_dims(a, p, n) -> None:
    if not (a.ndim == p.ndim == n.ndim):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a.ndim}D, positive "
                           f"{p.ndim}D, and negative {n.ndim}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean"):
    """Triplet loss ``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the p-norm distance.

    ``d(x, y) = ||x - y + eps||_p`` over the last dim; ``swap`` uses
    ``min(d(a, n), d(p, n))`` as the negative distance.

    Args:
        anchor, positive, negative: ``(N, D)`` or ``(D,)``.
        margin: Default 1.0. p: norm degree. Default 2. eps: Default 1e-6.
        swap: the distance swap of Balntas et al. Default False.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Raises:
        RuntimeError: inputs of different dimension counts.

    Example:
        >>> import ember
        >>> a = ember.tensor([[0.0, 0.0]])
        >>> ember.nn.functional.triplet_margin_loss(a, a, a, eps=0.0)
        tensor(1.)
    """
    reduction = _reduction(reduction, size_average, reduce)
    _check_triplet_dims(anchor, positive, negative)
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        from ...ops.binary import minimum
        d_neg = minimum(d_neg, _pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0.0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean"):
    """Triplet loss with a custom distance: ``max(d(a, p) - d(a, n) + margin, 0)``.

    Args:
        anchor, positive, negative: tensors of the same dimension count.
        distance_function: callable ``(x, y) -> distances``; the Euclidean pairwise distance
            when None. Default None.
        margin: > 0. Default 1.0.
        swap: use ``min(d(a, n), d(p, n))``. Default False.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Raises:
        ValueError: ``margin <= 0``. RuntimeError: different dimension counts.

    Example:
        >>> import ember
        >>> a = ember.tensor([[0.0, 0.0]])
        >>> ember.nn.functional.triplet_margin_with_distance_loss(
        ...     a, a, a, distance_function=lambda x, y: (x - y).abs().sum(-1))
        tensor(1.)
    """
    reduction = _reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    dist = distance_function if distance_function is not None else _pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        from ...ops.binary import minimum
        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0.0), reduction)
