"""``nll_loss`` and ``cross_entropy``: fused class-index nodes, probability targets.

The class-index paths run as single nodes on arrays: cross entropy does log-softmax and the
NLL gather in one pass over the logits and keeps the softmax for a backward of
``(softmax * s - onehot-ish) * g``; both nodes also define an array-level ``fast`` formula
(autograd/node.py, "Array-level formulas").  Their ``backward`` uses ember ops, so double
backward works.  Inputs are ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``; the K-dimensional
case is flattened to ``(M, C)`` rows with the class axis last.
"""

from __future__ import annotations

import numpy as np

from ... import _dtype as T
from ...autograd.node import Node
from ...ops._dispatch import apply, xp_of
from ._loss import _reduction

__all__ = ["nll_loss", "cross_entropy"]

_SCALAR = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
           "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool"}


class _Prep:
    """Validated, flattened operands shared by the NLL and cross-entropy nodes."""

    __slots__ = ("shape", "C", "M", "t", "wt", "w", "mask", "rows", "den")


def _check_shapes(input, target) -> None:
    xs, ts = input._data.shape, target._data.shape
    nd = len(xs)
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd == 1:
        if len(ts) > 1 or target._data.size != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        return
    # PyTorch compares the batch sizes first (a 0-d target counts as batch size 0)
    tb = ts[0] if ts else 0
    if xs[0] != tb:
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target "
                         f"batch_size ({tb}).")
    if nd == 2 and len(ts) != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if nd > 2 and ts != (xs[0], *xs[2:]):
        raise RuntimeError(f"Expected target size {[xs[0], *xs[2:]]}, got {list(ts)}")


def _prep(input, target, weight, ignore_index) -> _Prep:
    """Check operands (PyTorch's messages) and flatten them to rows of classes."""
    _check_shapes(input, target)
    td = target._data
    if td.dtype != np.int64 and td.dtype != np.uint8:
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_SCALAR.get(td.dtype.name, td.dtype.name)}")
    x = input._data
    xp = xp_of(x)
    C = x.shape[1] if x.ndim > 1 else x.shape[0]
    p = _Prep()
    p.shape, p.C = x.shape, C
    t = td.reshape(-1).astype(np.int64, copy=False)
    p.M = t.shape[0]
    p.rows = xp.arange(p.M)
    if p.M and 0 <= int(t.min()) and int(t.max()) < C and not (
            0 <= ignore_index < C and bool((t == ignore_index).any())):
        # the common case: every target valid, none ignored -> no masking at all
        p.t, p.mask = t, None
    else:
        mask = t != ignore_index
        bad = mask & ((t < 0) | (t >= C))
        if bool(bad.any()):
            raise IndexError(f"Target {int(t[int(xp.argmax(bad))])} is out of bounds.")
        p.t, p.mask = xp.where(mask, t, 0), mask
    if weight is not None:
        if weight.numel() != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or "
                               f"no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        p.w = weight._data.reshape(-1).astype(x.dtype, copy=False)
        p.wt = p.w[p.t] if p.mask is None else p.w[p.t] * p.mask
        p.den = p.wt.sum()
    else:
        p.w = None
        p.wt = xp.ones(p.M, x.dtype) if p.mask is None else p.mask.astype(x.dtype)
        p.den = p.M if p.mask is None else p.wt.sum()
    return p


def _flat(x):
    """``(C,)``/``(N, C)``/``(N, C, d...)`` array -> ``(M, C)`` rows."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    return xp_of(x).moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unflat(a, shape):
    """``(M, C')`` rows back to the layout of ``shape`` (class axis 1, size ``C'``)."""
    if len(shape) == 1:
        return a.reshape(-1)
    if len(shape) == 2:
        return a
    lead = (shape[0], *shape[2:], a.shape[1])
    return xp_of(a).moveaxis(a.reshape(lead), -1, 1)


def _reduce_rows(xp, per, p, reduction):
    """Reduce per-row losses; ``den`` is the weighted-mean denominator (sum of target weights)."""
    if reduction == "none":
        return per.reshape(p.shape[:1] + p.shape[2:] if len(p.shape) > 1 else ())
    s = per.sum()
    if reduction == "sum":
        return xp.asarray(s)
    return xp.asarray(s / p.den)


def _row_scale(g, p, reduction):
    """The output gradient as one factor per row, shape ``(M, 1)``."""
    if reduction == "none":
        return g.reshape(-1, 1)
    if reduction == "mean":
        return (g / p.den).reshape(1, 1)
    return g.reshape(1, 1)


class NllLoss(Node):
    """``-w[t] * input[t]`` per row; backward scatters ``-w[t] g`` into the target column."""

    def forward(self, xp, x, p, reduction):
        self.p, self.reduction = p, reduction
        per = -_flat(x)[p.rows, p.t] * p.wt
        return _reduce_rows(xp, per, p, reduction)

    def _grad(self, g):
        p = self.p
        xp = xp_of(g)
        gx = xp.zeros((p.M, p.C), dtype=g.dtype)
        gx[p.rows, p.t] = -p.wt * _row_scale(g, p, self.reduction)[:, 0]
        return _unflat(gx, p.shape)

    def fast(self, g):
        return (self._grad(g),)

    def backward(self, gy):
        from ..._tensor import Tensor
        p = self.p
        xp = xp_of(gy._data)
        coef = xp.zeros((p.M, p.C), dtype=gy._data.dtype)
        coef[p.rows, p.t] = -p.wt
        if self.reduction == "mean":
            coef /= p.den
        return (_expand_gy(gy, p, self.reduction) * Tensor._make(_unflat(coef, p.shape)),)


def _expand_gy(gy, p, reduction):
    """``gy`` broadcastable against the input layout (class axis inserted for 'none')."""
    if reduction != "none" or len(p.shape) == 1:
        return gy
    return gy.unsqueeze(1)


class CrossEntropy(Node):
    """Fused log-softmax + NLL (+ label smoothing) over class-index targets.

    Per row ``i`` with target ``t``: ``l = -(1 - e) w_t logp_t - (e / C) sum_c w_c logp_c``;
    ``dl/dx_c = p_c ((1 - e) w_t + (e / C) W) - (1 - e) w_t [c = t] - (e / C) w_c`` with
    ``W = sum_c w_c`` (rows with ``t == ignore_index`` are 0).
    """

    def forward(self, xp, x, p, reduction, eps):
        self.p, self.reduction, self.eps = p, reduction, eps
        xf = _flat(x)
        # NOTE: shift by the row max so exp never overflows (log-sum-exp trick)
        z = xf - xf.max(axis=1, keepdims=True)
        e = xp.exp(z)
        s = e.sum(axis=1, keepdims=True)
        lse = xp.log(s)
        per = (lse[:, 0] - z[p.rows, p.t]) * p.wt
        if eps:
            C = p.C
            if p.w is None:
                smooth = C * lse[:, 0] - z.sum(axis=1)
            else:
                smooth = p.w.sum() * lse[:, 0] - z @ p.w
            if p.mask is not None:
                smooth = smooth * p.mask
            per = (1 - eps) * per + (eps / C) * smooth
        e /= s  # the softmax, kept for backward
        self.prob = e
        return _reduce_rows(xp, per.astype(x.dtype, copy=False), p, reduction)

    def _release_extra(self) -> None:
        self.prob = None

    def _coefs(self, xp, dt):
        """``(s, Q)``: the gradient is ``(softmax * s - Q) * g`` in row layout."""
        p, eps = self.p, self.eps
        Q = xp.zeros((p.M, p.C), dtype=dt)
        Q[p.rows, p.t] = (1 - eps) * p.wt
        if not eps:
            return p.wt[:, None], Q
        C, mask = p.C, (1.0 if p.mask is None else p.mask[:, None])
        if p.w is None:
            Q += (eps / C) * mask
            W = C
        else:
            Q += (eps / C) * p.w[None, :] * mask
            W = p.w.sum()
        s = (1 - eps) * p.wt[:, None] + (eps / C) * W * mask
        return s.astype(dt, copy=False), Q

    def fast(self, g):
        self.saved  # noqa: B018  (version check of the input, as the tensor path does)
        prob = self.prob
        if prob is None:
            raise RuntimeError(self.name() + ": saved values were freed")
        xp = xp_of(prob)
        p = self.p
        if not self.eps and p.mask is None and p.w is None:
            gx = prob.copy()  # softmax - onehot, no weights to apply
            gx[p.rows, p.t] -= 1
        else:
            s, Q = self._coefs(xp, prob.dtype)
            gx = prob * s
            gx -= Q
        gx *= _row_scale(g, p, self.reduction)
        return (_unflat(gx, self.p.shape),)

    def backward(self, gy):
        from ..._tensor import Tensor
        from ...ops.reduction import logsumexp
        (x,) = self.saved
        p = self.p
        xp = xp_of(x._data)
        s, Q = self._coefs(xp, x._data.dtype)
        if self.reduction == "mean":
            s, Q = s / p.den, Q / p.den
        cdim = 1 if x.ndim > 1 else 0
        prob = (x - logsumexp(x, cdim, keepdim=True)).exp()
        shape1 = p.shape[:1] + (1,) + p.shape[2:] if len(p.shape) > 1 else (1,)
        S = Tensor._make(_unflat(s, shape1) if len(p.shape) > 1 else s.reshape(shape1))
        g = _expand_gy(gy, p, self.reduction)
        return (g * (prob * S - Tensor._make(_unflat(Q, p.shape))),)


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean"):
    """Negative log likelihood of class indices: ``-weight[t] * input[t]`` per sample.

    ``'mean'`` divides by the sum of the target weights of the non-ignored samples (the
    count when ``weight`` is None), as PyTorch.

    Args:
        input: log-probabilities ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``.
        target: class indices (int64 or uint8) of shape ``()``, ``(N,)`` or ``(N, d1, ...)``.
        weight: per-class weights ``(C,)``. Default None.
        size_average, reduce: deprecated, map to ``reduction``.
        ignore_index: target value that contributes nothing. Default -100.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.

    Raises:
        IndexError: a target outside ``[0, C)`` ("Target 5 is out of bounds.").
        ValueError / RuntimeError: mismatched batch or spatial sizes, wrong target dtype,
        a weight of the wrong size.

    Example:
        >>> import ember
        >>> ember.nn.functional.nll_loss(ember.tensor([[-1.0, -2.0]]), ember.tensor([1]))
        tensor(2.)
    """
    reduction = _reduction(reduction, size_average, reduce)
    if not input.is_floating_point():
        input = input.to(T.get_default_dtype())
    p = _prep(input, target, weight, ignore_index)
    return apply(NllLoss(), (input,), input._data, p, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Cross entropy of logits: ``log_softmax`` + :func:`nll_loss`, fused.

    Class-index targets: ``l = -(1 - e) w_t logp_t - (e / C) sum_c w_c logp_c`` with
    ``e = label_smoothing``; ``'mean'`` divides by the sum of target weights.  Probability
    targets (a float ``target`` shaped like ``input``): ``l = -sum_c w_c y_c logp_c`` with
    ``y`` smoothed to ``(1 - e) y + e / C``; ``'mean'`` divides by ``numel / C``.

    Args:
        input: logits ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``.
        target: class indices ``()``, ``(N,)``, ``(N, d1, ...)`` or probabilities like input.
        weight: per-class weights ``(C,)``. Default None.
        ignore_index: class-index target that contributes nothing. Default -100.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default ``'mean'``.
        label_smoothing: ``e`` in [0, 1]. Default 0.0.

    Raises:
        IndexError: a target outside ``[0, C)``.
        RuntimeError: ``label_smoothing`` outside [0, 1]; shape/dtype errors as nll_loss.

    Example:
        >>> import ember
        >>> round(ember.nn.functional.cross_entropy(ember.tensor([[0.0, 0.0]]),
        ...       ember.tensor([1])).item(), 4)
        0.6931
    """
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input._data.dtype.kind != "f":
        input = input.to(T.get_default_dtype())
    if target._data.dtype.kind == "f" and target._data.shape == input._data.shape:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    p = _prep(input, target, weight, ignore_index)
    node = CrossEntropy()
    r = apply(node, (input,), input._data, p, reduction, float(label_smoothing))
    if r.grad_fn is node:
        node.save(input)
    else:
        node.prob = None
    return r


def _cross_entropy_probs(input, target, weight, reduction, eps):
    from ...ops.reduction import logsumexp
    cdim = 1 if input.ndim > 1 else 0
    C = input.shape[cdim]
    logp = input - logsumexp(input, cdim, keepdim=True)
    if eps:
        target = target * (1 - eps) + eps / C
    prod = logp * target
    if weight is not None:
        if weight.numel() != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or "
                               f"no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        prod = prod * weight.reshape((C,) + (1,) * (input.ndim - cdim - 1))
    loss = -prod.sum(cdim)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (input.numel() // C) if input.numel() else loss.sum() * float("nan")
