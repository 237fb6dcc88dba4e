"""``nn.utils.parametrize``, ``nn.utils.parametrizations`` and the hook-based
``weight_norm``/``spectral_norm``.

Expected values are computed with numpy float64 (norms, SVD, orthogonality) or by hand;
state dict keys were read once from PyTorch 2.13 and are written literally.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import parametrizations as P
from ember.nn.utils import parametrize
from ember.nn.utils.stateless import functional_call


def _np(t):
    return t.detach().numpy(force=True).astype(np.float64)


class _Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT


class _Double(nn.Module):
    def forward(self, x):
        return 2 * x

    def right_inverse(self, x):
        return x / 2


class _Split(nn.Module):
    """Two originals: ``w = a + b`` (right_inverse splits in halves)."""

    def forward(self, a, b):
        return a + b

    def right_inverse(self, w):
        return w / 2, w / 2


# ---------------------------------------------------------------- parametrize mechanics
def test_register_swaps_class_and_moves_original(device):
    m = nn.Linear(3, 3, device=device, dtype=ember.float64)
    w0 = _np(m.weight)
    parametrize.register_parametrization(m, "weight", _Symmetric())
    assert type(m).__name__ == "ParametrizedLinear" and isinstance(m, nn.Linear)
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias")
    assert isinstance(m.parametrizations.weight, parametrize.ParametrizationList)
    assert isinstance(m.parametrizations.weight, nn.ModuleList)
    np.testing.assert_array_equal(_np(m.parametrizations.weight.original), w0)
    expected = np.triu(w0) + np.triu(w0, 1).T
    np.testing.assert_allclose(_np(m.weight), expected, rtol=0, atol=0)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original"]
    # the other instances of the class are untouched
    assert type(nn.Linear(2, 2)) is nn.Linear and "weight" not in m._parameters


def test_right_inverse_on_registration_and_assignment(device):
    m = nn.Linear(2, 3, device=device, dtype=ember.float64)
    w0 = _np(m.weight)
    parametrize.register_parametrization(m, "weight", _Double())
    orig = m.parametrizations.weight.original
    # right_inverse keeps the value; the original object is reused (optimizers stay valid)
    np.testing.assert_allclose(_np(orig), w0 / 2, rtol=1e-15)
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-15)
    new = ember.arange(6, dtype=ember.float64, device=device).reshape(3, 2)
    m.weight = new
    assert m.parametrizations.weight.original is orig
    np.testing.assert_allclose(_np(orig), np.arange(6.0).reshape(3, 2) / 2)
    np.testing.assert_allclose(_np(m.weight), np.arange(6.0).reshape(3, 2))


def test_chained_parametrizations(device):
    m = nn.Linear(3, 3, device=device, dtype=ember.float64)
    w0 = _np(m.weight)
    parametrize.register_parametrization(m, "weight", _Symmetric())
    parametrize.register_parametrization(m, "weight", _Double())
    assert len(m.parametrizations.weight) == 2
    np.testing.assert_allclose(_np(m.weight), 2 * (np.triu(w0) + np.triu(w0, 1).T))
    # _Symmetric has no right_inverse: assignment fails with PyTorch's message
    with pytest.raises(RuntimeError, match="_Symmetric does not implement right_inverse"):
        m.weight = ember.zeros(3, 3, dtype=ember.float64, device=device)


def test_sequence_right_inverse_originals(device):
    m = nn.Linear(2, 2, device=device, dtype=ember.float64)
    w0 = _np(m.weight)
    parametrize.register_parametrization(m, "weight", _Split())
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0",
                                    "parametrizations.weight.original1"]
    pl = m.parametrizations.weight
    assert isinstance(pl.original0, nn.Parameter) and pl.original0.requires_grad
    np.testing.assert_allclose(_np(pl.original1), w0 / 2)
    np.testing.assert_allclose(_np(m.weight), w0)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)


def test_gradients_flow_to_original(device):
    m = nn.Linear(3, 3, device=device, dtype=ember.float64)
    parametrize.register_parametrization(m, "weight", _Symmetric())
    x = ember.randn(4, 3, dtype=ember.float64, device=device)
    m(x).sum().backward()
    g = _np(m.parametrizations.weight.original.grad)
    # d/dW sum(x W_sym^T): G = ones^T x summed; W_sym = triu(W) + triu(W,1)^T
    G = np.ones((4, 3)).T @ _np(x)  # dL/dW_sym
    expected = np.triu(G) + np.triu(G.T, 1)
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_gradcheck_through_parametrized_linear(device):
    m = nn.Linear(3, 2, device=device, dtype=ember.float64)
    P.weight_norm(m)
    x = ember.randn(4, 3, dtype=ember.float64, device=device)
    g = m.parametrizations.weight.original0.detach().clone().requires_grad_()
    v = m.parametrizations.weight.original1.detach().clone().requires_grad_()

    def f(g_, v_):  # the module's forward with its originals replaced
        return functional_call(m, {"parametrizations.weight.original0": g_,
                                   "parametrizations.weight.original1": v_}, (x,))

    assert ember.autograd.gradcheck(f, (g, v))
    # and through the module itself (weight recomputed from the originals on access)
    x.requires_grad_()
    assert ember.autograd.gradcheck(lambda x_: m(x_), (x,))


def test_cached(device):
    calls = []

    class Count(nn.Module):
        def forward(self, x):
            calls.append(1)
            return x * 1

    m = parametrize.register_parametrization(nn.Linear(2, 2, device=device), "weight", Count())
    calls.clear()
    with parametrize.cached():
        a = m.weight
        b = m.weight
        with parametrize.cached():
            c = m.weight
    assert a is b is c and len(calls) == 1
    d = m.weight
    assert d is not a and len(calls) == 2


def test_remove_parametrizations(device):
    m = nn.Linear(3, 3, device=device, dtype=ember.float64)
    w0 = _np(m.weight)
    parametrize.register_parametrization(m, "weight", _Symmetric())
    orig = m.parametrizations.weight.original
    parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and not hasattr(m, "parametrizations")
    assert isinstance(m.weight, nn.Parameter) and m.weight is orig
    np.testing.assert_allclose(_np(m.weight), np.triu(w0) + np.triu(w0, 1).T)
    assert list(m.state_dict()) == ["bias", "weight"]  # PyTorch re-registers it last
    # leave_parametrized=False restores the raw original
    m2 = nn.Linear(3, 3, device=device, dtype=ember.float64)
    w2 = _np(m2.weight)
    parametrize.register_parametrization(m2, "weight", _Symmetric())
    parametrize.remove_parametrizations(m2, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(_np(m2.weight), w2)
    # removing one of two keeps the class parametrized
    m3 = nn.Linear(3, 3, device=device)
    parametrize.register_parametrization(m3, "weight", _Symmetric())
    parametrize.register_parametrization(m3, "bias", _Double())
    parametrize.remove_parametrizations(m3, "weight")
    assert type(m3).__name__ == "ParametrizedLinear"
    assert list(m3.parametrizations) == ["bias"]


def test_buffer_parametrization_and_deepcopy(device):
    m = nn.BatchNorm1d(3, device=device)
    parametrize.register_parametrization(m, "running_var", _Double())
    assert "parametrizations.running_var.original" in m.state_dict()
    assert not m.parametrizations.running_var.original.requires_grad
    np.testing.assert_allclose(_np(m.running_var), np.ones(3))
    m2 = copy.deepcopy(m)
    assert type(m2).__name__ == "ParametrizedBatchNorm1d"
    np.testing.assert_allclose(_np(m2.running_var), np.ones(3))


def test_transfer_parametrizations(device):
    a = parametrize.register_parametrization(nn.Linear(2, 2, device=device), "weight",
                                             _Double())
    b = parametrize.transfer_parametrizations_and_params(a, nn.Linear(2, 2, device=device))
    assert b.parametrizations.weight.original is a.parametrizations.weight.original
    np.testing.assert_array_equal(_np(b.weight), _np(a.weight))


def test_parametrize_errors(device):
    m = nn.Linear(2, 3, device=device)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a "
                                         "parametrized element with name 'foo'"):
        parametrize.register_parametrization(m, "foo", _Double())

    class Shape(nn.Module):
        def forward(self, x):
            return x[:1]

    class Dtype(nn.Module):
        def forward(self, x):
            return x.double()

    class NotTensor(nn.Module):
        def forward(self, x):
            return 1.0

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(nn.Linear(2, 3), "weight", Shape())
    with pytest.raises(ValueError, match="may not change the dtype"):
        parametrize.register_parametrization(nn.Linear(2, 3), "weight", Dtype())
    with pytest.raises(ValueError, match="A parametrization must return a tensor. Got float"):
        parametrize.register_parametrization(nn.Linear(2, 3), "weight", NotTensor())
    m = parametrize.register_parametrization(nn.Linear(2, 3), "weight", Shape(), unsafe=True)
    assert m.weight.shape == (1, 2)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(nn.Linear(2, 2), "weight")
    with pytest.raises(ValueError, match="requires one or more modules"):
        parametrize.ParametrizationList([], ember.zeros(2))
    m = parametrize.register_parametrization(nn.Linear(2, 3), "weight", _Double())
    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(m, "weight", Shape())


# ---------------------------------------------------------------- weight_norm
@pytest.mark.parametrize("dim", [0, 1, -2, None])
def test_weight_norm_values(device, dim):
    m = nn.Conv2d(3, 4, 2, device=device, dtype=ember.float64)
    w0 = _np(m.weight)
    P.weight_norm(m, dim=dim)
    g = _np(m.parametrizations.weight.original0)
    v = _np(m.parametrizations.weight.original1)
    np.testing.assert_array_equal(v, w0)
    if dim is None:  # one norm of the whole tensor
        norm = np.array(np.sqrt((w0 ** 2).sum()))
    else:
        d = dim % 4
        axes = tuple(i for i in range(4) if i != d)
        norm = np.sqrt((w0 ** 2).sum(axis=axes, keepdims=True))
    assert g.shape == norm.shape
    np.testing.assert_allclose(g, norm, rtol=1e-13)
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-12)
    # after changing g and v: w = g * v / ||v||
    with ember.no_grad():
        m.parametrizations.weight.original0.mul_(3.0)
        m.parametrizations.weight.original1.add_(0.5)
    v2 = w0 + 0.5
    n2 = (np.sqrt((v2 ** 2).sum()) if dim is None
          else np.sqrt((v2 ** 2).sum(axis=axes, keepdims=True)))
    np.testing.assert_allclose(_np(m.weight), 3 * norm * v2 / n2, rtol=1e-12)


def test_weight_norm_state_dict_and_gradcheck(device):
    m = P.weight_norm(nn.Linear(3, 2, device=device, dtype=ember.float64))
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0",
                                    "parametrizations.weight.original1"]
    assert m.parametrizations.weight.original0.shape == (2, 1)
    wn = m.parametrizations.weight[0]
    g = ember.rand(2, 1, dtype=ember.float64, device=device).requires_grad_()
    v = ember.randn(2, 3, dtype=ember.float64, device=device).requires_grad_()
    assert ember.autograd.gradcheck(lambda g_, v_: wn(g_, v_), (g, v))
    x = ember.randn(4, 3, dtype=ember.float64, device=device)
    m(x).pow(2).sum().backward()
    assert m.parametrizations.weight.original0.grad.shape == (2, 1)
    assert m.parametrizations.weight.original1.grad.shape == (2, 3)


def test_old_weight_norm(device):
    m = nn.Linear(3, 4, device=device, dtype=ember.float64)
    w0 = _np(m.weight)
    with pytest.warns(FutureWarning, match="weight_norm` is deprecated in favor of"):
        nn.utils.weight_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(_np(m.weight_g), np.linalg.norm(w0, axis=1, keepdims=True))
    with ember.no_grad():
        m.weight_g.mul_(2.0)
    x = ember.randn(5, 3, dtype=ember.float64, device=device)
    y = m(x)  # the pre-hook recomputes weight = g * v / ||v||
    np.testing.assert_allclose(_np(y), _np(x) @ (2 * w0).T + _np(m.bias), rtol=1e-12)
    y.sum().backward()
    assert m.weight_g.grad is not None and m.weight_v.grad is not None
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the "
                                           "same parameter weight"), \
            pytest.warns(FutureWarning):
        nn.utils.weight_norm(m)
    nn.utils.remove_weight_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight"]
    assert isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(_np(m.weight), 2 * w0, rtol=1e-12)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(m)


# ---------------------------------------------------------------- spectral_norm
def test_spectral_norm_sigma_vs_svd(device):
    ember.manual_seed(0)
    m = nn.Linear(5, 7, device=device, dtype=ember.float64)
    w0 = _np(m.weight)
    P.spectral_norm(m, n_power_iterations=20)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original",
                                    "parametrizations.weight.0._u",
                                    "parametrizations.weight.0._v"]
    sn = m.parametrizations.weight[0]
    assert sn._u.shape == (7,) and sn._v.shape == (5,)
    for _ in range(5):
        w = _np(m.weight)  # training mode: each access runs 20 more iterations
    sigma = np.linalg.svd(w0, compute_uv=False)[0]
    np.testing.assert_allclose(w, w0 / sigma, rtol=1e-8)
    np.testing.assert_allclose(np.linalg.svd(w, compute_uv=False)[0], 1.0, rtol=1e-8)
    np.testing.assert_allclose(np.linalg.norm(_np(sn._u)), 1.0, rtol=1e-12)


def test_spectral_norm_buffers_update_only_in_training(device):
    m = P.spectral_norm(nn.Linear(4, 3, device=device, dtype=ember.float64))
    sn = m.parametrizations.weight[0]
    m.eval()
    assert not sn.training
    u0 = _np(sn._u)
    w_eval = _np(m.weight)
    np.testing.assert_array_equal(_np(sn._u), u0)
    # eval: sigma = u^T W v with the stored vectors
    W = _np(m.parametrizations.weight.original)
    sigma = _np(sn._u) @ W @ _np(sn._v)
    np.testing.assert_allclose(w_eval, W / sigma, rtol=1e-12)
    m.train()
    with ember.no_grad():
        m.parametrizations.weight.original.mul_(-1.0).add_(0.3)
    m.weight  # noqa: B018 -- access runs the power method
    assert not np.array_equal(_np(sn._u), u0)


def test_spectral_norm_conv_dim_and_gradcheck(device):
    ember.manual_seed(2)  # a well-separated top singular value: fast power iteration
    m = nn.Conv2d(2, 3, 2, device=device, dtype=ember.float64)
    w0 = _np(m.weight)
    P.spectral_norm(m, dim=1, n_power_iterations=30)
    sn = m.parametrizations.weight[0]
    assert sn._u.shape == (2,) and sn._v.shape == (12,)
    mat = np.moveaxis(w0, 1, 0).reshape(2, -1)
    for _ in range(3):
        w = _np(m.weight)
    np.testing.assert_allclose(w, w0 / np.linalg.svd(mat, compute_uv=False)[0], rtol=1e-8)
    m.eval()
    x = ember.randn(3, 2, 2, 2, dtype=ember.float64, device=device).requires_grad_()
    assert ember.autograd.gradcheck(lambda x_: sn(x_), (x,))
    # 1-D weights: divided by their norm
    b = nn.Linear(2, 3, device=device, dtype=ember.float64)
    b0 = _np(b.bias)
    P.spectral_norm(b, "bias")
    np.testing.assert_allclose(_np(b.bias), b0 / np.linalg.norm(b0), rtol=1e-12)


def test_spectral_norm_errors(device):
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got "
                                         "n_power_iterations=0"):
        P.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range "
                                         r"of \[-2, 1\] but got 2\)"):
        P.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'foo'"):
        P.spectral_norm(nn.Linear(2, 2), "foo")


def test_old_spectral_norm(device):
    ember.manual_seed(1)
    m = nn.Linear(4, 6, device=device, dtype=ember.float64)
    w0 = _np(m.weight)
    nn.utils.spectral_norm(m, n_power_iterations=50)
    assert sorted(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert m.weight_u.shape == (6,) and m.weight_v.shape == (4,)
    x = ember.randn(3, 4, dtype=ember.float64, device=device)
    for _ in range(3):
        y = m(x)
    sigma = np.linalg.svd(w0, compute_uv=False)[0]
    np.testing.assert_allclose(_np(m.weight), w0 / sigma, rtol=1e-8)
    np.testing.assert_allclose(_np(y), _np(x) @ (w0 / sigma).T + _np(m.bias), rtol=1e-8)
    y.sum().backward()
    assert m.weight_orig.grad.shape == (6, 4)
    m.eval()
    u = _np(m.weight_u)
    m(x)
    np.testing.assert_array_equal(_np(m.weight_u), u)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(m.weight), w0 / sigma, rtol=1e-8)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        nn.utils.remove_spectral_norm(m)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=-1)


# ---------------------------------------------------------------- orthogonal
@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal(device, orth_map, shape):
    m = nn.Linear(shape[1], shape[0], device=device, dtype=ember.float64)
    P.orthogonal(m, orthogonal_map=orth_map)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original",
                                    "parametrizations.weight.0.base"]
    w = _np(m.weight)
    k = min(shape)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(k), atol=1e-12)
    # move the original (strictly lower part: householder reads signs from the diagonal,
    # like PyTorch): still orthogonal, gradients reach the original
    with ember.no_grad():
        orig = m.parametrizations.weight.original
        orig.add_(0.1 * ember.randn(*orig.shape, dtype=orig.dtype, device=device).tril(-1))
    w = _np(m.weight)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(k), atol=1e-10)
    m.weight.sum().backward()
    assert m.parametrizations.weight.original.grad.shape == shape
    # assigning an orthogonal matrix reproduces it
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((max(shape), k)))[0]
    q = q if shape[0] >= shape[1] else q.T
    m.weight = ember.tensor(q, device=device)
    np.testing.assert_allclose(_np(m.weight), q, atol=1e-12)


def test_orthogonal_initial_value_and_errors(device):
    # an already orthogonal weight is kept (base = weight, original = -I)
    q = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))[0]
    m = nn.Linear(3, 3, bias=False, device=device, dtype=ember.float64)
    with ember.no_grad():
        m.weight.copy_(ember.tensor(q))
    P.orthogonal(m)
    np.testing.assert_allclose(_np(m.weight), q, atol=1e-12)
    np.testing.assert_array_equal(_np(m.parametrizations.weight.original), -np.eye(3))
    gm = P.orthogonal(nn.Linear(3, 3, device=device, dtype=ember.float64),
                      orthogonal_map="cayley")
    x = ember.randn(3, 3, dtype=ember.float64, device=device).requires_grad_()
    assert ember.autograd.gradcheck(lambda x_: gm.parametrizations.weight[0](x_), (x,))
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", '
                                         '"cayley", "householder". Got: foo'):
        P.orthogonal(nn.Linear(2, 2), orthogonal_map="foo")
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a "
                                         "tensor of 1 dimensions."):
        P.orthogonal(nn.Linear(2, 2), "bias")
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'foo'"):
        P.orthogonal(nn.Linear(2, 2), "foo")
    m = P.orthogonal(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices of shape"):
        m.weight = ember.zeros(3, 3)
    m = P.orthogonal(nn.Linear(2, 2), use_trivialization=False)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        m.weight = ember.eye(2)


def test_state_dict_roundtrip_dtype_and_pickle(device):
    import pickle

    src = P.spectral_norm(nn.Linear(3, 2, device=device))
    assert src.weight.dtype == ember.float32
    assert src.parametrizations.weight[0]._u.dtype == ember.float32
    dst = P.spectral_norm(nn.Linear(3, 2, device=device))
    dst.load_state_dict(src.state_dict())
    src.eval()
    dst.eval()
    np.testing.assert_array_equal(_np(dst.weight), _np(src.weight))
    src.double()  # module conversion reaches the originals and buffers
    assert src.weight.dtype == ember.float64 and type(src).__name__ == "ParametrizedLinear"
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only "
                                           "supported through state_dict()"):
        pickle.dumps(src)


@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_batched_and_gradcheck(device, orth_map):
    m = nn.Module()
    w0 = ember.randn(2, 4, 2, dtype=ember.float64, device=device)
    m.register_parameter("w", nn.Parameter(w0))
    P.orthogonal(m, "w", orthogonal_map=orth_map)
    w = _np(m.w)
    np.testing.assert_allclose(np.swapaxes(w, -1, -2) @ w, np.broadcast_to(np.eye(2), (2, 2, 2)),
                               atol=1e-12)
    orth = m.parametrizations.w[0]
    # diagonal -1.5: householder reads signs via .int() (as PyTorch), so keep it away from
    # the integer jumps that finite differences would cross
    x = ember.randn(2, 4, 2, dtype=ember.float64, device=device).tril(-1) - \
        1.5 * ember.eye(4, 2, dtype=ember.float64, device=device)
    x.requires_grad_()
    assert ember.autograd.gradcheck(lambda x_: orth(x_), (x,))
