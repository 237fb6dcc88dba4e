"""What the op table cannot express: LinAlgError and ``info`` outputs, gradients at special
points (zero vectors, ties, zero distances), backward restrictions (qr modes, singular det),
legacy top-level APIs and Tensor methods, batching, dtypes, broadcasting and complex inputs.
Reference values are hand-derived or numpy float64."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.testing import assert_close

L = ember.linalg


def T(data, device, dtype=ember.float64, requires_grad=False):
    return ember.tensor(np.asarray(data), dtype=dtype, device=device,
                        requires_grad=requires_grad)


# ---------------------------------------------------------------------- errors and info
def test_linalg_error_is_a_runtime_error():
    assert issubclass(L.LinAlgError, RuntimeError)
    assert L.LinAlgError.__module__ == "ember.linalg"


def test_inv_singular_raises_linalg_error(device):
    A = T([[1.0, 2.0], [2.0, 4.0]], device)
    with pytest.raises(L.LinAlgError, match=r"The diagonal element 2 is zero"):
        L.inv(A)
    with pytest.raises(RuntimeError, match=r"linalg\.inv"):
        ember.inverse(A)


def test_inv_singular_first_pivot_index(device):
    # column 0 is zero: LU stops at the first pivot
    A = T([[0.0, 1.0, 2.0], [0.0, 3.0, 4.0], [0.0, 5.0, 6.0]], device)
    with pytest.raises(L.LinAlgError, match=r"The diagonal element 1 is zero"):
        L.inv(A)


def test_inv_ex_info_and_values(device):
    A = T(np.stack([2 * np.eye(2), [[1.0, 2.0], [2.0, 4.0]]]), device)
    res = L.inv_ex(A)
    assert res.info.dtype is ember.int32
    assert res.info.tolist() == [0, 2]
    assert_close(res.inverse[0], T(0.5 * np.eye(2), device))
    assert bool(res.inverse[1].isnan().all())
    with pytest.raises(L.LinAlgError, match=r"\(Batch element 1\)"):
        L.inv_ex(A, check_errors=True)


def test_cholesky_ex_info(device):
    A = T(np.stack([4 * np.eye(3), np.diag([1.0, -1.0, 1.0])]), device)
    res = L.cholesky_ex(A)
    assert res.info.tolist() == [0, 2]
    assert_close(res.L[0], T(2 * np.eye(3), device))
    assert L.cholesky_ex(T(np.eye(2), device)).info.item() == 0


def test_integer_input_names_dtype():
    with pytest.raises(RuntimeError, match=r"linalg\.cholesky: Expected a floating point or "
                                           r"complex tensor as input\. Got Int"):
        L.cholesky(ember.ones(2, 2, dtype=ember.int32))
    with pytest.raises(RuntimeError, match=r"Got Long"):
        L.eigh(ember.ones(2, 2, dtype=ember.int64))


def test_solve_errors(device):
    A = T(np.eye(3), device)
    with pytest.raises(RuntimeError, match=r"Expected A and B to have the same dtype, but found "
                                           r"A of type Double and B of type Float"):
        L.solve(A, T(np.ones(3), device, ember.float32))
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of "
                                           r"tensor b \(3\) at non-singleton dimension 0"):
        L.solve(T(np.ones((2, 3, 3)) + np.eye(3), device), T(np.ones((3, 3, 1)), device))


def test_solve_broadcasts_batch_dims(device):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 1, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((4, 3, 2))
    X = L.solve(T(a, device), T(b, device))
    assert X.shape == (2, 4, 3, 2)
    assert_close(X, np.linalg.solve(np.broadcast_to(a, (2, 4, 3, 3)), np.broadcast_to(
        b, (2, 4, 3, 2))))


def test_batched_equals_unbatched(device):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 4, 4)) + 4 * np.eye(4)
    A = T(a, device)
    for fn in (L.inv, L.det, lambda x: L.matrix_norm(x, 2), lambda x: L.pinv(x),
               lambda x: L.matrix_exp(x)):
        batched = fn(A)
        single = ember.stack([fn(A[i]) for i in range(3)])
        assert_close(batched, single, rtol=1e-10, atol=1e-12)


def test_float32_stays_float32(device):
    A = T(np.eye(3) * 2, device, ember.float32)
    for r in (L.inv(A), L.det(A), L.cholesky(A), L.svd(A).S, L.eigh(A).eigenvectors,
              L.pinv(A), L.matrix_exp(A), L.norm(A), L.slogdet(A).logabsdet,
              L.solve(A, A[0])):
        assert r.dtype is ember.float32


def test_inputs_not_mutated(device):
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    A = T(a, device)
    for fn in (L.inv, L.det, L.cholesky, L.qr, L.svd, L.eigh, L.pinv, L.slogdet):
        fn(A)
    assert_close(A, a)


def test_complex_inverse_det_solve(device):
    a = np.array([[1 + 2j, 0.5], [1j, 3 - 1j]])
    A = T(a, device, ember.complex128)
    assert_close(L.inv(A), np.linalg.inv(a))
    assert_close(L.det(A), np.asarray(a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]))
    b = np.array([1.0 + 1j, 2.0])
    assert_close(L.solve(A, T(b, device, ember.complex128)), np.linalg.solve(a, b))
    assert_close(L.vector_norm(A), np.asarray(np.sqrt((np.abs(a) ** 2).sum())))
    assert L.vector_norm(A).dtype is ember.float64


# ---------------------------------------------------------------------- gradients
def test_det_gradient_is_cofactor_matrix(device):
    A = T([[4.0, 1.0], [2.0, 3.0]], device, requires_grad=True)
    L.det(A).backward()
    # d det / dA = cofactor matrix [[d, -c], [-b, a]]
    assert_close(A.grad, T([[3.0, -2.0], [-1.0, 4.0]], device))


def test_det_backward_at_singular_matrix_raises(device):
    A = T([[1.0, 2.0], [2.0, 4.0]], device, requires_grad=True)
    d = L.det(A)
    assert d.item() == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(L.LinAlgError, match=r"linalg\.det: the backward pass needs A to be "
                                            r"invertible"):
        d.backward()


def test_slogdet_and_logdet_special_values(device):
    s = L.slogdet(T([[1.0, 2.0], [2.0, 4.0]], device))
    assert s.sign.item() == 0.0 and s.logabsdet.item() == -math.inf
    assert math.isnan(ember.logdet(T([[-1.0, 0.0], [0.0, 2.0]], device)).item())
    assert ember.logdet(T([[0.0, 0.0], [0.0, 2.0]], device)).item() == -math.inf
    sl = ember.slogdet(T([[-1.0, 0.0], [0.0, 2.0]], device))
    assert type(sl).__name__ == "slogdet" and sl.sign.item() == -1.0
    assert sl.logabsdet.item() == pytest.approx(math.log(2.0))


def test_vector_norm_gradient_at_zero_is_zero(device):
    for ord in (2, 3, 0.5, -1.0):
        x = T(np.zeros(3), device, requires_grad=True)
        L.vector_norm(x, ord).backward()
        assert_close(x.grad, np.zeros(3))
    # a zero entry in a non-zero vector: p < 1 gives it a zero gradient, as PyTorch
    x = T([1.0, 0.0, 4.0], device, requires_grad=True)
    L.vector_norm(x, 0.5).backward()
    n = (1.0 + 2.0) ** 2
    assert_close(x.grad, np.array([n ** 0.5 * 1.0 ** -0.5, 0.0, n ** 0.5 * 4.0 ** -0.5]))


def test_inf_norm_gradient_splits_ties(device):
    x = T([1.0, -3.0, 3.0], device, requires_grad=True)
    L.vector_norm(x, math.inf).backward()
    assert_close(x.grad, np.array([0.0, -0.5, 0.5]))


def test_cdist_gradient_at_zero_distance(device):
    x1 = T([[0.0, 0.0]], device, requires_grad=True)
    x2 = T([[0.0, 0.0], [1.0, 1.0]], device, requires_grad=True)
    for mode in ("donot_use_mm_for_euclid_dist", "use_mm_for_euclid_dist"):
        x1.grad = x2.grad = None
        ember.cdist(x1, x2, compute_mode=mode).sum().backward()
        r = 1 / math.sqrt(2)
        assert_close(x1.grad, np.array([[-r, -r]]))
        assert_close(x2.grad, np.array([[0.0, 0.0], [r, r]]))


def test_cdist_mm_path_matches_direct(device):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((40, 5)), rng.standard_normal((30, 5))
    d = ember.cdist(T(a, device), T(b, device))  # > 25 rows: the GEMM path
    assert_close(d, np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1)), rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match=r"bad is not a valid value for compute_mode"):
        ember.cdist(T(a, device), T(b, device), compute_mode="bad")


def test_qr_backward_restrictions(device):
    A = T(np.arange(12.0).reshape(4, 3) + np.eye(4, 3), device, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"not differentiable when mode='complete' and "
                                           r"nrows > ncols"):
        L.qr(A, mode="complete").Q.sum().backward()
    with pytest.raises(RuntimeError, match=r"depends on Q, which is not computed when "
                                           r"mode='r'"):
        L.qr(A, mode="r").R.sum().backward()


def test_complex_decomposition_gradient_is_refused(device):
    A = T(np.eye(2) * (1 + 1j), device, ember.complex128, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"linalg\.svd: the derivative for complex inputs "
                                           r"is not implemented"):
        L.svd(A).S.sum().backward()


def test_eigh_gradient_of_eigenvalues(device):
    # d lambda_k / dA = v_k v_k^T
    a = np.array([[2.0, 1.0], [1.0, 2.0]])
    A = T(a, device, requires_grad=True)
    L.eigvalsh(A)[1].backward()
    v = np.array([1.0, 1.0]) / math.sqrt(2)
    assert_close(A.grad, np.outer(v, v))


def test_matrix_power_zero_is_identity_with_zero_gradient(device):
    A = T(np.arange(8.0).reshape(2, 2, 2), device, requires_grad=True)
    r = L.matrix_power(A, 0)
    assert_close(r, np.broadcast_to(np.eye(2), (2, 2, 2)))
    r.sum().backward()
    assert_close(A.grad, np.zeros((2, 2, 2)))


def test_matrix_power_integer(device):
    A = ember.tensor([[1, 1], [0, 1]], device=device)
    r = L.matrix_power(A, 5)
    assert r.dtype is ember.int64 and r.tolist() == [[1, 5], [0, 1]]
    with pytest.raises(RuntimeError, match=r"Got Long"):
        L.matrix_power(A, -1)


# ---------------------------------------------------------------------- legacy API, methods
def test_tensor_methods_exist(device):
    A = T([[4.0, 1.0], [1.0, 3.0]], device)
    assert_close(A.det(), np.asarray(11.0))
    assert_close(A.logdet(), np.asarray(math.log(11.0)))
    assert_close(A.inverse(), np.linalg.inv(A.cpu().numpy()))
    assert_close(A.pinverse(), np.linalg.inv(A.cpu().numpy()))
    assert_close(A.norm(), np.asarray(math.sqrt(27.0)))
    assert_close(A.norm(1), np.asarray(9.0))
    assert_close(A.matrix_power(2), A.cpu().numpy() @ A.cpu().numpy())
    Lc = A.cholesky()
    assert_close(Lc @ Lc.mT, A)
    assert_close(A.cholesky(upper=True), Lc.mT)
    q, r = A.qr()
    assert_close(q @ r, A)
    U, S, V = A.svd()
    assert_close(U @ ember.diag(S) @ V.mT, A)
    assert A.slogdet().sign.item() == 1.0
    assert_close(A.matrix_exp(), L.matrix_exp(A))


def test_legacy_svd_shapes(device):
    A = T(np.arange(6.0).reshape(3, 2), device)
    U, S, V = ember.svd(A)
    assert U.shape == (3, 2) and S.shape == (2,) and V.shape == (2, 2)
    U, S, V = ember.svd(A, some=False)
    assert U.shape == (3, 3) and V.shape == (2, 2)
    U, S, V = ember.svd(A, compute_uv=False)
    assert_close(U, np.zeros((3, 3)))
    assert_close(V, np.zeros((2, 2)))
    assert_close(S, np.linalg.svd(np.arange(6.0).reshape(3, 2), compute_uv=False))
    Q, R = ember.qr(A, some=False)
    assert Q.shape == (3, 3) and R.shape == (3, 2)


def test_legacy_norm_rules(device):
    x = T(np.arange(24.0).reshape(2, 3, 4) - 10, device)
    a = x.cpu().numpy()
    assert_close(ember.norm(x), np.asarray(np.sqrt((a ** 2).sum())))
    assert_close(ember.norm(x, dim=(1, 2)), np.sqrt((a ** 2).sum((1, 2))))
    assert_close(ember.norm(x, p="nuc", dim=(1, 2)), np.linalg.norm(a, "nuc", (1, 2)))
    assert_close(ember.norm(x, p=math.inf, dim=2, keepdim=True), np.abs(a).max(2, keepdims=True))
    assert_close(ember.dist(x, x + 1, p=1), np.asarray(24.0))


def test_norm_dtype_argument(device):
    x = T([3.0, 4.0], device, ember.float32)
    r = L.vector_norm(x, dtype=ember.float64)
    assert r.dtype is ember.float64 and r.item() == 5.0
    with pytest.raises(RuntimeError, match=r"dtype should be floating point or complex, but "
                                           r"got Long"):
        L.vector_norm(x, dtype=ember.int64)


# ---------------------------------------------------------------------- pinv, rank, lstsq
def test_pinv_rank_deficient_and_tolerances(device):
    a = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])
    assert_close(L.pinv(T(a, device)), np.linalg.pinv(a))
    b = np.stack([np.diag([1.0, 1e-3]), np.diag([1.0, 1e-3])])
    P = L.pinv(T(b, device), atol=T([0.0, 1e-2], device))
    assert_close(P[0], np.diag([1.0, 1e3]))
    assert_close(P[1], np.diag([1.0, 0.0]))
    assert L.matrix_rank(T(b, device), atol=1e-2).tolist() == [1, 1]
    assert L.matrix_rank(T(b, device), tol=1e-4).tolist() == [2, 2]
    assert L.matrix_rank(T(b, device), rtol=1e-2).tolist() == [1, 1]


def test_lstsq_outputs(device):
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    res = L.lstsq(T(a, device), T(b, device), driver="gelsd")
    x, resid, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    assert_close(res.solution, x)
    assert_close(res.residuals, resid)
    assert res.rank.item() == rank
    assert_close(res.singular_values, sv)
    plain = L.lstsq(T(a, device), T(b, device))
    assert plain.singular_values.shape == (0,)
    with pytest.raises(RuntimeError, match=r"parameter `driver` should be one of"):
        L.lstsq(T(a, device), T(b, device), driver="nope")


def test_multi_dot_order_does_not_change_result(device):
    rng = np.random.default_rng(6)
    mats = [rng.standard_normal(s) for s in ((10, 2), (2, 30), (30, 3), (3, 8))]
    r = L.multi_dot([T(m, device) for m in mats])
    assert_close(r, mats[0] @ mats[1] @ mats[2] @ mats[3], rtol=1e-10, atol=1e-10)


def test_namespace_exports():
    for name in ("norm", "det", "logdet", "slogdet", "inverse", "pinverse", "cholesky", "svd",
                 "qr", "dist", "cdist", "matrix_power", "matrix_exp", "linalg"):
        assert name in ember.__all__, name
    assert set(L.__all__) >= {"vector_norm", "matrix_norm", "inv", "inv_ex", "solve",
                              "cholesky_ex", "svdvals", "eigvalsh", "lstsq", "LinAlgError"}
