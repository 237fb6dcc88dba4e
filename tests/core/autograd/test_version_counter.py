"""Version counters: in-place changes bump them, views share them, and backward refuses to
use a saved value that changed since it was saved (naming the op that saved it)."""

from __future__ import annotations

import pytest

import ember
from ember.testing import assert_close

F64 = ember.float64


def leaf(data, device):
    return ember.tensor(data, dtype=F64, device=device, requires_grad=True)


def test_in_place_ops_bump_version(device):
    t = ember.zeros(3, device=device)
    assert t._version == 0
    t.add_(1.0)
    t.mul_(2.0)
    assert t._version == 2
    t[0] = 5.0
    assert t._version == 3


def test_views_and_detach_share_the_counter(device):
    t = ember.zeros(4, device=device)
    v = t[1:3]
    d = t.detach()
    v.add_(1.0)
    assert t._version == v._version == d._version == 1
    d.zero_()
    assert t._version == 2


def test_out_of_place_ops_do_not_bump(device):
    t = ember.ones(2, device=device)
    _ = t * 2.0 + 1.0
    assert t._version == 0


def test_saved_input_modified_raises_naming_the_op(device):
    x = leaf([1.0, 2.0], device)
    h = x * 1.0
    y = h * h            # MulBackward0 saves h
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation "
                                           "has been modified by an inplace operation") as info:
        y.sum().backward()
    msg = str(info.value)
    assert "is at version 1; expected version 0 instead" in msg
    kind = "ember.DoubleTensor" if x.device.type == "cpu" else "ember.cuda.DoubleTensor"
    assert "MulBackward0" in msg and f"[{kind} [2]]" in msg


def test_saved_output_modified_raises(device):
    x = leaf([0.5, 1.0], device)
    y = x.exp()          # ExpBackward0 saves its output
    y.detach().mul_(2.0)
    with pytest.raises(RuntimeError, match="ExpBackward0 is at version 1; expected version 0"):
        y.sum().backward()


def test_saved_value_modified_through_a_view_raises(device):
    x = leaf([1.0, 2.0, 3.0], device)
    h = x * 1.0
    y = h.sin()          # saves h
    with ember.no_grad():
        h[1:].mul_(0.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_modifying_an_unsaved_value_is_fine(device):
    x = leaf([1.0, 2.0], device)
    h = x * 1.0
    y = h + 1.0          # add saves nothing
    h.mul_(3.0)
    y.sum().backward()
    assert_close(x.grad, [1.0, 1.0])    # y's edge points at h's history before the mul_


def test_in_place_then_backward_uses_new_history(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2.0
    h.pow_(2)           # h = (2x)^2 -> dh/dx = 8x
    h.sum().backward()
    assert_close(x.grad, [8.0, 16.0])


def test_in_place_on_view_of_non_leaf_routes_gradient(device):
    x = leaf([1.0, 2.0, 3.0], device)
    h = x * 1.0
    h[0:2].mul_(10.0)
    h.sum().backward()
    assert_close(x.grad, [10.0, 10.0, 1.0])
