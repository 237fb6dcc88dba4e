"""``nn.utils.prune``: masks, the ``weight_orig``/``weight_mask`` reparametrization, mask
combination and ``remove``.

Expected masks are derived with numpy from the (known) tensor values; state dict keys were
read once from PyTorch 2.13 and are written literally.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import prune


def _np(t):
    return t.detach().numpy(force=True).astype(np.float64)


def _linear(device, values):
    values = np.asarray(values, dtype=np.float64)
    m = nn.Linear(values.shape[1], values.shape[0], device=device, dtype=ember.float64)
    with ember.no_grad():
        m.weight.copy_(ember.tensor(values, device=device))
    return m


def test_identity_reparametrization(device):
    m = nn.Linear(3, 2, device=device)
    w = _np(m.weight)
    assert not prune.is_pruned(m)
    prune.identity(m, "weight")
    assert prune.is_pruned(m) and prune.is_pruned(nn.Sequential(m))
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    np.testing.assert_array_equal(_np(m.weight_mask), np.ones((2, 3)))
    np.testing.assert_array_equal(_np(m.weight), w)
    assert not isinstance(m.weight, nn.Parameter)


def test_l1_unstructured_mask_and_forward(device):
    vals = np.array([[0.1, -3.0, 0.5], [2.0, -0.2, 1.0]])
    m = _linear(device, vals)
    prune.l1_unstructured(m, "weight", amount=0.5)  # round(0.5 * 6) = 3 smallest |w|
    expected_mask = (np.abs(vals) > 0.5 + 1e-9).astype(float)
    np.testing.assert_array_equal(_np(m.weight_mask), expected_mask)
    np.testing.assert_array_equal(_np(m.weight), vals * expected_mask)
    # the pre-hook recomputes the weight from weight_orig after updates
    with ember.no_grad():
        m.weight_orig.mul_(2.0)
    x = ember.randn(4, 3, dtype=ember.float64, device=device)
    y = m(x)
    np.testing.assert_allclose(_np(y), _np(x) @ (2 * vals * expected_mask).T + _np(m.bias),
                               rtol=1e-12)
    y.sum().backward()
    # masked entries get zero gradient
    g = _np(m.weight_orig.grad)
    np.testing.assert_array_equal(g[expected_mask == 0], 0.0)
    np.testing.assert_allclose(g[expected_mask == 1], np.tile(_np(x).sum(0), (2, 1))[
        expected_mask == 1], rtol=1e-12)


def test_importance_scores_and_int_amount(device):
    vals = np.arange(1.0, 7.0).reshape(2, 3)
    m = _linear(device, vals)
    scores = vals[::-1, ::-1].copy()  # reversed importance: lowest where vals are 6 and 5
    prune.l1_unstructured(m, "weight", amount=2,
                          importance_scores=ember.tensor(scores, device=device))
    np.testing.assert_array_equal(_np(m.weight_mask), [[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(_np(m.weight), [[1.0, 2.0, 3.0], [4.0, 0.0, 0.0]])


def test_random_unstructured_counts(device):
    m = nn.Linear(10, 10, device=device)
    prune.random_unstructured(m, "weight", amount=0.37)
    assert int((m.weight_mask == 0).sum()) == 37
    prune.random_unstructured(m, "weight", amount=10)  # 10 more among the survivors
    assert int((m.weight_mask == 0).sum()) == 47
    assert isinstance(m._forward_pre_hooks[next(iter(m._forward_pre_hooks))],
                      prune.PruningContainer)


def test_ln_structured_and_random_structured(device):
    vals = np.array([[1.0, 1.0, 1.0], [3.0, 0.0, 0.0], [0.5, 0.5, 0.5], [2.0, -2.0, 0.1]])
    m = _linear(device, vals)
    prune.ln_structured(m, "weight", amount=2, n=2, dim=0)
    # L2 row norms: sqrt(3), 3, sqrt(.75), sqrt(8.01): prune rows 2 and 0
    expected = np.array([[0.0] * 3, [1.0] * 3, [0.0] * 3, [1.0] * 3])
    np.testing.assert_array_equal(_np(m.weight_mask), expected)
    # structured pruning again only considers the surviving rows
    prune.ln_structured(m, "weight", amount=1, n=1, dim=0)  # L1: 3 vs 4.1 -> prune row 1
    np.testing.assert_array_equal(_np(m.weight_mask)[:, 0], [0.0, 0.0, 0.0, 1.0])
    c = nn.Conv2d(3, 6, 2, device=device)
    prune.random_structured(c, "weight", amount=0.5, dim=1)
    per_in_channel = _np(c.weight_mask).sum(axis=(0, 2, 3))
    assert sorted(per_in_channel.tolist()) == [0.0, 24.0, 24.0] or \
        sorted(per_in_channel.tolist()) == [0.0, 0.0, 24.0]
    assert int((per_in_channel == 0).sum()) == round(0.5 * 3)


def test_global_unstructured(device):
    a = _linear(device, [[1.0, -5.0], [0.2, 3.0]])
    b = _linear(device, [[0.1, 4.0], [-2.0, 0.3]])
    prune.global_unstructured([(a, "weight"), (b, "weight")],
                              pruning_method=prune.L1Unstructured, amount=3)
    np.testing.assert_array_equal(_np(a.weight_mask), [[1.0, 1.0], [0.0, 1.0]])
    np.testing.assert_array_equal(_np(b.weight_mask), [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE supported'):
        prune.global_unstructured([(a, "weight")], pruning_method=prune.RandomStructured,
                                  amount=1)
    with pytest.raises(TypeError, match="parameters is not an Iterable"):
        prune.global_unstructured(3, prune.L1Unstructured, amount=1)
    with pytest.raises(TypeError, match="importance_scores must be of type dict"):
        prune.global_unstructured([(a, "weight")], prune.L1Unstructured,
                                  importance_scores=[1], amount=1)


def test_custom_from_mask_and_remove(device):
    vals = np.array([[1.0, 2.0], [3.0, 4.0]])
    m = _linear(device, vals)
    orig = m.weight_orig if hasattr(m, "weight_orig") else m.weight
    mask = ember.tensor([[1.0, 0.0], [0.0, 1.0]], device=device)
    prune.custom_from_mask(m, "weight", mask)
    np.testing.assert_array_equal(_np(m.weight), vals * _np(mask))
    prune.remove(m, "weight")
    assert not prune.is_pruned(m)
    assert sorted(m.state_dict()) == ["bias", "weight"]
    assert isinstance(m.weight, nn.Parameter) and m.weight is orig
    np.testing.assert_array_equal(_np(m.weight), vals * _np(mask))
    with pytest.raises(ValueError, match="Parameter 'weight' of module .* has to be pruned "
                                         "before pruning can be removed"):
        prune.remove(m, "weight")


def test_prune_errors(device):
    m = nn.Linear(3, 4, device=device)
    with pytest.raises(ValueError, match="amount=100 should be smaller than the number of "
                                         "parameters to prune=12"):
        prune.random_unstructured(m, "weight", 100)
    # the failed pruning left the module unchanged
    assert "weight" in m._parameters and not prune.is_pruned(m)
    with pytest.raises(ValueError, match=r"amount=-0.5 should either be a float in the range "
                                         r"\[0, 1\] or a non-negative integer"):
        prune.random_unstructured(m, "weight", -0.5)
    with pytest.raises(TypeError, match="Invalid type for amount: a. Must be int or float."):
        prune.random_unstructured(m, "weight", "a")
    with pytest.raises(ValueError, match="Structured pruning can only be applied to "
                                         "multidimensional tensors"):
        prune.ln_structured(m, "bias", 1, 2, 0)
    with pytest.raises(ValueError, match="importance_scores should have the same shape"):
        prune.l1_unstructured(m, "weight", 1, importance_scores=ember.zeros(2))
