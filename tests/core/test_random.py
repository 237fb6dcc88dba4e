"""Random sampling: seeding and generator state, every sampler's support, shape and dtype,
and statistical sanity (sample mean/variance within 5 standard errors; multinomial by a
chi-square-style bound on 20k draws)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.testing import to_numpy

N = 20_000


def _within_5_sigma(samples, mean, var):
    """Sample mean within 5 standard errors and sample variance within 5 of its own."""
    x = to_numpy(samples).astype(np.float64).reshape(-1)
    n = x.size
    assert abs(x.mean() - mean) <= 5 * math.sqrt(var / n), (x.mean(), mean)
    # var of the sample variance ~ (mu4 - var^2) / n; bound mu4 by the sample's own
    mu4 = np.mean((x - x.mean()) ** 4)
    assert abs(x.var(ddof=1) - var) <= 5 * math.sqrt(max(mu4 - var ** 2, 1e-12) / n) + 1e-9, \
        (x.var(ddof=1), var)


def _chi2_ok(counts, probs):
    """Pearson's statistic below dof + 5 sqrt(2 dof) (5 sigma of the chi-square law)."""
    counts = np.asarray(counts, dtype=np.float64)
    probs = np.asarray(probs, dtype=np.float64)
    keep = probs > 0
    exp = counts.sum() * probs[keep]
    stat = float(((counts[keep] - exp) ** 2 / exp).sum())
    dof = keep.sum() - 1
    assert stat <= dof + 5 * math.sqrt(2 * dof), stat


# ---------------------------------------------------------------------- seeding / state
def test_manual_seed_reproducible(device):
    ember.manual_seed(123)
    a = [ember.rand(5, device=device), ember.randn(3, device=device),
         ember.randint(0, 10, (4,), device=device), ember.randperm(6, device=device)]
    ember.manual_seed(123)
    b = [ember.rand(5, device=device), ember.randn(3, device=device),
         ember.randint(0, 10, (4,), device=device), ember.randperm(6, device=device)]
    for x, y in zip(a, b, strict=False):
        assert x.tolist() == y.tolist()
    assert ember.initial_seed() == 123
    assert isinstance(ember.manual_seed(1), ember.Generator)


def test_generators_are_independent_of_the_default():
    ember.manual_seed(0)
    fresh = ember.rand(4).tolist()
    g = ember.Generator().manual_seed(0)
    ember.manual_seed(0)
    ember.rand(3, generator=g)            # drawing from g must not advance the default
    assert ember.rand(4).tolist() == fresh
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    assert ember.randn(5, generator=g1).tolist() == ember.randn(5, generator=g2).tolist()
    assert g1.initial_seed() == 7


def test_state_round_trip():
    s = ember.get_rng_state()
    assert s.dtype is ember.uint8
    a = ember.rand(4).tolist()
    ember.set_rng_state(s)
    assert ember.rand(4).tolist() == a
    g = ember.Generator().manual_seed(3)
    st = g.get_state()
    x = ember.randint(0, 1000, (5,), generator=g).tolist()
    g.set_state(st)
    assert ember.randint(0, 1000, (5,), generator=g).tolist() == x
    with pytest.raises(TypeError, match="uint8"):
        g.set_state(ember.zeros(3))


def test_fork_rng_restores_state():
    ember.manual_seed(5)
    with ember.random.fork_rng():
        ember.rand(10)
    after = ember.rand(3).tolist()
    ember.manual_seed(5)
    assert ember.rand(3).tolist() == after


def test_seed_range():
    assert ember.Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1
    with pytest.raises(ValueError, match="Overflow"):
        ember.Generator().manual_seed(2 ** 64)


# ---------------------------------------------------------------------- samplers
def test_rand_randn_statistics(device):
    g = ember.Generator(device).manual_seed(0) if device == "cpu" else None
    u = ember.rand(N, generator=g, device=device)
    assert u.dtype is ember.float32 and bool(((u >= 0) & (u < 1)).all())
    _within_5_sigma(u, 0.5, 1 / 12)
    z = ember.randn(100, 200, dtype=ember.float64, device=device)
    assert z.shape == (100, 200) and z.dtype is ember.float64
    _within_5_sigma(z, 0.0, 1.0)
    with pytest.raises(RuntimeError, match="floating point"):
        ember.rand(2, dtype=ember.int64)


def test_randint(device):
    r = ember.randint(3, 8, (N,), device=device)
    assert r.dtype is ember.int64 and r.min().item() >= 3 and r.max().item() <= 7
    _chi2_ok(np.bincount(to_numpy(r) - 3, minlength=5), [0.2] * 5)
    assert ember.randint(5, (2, 3), device=device).shape == (2, 3)
    assert ember.randint(0, 3, (2,), dtype=ember.float32).dtype is ember.float32
    with pytest.raises(RuntimeError, match="'from' to be less than 'to'"):
        ember.randint(3, 3, (2,))


def test_randperm(device):
    p = ember.randperm(50, device=device)
    assert sorted(p.tolist()) == list(range(50)) and p.dtype is ember.int64
    assert ember.randperm(0).shape == (0,)
    with pytest.raises(RuntimeError, match="n must be non-negative"):
        ember.randperm(-1)


def test_normal_four_forms(device):
    a = ember.normal(2.0, 3.0, (N,), device=device)
    assert a.dtype is ember.float32
    _within_5_sigma(a, 2.0, 9.0)
    mean = ember.full((N,), -1.0, device=device)
    b = ember.normal(mean, 0.5)
    _within_5_sigma(b, -1.0, 0.25)
    c = ember.normal(4.0, ember.full((N,), 2.0, dtype=ember.float64, device=device))
    assert c.dtype is ember.float64
    _within_5_sigma(c, 4.0, 4.0)
    d = ember.normal(ember.zeros(2, 1, device=device), ember.ones(3, device=device))
    assert d.shape == (2, 3)
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        ember.normal(0.0, -1.0, (2,))
    with pytest.raises(RuntimeError, match="all elements of std >= 0.0"):
        ember.normal(ember.zeros(2), -ember.ones(2))


def test_bernoulli(device):
    p = ember.full((N,), 0.3, device=device)
    b = ember.bernoulli(p)
    assert b.dtype is ember.float32 and set(np.unique(to_numpy(b)).tolist()) <= {0.0, 1.0}
    _within_5_sigma(b, 0.3, 0.21)
    assert ember.bernoulli(ember.zeros(4, device=device), 1.0).tolist() == [1.0] * 4
    assert ember.ones(3, device=device).bernoulli(0.0).tolist() == [0.0] * 3
    with pytest.raises(RuntimeError, match="\\[0, 1\\]"):
        ember.bernoulli(ember.tensor([1.5]))


def test_poisson(device):
    if device != "cpu":
        pytest.skip("ember samples Poisson variates on the CPU only")
    lam = ember.full((N,), 4.0)
    s = ember.poisson(lam)
    assert s.dtype is ember.float32 and bool((s == s.floor()).all())
    _within_5_sigma(s, 4.0, 4.0)
    with pytest.raises(RuntimeError, match="non-negative"):
        ember.poisson(ember.tensor([-1.0]))


# ---------------------------------------------------------------------- multinomial
W = [1.0, 0.0, 3.0, 6.0]
P = np.array(W) / sum(W)


def test_multinomial_with_replacement(device):
    s = ember.multinomial(ember.tensor(W, device=device), N, replacement=True)
    assert s.shape == (N,) and s.dtype is ember.int64
    counts = np.bincount(to_numpy(s), minlength=4)
    assert counts[1] == 0
    _chi2_ok(counts, P)
    rows = ember.multinomial(ember.tensor([W, W[::-1]], device=device), N // 2, True)
    assert rows.shape == (2, N // 2)
    _chi2_ok(np.bincount(to_numpy(rows[1]), minlength=4), P[::-1])


def test_multinomial_without_replacement(device):
    w = ember.tensor([W] * N, device=device)
    s = to_numpy(ember.multinomial(w, 3))
    assert s.shape == (N, 3)
    assert not (s == 1).any()                       # zero weight never drawn
    assert all(len(set(r)) == 3 for r in s[:500])   # no repeats within a row
    _chi2_ok(np.bincount(s[:, 0], minlength=4), P)  # first draw follows the weights
    # second draw: P(j second) = sum_i p_i p_j / (1 - p_i)
    p2 = [sum(P[i] * P[j] / (1 - P[i]) for i in range(4) if i != j) for j in range(4)]
    _chi2_ok(np.bincount(s[:, 1], minlength=4), p2)


@pytest.mark.parametrize("w, n, repl, match", [
    ([-1.0, 2.0], 1, False, "`inf`, `nan` or element < 0"),
    ([math.inf, 2.0], 1, True, "`inf`, `nan` or element < 0"),
    ([math.nan, 2.0], 1, False, "`inf`, `nan` or element < 0"),
    ([0.0, 0.0], 1, True, "sum of probabilities <= 0"),
    ([1.0, 2.0], 3, False, "n_sample > prob_dist.size\\(-1\\) samples without replacement"),
    ([1.0, 2.0], 0, True, "n_sample <= 0"),
])
def test_multinomial_errors(w, n, repl, match):
    with pytest.raises(RuntimeError, match=match):
        ember.multinomial(ember.tensor(w), n, repl)


def test_multinomial_rejects_int_and_3d():
    with pytest.raises(RuntimeError, match="floating-point"):
        ember.multinomial(ember.tensor([1, 2]), 1)
    with pytest.raises(RuntimeError, match="1 or 2 dim"):
        ember.multinomial(ember.ones(2, 2, 2), 1)


# ---------------------------------------------------------------------- in-place samplers
def test_inplace_samplers(device):
    x = ember.empty(N, dtype=ember.float64, device=device)
    assert x.uniform_(2.0, 5.0) is x
    assert bool(((x >= 2) & (x < 5)).all())
    _within_5_sigma(x, 3.5, 9 / 12)
    x.normal_(1.0, 0.5)
    _within_5_sigma(x, 1.0, 0.25)
    x.exponential_(2.0)
    assert bool((x >= 0).all())
    _within_5_sigma(x, 0.5, 0.25)
    x.bernoulli_(0.25)
    _within_5_sigma(x, 0.25, 0.1875)
    x.random_(3, 7)
    assert set(np.unique(to_numpy(x)).tolist()) == {3.0, 4.0, 5.0, 6.0}
    x.random_(4)
    assert set(np.unique(to_numpy(x)).tolist()) == {0.0, 1.0, 2.0, 3.0}
    u8 = ember.zeros(N, dtype=ember.uint8, device=device).random_()
    assert u8.max().item() <= 255 and u8.dtype is ember.uint8


def test_inplace_samplers_use_generator():
    a = ember.empty(5).normal_(generator=ember.Generator().manual_seed(9))
    b = ember.empty(5).normal_(generator=ember.Generator().manual_seed(9))
    assert a.tolist() == b.tolist()


def test_inplace_sampler_on_leaf_requiring_grad_raises():
    w = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.uniform_()
    with ember.no_grad():
        w.uniform_()


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.float16])
def test_scalar_uniform_draw_is_rand_1_and_advances_the_stream_alike(dtype):
    # host code (transform parameters) draws scalars without making tensors: the values and
    # the state afterwards must be those of rand(1, dtype=...)
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    for _ in range(5):
        a = g1._scalar_uniform(dtype.np)
        b = ember.rand(1, dtype=dtype, generator=g2).item()
        assert isinstance(a, float) and a == b and 0.0 <= a < 1.0
    assert ember.rand(3, generator=g1).tolist() == ember.rand(3, generator=g2).tolist()


def test_scalar_integer_draw_is_randint_and_advances_the_stream_alike():
    g1, g2 = ember.Generator().manual_seed(8), ember.Generator().manual_seed(8)
    for low, high in [(0, 2), (3, 100), (-50, 7), (0, 2**40)]:
        a = g1._scalar_integer(low, high)
        b = ember.randint(low, high, (1,), generator=g2).item()
        assert isinstance(a, int) and a == b and low <= a < high
    assert ember.randint(0, 10**6, (4,), generator=g1).tolist() == \
        ember.randint(0, 10**6, (4,), generator=g2).tolist()
