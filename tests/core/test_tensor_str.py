"""``repr`` of tensors: every expected string is PyTorch 2.13's output for the same expression
(``torch.`` written ``ember.``), so these tests pin ember's printing to PyTorch's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember._tensor_str import get_printoptions, printoptions

nan, inf = math.nan, math.inf

DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


@pytest.fixture(autouse=True)
def _restore_print_defaults():
    yield
    ember.set_printoptions(profile="default")
    ember.set_default_dtype(ember.float32)


# (id, tensor factory, PyTorch's repr) under the default print options
CASES = [
    ("scalar-float", lambda: ember.tensor(3.), "tensor(3.)"),
    ("scalar-int", lambda: ember.tensor(3), "tensor(3)"),
    ("scalar-bool", lambda: ember.tensor(True), "tensor(True)"),
    ("scalar-neg-zero", lambda: ember.tensor(-0.), "tensor(-0.)"),
    ("scalar-fixed", lambda: ember.tensor(1.5), "tensor(1.5000)"),
    ("scalar-sci", lambda: ember.tensor(1e-5), "tensor(1.0000e-05)"),
    ("scalar-complex", lambda: ember.tensor(1 + 2j), "tensor(1.+2.j)"),
    ("scalar-nan", lambda: ember.tensor(nan), "tensor(nan)"),
    ("int-mode", lambda: ember.tensor([1., 2., 3.]), "tensor([1., 2., 3.])"),
    ("int-mode-neg", lambda: ember.tensor([1., -2., 3.]), "tensor([ 1., -2.,  3.])"),
    ("fixed", lambda: ember.tensor([1.5, 2., 3.]), "tensor([1.5000, 2.0000, 3.0000])"),
    ("fixed-round", lambda: ember.tensor([1.12345, -2.5]), "tensor([ 1.1235, -2.5000])"),
    ("fixed-round-up", lambda: ember.tensor([9.99999, 1.]), "tensor([10.0000,  1.0000])"),
    ("fixed-large", lambda: ember.tensor([123456.789, 1.]), "tensor([1.2346e+05, 1.0000e+00])"),
    ("ratio-1000-int", lambda: ember.tensor([1., 1000.]), "tensor([   1., 1000.])"),
    ("ratio-1001-int", lambda: ember.tensor([1., 1001.]), "tensor([1.0000e+00, 1.0010e+03])"),
    ("ratio-1000-fixed", lambda: ember.tensor([0.5, 500.]), "tensor([  0.5000, 500.0000])"),
    ("ratio-2000-fixed", lambda: ember.tensor([0.5, 1000.]), "tensor([5.0000e-01, 1.0000e+03])"),
    ("max-1e8-int", lambda: ember.tensor([1e8]), "tensor([100000000.])"),
    ("max-2e8-int", lambda: ember.tensor([2e8]), "tensor([2.0000e+08])"),
    ("sci-1e10", lambda: ember.tensor([1e10, 1.]), "tensor([1.0000e+10, 1.0000e+00])"),
    ("min-1e-4", lambda: ember.tensor([0.0001, 0.1]), "tensor([1.0000e-04, 1.0000e-01])"),
    ("min-below-1e-4", lambda: ember.tensor([0.00009, 0.05]), "tensor([9.0000e-05, 5.0000e-02])"),
    ("sci-small", lambda: ember.tensor([1e-5, 1.]), "tensor([1.0000e-05, 1.0000e+00])"),
    ("sci-neg-small", lambda: ember.tensor([-1e-8, 1.]), "tensor([-1.0000e-08,  1.0000e+00])"),
    ("sci-3-digit-exp", lambda: ember.tensor([1e-300, 1e300], dtype=ember.float64),
     "tensor([1.0000e-300, 1.0000e+300], dtype=ember.float64)"),
    ("nan-int-mode", lambda: ember.tensor([nan, 1.]), "tensor([nan, 1.])"),
    ("nan-fixed", lambda: ember.tensor([nan, 1.5]), "tensor([   nan, 1.5000])"),
    ("inf", lambda: ember.tensor([inf, -inf, 2.]), "tensor([inf, -inf, 2.])"),
    ("nonfinite-only", lambda: ember.tensor([nan, inf]), "tensor([nan, inf])"),
    ("nan-sci", lambda: ember.tensor([1e-5, nan, -1.]),
     "tensor([ 1.0000e-05,         nan, -1.0000e+00])"),
    ("zeros", lambda: ember.tensor([0., 0.]), "tensor([0., 0.])"),
    ("neg-zero", lambda: ember.tensor([0., -0.]), "tensor([0., -0.])"),
    ("neg-zero-fixed", lambda: ember.tensor([-0., 1.5]), "tensor([-0.0000, 1.5000])"),
    ("int", lambda: ember.tensor([1, -2, 300]), "tensor([  1,  -2, 300])"),
    ("int32", lambda: ember.tensor([1, 2], dtype=ember.int32), "tensor([1, 2], dtype=ember.int32)"),
    ("uint8", lambda: ember.tensor([1, 2], dtype=ember.uint8), "tensor([1, 2], dtype=ember.uint8)"),
    ("int8", lambda: ember.tensor([-5, 2], dtype=ember.int8), "tensor([-5,  2], dtype=ember.int8)"),
    ("bool", lambda: ember.tensor([True, False]), "tensor([ True, False])"),
    ("bool-2d", lambda: ember.ones(2, 3, dtype=ember.bool),
     ("tensor([[True, True, True],\n"
      "        [True, True, True]])")),
    ("float64", lambda: ember.tensor([1., 2.], dtype=ember.float64),
     "tensor([1., 2.], dtype=ember.float64)"),
    ("float16", lambda: ember.tensor([1.5, 2.25], dtype=ember.float16),
     "tensor([1.5000, 2.2500], dtype=ember.float16)"),
    ("float16-max", lambda: ember.tensor([65504., 1.], dtype=ember.float16),
     "tensor([6.5504e+04, 1.0000e+00], dtype=ember.float16)"),
    ("complex", lambda: ember.tensor([1 + 2j, 3 - 4j]), "tensor([1.+2.j, 3.-4.j])"),
    ("complex-fixed", lambda: ember.tensor([1 + 2j, -3.5 - 0.5j]),
     "tensor([ 1.0000+2.0000j, -3.5000-0.5000j])"),
    ("complex-neg-zero", lambda: ember.tensor([complex(0., -0.), complex(1., 0.)]),
     "tensor([0.-0.j, 1.+0.j])"),
    ("complex-sci", lambda: ember.tensor([1e10 + 1j, 1 + 1j]),
     "tensor([1.0000e+10+1.j, 1.0000e+00+1.j])"),
    ("complex128", lambda: ember.tensor([1 + 2j], dtype=ember.complex128),
     "tensor([1.+2.j], dtype=ember.complex128)"),
    ("complex-2d", lambda: ember.tensor([[1 + 0j, 1j], [-1.5j, 2]]),
     ("tensor([[1.+0.0000j, 0.+1.0000j],\n"
      "        [-0.-1.5000j, 2.+0.0000j]])")),
    ("2d", lambda: ember.tensor([[1., 2.], [3., 4.]]),
     ("tensor([[1., 2.],\n"
      "        [3., 4.]])")),
    ("2d-align", lambda: ember.tensor([[1.5, -2.], [3., 40.]]),
     ("tensor([[ 1.5000, -2.0000],\n"
      "        [ 3.0000, 40.0000]])")),
    ("3d", lambda: ember.arange(24).reshape(2, 3, 4),
     ("tensor([[[ 0,  1,  2,  3],\n"
      "         [ 4,  5,  6,  7],\n"
      "         [ 8,  9, 10, 11]],\n"
      "\n"
      "        [[12, 13, 14, 15],\n"
      "         [16, 17, 18, 19],\n"
      "         [20, 21, 22, 23]]])")),
    ("4d", lambda: ember.arange(8).reshape(2, 1, 2, 2),
     ("tensor([[[[0, 1],\n"
      "          [2, 3]]],\n"
      "\n"
      "\n"
      "        [[[4, 5],\n"
      "          [6, 7]]]])")),
    ("transposed", lambda: ember.arange(6.).reshape(2, 3).t(),
     ("tensor([[0., 3.],\n"
      "        [1., 4.],\n"
      "        [2., 5.]])")),
    ("strided", lambda: ember.arange(12.).reshape(3, 4)[:, ::2],
     ("tensor([[ 0.,  2.],\n"
      "        [ 4.,  6.],\n"
      "        [ 8., 10.]])")),
    ("empty", lambda: ember.zeros(0), "tensor([])"),
    ("empty-2d", lambda: ember.zeros(0, 3), "tensor([], size=(0, 3))"),
    ("empty-3d", lambda: ember.zeros(2, 0, 3), "tensor([], size=(2, 0, 3))"),
    ("empty-int64", lambda: ember.zeros(0, dtype=ember.int64), "tensor([], dtype=ember.int64)"),
    ("empty-float64", lambda: ember.zeros(0, dtype=ember.float64),
     "tensor([], dtype=ember.float64)"),
    ("empty-bool-2d", lambda: ember.zeros(0, 3, dtype=ember.bool),
     "tensor([], size=(0, 3), dtype=ember.bool)"),
    ("wrap-int", lambda: ember.arange(100),
     ("tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
      "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n"
      "        36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,\n"
      "        54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n"
      "        72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89,\n"
      "        90, 91, 92, 93, 94, 95, 96, 97, 98, 99])")),
    ("wrap-fixed", lambda: ember.arange(30.) / 3,
     ("tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n"
      "        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,\n"
      "        6.0000, 6.3333, 6.6667, 7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667,\n"
      "        9.0000, 9.3333, 9.6667])")),
    ("wrap-sci", lambda: ember.arange(40.) * 1e5,
     ("tensor([      0.,  100000.,  200000.,  300000.,  400000.,  500000.,  600000.,\n"
      "         700000.,  800000.,  900000., 1000000., 1100000., 1200000., 1300000.,\n"
      "        1400000., 1500000., 1600000., 1700000., 1800000., 1900000., 2000000.,\n"
      "        2100000., 2200000., 2300000., 2400000., 2500000., 2600000., 2700000.,\n"
      "        2800000., 2900000., 3000000., 3100000., 3200000., 3300000., 3400000.,\n"
      "        3500000., 3600000., 3700000., 3800000., 3900000.])")),
    ("wrap-2d", lambda: ember.arange(60.).reshape(2, 30) / 7,
     ("tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
      "         1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
      "         2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n"
      "         3.8571, 4.0000, 4.1429],\n"
      "        [4.2857, 4.4286, 4.5714, 4.7143, 4.8571, 5.0000, 5.1429, 5.2857, 5.4286,\n"
      "         5.5714, 5.7143, 5.8571, 6.0000, 6.1429, 6.2857, 6.4286, 6.5714, 6.7143,\n"
      "         6.8571, 7.0000, 7.1429, 7.2857, 7.4286, 7.5714, 7.7143, 7.8571, 8.0000,\n"
      "         8.1429, 8.2857, 8.4286]])")),
    ("summary-1d", lambda: ember.arange(2000),
     "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    ("summary-int-mode", lambda: ember.arange(2000.),
     ("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
      "        1.9990e+03])")),
    ("summary-fixed", lambda: ember.arange(2000.) / 3,
     ("tensor([0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 6.6567e+02, 6.6600e+02,\n"
      "        6.6633e+02])")),
    ("summary-2d", lambda: ember.arange(3000).reshape(30, 100),
     ("tensor([[   0,    1,    2,  ...,   97,   98,   99],\n"
      "        [ 100,  101,  102,  ...,  197,  198,  199],\n"
      "        [ 200,  201,  202,  ...,  297,  298,  299],\n"
      "        ...,\n"
      "        [2700, 2701, 2702,  ..., 2797, 2798, 2799],\n"
      "        [2800, 2801, 2802,  ..., 2897, 2898, 2899],\n"
      "        [2900, 2901, 2902,  ..., 2997, 2998, 2999]])")),
    ("summary-wide", lambda: ember.arange(1100).reshape(2, 550),
     ("tensor([[   0,    1,    2,  ...,  547,  548,  549],\n"
      "        [ 550,  551,  552,  ..., 1097, 1098, 1099]])")),
    ("summary-tall", lambda: ember.arange(1100).reshape(550, 2),
     ("tensor([[   0,    1],\n"
      "        [   2,    3],\n"
      "        [   4,    5],\n"
      "        ...,\n"
      "        [1094, 1095],\n"
      "        [1096, 1097],\n"
      "        [1098, 1099]])")),
    ("summary-int32", lambda: ember.arange(1100, dtype=ember.int32),
     "tensor([   0,    1,    2,  ..., 1097, 1098, 1099], dtype=ember.int32)"),
    ("summary-bool", lambda: ember.arange(2000) > 1000,
     "tensor([False, False, False,  ...,  True,  True,  True])"),
    ("summary-complex", lambda: ember.arange(2000.) * (1 + 1j),
     ("tensor([0.0000e+00+0.0000e+00j, 1.0000e+00+1.0000e+00j, 2.0000e+00+2.0000e+00j,\n"
      "         ..., 1.9970e+03+1.9970e+03j, 1.9980e+03+1.9980e+03j,\n"
      "        1.9990e+03+1.9990e+03j])")),
    ("requires-grad", lambda: ember.tensor([1., 2.], requires_grad=True),
     "tensor([1., 2.], requires_grad=True)"),
    ("grad-fn", lambda: ember.tensor([1., 2.], requires_grad=True) * 2,
     "tensor([2., 4.], grad_fn=<MulBackward0>)"),
    ("dtype-grad-fn", lambda: ember.tensor([1., 2.], dtype=ember.float64, requires_grad=True) + 1,
     "tensor([2., 3.], dtype=ember.float64, grad_fn=<AddBackward0>)"),
    ("grad-fn-2d", lambda: ember.arange(30.).reshape(2, 15).requires_grad_() * 1.5,
     ("tensor([[ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
      "         12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000],\n"
      "        [22.5000, 24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000,\n"
      "         34.5000, 36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000]],\n"
      "       grad_fn=<MulBackward0>)")),
    ("grad-fn-wraps", lambda: ember.arange(20.).requires_grad_() * 1.5,
     ("tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
      "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
      "        24.0000, 25.5000, 27.0000, 28.5000], grad_fn=<MulBackward0>)")),
]


@pytest.mark.parametrize("make,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_repr(make, expected):
    t = make()
    assert repr(t) == expected
    assert str(t) == expected


# (id, set_printoptions kwargs, tensor factory, PyTorch's repr under those options)
OPT_CASES = [
    ("precision-2", {"precision": 2}, lambda: ember.tensor([1.12345, 2.]), "tensor([1.12, 2.00])"),
    ("precision-2-sci", {"precision": 2}, lambda: ember.tensor([1e10, 1.]),
     "tensor([1.00e+10, 1.00e+00])"),
    ("precision-2-complex", {"precision": 2}, lambda: ember.tensor([1.5 + 2.25j]),
     "tensor([1.50+2.25j])"),
    ("precision-0", {"precision": 0}, lambda: ember.tensor([1.6, 2.]), "tensor([2, 2])"),
    ("precision-0-sci", {"precision": 0}, lambda: ember.tensor([1e-5, 1.]),
     "tensor([1e-05, 1e+00])"),
    ("threshold-5", {"threshold": 5}, lambda: ember.arange(10), "tensor([0, 1, 2,  ..., 7, 8, 9])"),
    ("threshold-5-at-2e", {"threshold": 5}, lambda: ember.arange(6), "tensor([0, 1, 2, 3, 4, 5])"),
    ("threshold-5-7", {"threshold": 5}, lambda: ember.arange(7),
     "tensor([0, 1, 2,  ..., 4, 5, 6])"),
    ("threshold-5-2d", {"threshold": 5}, lambda: ember.arange(12).reshape(3, 4),
     ("tensor([[ 0,  1,  2,  3],\n"
      "        [ 4,  5,  6,  7],\n"
      "        [ 8,  9, 10, 11]])")),
    ("threshold-5-7x7", {"threshold": 5}, lambda: ember.arange(49.).reshape(7, 7),
     ("tensor([[ 0.,  1.,  2.,  ...,  4.,  5.,  6.],\n"
      "        [ 7.,  8.,  9.,  ..., 11., 12., 13.],\n"
      "        [14., 15., 16.,  ..., 18., 19., 20.],\n"
      "        ...,\n"
      "        [28., 29., 30.,  ..., 32., 33., 34.],\n"
      "        [35., 36., 37.,  ..., 39., 40., 41.],\n"
      "        [42., 43., 44.,  ..., 46., 47., 48.]])")),
    ("edgeitems-1", {"threshold": 5, "edgeitems": 1}, lambda: ember.arange(10),
     "tensor([0,  ..., 9])"),
    ("edgeitems-1-3d", {"threshold": 5, "edgeitems": 1},
     lambda: ember.arange(27.).reshape(3, 3, 3) / 2,
     ("tensor([[[ 0.,  ...,  1.],\n"
      "         ...,\n"
      "         [ 3.,  ...,  4.]],\n"
      "\n"
      "        ...,\n"
      "\n"
      "        [[ 9.,  ..., 10.],\n"
      "         ...,\n"
      "         [12.,  ..., 13.]]])")),
    ("edgeitems-0-1d", {"threshold": 5, "edgeitems": 0}, lambda: ember.arange(10),
     "tensor([...], size=(10,))"),
    ("edgeitems-0-2d", {"threshold": 5, "edgeitems": 0}, lambda: ember.arange(12).reshape(3, 4),
     "tensor([...], size=(3, 4))"),
    ("edgeitems-0-scalar", {"threshold": 5, "edgeitems": 0}, lambda: ember.tensor(5.),
     "tensor(5., size=())"),
    ("edgeitems-0-small", {"edgeitems": 0}, lambda: ember.arange(4),
     "tensor([0, 1, 2, 3], size=(4,))"),
    ("edgeitems-0-empty", {"edgeitems": 0}, lambda: ember.tensor([]), "tensor([])"),
    ("threshold-0-scalar", {"threshold": 0}, lambda: ember.tensor(5.), "tensor(5.)"),
    ("threshold-0", {"threshold": 0}, lambda: ember.tensor([1., 2.]), "tensor([1., 2.])"),
    ("linewidth-20", {"linewidth": 20}, lambda: ember.arange(10),
     ("tensor([0, 1, 2, 3,\n"
      "        4, 5, 6, 7,\n"
      "        8, 9])")),
    ("linewidth-20-grad-fn", {"linewidth": 20}, lambda: ember.tensor([1.], requires_grad=True) * 2,
     ("tensor([2.],\n"
      "       grad_fn=<MulBackward0>)")),
    ("linewidth-20-dtype", {"linewidth": 20}, lambda: ember.tensor([1, 2], dtype=ember.int32),
     ("tensor([1, 2],\n"
      "       dtype=ember.int32)")),
    ("linewidth-20-suffixes", {"linewidth": 20},
     lambda: ember.ones(2, dtype=ember.float64).requires_grad_(),
     ("tensor([1., 1.],\n"
      "       dtype=ember.float64,\n"
      "       requires_grad=True)")),
    ("linewidth-5", {"linewidth": 5}, lambda: ember.arange(4),
     ("tensor([0,\n"
      "        1,\n"
      "        2,\n"
      "        3])")),
    ("sci-on-int", {"sci_mode": True}, lambda: ember.tensor([1., 2.]),
     "tensor([1.0000e+00, 2.0000e+00])"),
    ("sci-on-fixed", {"sci_mode": True}, lambda: ember.tensor([1.5, 2.]),
     "tensor([1.5000e+00, 2.0000e+00])"),
    ("sci-on-zeros", {"sci_mode": True}, lambda: ember.tensor([0., 0.]), "tensor([0., 0.])"),
    ("sci-on-scalar", {"sci_mode": True}, lambda: ember.tensor(3.), "tensor(3.0000e+00)"),
    ("sci-on-nan", {"sci_mode": True}, lambda: ember.tensor([nan, 1.]),
     "tensor([       nan, 1.0000e+00])"),
    ("sci-off-large", {"sci_mode": False}, lambda: ember.tensor([1e10, 1.]),
     "tensor([10000000000.,           1.])"),
    ("sci-off-small", {"sci_mode": False}, lambda: ember.tensor([1e-5, 1.]),
     "tensor([0.0000, 1.0000])"),
    ("sci-off-small-fixed", {"sci_mode": False}, lambda: ember.tensor([1e-5, 1.5]),
     "tensor([0.0000, 1.5000])"),
    ("profile-short", {"profile": "short"}, lambda: ember.tensor([1.12345, 2.]),
     "tensor([1.12, 2.00])"),
    ("profile-short-summary", {"profile": "short"}, lambda: ember.arange(2000),
     "tensor([   0,    1,  ..., 1998, 1999])"),
    ("profile-short-2d", {"profile": "short"}, lambda: ember.arange(1100.).reshape(11, 100) / 3,
     ("tensor([[0.00e+00, 3.33e-01,  ..., 3.27e+01, 3.30e+01],\n"
      "        [3.33e+01, 3.37e+01,  ..., 6.60e+01, 6.63e+01],\n"
      "        ...,\n"
      "        [3.00e+02, 3.00e+02,  ..., 3.33e+02, 3.33e+02],\n"
      "        [3.33e+02, 3.34e+02,  ..., 3.66e+02, 3.66e+02]])")),
    ("profile-full", {"profile": "full", "linewidth": 40}, lambda: ember.arange(30),
     ("tensor([ 0,  1,  2,  3,  4,  5,  6,  7,\n"
      "         8,  9, 10, 11, 12, 13, 14, 15,\n"
      "        16, 17, 18, 19, 20, 21, 22, 23,\n"
      "        24, 25, 26, 27, 28, 29])")),
    ("profile-short-override", {"profile": "short", "precision": 3},
     lambda: ember.tensor([1.12345, 2.]),
     "tensor([1.123, 2.000])"),
]


@pytest.mark.parametrize("opts,make,expected", [c[1:] for c in OPT_CASES],
                         ids=[c[0] for c in OPT_CASES])
def test_repr_with_printoptions(opts, make, expected):
    ember.set_printoptions(**opts)
    assert repr(make()) == expected


# with float64 as the default dtype, float64/complex128 lose their suffix and float32 gains one
DEFAULT64_CASES = [
    ("f64-float64", lambda: ember.tensor([1., 2.]), "tensor([1., 2.])"),
    ("f64-float32", lambda: ember.tensor([1., 2.], dtype=ember.float32),
     "tensor([1., 2.], dtype=ember.float32)"),
    ("f64-complex128", lambda: ember.tensor([1 + 1j]), "tensor([1.+1.j])"),
    ("f64-complex64", lambda: ember.tensor([1 + 1j], dtype=ember.complex64),
     "tensor([1.+1.j], dtype=ember.complex64)"),
    ("f64-empty", lambda: ember.zeros(0), "tensor([])"),
    ("f64-empty-float32", lambda: ember.zeros(0, dtype=ember.float32),
     "tensor([], dtype=ember.float32)"),
]


@pytest.mark.parametrize("make,expected", [c[1:] for c in DEFAULT64_CASES],
                         ids=[c[0] for c in DEFAULT64_CASES])
def test_repr_default_dtype_float64(make, expected):
    ember.set_default_dtype(ember.float64)
    assert repr(make()) == expected


def test_set_printoptions_round_trip():
    assert get_printoptions() == DEFAULTS
    ember.set_printoptions(precision=2, threshold=10, edgeitems=1, linewidth=40, sci_mode=True)
    assert get_printoptions() == {"precision": 2, "threshold": 10, "edgeitems": 1,
                                  "linewidth": 40, "sci_mode": True}
    ember.set_printoptions(precision=6)  # sci_mode is always assigned: back to automatic
    assert get_printoptions()["sci_mode"] is None and get_printoptions()["linewidth"] == 40
    ember.set_printoptions(profile="default")
    assert get_printoptions() == DEFAULTS
    assert repr(ember.tensor([1.12345])) == "tensor([1.1235])"


def test_profiles():
    ember.set_printoptions(profile="short")
    assert get_printoptions() == {**DEFAULTS, "precision": 2, "edgeitems": 2}
    ember.set_printoptions(profile="full")
    assert get_printoptions() == {**DEFAULTS, "threshold": inf}
    ember.set_printoptions(profile="full", threshold=7)  # explicit arguments win
    assert get_printoptions()["threshold"] == 7


def test_unknown_profile_raises():
    with pytest.raises(ValueError, match="profile must be one of 'default', 'short', 'full'"):
        ember.set_printoptions(profile="long")
    assert get_printoptions() == DEFAULTS


def test_printoptions_context_restores():
    ember.set_printoptions(linewidth=60)
    with printoptions(precision=1, sci_mode=False):
        assert repr(ember.tensor([0.25, 1e-5])) == "tensor([0.2, 0.0])"
    assert get_printoptions() == {**DEFAULTS, "linewidth": 60}


def test_subclass_prefix():
    class MyTensor(ember.Tensor):
        pass

    t = MyTensor._make(np.array([1.0, 2.0], dtype=np.float32))
    assert repr(t) == "MyTensor([1., 2.])"


def test_device_suffix_and_summary(device):
    t = ember.arange(2000, device=device)
    dev = "" if t.device.type == "cpu" else f", device='cuda:{t.device.index}'"
    assert repr(t) == f"tensor([   0,    1,    2,  ..., 1997, 1998, 1999]{dev})"
    x = ember.tensor([1.5, -2.0], device=device, requires_grad=True) * 2
    assert repr(x) == f"tensor([ 3., -4.]{dev}, grad_fn=<MulBackward0>)"


@pytest.mark.cuda
def test_cuda_device_suffix():
    x = ember.tensor([[1.0, 2.0]], device="cuda:0", dtype=ember.float64)
    assert repr(x) == "tensor([[1., 2.]], device='cuda:0', dtype=ember.float64)"
    assert repr(ember.zeros(0, 2, device="cuda:0")) == "tensor([], device='cuda:0', size=(0, 2))"
