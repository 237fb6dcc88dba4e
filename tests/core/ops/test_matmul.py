"""Matrix products: the op table (forward vs numpy float64, gradcheck, gradgradcheck, error
messages) plus behaviours a table cannot express (beta=0 semantics, gradients of ignored
inputs, integer matmuls, dtype/device checks)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_errors, check_op, make_tensor, to_numpy
from ember.testing.op_db import records

RECS = records("matmul")


@pytest.mark.parametrize("rec", [r for r in RECS if r.samples], ids=lambda r: r.name)
def test_op(rec, device):
    check_op(rec, device)


@pytest.mark.parametrize("rec", [r for r in RECS if r.errors], ids=lambda r: r.name)
def test_errors(rec, device):
    check_errors(rec, device)


def test_addmm_beta0_ignores_nan_and_gives_zero_grad(device):
    c = ember.full((2, 2), float("nan"), dtype=ember.float64, device=device, requires_grad=True)
    a = ember.eye(2, dtype=ember.float64, device=device)
    b = ember.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ember.float64, device=device)
    r = ember.addmm(c, a, b, beta=0, alpha=2)
    assert r.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    r.sum().backward()
    assert c.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    # beta=1 does propagate NaN
    assert math.isnan(ember.addmm(c.detach(), a, b)[0, 0].item())


def test_addmm_gradients_scale_by_alpha_beta(device):
    c = ember.zeros(2, 2, dtype=ember.float64, device=device, requires_grad=True)
    a = ember.ones(2, 3, dtype=ember.float64, device=device, requires_grad=True)
    b = ember.ones(3, 2, dtype=ember.float64, device=device, requires_grad=True)
    ember.addmm(c, a, b, beta=0.5, alpha=3.0).sum().backward()
    assert c.grad.tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert a.grad.tolist() == [[6.0] * 3] * 2  # alpha * (sum over the 2 columns of b)


def test_integer_matmul(device):
    a = ember.tensor([[1, 2], [3, 4]], device=device)
    assert (a @ a).tolist() == [[7, 10], [15, 22]] and (a @ a).dtype is ember.int64
    assert ember.dot(ember.tensor([1, 2], device=device),
                     ember.tensor([3, 4], device=device)).item() == 11


def test_matmul_backward_1d_operands(device):
    a = ember.tensor([1.0, 2.0], dtype=ember.float64, device=device, requires_grad=True)
    m = ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=ember.float64, device=device,
                     requires_grad=True)
    (a @ m).sum().backward()
    assert a.grad.tolist() == [6.0, 15.0]          # row sums of m
    assert m.grad.tolist() == [[1.0] * 3, [2.0] * 3]


def test_dot_dtype_mismatch(device):
    with pytest.raises(RuntimeError, match="dot : expected both vectors to have same dtype"):
        ember.dot(ember.ones(3, device=device), ember.ones(3, dtype=ember.float64,
                                                           device=device))


def test_vdot_conjugates_first(device):
    a = ember.tensor([1 + 2j, 3 - 1j], device=device)
    b = ember.tensor([2 - 1j, 1j], device=device)
    want = np.vdot(np.array([1 + 2j, 3 - 1j]), np.array([2 - 1j, 1j]))
    assert_close(ember.vdot(a, b), ember.tensor(want, dtype=ember.complex64, device=device))


def test_einsum_size_one_broadcasts(device):
    a = make_tensor(3, 1, dtype=ember.float64, device=device, requires_grad=True)
    b = make_tensor(3, 4, dtype=ember.float64, device=device, requires_grad=True, seed=1)
    r = ember.einsum("ij,ij->ij", a, b)
    assert_close(r, a * b)
    assert gradcheck(lambda x, y: ember.einsum("ij,ij->i", x, y), (a, b))


def test_einsum_trace_and_diagonal_gradients(device):
    x = make_tensor(3, 3, dtype=ember.float64, device=device, requires_grad=True)
    ember.einsum("ii", x).backward()
    assert x.grad.tolist() == np.eye(3).tolist()
    for eq in ("ii->i", "ii", "ij->", "ij->ji"):
        assert gradgradcheck(lambda t, eq=eq: ember.einsum(eq, t), (x,))


def test_einsum_mixed_dtypes_promote(device):
    a = ember.ones(2, 3, device=device)
    b = ember.ones(3, dtype=ember.float64, device=device)
    assert ember.einsum("ij,j->i", a, b).dtype is ember.float64


def test_tensordot_tensor_dims(device):
    a, b = make_tensor(2, 3, 4, device=device), make_tensor(4, 3, 5, device=device, seed=1)
    r = ember.tensordot(a, b, dims=(ember.tensor([1, 2]), ember.tensor([1, 0])))
    want = np.tensordot(to_numpy(a).astype(np.float64), to_numpy(b).astype(np.float64),
                        ([1, 2], [1, 0]))
    assert_close(r, ember.tensor(want, dtype=ember.float32, device=device), rtol=1e-5)


def test_cross_rejects_different_ndims(device):
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        ember.cross(ember.ones(3, device=device), ember.ones(2, 3, device=device), dim=-1)


def test_matmul_rejects_non_tensors(device):
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        ember.matmul(ember.ones(2, device=device), [1.0, 2.0])


@pytest.mark.parametrize("transpose", [False, True], ids=["contiguous", "strided"])
def test_batched_input_times_matrix_is_one_gemm_with_exact_gradients(transpose, device):
    # (..., M, K) @ (K, N), as nn.Linear on sequences: the forward flattens the batch into one
    # GEMM and the weight gradient is one GEMM over the flattened batch; both against float64
    rng = np.random.default_rng(3)
    xa = rng.standard_normal((4, 3, 2, 5))
    wa = rng.standard_normal((5, 6))
    x = ember.tensor(xa.transpose(1, 0, 2, 3).copy() if transpose else xa, device=device,
                     requires_grad=True)
    xv = x.transpose(0, 1) if transpose else x
    w = ember.tensor(wa, device=device, requires_grad=True)
    y = xv @ w
    gy = rng.standard_normal(y.shape)
    y.backward(ember.tensor(gy, device=device))
    np.testing.assert_allclose(to_numpy(y), xa @ wa, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(w.grad),
                               xa.reshape(-1, 5).T @ gy.reshape(-1, 6), rtol=1e-12)
    gx = gy @ wa.T
    np.testing.assert_allclose(to_numpy(x.grad), gx.transpose(1, 0, 2, 3) if transpose else gx,
                               rtol=1e-12)
    assert gradgradcheck(lambda a, b: (a.transpose(0, 1) if transpose else a) @ b, (x, w))
    empty = ember.zeros(2, 3, 0, device=device, requires_grad=True) @ ember.zeros(
        0, 4, device=device, requires_grad=True)
    assert empty.shape == (2, 3, 4) and not empty.any()
