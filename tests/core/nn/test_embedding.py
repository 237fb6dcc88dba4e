"""``F.embedding``/``F.embedding_bag`` and the ``Embedding``/``EmbeddingBag`` layers.

References: numpy float64 lookups and per-bag reductions (op records in
``ember.testing.op_db.nn_sparse``), hand-derived gradients for the options that alter them.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_errors, check_op
from ember.testing.op_db import records


@pytest.mark.parametrize("rec", records("nn_sparse"), ids=lambda r: r.name)
def test_op_records(rec, device):
    check_op(rec, device)
    check_errors(rec, device)


def _w(device, shape=(5, 3), seed=0, rg=True):
    arr = np.random.default_rng(seed).normal(size=shape)
    return ember.tensor(arr, dtype=ember.float64, device=device, requires_grad=rg), arr


def _i(a, device):
    return ember.tensor(np.asarray(a), device=device)


def _np(t):
    return t.detach().cpu().numpy()


def _both_backwards(fn, w, g):
    """Gradient of ``(fn(w) * g).sum()`` by the array formula and by the ember-op formula."""
    out = []
    for create_graph in (False, True):
        (gw,) = ember.autograd.grad((fn(w) * g).sum(), [w], create_graph=create_graph)
        out.append(_np(gw))
    return out


# ------------------------------------------------------------------ embedding
def test_embedding_padding_idx_gets_no_gradient(device):
    w, _ = _w(device)
    idx = _i([[0, 2, 2], [4, 1, 2]], device)
    g = ember.ones(2, 3, 3, dtype=ember.float64, device=device)
    expect = np.zeros((5, 3))
    expect[[0, 4, 1]] = 1.0  # row 2 is padding: nothing, although it occurs three times
    for gw in _both_backwards(lambda w: F.embedding(idx, w, padding_idx=2), w, g):
        assert_close(gw, expect)
    for gw in _both_backwards(lambda w: F.embedding(idx, w, padding_idx=-3), w, g):
        assert_close(gw, expect)


def test_embedding_scale_grad_by_freq(device):
    w, _ = _w(device)
    idx = _i([1, 1, 1, 3, 0, 3], device)
    rng = np.random.default_rng(1)
    garr = rng.normal(size=(6, 3))
    g = ember.tensor(garr, device=device)
    expect = np.zeros((5, 3))
    expect[1] = garr[:3].sum(0) / 3
    expect[3] = (garr[3] + garr[5]) / 2
    expect[0] = garr[4]
    for gw in _both_backwards(lambda w: F.embedding(idx, w, scale_grad_by_freq=True), w, g):
        assert_close(gw, expect, rtol=1e-12, atol=1e-12)


def test_embedding_gradchecks(device):
    w, _ = _w(device)
    idx = _i([[3, 0], [0, 4]], device)
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert gradgradcheck(lambda w: F.embedding(idx, w), (w,))
    # the altered gradients are still linear maps of the output gradient: double backward
    fn = lambda w: F.embedding(idx, w, padding_idx=0, scale_grad_by_freq=True)  # noqa: E731
    assert gradgradcheck(fn, (w,))
    # padding row unused: the derivative is the true one
    assert gradcheck(lambda w: F.embedding(idx, w, padding_idx=1), (w,))


def test_embedding_max_norm_renormalises_rows_in_place(device):
    arr = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, 0.0]])
    w = ember.tensor(arr, dtype=ember.float64, device=device)
    v0 = w._version
    y = F.embedding(_i([0, 1, 0], device), w, max_norm=2.0)
    expect = arr.copy()
    expect[0] *= 2.0 / (5.0 + 1e-7)  # only rows looked up and over the norm change
    assert_close(_np(w), expect, rtol=1e-12, atol=1e-12)
    assert_close(_np(y), expect[[0, 1, 0]], rtol=1e-12, atol=1e-12)
    assert w._version > v0
    w1 = ember.tensor(arr, dtype=ember.float64, device=device)
    F.embedding(_i([2], device), w1, max_norm=7.0, norm_type=1.0)  # |6| + |8| = 14
    assert_close(_np(w1)[2], arr[2] * 7.0 / (14.0 + 1e-7), rtol=1e-12, atol=1e-12)


def test_embedding_errors(device):
    w, _ = _w(device)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(_i([-1], device), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(_i([1], device), w, padding_idx=5)
    with pytest.raises(RuntimeError, match=r"but got ember.FloatTensor instead"):
        F.embedding(ember.tensor([1.0], device=device), w)
    idx32 = ember.tensor([1, 2], dtype=ember.int32, device=device)
    assert_close(_np(F.embedding(idx32, w)), _np(w)[[1, 2]])


# ------------------------------------------------------------------ embedding_bag
def test_embedding_bag_include_last_offset_and_empty_bags(device):
    w, arr = _w(device)
    inp = _i([0, 2, 2, 4, 1, 3, 3], device)
    off = _i([0, 3, 3, 7], device)  # bags [0, 2, 2], [], [4, 1, 3, 3]
    for mode, red in (("sum", np.sum), ("mean", np.mean), ("max", np.max)):
        y = F.embedding_bag(inp, w, off, mode=mode, include_last_offset=True)
        expect = np.stack([red(arr[[0, 2, 2]], 0), np.zeros(3), red(arr[[4, 1, 3, 3]], 0)])
        assert_close(_np(y), expect, rtol=1e-12, atol=1e-12)
        assert gradcheck(lambda w, m=mode: F.embedding_bag(inp, w, off, mode=m,
                                                             include_last_offset=True), (w,))


def test_embedding_bag_padding_idx_excluded_from_mean_and_max(device):
    w, arr = _w(device)
    inp = _i([[1, 0, 3], [0, 0, 2]], device)
    y = F.embedding_bag(inp, w, mode="mean", padding_idx=0)
    expect = np.stack([(arr[1] + arr[3]) / 2, arr[2]])
    assert_close(_np(y), expect, rtol=1e-12, atol=1e-12)
    y = F.embedding_bag(_i([[0, 0]], device), w, mode="max", padding_idx=0)
    assert_close(_np(y), np.zeros((1, 3)))  # all padding: an empty bag
    assert gradcheck(lambda w: F.embedding_bag(inp, w, mode="max", padding_idx=0), (w,))


def test_embedding_bag_per_sample_weights_gradients(device):
    w, arr = _w(device)
    p = ember.tensor([0.5, -1.0, 2.0, 1.5], dtype=ember.float64, device=device,
                     requires_grad=True)
    inp, off = _i([1, 4, 4, 2], device), _i([0, 1], device)
    y = F.embedding_bag(inp, w, off, mode="sum", per_sample_weights=p)
    expect = np.stack([0.5 * arr[1], -arr[4] + 2 * arr[4] + 1.5 * arr[2]])
    assert_close(_np(y), expect, rtol=1e-12, atol=1e-12)
    fn = lambda w, p: F.embedding_bag(inp, w, off, mode="sum",  # noqa: E731
                                      per_sample_weights=p)
    assert gradcheck(fn, (w, p)) and gradgradcheck(fn, (w, p))


def test_embedding_bag_errors(device):
    w, _ = _w(device)
    inp = _i([1, 2], device)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(inp, w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(_i([[1, 2]], device), w, _i([0], device))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(inp, w, _i([0], device), mode="median")
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for "
                       "mode='sum' \\(got mode='max'\\)"):
        F.embedding_bag(inp, w, _i([0], device), mode="max",
                        per_sample_weights=ember.ones(2, dtype=ember.float64, device=device))
    with pytest.raises(ValueError, match="must have the same shape as the input"):
        F.embedding_bag(inp, w, _i([0], device), mode="sum",
                        per_sample_weights=ember.ones(3, dtype=ember.float64, device=device))
    with pytest.raises(ValueError, match="input has to be 1D or 2D Tensor, but got Tensor of "
                       "dimension 3"):
        F.embedding_bag(_i([[[1]]], device), w)
    with pytest.raises(RuntimeError, match="offsets\\[-1\\] can not be greater than input's "
                       "length 2, but got 3"):
        F.embedding_bag(inp, w, _i([0, 3], device))
    with pytest.raises(ValueError, match="weight has to be a 2D Tensor"):
        F.embedding_bag(inp, ember.ones(3, device=device), _i([0], device))


# ------------------------------------------------------------------ layers
def test_embedding_module_init_padding_and_repr(device):
    ember.manual_seed(0)
    m = nn.Embedding(1000, 20, padding_idx=3, device=device)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert list(m.state_dict()) == ["weight"] and tuple(m.weight.shape) == (1000, 20)
    w = _np(m.weight)
    assert np.all(w[3] == 0)
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.03 and abs(rest.std() - 1.0) < 0.03  # N(0, 1)
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"
    assert repr(nn.Embedding(10, 3, padding_idx=-1)) == "Embedding(10, 3, padding_idx=9)"
    assert repr(nn.Embedding(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True,
                             sparse=True)) == ("Embedding(10, 3, max_norm=1.0, norm_type=1.0, "
                                               "scale_grad_by_freq=True, sparse=True)")
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(10, 3, padding_idx=-11)
    y = m(_i([[3, 5]], device))
    y.sum().backward()
    assert np.all(_np(m.weight.grad)[3] == 0) and np.all(_np(m.weight.grad)[5] == 1)


def test_embedding_from_pretrained(device):
    pre = ember.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device=device)
    e = nn.Embedding.from_pretrained(pre)
    assert not e.weight.requires_grad and e.weight.data_ptr() == pre.data_ptr()
    assert_close(_np(e(_i([2, 0], device))), np.array([[5.0, 6.0], [1.0, 2.0]]))
    e2 = nn.Embedding.from_pretrained(pre, freeze=False, padding_idx=1)
    assert e2.weight.requires_grad and e2.padding_idx == 1
    assert_close(_np(e2.weight)[1], np.array([3.0, 4.0]))  # pretrained pad row kept
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be "
                       "2-dimensional"):
        nn.Embedding.from_pretrained(ember.ones(3))
    with pytest.raises(AssertionError, match="Shape of weight does not match"):
        nn.Embedding(4, 2, _weight=pre)


def test_embedding_bag_module(device):
    m = nn.EmbeddingBag(10, 3, mode="sum", device=device, dtype=ember.float64)
    assert repr(m) == "EmbeddingBag(10, 3, mode='sum')"
    assert repr(nn.EmbeddingBag(10, 3, max_norm=2.0, mode="max", padding_idx=1)) == (
        "EmbeddingBag(10, 3, max_norm=2.0, mode='max', padding_idx=1)")
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    w = _np(m.weight)
    y = m(_i([1, 2, 4, 5], device), _i([0, 2], device))
    assert_close(_np(y), np.stack([w[1] + w[2], w[4] + w[5]]), rtol=1e-12, atol=1e-12)
    p = ember.tensor([1.0, 2.0, 0.0, -1.0], dtype=ember.float64, device=device)
    y = m(_i([1, 2, 4, 5], device), _i([0, 2], device), per_sample_weights=p)
    assert_close(_np(y), np.stack([w[1] + 2 * w[2], -w[5]]), rtol=1e-12, atol=1e-12)
    bag = nn.EmbeddingBag.from_pretrained(ember.tensor([[1.0, 2.0], [3.0, 4.0]],
                                                       device=device))
    assert not bag.weight.requires_grad and bag.mode == "mean"
    assert_close(_np(bag(_i([[0, 1]], device))), np.array([[2.0, 3.0]]))
