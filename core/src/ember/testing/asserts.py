"""``assert_close``, ``make_tensor`` and the device under test."""

from __future__ import annotations

import os

import numpy as np

from .. import _dtype as T
from .._tensor import Tensor

__all__ = ["assert_close", "make_tensor", "test_device", "to_numpy"]

# (rtol, atol) by dtype, as PyTorch's assert_close defaults
_TOL = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
        "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def test_device() -> str:
    """The device the suite runs on: ``$EMBER_TEST_DEVICE`` or ``"cpu"``."""
    return os.environ.get("EMBER_TEST_DEVICE", "cpu") or "cpu"


test_device.__test__ = False  # not a pytest test despite the name


def to_numpy(x):
    """Host numpy array of a tensor / cupy array / array-like."""
    if isinstance(x, Tensor):
        x = x._data
    if hasattr(x, "get") and not isinstance(x, np.ndarray):
        x = x.get()
    return np.asarray(x)


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan: bool = True,
                 check_dtype: bool = True, check_device: bool = True, msg: str | None = None):
    """Assert ``|actual - expected| <= atol + rtol * |expected|`` elementwise.

    Tolerances default by the dtype of ``actual`` (PyTorch's table); shapes must match;
    with ``check_dtype`` two tensors must have the same dtype, and with ``check_device``
    the same device.
    """
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        if check_dtype and actual.dtype is not expected.dtype:
            raise AssertionError(f"The values for attribute 'dtype' do not match: "
                                 f"{actual.dtype} != {expected.dtype}.")
        if check_device and actual.device != expected.device:
            raise AssertionError(f"The values for attribute 'device' do not match: "
                                 f"{actual.device} != {expected.device}.")
    a, e = to_numpy(actual), to_numpy(expected)
    if a.shape != e.shape:
        raise AssertionError(f"The values for attribute 'shape' do not match: {a.shape} != "
                             f"{e.shape}." + (f"\n{msg}" if msg else ""))
    name = a.dtype.name if a.dtype.kind in "fc" else None
    r0, a0 = _TOL.get(name, (0.0, 0.0))
    rtol = r0 if rtol is None else rtol
    atol = a0 if atol is None else atol
    if a.dtype.kind == "b" or e.dtype.kind == "b":
        ok = a == e
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            a64 = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
            e64 = e.astype(np.complex128 if e.dtype.kind == "c" else np.float64)
            ok = np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=equal_nan)
            ok |= (a64 == e64)  # equal infinities
    if not np.all(ok):
        bad = np.argwhere(~np.asarray(ok))
        i = tuple(bad[0]) if bad.size else ()
        diff = np.abs(a.astype(np.float64) - e.astype(np.float64)) if a.dtype.kind != "c" \
            else np.abs(a - e)
        raise AssertionError(
            f"Tensor-likes are not close!\nMismatched elements: {len(bad)} / {a.size}\n"
            f"Greatest absolute difference: {np.nanmax(diff) if diff.size else 0}\n"
            f"First mismatch at index {i}: actual {a[i]!r}, expected {e[i]!r} "
            f"(rtol={rtol}, atol={atol})" + (f"\n{msg}" if msg else ""))


def make_tensor(*shape, dtype=T.float32, device=None, low=None, high=None,
                requires_grad: bool = False, seed: int = 0, exclude_zero: bool = False):
    """A deterministic random tensor with values in ``[low, high)`` (default ``[-9, 9)``
    for floats, ``[-9, 10)`` for ints, ``{False, True}`` for bool)."""
    from ..ops.creation import tensor
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    rng = np.random.default_rng(seed)
    dt = T.to_dtype(dtype)
    lo = -9 if low is None else low
    hi = 9 if high is None else high
    if dt is T.bool:
        arr = rng.integers(0, 2, shape).astype(bool)
    elif dt._kind == 1:
        lo = max(lo, 0) if dt is T.uint8 else lo
        arr = rng.integers(int(lo), int(hi) + (1 if high is None else 0), shape).astype(dt.np)
    elif dt.is_complex:
        arr = (rng.uniform(lo, hi, shape) + 1j * rng.uniform(lo, hi, shape)).astype(dt.np)
    else:
        arr = rng.uniform(lo, hi, shape).astype(dt.np)
    if exclude_zero and dt is not T.bool:
        arr = np.where(arr == 0, 1, arr).astype(dt.np)
    t = tensor(arr, device=device or test_device())
    if requires_grad:
        t.requires_grad_(True)
    return t
