"""ctc_loss / CTCLoss (nn/functional/_loss_ctc.py) against a brute-force alignment sum.

The reference enumerates every path of length T over C classes, collapses it (merge repeats,
drop blanks) and sums the probabilities of the paths that give the target — independent of
the forward-backward recursions under test.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck
from ember.testing import assert_close

rng = np.random.default_rng(7)
f64 = ember.float64


def T(a, device, dtype=None, rg=False):
    t = ember.tensor(np.asarray(a), device=device, dtype=dtype)
    return t.requires_grad_() if rg else t


def close(actual, expected, **kw):
    assert_close(actual.detach().cpu().numpy().astype(np.float64),
                 np.asarray(expected, dtype=np.float64), **kw)


def collapse(path, blank):
    out, prev = [], None
    for c in path:
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return out


def ref_nll(lp, target, blank):
    """-log sum over all alignments of ``lp`` (T', C) that collapse to ``target``."""
    Tn, C = lp.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=Tn):
        if collapse(path, blank) == list(target):
            total += math.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -math.log(total) if total > 0 else math.inf


def ref_ctc(lp, targets, il, tl, blank=0, reduction="mean", zero_infinity=False):
    N = lp.shape[1]
    out = np.array([ref_nll(lp[:il[n], n], targets[n][:tl[n]], blank) for n in range(N)])
    if zero_infinity:
        out = np.where(np.isinf(out), 0.0, out)
    if reduction == "none":
        return out
    if reduction == "sum":
        return out.sum()
    return (out / np.maximum(tl, 1)).mean()


def log_softmax(x):
    return x - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)) - \
        x.max(-1, keepdims=True)


def _case(blank=0):
    Tn, N, C = 5, 3, 3
    lp = log_softmax(rng.standard_normal((Tn, N, C)))
    labels = [c for c in range(C) if c != blank]
    targets = np.array([[labels[0], labels[1], labels[1]], [labels[1], labels[0], blank],
                        [labels[0], labels[0], labels[0]]])
    il, tl = np.array([5, 4, 5]), np.array([3, 2, 0])
    return lp, targets, il, tl


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("blank", [0, 2])
@pytest.mark.parametrize("concatenated", [False, True])
def test_ctc_forward_vs_brute_force(reduction, blank, concatenated, device):
    lp, targets, il, tl = _case(blank)
    ref = ref_ctc(lp, targets, il, tl, blank, reduction)
    tg = np.concatenate([targets[n][:tl[n]] for n in range(3)]) if concatenated else targets
    for dtype in (ember.float32, f64):
        out = F.ctc_loss(T(lp, device, dtype), T(tg, device), T(il, device), T(tl, device),
                         blank=blank, reduction=reduction)
        assert out.dtype is dtype
        close(out, ref, rtol=1e-5 if dtype is ember.float32 else 1e-10)
    # lengths as Python sequences
    out = F.ctc_loss(T(lp, device), T(tg, device), tuple(il), list(tl), blank=blank,
                     reduction=reduction)
    close(out, ref, rtol=1e-10)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_gradients(reduction, device):
    lp, targets, il, tl = _case()
    tg, ilt, tlt = T(targets, device), T(il, device), T(tl, device)
    x = T(lp, device, f64, rg=True)

    def fn(a):
        return F.ctc_loss(a, tg, ilt, tlt, reduction=reduction)

    assert gradcheck(fn, (x,))
    # plain .backward (array path) against central differences of the brute-force reference
    gy = rng.standard_normal(ref_ctc(lp, targets, il, tl, reduction=reduction).shape)
    fn(x).backward(T(gy, device, f64))
    num = np.zeros_like(lp)
    for i in np.ndindex(lp.shape):
        d = np.zeros_like(lp)
        d[i] = 1e-6
        num[i] = np.sum(gy * (ref_ctc(lp + d, targets, il, tl, reduction=reduction)
                              - ref_ctc(lp - d, targets, il, tl, reduction=reduction))) / 2e-6
    close(x.grad, num, rtol=1e-5, atol=1e-8)
    # time steps past a sample's input length get no gradient
    assert np.all(x.grad.cpu().numpy()[4:, 1] == 0)


def test_ctc_through_log_softmax_gradcheck(device):
    logits = T(rng.standard_normal((4, 2, 3)), device, f64, rg=True)
    tg, il, tl = T([[1, 2], [2, 2]], device), T([4, 4], device), T([2, 2], device)

    def fn(z):
        return F.ctc_loss(z - z.logsumexp(-1, keepdim=True), tg, il, tl)

    assert gradcheck(fn, (logits,))


def test_ctc_infeasible_and_zero_infinity(device):
    lp = log_softmax(rng.standard_normal((4, 2, 3)))
    tg = T([[1, 1, 1], [1, 2, 1]], device)
    il, tl = T([3, 4], device), T([3, 3], device)  # sample 0 needs 5 frames (1 _ 1 _ 1)
    x = T(lp, device, f64, rg=True)
    out = F.ctc_loss(x, tg, il, tl, reduction="none")
    assert math.isinf(out[0].item())
    close(out[1], ref_nll(lp[:, 1], [1, 2, 1], 0), rtol=1e-10)
    out.sum().backward()
    g = x.grad.cpu().numpy()
    assert np.isnan(g[:3, 0]).all() and np.all(g[3:, 0] == 0)  # as PyTorch
    x.grad = None
    out = F.ctc_loss(x, tg, il, tl, reduction="none", zero_infinity=True)
    assert out[0].item() == 0.0
    out.sum().backward()
    assert np.all(x.grad.cpu().numpy()[:, 0] == 0) and np.isfinite(x.grad.cpu().numpy()).all()
    # an empty input explains only the empty target
    out = F.ctc_loss(x, tg, T([0, 0], device), T([0, 1], device), reduction="none")
    assert out[0].item() == 0.0 and math.isinf(out[1].item())


def test_ctc_unbatched(device):
    lp = log_softmax(rng.standard_normal((4, 3)))
    out = F.ctc_loss(T(lp, device), T([1, 2], device), T(4, device), T(2, device),
                     reduction="none")
    assert out.shape == ()
    close(out, ref_nll(lp, [1, 2], 0), rtol=1e-10)
    out = F.ctc_loss(T(lp, device), T([1, 2], device), T(4, device), T(2, device))
    close(out, ref_nll(lp, [1, 2], 0) / 2, rtol=1e-10)


def test_ctc_double_backward_raises(device):
    lp, targets, il, tl = _case()
    x = T(lp, device, f64, rg=True)
    loss = F.ctc_loss(x, T(targets, device), T(il, device), T(tl, device))
    (g,) = ember.autograd.grad(loss, x, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for ctc_loss_backward is not implemented"):
        g.sum().backward()


def test_ctc_errors(device):
    lp, targets, il, tl = _case()
    x, tg, ilt, tlt = T(lp, device), T(targets, device), T(il, device), T(tl, device)
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(x, tg, ilt, tlt, blank=3)
    with pytest.raises(RuntimeError, match="input_lengths must be of size batch_size"):
        F.ctc_loss(x, tg, T([5], device), tlt)
    with pytest.raises(RuntimeError, match="target_lengths must be of size batch_size"):
        F.ctc_loss(x, tg, ilt, T([1, 1], device))
    with pytest.raises(RuntimeError, match="target_lengths must be integral"):
        F.ctc_loss(x, tg, ilt, T(tl, device, ember.float32))
    with pytest.raises(RuntimeError, match="Expected input_lengths to have value at most 5, but "
                                           "got value 6"):
        F.ctc_loss(x, tg, T([6, 5, 5], device), tlt)
    with pytest.raises(RuntimeError, match="Expected tensor to have size at least 4 at "
                                           "dimension 1, but got size 3 for argument #2 "
                                           "'targets'"):
        F.ctc_loss(x, tg, ilt, T([4, 1, 1], device))
    with pytest.raises(RuntimeError, match="Expected 3-dimensional tensor, but got "
                                           "4-dimensional tensor for argument #1 'log_probs'"):
        F.ctc_loss(x.unsqueeze(0), tg, ilt, tlt)
    with pytest.raises(ValueError, match="x is not a valid value for reduction"):
        F.ctc_loss(x, tg, ilt, tlt, reduction="x")


def test_ctc_module(device):
    lp, targets, il, tl = _case(1)
    m = nn.CTCLoss(blank=1, reduction="sum", zero_infinity=True)
    assert repr(m) == "CTCLoss()"
    assert (m.blank, m.reduction, m.zero_infinity) == (1, "sum", True)
    assert list(m.state_dict()) == []
    out = m(T(lp, device), T(targets, device), T(il, device), T(tl, device))
    close(out, ref_ctc(lp, targets, il, tl, 1, "sum"), rtol=1e-10)
    d = nn.CTCLoss()
    assert (d.blank, d.reduction, d.zero_infinity) == (0, "mean", False)
