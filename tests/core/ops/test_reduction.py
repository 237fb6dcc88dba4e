"""Reductions: the op table (forward vs numpy float64, gradcheck, gradgradcheck, errors) plus
the behaviours a table cannot express (dtypes of integer sums, NaN handling, tie gradients)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_errors, check_op, make_tensor
from ember.testing.op_db import records

RECS = records("reduction")


@pytest.mark.parametrize("rec", RECS, ids=lambda r: r.name)
def test_op(rec, device):
    check_op(rec, device)


@pytest.mark.parametrize("rec", [r for r in RECS if r.errors], ids=lambda r: r.name)
def test_errors(rec, device):
    check_errors(rec, device)


# ---------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype", [ember.int32, ember.int64, ember.uint8, ember.bool])
def test_sum_of_integers_is_int64(dtype, device):
    x = ember.tensor([[1, 0, 1], [1, 1, 0]], dtype=dtype, device=device)
    assert x.sum().dtype is ember.int64 and x.sum().item() == 4
    assert x.sum(0).tolist() == [2, 1, 1]
    assert x.cumsum(1).dtype is ember.int64
    assert x.prod(1).dtype is ember.int64
    assert ember.nansum(x).dtype is ember.int64


def test_mean_of_int_needs_dtype(device):
    x = ember.tensor([1, 2], device=device)
    with pytest.raises(RuntimeError, match="Input dtype must be either a floating point or "
                                           "complex dtype. Got: Long"):
        x.mean()
    m = x.mean(dtype=ember.float64)
    assert m.dtype is ember.float64 and m.item() == 1.5


def test_float32_stays_float32(device):
    x = make_tensor(3, 4, device=device)
    for r in (x.sum(), x.mean(1), x.var(0), x.std(), x.logsumexp(1), x.prod(0), x.amax(),
              x.cumsum(0), x.cumprod(1), ember.logcumsumexp(x, 0), ember.nanmean(x)):
        assert r.dtype is ember.float32


def test_sum_float16_accumulates_in_float32(device):
    x = ember.ones(4096, dtype=ember.float16, device=device) * 0.1
    # float16 accumulation stalls near 256; float32 accumulation rounds once at the end
    assert_close(x.sum().float(), ember.tensor(4096 * float(np.float16(0.1)), device=device),
                 rtol=1e-3, atol=0)


def test_sum_out_and_dtype(device):
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    out = ember.empty(2, device=device)
    r = ember.sum(x, 1, out=out)
    assert r is out and out.tolist() == [3.0, 7.0]
    assert ember.sum(x, dtype=ember.float64).dtype is ember.float64


# ---------------------------------------------------------------------- empty / degenerate
def test_mean_of_empty_is_nan_without_warning(device):
    r = ember.zeros(0, device=device).mean()
    assert math.isnan(r.item())
    assert ember.zeros(0, 3, device=device).mean(0).shape == (3,)
    assert ember.zeros(0, device=device).sum().item() == 0


def test_var_with_too_few_elements(device):
    assert math.isnan(ember.tensor([1.0], device=device).var().item())
    assert ember.tensor([1.0, 2.0], device=device).var(correction=2).item() == math.inf


def test_max_of_empty_raises(device):
    with pytest.raises(IndexError, match="numel\\(\\) == 0"):
        ember.zeros(0, device=device).max()
    with pytest.raises(IndexError, match="non-zero size"):
        ember.zeros(2, 0, device=device).max(1)


# ---------------------------------------------------------------------- call forms
def test_max_three_call_forms(device):
    x = ember.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], device=device)
    assert x.max().item() == 6.0
    r = x.max(1)
    assert type(r).__name__ == "max" and r.values.tolist() == [5.0, 6.0]
    assert r.indices.tolist() == [1, 2] and r.indices.dtype is ember.int64
    v, i = ember.max(x, dim=0, keepdim=True)
    assert v.tolist() == [[4.0, 5.0, 6.0]] and i.tolist() == [[1, 0, 1]]
    y = ember.full((2, 3), 3.5, device=device)
    assert ember.max(x, y).tolist() == [[3.5, 5.0, 3.5], [4.0, 3.5, 6.0]]
    assert ember.min(x, y).tolist() == [[1.0, 3.5, 3.0], [3.5, 2.0, 3.5]]
    mn = ember.aminmax(x, dim=1)
    assert mn.min.tolist() == [1.0, 2.0] and mn.max.tolist() == [5.0, 6.0]


def test_var_positional_unbiased(device):
    x = ember.tensor([1.0, 2.0, 3.0, 4.0], device=device)
    assert_close(x.var(False), ember.tensor(1.25, device=device))   # hand-derived: 5 / 4
    assert_close(x.var(True), ember.tensor(5.0 / 3.0, device=device))
    assert_close(x.std(0, False), ember.tensor(math.sqrt(1.25), device=device))


# ---------------------------------------------------------------------- NaN and ties
def test_max_propagates_nan(device):
    x = ember.tensor([[1.0, float("nan"), 3.0], [1.0, 2.0, 3.0]], device=device)
    assert math.isnan(x.max().item()) and math.isnan(x.amax().item())
    v, i = x.max(1)
    assert math.isnan(v[0].item()) and i.tolist() == [1, 2]
    assert x.argmax(1).tolist() == [1, 2]


def test_tie_gradients(device):
    # full max and amax split the gradient evenly between ties; max(dim) picks one element
    base = [[1.0, 5.0, 3.0], [3.0, 5.0, 3.0]]
    x = ember.tensor(base, device=device, requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.0], [0.0, 0.5, 0.0]]
    x = ember.tensor(base, device=device, requires_grad=True)
    x.amax(1).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    x = ember.tensor(base, device=device, requires_grad=True)
    x.amin(1).sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0], [0.5, 0.0, 0.5]]
    x = ember.tensor(base, device=device, requires_grad=True)
    v, i = x.max(1)
    v.sum().backward()
    assert x.grad.sum(1).tolist() == [1.0, 1.0]
    assert x.grad[0].tolist() == [0.0, 1.0, 0.0]


def test_nan_reductions(device):
    x = ember.tensor([[1.0, float("nan"), 2.0], [float("nan")] * 3], device=device,
                     requires_grad=True)
    assert ember.nansum(x, 1).tolist() == [3.0, 0.0]
    m = ember.nanmean(x, 1)
    assert m[0].item() == 1.5 and math.isnan(m[1].item())
    ember.nansum(x).backward()
    assert x.grad.tolist() == [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]


# ---------------------------------------------------------------------- logsumexp family
def test_logsumexp_extremes(device):
    inf = float("inf")
    x = ember.tensor([[-inf, -inf], [inf, 0.0], [1000.0, 1000.0]], device=device)
    r = ember.logsumexp(x, 1)
    assert r[0].item() == -inf and r[1].item() == inf
    assert_close(r[2], ember.tensor(1000.0 + math.log(2.0), device=device))
    assert ember.logsumexp(ember.tensor([1, 2], device=device), 0).dtype is ember.float32


def test_logcumsumexp_is_exact_far_below_the_max(device):
    x = ember.tensor([-1000.0, 0.0], dtype=ember.float64, device=device)
    # a global-max shift would give log(exp(-1000)) = -inf for the first prefix
    assert ember.logcumsumexp(x, 0).tolist() == [-1000.0, 0.0]


def test_logcumsumexp_grad_of_neg_inf_prefix_is_zero(device):
    inf = float("inf")
    x = ember.tensor([-inf, -inf, 0.0, 1.0], dtype=ember.float64, device=device,
                     requires_grad=True)
    ember.logcumsumexp(x, 0).sum().backward()
    e = math.exp
    # hand-derived: d/dx_j sum_k out_k = sum_{k>=j} exp(x_j - out_k)
    o3 = math.log(1 + e(1))
    want = [0.0, 0.0, 1 + e(-o3), e(1 - o3)]
    assert_close(x.grad, ember.tensor(want, dtype=ember.float64, device=device))


# ---------------------------------------------------------------------- cumprod with zeros
def test_cumprod_gradient_with_zeros(device):
    x = ember.tensor([2.0, 0.0, 3.0, 0.0], dtype=ember.float64, device=device,
                     requires_grad=True)
    x.cumprod(0).sum().backward()
    # hand-derived: dx_i = sum_{k>=i} prod_{j<=k, j!=i} x_j
    assert x.grad.tolist() == [1.0, 8.0, 0.0, 0.0]
    y = ember.tensor([[0.0, 2.0, 0.0], [1.5, 0.0, 2.0]], dtype=ember.float64, device=device,
                     requires_grad=True)
    assert gradcheck(lambda t: t.cumprod(1), (y,))
    assert gradgradcheck(lambda t: t.cumprod(0), (y,))


def test_prod_gradient_with_zeros(device):
    x = ember.tensor([2.0, 0.0, 3.0], dtype=ember.float64, device=device, requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 6.0, 0.0]


# ---------------------------------------------------------------------- bools and counts
def test_all_any_count(device):
    x = ember.tensor([[1, 0, 2], [3, 4, 5]], device=device)
    assert x.all().dtype is ember.bool and not x.all().item()
    assert x.all(1).tolist() == [False, True] and x.any(0).tolist() == [True, True, True]
    assert ember.count_nonzero(x).item() == 5
    assert ember.count_nonzero(x, 0).tolist() == [2, 1, 2]
    assert ember.count_nonzero(x, (0, 1)).dtype is ember.int64


def test_sum_to_size_backward(device):
    x = ember.ones(2, 3, dtype=ember.float64, device=device, requires_grad=True)
    x.sum_to_size(1, 3).sum().backward()
    assert x.grad.tolist() == [[1.0] * 3] * 2
    assert x.sum_to_size(2, 3) is x
