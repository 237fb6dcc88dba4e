"""Op records for the linalg family (see :mod:`ember.testing.op_db`).

Inputs are generated here as numpy arrays so that they are well conditioned (``random + n I``),
symmetric positive-definite, or symmetric with distinct eigenvalues, as each op needs.
Decompositions are checked through quantities that do not depend on the sign (phase)
freedom of their factors: reconstructions, orthogonality, sign-normalized factors, and
elementwise squares of singular vectors / eigenvectors.  References are numpy in float64;
the determinant's is an LU product computed here.
"""

from __future__ import annotations

import math

import numpy as np

from ..op_record import ErrorInput, OpRecord

_rng = np.random.default_rng(20240611)
_INT = np.ones((3, 3), np.int64)
_SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
_NOT_PD = np.diag([1.0, 1.0, -1.0])


def _uniform(*shape):
    return _rng.uniform(-1.0, 1.0, shape)


def _wc(*shape):
    """Well-conditioned square matrices: uniform(-1, 1) plus n on the diagonal."""
    return _uniform(*shape) + shape[-1] * np.eye(shape[-1])


def _spd(*shape):
    a = _uniform(*shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _sym(*shape):
    """Symmetric matrices with well-separated eigenvalues (diagonal 0, 2, 4, … plus noise)."""
    a = 0.2 * _uniform(*shape)
    return a + np.swapaxes(a, -1, -2) + np.diag(2.0 * np.arange(shape[-1]))


def _T(a):
    return np.swapaxes(a, -1, -2)


def _batched(fn, a, *rest):
    """Apply a 2-D numpy reference over leading batch dims (test code: loops are fine)."""
    if a.ndim == 2:
        return fn(a, *rest)
    return np.stack([_batched(fn, a[i], *[r[i] for r in rest]) for i in range(a.shape[0])])


def _lu_det(a):
    """Determinant as the signed product of the pivots of LU with partial pivoting."""
    def one(m):
        m = m.astype(np.float64).copy()
        n, sign = m.shape[0], 1.0
        for k in range(n):
            p = k + int(np.argmax(np.abs(m[k:, k])))
            if m[p, k] == 0:
                return 0.0
            if p != k:
                m[[k, p]] = m[[p, k]]
                sign = -sign
            m[k + 1:] -= np.outer(m[k + 1:, k] / m[k, k], m[k])
        return sign * float(np.prod(np.diag(m)))
    return np.asarray(_batched(lambda m: np.asarray(one(m)), a))


# ---------------------------------------------------------------------- op helpers
def _sym_lib(A):
    """The symmetric part of square float ``A`` (others pass through to hit the op's checks):
    the ops read one triangle, so gradcheck must perturb both symmetrically."""
    if A.is_floating_point() and A.ndim >= 2 and A.shape[-1] == A.shape[-2]:
        return (A + A.mT) / 2
    return A


def _qr_canon(lib, A, mode="reduced"):
    """Q and R with R's diagonal made non-negative (the unique QR of a full-rank A)."""
    Q, R = lib.linalg.qr(A, mode=mode)
    k = min(A.shape[-2], A.shape[-1])
    s = R.diagonal(0, -2, -1).sign()
    Qk = Q[..., :k] * s.unsqueeze(-2)
    return Qk, R[..., :k, :] * s.unsqueeze(-1), R.tril(-1)


def _qr_ref(a, mode="reduced"):
    Q, R = np.linalg.qr(a)
    s = np.sign(np.diagonal(R, 0, -2, -1))
    return Q * s[..., None, :], R * s[..., :, None], np.zeros(np.linalg.qr(a, mode=mode)[1].shape)


def _svd_op(lib, A):
    U, S, Vh = lib.linalg.svd(A, full_matrices=False)
    return S, (U * S.unsqueeze(-2)) @ Vh, U * U, Vh * Vh, U.mT @ U


def _svd_ref(a):
    U, S, Vh = np.linalg.svd(a, full_matrices=False)
    return S, a, U * U, Vh * Vh, np.broadcast_to(np.eye(S.shape[-1]), S.shape + S.shape[-1:])


def _eigh_op(lib, A, UPLO="L"):
    w, V = lib.linalg.eigh(_sym_lib(A), UPLO=UPLO)
    return w, V * V, (V * w.unsqueeze(-2)) @ V.mT


def _eigh_ref(a, UPLO="L"):
    s = (a + _T(a)) / 2
    w, V = np.linalg.eigh(s)
    return w, V * V, s


def _pnorm(a, p, axis=None, keepdims=False):
    x = np.abs(a)
    if p == math.inf:
        return x.max(axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return x.min(axis=axis, keepdims=keepdims)
    if p == 0:
        return (x != 0).sum(axis=axis, keepdims=keepdims).astype(np.float64)
    return (x ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


def _expm_ref(a):
    """exp(A) = V diag(exp(w)) V^-1 from numpy's (complex) eigen-decomposition."""
    def one(m):
        w, V = np.linalg.eig(m)
        return (V @ np.diag(np.exp(w)) @ np.linalg.inv(V)).real
    return _batched(one, a)


def _cdist_ref(x1, x2, p=2.0, **kw):
    d = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(np.float64)
    if p == math.inf:
        return d.max(-1)
    return (d ** p).sum(-1) ** (1.0 / p)


def _lstsq_ref(a, b):
    return _batched(lambda m, r: np.linalg.lstsq(m, r, rcond=None)[0], a, b)


_SQ_ERR = [ErrorInput(((2, 3),), RuntimeError,
                      r"A must be batches of square matrices, but they are 2 by 3 matrices"),
           ErrorInput(((3,),), RuntimeError, r"The input tensor A must have at least 2 dim"),
           ErrorInput((_INT,), RuntimeError, r"Expected a floating point or complex tensor as "
                      r"input\. Got Long")]


def _errs(op_name):
    return [ErrorInput(e.args, e.exc, f"{op_name}: " + e.match, e.kwargs) for e in _SQ_ERR]


_TOL = {"rtol32": 1e-4, "atol32": 1e-4}
INF = math.inf

RECORDS: list[OpRecord] = [
    # ------------------------------------------------------------------ inverses, solves
    OpRecord("linalg.inv", lambda lib, A: lib.linalg.inv(A), np.linalg.inv,
             samples=[(_wc(3, 3),), (_wc(2, 4, 4),), (_wc(1, 1),)], **_TOL,
             errors=_errs("linalg.inv") + [
                 ErrorInput((_SINGULAR,), RuntimeError, r"linalg\.inv: The diagonal element 2 "
                            r"is zero, the inversion could not be completed because the input "
                            r"matrix is singular\."),
                 ErrorInput((np.stack([np.eye(2), _SINGULAR]),), RuntimeError,
                            r"\(Batch element 1\): The diagonal element 2 is zero")]),
    OpRecord("linalg.inv_ex", lambda lib, A: lib.linalg.inv_ex(A).inverse, np.linalg.inv,
             samples=[(_wc(2, 3, 3),)], **_TOL),
    OpRecord("inverse", lambda lib, A: A.inverse(), np.linalg.inv, samples=[(_wc(3, 3),)],
             **_TOL),
    OpRecord("linalg.det", lambda lib, A: lib.linalg.det(A), _lu_det,
             samples=[(_wc(3, 3),), (_uniform(2, 3, 4, 4),), (_wc(1, 1),)], **_TOL,
             errors=_errs("linalg.det")),
    OpRecord("det_method", lambda lib, A: A.det(), _lu_det, samples=[(_uniform(3, 3),)],
             **_TOL),
    OpRecord("linalg.slogdet", lambda lib, A: tuple(lib.linalg.slogdet(A)),
             lambda a: (np.sign(_lu_det(a)), np.log(np.abs(_lu_det(a)))),
             samples=[(_uniform(3, 3),), (_wc(2, 4, 4) - 8 * np.eye(4),)], **_TOL,
             errors=_errs("linalg.slogdet")),
    OpRecord("logdet", lambda lib, A: lib.logdet(A), lambda a: np.log(_lu_det(a)),
             samples=[(_spd(3, 3),), (_spd(2, 2, 2),)], **_TOL),
    OpRecord("linalg.solve", lambda lib, A, B, **kw: lib.linalg.solve(A, B, **kw),
             lambda a, b, left=True: np.linalg.solve(a, b) if left else
             _T(np.linalg.solve(_T(a), _T(b))),
             samples=[(_wc(3, 3), (3, 2)), (_wc(2, 3, 3), (3, 1)), (_wc(3, 3), (2, 2, 3, 4)),
                      (_wc(3, 3), (2, 3))],
             sample_kwargs=[{}, {}, {}, {"left": False}], **_TOL,
             errors=[ErrorInput((_wc(2, 2), (3,)), RuntimeError,
                                r"linalg\.solve: Incompatible shapes of A and B for the "
                                r"equation AX = B \(2x2 and 3x1\)"),
                     ErrorInput((_SINGULAR, (2,)), RuntimeError,
                                r"linalg\.solve: The solver failed because the input matrix "
                                r"is singular"),
                     ErrorInput(((2, 3), (2,)), RuntimeError,
                                r"A must be batches of square matrices")]),
    OpRecord("linalg.solve_vector", lambda lib, A, b: lib.linalg.solve(A, b),
             lambda a, b: np.linalg.solve(a, b[..., None])[..., 0],
             samples=[(_wc(3, 3), (3,)), (_wc(2, 3, 3), (2, 3))], **_TOL),
    OpRecord("linalg.solve_triangular",
             lambda lib, A, B, **kw: lib.linalg.solve_triangular(A, B, **kw),
             lambda a, b, upper, left=True, unitriangular=False: (
                 lambda t: np.linalg.solve(t, b) if left else _T(np.linalg.solve(_T(t), _T(b))))(
                 (np.triu(a) if upper else np.tril(a)) * (1 - np.eye(a.shape[-1]))
                 + (np.eye(a.shape[-1]) if unitriangular else np.eye(a.shape[-1]) * a)),
             samples=[(_wc(3, 3), (3, 2)), (_wc(2, 3, 3), (3, 2)), (_wc(3, 3), (2, 3)),
                      (_uniform(3, 3), (3, 1))],
             sample_kwargs=[{"upper": True}, {"upper": False}, {"upper": True, "left": False},
                            {"upper": False, "unitriangular": True}], **_TOL,
             errors=[ErrorInput(((3, 3), (3,)), RuntimeError,
                                r"The input tensor B must have at least 2 dimensions",
                                {"upper": True})]),
    # ------------------------------------------------------------------ factorizations
    OpRecord("linalg.cholesky", lambda lib, A, **kw: lib.linalg.cholesky(_sym_lib(A), **kw),
             lambda a, upper=False: (lambda L: _T(L) if upper else L)(
                 np.linalg.cholesky((a + _T(a)) / 2)),
             samples=[(_spd(3, 3),), (_spd(2, 4, 4),), (_spd(3, 3),)],
             sample_kwargs=[{}, {}, {"upper": True}], **_TOL,
             errors=_errs("linalg.cholesky") + [
                 ErrorInput((_NOT_PD,), RuntimeError,
                            r"linalg\.cholesky: The factorization could not be completed because "
                            r"the input is not positive-definite \(the leading minor of order 3 "
                            r"is not positive-definite\)\."),
                 ErrorInput((np.stack([np.eye(3), _NOT_PD]),), RuntimeError,
                            r"\(Batch element 1\): The factorization")]),
    OpRecord("linalg.cholesky_ex", lambda lib, A: lib.linalg.cholesky_ex(_sym_lib(A)).L,
             lambda a: np.linalg.cholesky((a + _T(a)) / 2), samples=[(_spd(2, 3, 3),)],
             **_TOL),
    OpRecord("linalg.qr", lambda lib, A, **kw: _qr_canon(lib, A, **kw), _qr_ref,
             samples=[(_uniform(4, 3),), (_uniform(2, 3, 3),), (_uniform(3, 5),)], **_TOL,
             errors=[ErrorInput(((3, 3),), RuntimeError, r"qr received unrecognized mode 'x'",
                                {"mode": "x"}),
                     ErrorInput((_INT,), RuntimeError, r"Expected a floating point")]),
    OpRecord("linalg.qr_products",
             lambda lib, A, mode: (lambda q, r: (q @ r, q.mT @ q))(*lib.linalg.qr(A, mode)),
             lambda a, mode: (a, np.eye(a.shape[-2] if mode == "complete" else min(a.shape))),
             samples=[((4, 3), "reduced"), ((3, 3), "complete"), ((3, 4), "complete")],
             **_TOL),
    OpRecord("qr_method", lambda lib, A: _qr_canon(lib, A)[:2], lambda a: _qr_ref(a)[:2],
             samples=[(_uniform(4, 3),)], **_TOL),
    OpRecord("linalg.svd", _svd_op, _svd_ref,
             samples=[(_uniform(4, 3),), (_uniform(3, 5),), (_uniform(2, 3, 3),)], **_TOL,
             errors=[ErrorInput((_INT,), RuntimeError, r"linalg\.svd: Expected a floating "
                                r"point or complex tensor as input\. Got Long"),
                     ErrorInput(((3,),), RuntimeError, r"at least 2 dimensions")]),
    OpRecord("linalg.svd_full",
             lambda lib, A: (lambda r: (r.U.mT @ r.U, r.Vh @ r.Vh.mT, r.S))(lib.linalg.svd(A)),
             lambda a: (np.eye(a.shape[0]), np.eye(a.shape[1]), np.linalg.svd(a)[1]),
             samples=[(_uniform(4, 3),), (_uniform(2, 5),)], **_TOL,
             # NOTE: the extra columns of U / rows of Vh are not unique; like PyTorch, ember
             # differentiates through the first min(m, n) only, so no gradient check here
             grad=False),
    OpRecord("svd_legacy", lambda lib, A: (lambda r: (r.S, (r.U * r.S.unsqueeze(-2)) @ r.V.mT))(
        lib.svd(A)), lambda a: (np.linalg.svd(a)[1], a), samples=[(_uniform(4, 3),)], **_TOL),
    OpRecord("linalg.svdvals", lambda lib, A: lib.linalg.svdvals(A),
             lambda a: np.linalg.svd(a, compute_uv=False),
             samples=[(_uniform(3, 4),), (_uniform(2, 4, 2),)], **_TOL),
    OpRecord("linalg.eigh", _eigh_op, _eigh_ref,
             samples=[(_sym(3, 3),), (_sym(2, 4, 4),), (_sym(3, 3), "U")], **_TOL,
             errors=_errs("linalg.eigh") + [
                 ErrorInput(((2, 2), "X"), RuntimeError,
                            r"Expected UPLO argument to be 'L' or 'U', but got X")]),
    OpRecord("linalg.eigvalsh", lambda lib, A: lib.linalg.eigvalsh(_sym_lib(A)),
             lambda a: np.linalg.eigvalsh((a + _T(a)) / 2), samples=[(_sym(4, 4),)], **_TOL),
    # ------------------------------------------------------------------ pseudo-inverse, rank
    OpRecord("linalg.pinv", lambda lib, A, hermitian=False: lib.linalg.pinv(
        _sym_lib(A) if hermitian else A, hermitian=hermitian),
             lambda a, hermitian=False: np.linalg.pinv(a, hermitian=hermitian),
             samples=[(_uniform(4, 3),), (_uniform(2, 3, 5),), (_spd(3, 3),)],
             sample_kwargs=[{}, {}, {"hermitian": True}], **_TOL,
             errors=[ErrorInput((_INT,), RuntimeError, r"linalg\.pinv: Expected a floating")]),
    OpRecord("pinverse", lambda lib, A: lib.pinverse(A), np.linalg.pinv,
             samples=[(_uniform(3, 4),)], **_TOL),
    OpRecord("linalg.matrix_rank", lambda lib, A, **kw: lib.linalg.matrix_rank(A, **kw),
             lambda a, **kw: np.asarray(np.linalg.matrix_rank(a, **kw)),
             samples=[(_uniform(3, 4),), (_uniform(4, 2) @ _uniform(2, 4),),
                      (np.stack([_SINGULAR, np.eye(2)]),), (_spd(3, 3),)],
             sample_kwargs=[{}, {}, {}, {"hermitian": True}], grad=False),
    OpRecord("linalg.lstsq", lambda lib, A, B: lib.linalg.lstsq(A, B).solution, _lstsq_ref,
             samples=[(_uniform(5, 3), (5, 2)), (_uniform(3, 3) + 3 * np.eye(3), (3, 1))],
             **_TOL),
    # ------------------------------------------------------------------ products
    OpRecord("linalg.matrix_power", lambda lib, A, n: lib.linalg.matrix_power(A, n),
             lambda a, n: np.linalg.matrix_power(a, n),
             samples=[((3, 3), 3), ((2, 3, 3), 0), (_wc(3, 3), -2), ((2, 2), 1)], **_TOL,
             errors=[ErrorInput(((2, 3), 2), RuntimeError, r"linalg\.matrix_power: A must be "
                                r"batches of square matrices, but they are 2 by 3 matrices")]),
    OpRecord("matrix_power_method", lambda lib, A: A.matrix_power(2),
             lambda a: a @ a, samples=[((3, 3),)], **_TOL),
    OpRecord("linalg.matrix_exp", lambda lib, A: lib.linalg.matrix_exp(A), _expm_ref,
             samples=[((3, 3),), ((2, 2, 2),), (3 * _uniform(4, 4),)], **_TOL,
             errors=_errs("linalg.matrix_exp")[:1]),
    OpRecord("linalg.multi_dot", lambda lib, *ts: lib.linalg.multi_dot(list(ts)),
             lambda *a: np.linalg.multi_dot(list(a)),
             samples=[((2, 3), (3, 4)), ((3,), (3, 4), (4, 2), (2,)), ((5, 2), (2, 6), (6, 3))],
             **_TOL,
             errors=[ErrorInput(((2, 3),), RuntimeError, r"expected at least 2 tensors but "
                                r"got 1"),
                     ErrorInput(((2, 3), (4, 3)), RuntimeError, r"multi_dot\(\): tensors 0 and "
                                r"1 with shapes \[2, 3\] and \[4, 3\] cannot be multiplied"),
                     ErrorInput(((2, 3, 3), (3,)), RuntimeError, r"the first tensor must be 1D "
                                r"or 2D but got 3D")]),
    OpRecord("linalg.vecdot", lambda lib, x, y, **kw: lib.linalg.vecdot(x, y, **kw),
             lambda x, y, dim=-1: (x * y).sum(dim),
             samples=[((2, 3), (3,)), ((4, 2), (4, 2))], sample_kwargs=[{}, {"dim": 0}]),
    OpRecord("linalg.cross", lambda lib, x, y, **kw: lib.linalg.cross(x, y, **kw),
             lambda x, y, dim=-1: np.cross(x, y, axis=dim),
             samples=[((2, 3), (1, 3)), ((3, 4), (3, 4))], sample_kwargs=[{}, {"dim": 0}],
             errors=[ErrorInput(((2, 2), (2, 2)), RuntimeError, r"linalg\.cross: inputs "
                                r"dimension -1 must have length 3\. Got 2 and 2"),
                     ErrorInput(((2, 3), (3,)), RuntimeError, r"inputs must have the same "
                                r"number of dimensions")]),
    # ------------------------------------------------------------------ norms
    OpRecord("linalg.vector_norm", lambda lib, x, **kw: lib.linalg.vector_norm(x, **kw),
             lambda x, ord=2, dim=None, keepdim=False: _pnorm(x, ord, dim, keepdim),
             samples=[((3, 4),)] * 10,
             sample_kwargs=[{}, {"ord": 1, "dim": 1}, {"ord": INF}, {"ord": -INF, "dim": 0},
                            {"ord": 3, "dim": (0, 1), "keepdim": True}, {"ord": 0.5},
                            {"ord": -1.5, "dim": -1}, {"ord": 0, "dim": 1},
                            {"ord": 2, "dim": -1, "keepdim": True}, {"ord": 4.0, "dim": (1,)}],
             errors=[ErrorInput((np.ones(3, np.int64),), RuntimeError,
                                r"linalg\.vector_norm: Expected a floating point or complex "
                                r"tensor as input\. Got Long"),
                     ErrorInput(((0,),), RuntimeError, r"cannot compute the inf norm on an "
                                r"empty tensor", {"ord": INF})]),
    OpRecord("linalg.matrix_norm", lambda lib, A, **kw: lib.linalg.matrix_norm(A, **kw),
             lambda a, ord="fro", dim=(-2, -1), keepdim=False: np.linalg.norm(
                 a, ord, dim, keepdim),
             samples=[((3, 4),), ((2, 3, 4),), ((3, 4),), ((3, 4),), ((3, 2, 4),), ((3, 4),),
                      ((3, 4),), ((2, 3, 4),)],
             sample_kwargs=[{}, {"ord": "nuc"}, {"ord": 2}, {"ord": -2},
                            {"ord": 1, "dim": (2, 0), "keepdim": True}, {"ord": -1},
                            {"ord": INF}, {"ord": -INF, "dim": (0, 2)}], **_TOL,
             errors=[ErrorInput(((3, 3),), RuntimeError, r"linalg\.matrix_norm: Order 3 not "
                                r"supported\.", {"ord": 3}),
                     ErrorInput(((3,),), RuntimeError, r"linalg\.matrix_norm: The input tensor "
                                r"A must have at least 2 dimensions\."),
                     ErrorInput(((2, 3),), RuntimeError, r"dim must be a 2-tuple\. Got 1",
                                {"dim": 1})]),
    OpRecord("linalg.norm", lambda lib, A, **kw: lib.linalg.norm(A, **kw),
             lambda a, ord=None, dim=None, keepdim=False: np.linalg.norm(
                 a if dim is not None or ord is not None else a.reshape(-1), ord, dim, keepdim),
             samples=[((2, 3, 4),), ((3, 4),), ((4,),), ((2, 3, 4),), ((2, 3, 4),)],
             sample_kwargs=[{}, {"ord": "nuc"}, {"ord": 3}, {"dim": (0, 2), "ord": INF},
                            {"dim": 1, "ord": 1, "keepdim": True}], **_TOL,
             errors=[ErrorInput(((2, 3, 4),), RuntimeError, r"linalg\.norm: If dim is not "
                                r"specified but ord is, the input must be 1D or 2D\. Got 3D\.",
                                {"ord": 2}),
                     ErrorInput(((2, 3, 4),), RuntimeError, r"If dim is specified, it must be "
                                r"of length 1 or 2\. Got \[0, 1, 2\]", {"dim": (0, 1, 2)})]),
    OpRecord("norm_legacy", lambda lib, x, **kw: lib.norm(x, **kw),
             lambda x, p="fro", dim=None, keepdim=False: np.linalg.norm(x, "nuc", keepdims=keepdim)
             if p == "nuc" else _pnorm(x, 2 if p == "fro" else p, dim, keepdim),
             samples=[((2, 3, 4),), ((3, 4),), ((3, 4),), ((2, 3, 4),)],
             sample_kwargs=[{}, {"p": "nuc"}, {"p": 1, "dim": 1}, {"p": 3, "dim": (0, 1)}],
             **_TOL),
    OpRecord("norm_method", lambda lib, x: x.norm(dim=0), lambda x: _pnorm(x, 2, 0),
             samples=[((3, 4),)]),
    OpRecord("dist", lambda lib, x, y, **kw: lib.dist(x, y, **kw),
             lambda x, y, p=2: _pnorm(x - y, p), samples=[((3, 4), (4,)), ((3, 4), (3, 4))],
             sample_kwargs=[{}, {"p": 1.5}]),
    OpRecord("cdist", lambda lib, x, y, **kw: lib.cdist(x, y, **kw), _cdist_ref,
             samples=[((2, 3, 4), (5, 4)), ((3, 4), (5, 4)), ((3, 4), (5, 4)), ((30, 2), (4, 2)),
                      ((3, 4), (5, 4)), ((3, 4), (2, 5, 4))],
             sample_kwargs=[{}, {"p": 1.0}, {"p": INF}, {},
                            {"compute_mode": "use_mm_for_euclid_dist"}, {"p": 3.0}], **_TOL,
             errors=[ErrorInput(((2, 3), (4, 2)), RuntimeError, r"X1 and X2 must have the same "
                                r"number of columns\. X1: 3 X2: 2"),
                     ErrorInput(((3,), (3,)), RuntimeError, r"cdist only supports at least 2D "
                                r"tensors, X1 got: 1D"),
                     ErrorInput(((2, 3), (4, 3)), RuntimeError, r"cdist only supports "
                                r"non-negative p values", {"p": -1.0})]),
]
