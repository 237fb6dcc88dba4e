"""The compiled (numba) CPU loops of the optimizers against the numpy kernels they replace:
bit-identical parameters and state over several steps, for every option, both float dtypes,
chunked/threaded and inline sizes, and special values (NaN, +-inf, -0.0).  Also the switches:
numba absent, disabled, broken, or without a cache directory."""

from __future__ import annotations

import itertools
import sys
import types

import numpy as np
import pytest

import ember
from ember.optim import SGD, Adam, AdamW, _cpu_kernels
from ember.optim import optimizer as optimizer_module

numba = pytest.importorskip("numba", reason="the compiled loops need the optional numba")

# one tensor large enough for chunks on two threads (with a partial last chunk), one small
# (run inline), one 2-D and non-square
SHAPES = [(1100, 501), (3, 5), (7,)]


def _data(dtype, steps: int = 3):
    rng = np.random.default_rng(11)
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    # special values in the first parameter and in the gradients of every step
    flat = params[0].reshape(-1)
    flat[:6] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-30]
    for t, gs in enumerate(grads):
        gflat = gs[0].reshape(-1)
        gflat[10 + t:16 + t] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e30]
        gs[1].reshape(-1)[0] = -0.0
    return params, grads


def _run(make_opt, dtype, compiled: bool, monkeypatch, steps: int = 3):
    """Parameters and state arrays after ``steps`` steps, with the compiled loops on or off; checks
    that the compiled loops really ran when on."""
    calls = []

    def counting_cpu_loop(name, dt):
        loop = _cpu_kernels.cpu_loop(name, dt)
        if loop is None:
            return None

        def wrapper(*args):
            calls.append(name)
            return loop(*args)

        return wrapper

    with monkeypatch.context() as m:
        m.setattr(optimizer_module, "cpu_loop", counting_cpu_loop)
        if not compiled:
            m.setattr(_cpu_kernels, "_numba", [False])
        params0, grads = _data(dtype, steps)
        params = [ember.nn.Parameter(ember.tensor(p)) for p in params0]
        opt = make_opt(params)
        for gs in grads:
            for p, g in zip(params, gs, strict=True):
                p.grad = ember.tensor(g)
            opt.step()
    # the large tensor in chunks plus the two small ones, every step
    assert (len(calls) >= steps * (1 + 2)) if compiled else not calls
    out = [p.detach().numpy() for p in params]
    for p in params:
        out += [v.numpy() for v in opt.state[p].values() if v.dim() > 0]
    return out, set(calls)


def _assert_bits_equal(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    nan = np.isnan(a)
    np.testing.assert_array_equal(nan, np.isnan(b))
    uint = np.uint32 if a.dtype == np.float32 else np.uint64
    # bit patterns: tells -0.0 from 0.0 and catches a last-bit rounding difference
    np.testing.assert_array_equal(a[~nan].view(uint), b[~nan].view(uint))


def _assert_same_steps(make_opt, dtype, monkeypatch, steps: int = 3):
    """Returns the names of the compiled loops that ran."""
    compiled, names = _run(make_opt, dtype, True, monkeypatch, steps)
    numpy_only, _ = _run(make_opt, dtype, False, monkeypatch, steps)
    assert len(compiled) == len(numpy_only)
    for a, b in zip(compiled, numpy_only, strict=True):
        _assert_bits_equal(a, b)
    return names


SGD_CASES = [
    dict(momentum=m, dampening=d, nesterov=n, weight_decay=wd, maximize=mx)
    for m, d, n, wd, mx in itertools.product([0.0, 0.9], [0.0, 0.25], [False, True],
                                             [0.0, 0.01], [False, True])
    if not (n and (m == 0 or d != 0)) and not (m == 0 and d != 0)
]
ADAM_CASES = [
    dict(betas=b, weight_decay=wd, amsgrad=a, maximize=mx)
    for b, wd, a, mx in itertools.product([(0.9, 0.999), (0.3, 0.5)], [0.0, 0.05],
                                          [False, True], [False, True])
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", SGD_CASES, ids=str)
def test_sgd_compiled_matches_numpy(kw, dtype, monkeypatch):
    def make(ps):
        return SGD(ps, lr=0.05, **kw)

    names = _assert_same_steps(make, dtype, monkeypatch)
    plain = (kw["momentum"] and not kw["dampening"] and not kw["weight_decay"]
             and not kw["nesterov"] and not kw["maximize"])
    # the first step always takes the general loop (b = d); later ones the branch-free one
    expected = ({"sgd_momentum", "sgd_momentum_plain"} if plain
                else {"sgd_momentum"} if kw["momentum"] else {"sgd"})
    assert names == expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize("kw", ADAM_CASES, ids=str)
def test_adam_compiled_matches_numpy(kw, cls, dtype, monkeypatch):
    def make(ps):
        return cls(ps, lr=0.01, **kw)

    _assert_same_steps(make, dtype, monkeypatch)


OTHER_CASES = [
    ("Adamax", {}), ("Adamax", {"betas": (0.3, 0.8), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}), ("NAdam", {"betas": (0.3, 0.8), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    # beta2 0.999 over 7 steps: rho_t > 5 from step 6, so both RAdam branches run
    ("RAdam", {}), ("RAdam", {"weight_decay": 0.1, "maximize": True}),
    ("RAdam", {"betas": (0.3, 0.999), "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RMSprop", {}), ("RMSprop", {"alpha": 0.3, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", {"centered": True, "momentum": 0.9}),
    ("RMSprop", {"centered": True, "alpha": 0.3, "weight_decay": 0.1}),
    ("Adagrad", {}), ("Adagrad", {"lr_decay": 0.1, "weight_decay": 0.1, "maximize": True,
                                  "initial_accumulator_value": 0.5}),
    ("Adadelta", {}), ("Adadelta", {"rho": 0.5, "weight_decay": 0.1, "maximize": True}),
    # t0 2: the average starts (mu < 1) from step 4
    ("ASGD", {}), ("ASGD", {"t0": 2, "lambd": 0.1, "weight_decay": 0.1, "maximize": True}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kw", OTHER_CASES, ids=[f"{n}-{k}" for n, k in OTHER_CASES])
def test_other_optimizers_compiled_match_numpy(name, kw, dtype, monkeypatch):
    def make(ps):
        return getattr(ember.optim, name)(ps, lr=0.01, **kw)

    assert _assert_same_steps(make, dtype, monkeypatch, steps=7) == {name.lower()}


def test_compiled_adam_against_float64_reference():
    """The loop itself, one element at a time, against the update rule in float64 rounded
    step by step to float32 (independent of both kernels)."""
    loop = _cpu_kernels.cpu_loop("adam", np.float32)
    rng = np.random.default_rng(3)
    p, g, m = (rng.standard_normal(50).astype(np.float32) for _ in range(3))
    v = rng.random(50).astype(np.float32)
    p0, m0, v0 = p.copy(), m.copy(), v.copy()
    f = np.float32
    loop(f(0.1), f(0.9), f(0.999), f(0.001), f(0.3), f(1e-8), f(-0.02), f(0), f(1), True,
         False, False, False, p, g, m, v, v)
    r = np.float32
    m_ref = r(m0 + r(r(g - m0) * r(0.1)))
    v_ref = r(r(v0 * r(0.999)) + r(r(g * r(0.001)) * g))
    denom = r(r(np.sqrt(v_ref) / r(0.3)) + r(1e-8))
    p_ref = r(p0 + r(r(m_ref * r(-0.02)) / denom))
    for a, b in ((m, m_ref), (v, v_ref), (p, p_ref)):
        _assert_bits_equal(a, b.astype(np.float32))


def test_compiled_amsgrad_maximum_propagates_nan_like_numpy():
    """``vmax = max(vmax, v)`` as ``np.maximum``: a NaN on either side wins (a NaN ``vmax``
    can come from a loaded state_dict while ``v`` is finite)."""
    loop = _cpu_kernels.cpu_loop("adam", np.float64)
    p, g, m = np.zeros(4), np.ones(4), np.zeros(4)
    v = np.array([1.0, np.nan, 2.0, 0.5])
    vmax = np.array([np.nan, 1.0, 1.0, 3.0])
    expected = np.maximum(vmax, v * 0.5 + 0.5)
    loop(0.1, 0.9, 0.5, 0.5, 1.0, 1e-8, -0.1, 0.0, 1.0, True, False, False, True, p, g, m, v,
         vmax)
    np.testing.assert_array_equal(vmax, expected)
    np.testing.assert_array_equal(np.isnan(p), [True, True, False, False])


def test_float16_and_non_contiguous_use_numpy_kernels(monkeypatch):
    assert _cpu_kernels.cpu_loop("adam", np.float16) is None
    assert _cpu_kernels.cpu_loop("sgd", np.int64) is None
    base = ember.nn.Parameter(ember.zeros(6, 4))
    seen = []
    monkeypatch.setattr(optimizer_module, "cpu_loop", lambda *a: seen.append(a))
    w = ember.nn.Parameter(ember.zeros(4, 6).t())  # a transposed (non-contiguous) parameter
    w.grad = ember.ones(6, 4)
    base.grad = ember.ones(6, 4)
    SGD([w, base], lr=0.5, momentum=0.9).step()
    assert len(seen) == 1  # only the contiguous one asks for a compiled loop
    np.testing.assert_array_equal(w.detach().numpy(), np.full((6, 4), -0.5, np.float32))
    np.testing.assert_array_equal(base.detach().numpy(), np.full((6, 4), -0.5, np.float32))


def test_disabled_by_environment(monkeypatch):
    monkeypatch.setattr(_cpu_kernels, "_numba", [None])
    monkeypatch.setenv("EMBER_NUMBA", "0")
    assert _cpu_kernels.cpu_loop("adam", np.float32) is None
    monkeypatch.setattr(_cpu_kernels, "_numba", [None])
    monkeypatch.setenv("EMBER_NUMBA", "1")
    assert _cpu_kernels.cpu_loop("adam", np.float32) is not None


def test_absent_numba_is_silent(monkeypatch, recwarn):
    monkeypatch.setattr(_cpu_kernels, "_numba", [None])
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError
    assert _cpu_kernels.cpu_loop("sgd", np.float32) is None
    assert not [w for w in recwarn if "numba" in str(w.message)]


def test_broken_numba_warns_and_falls_back(monkeypatch, tmp_path):
    pkg = tmp_path / "numba"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise ImportError('Numba needs NumPy 1.0 or less')\n")
    monkeypatch.setattr(_cpu_kernels, "_numba", [None])
    monkeypatch.delitem(sys.modules, "numba")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(RuntimeWarning, match="numba failed to import.*NumPy 1.0"):
        assert _cpu_kernels.cpu_loop("sgd", np.float32) is None
    # the optimizer still runs, on its numpy kernels
    w = ember.nn.Parameter(ember.ones(3))
    w.grad = ember.ones(3)
    SGD([w], lr=0.25).step()
    np.testing.assert_array_equal(w.detach().numpy(), np.full(3, 0.75, np.float32))


def test_no_cache_directory_compiles_per_process(monkeypatch):
    """numba raises RuntimeError at decoration when no cache directory is writable; the loop
    is then compiled without a cache."""
    made = []

    def njit(**options):
        if options.get("cache"):
            raise RuntimeError("cannot cache function: no locator available")
        made.append(options)
        return lambda fn: fn

    monkeypatch.setattr(_cpu_kernels, "_numba", [types.SimpleNamespace(njit=njit)])
    monkeypatch.setattr(_cpu_kernels, "_compiled", {})
    monkeypatch.setattr(_cpu_kernels, "_helpers_compiled", [True])
    assert _cpu_kernels.cpu_loop("sgd", np.float64) is _cpu_kernels._sgd
    assert made == [{"nogil": True, "error_model": "numpy", "boundscheck": False}]
