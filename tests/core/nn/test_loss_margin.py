"""Margin and embedding losses (nn/functional/_loss_margin.py) and their modules.

References are numpy float64 loops written here; gradients by gradcheck/gradgradcheck.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(99)
f64 = ember.float64


def T(a, device, dtype=None, rg=False):
    t = ember.tensor(np.asarray(a), device=device, dtype=dtype)
    return t.requires_grad_() if rg else t


def red(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def close(actual, expected, **kw):
    assert_close(actual.detach().cpu().numpy().astype(np.float64),
                 np.asarray(expected, dtype=np.float64), **kw)


def signs(shape):
    return np.where(rng.random(shape) > 0.5, 1.0, -1.0)


# ---------------------------------------------------------------------- soft margins
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_soft_margin_loss(reduction, dtype, device):
    x, y = rng.standard_normal((3, 4)) * 3, signs((3, 4))
    out = F.soft_margin_loss(T(x, device, dtype), T(y, device, dtype), reduction=reduction)
    assert out.dtype is dtype
    close(out, red(np.log1p(np.exp(-y * x)), reduction), rtol=1e-5, atol=1e-6)
    xt = T(x, device, f64, rg=True)
    assert gradcheck(lambda a: F.soft_margin_loss(a, T(y, device, f64), reduction=reduction),
                     (xt,))
    # stable for large margins
    close(F.soft_margin_loss(T([800.0, -800.0], device), T([-1.0, -1.0], device),
                             reduction="none"), [800.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss(reduction, weighted, device):
    x, y, w = rng.standard_normal((3, 5)), (rng.random((3, 5)) > 0.5) * 1.0, rng.random(5)
    ls = lambda z: -np.log1p(np.exp(-z))  # noqa: E731  log sigmoid
    el = -(y * ls(x) + (1 - y) * ls(-x)) * (w if weighted else 1.0)
    ref = red(el.mean(1), reduction)
    wt = T(w, device, f64) if weighted else None
    out = F.multilabel_soft_margin_loss(T(x, device, f64), T(y, device, f64), weight=wt,
                                        reduction=reduction)
    close(out, ref, rtol=1e-7)
    xt = T(x, device, f64, rg=True)
    assert gradcheck(lambda a: F.multilabel_soft_margin_loss(a, T(y, device, f64), weight=wt,
                                                             reduction=reduction), (xt,))
    assert gradgradcheck(lambda a: F.multilabel_soft_margin_loss(a, T(y, device, f64)), (xt,))


# ---------------------------------------------------------------------- multi-class hinges
def ref_multilabel_margin(x, t):
    x, t = np.atleast_2d(x), np.atleast_2d(t)
    N, C = x.shape
    out = np.zeros(N)
    for n in range(N):
        labels = []
        for v in t[n]:
            if v == -1:
                break
            labels.append(int(v))
        for j in labels:
            for i in range(C):
                if i not in labels:
                    out[n] += max(0.0, 1 - (x[n, j] - x[n, i]))
    return out / C


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction, device):
    x = rng.standard_normal((3, 5))
    t = np.array([[3, 0, -1, 1, 2], [4, 1, 2, 0, 3], [-1, 2, 2, 2, 2]])
    out = F.multilabel_margin_loss(T(x, device), T(t, device), reduction=reduction)
    close(out, red(ref_multilabel_margin(x, t), reduction), rtol=1e-6, atol=1e-7)
    # PyTorch's documented example
    out = F.multilabel_margin_loss(T([0.1, 0.2, 0.4, 0.8], device), T([3, 0, -1, 1], device),
                                   reduction="none")
    assert out.shape == ()
    close(out, 0.85, rtol=1e-6)
    xt = T(x, device, f64, rg=True)
    assert gradcheck(lambda a: F.multilabel_margin_loss(a, T(t, device), reduction=reduction),
                     (xt,))


def test_multilabel_margin_loss_errors(device):
    x = T(np.zeros((3, 5)), device)
    with pytest.raises(RuntimeError, match=r"inconsistent target size: \[2, 5\] for input of "
                                           r"size: \[3, 5\]"):
        F.multilabel_margin_loss(x, T(np.zeros((2, 5), np.int64), device))
    with pytest.raises(RuntimeError, match="argument #2 'target' is out of range"):
        F.multilabel_margin_loss(x, T(np.full((3, 5), 7), device))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Int"):
        F.multilabel_margin_loss(x, T(np.zeros((3, 5), np.int32), device))


def ref_multi_margin(x, t, p=1, margin=1.0, w=None):
    x, t = np.atleast_2d(x), np.atleast_1d(t)
    N, C = x.shape
    out = np.zeros(N)
    for n in range(N):
        y = int(t[n])
        for i in range(C):
            if i != y:
                v = max(0.0, margin - x[n, y] + x[n, i]) ** p
                out[n] += v * (w[y] if w is not None else 1.0)
    return out / C


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss(p, margin, weighted, reduction, device):
    x, t, w = rng.standard_normal((4, 5)), rng.integers(0, 5, 4), rng.random(5)
    wt = T(w, device, f64) if weighted else None
    out = F.multi_margin_loss(T(x, device, f64), T(t, device), p=p, margin=margin, weight=wt,
                              reduction=reduction)
    close(out, red(ref_multi_margin(x, t, p, margin, w if weighted else None), reduction),
          rtol=1e-7)
    xt = T(x, device, f64, rg=True)
    assert gradcheck(lambda a: F.multi_margin_loss(a, T(t, device), p=p, margin=margin,
                                                   weight=wt, reduction=reduction), (xt,))


def test_multi_margin_loss_1d_and_errors(device):
    x = np.array([0.1, 0.2, 0.4, 0.8])
    out = F.multi_margin_loss(T(x, device), T(3, device), reduction="none")
    assert out.shape == ()
    close(out, ref_multi_margin(x, 3)[0], rtol=1e-6)
    xt = T(np.zeros((3, 5)), device)
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(xt, T([0, 1, 2], device), p=3)
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(xt, T([0, 1, 7], device))
    with pytest.raises(RuntimeError, match=r"Expected target size \[3\], but got \[2\]. Input "
                                           r"has shape \[3, 5\]."):
        F.multi_margin_loss(xt, T([0, 1], device))
    with pytest.raises(ValueError, match="weight must be one-dimensional"):
        F.multi_margin_loss(xt, T([0, 1, 2], device), weight=T(np.ones((5, 1)), device))
    with pytest.raises(RuntimeError, match=r"inconsistent weight size, expected 5 but got \[4\]"):
        F.multi_margin_loss(xt, T([0, 1, 2], device), weight=T(np.ones(4), device))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.multi_margin_loss(xt, T([0.0, 1.0, 2.0], device, ember.float32))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="expected weight to be None or 1D tensor, got 2D"):
        nn.MultiMarginLoss(weight=ember.ones(2, 2))


# ---------------------------------------------------------------------- pairwise hinges
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(reduction, margin, device):
    a, b, y = rng.standard_normal(6), rng.standard_normal(6), signs(6)
    out = F.margin_ranking_loss(T(a, device), T(b, device), T(y, device), margin=margin,
                                reduction=reduction)
    close(out, red(np.maximum(0, -y * (a - b) + margin), reduction), rtol=1e-6, atol=1e-7)
    at, bt = T(a, device, f64, rg=True), T(b, device, f64, rg=True)
    assert gradcheck(lambda u, v: F.margin_ranking_loss(u, v, T(y, device, f64), margin=margin,
                                                        reduction=reduction), (at, bt))
    with pytest.raises(RuntimeError, match=r"All input tensors should have same dimension but "
                                           r"got sizes: input1: ember.Size\(\[3\]\), input2: "
                                           r"ember.Size\(\[3, 1\]\), target: "
                                           r"ember.Size\(\[3\]\)"):
        F.margin_ranking_loss(ember.zeros(3), ember.zeros(3, 1), ember.ones(3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 2.0])
def test_hinge_embedding_loss(reduction, margin, device):
    x, y = rng.uniform(0.0, 3.0, (3, 4)), signs((3, 4))
    el = np.where(y == 1, x, np.maximum(0, margin - x))
    out = F.hinge_embedding_loss(T(x, device), T(y, device), margin=margin, reduction=reduction)
    close(out, red(el, reduction), rtol=1e-6, atol=1e-7)
    xt = T(x, device, f64, rg=True)
    assert gradcheck(lambda a: F.hinge_embedding_loss(a, T(y, device, f64), margin=margin,
                                                      reduction=reduction), (xt,))


def ref_cosine_embedding(a, b, y, margin):
    a, b, y = np.atleast_2d(a), np.atleast_2d(b), np.atleast_1d(y)
    out = []
    for u, v, t in zip(a, b, y, strict=True):
        cos = u @ v / np.sqrt((u @ u + 1e-12) * (v @ v + 1e-12))
        out.append(1 - cos if t == 1 else max(0.0, cos - margin))
    return np.array(out)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, -0.5, 0.5])
def test_cosine_embedding_loss(reduction, margin, device):
    a, b, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3)), signs(5)
    out = F.cosine_embedding_loss(T(a, device), T(b, device), T(y, device), margin=margin,
                                  reduction=reduction)
    close(out, red(ref_cosine_embedding(a, b, y, margin), reduction), rtol=1e-6, atol=1e-7)
    at, bt = T(a, device, f64, rg=True), T(b, device, f64, rg=True)
    fn = lambda u, v: F.cosine_embedding_loss(u, v, T(y, device, f64), margin=margin,  # noqa
                                              reduction=reduction)
    assert gradcheck(fn, (at, bt))
    assert gradgradcheck(fn, (at, bt))


def test_cosine_embedding_loss_1d_zero_and_errors(device):
    out = F.cosine_embedding_loss(T([1.0, 0.0], device), T([1.0, 1.0], device), T(1.0, device),
                                  reduction="none")
    close(out, 1 - 1 / np.sqrt(2), rtol=1e-6)
    # zero vectors: cos = 0 thanks to the 1e-12 in the magnitudes
    out = F.cosine_embedding_loss(T([[0.0, 0.0]], device), T([[1.0, 1.0]], device),
                                  T([1.0], device))
    close(out, 1.0)
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected"):
        F.cosine_embedding_loss(ember.zeros(3, 4), ember.zeros(3, 4), ember.ones(3, 1))


# ---------------------------------------------------------------------- triplets
def ref_dist(a, b, p, eps):
    return np.sum(np.abs(a - b + eps) ** p, axis=-1) ** (1 / p)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_loss(p, swap, reduction, device):
    a, po, ne = (rng.standard_normal((4, 3)) for _ in range(3))
    margin, eps = 1.5, 1e-6
    dn = ref_dist(a, ne, p, eps)
    if swap:
        dn = np.minimum(dn, ref_dist(po, ne, p, eps))
    el = np.maximum(margin + ref_dist(a, po, p, eps) - dn, 0)
    args = [T(v, device) for v in (a, po, ne)]
    out = F.triplet_margin_loss(*args, margin=margin, p=p, swap=swap, reduction=reduction)
    close(out, red(el, reduction), rtol=1e-5, atol=1e-6)
    ins = tuple(T(v, device, f64, rg=True) for v in (a, po, ne))
    assert gradcheck(lambda *z: F.triplet_margin_loss(*z, margin=margin, p=p, swap=swap,
                                                      reduction=reduction), ins)
    m = nn.TripletMarginLoss(margin=margin, p=p, swap=swap, reduction=reduction)
    close(m(*args), red(el, reduction), rtol=1e-5, atol=1e-6)


def test_triplet_errors(device):
    a, b = ember.zeros(3, 4), ember.zeros(4)
    msg = (r"The anchor, positive, and negative tensors are expected to have the same number of "
           r"dimensions, but got: anchor 2D, positive 1D, and negative 2D inputs")
    with pytest.raises(RuntimeError, match=msg):
        F.triplet_margin_loss(a, b, a)
    with pytest.raises(RuntimeError, match=msg):
        F.triplet_margin_with_distance_loss(a, b, a)
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_with_distance_loss(a, a, a, margin=0)
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than "
                                         "0, got -1 instead"):
        nn.TripletMarginLoss(margin=-1)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin to be "
                                         "greater than 0, got 0.0 instead"):
        nn.TripletMarginWithDistanceLoss(margin=0.0)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("custom", [False, True])
def test_triplet_margin_with_distance_loss(swap, custom, device):
    a, po, ne = (rng.standard_normal((4, 3)) for _ in range(3))

    def l1(u, v):
        return (u - v).abs().sum(-1)

    ref_d = (lambda u, v: np.abs(u - v).sum(-1)) if custom else (
        lambda u, v: ref_dist(u, v, 2.0, 1e-6))
    dn = ref_d(a, ne)
    if swap:
        dn = np.minimum(dn, ref_d(po, ne))
    el = np.maximum(0.7 + ref_d(a, po) - dn, 0)
    kw = {"distance_function": l1 if custom else None, "margin": 0.7, "swap": swap}
    args = [T(v, device) for v in (a, po, ne)]
    close(F.triplet_margin_with_distance_loss(*args, reduction="none", **kw), el, rtol=1e-5,
          atol=1e-6)
    close(nn.TripletMarginWithDistanceLoss(**kw)(*args), el.mean(), rtol=1e-5, atol=1e-6)
    ins = tuple(T(v, device, f64, rg=True) for v in (a, po, ne))
    assert gradcheck(lambda *z: F.triplet_margin_with_distance_loss(*z, **kw), ins)


# ---------------------------------------------------------------------- modules
def test_margin_modules(device):
    x, y = rng.standard_normal((3, 5)), signs((3, 5))
    xt, yt = T(x, device), T(y, device)
    t = T([1, 0, 4], device)
    w = T(rng.random(5), device)
    a, b, s = T(rng.standard_normal((3, 5)), device), T(rng.standard_normal((3, 5)), device), \
        T(signs(3), device)
    cases = [
        (nn.SoftMarginLoss(), F.soft_margin_loss(xt, yt), (xt, yt)),
        (nn.MultiLabelSoftMarginLoss(w), F.multilabel_soft_margin_loss(xt, (yt + 1) / 2, w),
         (xt, (yt + 1) / 2)),
        (nn.MultiLabelMarginLoss(reduction="sum"),
         F.multilabel_margin_loss(xt, T([[1, -1, 0, 0, 0]] * 3, device), reduction="sum"),
         (xt, T([[1, -1, 0, 0, 0]] * 3, device))),
        (nn.MultiMarginLoss(p=2, margin=0.5, weight=w),
         F.multi_margin_loss(xt, t, p=2, margin=0.5, weight=w), (xt, t)),
        (nn.MarginRankingLoss(0.2), F.margin_ranking_loss(a[:, 0], b[:, 0], s, 0.2),
         (a[:, 0], b[:, 0], s)),
        (nn.HingeEmbeddingLoss(2.0), F.hinge_embedding_loss(xt, yt, 2.0), (xt, yt)),
        (nn.CosineEmbeddingLoss(0.1), F.cosine_embedding_loss(a, b, s, 0.1), (a, b, s)),
    ]
    for mod, expected, args in cases:
        close(mod(*args), expected.cpu().numpy())
        assert repr(mod) == type(mod).__name__ + "()"
    assert list(nn.MultiMarginLoss(weight=w).state_dict()) == ["weight"]
    assert list(nn.MultiLabelSoftMarginLoss(weight=w).state_dict()) == ["weight"]
    assert list(nn.MultiLabelSoftMarginLoss().state_dict()) == []
    m = nn.TripletMarginLoss()
    assert (m.margin, m.p, m.eps, m.swap, m.reduction) == (1.0, 2.0, 1e-6, False, "mean")
    m = nn.MultiMarginLoss()
    assert (m.p, m.margin, m.weight) == (1, 1.0, None)
    assert nn.MarginRankingLoss().margin == 0.0 and nn.HingeEmbeddingLoss().margin == 1.0
    m = nn.TripletMarginWithDistanceLoss()
    assert repr(m) == ("TripletMarginWithDistanceLoss(\n  (distance_function): "
                       "PairwiseDistance()\n)")
    assert (m.margin, m.swap, m.reduction) == (1.0, False, "mean")
    assert list(m.state_dict()) == []
    m = nn.TripletMarginWithDistanceLoss(distance_function=lambda x, y: (x - y).abs().sum(-1))
    assert repr(m) == "TripletMarginWithDistanceLoss()"
