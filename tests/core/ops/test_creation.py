"""Creation functions: dtype inference, memory sharing, sizes, ranges, identity, complex
construction and DLPack.  Expected values are hand-derived or from numpy/math."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close


# ---------------------------------------------------------------------- tensor(): inference
@pytest.mark.parametrize("data, dtype", [
    ([1.0, 2.0], ember.float32), ([1, 2.5], ember.float32), (3.0, ember.float32),
    ([1, 2], ember.int64), (7, ember.int64), ([True, False], ember.bool), (True, ember.bool),
    ([[1, 2], [3, 4]], ember.int64), ([1 + 2j], ember.complex64), ([], ember.float32),
    (np.ones(2, np.float16), ember.float16), (np.ones(2, np.int32), ember.int32),
    (np.ones(2), ember.float64), (np.float64(1.5), ember.float64),
    ([np.float64(1.0), np.float64(2.0)], ember.float64), (np.array([1, 2], np.uint8), ember.uint8),
])
def test_tensor_dtype_inference(data, dtype, device):
    t = ember.tensor(data, device=device)
    assert t.dtype is dtype
    assert t.tolist() == np.asarray(data).tolist()


def test_tensor_follows_default_dtype(device):
    old = ember.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.5], device=device).dtype is ember.float64
        assert ember.tensor([1j], device=device).dtype is ember.complex128
    finally:
        ember.set_default_dtype(old)


def test_tensor_from_list_of_0d_tensors(device):
    t = ember.tensor([ember.tensor(1.0), ember.tensor(2.5)], device=device)
    assert t.dtype is ember.float32 and t.tolist() == [1.0, 2.5]
    t = ember.tensor([ember.tensor([1, 2]), ember.tensor([3, 4])], device=device)
    assert t.shape == (2, 2) and t.dtype is ember.int64


def test_tensor_copies_and_warns_on_tensor_input(device):
    a = np.zeros(2)
    t = ember.tensor(a, device=device)
    t.add_(1)
    assert a.tolist() == [0.0, 0.0]
    with pytest.warns(UserWarning, match="detach\\(\\).clone\\(\\)"):
        ember.tensor(t)


@pytest.mark.parametrize("data, exc, match", [
    ([[1, 2], [3]], ValueError, "ragged"),
    ("abc", TypeError, "invalid data type 'str'"),
    ([1, "a"], TypeError, "invalid data type 'str'"),
    ([None], RuntimeError, "Could not infer dtype"),
    (2 ** 63, ValueError, "Overflow"),
])
def test_tensor_bad_data(data, exc, match, device):
    with pytest.raises(exc, match=match):
        ember.tensor(data, device=device)


@pytest.mark.parametrize("make", [
    lambda: ember.tensor([1, 2], requires_grad=True),
    lambda: ember.zeros(2, dtype=ember.int64, requires_grad=True),
    lambda: ember.ones(2, dtype=ember.bool, requires_grad=True),
    lambda: ember.arange(3, requires_grad=True),
    lambda: ember.full((2,), 3, requires_grad=True),
])
def test_requires_grad_on_int_raises(make):
    with pytest.raises(RuntimeError, match="floating point and complex dtype can require "
                                           "gradients"):
        make()


# ---------------------------------------------------------------------- sharing memory
def test_as_tensor_shares_memory():
    a = np.arange(4.0)
    t = ember.as_tensor(a)
    t.add_(1)
    assert a.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert ember.as_tensor(a, dtype=ember.float32).dtype is ember.float32  # a copy
    x = ember.ones(2)
    assert ember.as_tensor(x) is x


def test_from_numpy_shares_both_ways():
    a = np.arange(3.0)
    t = ember.from_numpy(a)
    assert t.dtype is ember.float64
    t.mul_(2)
    assert a.tolist() == [0.0, 2.0, 4.0]
    a[0] = 9
    assert t.tolist() == [9.0, 2.0, 4.0]
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)


@pytest.mark.parametrize("arr, name", [(np.ones(2, np.uint16), "uint16"),
                                       (np.array([object()]), "object"),
                                       (np.ones(2, np.uint32), "uint32")])
def test_from_numpy_rejects_unsupported_dtypes(arr, name):
    with pytest.raises(TypeError, match=name):
        ember.from_numpy(arr)


def test_from_numpy_rejects_non_arrays():
    with pytest.raises(TypeError, match="expected np.ndarray \\(got list\\)"):
        ember.from_numpy([1.0])


def test_dlpack_round_trip_shares_memory():
    t = ember.zeros(3)
    n = np.from_dlpack(t)
    n[0] = 7
    assert t.tolist() == [7.0, 0.0, 0.0]
    a = np.zeros((2, 2), np.int32)
    u = ember.from_dlpack(a)
    u.add_(1)
    assert a.tolist() == [[1, 1], [1, 1]] and u.dtype is ember.int32


# ---------------------------------------------------------------------- filled tensors
@pytest.mark.parametrize("fn", [ember.zeros, ember.ones, ember.empty])
def test_size_forms(fn, device):
    for args in [(2, 3), ((2, 3),), ([2, 3],), (ember.Size([2, 3]),)]:
        t = fn(*args, device=device)
        assert t.shape == (2, 3) and t.dtype is ember.float32
    assert fn(device=device).shape == ()
    assert fn(0, device=device).shape == (0,)
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        fn(2, -1, device=device)
    with pytest.raises(TypeError, match="size"):
        fn(2.5, device=device)


def test_zeros_ones_values(device):
    assert ember.zeros(2, dtype=ember.int32, device=device).tolist() == [0, 0]
    assert ember.ones(2, 2, dtype=ember.float64, device=device).tolist() == [[1.0, 1.0]] * 2


@pytest.mark.parametrize("fill, dtype", [(3, ember.int64), (3.0, ember.float32),
                                         (True, ember.bool), (1j, ember.complex64)])
def test_full_infers_dtype(fill, dtype, device):
    t = ember.full((2, 3), fill, device=device)
    assert t.dtype is dtype and t.shape == (2, 3) and t[0, 0].item() == fill
    assert ember.full([2], fill, dtype=ember.complex128, device=device).dtype is ember.complex128


def test_full_complex_into_real_dtype_raises(device):
    with pytest.raises(RuntimeError, match="cannot be converted to type"):
        ember.full((2,), 1j, dtype=ember.float64, device=device)


def test_full_negative_size(device):
    with pytest.raises(RuntimeError, match="negative dimension -2"):
        ember.full([-2], 1.0, device=device)


def test_like_functions(device):
    x = ember.tensor([[1, 2, 3]], device=device)
    assert ember.zeros_like(x).tolist() == [[0, 0, 0]] and ember.zeros_like(x).dtype is ember.int64
    assert ember.ones_like(x, dtype=ember.float64).dtype is ember.float64
    assert ember.full_like(x, 2.7).tolist() == [[2, 2, 2]]  # cast to x's dtype
    assert ember.empty_like(x).shape == (1, 3)
    f = ember.ones_like(ember.ones(2, device=device), requires_grad=True)
    assert f.requires_grad


# ---------------------------------------------------------------------- ranges
@pytest.mark.parametrize("args, kw, want", [
    # PyTorch's documented examples
    ((5,), {}, [0, 1, 2, 3, 4]),
    ((1, 4), {}, [1, 2, 3]),
    ((1, 2.5, 0.5), {}, [1.0, 1.5, 2.0]),
    # negative steps, length ceil((end - start) / step)
    ((5, 0, -2), {}, [5, 3, 1]),
    ((5, 0, -1.5), {}, [5.0, 3.5, 2.0, 0.5]),
    ((0,), {}, []),
    ((0, 5, 2), {"dtype": ember.float64}, [0.0, 2.0, 4.0]),
])
def test_arange_values(args, kw, want, device):
    t = ember.arange(*args, device=device, **kw)
    assert t.tolist() == want


def test_arange_dtype_inference_and_length(device):
    assert ember.arange(3, device=device).dtype is ember.int64
    assert ember.arange(3.0, device=device).dtype is ember.float32
    assert ember.arange(ember.tensor(3.0), device=device).dtype is ember.float32
    assert ember.arange(0, 1, 0.25, dtype=ember.float64).dtype is ember.float64
    for start, end, step in [(-1, 1, 0.1), (1, 1.3, 0.1), (0, 1, 0.1), (0, 10, 3), (2, -7, -2.5)]:
        n = math.ceil((end - start) / step)
        t = ember.arange(start, end, step, dtype=ember.float64, device=device)
        assert len(t) == n
        assert_close(t, ember.tensor([start + i * step for i in range(n)], dtype=ember.float64,
                                     device=device))


def test_arange_errors(device):
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ember.arange(0, 5, 0, device=device)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        ember.arange(0, 5, -1, device=device)
    with pytest.raises(RuntimeError, match="unsupported range"):
        ember.arange(0, float("inf"), device=device)
    with pytest.raises(RuntimeError, match="step must be nonzero"):  # 0.5 -> 0 in int64
        ember.arange(0, 2.5, 0.5, dtype=ember.int64)


def test_linspace_ends_exact(device):
    t = ember.linspace(3, 10, steps=5, device=device)
    assert t.tolist() == [3.0, 4.75, 6.5, 8.25, 10.0]
    for start, end, n in [(0.1, 0.7, 7), (-3.3, 17.9, 11), (1e-3, 1.0, 50)]:
        t = ember.linspace(start, end, n, dtype=ember.float64, device=device)
        assert t[0].item() == start and t[-1].item() == end
        assert_close(t, ember.tensor(np.linspace(start, end, n), device=device))
    assert ember.linspace(-10, 10, 1, device=device).tolist() == [-10.0]
    assert ember.linspace(0, 1, 0, device=device).shape == (0,)
    assert ember.linspace(0, 10, 4, dtype=ember.int64, device=device).tolist() == [0, 3, 6, 10]
    with pytest.raises(RuntimeError, match="non-negative"):
        ember.linspace(0, 1, -1)


def test_logspace(device):
    t = ember.logspace(-2, 2, 5, dtype=ember.float64, device=device)
    assert t[0].item() == 0.01 and t[-1].item() == 100.0
    assert_close(t, ember.tensor(np.logspace(-2, 2, 5), device=device))
    assert ember.logspace(0, 2, 3, base=2, device=device).tolist() == [1.0, 2.0, 4.0]


def test_eye(device):
    assert ember.eye(3, device=device).tolist() == np.eye(3).tolist()
    assert ember.eye(2, 3, dtype=ember.int64, device=device).tolist() == [[1, 0, 0], [0, 1, 0]]
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        ember.eye(-1)
    with pytest.raises(RuntimeError, match="m must be greater or equal to 0, got -2"):
        ember.eye(2, -2)


@pytest.mark.parametrize("row, col, off", [(3, 3, 0), (4, 3, 1), (4, 3, -1), (2, 5, 2)])
def test_tril_triu_indices(row, col, off, device):
    r, c = np.tril_indices(row, off, col)
    assert ember.tril_indices(row, col, off, device=device).tolist() == [r.tolist(), c.tolist()]
    r, c = np.triu_indices(row, off, col)
    t = ember.triu_indices(row, col, off, device=device)
    assert t.tolist() == [r.tolist(), c.tolist()] and t.dtype is ember.int64


# ---------------------------------------------------------------------- complex / polar
def test_complex_and_polar(device):
    re = ember.tensor([1.0, 2.0], device=device)
    im = ember.tensor([3.0, float("inf")], device=device)
    z = ember.complex(re, im)
    assert z.dtype is ember.complex64 and z.tolist() == [1 + 3j, complex(2, math.inf)]
    r = ember.tensor([2.0, 1.0], dtype=ember.float64, device=device)
    a = ember.tensor([math.pi / 3, -0.5], dtype=ember.float64, device=device)
    want = [2 * complex(math.cos(math.pi / 3), math.sin(math.pi / 3)),
            complex(math.cos(-0.5), math.sin(-0.5))]
    assert_close(ember.polar(r, a), ember.tensor(want, dtype=ember.complex128, device=device))
    with pytest.raises(RuntimeError, match="Float or Double"):
        ember.complex(ember.tensor([1]), ember.tensor([2]))
    with pytest.raises(RuntimeError, match="scalar type"):
        ember.complex(re, im.double())


def test_complex_polar_gradients(device):
    a = ember.tensor([0.5, -1.2, 2.0], dtype=ember.float64, device=device, requires_grad=True)
    b = ember.tensor([1.5, 0.3, -0.7], dtype=ember.float64, device=device, requires_grad=True)
    assert gradcheck(lambda x, y: ember.complex(x, y).abs(), (a, b))
    assert gradcheck(lambda x, y: ember.real(ember.polar(x, y) * (1 + 2j)), (a, b))
    # second order through a complex intermediate: the gradient's real part reaches the inputs
    assert gradgradcheck(lambda x, y: ember.real(ember.complex(x, y) * (2 - 1j)), (a, b))
