"""Views and in-place ops under autograd: shared memory and version counters, ``x[idx] = v``,
in-place ops on views of non-leaves (CopySlices), views regenerated after their base changes
in place, and detached aliases.  Gradients are checked by finite differences and against
hand-derived values."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close


def _d(*shape, seed=0, grad=True):
    rng = np.random.default_rng(seed)
    return ember.tensor(rng.uniform(-1, 1, shape), dtype=ember.float64, requires_grad=grad)


@pytest.mark.parametrize("make", [
    lambda x: x.view(12), lambda x: x[1:, ::2], lambda x: x.t(), lambda x: x[:1].expand(5, 4),
    lambda x: x.narrow(1, 1, 2), lambda x: x.diagonal(), lambda x: x.unfold(1, 2, 2),
    lambda x: x.unsqueeze(0).squeeze(0), lambda x: x[..., None], lambda x: x.as_strided((2,), (5,)),
], ids=["view", "slice", "t", "expand", "narrow", "diagonal", "unfold", "squeeze", "none",
        "as_strided"])
def test_views_share_memory_and_version_counter(make):
    x = ember.arange(12.0).reshape(3, 4).clone()
    v = make(x)
    assert np.may_share_memory(v.numpy(), x.numpy())
    x.mul_(2)  # base -> view
    assert_close(v, make(ember.arange(12.0).reshape(3, 4) * 2))
    assert v._version == x._version == 1


@pytest.mark.parametrize("make", [
    lambda x: x.view(12), lambda x: x[1:, ::2], lambda x: x.t(), lambda x: x.narrow(1, 1, 2),
    lambda x: x.diagonal(), lambda x: x.unfold(1, 2, 2), lambda x: x.unsqueeze(0).squeeze(0),
    lambda x: x.select(0, 2), lambda x: x.split(1)[1],
], ids=["view", "slice", "t", "narrow", "diagonal", "unfold", "squeeze", "select", "split"])
def test_writing_a_view_changes_the_base(make):
    x = ember.arange(12.0).reshape(3, 4).clone()
    ref = np.arange(12.0).reshape(3, 4)
    v = make(x)
    v.fill_(-1.0)
    refv = make(ember.tensor(ref))  # the same positions of a numpy-backed tensor
    refv.fill_(-1.0)
    assert_close(x, refv._base.numpy() if refv._base is not None else ref)
    assert x._version == 1


def test_setitem_gradient_reaches_value_and_old_history():
    def f(a, b):
        y = a.clone()
        y[1:3] = b * 2
        return y * a
    a, b = _d(4, 3), _d(3, seed=1)
    gradcheck(f, (a, b))
    gradgradcheck(f, (a, b))
    f(a, b).sum().backward()
    an, bn = a.detach().numpy(), b.detach().numpy()
    ga = an.copy()  # d/da of y * a with y = a outside rows 1:3 -> 2a; inside -> 2b
    ga[[0, 3]] = 2 * an[[0, 3]]
    ga[1:3] = 2 * bn
    assert_close(a.grad, ga)
    assert_close(b.grad, 2 * an[1:3].sum(0))


@pytest.mark.parametrize("key", [
    1, (slice(None), 0), (ember.tensor([0, 2]),), (ember.tensor([True, False, True, True]),),
    (ember.tensor([3, 0]), slice(1, None)), (Ellipsis, ember.tensor([2, 0])), (2, 1),
], ids=["int", "column", "index", "mask", "index+slice", "ellipsis+index", "scalar"])
def test_setitem_gradcheck_for_many_keys(key):
    def f(a, b):
        y = a * 1
        y[key] = b.sum() + b[0] ** 2  # a 0-d value with a gradient, broadcast
        return y.sin()
    gradcheck(f, (_d(4, 3), _d(2, seed=2)))
    gradgradcheck(f, (_d(4, 3), _d(2, seed=2)))


def test_inplace_on_view_of_non_leaf():
    a = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = a.clone()
    y[0].mul_(3)
    assert y.tolist() == [[3.0, 6.0], [3.0, 4.0]]
    assert type(y.grad_fn).__name__ == "CopySlices"
    y.sum().backward()
    assert a.grad.tolist() == [[3.0, 3.0], [1.0, 1.0]]

    def f(a, b):
        y = a * 1
        y.t()[1:].mul_(b)          # a column, through a transposed view
        y.diagonal().add_(b.sum())  # then the diagonal
        return y.exp()
    gradcheck(f, (_d(3, 3), _d(1, seed=3)))
    gradgradcheck(f, (_d(3, 3), _d(1, seed=3)))


@pytest.mark.parametrize("view", [
    lambda y: y[1], lambda y: y.t()[1:], lambda y: y.diagonal(), lambda y: y.unfold(1, 2, 2),
    lambda y: y.as_strided((2, 2), (1, 3), 1), lambda y: y.view(-1)[2:5],
], ids=["row", "t_slice", "diagonal", "unfold", "as_strided", "flat_slice"])
def test_inplace_through_view_kinds_gradcheck(view):
    def f(a, b):
        y = a * 1
        v = view(y)
        v.mul_(b.sum()).add_(1.0)
        return y * y
    gradcheck(f, (_d(3, 4), _d(2, seed=4)))
    gradgradcheck(f, (_d(3, 4), _d(2, seed=4)))


def test_view_sees_base_modification_in_its_gradient():
    # z is taken before y changes in place; z's values change, so must its gradient (PyTorch
    # regenerates the view's grad_fn from the base's new history)
    a = ember.ones(2, 3, requires_grad=True)
    y = a * 2
    z = y[1]
    w = y[:, :1]
    y.mul_(3)
    assert z.tolist() == [6.0, 6.0, 6.0]
    (z.sum() + w.sum()).backward()
    assert a.grad.tolist() == [[6.0, 0.0, 0.0], [12.0, 6.0, 6.0]]


def test_other_views_see_an_in_place_change_of_one_view():
    a = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = a * 1
    left, right = y[:2], y[1:]
    left.mul_(10)  # element 1 is shared by both views
    assert right.tolist() == [20.0, 3.0]
    right.sum().backward()
    assert a.grad.tolist() == [0.0, 10.0, 1.0]

    def f(a):
        y = a * 1
        p, q = y[:2], y[1:]
        p.mul_(a[:2])
        return q * q
    gradcheck(f, (_d(3),))
    gradgradcheck(f, (_d(3),))


def test_view_of_a_plain_base_gets_grad_when_the_base_does():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.zeros(2)
    z = y[1:]
    assert not z.requires_grad
    y.copy_(w * 3)
    assert z.requires_grad
    z.sum().backward()
    assert w.grad.tolist() == [0.0, 3.0]


def test_detached_aliases_do_not_touch_the_graph():
    a = ember.ones(3, requires_grad=True)
    d = a.detach()
    d.add_(1)  # shares memory and version counter, but no autograd link
    assert a.tolist() == [2.0, 2.0, 2.0] and a._version == 1
    assert a.grad_fn is None and a.is_leaf
    w = ember.ones(1, requires_grad=True)
    dv = a.detach()[1:]
    dv.mul_(w)  # a view of the detached alias, not of the leaf
    assert a.grad_fn is None and dv.requires_grad


def test_view_of_leaf_refuses_in_place_with_grad_but_not_without():
    a = ember.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        a.t()[0].add_(1)
    with ember.no_grad():
        a.t()[0].add_(1)
    assert a.tolist() == [[2.0, 1.0], [2.0, 1.0]]


def test_saved_view_modified_through_base_is_detected():
    a = ember.randn(3, requires_grad=True)
    y = a * 1
    v = y[:2]
    out = (v * v).sum()  # saves v
    y.add_(1)            # bumps the shared version counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_setitem_with_tensor_values_on_advanced_keys():
    def f(a, b):
        y = a * 1
        y[ember.tensor([2, 0])] = b * 3      # rows 2 and 0 from b's rows
        y[1, ember.tensor([0, 2])] = b[0, :2]  # integer + advanced key
        return y * a
    a, b = _d(3, 3), _d(2, 3, seed=5)
    gradcheck(f, (a, b))
    gradgradcheck(f, (a, b))
    y = f(a, b).detach().numpy()
    an, bn = a.detach().numpy(), b.detach().numpy()
    expect = an.copy()
    expect[[2, 0]] = bn * 3
    expect[1, [0, 2]] = bn[0, :2]
    assert_close(y, expect * an)


def test_setitem_places_values_like_getitem_reads_them():
    x = ember.zeros(2, 3, 4)
    idx = ember.tensor([0, 3])
    x[1, :, idx] = ember.arange(6.0).reshape(3, 2)  # PyTorch: (3, 2), numpy would want (2, 3)
    assert_close(x[1, :, idx], np.arange(6.0).reshape(3, 2).astype(np.float32))
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[2, 3\]"):
        x[1, :, idx] = ember.ones(2, 3)
