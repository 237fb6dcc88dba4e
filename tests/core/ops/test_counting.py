"""Counting and bucketing: the op table (forward vs numpy float64 and errors) plus NaN
boundaries, output dtypes, 0-d and empty inputs, devices, and non-differentiability."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.ops import counting
from ember.testing import check_errors, check_op, to_numpy
from ember.testing.op_db import records

RECS = [r for r in records("sorting") if "counting" in r.tags]
NAN = float("nan")


@pytest.mark.parametrize("rec", RECS, ids=lambda r: r.name)
def test_op(rec, device):
    check_op(rec, device)


@pytest.mark.parametrize("rec", [r for r in RECS if r.errors], ids=lambda r: r.name)
def test_errors(rec, device):
    check_errors(rec, device)


def t(data, device, **kw):
    return ember.tensor(data, device=device, **kw)


def ls(x):
    return to_numpy(x).tolist()


# ---------------------------------------------------------------------- unique
def test_unique_plain_returns_tensor_flags_return_tuple(device):
    x = t([3, 1, 3], device)
    assert isinstance(ember.unique(x), ember.Tensor)
    u, inv, cnt = x.unique(return_inverse=True, return_counts=True)
    assert (ls(u), ls(inv), ls(cnt)) == ([1, 3], [1, 0, 1], [1, 2])
    u, cnt = ember.unique(x, sorted=False, return_counts=True)  # still sorted, as PyTorch CPU
    assert (ls(u), ls(cnt)) == ([1, 3], [1, 2])


def test_unique_0d_and_empty(device):
    u, inv, cnt = ember.unique(t(3.0, device), return_inverse=True, return_counts=True)
    assert u.shape == (1,) and inv.shape == () and ls(cnt) == [1]
    u, inv, cnt = ember.unique(ember.zeros(0, device=device), return_inverse=True,
                               return_counts=True)
    assert u.shape == inv.shape == cnt.shape == (0,)
    u, inv, cnt = ember.unique(ember.zeros(0, 3, device=device), dim=0, return_inverse=True,
                               return_counts=True)
    assert u.shape == (0, 3) and inv.shape == cnt.shape == (0,)


def test_unique_dim_on_0d_is_an_error(device):
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dim"):
        ember.unique(t(3.0, device), dim=0)


def test_unique_bool_and_results_on_device(device):
    u, cnt = ember.unique(t([True, False, True], device), return_counts=True)
    assert ls(u) == [False, True] and ls(cnt) == [1, 2]
    assert u.device == cnt.device == t([1], device).device


def test_unique_is_not_differentiable(device):
    x = t([1.0, 2.0, 1.0], device, requires_grad=True)
    assert not ember.unique(x).requires_grad
    assert not ember.unique_consecutive(x).requires_grad


def test_unique_consecutive_nan_and_2d_inverse(device):
    u, inv, cnt = ember.unique_consecutive(t([NAN, NAN, 1.0], device), return_inverse=True,
                                           return_counts=True)
    assert np.isnan(ls(u)[:2]).all() and ls(inv) == [0, 1, 2] and ls(cnt) == [1, 1, 1]
    u, inv, cnt = ember.unique_consecutive(ember.zeros(3, 2, device=device),
                                           return_inverse=True, return_counts=True)
    assert ls(u) == [0.0] and inv.shape == (3, 2) and ls(cnt) == [6]


# ---------------------------------------------------------------------- bincount
@pytest.mark.parametrize("wdt,out", [(ember.float32, ember.float32), (ember.float64, ember.float64),
                                     (ember.float16, ember.float64), (ember.int64, ember.float64)])
def test_bincount_weight_dtypes(wdt, out, device):
    r = ember.bincount(t([1, 2], device), weights=t([1, 2], device, dtype=wdt))
    assert r.dtype is out and ls(r) == [0.0, 1.0, 2.0]


def test_bincount_unweighted_is_int64_and_empty_input(device):
    assert ember.bincount(t([1, 1], device, dtype=ember.uint8)).dtype is ember.int64
    assert ls(ember.bincount(t([], device, dtype=ember.int64))) == []
    assert ls(ember.bincount(t([], device, dtype=ember.int64), minlength=2)) == [0, 0]


def test_bincount_bool_rejected(device):
    with pytest.raises(NotImplementedError, match="bincount.*'bool'"):
        ember.bincount(t([True, False], device))


# ---------------------------------------------------------------------- histc / histogram
def test_histc_ignores_out_of_range_and_nan_and_includes_max(device):
    x = t([1.0, 2.0, 1.0, 5.0, -1.0, 3.0, NAN], device)
    assert ls(ember.histc(x, bins=3, min=0, max=3)) == [0.0, 2.0, 2.0]


def test_histc_data_range_nan_is_an_error(device):
    with pytest.raises(RuntimeError, match=r"histc\(\): range of \[nan, nan\] is not finite"):
        ember.histc(t([1.0, NAN], device), bins=2)


def test_histc_keeps_float_dtype(device):
    x = t([0.0, 1.0], device, dtype=ember.float64)
    assert ember.histc(x, bins=2).dtype is ember.float64
    assert x.histc(bins=2).dtype is ember.float64


def test_histogram_empty_density_is_nan(device):
    h, e = ember.histogram(ember.zeros(0, device=device), bins=2, density=True)
    assert np.isnan(ls(h)).all() and ls(e) == [0.0, 0.5, 1.0]


def test_histogram_bins_dtype_must_match(device):
    with pytest.raises(RuntimeError, match="should have the same dtype"):
        ember.histogram(t([1.0], device, dtype=ember.float64), bins=t([0.0, 2.0], device))


def test_histogram_nan_data_range_is_an_error(device):
    with pytest.raises(RuntimeError, match=r"histogram\(\): range of \[nan, nan\] is not finite"):
        ember.histogram(t([1.0, NAN], device), bins=2)


def test_histogram_named_tuple_fields(device):
    r = t([[1.0, 2.0], [3.0, 4.0]], device).histogram(2)
    assert r._fields == ("hist", "bin_edges")
    assert ls(r.hist) == [2.0, 2.0] and ls(r.bin_edges) == [1.0, 2.5, 4.0]


# ---------------------------------------------------------------------- searchsorted
def test_searchsorted_nan_values_land_at_the_end(device):
    s = t([1.0, 3.0, 5.0, 7.0], device)
    v = t([3.0, 6.0, 9.0, 0.0, NAN], device)
    assert ls(ember.searchsorted(s, v)) == [1, 3, 4, 0, 4]
    assert ls(ember.searchsorted(s, v, right=True)) == [2, 3, 4, 0, 4]


def test_searchsorted_nan_boundaries_use_pytorch_comparisons(device):
    # left: first i with b[i] >= v; right: first with b[i] > v (NaN compares false)
    s = t([1.0, 3.0, NAN], device)
    v = t([3.0, NAN, 4.0], device)
    assert ls(ember.searchsorted(s, v)) == [1, 3, 3]
    assert ls(ember.searchsorted(s, v, right=True)) == [3, 3, 3]


def test_searchsorted_nd_matches_row_by_row(device):
    rng = np.random.default_rng(1)
    seq = np.sort(rng.integers(0, 20, (3, 2, 9)), axis=-1).astype(np.float64)
    vals = rng.integers(-2, 22, (3, 2, 7)).astype(np.float64)
    for right in (False, True):
        side = "right" if right else "left"
        r = ember.searchsorted(t(seq, device), t(vals, device), right=right)
        for pos in np.ndindex(3, 2):
            np.testing.assert_array_equal(to_numpy(r)[pos],
                                          np.searchsorted(seq[pos], vals[pos], side=side))


def test_bsearch_matches_numpy_on_1d(device):
    rng = np.random.default_rng(2)
    seq = np.sort(rng.integers(0, 50, 33))
    vals = rng.integers(-5, 55, (4, 6))
    for right in (False, True):
        np.testing.assert_array_equal(counting._bsearch(np, seq, vals, right),
                                      np.searchsorted(seq, vals,
                                                      side="right" if right else "left"))


def test_searchsorted_mixed_dtypes_scalar_and_empty(device):
    r = ember.searchsorted(t([1, 3, 5], device), t([3.5, 0.5], device))
    assert ls(r) == [2, 0] and r.dtype is ember.int64
    assert ember.searchsorted(t([1.0, 3.0], device), 3).shape == ()
    assert ls(ember.searchsorted(ember.zeros(0, device=device), t([2.0, 4.0], device))) == [0, 0]
    assert ls(ember.searchsorted(ember.zeros(2, 0, device=device),
                                 ember.zeros(2, 3, device=device))) == [[0, 0, 0], [0, 0, 0]]
    assert ember.searchsorted(t([1.0], device), t([2.0], device), out_int32=True).dtype \
        is ember.int32


def test_bucketize_scalar_and_no_method(device):
    assert ember.bucketize(3.0, t([1.0, 3.0, 5.0], device)).item() == 1
    assert ember.bucketize(3.0, t([1.0, 3.0, 5.0], device), right=True).item() == 2
    assert not hasattr(ember.Tensor, "bucketize")  # PyTorch has no Tensor.bucketize
    assert not hasattr(ember.Tensor, "searchsorted")
