"""Regression and classification losses: ``l1_loss``, ``mse_loss``, ``cross_entropy`` …

Every loss takes PyTorch's arguments (``reduction='none'|'mean'|'sum'`` plus the legacy
``size_average``/``reduce`` pair) and is built from ember ops, so gradients and double
gradients come free — except the class-index path of :func:`cross_entropy` and
:func:`nll_loss`, which are fused nodes (log-softmax + NLL in one pass over the logits) because
they dominate small training steps (``_loss_nll.py``).  Margin losses live in
``_loss_margin.py``, CTC in ``_loss_ctc.py``.
"""

from __future__ import annotations

import math
import warnings

__all__ = ["l1_loss", "mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "smooth_l1_loss", "huber_loss",
           "poisson_nll_loss", "gaussian_nll_loss"]


# ---------------------------------------------------------------------- reduction helpers
def legacy_reduction(size_average, reduce, emit_warning: bool = True) -> str:
    """PyTorch's ``_Reduction.legacy_get_string``: the old flag pair as a reduction name."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if (size_average and reduce) else "sum" if reduce else "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", UserWarning, stacklevel=3)
    return ret


def _reduction(reduction, size_average=None, reduce=None) -> str:
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction: str):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _warn_size(input, target, stacklevel: int = 3) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({_tsize(target.shape)}) that is different to the "
                      f"input size ({_tsize(input.shape)}). This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      UserWarning, stacklevel=stacklevel)


def _tsize(shape) -> str:
    return f"ember.Size({list(shape)})"


def _weighted(loss, weight, input, reduction: str, mean_by_weight: bool):
    """Apply PyTorch's elementwise ``weight`` of l1/mse/huber (same shape as ``input``)."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------- regression
def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
            weight=None):
    """Mean absolute error: ``|input - target|`` reduced.

    With ``weight`` (same shape as ``input``) the mean is ``sum(w * |x - y|) / sum(w)``.

    Args:
        input, target: tensors of the same (or broadcastable) shape.
        size_average, reduce: deprecated, map to ``reduction``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.
        weight: optional elementwise weights shaped like ``input``. Default None.

    Example:
        >>> import ember
        >>> ember.nn.functional.l1_loss(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 0.0]))
        tensor(1.5000)
    """
    _warn_size(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, weight, input, reduction, True)
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None):
    """Mean squared error: ``(input - target)**2`` reduced.

    With ``weight`` (same shape as ``input``) the mean is ``sum(w * (x - y)**2) / sum(w)``.

    Args:
        input, target: tensors of the same (or broadcastable) shape.
        size_average, reduce: deprecated, map to ``reduction``.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.
        weight: optional elementwise weights shaped like ``input``. Default None.

    Example:
        >>> import ember
        >>> ember.nn.functional.mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 0.0]))
        tensor(2.5000)
    """
    _warn_size(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    d = input - target
    loss = d * d
    if weight is not None:
        return _weighted(loss, weight, input, reduction, True)
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0):
    """Smooth L1: ``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``.

    ``beta == 0`` is plain L1.

    Args:
        input, target: tensors of the same shape.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.
        beta: the switch point (>= 0). Default 1.0.

    Raises:
        RuntimeError: negative ``beta``.

    Example:
        >>> import ember
        >>> ember.nn.functional.smooth_l1_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]))
        tensor(1.3125)
    """
    _warn_size(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    from ...ops.comparison import where
    loss = where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """Huber loss: ``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``.

    With ``weight`` the mean is the plain mean of ``w * loss`` (as PyTorch).

    Args:
        input, target: tensors of the same shape.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.
        delta: the switch point (> 0). Default 1.0.
        weight: optional elementwise weights shaped like ``input``. Default None.

    Raises:
        RuntimeError: ``delta <= 0``.

    Example:
        >>> import ember
        >>> ember.nn.functional.huber_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]))
        tensor(1.3125)
    """
    _warn_size(input, target)
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    from ...ops.comparison import where
    d = (input - target).abs()
    loss = where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        return _weighted(loss, weight, input, reduction, False)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean"):
    """Poisson negative log likelihood.

    ``exp(x) - y x`` when ``log_input`` else ``x - y log(x + eps)``; ``full`` adds the
    Stirling term ``y log y - y + 0.5 log(2 pi y)`` where ``y > 1``.

    Args:
        input: the (log-)rate. target: observed counts.
        log_input: ``input`` is the log of the rate. Default True.
        full: add the Stirling approximation term. Default False.
        eps: avoids ``log(0)`` when ``log_input=False``. Default 1e-8.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Example:
        >>> import ember
        >>> ember.nn.functional.poisson_nll_loss(ember.tensor([0.0]), ember.tensor([2.0]))
        tensor(1.)
    """
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        from ...ops.comparison import where
        # NOTE: the term is masked to y > 1 (log y undefined at 0, tiny for y <= 1);
        # y is clamped first so the masked branch stays finite (no nan leaking into grads).
        y = target.clamp_min(1.0)
        stirling = y * y.log() - y + 0.5 * (2 * math.pi * y).log()
        loss = loss + where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean"):
    """Gaussian negative log likelihood: ``0.5 (log var + (input - target)**2 / var)``.

    ``var`` is clamped to ``eps`` (the gradient passes through the clamp, as PyTorch's
    ``no_grad`` clamp does); ``full`` adds ``0.5 log(2 pi)``.  ``var`` may be a float, the
    shape of ``input``, that shape without its last dimension, or broadcastable to it with
    exactly one size-1 dimension.

    Args:
        input: expected values. target: samples. var: variances (>= 0).
        full: include the constant term. Default False.
        eps: lower clamp of ``var``. Default 1e-6.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Raises:
        ValueError: negative ``var``, ``var`` of an incompatible size, bad reduction.

    Example:
        >>> import ember
        >>> ember.nn.functional.gaussian_nll_loss(ember.tensor([1.0]), ember.tensor([3.0]), 1.0)
        tensor(2.)
    """
    from ...ops.creation import ones_like
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(
                y for x, y in zip(input.shape, var.shape, strict=True) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    vd = var.detach()
    var = var + (vd.clamp_min(eps) - vd)  # NOTE: clamped value, identity gradient
    d = input - target
    loss = 0.5 * (var.log() + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------- binary
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """Binary cross entropy of probabilities: ``-w (y log x + (1 - y) log(1 - x))``.

    NOTE: both logs are clamped at -100 (as PyTorch) so ``x = 0`` or ``1`` gives a finite loss.

    Args:
        input: probabilities in [0, 1]. target: same shape, in [0, 1].
        weight: rescaling weight broadcast to ``input``. Default None.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Raises:
        ValueError: ``target`` of another size than ``input``.
        RuntimeError: ``input`` outside [0, 1].

    Example:
        >>> import ember
        >>> round(ember.nn.functional.binary_cross_entropy(ember.tensor([0.5]),
        ...       ember.tensor([1.0])).item(), 4)
        0.6931
    """
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({_tsize(target.shape)}) that is different to "
                         f"the input size ({_tsize(input.shape)}) is deprecated. Please ensure "
                         "they have the same size.")
    x = input._data
    if x.size and bool(((x < 0) | (x > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * input.log().clamp_min(-100.0)
             + (1 - target) * (1 - input).log().clamp_min(-100.0))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight=None):
    """Sigmoid + binary cross entropy in the stable form.

    ``loss = (1 - y) x + (1 + (p - 1) y) softplus(-x)`` with ``p = pos_weight`` (1 if None),
    where ``softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0)`` never overflows.

    Args:
        input: logits. target: same shape, in [0, 1].
        weight: rescaling weight broadcast to ``input``. Default None.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.
        pos_weight: weight of positive examples, broadcast along the last (class) dim.

    Raises:
        ValueError: ``target`` of another size than ``input``.

    Example:
        >>> import ember
        >>> round(ember.nn.functional.binary_cross_entropy_with_logits(ember.tensor([0.0]),
        ...       ember.tensor([1.0])).item(), 4)
        0.6931
    """
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({_tsize(target.shape)}) must be the same as input size "
                         f"({_tsize(input.shape)})")
    # NOTE: log(1 + exp(-x)) = log1p(exp(-|x|)) + max(-x, 0): exp never sees a large argument
    sp = (-input.abs()).exp().log1p() + (-input).clamp_min(0.0)
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * sp
    else:
        loss = (1 - target) * input + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False):
    """Kullback-Leibler divergence with ``input`` given as log-probabilities.

    ``target * (log target - input)`` (``exp(t) * (t - input)`` when ``log_target``); the
    pointwise loss is 0 where ``target == 0``.  ``'batchmean'`` divides the sum by the batch
    size (the KL definition); ``'mean'`` by the element count, with PyTorch's warning.

    Args:
        input: log-probabilities. target: probabilities (or log-probabilities).
        reduction: ``'none'`` | ``'batchmean'`` | ``'sum'`` | ``'mean'``. Default ``'mean'``.
        log_target: ``target`` is given in log space. Default False.

    Example:
        >>> import ember
        >>> ember.nn.functional.kl_div(ember.tensor([[0.0]]), ember.tensor([[1.0]]),
        ...                            reduction="batchmean")
        tensor(0.)
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        from ...ops.comparison import where
        # NOTE: 0 * log 0 = 0 (xlogy); the log sees 1 where target is 0 so no nan reaches grads
        pos = target > 0
        loss = where(pos, target * where(pos, target, 1.0).log(), 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------- NLL / cross entropy
from ._loss_nll import cross_entropy, nll_loss  # noqa: E402,F401  (fused class-index nodes)
