"""ember.nn distances and vector utilities: cosine_similarity (eps clamp per norm),
pairwise_distance, pdist, normalize, one_hot, and the distance layers."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck
from ember.testing import assert_close


def _t(a, device, dtype=ember.float64, rg=False):
    return ember.tensor(np.asarray(a, dtype=np.float64), dtype=dtype, device=device,
                        requires_grad=rg)


def test_cosine_similarity_clamps_each_norm(device):
    # ||a|| = 5e-9 < eps: value a/eps . b/||b||; gradient of the unclamped norm (PyTorch's)
    a = _t([3e-9, 4e-9], device, rg=True)
    b = _t([1.0, 2.0], device)
    y = F.cosine_similarity(a, b, dim=0)
    c = np.array([1.0, 2.0]) / np.sqrt(5)
    s = (np.array([3e-9, 4e-9]) @ c) / 1e-8
    assert_close(y.item(), s)
    y.backward()
    expect = c / 1e-8 - s / 1e-8 * np.array([0.6, 0.8])
    assert_close(a.grad.cpu().numpy(), expect, rtol=1e-7)


def test_cosine_similarity_dims_and_errors(device):
    x1 = _t(np.random.default_rng(0).standard_normal((2, 3, 4)), device)
    x2 = _t(np.random.default_rng(1).standard_normal((3, 4)), device)
    y = F.cosine_similarity(x1, x2, dim=-1)
    a, b = np.broadcast_arrays(x1.cpu().numpy(), x2.cpu().numpy())
    assert_close(y.cpu().numpy(), (a * b).sum(-1) / np.linalg.norm(a, axis=-1)
                 / np.linalg.norm(b, axis=-1))
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.cosine_similarity(_t([1.0], device), _t([1.0], device))
    with pytest.raises(RuntimeError, match="must match|broadcast"):
        F.cosine_similarity(_t(np.ones((2, 3)), device), _t(np.ones((2, 4)), device))


def test_cosine_similarity_integer_inputs_compute_in_float(device):
    a = ember.tensor([3, 4], device=device)
    y = F.cosine_similarity(a, ember.tensor([4, 3], device=device), dim=0)
    assert y.dtype is ember.float32
    assert_close(y.item(), 24 / 25, rtol=1e-6)


def test_pairwise_distance_keepdim_inf_and_grad(device):
    x1 = _t([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], device, rg=True)
    x2 = _t([[0.0, 0.0, 0.0], [0.0, 0.0, 2.0]], device, rg=True)
    y = F.pairwise_distance(x1, x2, p=float("inf"), eps=0.0, keepdim=True)
    assert y.shape == (2, 1)
    assert_close(y.detach().cpu().numpy(), np.array([[3.0], [2.0]]))
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b, 3.0), (x1, x2))
    assert_close(F.pairwise_distance(_t(1.0, device), _t(0.0, device)).item(), 1.000001)


def test_pdist_gradcheck_and_errors(device):
    x = _t(np.random.default_rng(0).standard_normal((5, 3)), device, rg=True)
    assert gradcheck(lambda t: F.pdist(t, 1.5), (x,))
    assert F.pdist(_t(np.ones((1, 3)), device)).shape == (0,)
    with pytest.raises(RuntimeError, match="pdist only supports non-negative p values"):
        F.pdist(x, -1)
    with pytest.raises(RuntimeError, match="pdist only supports floating-point dtypes"):
        F.pdist(ember.ones(3, 2, dtype=ember.int64, device=device))


def test_normalize_eps_and_out(device):
    x = _t([[3.0, 4.0], [0.0, 0.0]], device)
    assert_close(F.normalize(x).cpu().numpy(), np.array([[0.6, 0.8], [0.0, 0.0]]))
    assert_close(F.normalize(x, p=1, dim=1).cpu().numpy(), np.array([[3 / 7, 4 / 7], [0.0, 0.0]]))
    out = ember.empty(2, 2, dtype=ember.float64, device=device)
    F.normalize(x, out=out)
    assert_close(out.cpu().numpy(), np.array([[0.6, 0.8], [0.0, 0.0]]))


def test_one_hot(device):
    t = ember.tensor([[0, 3], [1, 1]], device=device)
    y = F.one_hot(t)
    assert y.dtype is ember.int64 and y.shape == (2, 2, 4)
    assert (y.cpu().numpy() == np.eye(4, dtype=np.int64)[[[0, 3], [1, 1]]]).all()
    assert F.one_hot(t, 6).shape == (2, 2, 6)
    assert F.one_hot(ember.tensor([], dtype=ember.int64, device=device), 3).shape == (0, 3)
    cases = [(ember.tensor([1.0]), -1, "only applicable to index tensor of type LongTensor"),
             (ember.tensor([-1]), -1, "Class values must be non-negative"),
             (ember.tensor([3]), 3, "Class values must be smaller than num_classes"),
             (ember.tensor([], dtype=ember.int64), -1, "Can not infer total number of classes")]
    for x, n, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            F.one_hot(x.to(device), n)


def test_distance_layers(device):
    assert repr(nn.CosineSimilarity()) == "CosineSimilarity()"
    assert repr(nn.PairwiseDistance()) == "PairwiseDistance()"
    a = _t([[1.0, 0.0]], device)
    b = _t([[1.0, 1.0]], device)
    assert_close(nn.CosineSimilarity(dim=1)(a, b).cpu().numpy(), np.array([2 ** -0.5]))
    assert_close(nn.PairwiseDistance(p=1.0, eps=0.0, keepdim=True)(a, b).cpu().numpy(),
                 np.array([[1.0]]))
