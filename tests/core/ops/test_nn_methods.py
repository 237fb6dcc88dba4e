"""``ember.softmax``/``Tensor.log_softmax``/``ember.dropout`` … forward to nn.functional."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close


def _softmax(a, dim):
    e = np.exp(a - a.max(dim, keepdims=True))
    return e / e.sum(dim, keepdims=True)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax_methods_and_functions(dim, device):
    a = np.random.default_rng(0).standard_normal((3, 4))
    x = ember.tensor(a, device=device)
    assert_close(x.softmax(dim), _softmax(a, dim), rtol=1e-12, atol=1e-12)
    assert_close(ember.softmax(x, dim), _softmax(a, dim), rtol=1e-12, atol=1e-12)
    assert_close(x.log_softmax(dim), np.log(_softmax(a, dim)), rtol=1e-12, atol=1e-12)
    assert_close(ember.log_softmax(x, dim, dtype=ember.float32),
                 np.log(_softmax(a, dim)).astype(np.float32))


def test_dropout_function_train_and_eval(device):
    x = ember.ones(1000, device=device)
    assert ember.dropout(x, 0.5, False) is x
    ember.manual_seed(0)
    y = ember.dropout(x, 0.25, True).numpy(force=True)
    kept = y != 0
    assert np.allclose(y[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 5 * np.sqrt(0.25 * 0.75 / 1000)


def test_distances(device):
    a = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
    x = ember.tensor(a, device=device)
    assert_close(ember.pdist(x), np.array([5.0, 1.0, np.hypot(2, 4)]), rtol=1e-12)
    c = ember.cosine_similarity(x[1:], ember.tensor([[1.0, 0.0]], device=device))
    assert_close(c, np.array([0.6, 1.0]), rtol=1e-12)
