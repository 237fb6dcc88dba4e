"""Losses of ember.nn.functional (_loss.py, _loss_nll.py) and their modules (modules/loss.py).

References are written here in numpy float64 (loops over samples for the NLL family), never
from ember; gradients by gradcheck/gradgradcheck in float64 and, for the fused
cross-entropy/NLL nodes' array-level backward, by central differences of the numpy reference.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_errors, check_op
from ember.testing.op_db import records

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(1234)


def T(a, device, dtype=None, rg=False):
    arr = np.asarray(a)
    t = ember.tensor(arr, device=device, dtype=dtype)
    return t.requires_grad_() if rg else t


def red(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def close(actual, expected, **kw):
    assert_close(actual.detach().cpu().numpy().astype(np.float64),
                 np.asarray(expected, dtype=np.float64), **kw)


def numgrad(f, x, eps=1e-6):
    """Central-difference gradient of scalar numpy function ``f`` at ``x``."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


# ---------------------------------------------------------------------- numpy references
def ref_log_softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def ref_nll(logp, t, w=None, ignore=-100, reduction="mean", ls=0.0):
    """Loop reference of (label-smoothed) NLL over log-probabilities, class axis 1."""
    if logp.ndim == 1:
        logp, t, single = logp[None], np.asarray(t).reshape(1), True
    else:
        single = False
    C = logp.shape[1]
    w = np.ones(C) if w is None else np.asarray(w, dtype=np.float64)
    out = np.zeros(t.shape)
    den = 0.0
    for idx in np.ndindex(t.shape):
        c = int(t[idx])
        if c == ignore:
            continue
        row = np.array([logp[(idx[0], k, *idx[1:])] for k in range(C)])
        out[idx] = -(1 - ls) * w[c] * row[c] - ls / C * np.sum(w * row)
        den += w[c]
    if reduction == "none":
        return out[0] if single else out
    if reduction == "sum":
        return out.sum()
    return out.sum() / den if den else np.nan


def ref_ce(x, t, w=None, ignore=-100, reduction="mean", ls=0.0):
    return ref_nll(ref_log_softmax(x, 1 if x.ndim > 1 else 0), t, w, ignore, reduction, ls)


# ---------------------------------------------------------------------- regression losses
ELEMENTWISE = {
    "l1_loss": lambda d: np.abs(d),
    "mse_loss": lambda d: d * d,
    "smooth_l1_loss": lambda d: np.where(np.abs(d) < 1.0, 0.5 * d * d, np.abs(d) - 0.5),
    "huber_loss": lambda d: np.where(np.abs(d) < 1.0, 0.5 * d * d, np.abs(d) - 0.5),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_elementwise_regression(name, reduction, dtype, device):
    x, y = rng.standard_normal((3, 4)) * 2, rng.standard_normal((3, 4))
    out = getattr(F, name)(T(x, device, dtype), T(y, device, dtype), reduction=reduction)
    assert out.dtype is dtype
    close(out, red(ELEMENTWISE[name](x - y), reduction), rtol=1e-5, atol=1e-6)
    xt = T(x, device, ember.float64, rg=True)
    yt = T(y, device, ember.float64, rg=True)
    assert gradcheck(lambda a, b: getattr(F, name)(a, b, reduction=reduction), (xt, yt))


@pytest.mark.parametrize("beta", [0.0, 0.5, 2.0])
def test_smooth_l1_beta(beta, device):
    x, y = rng.standard_normal(7) * 2, rng.standard_normal(7)
    d = np.abs(x - y)
    ref = d if beta == 0 else np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    close(F.smooth_l1_loss(T(x, device), T(y, device), beta=beta, reduction="none"), ref,
          rtol=1e-5, atol=1e-6)
    xt = T(x, device, ember.float64, rg=True)
    assert gradcheck(lambda a: F.smooth_l1_loss(a, T(y, device), beta=beta), (xt,))
    with pytest.raises(RuntimeError, match="negative values for beta"):
        F.smooth_l1_loss(T(x, device), T(y, device), beta=-1.0)


@pytest.mark.parametrize("delta", [0.5, 2.0])
def test_huber_delta_and_weight(delta, device):
    x, y, w = rng.standard_normal(6) * 2, rng.standard_normal(6), rng.random(6)
    d = np.abs(x - y)
    ref = np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    close(F.huber_loss(T(x, device), T(y, device), delta=delta), ref.mean(), rtol=1e-5)
    # weighted huber: plain mean of w * loss (unlike mse/l1, which divide by sum(w))
    close(F.huber_loss(T(x, device), T(y, device), delta=delta, weight=T(w, device)),
          (w * ref).mean(), rtol=1e-5)
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        F.huber_loss(T(x, device), T(y, device), delta=0.0)


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_mse_weight(name, reduction, device):
    x, y, w = rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), rng.random((2, 3))
    el = ELEMENTWISE[name](x - y) * w
    ref = el.sum() / w.sum() if reduction == "mean" else red(el, reduction)
    fn = getattr(F, name)
    close(fn(T(x, device), T(y, device), reduction=reduction, weight=T(w, device)), ref,
          rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        fn(T(x, device), T(y, device), weight=T(w[0], device))


def test_size_warning_and_bad_reduction(device):
    x, y = T(np.ones((3, 2)), device), T(np.ones((3, 1)), device)
    with pytest.warns(UserWarning, match=r"target size \(ember.Size\(\[3, 1\]\)\) that is "
                                         r"different to the input size"):
        F.mse_loss(x, y)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.l1_loss(x, x, reduction="foo")


def test_legacy_size_average_reduce(device):
    x, y = T([1.0, 3.0], device), T([0.0, 0.0], device)
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        assert F.l1_loss(x, y, size_average=False).item() == 4.0
    with pytest.warns(UserWarning, match="please use reduction='none' instead"):
        m = nn.MSELoss(reduce=False)
    assert m.reduction == "none"
    close(m(x, y), [1.0, 9.0])


# ---------------------------------------------------------------------- binary cross entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted, device):
    x, y, w = rng.uniform(0.05, 0.95, (3, 4)), rng.random((3, 4)), rng.random(4)
    el = -(y * np.log(x) + (1 - y) * np.log(1 - x)) * (w if weighted else 1)
    wt = T(w, device) if weighted else None
    close(F.binary_cross_entropy(T(x, device), T(y, device), weight=wt, reduction=reduction),
          red(el, reduction), rtol=1e-5, atol=1e-6)
    xt = T(x, device, ember.float64, rg=True)
    yt = T(y, device, ember.float64, rg=True)
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, weight=wt, reduction=reduction),
                     (xt, yt))


def test_binary_cross_entropy_log_clamp_and_errors(device):
    # log(0) is clamped at -100: a confident wrong prediction costs exactly 100
    out = F.binary_cross_entropy(T([0.0, 1.0, 1.0], device), T([1.0, 0.0, 1.0], device),
                                 reduction="none")
    close(out, [100.0, 100.0, 0.0])
    with pytest.raises(ValueError, match=r"target size \(ember.Size\(\[4\]\)\) that is different"
                                         r" to the input size \(ember.Size\(\[3\]\)\)"):
        F.binary_cross_entropy(T(np.full(3, 0.5), device), T(np.ones(4), device))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(T([1.5], device), T([1.0], device))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", ["plain", "weight", "pos_weight", "both"])
def test_bce_with_logits(reduction, opts, device):
    x, y = rng.standard_normal((3, 4)) * 3, rng.random((3, 4))
    w, pw = rng.random((3, 1)), rng.random(4) * 3
    sig = 1 / (1 + np.exp(-x))
    p = pw if opts in ("pos_weight", "both") else 1.0
    el = -(p * y * np.log(sig) + (1 - y) * np.log(1 - sig))
    if opts in ("weight", "both"):
        el = el * w
    kw = {"weight": T(w, device) if opts in ("weight", "both") else None,
          "pos_weight": T(pw, device) if opts in ("pos_weight", "both") else None}
    close(F.binary_cross_entropy_with_logits(T(x, device), T(y, device), reduction=reduction,
                                             **kw), red(el, reduction), rtol=1e-5, atol=1e-6)
    kw64 = {k: (v.double() if v is not None else None) for k, v in kw.items()}
    xt, yt = T(x, device, ember.float64, rg=True), T(y, device, ember.float64, rg=True)
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(
        a, b, reduction=reduction, **kw64), (xt, yt))
    assert gradgradcheck(lambda a: F.binary_cross_entropy_with_logits(a, yt.detach(), **kw64),
                         (xt,))


def test_bce_with_logits_stable_and_errors(device):
    # |x| = 1000: exp overflows in a naive form; the stable form is exact
    out = F.binary_cross_entropy_with_logits(T([1000.0, -1000.0, 1000.0], device),
                                             T([1.0, 0.0, 0.0], device), reduction="none")
    close(out, [0.0, 0.0, 1000.0])
    with pytest.raises(ValueError, match=r"Target size \(ember.Size\(\[4\]\)\) must be the same "
                                         r"as input size \(ember.Size\(\[3\]\)\)"):
        F.binary_cross_entropy_with_logits(T(np.zeros(3), device), T(np.zeros(4), device))


# ---------------------------------------------------------------------- kl_div
@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target, device):
    x = ref_log_softmax(rng.standard_normal((3, 4)), 1)
    y = np.exp(ref_log_softmax(rng.standard_normal((3, 4)), 1))
    y[0, 1] = 0.0  # 0 * log 0 = 0
    if log_target:
        tgt = np.log(np.where(y > 0, y, 1e-300))
        el = np.exp(tgt) * (tgt - x)
    else:
        tgt = y
        el = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0) - y * x
    ref = el.sum() / 3 if reduction == "batchmean" else red(el, reduction)
    out = F.kl_div(T(x, device), T(tgt, device), reduction=reduction, log_target=log_target)
    close(out, ref, rtol=1e-5, atol=1e-6)
    xt = T(x, device, ember.float64, rg=True)
    # gradients w.r.t. the target where it is positive (y log y has no derivative at 0)
    yg = np.where(y > 0, y, 0.3)
    tt = T(np.log(yg) if log_target else yg, device, ember.float64, rg=True)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
                     (xt, tt))


def test_kl_div_mean_warns(device):
    x, y = T(np.log([[0.5, 0.5]]), device), T([[0.25, 0.75]], device)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        out = F.kl_div(x, y)
    el = np.array([0.25, 0.75]) * (np.log([0.25, 0.75]) - np.log(0.5))
    close(out, el.mean(), rtol=1e-5)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.kl_div(x, y, reduction="avg")


# ---------------------------------------------------------------------- poisson / gaussian
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll(log_input, full, reduction, device):
    y = np.array([[0.0, 1.0, 2.0, 5.0], [3.0, 0.5, 1.5, 7.0]])
    x = rng.uniform(0.2, 2.0, (2, 4))
    el = np.exp(x) - y * x if log_input else x - y * np.log(x + 1e-8)
    if full:
        st = y * np.log(np.maximum(y, 1)) - y + 0.5 * np.log(2 * math.pi * np.maximum(y, 1))
        el = el + np.where(y > 1, st, 0.0)
    out = F.poisson_nll_loss(T(x, device), T(y, device), log_input=log_input, full=full,
                             reduction=reduction)
    close(out, red(el, reduction), rtol=1e-5, atol=1e-6)
    xt = T(x, device, ember.float64, rg=True)
    assert gradcheck(lambda a: F.poisson_nll_loss(a, T(y, device, ember.float64),
                                                  log_input=log_input, full=full), (xt,))


@pytest.mark.parametrize("var_shape", [(3, 4), (3,), (3, 1), (1, 4), "float"])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll(var_shape, full, device):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    if var_shape == "float":
        v, vt = 0.7, 0.7
    else:
        v = rng.uniform(0.1, 2.0, var_shape)
        vt = T(v, device, ember.float64, rg=True)
    vb = np.asarray(v)[..., None] if var_shape == (3,) else np.asarray(v)
    el = 0.5 * (np.log(vb) + (x - y) ** 2 / vb) + (0.5 * math.log(2 * math.pi) if full else 0)
    xt = T(x, device, ember.float64, rg=True)
    out = F.gaussian_nll_loss(xt, T(y, device, ember.float64), vt, full=full, reduction="none")
    close(out, np.broadcast_to(el, (3, 4)), rtol=1e-7)
    ins = (xt,) if var_shape == "float" else (xt, vt)
    assert gradcheck(lambda *a: F.gaussian_nll_loss(a[0], T(y, device, ember.float64),
                                                    a[1] if len(a) > 1 else v, full=full), ins)


def test_gaussian_nll_eps_clamp_and_errors(device):
    x, y = T([0.0, 0.0], device, ember.float64), T([1.0, 1.0], device, ember.float64)
    v = T([0.0, 1.0], device, ember.float64, rg=True)
    out = F.gaussian_nll_loss(x, y, v, eps=1e-3, reduction="sum")
    close(out, 0.5 * (math.log(1e-3) + 1 / 1e-3) + 0.5, rtol=1e-10)
    out.backward()  # gradient passes straight through the clamp (PyTorch's no_grad clamp)
    close(v.grad, [0.5 * (1 / 1e-3 - 1 / 1e-6), 0.0], rtol=1e-10)
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(x, y, T([-1.0, 1.0], device))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(x, y, -1.0)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(T(np.zeros((3, 4)), device), T(np.zeros((3, 4)), device),
                            T(np.ones((2, 4)), device))
    with pytest.raises(ValueError, match="avg is not valid"):
        F.gaussian_nll_loss(x, y, 1.0, reduction="avg")


# ---------------------------------------------------------------------- cross entropy / NLL
CE_CASES = [  # (input shape, weighted, ignore one target, label smoothing)
    ((4, 5), False, False, 0.0), ((4, 5), True, True, 0.0), ((4, 5), True, True, 0.2),
    ((4, 5), False, True, 0.3), ((2, 3, 4), True, True, 0.1), ((2, 3, 2, 3), False, True, 0.0),
    ((5,), True, False, 0.25), ((1, 3), False, False, 1.0), ((3, 4), True, False, 0.0),
]


def _ce_inputs(shape, ignore):
    C = shape[1] if len(shape) > 1 else shape[0]
    x = rng.standard_normal(shape) * 2
    tshape = (shape[0], *shape[2:]) if len(shape) > 1 else ()
    t = rng.integers(0, C, tshape)
    if ignore and t.ndim:
        t.reshape(-1)[1] = -100
    return x, t, rng.uniform(0.2, 2.0, C)


@pytest.mark.parametrize("case", CE_CASES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_cross_entropy_class_indices(case, reduction, dtype, device):
    shape, weighted, ignore, ls = case
    x, t, w = _ce_inputs(shape, ignore)
    wt = T(w, device, dtype) if weighted else None
    out = F.cross_entropy(T(x, device, dtype), T(t, device), weight=wt, reduction=reduction,
                          label_smoothing=ls)
    assert out.dtype is dtype
    ref = ref_ce(x, t, w if weighted else None, reduction=reduction, ls=ls)
    close(out, ref, rtol=1e-5, atol=1e-6)
    # nll_loss on log-probabilities (no smoothing) against the same loop reference
    logp = ref_log_softmax(x, 1 if x.ndim > 1 else 0)
    out = F.nll_loss(T(logp, device, dtype), T(t, device), weight=wt, reduction=reduction)
    close(out, ref_nll(logp, t, w if weighted else None, reduction=reduction), rtol=1e-5,
          atol=1e-6)


@pytest.mark.parametrize("case", CE_CASES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_nll_gradients(case, reduction, device):
    shape, weighted, ignore, ls = case
    x, t, w = _ce_inputs(shape, ignore)
    tt = T(t, device)
    wt = T(w, device, ember.float64) if weighted else None
    xt = T(x, device, ember.float64, rg=True)

    def ce(a):
        return F.cross_entropy(a, tt, weight=wt, reduction=reduction, label_smoothing=ls)

    def nll(a):
        return F.nll_loss(a, tt, weight=wt, reduction=reduction)

    assert gradcheck(ce, (xt,))
    assert gradgradcheck(ce, (xt,))
    assert gradcheck(nll, (xt,))
    assert gradgradcheck(nll, (xt,))
    # the array-level fast path (plain .backward) against central differences of numpy
    gy = rng.standard_normal(ref_ce(x, t, reduction=reduction).shape)
    wn = w if weighted else None
    for fn, ref in ((ce, lambda a: np.sum(gy * ref_ce(a, t, wn, reduction=reduction, ls=ls))),
                    (nll, lambda a: np.sum(gy * ref_nll(a, t, wn, reduction=reduction)))):
        xt.grad = None
        fn(xt).backward(T(gy, device, ember.float64))
        close(xt.grad, numgrad(ref, x), rtol=1e-6, atol=1e-8)


def test_cross_entropy_fast_equals_graph_path(device):
    x, t, w = _ce_inputs((3, 4, 5), True)
    f32 = ember.float32
    xt, tt, wt = T(x, device, f32, rg=True), T(t, device), T(w, device, f32)
    F.cross_entropy(xt, tt, weight=wt, label_smoothing=0.1).backward()
    (g,) = ember.autograd.grad(F.cross_entropy(xt, tt, weight=wt, label_smoothing=0.1), xt,
                               create_graph=True)
    assert xt.grad.dtype is ember.float32
    close(xt.grad, g.detach().cpu().numpy(), rtol=1e-5, atol=1e-7)


def test_cross_entropy_ignored_and_modified_input(device):
    x = T(rng.standard_normal((2, 3)), device)
    all_ignored = T([-100, -100], device)
    assert math.isnan(F.cross_entropy(x, all_ignored).item())
    assert F.cross_entropy(x, all_ignored, reduction="sum").item() == 0.0
    # a custom ignore_index that is also a valid class
    out = F.cross_entropy(x, T([1, 2], device), ignore_index=2, reduction="none")
    assert out[1].item() == 0.0
    xt = T(rng.standard_normal((2, 3)), device, rg=True)
    y = xt * 1
    loss = F.cross_entropy(y, T([0, 1], device))
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (5,)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_probability_targets(shape, reduction, ls, device):
    x = rng.standard_normal(shape)
    cdim = 1 if len(shape) > 1 else 0
    C = shape[cdim]
    y = np.exp(ref_log_softmax(rng.standard_normal(shape), cdim))
    w = rng.uniform(0.5, 2.0, C)
    wb = w.reshape((C,) + (1,) * (len(shape) - cdim - 1))
    ys = y * (1 - ls) + ls / C
    el = -(ref_log_softmax(x, cdim) * ys * wb).sum(cdim)
    ref = el.sum() / (x.size // C) if reduction == "mean" else red(el, reduction)
    out = F.cross_entropy(T(x, device), T(y, device), weight=T(w, device), reduction=reduction,
                          label_smoothing=ls)
    close(out, ref, rtol=1e-5, atol=1e-6)
    xt, yt = T(x, device, ember.float64, rg=True), T(y, device, ember.float64, rg=True)
    wt = T(w, device, ember.float64)

    def fn(a, b):
        return F.cross_entropy(a, b, weight=wt, reduction=reduction, label_smoothing=ls)

    assert gradcheck(fn, (xt, yt))
    assert gradgradcheck(fn, (xt, yt))


def test_cross_entropy_nll_errors(device):
    x = T(rng.standard_normal((3, 5)), device)
    for fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(IndexError, match="^Target 5 is out of bounds.$"):
            fn(x, T([0, 1, 5], device))
        with pytest.raises(IndexError, match="Target -3 is out of bounds."):
            fn(x, T([0, 1, -3], device))
        with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                             r"batch_size \(2\)."):
            fn(x, T([0, 1], device))
        with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but "
                                               "got Int"):
            fn(x, T([0, 1, 2], device, ember.int32))
        with pytest.raises(RuntimeError, match=r"Expected target size \[2, 4\], got \[2, 3\]"):
            fn(T(np.zeros((2, 3, 4)), device), T(np.zeros((2, 3), np.int64), device))
        with pytest.raises(RuntimeError, match="multi-target not supported"):
            fn(x, T(np.zeros((3, 4), np.int64), device))
        # the batch sizes are compared before the target's rank (a 0-d target has batch 0)
        with pytest.raises(ValueError, match=r"input batch_size \(3\) to match target "
                                             r"batch_size \(1\)"):
            fn(x, T(np.zeros((1, 3), np.int64), device))
        with pytest.raises(ValueError, match=r"input batch_size \(3\) to match target "
                                             r"batch_size \(0\)"):
            fn(x, T(np.int64(0), device))
        with pytest.raises(RuntimeError, match=r"weight tensor should be defined either for all "
                                               r"5 classes or no classes but got weight tensor "
                                               r"of shape: \[4\]"):
            fn(x, T([0, 1, 2], device), weight=T(np.ones(4), device))
        with pytest.raises(ValueError, match="bar is not a valid value for reduction"):
            fn(x, T([0, 1, 2], device), reduction="bar")
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got "
                                           "Float"):
        F.nll_loss(x, T([0.0, 1.0, 2.0], device, ember.float32))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: "
                                           "1.5"):
        F.cross_entropy(x, T([0, 1, 2], device), label_smoothing=1.5)


def test_nll_loss_uint8_target(device):
    logp = ref_log_softmax(rng.standard_normal((3, 4)), 1)
    t = np.array([0, 3, 2], dtype=np.uint8)
    close(F.nll_loss(T(logp, device), T(t, device)), ref_nll(logp, t), rtol=1e-6)


# ---------------------------------------------------------------------- modules
def test_loss_modules_match_functionals(device):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    p = rng.uniform(0.1, 0.9, (3, 4))
    xt, yt, pt, yp = T(x, device), T(y, device), T(p, device), T(np.abs(y) % 1, device)
    t = T([0, 3, 1], device)
    w = T(rng.random(4), device)
    cases = [
        (nn.L1Loss(reduction="sum"), F.l1_loss(xt, yt, reduction="sum"), (xt, yt)),
        (nn.MSELoss(), F.mse_loss(xt, yt), (xt, yt)),
        (nn.CrossEntropyLoss(w, ignore_index=3, label_smoothing=0.1),
         F.cross_entropy(xt, t, w, ignore_index=3, label_smoothing=0.1), (xt, t)),
        (nn.NLLLoss(w, reduction="none"), F.nll_loss(xt, t, w, reduction="none"), (xt, t)),
        (nn.BCELoss(w), F.binary_cross_entropy(pt, yp, w), (pt, yp)),
        (nn.BCEWithLogitsLoss(w, pos_weight=w + 1),
         F.binary_cross_entropy_with_logits(xt, yp, w, pos_weight=w + 1), (xt, yp)),
        (nn.KLDivLoss(reduction="batchmean", log_target=True),
         F.kl_div(xt, yt, reduction="batchmean", log_target=True), (xt, yt)),
        (nn.SmoothL1Loss(beta=0.5), F.smooth_l1_loss(xt, yt, beta=0.5), (xt, yt)),
        (nn.HuberLoss(delta=0.5), F.huber_loss(xt, yt, delta=0.5), (xt, yt)),
        (nn.PoissonNLLLoss(log_input=False, full=True),
         F.poisson_nll_loss(pt, yp, log_input=False, full=True), (pt, yp)),
        (nn.GaussianNLLLoss(full=True), F.gaussian_nll_loss(xt, yt, pt, full=True),
         (xt, yt, pt)),
    ]
    for mod, expected, args in cases:
        close(mod(*args), expected.cpu().numpy())


def test_loss_module_buffers_and_repr(device):
    w = ember.ones(3)
    m = nn.CrossEntropyLoss(weight=w)
    assert list(m.state_dict()) == ["weight"]
    assert repr(m) == "CrossEntropyLoss()"
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    m = nn.BCEWithLogitsLoss(weight=w, pos_weight=w * 2)
    assert list(m.state_dict()) == ["weight", "pos_weight"]
    assert [n for n, _ in m.named_buffers()] == ["weight", "pos_weight"]
    for cls in (nn.NLLLoss, nn.BCELoss):
        assert list(cls(weight=w).state_dict()) == ["weight"]
    for cls in (nn.L1Loss, nn.MSELoss, nn.KLDivLoss, nn.SmoothL1Loss, nn.HuberLoss,
                nn.PoissonNLLLoss, nn.GaussianNLLLoss, nn.NLLLoss, nn.BCELoss):
        assert repr(cls()) == cls.__name__ + "()"
    m = nn.CrossEntropyLoss()
    assert (m.reduction, m.ignore_index, m.label_smoothing, m.weight) == ("mean", -100, 0.0,
                                                                          None)
    m = nn.GaussianNLLLoss()
    assert (m.full, m.eps, m.reduction) == (False, 1e-6, "mean")
    m = nn.PoissonNLLLoss()
    assert (m.log_input, m.full, m.eps) == (True, False, 1e-8)
    assert nn.HuberLoss().delta == 1.0 and nn.SmoothL1Loss().beta == 1.0
    assert nn.KLDivLoss().log_target is False


def test_loss_module_legacy_flags():
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, "
                                         "please use reduction='sum' instead."):
        m = nn.CrossEntropyLoss(size_average=False)
    assert m.reduction == "sum"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert nn.NLLLoss(reduce=False).reduction == "none"
        assert nn.L1Loss(size_average=True, reduce=True).reduction == "mean"
        assert nn.KLDivLoss(size_average=False, reduce=True).reduction == "sum"


def test_cross_entropy_module_trains(device):
    """A few SGD steps on separable data drive the fused loss down (smoke of the fast path)."""
    r = np.random.default_rng(0)
    t = (r.standard_normal(32) > 0).astype(np.int64)
    xa = r.standard_normal((32, 4))
    xa[:, 0] += np.where(t == 1, 3.0, -3.0)  # class 1 lies to the right on feature 0
    x, t = T(xa, device, ember.float32), T(t, device)
    W = T(np.zeros((4, 2)), device, ember.float32, rg=True)
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(20):
        loss = loss_fn(x @ W, t)
        first = loss.item() if first is None else first
        W.grad = None
        loss.backward()
        with ember.no_grad():
            W -= 0.5 * W.grad
    assert W.grad.dtype is ember.float32
    assert loss.item() < 0.25 * first


# ---------------------------------------------------------------------- op records
@pytest.mark.parametrize("rec", records("nn_loss"), ids=lambda r: r.name)
def test_loss_records(rec, device):
    check_op(rec, device)
    check_errors(rec, device)
