"""Custom ``ember.autograd.Function``: recording, ctx API, error paths, higher order."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.autograd import Function, FunctionCtx, once_differentiable
from ember.testing import assert_close

F64 = ember.float64


def leaf(data, device):
    return ember.tensor(data, dtype=F64, device=device, requires_grad=True)


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 3.0 * x ** 2


class Scale(Function):
    """Non-tensor argument with a default; backward returns None for it."""

    @staticmethod
    def forward(ctx, x, k=2.0):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, gy):
        return gy * ctx.k, None


class ScaleNew(Function):
    """New style: forward without ctx, setup_context fills it."""

    @staticmethod
    def forward(x, k=2.0):
        return x * k

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, k = inputs
        ctx.k = k
        ctx.seen = (inputs, output)

    @staticmethod
    def backward(ctx, gy):
        return gy * ctx.k, None


# ---------------------------------------------------------------------- recording
def test_forward_backward_and_node_name(device):
    x = leaf([1.0, 2.0], device)
    y = Cube.apply(x)
    assert y.requires_grad and y.grad_fn.name() == "CubeBackward"
    assert "CubeBackward" in repr(y.grad_fn)
    assert_close(y, [1.0, 8.0])
    y.sum().backward()
    assert_close(x.grad, [3.0, 12.0])


def test_forward_runs_with_grad_mode_off_and_sees_needs_input_grad(device):
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen["enabled"] = ember.is_grad_enabled()
            seen["needs"] = ctx.needs_input_grad
            return a * b * k

        @staticmethod
        def backward(ctx, gy):
            return gy, None, None

    a, b = leaf([1.0], device), ember.ones(1, dtype=F64, device=device)
    Probe.apply(a, b, 3.0)
    assert seen == {"enabled": False, "needs": (True, False, False)}
    assert ember.is_grad_enabled()


def test_output_object_is_the_one_forward_returned(device):
    kept = {}

    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2.0
            kept["y"] = y
            return y

        @staticmethod
        def backward(ctx, gy):
            return gy * 2.0

    y = Keep.apply(leaf([1.0], device))
    assert y is kept["y"] and y.grad_fn is not None


def test_no_recording_without_grad(device):
    x = leaf([1.0, 2.0], device)
    with ember.no_grad():
        y = Cube.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    z = Cube.apply(ember.ones(2, device=device))
    assert not z.requires_grad and z.grad_fn is None


def test_kwargs_and_defaults_old_style(device):
    x = leaf([1.0, 2.0], device)
    Scale.apply(x, k=3.0).sum().backward()
    assert_close(x.grad, [3.0, 3.0])
    x.grad = None
    Scale.apply(x).sum().backward()     # default k = 2
    assert_close(x.grad, [2.0, 2.0])


def test_new_style_setup_context(device):
    x = leaf([1.0, 2.0], device)
    y = ScaleNew.apply(x, k=4.0)
    inputs, output = y.grad_fn.seen
    assert inputs[0] is x and inputs[1] == 4.0 and output is y
    y.sum().backward()
    assert_close(x.grad, [4.0, 4.0])
    assert ScaleNew.apply(x).grad_fn.seen[0][1] == 2.0   # defaults are bound


def test_multiple_outputs_and_non_tensor_output(device):
    class Split(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0, x * 3.0, "tag"

        @staticmethod
        def backward(ctx, ga, gb):
            return ga * 2.0 + gb * 3.0

    x = leaf([1.0, 2.0], device)
    a, b, tag = Split.apply(x)
    assert tag == "tag" and a.grad_fn is b.grad_fn
    assert (a.output_nr, b.output_nr) == (0, 1)
    (a.sum() + 10.0 * b.sum()).backward()
    assert_close(x.grad, [32.0, 32.0])


def test_unused_output_gets_zeros_by_default(device):
    got = []

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0, x * 3.0

        @staticmethod
        def backward(ctx, ga, gb):
            got.append((ga, gb))
            return ga * 2.0 + gb * 3.0

    x = leaf([1.0, 2.0], device)
    _, b = Two.apply(x)
    b.sum().backward()
    assert_close(got[0][0], [0.0, 0.0])
    assert_close(x.grad, [3.0, 3.0])


def test_set_materialize_grads_false_passes_none(device):
    got = []

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2.0, x * 3.0

        @staticmethod
        def backward(ctx, ga, gb):
            got.append(ga)
            return gb * 3.0

    x = leaf([1.0, 2.0], device)
    _, b = Two.apply(x)
    b.sum().backward()
    assert got == [None]
    assert_close(x.grad, [3.0, 3.0])


def test_mark_non_differentiable(device):
    class WithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            idx = (x > 0).long()
            flag = x * 0.0
            ctx.mark_non_differentiable(idx, flag)
            return x * 2.0, idx, flag

        @staticmethod
        def backward(ctx, gy, gidx, gflag):
            return gy * 2.0

    x = leaf([-1.0, 1.0], device)
    y, idx, flag = WithIndex.apply(x)
    assert y.requires_grad
    assert not idx.requires_grad and not flag.requires_grad and flag.grad_fn is None
    y.sum().backward()
    assert_close(x.grad, [2.0, 2.0])


def test_input_returned_as_is_becomes_new_alias(device):
    class Ident(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, gy):
            return gy * 5.0

    x = leaf([1.0, 2.0], device)
    y = Ident.apply(x)
    assert y is not x and x.is_leaf and y.grad_fn.name() == "IdentBackward"
    assert y.data_ptr() == x.data_ptr()
    y.sum().backward()
    assert_close(x.grad, [5.0, 5.0])


def test_arbitrary_ctx_attributes_including_node_like_names(device):
    class Attrs(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.output = "o"
            ctx.saved = [1]
            ctx.anything = {"k": 2}
            return x * 1.0

        @staticmethod
        def backward(ctx, gy):
            assert ctx.output == "o" and ctx.saved == [1] and ctx.anything == {"k": 2}
            return gy * 2.0

    x = leaf([1.0], device)
    Attrs.apply(x).sum().backward()
    assert_close(x.grad, [2.0])


def test_function_ctx_standalone():
    ctx = FunctionCtx()
    ctx.foo = 1
    ctx.save_for_backward(None)
    assert ctx.foo == 1 and ctx.to_save == (None,)


# ---------------------------------------------------------------------- saved tensors
def test_saved_tensors_freed_after_backward(device):
    x = leaf([1.0, 2.0], device)
    y = Cube.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="Specify retain_graph=True"):
        _ = y.grad_fn.saved_tensors


def test_saved_tensors_kept_with_retain_graph(device):
    x = leaf([1.0, 2.0], device)
    y = Cube.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert_close(x.grad, [6.0, 24.0])
    assert y.grad_fn is not None


def test_saved_input_modified_in_place_raises_naming_the_node(device):
    x = leaf([1.0, 2.0], device)
    h = x * 1.0
    y = Cube.apply(h)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*is at version 1; "
                                           "expected version 0.*CubeBackward"):
        y.sum().backward()


def test_saved_output_keeps_graph_for_double_backward(device):
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, gy):
            (y,) = ctx.saved_tensors
            return gy * y

    x = leaf(0.3, device)
    y = Exp.apply(x)
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    (g2,) = ember.autograd.grad(g, x)
    assert g.item() == pytest.approx(math.exp(0.3))
    assert g2.item() == pytest.approx(math.exp(0.3))


def test_save_for_backward_rejects_non_tensors(device):
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 1.0

    with pytest.raises(TypeError, match="save_for_backward can only save variables, but argument "
                                        "1 is of type int"):
        Bad.apply(leaf([1.0], device))


def test_save_for_backward_allows_none(device):
    class WithNone(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, None)
            return x * 2.0

        @staticmethod
        def backward(ctx, gy):
            x, nothing = ctx.saved_tensors
            assert nothing is None
            return gy * 2.0

    x = leaf([1.0], device)
    WithNone.apply(x).sum().backward()
    assert_close(x.grad, [2.0])


# ---------------------------------------------------------------------- mark_dirty
class MulTwoInPlace(Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2.0)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, gy):
        return gy * 2.0


def test_mark_dirty_moves_grad_fn_to_new_node(device):
    x = leaf([1.0, 2.0], device)
    h = x * 3.0
    v0 = h._version
    out = MulTwoInPlace.apply(h)
    assert out is h and h.grad_fn.name() == "MulTwoInPlaceBackward"
    assert h._version > v0
    assert_close(h, [6.0, 12.0])
    h.sum().backward()
    assert_close(x.grad, [6.0, 6.0])


def test_mark_dirty_on_leaf_requiring_grad_raises(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in "
                                           "an in-place operation"):
        MulTwoInPlace.apply(x)


def test_mark_dirty_without_returning_raises(device):
    class Hidden(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2.0)
            ctx.mark_dirty(x)
            return x * 1.0

        @staticmethod
        def backward(ctx, gy):
            return gy

    with pytest.raises(RuntimeError, match="marked as dirty during the forward method were not "
                                           "returned as output"):
        Hidden.apply(leaf([1.0], device) * 1.0)


def test_mark_dirty_on_view_routes_gradient_through_base(device):
    x = leaf([1.0, 2.0, 3.0, 4.0], device)
    base = x * 1.0
    view = base[:2]
    MulTwoInPlace.apply(view)
    assert_close(base, [2.0, 4.0, 3.0, 4.0])
    (base * ember.tensor([1.0, 10.0, 100.0, 1000.0], dtype=F64, device=device)).sum().backward()
    assert_close(x.grad, [2.0, 20.0, 100.0, 1000.0])


def test_mark_dirty_under_no_grad_just_modifies(device):
    t = ember.ones(2, dtype=F64, device=device)
    out = MulTwoInPlace.apply(t)
    assert out is t and not t.requires_grad
    assert_close(t, [2.0, 2.0])


# ---------------------------------------------------------------------- backward checks
def test_backward_too_few_grads_raises(device):
    class Few(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, gy):
            return gy

    a, b = leaf([1.0], device), leaf([2.0], device)
    with pytest.raises(RuntimeError, match="function FewBackward returned an incorrect number of "
                                           "gradients \\(expected 2, got 1\\)"):
        Few.apply(a, b).sum().backward()


def test_backward_extra_non_none_grads_raise_extra_nones_are_dropped(device):
    class Extra(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, gy):
            return gy, gy

    class ExtraNone(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, gy):
            return gy * 2.0, None, None

    x = leaf([1.0], device)
    with pytest.raises(RuntimeError, match="expected 1, got 2"):
        Extra.apply(x).sum().backward()
    ExtraNone.apply(x).sum().backward()
    assert_close(x.grad, [2.0])


def test_backward_wrong_shape_raises(device):
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, gy):
            return ember.ones(3, dtype=F64, device=gy.device)

    with pytest.raises(RuntimeError, match="Function WrongShapeBackward returned an invalid "
                                           "gradient at index 0 - got \\[3\\] but expected shape "
                                           "compatible with \\[2\\]"):
        WrongShape.apply(leaf([1.0, 2.0], device)).sum().backward()


def test_backward_broadcast_gradient_is_summed(device):
    class Broadcast(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, gy):
            return gy * ember.ones(4, 2, dtype=F64, device=gy.device)

    x = leaf([1.0, 2.0], device)
    Broadcast.apply(x).backward()
    assert_close(x.grad, [4.0, 4.0])


def test_backward_non_tensor_raises(device):
    class Number(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, gy):
            return 3.0

    with pytest.raises(RuntimeError, match="expected Variable or None \\(got float\\)"):
        Number.apply(leaf([1.0], device)).sum().backward()


def test_grad_for_non_tensor_input_raises(device):
    class NonTensorGrad(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, gy):
            return gy, gy

    with pytest.raises(RuntimeError, match="returned a gradient different than None at position "
                                           "2, but the corresponding forward input was not a "
                                           "Variable"):
        NonTensorGrad.apply(leaf([1.0], device), 3.0).sum().backward()


def test_grad_for_input_not_requiring_grad_is_ignored(device):
    class Both(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, gy):
            return gy * 2.0, gy * 3.0

    a, b = leaf([1.0], device), ember.ones(1, dtype=F64, device=device)
    Both.apply(a, b).sum().backward()
    assert_close(a.grad, [2.0])
    assert b.grad is None


def test_missing_backward_and_forward(device):
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

    with pytest.raises(NotImplementedError, match="You must implement either the backward or vjp"):
        NoBackward.apply(leaf([1.0], device)).sum().backward()
    with pytest.raises(NotImplementedError, match="You must implement the forward function"):
        Function.apply(leaf([1.0], device))


def test_vjp_alias_for_backward(device):
    class ViaVjp(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def vjp(ctx, gy):
            return gy * 2.0

    x = leaf([1.0], device)
    ViaVjp.apply(x).sum().backward()
    assert_close(x.grad, [2.0])


def test_instantiating_and_calling_a_function_is_legacy():
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        inst = Cube()
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward"):
        inst(ember.ones(1))


# ---------------------------------------------------------------------- higher order
def test_create_graph_through_function_matches_hand_derivatives(device):
    x0 = 1.7
    x = leaf(x0, device)
    y = Cube.apply(x)
    (d1,) = ember.autograd.grad(y, x, create_graph=True)
    (d2,) = ember.autograd.grad(d1, x, create_graph=True)
    (d3,) = ember.autograd.grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == (pytest.approx(3 * x0 ** 2),
                                                 pytest.approx(6 * x0), pytest.approx(6.0))


def test_gradgradcheck_through_function(device):
    x = ember.tensor(np.array([0.3, -1.2, 2.0]), dtype=F64, device=device, requires_grad=True)
    assert ember.autograd.gradcheck(Cube.apply, (x,))
    assert ember.autograd.gradgradcheck(Cube.apply, (x,))


class OnceCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    @once_differentiable
    def backward(ctx, gy):
        assert not ember.is_grad_enabled()
        (x,) = ctx.saved_tensors
        return gy * 3.0 * x ** 2


def test_once_differentiable_first_order(device):
    x = leaf([1.0, 2.0], device)
    OnceCube.apply(x).sum().backward()
    assert_close(x.grad, [3.0, 12.0])


def test_once_differentiable_double_backward_raises(device):
    x = leaf([1.0, 2.0], device)
    v = ember.ones(2, dtype=F64, device=device, requires_grad=True)
    (g,) = ember.autograd.grad(OnceCube.apply(x), x, grad_outputs=v, create_graph=True)
    assert g.grad_fn is not None and g.grad_fn.name() == "DelayedError"
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was "
                                           "marked with @once_differentiable"):
        g.sum().backward()


def test_once_differentiable_with_constant_grad_output_gives_no_graph(device):
    x = leaf([1.0, 2.0], device)
    (g,) = ember.autograd.grad(OnceCube.apply(x).sum(), x, create_graph=True)
    assert not g.requires_grad
    assert_close(g, [3.0, 12.0])


# ---------------------------------------------------------------------- graph integration
def test_function_in_larger_graph_and_hooks_on_its_node(device):
    x = leaf([0.5, -1.5], device)
    y = Cube.apply(x.sin()) * 2.0
    seen = []
    node = y.grad_fn.next_functions[0][0]
    assert node.name() == "CubeBackward"
    node.register_hook(lambda gi, go: seen.append(len(gi)))
    y.sum().backward()
    ref = 2.0 * 3.0 * np.sin([0.5, -1.5]) ** 2 * np.cos([0.5, -1.5])
    assert_close(x.grad, ref)
    assert seen == [1]


def test_function_gradient_kept_by_user_is_not_adopted_as_grad(device):
    keep = ember.ones(2, dtype=F64, device=device)

    class ReturnsGlobal(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, gy):
            return keep

    x = leaf([1.0, 2.0], device)
    ReturnsGlobal.apply(x).sum().backward()
    x.grad.add_(5.0)
    assert_close(keep, [1.0, 1.0])


def test_anomaly_mode_names_function_node(device):
    class NanGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, gy):
            return gy * float("nan")

    x = leaf([1.0], device)
    with ember.autograd.set_detect_anomaly(True):
        y = NanGrad.apply(x).sum()
        with pytest.warns(UserWarning, match="Error detected in NanGradBackward"):
            with pytest.raises(RuntimeError, match="Function 'NanGradBackward' returned nan"):
                y.backward()
