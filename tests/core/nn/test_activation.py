"""ember.nn activations and softmax: the op table (forward vs numpy float64, gradcheck,
gradgradcheck, errors) plus softmax stability, in-place, legacy dim and module checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.testing import assert_close, check_errors, check_op
from ember.testing.op_db import records

RECS = records("nn_activation")


@pytest.mark.parametrize("rec", RECS, ids=lambda r: r.name)
def test_op_record(rec, device):
    check_op(rec, device)
    check_errors(rec, device)


def _t(a, device, dtype=ember.float64, rg=False):
    return ember.tensor(np.asarray(a, dtype=np.float64), dtype=dtype, device=device,
                        requires_grad=rg)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_extreme_inputs_do_not_overflow(fn, device):
    x = _t([[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, 1000.0], [-1000.0, -1000.0, -999.0]],
           device, ember.float32)
    y = fn(x, dim=1)
    y = y.exp() if fn is F.log_softmax else y
    arr = y.cpu().numpy()
    assert np.isfinite(arr).all()
    assert_close(arr.sum(1), np.ones(3, np.float32))
    e = math.e
    assert_close(arr[2], np.array([1 / (2 + e), 1 / (2 + e), e / (2 + e)], np.float32))


def test_softmax_backward_hand_derived(device):
    # softmax of [0, log 3] is [1/4, 3/4]; d(y1)/dx = y1 (e_1 - y) = [-3/16, 3/16]
    x = _t([0.0, math.log(3.0)], device, rg=True)
    F.softmax(x, 0)[1].backward()
    assert_close(x.grad.cpu().numpy(), np.array([-3 / 16, 3 / 16]))
    x.grad = None
    F.log_softmax(x, 0)[0].backward()  # d/dx (x0 - lse) = e_0 - y
    assert_close(x.grad.cpu().numpy(), np.array([0.75, -0.75]))


def test_softmax_keeps_float32_and_dtype_arg(device):
    x = _t([[1.0, 2.0]], device, ember.float32)
    assert F.softmax(x, 1).dtype is ember.float32
    assert F.log_softmax(x, 1, dtype=ember.float64).dtype is ember.float64
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.softmax(ember.tensor([1, 2], device=device), 0)


def test_softmax_implicit_dim_warns_and_picks_legacy_dim(device):
    x = _t(np.arange(6.0).reshape(2, 3), device)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(x)
    assert_close(y.cpu().numpy().sum(1), np.ones(2))  # 2-D input: dim 1
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        y = F.log_softmax(_t(np.zeros((2, 3, 4)), device))  # 3-D input: dim 0
    assert_close(y.cpu().numpy(), np.full((2, 3, 4), -math.log(2)))


def test_softmax_scalar_and_empty(device):
    assert F.softmax(_t(3.0, device), 0).item() == 1.0
    assert F.log_softmax(_t(3.0, device), 0).item() == 0.0
    assert F.softmax(_t(np.zeros((0, 3)), device), 1).shape == (0, 3)


def test_gumbel_softmax_seeded_soft_and_hard(device):
    logits = _t(np.log([[0.1, 0.2, 0.7]] * 4000), device, rg=True)
    ember.manual_seed(7)
    a = F.gumbel_softmax(logits, tau=0.5)
    ember.manual_seed(7)
    b = F.gumbel_softmax(logits, tau=0.5)
    assert_close(a.detach().cpu().numpy(), b.detach().cpu().numpy())
    assert_close(a.detach().cpu().numpy().sum(1), np.ones(4000))
    hard = F.gumbel_softmax(logits, hard=True)
    h = hard.detach().cpu().numpy()
    assert set(np.unique(h)) <= {0.0, 1.0} and (h.sum(1) == 1).all()
    # the Gumbel-max trick samples the categorical distribution: frequencies ~ [.1, .2, .7]
    freq = h.mean(0)
    assert np.all(np.abs(freq - [0.1, 0.2, 0.7]) < 5 * np.sqrt(0.25 / 4000))
    hard.sum().backward()  # straight-through: gradient flows through the soft sample
    assert logits.grad is not None and logits.grad.shape == logits.shape


def test_inplace_variants_write_into_input(device):
    vals = np.array([-2.0, -0.5, 0.5, 2.0])
    cases = [(F.relu, {}, np.maximum(vals, 0)),
             (F.leaky_relu, {"negative_slope": 0.1}, np.where(vals > 0, vals, 0.1 * vals)),
             (F.elu, {}, np.where(vals > 0, vals, np.expm1(vals))),
             (F.hardtanh, {}, np.clip(vals, -1, 1)),
             (F.relu6, {}, np.clip(vals, 0, 6)),
             (F.silu, {}, vals / (1 + np.exp(-vals))),
             (F.hardswish, {}, vals * np.clip(vals + 3, 0, 6) / 6)]
    for fn, kw, expect in cases:
        x = _t(vals, device)
        r = fn(x, inplace=True, **kw)
        assert r is x, fn.__name__
        assert_close(x.cpu().numpy(), expect, msg=fn.__name__)
    x = _t(vals, device)
    assert F.threshold_(x, 0.0, 9.0) is x
    assert_close(x.cpu().numpy(), np.where(vals > 0, vals, 9.0))


def test_inplace_with_autograd_gives_the_right_gradient(device):
    leaf = _t([-1.0, 2.0], device, rg=True)
    y = leaf * 1.0
    F.leaky_relu(y, 0.5, inplace=True)
    y.sum().backward()
    assert_close(leaf.grad.cpu().numpy(), np.array([0.5, 1.0]))


def test_large_inputs_have_finite_gradients(device):
    x = _t([-200.0, -30.0, 30.0, 200.0], device, rg=True)
    for fn in (F.elu, F.softplus, F.logsigmoid, F.mish, F.silu, F.celu, F.selu):
        x.grad = None
        fn(x).sum().backward()
        assert np.isfinite(x.grad.cpu().numpy()).all(), fn.__name__


def test_gradients_at_zero_match_pytorch_conventions(device):
    x = _t([0.0], device, rg=True)
    for fn, expect in [(F.relu, 0.0), (F.leaky_relu, 0.01), (F.elu, 1.0), (F.softplus, 0.5),
                       (F.gelu, 0.5), (F.silu, 0.5), (F.logsigmoid, 0.5)]:
        x.grad = None
        fn(x).sum().backward()
        assert_close(x.grad.cpu().numpy(), np.array([expect]), msg=fn.__name__)


KINKS = [  # (function, kwargs, point, PyTorch's derivative there)
    (F.relu, {}, 0.0, 0.0), (F.leaky_relu, {"negative_slope": 0.2}, 0.0, 0.2),
    (F.elu, {}, 0.0, 1.0), (F.hardtanh, {}, -1.0, 0.0), (F.hardtanh, {}, 1.0, 0.0),
    (F.relu6, {}, 0.0, 0.0), (F.relu6, {}, 6.0, 0.0), (F.hardswish, {}, -3.0, 0.0),
    (F.hardswish, {}, 3.0, 1.0), (F.hardsigmoid, {}, -3.0, 0.0), (F.hardsigmoid, {}, 3.0, 0.0),
    (F.hardshrink, {}, 0.5, 0.0), (F.softshrink, {}, 0.5, 0.0), (F.threshold,
                                                                 {"threshold": 1.0,
                                                                  "value": 0.0}, 1.0, 0.0)]


@pytest.mark.parametrize("fn,kw,at,expect", KINKS, ids=[f"{k[0].__name__}@{k[2]}" for k in KINKS])
def test_gradient_at_kinks_follows_pytorch(fn, kw, at, expect, device):
    x = _t([at], device, rg=True)
    fn(x, **kw).sum().backward()
    assert x.grad.item() == expect


def test_gelu_float32_is_accurate_on_a_dense_grid(device):
    # large enough for the chunked float32 erf kernel; reference: math.erf in float64
    v = np.linspace(-8.0, 8.0, 100001)
    ref = 0.5 * v * (1 + np.vectorize(math.erf)(v / math.sqrt(2)))
    for dt, tol in ((ember.float32, 4e-7), (ember.float64, 1e-15)):
        x = _t(v, device, dt, rg=True)
        y = F.gelu(x)
        got = y.detach().cpu().numpy().astype(np.float64)
        assert np.abs(got - ref).max() <= tol * np.maximum(np.abs(ref), 1).max() * 8
        y.sum().backward()
        phi = np.exp(-v * v / 2) / math.sqrt(2 * math.pi)
        dref = 0.5 * (1 + np.vectorize(math.erf)(v / math.sqrt(2))) + v * phi
        assert_close(x.grad.cpu().numpy().astype(np.float64), dref, rtol=1e-5, atol=1e-6)
    special = F.gelu(_t([np.inf, np.nan, -100.0], device, ember.float32)).cpu().numpy()
    assert special[0] == np.inf and np.isnan(special[1]) and special[2] == 0


def test_rrelu_training_and_eval(device):
    x = _t(-np.ones(20000), device, ember.float32)
    y = F.rrelu(x, 0.1, 0.3, training=False)
    assert_close(y.cpu().numpy(), np.full(20000, -0.2, np.float32))
    ember.manual_seed(0)
    y = -F.rrelu(x, 0.1, 0.3, training=True).cpu().numpy()
    assert y.min() >= 0.1 and y.max() <= 0.3
    assert abs(y.mean() - 0.2) < 5 * (0.2 / math.sqrt(12)) / math.sqrt(20000)
    assert_close(F.rrelu(_t([2.0], device), training=True).cpu().numpy(), np.array([2.0]))
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        F.rrelu(x, 0.5, 0.1)


@pytest.mark.parametrize("dt", [ember.float32, ember.float64], ids=str)
def test_zero_dim_inputs(dt, device):
    v = -1.5
    sig = 1 / (1 + math.exp(-v))
    cases = [(F.gelu, 0.5 * v * (1 + math.erf(v / math.sqrt(2)))), (F.silu, v * sig),
             (F.leaky_relu, 0.01 * v), (F.elu, math.expm1(v)), (F.relu, 0.0),
             (F.softplus, math.log1p(math.exp(v))), (F.hardswish, v * (v + 3) / 6)]
    for fn, expect in cases:
        x = ember.tensor(v, dtype=dt, device=device, requires_grad=True)
        y = fn(x)
        assert y.shape == () and y.dtype is dt, fn.__name__
        assert_close(y.item(), expect, rtol=1e-6, atol=1e-7, msg=fn.__name__)
        y.backward()
        assert x.grad.shape == (), fn.__name__


def test_integer_inputs_follow_pytorch(device):
    x = ember.tensor([-3, 0, 3], device=device)
    for fn, expect in [(F.relu, [0, 0, 3]), (F.relu6, [0, 0, 3]), (F.hardtanh, [-1, 0, 1])]:
        y = fn(x)
        assert y.dtype is ember.int64 and y.tolist() == expect, fn.__name__
    assert F.threshold(x, 1, 5).tolist() == [5, 5, 3]
    assert_close(F.softsign(x).cpu().numpy(), np.array([-0.75, 0.0, 0.75], np.float32))
    for fn in (F.leaky_relu, F.elu, F.gelu, F.silu, F.hardswish, F.logsigmoid, F.softshrink):
        with pytest.raises(NotImplementedError, match=f'"{fn.__name__}" not implemented for '
                                                      "'Long'"):
            fn(x)


def test_activation_errors(device):
    x = _t([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        F.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="lambda must be in range"):
        F.softshrink(x, -1.0)
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        F.glu(_t(1.0, device))
    with pytest.raises(TypeError, match="must be Tensor"):
        F.relu([1.0])


REPRS = [  # (class name, constructor args, PyTorch 2.13's repr)
    ("ReLU", (), "ReLU()"),
    ("ReLU", (True,), "ReLU(inplace=True)"),
    ("ReLU6", (), "ReLU6()"),
    ("ReLU6", (True,), "ReLU6(inplace=True)"),
    ("LeakyReLU", (), "LeakyReLU(negative_slope=0.01)"),
    ("LeakyReLU", (0.2, True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
    ("PReLU", (), "PReLU(num_parameters=1)"),
    ("RReLU", (), "RReLU(lower=0.125, upper=0.3333333333333333)"),
    ("RReLU", (0.1, 0.3, True), "RReLU(lower=0.1, upper=0.3, inplace=True)"),
    ("ELU", (), "ELU(alpha=1.0)"),
    ("ELU", (0.5, True), "ELU(alpha=0.5, inplace=True)"),
    ("SELU", (), "SELU()"),
    ("SELU", (True,), "SELU(inplace=True)"),
    ("CELU", (), "CELU(alpha=1.0)"),
    ("GELU", (), "GELU(approximate='none')"),
    ("GELU", ("tanh",), "GELU(approximate='tanh')"),
    ("SiLU", (True,), "SiLU(inplace=True)"),
    ("Mish", (), "Mish()"),
    ("Sigmoid", (), "Sigmoid()"),
    ("Tanh", (), "Tanh()"),
    ("Softmax", (), "Softmax(dim=None)"),
    ("Softmax", (1,), "Softmax(dim=1)"),
    ("Softmin", (0,), "Softmin(dim=0)"),
    ("LogSoftmax", (-1,), "LogSoftmax(dim=-1)"),
    ("Softmax2d", (), "Softmax2d()"),
    ("Softplus", (), "Softplus(beta=1.0, threshold=20.0)"),
    ("Softplus", (2, 10), "Softplus(beta=2, threshold=10)"),
    ("Softsign", (), "Softsign()"),
    ("Softshrink", (), "Softshrink(0.5)"),
    ("Hardshrink", (0.3,), "Hardshrink(0.3)"),
    ("Tanhshrink", (), "Tanhshrink()"),
    ("Hardswish", (True,), "Hardswish()"),
    ("Hardsigmoid", (), "Hardsigmoid()"),
    ("Hardtanh", (), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    ("Hardtanh", (-2, 2, True), "Hardtanh(min_val=-2, max_val=2, inplace=True)"),
    ("LogSigmoid", (), "LogSigmoid()"),
    ("GLU", (), "GLU(dim=-1)"),
    ("Threshold", (0.1, 20), "Threshold(threshold=0.1, value=20)"),
    ("Threshold", (0.1, 20, True), "Threshold(threshold=0.1, value=20, inplace=True)"),
]


@pytest.mark.parametrize("name,args,expect", REPRS, ids=[e for _, _, e in REPRS])
def test_module_repr_matches_pytorch(name, args, expect):
    assert repr(getattr(nn, name)(*args)) == expect


def test_modules_forward_through_their_functional(device):
    v = np.array([[-2.0, -0.5, 0.5, 2.0]])
    x = _t(v, device)
    sig = 1 / (1 + np.exp(-v))
    cases = [(nn.ReLU(), np.maximum(v, 0)), (nn.Sigmoid(), sig), (nn.Tanh(), np.tanh(v)),
             (nn.SiLU(), v * sig), (nn.Softsign(), v / (1 + np.abs(v))),
             (nn.LogSigmoid(), np.log(sig)), (nn.Tanhshrink(), v - np.tanh(v)),
             (nn.Softmax(1), np.exp(v) / np.exp(v).sum()),
             (nn.Softmin(1), np.exp(-v) / np.exp(-v).sum()),
             (nn.LogSoftmax(1), v - np.log(np.exp(v).sum())),
             (nn.GLU(), v[:, :2] * sig[:, 2:]), (nn.Hardshrink(1.0), np.where(np.abs(v) > 1, v, 0)),
             (nn.Softshrink(1.0), np.where(v > 1, v - 1, np.where(v < -1, v + 1, 0))),
             (nn.CELU(2.0), np.where(v > 0, v, 2 * np.expm1(v / 2))),
             (nn.Threshold(0.0, -7.0), np.where(v > 0, v, -7.0))]
    for m, expect in cases:
        assert_close(m(x).cpu().numpy(), expect, msg=repr(m))


def test_prelu_module_parameters_and_grad(device):
    m = nn.PReLU(3, init=0.1).to(device)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [("weight", (3,))]
    assert_close(m.weight.detach().cpu().numpy(), np.full(3, 0.1, np.float32))
    x = _t(np.array([[-1.0, 2.0, -3.0]]), device, ember.float32)
    y = m(x)
    assert_close(y.detach().cpu().numpy(), np.array([[-0.1, 2.0, -0.3]], np.float32))
    y.sum().backward()
    assert_close(m.weight.grad.cpu().numpy(), np.array([-1.0, 0.0, -3.0], np.float32))


def test_module_errors_and_modes(device):
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val"):
        nn.Hardtanh(2, 1)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(_t(np.zeros((2, 3)), device))
    y = nn.Softmax2d()(_t(np.zeros((1, 4, 2, 2)), device))
    assert_close(y.cpu().numpy(), np.full((1, 4, 2, 2), 0.25))
    m = nn.RReLU(0.1, 0.3)
    x = _t(-np.ones(8), device)
    assert_close(m.eval()(x).cpu().numpy(), np.full(8, -0.2))
    assert not np.allclose(m.train()(x).cpu().numpy(), -0.2)


NAN, INF = float("nan"), float("inf")
_SPECIAL = [NAN, -3.0, 3.0, -4.0, 4.0, INF, -INF, 0.5, -0.5, -0.0]
_E1, _E2, _EH = math.exp(-1.0), math.exp(-2.0), math.exp(-0.5)
_A, _L = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946  # selu
# (value, gradient) at _SPECIAL, hand-derived from PyTorch's CPU kernel definitions: the branch
# tests are x <= threshold (threshold), |x| <= lambd written as -l <= x <= l (shrinks),
# x <= 0 (elu family: NaN takes the linear branch), x <= -3 / x < 3 (hardswish: x * 0 below,
# so -inf gives NaN), -3 < x < 3 (hardsigmoid's gradient; NaN's is 0)
_EXPECTED = {
    "threshold": (lambda x: F.threshold(x, 0.5, -3.0),
                  [NAN, -3, 3, -3, 4, INF, -3, -3, -3, -3], [1, 0, 1, 0, 1, 1, 0, 0, 0, 0]),
    "softshrink": (lambda x: F.softshrink(x, 0.5),
                   [NAN, -2.5, 2.5, -3.5, 3.5, INF, -INF, 0, -0.0, -0.0],
                   [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]),
    "hardshrink": (lambda x: F.hardshrink(x, 0.5),
                   [NAN, -3, 3, -4, 4, INF, -INF, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]),
    "hardsigmoid": (F.hardsigmoid, [NAN, 0, 1, 0, 1, 1, 0, 3.5 / 6, 2.5 / 6, 0.5],
                    [0, 0, 0, 0, 0, 0, 0, 1 / 6, 1 / 6, 1 / 6]),
    "hardswish": (F.hardswish, [NAN, -0.0, 3, -0.0, 4, INF, NAN, 0.5 * 3.5 / 6, -0.5 * 2.5 / 6,
                                -0.0],
                  [1, 0, 1, 0, 1, 1, 0, 0.5 / 3 + 0.5, -0.5 / 3 + 0.5, 0.5]),
    "elu": (F.elu, [NAN, math.expm1(-3), 3, math.expm1(-4), 4, INF, -1, 0.5, math.expm1(-0.5),
                    -0.0],
            [1, math.exp(-3), 1, math.exp(-4), 1, 1, 0, 1, _EH, 1]),
    "selu": (F.selu, [NAN, _L * _A * math.expm1(-3), _L * 3, _L * _A * math.expm1(-4), _L * 4,
                      INF, -_L * _A, _L * 0.5, _L * _A * math.expm1(-0.5), -0.0],
             [_L, _L * _A * math.exp(-3), _L, _L * _A * math.exp(-4), _L, _L, 0, _L,
              _L * _A * _EH, _L * _A]),
    "celu": (lambda x: F.celu(x, 2.0),
             [NAN, 2 * math.expm1(-1.5), 3, 2 * _E2 - 2, 4, INF, -2, 0.5, 2 * math.expm1(-0.25),
              -0.0],
             [1, math.exp(-1.5), 1, _E2, 1, 1, 0, 1, math.exp(-0.25), 1]),
}


@pytest.mark.parametrize("name", sorted(_EXPECTED))
@pytest.mark.parametrize("create_graph", [False, True])
def test_values_and_gradients_at_nan_inf_and_kinks_follow_pytorch(name, create_graph):
    # a NaN input must never turn into a number, and the branch a NaN takes decides its
    # gradient; infinities leave no NaN gradients from unselected branches
    fn, want_y, want_g = _EXPECTED[name]
    x = ember.tensor(_SPECIAL, dtype=ember.float64, requires_grad=True)
    y = fn(x)
    (g,) = ember.autograd.grad(y, x, ember.ones_like(y), create_graph=create_graph)
    np.testing.assert_allclose(y.detach().numpy(), want_y, rtol=1e-12, atol=0)
    np.testing.assert_allclose(g.detach().numpy(), want_g, rtol=1e-12, atol=1e-300)
    # the sign of zero results, too (-0.0 where PyTorch multiplies by 0)
    got, want = y.detach().numpy(), np.array(want_y)
    assert list(np.signbit(got[want == 0])) == list(np.signbit(want[want == 0]))
