"""Shared pieces of ``ember.linalg``: input checks, LAPACK error reporting, small tensor helpers.

numpy raises ``numpy.linalg.LinAlgError`` without saying *where* a factorization broke down;
PyTorch's messages name the zero pivot or the failing leading minor and the batch element.
When a factorization fails we recompute that information on the host with a short
column-by-column LU / Cholesky (vectorized over the batch) — only on the error path.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as T
from .._tensor import Tensor

__all__ = ["LinAlgError"]


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (singular, not positive-definite …).

    A subclass of :class:`RuntimeError`, like PyTorch's ``torch.linalg.LinAlgError``.
    """


LinAlgError.__module__ = "ember.linalg"

# PyTorch's legacy scalar-type names, used in its "Got Long" style messages
_TYPE_NAMES = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
               "int8": "Char", "uint8": "Byte", "int16": "Short", "int32": "Int",
               "int64": "Long", "bool": "Bool", "complex64": "ComplexFloat",
               "complex128": "ComplexDouble"}


def type_name(t: Tensor) -> str:
    return _TYPE_NAMES.get(t.dtype.name, t.dtype.name)


def check_tensor(op: str, A, name: str = "A") -> None:
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(A).__name__}")


def check_float(op: str, A: Tensor) -> None:
    """RuntimeError naming the dtype unless ``A`` is a float32/float64/complex tensor."""
    check_tensor(op, A)
    if A._data.dtype.kind not in "fc" or A._data.dtype == np.float16:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{type_name(A)}")


def check_matrix(op: str, A: Tensor, square: bool = False, name: str = "A") -> None:
    """``A`` must be (a batch of) matrices, square when ``square``."""
    check_float(op, A)
    shape = A._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions.")
    if square and shape[-1] != shape[-2]:
        raise RuntimeError(f"{op}: {name} must be batches of square matrices, but they are "
                           f"{shape[-2]} by {shape[-1]} matrices")


def check_same(op: str, A: Tensor, B: Tensor) -> None:
    """Same device and dtype for the two operands (PyTorch does not promote in linalg)."""
    from ..ops._dispatch import check_same_device
    check_tensor(op, B, "B")
    check_same_device(op, A, B)
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{op}: Expected A and B to have the same dtype, but found A of "
                           f"type {type_name(A)} and B of type {type_name(B)} instead")


def check_uplo(UPLO: str) -> None:
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def check_real_grad(op: str, t: Tensor) -> None:
    """The decomposition gradients here are derived for real inputs only."""
    if t.is_complex():
        raise RuntimeError(f"{op}: the derivative for complex inputs is not implemented in "
                           "ember (see docs/differences.md)")


def host(a) -> np.ndarray:
    """A numpy copy of a numpy/cupy array (error paths only)."""
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


def lapack(xp, fn, *args, **kwargs):
    """Call ``xp.linalg`` routine ``fn``; on cupy, make it raise on failure like numpy does.

    NOTE: cupy only checks LAPACK's ``info`` under ``cupyx.errstate(linalg='raise')``, which
    synchronizes with the GPU (PyTorch's error-checking linalg functions synchronize too).
    """
    if xp is np:
        return fn(*args, **kwargs)
    import cupyx
    with cupyx.errstate(linalg="raise"):
        return fn(*args, **kwargs)


def linalg_errors(xp):
    """The exception types a failing numpy / cupy factorization raises."""
    if xp is np:
        return (np.linalg.LinAlgError,)
    return (np.linalg.LinAlgError, xp.linalg.LinAlgError)


# ---------------------------------------------------------------------- failure diagnosis
def lu_info(a) -> np.ndarray:
    """LAPACK ``getrf``'s ``info`` per matrix: the 1-based index of the first exactly-zero pivot
    of LU with partial pivoting, or 0.  ``a`` has shape ``(..., n, n)``; returns ``(...)``."""
    a = host(a).copy()
    batch, n = a.shape[:-2], a.shape[-1]
    a = a.reshape((-1, n, n))
    info = np.zeros(a.shape[0], np.int32)
    rows = np.arange(a.shape[0])
    for k in range(n):  # a loop over columns (error path only), vectorized over the batch
        col = np.abs(a[:, k:, k])
        p = k + np.argmax(col, axis=1)
        a[rows, k], a[rows, p] = a[rows, p].copy(), a[rows, k].copy()
        piv = a[:, k, k]
        zero = piv == 0
        info[(info == 0) & zero] = k + 1
        safe = np.where(zero, 1, piv)
        f = np.where(zero[:, None], 0, a[:, k + 1:, k] / safe[:, None])
        a[:, k + 1:, k + 1:] -= f[:, :, None] * a[:, k, None, k + 1:]
        a[:, k + 1:, k] = f
    return info.reshape(batch)


def cholesky_info(a, upper: bool = False):
    """``potrf``'s ``info`` (order of the first non-positive-definite leading minor, or 0) and
    the partial lower factor, per matrix, computed on the host."""
    a = host(a)
    if upper:
        a = np.swapaxes(a, -1, -2).conj()
    batch, n = a.shape[:-2], a.shape[-1]
    a = np.tril(a.reshape((-1, n, n)))
    L = np.zeros_like(a)
    info = np.zeros(a.shape[0], np.int32)
    for k in range(n):  # right-looking Cholesky, one column at a time, batched
        d = (a[:, k, k] - np.sum(L[:, k, :k] * L[:, k, :k].conj(), axis=1)).real
        bad = ~(d > 0)
        info[(info == 0) & bad] = k + 1
        dk = np.sqrt(np.where(bad, 1, d))
        L[:, k, k] = np.where(bad, np.nan, dk)
        below = a[:, k + 1:, k] - np.einsum("bij,bj->bi", L[:, k + 1:, :k], L[:, k, :k].conj())
        L[:, k + 1:, k] = below / dk[:, None]
    return info.reshape(batch), L.reshape(batch + (n, n))


def batch_prefix(info: np.ndarray) -> tuple:
    """``(prefix, code)`` of the first failing matrix: ``"(Batch element i): "`` when batched."""
    flat = info.reshape(-1)
    i = int(np.flatnonzero(flat)[0])
    return (f"(Batch element {i}): " if info.ndim else ""), int(flat[i])


def singular_error(op: str, a, what: str = "the inversion could not be completed") -> LinAlgError:
    info = lu_info(a)
    if not info.any():
        return LinAlgError(f"{op}: The input matrix is singular.")
    pre, k = batch_prefix(info)
    return LinAlgError(f"{op}: {pre}The diagonal element {k} is zero, {what} because the "
                       "input matrix is singular.")


def not_pd_error(op: str, info: np.ndarray) -> LinAlgError:
    pre, k = batch_prefix(info)
    return LinAlgError(f"{op}: {pre}The factorization could not be completed because the input "
                       f"is not positive-definite (the leading minor of order {k} is not "
                       "positive-definite).")


# ---------------------------------------------------------------------- tensor helpers
def eye_like(A: Tensor, n: int | None = None) -> Tensor:
    """The ``n x n`` identity in ``A``'s dtype and device (``n`` defaults to A's last dim)."""
    from ..ops.creation import eye
    return eye(A._data.shape[-1] if n is None else n, dtype=A.dtype, device=A.device)


def mH(t: Tensor) -> Tensor:
    return t.mT.conj() if t.is_complex() else t.mT


def real_dtype(dt: T.dtype) -> T.dtype:
    return {T.complex64: T.float32, T.complex128: T.float64}.get(dt, dt)
