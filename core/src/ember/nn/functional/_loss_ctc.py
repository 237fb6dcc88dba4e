"""``ctc_loss``: Connectionist Temporal Classification (Graves et al., 2006) as one node.

The forward (alpha) and backward (beta) recursions run in log space over the extended label
sequence ``blank, l1, blank, l2, ..., blank``, vectorised over the batch and the label
positions; the only Python loop is over time steps (each step is a handful of array ops).
"""

from __future__ import annotations

import numpy as np

from ... import _dtype as T
from ...autograd import grad_mode
from ...autograd.node import Node
from ...ops._dispatch import apply, xp_of

__all__ = ["ctc_loss"]


def _lse(xp, *arrays):
    """Elementwise log(sum(exp(a))) of same-shape arrays, -inf safe."""
    m = arrays[0]
    for a in arrays[1:]:
        m = xp.maximum(m, a)
    # NOTE: an all -inf slot keeps shift 0 so it stays -inf instead of nan
    ms = xp.where(xp.isfinite(m), m, 0)
    s = sum(xp.exp(a - ms) for a in arrays)
    return xp.log(s) + ms


def _shift(xp, a, k):
    """``a`` shifted right by ``k`` along the last axis, filled with -inf."""
    out = xp.full_like(a, -np.inf)
    out[..., k:] = a[..., :-k]
    return out


def _unshift(xp, a, k):
    """``a`` shifted left by ``k`` along the last axis, filled with -inf."""
    out = xp.full_like(a, -np.inf)
    out[..., :-k] = a[..., k:]
    return out


class CtcLoss(Node):
    """Negative log likelihood of the target labellings; backward from alpha * beta."""

    def forward(self, xp, lp, ext, skip, il, tl, reduction, zero_infinity):
        Tn, N, C = lp.shape
        S = ext.shape[1]
        rows = xp.arange(N)
        lpe = lp[:, rows[:, None], ext]  # (T, N, S): log y_t(l'_s)
        send = 2 * tl + 1  # valid extended length per sample
        valid = xp.arange(S)[None, :] < send[:, None]
        neg = -np.inf  # a Python float: numpy and cupy keep the array dtype
        alpha = xp.full((Tn, N, S), neg, dtype=lp.dtype)
        alpha[0, :, 0] = lpe[0, :, 0]
        if S > 1:
            alpha[0, :, 1] = xp.where(tl > 0, lpe[0, :, 1], neg)
        for t in range(1, Tn):
            a = alpha[t - 1]
            a2 = xp.where(skip, _shift(xp, a, 2), neg) if S > 2 else xp.full_like(a, neg)
            a1 = _shift(xp, a, 1) if S > 1 else xp.full_like(a, neg)
            alpha[t] = xp.where(valid, _lse(xp, a, a1, a2) + lpe[t], neg)
        last = alpha[il - 1, rows]  # (N, S) at each sample's final time step
        end1 = last[rows, send - 1]
        end2 = xp.where(send > 1, last[rows, xp.maximum(send - 2, 0)], neg)
        nll = -_lse(xp, end1, end2)
        # an empty input explains only the empty target
        nll = xp.where(il == 0, xp.where(tl == 0, 0.0, np.inf), nll).astype(lp.dtype)
        self.args = (lpe, alpha, ext, skip, il, tl, valid, nll, lp.shape)
        self.reduction, self.zero_infinity = reduction, zero_infinity
        if zero_infinity:
            nll = xp.where(xp.isinf(nll), 0, nll)
        if reduction == "none":
            return nll
        if reduction == "sum":
            return xp.asarray(nll.sum(), dtype=lp.dtype)
        return xp.asarray((nll / xp.maximum(tl, 1)).mean(), dtype=lp.dtype)

    def _release_extra(self) -> None:
        self.args = None

    def _grad(self, g):
        """d loss / d log_probs (T, N, C) for output gradient array ``g``."""
        if self.args is None:
            raise RuntimeError(self.name() + ": saved values were freed")
        lpe, alpha, ext, skip, il, tl, valid, nll, (Tn, N, C) = self.args
        xp = xp_of(lpe)
        S = ext.shape[1]
        send = 2 * tl + 1
        neg = -np.inf
        beta = xp.full((Tn, N, S), neg, dtype=lpe.dtype)
        s_idx = xp.arange(S)[None, :]
        init_mask = (s_idx == send[:, None] - 1) | (s_idx == send[:, None] - 2)
        skip_next = _unshift(xp, skip.astype(lpe.dtype), 2) > 0 if S > 2 else None
        for t in range(Tn - 1, -1, -1):
            init = xp.where(init_mask, lpe[t], neg)
            if t < Tn - 1:
                b = beta[t + 1]
                b1 = _unshift(xp, b, 1) if S > 1 else xp.full_like(b, neg)
                b2 = xp.where(skip_next, _unshift(xp, b, 2), neg) if S > 2 else \
                    xp.full_like(b, neg)
                rec = xp.where(valid, _lse(xp, b, b1, b2) + lpe[t], neg)
            else:
                rec = xp.full_like(init, neg)
            tt = il - 1
            beta[t] = xp.where((t == tt)[:, None], init, xp.where((t < tt)[:, None], rec, neg))
        # posterior of passing label position s at time t: alpha * beta / y, over p
        inf = xp.isinf(nll)
        # NOTE: infeasible samples (nll = inf) are handled below; keep their exponent finite
        post = xp.exp(alpha + beta - lpe + xp.where(inf, 0, nll)[None, :, None])  # (T, N, S)
        onehot = (ext[:, :, None] == xp.arange(C)[None, None, :]).astype(lpe.dtype)
        gl = -xp.matmul(post.transpose(1, 0, 2), onehot).transpose(1, 0, 2)  # (T, N, C)
        if self.zero_infinity:
            gl = xp.where(inf[None, :, None], 0, gl)
        else:  # PyTorch's infeasible samples get nan gradients over their valid steps
            tmask = (xp.arange(Tn)[:, None] < il[None, :]) & inf[None, :]
            gl = xp.where(tmask[:, :, None], np.nan, gl)
        if self.reduction == "none":
            scale = g.reshape(1, N, 1)
        elif self.reduction == "sum":
            scale = g.reshape(1, 1, 1)
        else:
            scale = (g / (N * xp.maximum(tl, 1))).reshape(1, N, 1)
        return (gl * scale).astype(lpe.dtype, copy=False)

    def fast(self, g):
        self.saved  # noqa: B018  (version check of log_probs, as the tensor path does)
        return (self._grad(g),)

    def backward(self, gy):
        gx = self._grad(gy._data)
        if grad_mode._state.enabled:  # create_graph: the result is not differentiable again
            (lp,) = self.saved
            return (apply(_NoDoubleBackward(), (lp, gy), gx),)
        from ..._tensor import Tensor
        return (Tensor._make(gx),)


class _NoDoubleBackward(Node):
    def forward(self, xp, gx):
        return gx

    def backward(self, g):
        raise RuntimeError("derivative for ctc_loss_backward is not implemented")


def _lengths(v, name, N, xp):
    from ..._tensor import Tensor
    if isinstance(v, Tensor):
        if v._data.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        a = v._data.reshape(-1)
    else:
        a = np.asarray(v, dtype=np.int64).reshape(-1)
    if a.shape[0] != N:
        raise RuntimeError(f"{name} must be of size batch_size")
    return xp.asarray(a.astype(np.int64))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False):
    """Connectionist Temporal Classification loss: ``-log p(target | log_probs)``.

    ``p`` sums over every alignment of the target (with blanks and repeats) to the input
    frames, computed by the forward-backward recursions in log space.

    Args:
        log_probs: ``(T, N, C)`` (or unbatched ``(T, C)``) log-probabilities, e.g.
            ``log_softmax`` output.
        targets: ``(N, S)`` padded class indices, or the targets of all samples concatenated
            in one 1-D tensor (``sum(target_lengths)`` long). Blanks must not appear.
        input_lengths: ``(N,)`` tensor or sequence, each ``<= T``.
        target_lengths: ``(N,)`` tensor or sequence.
        blank: the blank label. Default 0.
        reduction: ``'none'`` | ``'mean'`` (each loss divided by its target length, then
            averaged) | ``'sum'``. Default ``'mean'``.
        zero_infinity: infeasible alignments give loss 0 and gradient 0. Default False.

    Shape:
        Output ``(N,)`` for ``'none'`` (``()`` unbatched), else a scalar.

    Raises:
        RuntimeError: blank outside ``[0, C)``, lengths of the wrong size or too large, a
        wrong ``log_probs`` dimension count.
        ValueError: bad ``reduction``.

    Example:
        >>> import math, ember
        >>> lp = ember.full((2, 1, 2), math.log(0.5))  # two frames, uniform over {blank, a}
        >>> round(ember.nn.functional.ctc_loss(lp, ember.tensor([[1]]), [2], [1]).item(), 4)
        0.2877
    """
    from ._loss import _reduction
    reduction = _reduction(reduction)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.ndim == 1 and targets.numel() else targets
        input_lengths = [int(input_lengths)] if not hasattr(input_lengths, "__len__") or (
            hasattr(input_lengths, "ndim") and input_lengths.ndim == 0) else input_lengths
        target_lengths = [int(target_lengths)] if not hasattr(target_lengths, "__len__") or (
            hasattr(target_lengths, "ndim") and target_lengths.ndim == 0) else target_lengths
    if log_probs.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.ndim}-dimensional "
                           "tensor for argument #1 'log_probs' (while checking arguments for "
                           "ctc_loss)")
    if not log_probs.is_floating_point():
        log_probs = log_probs.to(T.get_default_dtype())
    lp = log_probs._data
    xp = xp_of(lp)
    Tn, N, C = lp.shape
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    il = _lengths(input_lengths, "input_lengths", N, xp)
    tl = _lengths(target_lengths, "target_lengths", N, xp)
    if N and int(il.max()) > Tn:
        raise RuntimeError(f"Expected input_lengths to have value at most {Tn}, but got value "
                           f"{int(il.max())} (while checking arguments for ctc_loss)")
    # NOTE: PyTorch lets targets and lengths live on the CPU beside CUDA log_probs
    tg = xp.asarray(targets._data if hasattr(targets, "_data") else np.asarray(targets))
    tg = tg.astype(np.int64, copy=False)
    L = int(tl.max()) if N else 0
    pos = xp.arange(L)[None, :]
    if tg.ndim == 1:  # concatenated targets: sample n owns tg[off[n]:off[n] + tl[n]]
        off = xp.cumsum(tl) - tl
        idx = xp.minimum(off[:, None] + pos, max(tg.shape[0] - 1, 0))
        tgt = tg[idx] if tg.shape[0] else xp.zeros((N, L), dtype=np.int64)
    else:
        if tg.shape[1] < L:
            raise RuntimeError(f"Expected tensor to have size at least {L} at dimension 1, but "
                               f"got size {tg.shape[1]} for argument #2 'targets' (while "
                               "checking arguments for ctc_loss)")
        tgt = tg[:, :L]
    tgt = xp.where(pos < tl[:, None], tgt, blank)
    S = 2 * L + 1
    ext = xp.full((N, S), blank, dtype=np.int64)
    ext[:, 1::2] = tgt
    # a transition may skip the blank between two different labels
    skip = xp.zeros((N, S), dtype=bool)
    if S > 2:
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    node = CtcLoss()
    r = apply(node, (log_probs,), lp, ext, skip, il, tl, reduction, bool(zero_infinity))
    if r.grad_fn is node:
        node.save(log_probs)
    if unbatched and reduction == "none":
        r = r.reshape(())
    return r
