"""In-place ops: results written into the tensor's memory, PyTorch's casting and broadcasting
rules, version counters, ``zero_``/``fill_``/``copy_``, the ``+=`` family, read-only (expanded)
memory, leaf checks and gradients through in-place ops (values from numpy/hand derivations)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, make_tensor


def test_inplace_writes_into_the_same_memory():
    x = make_tensor(3, 4, seed=1, device="cpu")
    ref = x.numpy().copy()
    ptr = x.data_ptr()
    assert x.mul_(2.0) is x and x.data_ptr() == ptr
    x.add_(ember.ones(4), alpha=3.0).sub_(1.0).div_(2.0)
    assert_close(x, (ref * 2 + 3 - 1) / 2)
    x.exp_()
    assert_close(x, np.exp((ref * 2 + 3 - 1) / 2), rtol=1e-6)


@pytest.mark.parametrize("op,args,expect", [
    ("add_", (1.5,), "result type Float can't be cast to the desired output type Long"),
    ("div_", (2,), "result type Float can't be cast to the desired output type Long"),
    ("sqrt_", (), "result type Float can't be cast to the desired output type Long"),
    ("mul_", (ember.tensor(2.0, dtype=ember.float64),),
     "result type Double can't be cast to the desired output type Long"),
])
def test_integer_tensors_refuse_float_results(op, args, expect):
    x = ember.arange(4)
    with pytest.raises(RuntimeError, match=expect):
        getattr(x, op)(*args)
    with pytest.raises(RuntimeError, match="Long can't be cast to the desired output type Bool"):
        ember.ones(2, dtype=ember.bool).add_(1)


def test_float_tensor_accepts_integer_and_wider_operands_keeping_its_dtype():
    x = ember.ones(3)
    x.add_(ember.arange(3))
    x.mul_(ember.tensor([2.0, 2.0, 2.0], dtype=ember.float64))
    assert x.dtype is ember.float32 and x.tolist() == [2.0, 4.0, 6.0]
    y = ember.arange(4)
    y //= 2
    y += 1
    assert y.dtype is ember.int64 and y.tolist() == [1, 1, 2, 2]


def test_inplace_broadcasts_only_into_self_shape():
    x = ember.zeros(2, 3)
    x.add_(ember.tensor([1.0, 2.0, 3.0]))
    assert x.tolist() == [[1.0, 2.0, 3.0]] * 2
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast "
                                           r"shape \[2, 3\]"):
        ember.zeros(3).add_(ember.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match"):
        ember.zeros(3, requires_grad=True).clone().mul_(ember.ones(2, 3, requires_grad=True))


def test_version_counter_increments_and_is_shared_with_views():
    x = ember.zeros(4)
    v = x[1:]
    assert x._version == 0
    x.add_(1)
    v.mul_(2)
    x[0] = 5.0
    x.zero_()
    x.copy_(ember.ones(4))
    x.fill_(2.0)
    assert x._version == 6 and v._version == 6
    x + 1  # out-of-place ops do not bump
    assert x._version == 6


def test_zero_fill_copy():
    x = ember.ones(2, 3)
    assert x.zero_() is x and x.tolist() == [[0.0] * 3] * 2
    x.fill_(ember.tensor(4.0))
    assert x.tolist() == [[4.0] * 3] * 2
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        x.fill_(ember.ones(1))
    i = ember.zeros(2, 3, dtype=ember.int32)
    i.copy_(ember.tensor([1.7, -2.5, 3.0]))  # cast and broadcast
    assert i.tolist() == [[1, -2, 3]] * 2 and i.dtype is ember.int32
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match"):
        ember.zeros(3).copy_(ember.ones(2, 3))


def test_copy_gradient_flows_to_the_source_and_not_the_overwritten_values():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    src = ember.tensor([3.0], dtype=ember.float64, requires_grad=True)
    y = a * 2
    y.copy_(src)  # broadcast and cast float64 -> float32
    (y * ember.tensor([5.0, 7.0])).sum().backward()
    assert src.grad.dtype is ember.float64 and src.grad.tolist() == [12.0]
    assert a.grad.tolist() == [0.0, 0.0]
    s = ember.randn(3, dtype=ember.float64, requires_grad=True)
    w = ember.randn(3, dtype=ember.float64, requires_grad=True)

    def f(s, w):
        y = w * 1
        y[1:].copy_(s[:2])
        return y * w
    gradcheck(f, (s, w))
    gradgradcheck(f, (s, w))


def test_fill_with_grad_value():
    v = ember.tensor(3.0, requires_grad=True)
    y = ember.zeros(4)
    y.fill_(v)
    (y * ember.arange(4.0)).sum().backward()
    assert v.grad.item() == 6.0


def test_operator_forms_are_in_place():
    x = ember.arange(1.0, 5.0)
    x0 = x
    x += 1
    x -= 0.5
    x *= 2
    x /= 4
    x **= 2
    assert x is x0
    assert_close(x, ((np.arange(1.0, 5.0) + 0.5) * 2 / 4) ** 2)
    b = ember.tensor([6, 7])
    b %= 4
    b &= 3
    b |= 4
    b ^= 1
    assert b.tolist() == [7, 6]
    with pytest.raises(RuntimeError, match="can't be cast"):
        b /= 2


@pytest.mark.parametrize("write", [
    lambda t: t.add_(1), lambda t: t.zero_(), lambda t: t.fill_(2.0), lambda t: t.mul_(t),
    lambda t: t.copy_(ember.ones(2, 3)), lambda t: t.__setitem__(0, 1.0), lambda t: t.exp_(),
], ids=["add_", "zero_", "fill_", "mul_", "copy_", "setitem", "exp_"])
def test_expanded_tensors_refuse_in_place_writes(write):
    base = ember.ones(1, 3)
    e = base.expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor "
                                           "refers to a single memory location"):
        write(e)
    assert base.tolist() == [[1.0, 1.0, 1.0]]


def test_expanded_tensor_with_grad_refuses_too():
    a = ember.ones(1, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="single memory location"):
        (a * 1).expand(2, 3).add_(a)


def test_leaf_requiring_grad_refuses_in_place_unless_no_grad():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           r"an in-place operation. \(add_\)"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[1:].mul_(2)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w[0] = 2.0
    with ember.no_grad():
        w.mul_(2)
        w[0] = 5.0
    assert w.tolist() == [5.0, 2.0, 2.0] and w.grad_fn is None and w.requires_grad


def test_inplace_makes_a_tensor_require_grad():
    y = ember.zeros(3)
    w = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y.add_(w)
    assert y.requires_grad and y.grad_fn is not None
    (y * y).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0, 6.0]


def test_inplace_chain_gradient_matches_hand_derivation():
    x = ember.tensor([0.5, -1.0], dtype=ember.float64, requires_grad=True)
    y = x * 3
    y.pow_(2).add_(x).sin_()  # y = sin(9x^2 + x)
    y.sum().backward()
    a = np.array([0.5, -1.0])
    assert_close(x.grad, np.cos(9 * a * a + a) * (18 * a + 1))


@pytest.mark.parametrize("name", ["sigmoid", "exp", "tanh"])
def test_modifying_a_saved_output_raises_at_backward(name):
    x = ember.randn(3, requires_grad=True)
    y = getattr(x, name)()
    y.mul_(2)  # the op saved its output for backward
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_modifying_a_saved_input_raises_at_backward():
    x = ember.randn(3, requires_grad=True)
    h = x * 1
    y = h * h
    h.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[ember\.FloatTensor"
                                           r" \[3\]\].*is at version 1; expected version 0"):
        y.sum().backward()


def test_modifying_an_unused_value_is_fine():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    y = h + 1.0  # computed before the in-place change: its gradient does not see it
    h.mul_(3.0)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_inplace_on_int_index_and_out_of_place_versions_agree():
    for name, args in [("masked_fill_", (ember.tensor([True, False, True]), 9.0)),
                       ("index_fill_", (0, ember.tensor([1]), -1.0)),
                       ("scatter_", (0, ember.tensor([2, 0]), ember.tensor([5.0, 6.0]))),
                       ("index_add_", (0, ember.tensor([0, 0]), ember.tensor([1.0, 2.0]))),
                       ("clamp_", (0.5, 1.5)), ("neg_", ())]:
        x = ember.tensor([0.0, 1.0, 2.0])
        expect = getattr(x, name[:-1])(*args)
        assert getattr(x, name)(*args) is x
        assert_close(x, expect)


UNARY_INPLACE = ["relu", "sigmoid", "tanh", "exp", "exp2", "expm1", "sqrt", "rsqrt",
                 "reciprocal", "neg", "erfinv", "abs", "log", "sin", "atan", "square"]


@pytest.mark.parametrize("name", UNARY_INPLACE)
def test_unary_inplace_gradient_matches_the_out_of_place_op(name):
    # ops whose backward reads only their output run on a snapshot sharing self's memory
    # (no copy): their gradient must still be the out-of-place op's
    a = np.array([0.15, 0.4, 0.55, 0.8])
    w = ember.tensor([1.0, -2.0, 0.5, 3.0], dtype=ember.float64)
    grads = []
    for in_place in (False, True):
        x = ember.tensor(a, requires_grad=True)
        h = x * 1.1  # a non-leaf, so it may be written in place
        y = getattr(h, name + "_")() if in_place else getattr(h, name)()
        assert (y is h) == in_place
        (y * y * w).sum().backward()  # uses y twice and saves it as a mul input
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=0)
    assert gradcheck(lambda t: getattr(t * 1.1, name + "_")(),
                     (ember.tensor(a, requires_grad=True),))
