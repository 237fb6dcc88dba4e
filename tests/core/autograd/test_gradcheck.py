"""``gradcheck``/``gradgradcheck``: they pass on correct gradients and catch wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import Function, GradcheckError, gradcheck, gradgradcheck

F64 = ember.float64


def inp(values, device, requires_grad=True):
    return ember.tensor(np.asarray(values, dtype=np.float64), dtype=F64, device=device,
                        requires_grad=requires_grad)


class WrongCube(Function):
    """Backward off by a factor (2 x^2 instead of 3 x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 2.0 * x ** 2


class DetachedCube(Function):
    """Right first derivative, but its backward is built on a detached x: wrong second."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 3.0 * x.detach() ** 2


def test_gradcheck_passes_on_composite(device):
    x = inp([0.3, -0.7, 1.2], device)
    w = inp([[0.5, 1.0, -2.0], [0.1, 0.2, 0.3]], device)
    assert gradcheck(lambda a, b: (b * a.sin()).exp().sum(1), (x, w))


def test_gradcheck_catches_wrong_function_backward(device):
    x = inp([0.5, -1.0, 2.0], device)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to "
                                             "input 0"):
        gradcheck(WrongCube.apply, (x,))
    assert gradcheck(WrongCube.apply, (x,), raise_exception=False) is False


def test_gradcheck_error_is_a_runtime_error():
    assert issubclass(GradcheckError, RuntimeError)


def test_gradcheck_requires_an_input_needing_grad(device):
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda a: a * 2.0, (inp([1.0], device, requires_grad=False),))


def test_gradcheck_warns_on_single_precision(device):
    x = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    with pytest.warns(UserWarning, match="not a double precision floating point"):
        gradcheck(lambda a: a * 2.0, (x,), atol=1e-2, rtol=1e-2, eps=1e-3)


def test_gradcheck_multiple_outputs_and_non_tensor_args(device):
    x = inp([0.2, 0.4], device)
    assert gradcheck(lambda a, k: (a * k, (a * a).sum()), (x, 3.0))


def test_gradgradcheck_on_composites(device):
    x = inp([0.3, -0.7, 1.2], device)
    y = inp([1.1, 0.4, -0.5], device)
    assert gradgradcheck(lambda a, b: (a * b).sin() * a.exp(), (x, y))
    assert gradgradcheck(lambda a: (a ** 2).sum().sqrt(), (x,))


def test_gradgradcheck_catches_non_differentiable_backward(device):
    x = inp([0.5, -1.0, 2.0], device)
    assert gradcheck(DetachedCube.apply, (x,))           # first order is right
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(DetachedCube.apply, (x,))


def test_gradgradcheck_with_given_grad_outputs(device):
    x = inp([0.5, 1.5], device)
    go = inp([1.0, -2.0], device)
    assert gradgradcheck(lambda a: a ** 3, (x,), (go,))
