"""Tensor hooks, ``retain_grad``, post-accumulate hooks and Node hooks / pre-hooks."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

F64 = ember.float64


def leaf(data, device):
    return ember.tensor(data, dtype=F64, device=device, requires_grad=True)


# ---------------------------------------------------------------------- tensor hooks
def test_leaf_hook_replaces_gradient(device):
    x = leaf([1.0, 2.0], device)
    x.register_hook(lambda g: g * 10.0)
    (x * 2.0).sum().backward()
    assert_close(x.grad, [20.0, 20.0])


def test_leaf_hook_returning_none_observes_only(device):
    x = leaf([1.0, 2.0], device)
    seen = []
    x.register_hook(lambda g: seen.append(g.detach().clone()))
    (x * 3.0).sum().backward()
    assert len(seen) == 1
    assert_close(seen[0], [3.0, 3.0])
    assert_close(x.grad, [3.0, 3.0])


def test_leaf_hook_sees_summed_gradient_once(device):
    x = leaf(2.0, device)
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * 3.0 + x * x).backward()
    assert calls == [pytest.approx(3.0 + 4.0)]


def test_leaf_hook_applies_to_autograd_grad(device):
    x = leaf([1.0, 2.0], device)
    x.register_hook(lambda g: g * 10.0)
    (g,) = ember.autograd.grad((x * 2.0).sum(), x)
    assert_close(g, [20.0, 20.0])
    assert x.grad is None


def test_non_leaf_hook_replaces_gradient_flowing_on(device):
    x = leaf([1.0, 2.0], device)
    y = x * 2.0
    y.register_hook(lambda g: g * 5.0)
    (y * 1.0).sum().backward()
    assert_close(x.grad, [10.0, 10.0])


def test_hooks_chain_in_registration_order(device):
    x = leaf(1.0, device)
    x.register_hook(lambda g: g + 1.0)
    x.register_hook(lambda g: g * 10.0)
    (x * 2.0).backward()
    assert x.grad.item() == (2.0 + 1.0) * 10.0


def test_hook_removal(device):
    x = leaf([1.0, 2.0], device)
    handle = x.register_hook(lambda g: g * 10.0)
    handle.remove()
    handle.remove()  # idempotent
    (x * 2.0).sum().backward()
    assert_close(x.grad, [2.0, 2.0])
    y = x * 1.0
    h2 = y.register_hook(lambda g: g * 0.0)
    h2.remove()
    x.grad = None
    (y * 3.0).sum().backward()
    assert_close(x.grad, [3.0, 3.0])


def test_hook_on_tensor_without_grad_raises(device):
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                           "require gradient"):
        ember.ones(2, device=device).register_hook(lambda g: g)


def test_gradient_kept_by_a_hook_is_not_modified_by_later_accumulation(device):
    x = leaf([1.0, 2.0], device)
    kept = []
    x.register_hook(kept.append)
    (x * 2.0).sum().backward()
    (x * 2.0).sum().backward()
    assert_close(kept[0], [2.0, 2.0])
    assert_close(kept[1], [2.0, 2.0])
    assert_close(x.grad, [4.0, 4.0])


def test_gradient_kept_by_a_non_leaf_hook_is_not_the_leaf_grad(device):
    x = leaf([1.0, 2.0], device)
    y = x + 1.0           # add's backward passes its gradient through unchanged
    kept = []
    y.register_hook(kept.append)
    y.sum().backward()
    x.grad.add_(100.0)
    assert_close(kept[0], [1.0, 1.0])


# ---------------------------------------------------------------------- retain_grad
def test_retain_grad_populates_non_leaf_grad(device):
    x = leaf([1.0, 2.0], device)
    y = x * 3.0
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    assert_close(y.grad, [6.0, 12.0])        # 2y
    assert_close(x.grad, [18.0, 36.0])       # 2y * 3


def test_retain_grad_accumulates_over_backward_calls(device):
    x = leaf([1.0, 2.0], device)
    y = x * 2.0
    y.retain_grad()
    z = y.sum()
    z.backward(retain_graph=True)
    z.backward()
    assert_close(y.grad, [2.0, 2.0])


def test_retain_grad_sees_gradient_after_hooks(device):
    x = leaf([1.0, 2.0], device)
    y = x * 2.0
    y.retain_grad()
    y.register_hook(lambda g: g * 3.0)   # registered later, still runs before retain_grad
    y.sum().backward()
    assert_close(y.grad, [3.0, 3.0])
    assert_close(x.grad, [6.0, 6.0])


def test_retain_grad_on_leaf_is_noop_and_on_no_grad_tensor_raises(device):
    x = leaf([1.0], device)
    x.retain_grad()
    assert not x.retains_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has "
                                           "requires_grad=False"):
        ember.ones(1, device=device).retain_grad()


def test_retained_grad_is_independent_of_leaf_grad(device):
    x = leaf([1.0, 2.0], device)
    y = x + 0.0
    y.retain_grad()
    y.sum().backward()
    x.grad.add_(1.0)
    assert_close(y.grad, [1.0, 1.0])


# ---------------------------------------------------------------------- post-accumulate hooks
def test_post_accumulate_grad_hook_runs_after_accumulation(device):
    x = leaf([1.0, 2.0], device)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.detach().clone()))
    (x * 2.0).sum().backward()
    (x * 2.0).sum().backward()
    assert_close(seen[0], [2.0, 2.0])
    assert_close(seen[1], [4.0, 4.0])


def test_post_accumulate_grad_hook_receives_the_tensor_and_can_be_removed(device):
    x = leaf([1.0], device)
    got = []
    h = x.register_post_accumulate_grad_hook(got.append)
    (x * 2.0).sum().backward()
    h.remove()
    (x * 2.0).sum().backward()
    assert len(got) == 1 and got[0] is x


def test_post_accumulate_grad_hook_on_non_leaf_raises(device):
    y = leaf([1.0], device) * 2.0
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on "
                                           "non-leaf tensors"):
        y.register_post_accumulate_grad_hook(lambda t: None)


def test_post_accumulate_hook_not_run_by_autograd_grad(device):
    x = leaf([1.0], device)
    got = []
    x.register_post_accumulate_grad_hook(got.append)
    ember.autograd.grad((x * 2.0).sum(), x)
    assert got == []


# ---------------------------------------------------------------------- node hooks
def test_node_hook_sees_grad_inputs_and_outputs(device):
    x = leaf([1.0, 2.0], device)
    y = x * 3.0
    seen = []
    y.grad_fn.register_hook(lambda gi, go: seen.append((gi, go)))
    y.sum().backward()
    (gi, go) = seen[0]
    assert isinstance(gi, tuple) and isinstance(go, tuple)
    assert_close(go[0], [1.0, 1.0])
    assert_close(gi[0], [3.0, 3.0])


def test_node_hook_can_replace_grad_inputs(device):
    x = leaf([1.0, 2.0], device)
    y = x * 3.0
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0.0 + 7.0,) + tuple(gi[1:]))
    y.sum().backward()
    assert_close(x.grad, [7.0, 7.0])


def test_node_prehook_replaces_grad_outputs(device):
    x = leaf([1.0, 2.0], device)
    y = x * 3.0
    y.grad_fn.register_prehook(lambda go: (go[0] * 2.0,))
    y.sum().backward()
    assert_close(x.grad, [6.0, 6.0])


def test_node_hook_removal(device):
    x = leaf([1.0], device)
    y = x * 3.0
    h = y.grad_fn.register_prehook(lambda go: (go[0] * 100.0,))
    h.remove()
    y.sum().backward()
    assert_close(x.grad, [3.0])


def test_accumulate_grad_node_prehook(device):
    x = leaf([1.0, 2.0], device)
    y = x * 2.0
    acc = y.grad_fn.next_functions[0][0]
    assert acc.name() == "AccumulateGrad" and acc.variable is x
    acc.register_prehook(lambda go: (go[0] + 1.0,))
    y.sum().backward()
    assert_close(x.grad, [3.0, 3.0])


def test_next_functions_structure(device):
    x = leaf([1.0], device)
    w = ember.ones(1, dtype=F64, device=device)
    y = (x * 2.0) * w
    fns = y.grad_fn.next_functions
    assert fns[0][0] is not None and fns[0][0].name() == "MulBackward0"
    assert fns[1] == (None, 0)
    assert np.array_equal(y.detach().cpu().numpy(), [2.0])
