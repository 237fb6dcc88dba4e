"""dtype/device conversion: every ``to`` form, identity when nothing changes, copies,
gradients through casts, the cast shorthands, legacy ``type`` strings, and ``cuda()``
without a GPU."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck


@pytest.fixture
def x(device):
    return ember.tensor([1.5, -2.5, 0.0], device=device)


def test_to_dtype_forms(x, device):
    assert x.to(ember.float64).dtype is ember.float64
    assert x.to(ember.int64).tolist() == [1, -2, 0]           # truncation toward zero
    assert x.to(dtype=ember.float16).dtype is ember.float16
    assert x.to(device, ember.int32).dtype is ember.int32
    assert x.to(device=device, dtype=ember.bool).tolist() == [True, True, False]
    assert x.to(float).dtype is ember.float64
    other = ember.tensor([1], dtype=ember.int16, device=device)
    y = x.to(other)
    assert y.dtype is ember.int16 and y.device == other.device


def test_to_returns_self_when_nothing_changes(x, device):
    assert x.to(ember.float32) is x
    assert x.to(device) is x
    assert x.to(ember.device(device)) is x
    assert x.to(x) is x
    assert x.to(device, ember.float32) is x
    assert x.to(ember.float32, non_blocking=True) is x
    assert x.cpu() is x if device == "cpu" else True


def test_to_copy(x):
    for y in (x.to(copy=True), x.to(ember.float32, copy=True), x.to(ember.float32, False, True)):
        assert y is not x and y.tolist() == x.tolist()
        y.add_(1)
        assert x.tolist() == [1.5, -2.5, 0.0]  # y owns its memory


def test_to_bad_arguments(x):
    with pytest.raises(TypeError, match="invalid combination of arguments: got float"):
        x.to(1.0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(dtype=ember.float64, layout=None)


def test_gradient_flows_back_through_casts(device):
    w = ember.tensor([1.5, 2.5], device=device, requires_grad=True)
    y = w.to(ember.float64)
    assert y.grad_fn is not None and y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    assert w.grad.dtype is ember.float32 and w.grad.tolist() == [3.0, 5.0]
    d = ember.tensor([0.5, -1.0], dtype=ember.float64, device=device, requires_grad=True)
    # a lossless cast (float64 -> complex128) so finite differences stay exact
    assert gradcheck(lambda t: ember.real(t.cdouble() * (1 + 2j)) * t, (d,))
    assert gradgradcheck(lambda t: ember.real(t.to(ember.complex128) ** 2), (d,))
    assert gradgradcheck(lambda t: t.to(ember.float64, copy=True) ** 3, (d,))


def test_cast_to_integer_cuts_the_graph(device):
    w = ember.tensor([1.5], device=device, requires_grad=True)
    assert not w.long().requires_grad and w.long().grad_fn is None


@pytest.mark.parametrize("method, dtype", [
    ("float", ember.float32), ("double", ember.float64), ("half", ember.float16),
    ("long", ember.int64), ("int", ember.int32), ("short", ember.int16), ("char", ember.int8),
    ("byte", ember.uint8), ("bool", ember.bool), ("cfloat", ember.complex64),
    ("cdouble", ember.complex128),
])
def test_cast_methods(method, dtype, x):
    y = getattr(x, method)()
    assert y.dtype is dtype
    assert y.tolist() == np.array([1.5, -2.5, 0.0]).astype(dtype.np).tolist() or \
        dtype is ember.uint8  # negative -> uint8 wraps (platform-defined in C)


def test_type_legacy_strings(x, device):
    prefix = "torch." if device == "cpu" else "torch.cuda."
    assert x.type() == prefix + "FloatTensor"
    x = x.cpu()
    assert x.type() == "torch.FloatTensor"
    assert x.long().type() == "torch.LongTensor"
    assert x.bool().type() == "torch.BoolTensor"
    assert x.half().type() == "torch.HalfTensor"
    assert x.type("torch.DoubleTensor").dtype is ember.float64
    assert x.type("torch.IntTensor").tolist() == [1, -2, 0]
    assert x.type(ember.int16).dtype is ember.int16
    assert x.type_as(ember.tensor([1])).dtype is ember.int64
    with pytest.raises(ValueError, match="invalid type: 'foo'"):
        x.type("foo")


def test_complex_to_real_warns_and_keeps_real_part():
    z = ember.tensor([1 + 2j, -3 + 0.5j])
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        r = z.to(ember.float32)
    assert r.tolist() == [1.0, -3.0]


def test_nan_to_int_is_silent():
    ember.tensor([float("nan"), float("inf")]).long()  # warnings are errors in this suite


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the message without a GPU")
def test_cuda_without_gpu_explains_why(x):
    for f in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: x.to("cuda:0", ember.float64),
              lambda: x.type("torch.cuda.FloatTensor")):
        with pytest.raises(RuntimeError, match="(?i)cupy|driver|device"):
            f()


@pytest.mark.cuda
def test_cuda_round_trip(x):
    y = x.cuda()
    assert y.device.type == "cuda" and y.cpu().tolist() == x.tolist()
    assert x.type("torch.cuda.FloatTensor").device.type == "cuda"
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    (w.cuda() * 3).sum().backward()
    assert w.grad.device.type == "cpu" and w.grad.tolist() == [3.0, 3.0]
