"""The backward engine: accumulation, graph lifetime, higher order, ``inputs=``, ``grad``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.testing import assert_close, to_numpy

F64 = ember.float64


def t64(data, device, requires_grad=True):
    return ember.tensor(data, dtype=F64, device=device, requires_grad=requires_grad)


# ---------------------------------------------------------------------- leaf accumulation
def test_grad_accumulates_across_backward_calls(device):
    x = t64([1.0, -2.0, 3.0], device)
    (x * 3.0).sum().backward()
    assert_close(x.grad, [3.0, 3.0, 3.0])
    (x * x).sum().backward()
    assert_close(x.grad, [3.0 + 2.0, 3.0 - 4.0, 3.0 + 6.0])


def test_grad_none_then_set_after_first_backward(device):
    x = t64([1.0, 2.0], device)
    assert x.grad is None
    (x * 2.0).sum().backward()
    assert x.grad is not None and not x.grad.requires_grad
    assert x.grad.dtype is F64 and x.grad.device == x.device


def test_leaves_fed_by_add_get_independent_grad_arrays():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.numpy()[0] = 100.0  # the grad of add is the same array for both inputs
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    a.grad.add_(5.0)
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_second_backward_accumulates_without_touching_first_grads_array():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    first_b = b.grad.clone()
    (a + b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(first_b.numpy(), [1.0, 1.0])


def test_user_gradient_is_not_adopted_as_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    g = ember.tensor([1.0, 1.0])
    x.backward(g)
    g.mul_(5.0)
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_grad_of_broadcast_leaf_is_summed_to_its_shape(device):
    x = t64([[1.0], [2.0]], device)            # (2, 1)
    w = t64([1.0, 2.0, 3.0], device)           # (3,)
    (x * w).sum().backward()
    assert_close(x.grad, [[6.0], [6.0]])
    assert_close(w.grad, [3.0, 3.0, 3.0])


# ---------------------------------------------------------------------- graph lifetime
def test_second_backward_without_retain_graph_raises(device):
    x = t64([1.0, 2.0], device)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward(device):
    x = t64([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_close(x.grad, [4.0, 8.0])


def test_create_graph_retains_graph_by_default(device):
    x = t64(2.0, device)
    y = x ** 3
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    (g2,) = ember.autograd.grad(y, x)   # graph still alive
    assert g2.item() == pytest.approx(12.0)
    assert g.requires_grad and not g2.requires_grad


# ---------------------------------------------------------------------- higher order
def test_third_derivative_of_x4_sinx_matches_hand_derivation(device):
    x0 = 1.3
    x = t64(x0, device)
    f = x ** 4 * x.sin()
    (d1,) = ember.autograd.grad(f, x, create_graph=True)
    (d2,) = ember.autograd.grad(d1, x, create_graph=True)
    (d3,) = ember.autograd.grad(d2, x)
    s, c = math.sin(x0), math.cos(x0)
    assert d1.item() == pytest.approx(4 * x0 ** 3 * s + x0 ** 4 * c, rel=1e-12)
    assert d2.item() == pytest.approx(12 * x0 ** 2 * s + 8 * x0 ** 3 * c - x0 ** 4 * s,
                                      rel=1e-12)
    assert d3.item() == pytest.approx(24 * x0 * s + 36 * x0 ** 2 * c - 12 * x0 ** 3 * s
                                      - x0 ** 4 * c, rel=1e-12)


def test_backward_create_graph_makes_leaf_grad_differentiable(device):
    x = t64(2.0, device)
    (x ** 3).backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = ember.autograd.grad(x.grad, x)      # d/dx 3x^2 = 6x
    assert g2.item() == pytest.approx(12.0)


def test_mixed_second_partials(device):
    x, y = t64(0.7, device), t64(-1.1, device)
    f = (x * y).exp()
    (fx,) = ember.autograd.grad(f, x, create_graph=True)
    (fxy,) = ember.autograd.grad(fx, y)
    # d/dy (y e^{xy}) = e^{xy} (1 + xy)
    assert fxy.item() == pytest.approx(math.exp(0.7 * -1.1) * (1 + 0.7 * -1.1), rel=1e-12)


# ---------------------------------------------------------------------- backward(inputs=...)
def test_backward_inputs_accumulates_only_into_given_leaves(device):
    x, w = t64(3.0, device), t64(2.0, device)
    (x * w).backward(inputs=[x])
    assert x.grad.item() == 2.0
    assert w.grad is None


def test_backward_inputs_single_tensor(device):
    x, w = t64(3.0, device), t64(2.0, device)
    (x * w).backward(inputs=w)
    assert w.grad.item() == 3.0 and x.grad is None


def test_backward_inputs_non_leaf_gets_grad_and_stops_there(device):
    x = t64([1.0, 2.0], device)
    y = x * 2.0
    (y * y).sum().backward(inputs=[y])
    # NOTE: read ``_grad``: Tensor.grad warns on non-leaves even when the grad is populated
    # (PyTorch warns only when it is undefined) — reported to the Tensor owner
    assert_close(y._grad, [4.0, 8.0])     # d(y^2)/dy = 2y
    assert x.grad is None


def test_backward_inputs_empty_raises(device):
    x = t64(1.0, device)
    with pytest.raises(RuntimeError, match="'inputs' argument to backward\\(\\) cannot be empty"):
        (x * 2.0).backward(inputs=[])


def test_backward_inputs_unused_leaf_stays_none(device):
    x, w = t64(1.0, device), t64(1.0, device)
    (x * 2.0).backward(inputs=[w])
    assert w.grad is None and x.grad is None


# ---------------------------------------------------------------------- autograd.grad
def test_grad_leaves_dot_grad_untouched(device):
    x = t64([1.0, 2.0], device)
    (g,) = ember.autograd.grad((x * x).sum(), x)
    assert_close(g, [2.0, 4.0])
    assert x.grad is None


def test_grad_outputs_weights_the_vjp(device):
    x = t64([1.0, 2.0], device)
    v = ember.tensor([3.0, -4.0], dtype=F64, device=device)
    (g,) = ember.autograd.grad(x * x, x, grad_outputs=v)
    assert_close(g, [6.0, -16.0])


def test_grad_multiple_outputs_sum(device):
    x = t64(2.0, device)
    (g,) = ember.autograd.grad([x * 3.0, x * x], x)
    assert g.item() == pytest.approx(3.0 + 4.0)


def test_grad_unused_input_raises_without_allow_unused(device):
    x, w = t64(1.0, device), t64(1.0, device)
    with pytest.raises(RuntimeError, match="index 1 appears to not have been used in the graph"):
        ember.autograd.grad(x * 2.0, [x, w])


def test_grad_allow_unused_returns_none(device):
    x, w = t64(1.0, device), t64(1.0, device)
    gx, gw = ember.autograd.grad(x * 2.0, [x, w], allow_unused=True)
    assert gx.item() == 2.0 and gw is None


def test_grad_materialize_grads_gives_zeros(device):
    x, w = t64(1.0, device), t64([1.0, 2.0], device)
    gx, gw = ember.autograd.grad(x * 2.0, [x, w], materialize_grads=True)
    assert gx.item() == 2.0
    assert_close(gw, [0.0, 0.0])


def test_grad_materialize_with_allow_unused_false_raises(device):
    x = t64(1.0, device)
    with pytest.raises(ValueError, match="allow_unused to be True or not passed"):
        ember.autograd.grad(x * 2.0, x, allow_unused=False, materialize_grads=True)


def test_grad_input_not_requiring_grad_raises(device):
    x = t64(1.0, device)
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.autograd.grad(x * 2.0, ember.tensor(1.0, device=device))


def test_grad_wrt_intermediate(device):
    x = t64([1.0, 2.0], device)
    y = x.exp()
    (gy,) = ember.autograd.grad((y * y).sum(), y)
    assert_close(gy, 2 * np.exp([1.0, 2.0]))


def test_grad_is_grads_batched_is_refused(device):
    x = t64(1.0, device)
    with pytest.raises(RuntimeError, match="is_grads_batched"):
        ember.autograd.grad(x * 2.0, x, is_grads_batched=True)


# ---------------------------------------------------------------------- error paths
def test_non_scalar_backward_without_gradient_raises(device):
    y = t64([1.0, 2.0], device) * 2.0
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        y.backward()


def test_gradient_shape_mismatch_raises(device):
    y = t64([1.0, 2.0], device) * 2.0
    with pytest.raises(RuntimeError, match="Mismatch in shape: grad_output\\[0\\]"):
        y.backward(ember.ones(3, dtype=F64, device=device))


def test_backward_on_tensor_without_graph_raises(device):
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        ember.ones(2, device=device).sum().backward()


@pytest.mark.parametrize("dtype", [ember.int64, ember.int32, ember.bool])
def test_integer_requires_grad_raises(dtype, device):
    t = ember.zeros(2, dtype=dtype, device=device)
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype"):
        t.requires_grad_()
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        ember.tensor([1, 2], dtype=dtype, device=device, requires_grad=True)


def test_requires_grad_on_non_leaf(device):
    y = t64([1.0], device) * 2.0
    assert not y.is_leaf and y.requires_grad
    y.requires_grad_(True)     # a no-op on a non-leaf
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="use var_no_grad = var.detach\\(\\)"):
        y.requires_grad = False


def test_requires_grad_must_be_bool(device):
    with pytest.raises(TypeError, match="requires_grad must be a bool"):
        ember.ones(1, device=device).requires_grad = 1


def test_in_place_on_leaf_requiring_grad_raises(device):
    x = t64([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        x[0].mul_(2.0)


def test_in_place_on_leaf_under_no_grad_is_allowed(device):
    x = t64([1.0, 2.0], device)
    with ember.no_grad():
        x.add_(1.0)
    assert_close(x.detach(), [2.0, 3.0])
    assert x.is_leaf and x.requires_grad


# ---------------------------------------------------------------------- graph shapes
def test_diamond_graph_sums_both_paths(device):
    x0 = 0.8
    x = t64(x0, device)
    a = x * x              # used by two branches
    z = a.sin() * a.cos()
    z.backward()
    assert x.grad.item() == pytest.approx(math.cos(2 * x0 * x0) * 2 * x0, rel=1e-12)


def test_tensor_used_twice_in_one_op(device):
    x = t64([1.5, -2.0], device)
    (x * x * x).sum().backward()
    assert_close(x.grad, 3 * np.array([1.5, -2.0]) ** 2)


def test_multi_output_path_gets_zero_for_unused_output(device):
    x = t64([[1.0, 2.0], [3.0, 4.0]], device)
    a, b = x.unbind(0)
    (a * 5.0).sum().backward()
    assert_close(x.grad, [[5.0, 5.0], [0.0, 0.0]])


def test_10000_chained_ops_backward_without_recursion_error(device):
    x = t64(1.0, device)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-9)
    del y  # freeing a deep graph must not recurse either


def test_deep_graph_freed_without_backward(device):
    x = t64(1.0, device)
    y = x
    for _ in range(10_000):
        y = y + 1.0
    del y


def test_wide_fan_in(device):
    x = t64(1.0, device)
    total = x * 0.0
    for k in range(1, 101):
        total = total + x * float(k)
    total.backward()
    assert x.grad.item() == pytest.approx(sum(range(1, 101)))


def test_grad_dtype_and_shape_follow_leaf(device):
    x = ember.ones(2, 3, dtype=ember.float32, device=device, requires_grad=True)
    (x.double() * 2.0).sum().backward()
    assert x.grad.dtype is ember.float32
    assert tuple(x.grad.shape) == (2, 3)
    np.testing.assert_allclose(to_numpy(x.grad), np.full((2, 3), 2.0))
