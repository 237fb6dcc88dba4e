"""``nn.init``: gains, fans, distributions (bounds, moments), deterministic fills, errors.

Expected values come from the formulas in PyTorch's documentation, computed with ``math``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init


def _np(t):
    return t.detach().numpy(force=True).astype(np.float64)


@pytest.mark.parametrize("name, param, expected", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("conv_transpose3d", None, 1.0),
    ("sigmoid", None, 1.0), ("tanh", None, 5.0 / 3), ("relu", None, math.sqrt(2.0)),
    ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)), ("leaky_relu", 1, 1.0), ("selu", None, 0.75),
])
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fans():
    assert init._calculate_fan_in_and_fan_out(ember.empty(3, 4)) == (4, 3)
    assert init._calculate_fan_in_and_fan_out(ember.empty(8, 2, 3, 5)) == (30, 120)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor "
                                         "with fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(3))
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of "
                                         r"\['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(ember.empty(2, 2), mode="fan_avg")


def test_uniform_normal_constant(device):
    ember.manual_seed(0)
    w = init.uniform_(ember.empty(200, 100, device=device), -2.0, 3.0)
    a = _np(w)
    assert a.min() >= -2.0 and a.max() < 3.0
    assert abs(a.mean() - 0.5) < 0.05
    n = _np(init.normal_(ember.empty(200, 100, device=device), 1.0, 2.0))
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    assert np.all(_np(init.constant_(ember.empty(2, 3, device=device), 0.25)) == 0.25)
    assert np.all(_np(init.ones_(ember.empty(4, device=device))) == 1.0)
    assert np.all(_np(init.zeros_(ember.ones(4, device=device))) == 0.0)


def test_runs_under_no_grad_on_parameters():
    p = nn.Parameter(ember.empty(3, 4))
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
               init.orthogonal_, init.zeros_, init.eye_, init.trunc_normal_):
        out = fn(p)
        assert out is p and p.grad_fn is None and p.requires_grad


def test_generator_reproducible():
    for fn in (init.uniform_, init.normal_, init.trunc_normal_, init.xavier_uniform_,
               init.kaiming_normal_, init.orthogonal_):
        a = fn(ember.empty(5, 6), generator=ember.Generator().manual_seed(3))
        b = fn(ember.empty(5, 6), generator=ember.Generator().manual_seed(3))
        np.testing.assert_array_equal(_np(a), _np(b))


def test_trunc_normal():
    ember.manual_seed(1)
    w = _np(init.trunc_normal_(ember.empty(100000, dtype=ember.float64), mean=0.5, std=1.0,
                               a=-0.5, b=1.0))
    assert w.min() >= -0.5 and w.max() <= 1.0
    # mean of N(0.5, 1) truncated to [-0.5, 1]: mu + (phi(alpha) - phi(beta)) / Z * sigma
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    alpha, beta = -1.0, 0.5
    expected = 0.5 + (pdf(alpha) - pdf(beta)) / (cdf(beta) - cdf(alpha))
    assert abs(w.mean() - expected) < 0.01
    with pytest.warns(UserWarning, match="mean is more than 2 std from \\[a, b\\]"):
        init.trunc_normal_(ember.empty(3), mean=10.0)


@pytest.mark.parametrize("shape", [(256, 128), (64, 32, 3, 3)])
def test_xavier(shape):
    ember.manual_seed(2)
    fan_in = shape[1] * int(np.prod(shape[2:]))
    fan_out = shape[0] * int(np.prod(shape[2:]))
    gain = 2.0
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    u = _np(init.xavier_uniform_(ember.empty(*shape), gain=gain))
    bound = math.sqrt(3.0) * std
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.99 * bound
    n = _np(init.xavier_normal_(ember.empty(*shape), gain=gain))
    assert abs(n.std() / std - 1) < 0.03


@pytest.mark.parametrize("mode, nonlinearity, a", [
    ("fan_in", "leaky_relu", 0), ("fan_out", "relu", 0), ("fan_in", "leaky_relu", math.sqrt(5)),
    ("fan_in", "tanh", 0)])
def test_kaiming(mode, nonlinearity, a):
    ember.manual_seed(3)
    shape = (128, 64, 3, 3)
    fan = 64 * 9 if mode == "fan_in" else 128 * 9
    gain = init.calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    u = _np(init.kaiming_uniform_(ember.empty(*shape), a=a, mode=mode,
                                  nonlinearity=nonlinearity))
    bound = math.sqrt(3.0) * std
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.99 * bound
    n = _np(init.kaiming_normal_(ember.empty(*shape), a=a, mode=mode, nonlinearity=nonlinearity))
    assert abs(n.std() / std - 1) < 0.03 and abs(n.mean()) < 0.03 * std


def test_kaiming_zero_element_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(ember.empty(0, 3))


def test_eye_and_dirac():
    np.testing.assert_array_equal(_np(init.eye_(ember.empty(2, 3))), np.eye(2, 3))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(ember.empty(2, 2, 2))
    w = _np(init.dirac_(ember.empty(4, 2, 3, 3), groups=2))
    ref = np.zeros((4, 2, 3, 3))
    for g in range(2):
        for d in range(2):
            ref[g * 2 + d, d, 1, 1] = 1
    np.testing.assert_array_equal(w, ref)
    w1 = _np(init.dirac_(ember.empty(3, 5, 4)))
    ref1 = np.zeros((3, 5, 4))
    for d in range(3):
        ref1[d, d, 2] = 1
    np.testing.assert_array_equal(w1, ref1)
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are "
                                         "supported"):
        init.dirac_(ember.empty(2, 2))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(ember.empty(3, 2, 3), groups=2)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 2)])
def test_orthogonal(shape):
    q = _np(init.orthogonal_(ember.empty(*shape, dtype=ember.float64), gain=2.0))
    m = q.reshape(shape[0], -1)
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] == small else m.T @ m
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-12)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are "
                                         "supported"):
        init.orthogonal_(ember.empty(3))


def test_sparse():
    ember.manual_seed(4)
    w = _np(init.sparse_(ember.empty(10, 6), sparsity=0.25, std=0.5))
    # ceil(0.25 * 10) = 3 zeros in every column
    np.testing.assert_array_equal((w == 0).sum(axis=0), np.full(6, 3))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(ember.empty(3), 0.1)


def test_non_tensor_argument():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match="uniform_\\(\\): argument 'tensor' must be Tensor, "
                                            "not list"):
            init.uniform_([1.0])


def test_deprecated_aliases_and_private_helpers():
    with pytest.warns(FutureWarning, match="`nn.init.xavier_uniform` is now deprecated in favor "
                                           "of `nn.init.xavier_uniform_`"):
        init.xavier_uniform(ember.empty(2, 2))
    with pytest.warns(FutureWarning, match="nn.init.constant"):
        w = init.constant(ember.empty(2), 3.0)
    assert np.all(_np(w) == 3.0)
    assert np.all(_np(init._no_grad_fill_(ember.empty(2), 2.0)) == 2.0)
    assert np.all(_np(init._no_grad_zero_(ember.ones(2))) == 0.0)
    u = _np(init._no_grad_uniform_(ember.empty(100), -0.1, 0.1))
    assert np.abs(u).max() <= 0.1


@pytest.mark.parametrize("a,b", [(-2.0, 2.0), (-0.3, 3.0)])  # acceptance 95 % and 62 %
def test_trunc_normal_rejection_path_moments(a, b):
    # N(0, 1) truncated to [a, b]: mean = (phi(a) - phi(b)) / Z,
    # var = 1 + (a phi(a) - b phi(b)) / Z - mean^2
    ember.manual_seed(3)
    w = _np(init.trunc_normal_(ember.empty(200000, dtype=ember.float64), a=a, b=b))
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    z = cdf(b) - cdf(a)
    mean = (pdf(a) - pdf(b)) / z
    var = 1 + (a * pdf(a) - b * pdf(b)) / z - mean ** 2
    assert w.min() >= a and w.max() <= b
    assert abs(w.mean() - mean) < 0.01 and abs(w.var() - var) < 0.01


def test_normal_float32_moments():
    ember.manual_seed(4)
    w = ember.empty(200000).normal_(1.5, 0.25).numpy()
    assert w.dtype == np.float32
    assert abs(w.mean() - 1.5) < 0.005 and abs(w.std() - 0.25) < 0.005
