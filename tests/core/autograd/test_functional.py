"""``ember.autograd.functional``: values against hand-derived numpy references, output
structures (Tensor vs tuple, as PyTorch), ``create_graph`` and ``strict`` errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp
from ember.testing import assert_close, to_numpy

F64 = ember.float64
A = np.array([[0.5, -1.0], [2.0, 0.3]])
B = np.array([0.7, -0.4])


@pytest.fixture
def a(device):
    return ember.tensor(A, dtype=F64, device=device)


@pytest.fixture
def b(device):
    return ember.tensor(B, dtype=F64, device=device)


def f_two(x, y):
    """(sin(x * y), sum_j x_ij^2): outputs (2, 2) and (2,)."""
    return (x * y).sin(), (x ** 2).sum(1)


def ref_jac_f_two():
    """d out / d in for f_two, by hand: [out][in] with shapes out.shape + in.shape."""
    c = np.cos(A * B)
    j00 = np.zeros((2, 2, 2, 2))
    j01 = np.zeros((2, 2, 2))
    j10 = np.zeros((2, 2, 2))
    for i in range(2):
        for k in range(2):
            j00[i, k, i, k] = c[i, k] * B[k]
            j01[i, k, k] = c[i, k] * A[i, k]
            j10[i, i, k] = 2 * A[i, k]
    return ((j00, j01), (j10, np.zeros((2, 2))))


def g_scalar(x, y):
    """sum(sin(x) * y) + sum(x^3) * sum(y): a scalar of both inputs."""
    return (x.sin() * y).sum() + (x ** 3).sum() * y.sum()


def ref_hess_g():
    """Hessian blocks of g_scalar: H[i][j] shaped in_i.shape + in_j.shape."""
    sy = B.sum()
    hxx = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for k in range(2):
            hxx[i, k, i, k] = -np.sin(A[i, k]) * B[k] + 6 * A[i, k] * sy
    hxy = np.zeros((2, 2, 2))
    for i in range(2):
        for k in range(2):
            for m in range(2):
                hxy[i, k, m] = (np.cos(A[i, k]) if m == k else 0.0) + 3 * A[i, k] ** 2
    return ((hxx, hxy), (np.transpose(hxy, (2, 0, 1)), np.zeros((2, 2))))


# ---------------------------------------------------------------------- jacobian
def test_jacobian_single_in_single_out(a):
    j = jacobian(lambda x: x.exp(), a)
    assert isinstance(j, ember.Tensor) and tuple(j.shape) == (2, 2, 2, 2)
    ref = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for k in range(2):
            ref[i, k, i, k] = np.exp(A[i, k])
    assert_close(j, ref)
    assert not j.requires_grad


def test_jacobian_tuple_in_tuple_out(a, b):
    j = jacobian(f_two, (a, b))
    ref = ref_jac_f_two()
    assert isinstance(j, tuple) and len(j) == 2 and all(len(r) == 2 for r in j)
    for i in range(2):
        for k in range(2):
            assert_close(j[i][k], ref[i][k])


def test_jacobian_tuple_in_single_out(a, b):
    j = jacobian(lambda x, y: (x * y).sin(), (a, b))
    ref = ref_jac_f_two()[0]
    assert isinstance(j, tuple) and len(j) == 2
    assert_close(j[0], ref[0])
    assert_close(j[1], ref[1])


def test_jacobian_single_in_tuple_out(a):
    j = jacobian(lambda x: (x.exp(), x.sum()), a)
    assert isinstance(j, tuple) and len(j) == 2
    assert tuple(j[1].shape) == (2, 2)
    assert_close(j[1], np.ones((2, 2)))


def test_jacobian_independent_input_gives_zeros_or_strict_error(a, b):
    j = jacobian(lambda x, y: x * 2.0, (a, b))
    assert_close(j[1], np.zeros((2, 2, 2)))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is "
                                           "independent of input 1. This is not allowed in "
                                           "strict mode"):
        jacobian(lambda x, y: x * 2.0, (a, b), strict=True)


def test_jacobian_strict_output_without_grad(a, device):
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not "
                                           "require gradients"):
        jacobian(lambda x: ember.ones(2, device=device), a, strict=True)


def test_jacobian_create_graph_is_differentiable(device):
    x = ember.tensor([0.5, 1.5], dtype=F64, device=device, requires_grad=True)
    j = jacobian(lambda t: t ** 3, x, create_graph=True)
    assert j.requires_grad
    j.sum().backward()          # d/dx_i of 3 x_i^2 = 6 x_i
    assert_close(x.grad, [3.0, 9.0])


def test_jacobian_vectorize_and_forward_mode_give_same_values(a, b):
    ref = ref_jac_f_two()
    jv = jacobian(f_two, (a, b), vectorize=True)
    jf = jacobian(f_two, (a, b), vectorize=True, strategy="forward-mode")
    for i in range(2):
        for k in range(2):
            assert_close(jv[i][k], ref[i][k])
            assert_close(jf[i][k], ref[i][k])
    single = jacobian(lambda x: x.exp(), a, vectorize=True, strategy="forward-mode")
    assert isinstance(single, ember.Tensor) and tuple(single.shape) == (2, 2, 2, 2)


def test_jacobian_argument_errors(a):
    with pytest.raises(ValueError, match='expected strategy to be either "forward-mode" or '
                                         '"reverse-mode"'):
        jacobian(lambda x: x, a, strategy="sideways")
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        jacobian(lambda x: x, a, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="`create_graph=True` and "
                                                  '`strategy="forward-mode"`'):
        jacobian(lambda x: x, a, strategy="forward-mode", vectorize=True, create_graph=True)
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True` are not "
                                           "supported together"):
        jacobian(lambda x: x * 2.0, a, strict=True, vectorize=True)


def test_inputs_must_be_tensor_or_tuple(a):
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor or "
                                        "a tuple of Tensors but the given inputs has type "
                                        "<class 'list'>"):
        jacobian(lambda x: x, [a])
    with pytest.raises(TypeError, match="the value at index 1 has type <class 'int'>"):
        jacobian(lambda x, y: x, (a, 3))
    with pytest.raises(TypeError, match="outputs of the user-provided function given to vjp"):
        vjp(lambda x: 3.0, a, a)


def test_jacobian_does_not_touch_callers_tensors(device):
    x = ember.tensor([1.0, 2.0], dtype=F64, device=device, requires_grad=True)
    jacobian(lambda t: t * t, x)
    assert x.grad is None and x.is_leaf


# ---------------------------------------------------------------------- vjp / jvp
def test_vjp_values_and_structure(a, b, device):
    va = ember.tensor([[1.0, 2.0], [-1.0, 0.5]], dtype=F64, device=device)
    vb = ember.tensor([3.0, -2.0], dtype=F64, device=device)
    out, g = vjp(f_two, (a, b), (va, vb))
    ref = ref_jac_f_two()
    vA, vB = to_numpy(va), to_numpy(vb)
    ref_a = np.einsum("ik,ikjl->jl", vA, ref[0][0]) + np.einsum("i,ijl->jl", vB, ref[1][0])
    ref_b = np.einsum("ik,ikl->l", vA, ref[0][1])
    assert isinstance(out, tuple) and isinstance(g, tuple)
    assert_close(out[0], np.sin(A * B))
    assert_close(g[0], ref_a)
    assert_close(g[1], ref_b)
    assert not g[0].requires_grad and not out[0].requires_grad


def test_vjp_scalar_output_v_optional(a):
    out, g = vjp(lambda x: (x ** 2).sum(), a)
    assert isinstance(g, ember.Tensor)
    assert out.item() == pytest.approx(float((A ** 2).sum()))
    assert_close(g, 2 * A)


def test_vjp_create_graph(device):
    x = ember.tensor([1.0, 2.0], dtype=F64, device=device, requires_grad=True)
    out, g = vjp(lambda t: (t ** 3).sum(), x, create_graph=True)
    assert out.requires_grad and g.requires_grad
    g.sum().backward()
    assert_close(x.grad, [6.0, 12.0])


def test_vjp_v_errors(a, device):
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided "
                                           "function returns a single Tensor with a single "
                                           "element"):
        vjp(lambda x: x * 2.0, a)
    with pytest.raises(RuntimeError, match="v has invalid size: should be"):
        vjp(lambda x: x * 2.0, a, ember.ones(3, dtype=F64, device=device))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but got 1"):
        vjp(lambda x: (x, x * 2.0), a, (ember.ones(2, 2, dtype=F64, device=device),))


def test_vjp_strict_independent_input(a, b):
    _, g = vjp(lambda x, y: (x * 2.0).sum(), (a, b))
    assert_close(g[1], np.zeros(2))
    with pytest.raises(RuntimeError, match="The output of the user-provided function is "
                                           "independent of input 1"):
        vjp(lambda x, y: (x * 2.0).sum(), (a, b), strict=True)


def test_jvp_values_and_structure(a, b, device):
    ta = ember.tensor([[1.0, 0.0], [2.0, -1.0]], dtype=F64, device=device)
    tb = ember.tensor([0.5, 1.0], dtype=F64, device=device)
    out, t = jvp(f_two, (a, b), (ta, tb))
    ref = ref_jac_f_two()
    tA, tB = to_numpy(ta), to_numpy(tb)
    ref0 = np.einsum("ikjl,jl->ik", ref[0][0], tA) + np.einsum("ikl,l->ik", ref[0][1], tB)
    ref1 = np.einsum("ijl,jl->i", ref[1][0], tA)
    assert isinstance(t, tuple) and len(t) == 2
    assert_close(t[0], ref0)
    assert_close(t[1], ref1)
    assert not t[0].requires_grad


def test_jvp_single_tensor_and_default_v(device):
    x = ember.tensor(0.4, dtype=F64, device=device)
    out, t = jvp(lambda s: s.sin() * 3.0, x)
    assert isinstance(t, ember.Tensor)
    assert t.item() == pytest.approx(3.0 * np.cos(0.4))


def test_jvp_errors(a, b, device):
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input to the "
                                           "user-provided function is a single Tensor with a "
                                           "single element"):
        jvp(lambda x: x * 2.0, a)
    with pytest.raises(RuntimeError, match="Entry 1 in v has invalid size"):
        jvp(lambda x, y: x * y, (a, b), (ember.ones(2, 2, dtype=F64, device=device),
                                         ember.ones(3, dtype=F64, device=device)))
    with pytest.raises(RuntimeError, match="The output of the user-provided function is "
                                           "independent of input 1"):
        jvp(lambda x, y: x * 2.0, (a, b), (ember.ones(2, 2, dtype=F64, device=device),
                                           ember.ones(2, dtype=F64, device=device)), strict=True)


def test_jvp_create_graph(device):
    x = ember.tensor([1.0, 2.0], dtype=F64, device=device, requires_grad=True)
    v = ember.ones(2, dtype=F64, device=device)
    _, t = jvp(lambda s: s ** 3, x, v, create_graph=True)
    assert t.requires_grad
    t.sum().backward()     # d/dx sum 3 x^2 v = 6 x
    assert_close(x.grad, [6.0, 12.0])


# ---------------------------------------------------------------------- hessian / hvp / vhp
def test_hessian_single_input(a):
    h = hessian(lambda x: (x ** 3).sum(), a)
    assert isinstance(h, ember.Tensor) and tuple(h.shape) == (2, 2, 2, 2)
    ref = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for k in range(2):
            ref[i, k, i, k] = 6 * A[i, k]
    assert_close(h, ref)


def test_hessian_tuple_inputs(a, b):
    h = hessian(g_scalar, (a, b))
    ref = ref_hess_g()
    assert isinstance(h, tuple) and all(isinstance(r, tuple) and len(r) == 2 for r in h)
    for i in range(2):
        for k in range(2):
            assert_close(h[i][k], ref[i][k])


def test_hessian_forward_outer_strategy(a):
    h = hessian(lambda x: (x ** 3).sum(), a, vectorize=True,
                outer_jacobian_strategy="forward-mode")
    ref = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for k in range(2):
            ref[i, k, i, k] = 6 * A[i, k]
    assert_close(h, ref)


def test_hessian_errors(a):
    with pytest.raises(RuntimeError, match="The Tensor returned by the function given to hessian "
                                           "should contain a single element"):
        hessian(lambda x: x * 2.0, a)
    with pytest.raises(RuntimeError, match="The function given to hessian should return a single "
                                           "Tensor"):
        hessian(lambda x: (x.sum(), x.sum()), a)
    with pytest.raises(RuntimeError, match="jacobian of the user-provided function with respect "
                                           "to input 0 is independent of the input"):
        hessian(lambda x: (x * 2.0).sum(), a, strict=True)
    with pytest.raises(ValueError, match="outer_jacobian_strategy"):
        hessian(lambda x: x.sum(), a, outer_jacobian_strategy="x")


def test_vhp_and_hvp_match_hessian_contraction(a, b, device):
    va = ember.tensor([[1.0, -1.0], [0.5, 2.0]], dtype=F64, device=device)
    vb = ember.tensor([0.3, -0.7], dtype=F64, device=device)
    ref = ref_hess_g()
    vA, vB = to_numpy(va), to_numpy(vb)
    ref_a = np.einsum("jl,jlik->ik", vA, ref[0][0]) + np.einsum("l,lik->ik", vB, ref[1][0])
    ref_b = np.einsum("jl,jlm->m", vA, ref[0][1]) + np.einsum("l,lm->m", vB, ref[1][1])
    for fn in (vhp, hvp):
        out, r = fn(g_scalar, (a, b), (va, vb))
        assert out.item() == pytest.approx(float((np.sin(A) * B).sum() + (A ** 3).sum() *
                                                 B.sum()))
        assert isinstance(r, tuple)
        assert_close(r[0], ref_a)
        assert_close(r[1], ref_b)
        assert not r[0].requires_grad


def test_hvp_single_tensor_default_v(device):
    x = ember.tensor(0.9, dtype=F64, device=device)
    for fn in (hvp, vhp):
        _, r = fn(lambda s: s.sin() * s, x)
        # d2/ds2 (s sin s) = 2 cos s - s sin s
        assert isinstance(r, ember.Tensor)
        assert r.item() == pytest.approx(2 * np.cos(0.9) - 0.9 * np.sin(0.9))


def test_hvp_create_graph(device):
    x = ember.tensor([1.0, 2.0], dtype=F64, device=device, requires_grad=True)
    v = ember.ones(2, dtype=F64, device=device)
    _, r = hvp(lambda s: (s ** 4).sum(), x, v, create_graph=True)   # 12 x^2
    assert r.requires_grad
    r.sum().backward()
    assert_close(x.grad, [24.0, 48.0])


def test_hvp_vhp_errors(a, device):
    for fn in (hvp, vhp):
        name = fn.__name__
        with pytest.raises(RuntimeError, match=f"The Tensor returned by the function given to "
                                               f"{name} should contain a single element"):
            fn(lambda x: x * 2.0, a, a)
        with pytest.raises(RuntimeError, match=f"The function given to {name} should return a "
                                               "single Tensor"):
            fn(lambda x: (x.sum(),), a, a)
        with pytest.raises(RuntimeError, match="v can only be None"):
            fn(lambda x: x.sum(), a)
        with pytest.raises(RuntimeError, match="independent of the input"):
            fn(lambda x: (x * 2.0).sum(), a, a, strict=True)
