"""Sorting and selection: the op table (forward vs numpy float64, gradcheck, gradgradcheck,
errors) plus what a table cannot express: empty tensors, gradients at ties and NaN, integer
inputs, named tuples, ``out=``, methods, and the cupy scan path run with numpy."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.ops import _selection
from ember.testing import assert_close, check_errors, check_op, to_numpy
from ember.testing.op_db import records

RECS = [r for r in records("sorting") if "counting" not in r.tags]
NAN = float("nan")


@pytest.mark.parametrize("rec", RECS, ids=lambda r: r.name)
def test_op(rec, device):
    check_op(rec, device)


@pytest.mark.parametrize("rec", [r for r in RECS if r.errors], ids=lambda r: r.name)
def test_errors(rec, device):
    check_errors(rec, device)


def t(data, device, **kw):
    return ember.tensor(data, device=device, **kw)


# ---------------------------------------------------------------------- sort
def test_sort_returns_named_tuple_on_device(device):
    r = ember.sort(t([[2.0, 1.0]], device), dim=1)
    assert type(r).__name__ == "sort" and r._fields == ("values", "indices")
    assert r.values.device == r.indices.device == t([1.0], device).device
    assert r.indices.dtype is ember.int64


def test_sort_descending_stable_keeps_input_order_of_ties(device):
    x = t([1, 0, 1, 0, 1], device)
    assert to_numpy(x.sort(descending=True, stable=True).indices).tolist() == [0, 2, 4, 1, 3]
    assert to_numpy(x.argsort(descending=True, stable=True)).tolist() == [0, 2, 4, 1, 3]
    assert to_numpy(x.sort(stable=True).indices).tolist() == [1, 3, 0, 2, 4]


def test_sort_bool_float16_and_empty(device):
    b = t([True, False, True], device)
    assert to_numpy(b.sort().values).tolist() == [False, True, True]
    h = t([3.0, -1.0, 2.0], device, dtype=ember.float16)
    s = h.sort()
    assert s.values.dtype is ember.float16
    assert to_numpy(s.values).tolist() == [-1.0, 2.0, 3.0]
    e = ember.zeros(2, 0, device=device).sort(dim=1)
    assert e.values.shape == (2, 0) and e.indices.shape == (2, 0)


def test_sort_complex_rejected(device):
    with pytest.raises(RuntimeError, match=r"sort\(\): does not support complex"):
        ember.sort(t([1 + 1j, 2 + 0j], device))


def test_sort_gradient_follows_the_permutation(device):
    x = t([3.0, 1.0, 2.0], device, dtype=ember.float64, requires_grad=True)
    v = x.sort(descending=True).values
    assert v.grad_fn.name() == "SortBackward0"
    (v * t([1.0, 10.0, 100.0], device, dtype=ember.float64)).sum().backward()
    assert to_numpy(x.grad).tolist() == [1.0, 100.0, 10.0]


def test_sort_out(device):
    x = t([3.0, 1.0, 2.0], device)
    vals, idx = ember.empty(0, device=device), ember.empty(0, dtype=ember.int64, device=device)
    r = ember.sort(x, out=(vals, idx))
    assert r.values is vals and to_numpy(vals).tolist() == [1.0, 2.0, 3.0]
    assert to_numpy(idx).tolist() == [1, 2, 0]


def test_msort_and_argsort_0d(device):
    x = t(2.0, device)
    assert ember.msort(x).item() == 2.0
    assert ember.argsort(x).shape == () and ember.argsort(x).item() == 0


# ---------------------------------------------------------------------- topk / kthvalue
def test_topk_nan_is_largest(device):
    r = ember.topk(t([3.0, NAN, 1.0], device), 2)
    assert np.isnan(to_numpy(r.values)[0]) and to_numpy(r.values)[1] == 3.0
    assert to_numpy(r.indices).tolist() == [1, 0]


def test_topk_full_length_and_integers(device):
    x = t([[4, 9, 1], [0, 2, 7]], device)
    r = x.topk(3, dim=1)
    assert to_numpy(r.values).tolist() == [[9, 4, 1], [7, 2, 0]]
    assert to_numpy(r.indices).tolist() == [[1, 0, 2], [2, 1, 0]]
    assert x.topk(1, largest=False).values.dtype is ember.int64


def test_topk_gradient_accumulates_only_selected(device):
    x = t([[0.5, 2.0, -1.0, 3.0]], device, dtype=ember.float64, requires_grad=True)
    x.topk(2).values.sum().backward()
    assert to_numpy(x.grad).tolist() == [[0.0, 1.0, 0.0, 1.0]]


def test_kthvalue_keepdim_0d(device):
    r = ember.kthvalue(t(3.0, device), 1, keepdim=True)
    assert r.values.shape == () and r.indices.item() == 0


def test_kthvalue_nan_counts_as_largest(device):
    r = ember.kthvalue(t([3.0, NAN, 1.0], device), 3)
    assert np.isnan(r.values.item()) and r.indices.item() == 1
    assert ember.kthvalue(t([3.0, NAN, 1.0], device), 2).indices.item() == 0


# ---------------------------------------------------------------------- median
def test_median_even_count_is_lower_median(device):
    assert ember.median(t([4.0, 1.0, 3.0, 2.0], device)).item() == 2.0
    assert ember.median(t([4, 1, 3, 2], device)).item() == 2


def test_median_empty_is_nan_and_empty_rows(device):
    assert np.isnan(ember.median(ember.zeros(0, device=device)).item())
    r = ember.median(ember.zeros(0, 3, device=device), 1)
    assert r.values.shape == (0,) and r.indices.shape == (0,)


def test_median_all_gradient_is_shared_by_ties(device):
    # d median / dx: 1/2 to each of the two elements equal to the median (PyTorch's rule)
    x = t([1.0, 2.0, 1.0, 2.0], device, dtype=ember.float64, requires_grad=True)
    m = ember.median(x)
    assert m.grad_fn.name() == "MedianBackward0"
    m.backward()
    assert_close(x.grad, t([0.5, 0.0, 0.5, 0.0], device, dtype=ember.float64))


def test_median_all_gradient_with_nan_goes_to_the_nans(device):
    x = t([NAN, 1.0, NAN], device, dtype=ember.float64, requires_grad=True)
    ember.median(x).backward()
    assert to_numpy(x.grad).tolist() == [0.5, 0.0, 0.5]


def test_median_all_gradgrad(device):
    x = t([0.3, -1.2, 2.5, 0.9, 1.7], device, dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(ember.median(x) ** 2, x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    # median = 0.9 (index 3): d/dx (m^2) = 2 m e_3, and d/dx of its sum = 2 e_3
    assert_close(g, t([0.0, 0.0, 0.0, 1.8, 0.0], device, dtype=ember.float64))
    assert_close(gg, t([0.0, 0.0, 0.0, 2.0, 0.0], device, dtype=ember.float64))


def test_median_keepdim_without_dim_is_an_error(device):
    with pytest.raises(TypeError, match="keepdim"):
        ember.median(t([1.0, 2.0], device), keepdim=True)


def test_nanmedian_all_nan(device):
    assert np.isnan(ember.nanmedian(t([NAN, NAN], device)).item())
    r = ember.nanmedian(t([[NAN, NAN], [NAN, 2.0]], device), 1)
    assert np.isnan(to_numpy(r.values)[0]) and to_numpy(r.values)[1] == 2.0
    assert to_numpy(r.indices).tolist() == [0, 1]


def test_nanmedian_returns_its_named_tuple(device):
    r = ember.nanmedian(t([[1.0, NAN, 3.0]], device), 1)
    assert type(r).__name__ == "nanmedian"
    assert to_numpy(r.values).tolist() == [1.0] and to_numpy(r.indices).tolist() == [0]


# ---------------------------------------------------------------------- quantile
def test_quantile_q_dtype_must_match(device):
    x = t([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="q tensor must be same dtype as the input tensor"):
        ember.quantile(x, t([0.5], device, dtype=ember.float64))


def test_quantile_infinite_element_at_an_exact_rank(device):
    # rank 0 and rank n-1 hit one element exactly: no 0 * inf interpolation (numpy agrees)
    r = ember.quantile(t([0.0, float("inf")], device), t([0.0, 1.0], device))
    assert to_numpy(r).tolist() == [0.0, float("inf")]


def test_quantile_keepdim_shapes(device):
    x = ember.zeros(2, 3, 4, device=device)
    assert ember.quantile(x, 0.5, keepdim=True).shape == (1, 1, 1)
    assert ember.quantile(x, t([0.1, 0.9], device), dim=1, keepdim=True).shape == (2, 2, 1, 4)
    assert ember.quantile(x, t([0.1, 0.9], device), dim=-1).shape == (2, 2, 3)
    assert ember.quantile(t(3.0, device), 0.5, dim=0, keepdim=True).shape == ()


def test_nanquantile_all_nan_row_is_nan(device):
    r = ember.nanquantile(t([[NAN, NAN], [1.0, 3.0]], device), 0.5, dim=1)
    assert np.isnan(to_numpy(r)[0]) and to_numpy(r)[1] == 2.0


def test_quantile_gradient_splits_between_neighbours(device):
    # q = 0.25 of 5 sorted values: rank 1, exactly; q = 0.3: rank 1.2 -> 0.8 v1 + 0.2 v2
    x = t([4.0, 0.0, 3.0, 1.0, 2.0], device, dtype=ember.float64, requires_grad=True)
    ember.quantile(x, 0.3).backward()
    assert_close(x.grad, t([0.0, 0.0, 0.0, 0.8, 0.2], device, dtype=ember.float64))


# ---------------------------------------------------------------------- mode
def test_mode_0d_and_empty_rows(device):
    r = ember.mode(t(3.0, device))
    assert r.values.item() == 3.0 and r.indices.item() == 0
    assert ember.mode(ember.zeros(0, 3, device=device), 1).values.shape == (0,)


def test_mode_nans_count_once_each(device):
    r = ember.mode(t([NAN, NAN, 1.0, 1.0], device))
    assert r.values.item() == 1.0 and r.indices.item() == 3


def test_mode_gradient_goes_to_the_returned_index(device):
    x = t([2.0, 1.0, 2.0, 1.0, 2.0], device, dtype=ember.float64, requires_grad=True)
    r = x.mode()
    assert r.values.item() == 2.0 and r.indices.item() == 4
    r.values.backward()
    assert to_numpy(x.grad).tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]


# ---------------------------------------------------------------------- cummax / cummin
def test_cummax_ties_take_the_latest_index(device):
    r = ember.cummax(t([1.0, 3.0, 2.0, 3.0, 1.0, 5.0, 5.0], device), 0)
    assert to_numpy(r.indices).tolist() == [0, 1, 1, 3, 3, 5, 6]
    b = ember.cummax(t([True, False, True], device), 0)
    assert to_numpy(b.indices).tolist() == [0, 0, 2]


def test_cummax_gradient_accumulates_repeated_indices(device):
    x = t([2.0, 1.0, 3.0, 0.0], device, dtype=ember.float64, requires_grad=True)
    ember.cummax(x, 0).values.sum().backward()
    assert to_numpy(x.grad).tolist() == [2.0, 0.0, 2.0, 0.0]
    assert ember.cummax(x, 0).values.grad_fn.name() == "CummaxBackward0"


def test_cummin_empty(device):
    r = ember.cummin(ember.zeros(3, 0, device=device), 1)
    assert r.values.shape == (3, 0) and r.indices.dtype is ember.int64


def test_cupy_scan_matches_accumulate():
    # the Hillis-Steele scan cupy uses, run on numpy through a stand-in array module
    class XP:
        maximum, minimum, moveaxis = np.maximum, np.minimum, np.moveaxis
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 13, 2))
    a[1, 5, 0] = np.nan
    for axis in (0, 1, 2):
        for is_max, f in ((True, np.maximum), (False, np.minimum)):
            np.testing.assert_array_equal(_selection.running(XP, a, axis, is_max),
                                          f.accumulate(a, axis=axis))


# ---------------------------------------------------------------------- integer inputs
@pytest.mark.parametrize("op", [
    lambda x: x.sort(dim=1).values, lambda x: x.topk(2, dim=1).values,
    lambda x: x.kthvalue(2, dim=1).values, lambda x: x.median(dim=1).values,
    lambda x: x.mode(dim=1).values, lambda x: x.cummax(1).values, lambda x: x.cummin(1).values,
    lambda x: x.msort(), lambda x: x.nanmedian(dim=1).values])
def test_integer_inputs_keep_dtype_and_have_no_grad(op, device):
    x = t([[5, -2, 7], [1, 1, 0]], device, dtype=ember.int32)
    r = op(x)
    assert r.dtype is ember.int32 and r.grad_fn is None and not r.requires_grad


def test_gradcheck_sort_3d_middle_dim(device):
    x = ember.tensor(np.random.default_rng(3).standard_normal((2, 4, 3)), device=device,
                     requires_grad=True)
    assert gradcheck(lambda a: a.sort(dim=1, descending=True).values, (x,))
