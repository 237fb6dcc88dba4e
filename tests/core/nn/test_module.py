"""``nn.Module``: registration, traversal, state_dict, conversion, hooks, repr, copying.

Expected strings (reprs, error messages, state_dict keys) were read from PyTorch 2.13 and are
written literally here with ``torch`` → ``ember``.
"""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.testing import assert_close


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 8), nn.Identity(),
                                      nn.Sequential(nn.Flatten(), nn.Identity()))
        self.head = nn.ModuleDict({"cls": nn.Linear(8, 3, bias=False)})
        self.register_buffer("scale", ember.ones(1))
        self.register_buffer("tmp", ember.zeros(2), persistent=False)

    def forward(self, x):
        return self.head["cls"](self.features(x)) * self.scale


NET_REPR = """Net(
  (features): Sequential(
    (0): Linear(in_features=4, out_features=8, bias=True)
    (1): Identity()
    (2): Sequential(
      (0): Flatten(start_dim=1, end_dim=-1)
      (1): Identity()
    )
  )
  (head): ModuleDict(
    (cls): Linear(in_features=8, out_features=3, bias=False)
  )
)"""


def _np(t):
    return t.detach().numpy(force=True)


# ---------------------------------------------------------------- registration
def test_attribute_registration_and_lookup():
    m = nn.Module()
    p = nn.Parameter(ember.ones(2))
    m.w = p
    m.sub = nn.Linear(2, 2)
    m.buf = nn.Buffer(ember.zeros(3))
    m.plain = 5
    assert m._parameters["w"] is p and m.w is p
    assert m._modules["sub"] is m.sub
    assert "buf" in m._buffers and "buf" not in m._non_persistent_buffers_set
    assert m.__dict__["plain"] == 5
    m.nb = nn.Buffer(ember.zeros(1), persistent=False)
    assert "nb" in m._non_persistent_buffers_set
    # reassigning a registered buffer with a plain tensor keeps it a buffer
    m.buf = ember.ones(3)
    assert_close(m._buffers["buf"], ember.ones(3))
    # None is allowed for registered names
    m.w = None
    assert m._parameters["w"] is None and m.w is None
    m.sub = None
    assert m._modules["sub"] is None
    del m.w, m.buf, m.plain
    assert "w" not in m._parameters and "buf" not in m._buffers and not hasattr(m, "plain")
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nothing'"):
        _ = m.nothing


def test_registration_errors():
    m = nn.Linear(2, 4)
    with pytest.raises(TypeError, match=r"cannot assign 'ember.FloatTensor' as parameter "
                                        r"'weight' \(ember.nn.Parameter or None expected\)"):
        m.weight = ember.ones(2)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", ember.ones(1))
    with pytest.raises(KeyError, match='buffer name can.*t contain'):
        m.register_buffer("a.b", ember.ones(1))
    with pytest.raises(KeyError, match="parameter name can.*t be empty string"):
        m.register_parameter("", None)
    with pytest.raises(TypeError, match="cannot assign 'int' object to buffer 'q'"):
        m.register_buffer("q", 3)
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("q", 3)
    with pytest.raises(TypeError, match=r"cannot assign 'ember.FloatTensor' object to parameter "
                                        r"'zz' \(ember.nn.Parameter or None required\)"):
        m.register_parameter("zz", ember.ones(1))
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'sub'"):
        s = nn.Module()
        s.sub = nn.Identity()
        s.sub = 3

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before "
                                             r"Module.__init__\(\) call"):
        Early()


def test_register_module_and_persistence_flag():
    m = nn.Module()
    m.register_module("a", nn.Identity())
    m.register_buffer("b", ember.ones(1), persistent=False)
    assert list(m.state_dict()) == []
    m.register_buffer("b", ember.ones(1))  # re-registering as persistent
    assert list(m.state_dict()) == ["b"]
    m.register_buffer("none", None)
    assert list(m.state_dict()) == ["b"] and [n for n, _ in m.named_buffers()] == ["b"]


# ---------------------------------------------------------------- traversal
def test_named_members_order_prefix_and_duplicates():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "features.0.weight", "features.0.bias", "head.cls.weight"]
    assert [n for n, _ in net.named_buffers()] == ["scale", "tmp"]
    assert [n for n, _ in net.named_modules()] == [
        "", "features", "features.0", "features.1", "features.2", "features.2.0",
        "features.2.1", "head", "head.cls"]
    assert [n for n, _ in net.named_children()] == ["features", "head"]
    assert [n for n, _ in net.named_parameters(prefix="m", recurse=False)] == []
    assert [n for n, _ in net.features[0].named_parameters(prefix="m")] == ["m.weight",
                                                                          "m.bias"]
    assert len(list(net.modules())) == 9 and len(list(net.children())) == 2
    # shared module and tied parameter
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert [n for n, _ in seq.named_modules()] == ["", "0"]
    assert [n for n, _ in seq.named_modules(remove_duplicate=False)] == ["", "0", "1"]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in seq.named_parameters(remove_duplicate=False)] == [
        "0.weight", "0.bias", "1.weight", "1.bias"]
    assert len(list(seq.children())) == 1
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_get_submodule_parameter_buffer():
    net = Net()
    assert net.get_submodule("features.2.0") is net.features[2][0]
    assert net.get_submodule("") is net
    assert net.get_parameter("head.cls.weight") is net.head["cls"].weight
    assert net.get_buffer("scale") is net.scale
    s = nn.Sequential(nn.Linear(2, 2))
    for fn, target, msg in [
            (s.get_submodule, "0.foo", "Linear has no attribute `foo`"),
            (s.get_submodule, "1", "Sequential has no attribute `1`"),
            (s.get_submodule, "0.weight", "`weight` is not an nn.Module"),
            (s.get_parameter, "0.foo", "Linear has no attribute `foo`"),
            (s.get_parameter, "0.in_features", "`in_features` is not an nn.Parameter"),
            (s.get_buffer, "0.weight", "`weight` is not a buffer")]:
        with pytest.raises(AttributeError) as e:
            fn(target)
        assert str(e.value) == msg
    s.set_submodule("0", nn.Identity())
    assert isinstance(s[0], nn.Identity)


# ---------------------------------------------------------------- state_dict
def test_state_dict_keys_metadata_and_sharing():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["scale", "features.0.weight", "features.0.bias", "head.cls.weight"]
    assert list(sd._metadata) == ["", "features", "features.0", "features.1", "features.2",
                                  "features.2.0", "features.2.1", "head", "head.cls"]
    assert sd._metadata["features.0"] == {"version": 1}
    w = sd["features.0.weight"]
    assert type(w) is ember.Tensor and not w.requires_grad
    assert np.shares_memory(w.numpy(), net.features[0].weight.detach().numpy())
    kv = net.state_dict(keep_vars=True)
    assert kv["features.0.weight"] is net.features[0].weight
    assert list(net.state_dict(prefix="model."))[0] == "model.scale"

    class V(nn.Linear):
        _version = 3
    assert V(1, 1).state_dict()._metadata[""] == {"version": 3}


def test_load_state_dict_round_trip_and_errors():
    a, b = Net(), Net()
    res = b.load_state_dict(a.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    x = ember.randn(5, 4)
    assert_close(b(x), a(x))
    w = b.features[0].weight
    assert not np.shares_memory(_np(w), _np(a.features[0].weight))  # copied, not shared

    m = nn.Linear(2, 4)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict({"weight": ember.ones(3, 2), "bias": ember.ones(4),
                           "extra": ember.ones(1)})
    assert str(e.value) == (
        'Error(s) in loading state_dict for Linear:\n\tUnexpected key(s) in state_dict: '
        '"extra". \n\tsize mismatch for weight: copying a param with shape ember.Size([3, 2]) '
        'from checkpoint, the shape in current model is ember.Size([4, 2]).')
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict({"weight": ember.ones(4, 2)})
    assert str(e.value) == ('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in '
                            'state_dict: "bias". ')
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight", '
                                           "expected ember.Tensor"):
        m.load_state_dict({"weight": 3, "bias": ember.ones(4)})
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1, 2])
    res = m.load_state_dict({"weight": ember.full((4, 2), 2.0), "x": ember.ones(1)},
                            strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["x"]
    assert repr(res) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['x'])"
    assert_close(m.weight, ember.full((4, 2), 2.0))
    # dtype cast on copy, parameter identity kept
    w = m.weight
    m.load_state_dict({"weight": ember.zeros(4, 2, dtype=ember.float64), "bias": ember.ones(4)})
    assert m.weight is w and w.dtype is ember.float32 and float(w.abs().sum()) == 0.0


def test_load_state_dict_assign_and_nested_unexpected():
    m = nn.Linear(2, 3)
    new_w = ember.ones(3, 2)
    m.load_state_dict({"weight": new_w, "bias": ember.zeros(3)}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert np.shares_memory(_np(m.weight), _np(new_w))
    s = nn.Sequential(nn.Linear(1, 1))
    res = s.load_state_dict({"0.weight": ember.ones(1, 1), "0.bias": ember.ones(1),
                             "1.weight": ember.ones(1), "0.sub.x": ember.ones(1)}, strict=False)
    assert res.unexpected_keys == ["1.weight", "0.sub.x"]


def test_state_dict_hooks_and_extra_state():
    m = nn.Linear(1, 1)
    calls = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append(("pre", prefix)))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: calls.append(("post", list(sd))))
    m.state_dict(prefix="p.")
    assert calls == [("pre", "p."), ("post", ["p.weight", "p.bias"])]

    def post(mod, keys):
        calls.append(("load", list(keys.missing_keys)))
        keys.missing_keys.clear()
    m.register_load_state_dict_post_hook(post)
    m.load_state_dict({"weight": ember.ones(1, 1)})  # the hook cleared the missing key
    assert calls[-1] == ("load", ["bias"])
    m.register_load_state_dict_pre_hook(
        lambda mod, sd, prefix, *rest: sd.__setitem__(prefix + "bias", ember.zeros(1)))
    m.load_state_dict({"weight": ember.ones(1, 1)})
    assert float(m.bias) == 0.0

    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.state = 1

        def get_extra_state(self):
            return {"state": self.state}

        def set_extra_state(self, st):
            self.state = st["state"]

    a, b = WithExtra(), WithExtra()
    a.state = 7
    assert list(a.state_dict()) == ["_extra_state"]
    b.load_state_dict(a.state_dict())
    assert b.state == 7


# ---------------------------------------------------------------- modes / grads / conversion
def test_train_eval_requires_grad_zero_grad():
    net = Net()
    assert net.training and net.features[0].training
    net.eval()
    assert not net.training and not net.features[2][1].training
    net.train()
    assert net.head["cls"].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("x")
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    net(ember.ones(2, 4)).sum().backward()
    g = net.features[0].weight.grad
    assert g is not None
    net.zero_grad(set_to_none=False)
    assert net.features[0].weight.grad is g and float(g.abs().sum()) == 0.0
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_to_keeps_parameter_identity(device):
    net = Net()
    params = list(net.parameters())
    net(ember.ones(2, 4)).sum().backward()
    out = net.to(ember.float64)
    assert out is net
    assert [p is q for p, q in zip(params, net.parameters(), strict=True)] == [True] * 3
    assert all(p.dtype is ember.float64 and p.grad.dtype is ember.float64 for p in params)
    assert net.scale.dtype is ember.float64
    net.float()
    assert params[0].dtype is ember.float32
    net.double()
    assert params[0].dtype is ember.float64
    net.half()
    assert params[0].dtype is ember.float16
    net.to(ember.ones(1, dtype=ember.float32, device=device))
    assert params[0].dtype is ember.float32 and params[0].device.type == device.split(":")[0]
    assert net(ember.ones(2, 4, device=device)).shape == (2, 3)
    net.cpu()
    assert params[0].device.type == "cpu"
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex "
                                        "dtypes, but got desired dtype=ember.int64"):
        net.to(ember.int64)
    m = nn.Module()
    m.register_buffer("count", ember.tensor(3))
    m.to(ember.float64)
    assert m.count.dtype is ember.int64  # integer buffers keep their dtype
    m.type(ember.float32)
    assert m.count.dtype is ember.float32


def test_apply_visits_children_first():
    net = Net()
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Identity", "Flatten", "Identity", "Sequential", "Sequential",
                    "Linear", "ModuleDict", "Net"]


# ---------------------------------------------------------------- hooks
def test_forward_hooks_order_kwargs_prepend_and_removal():
    order = []

    class Add(nn.Module):
        def forward(self, x, k=0):
            order.append("forward")
            return x + k

    m = Add()
    h1 = m.register_forward_pre_hook(lambda mod, args: order.append("pre1"))
    m.register_forward_pre_hook(lambda mod, args: order.append("pre0"), prepend=True)
    m.register_forward_pre_hook(lambda mod, args, kw: ((args[0] * 2,), {"k": 1}),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: order.append("post1"))
    m.register_forward_hook(lambda mod, args, kw, out: out * 10, with_kwargs=True)
    out = m(ember.tensor([1.0]))
    assert order == ["pre0", "pre1", "forward", "post1"]
    assert float(out) == 30.0  # (1*2 + 1) * 10
    h1.remove()
    order.clear()
    m(ember.tensor([1.0]))
    assert order == ["pre0", "forward", "post1"]
    with m.register_forward_pre_hook(lambda mod, args: (args[0] + 1,)):
        assert float(m(ember.tensor([1.0]))) == 40.0  # (1*2 + 1 + 1) * 10
    assert float(m(ember.tensor([1.0]))) == 30.0

    bad = Add()
    bad.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        bad(ember.ones(1))


def test_forward_hook_always_call():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    calls = []
    m = Boom()
    m.register_forward_hook(lambda mod, args, out: calls.append(out), always_call=True)
    m.register_forward_hook(lambda mod, args, out: calls.append("never"))
    with pytest.raises(ValueError, match="boom"):
        m(ember.ones(1))
    assert calls == [None]


def test_full_backward_hooks():
    lin = nn.Linear(2, 1, bias=False)
    with ember.no_grad():
        lin.weight.copy_(ember.tensor([[2.0, 3.0]]))
    seen = {}

    def pre(mod, grad_output):
        seen["pre"] = _np(grad_output[0])
        return (grad_output[0] * 2,)

    def hook(mod, grad_input, grad_output):
        seen["gi"], seen["go"] = grad_input[0], _np(grad_output[0])
        return None if grad_input[0] is None else (grad_input[0] + 1,)

    lin.register_full_backward_pre_hook(pre)
    lin.register_full_backward_hook(hook)
    x = ember.tensor([[1.0, 1.0]], requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_allclose(seen["pre"], [[1.0]])
    np.testing.assert_allclose(seen["go"], [[2.0]])  # replaced by the pre-hook
    np.testing.assert_allclose(_np(seen["gi"]), [[4.0, 6.0]])  # 2 * W
    np.testing.assert_allclose(_np(x.grad), [[5.0, 7.0]])  # replaced by the hook
    np.testing.assert_allclose(_np(lin.weight.grad), [[2.0, 2.0]])  # 2 * x

    # no input requires grad: the hook still runs, with grad_input (None,)
    seen.clear()
    lin.weight.grad = None
    lin(ember.ones(1, 2)).sum().backward()
    assert seen["gi"] is None
    np.testing.assert_allclose(seen["go"], [[2.0]])
    np.testing.assert_allclose(_np(lin.weight.grad), [[2.0, 2.0]])


def test_full_backward_hook_wrong_count():
    lin = nn.Linear(2, 1)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    x = ember.ones(1, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                                           "grad_input, got 2, but expected 1"):
        lin(x).sum().backward()


# ---------------------------------------------------------------- repr / dir / copy
def test_repr_matches_pytorch():
    assert repr(Net()) == NET_REPR
    assert repr(nn.Module()) == "Module()"

    class Multi(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"
    assert repr(Multi()) == "Multi(\n  a=1\n  b=2\n)"


def test_dir_lists_registered_names():
    d = dir(Net())
    assert {"features", "head", "scale", "tmp", "forward", "training"} <= set(d)


def test_deepcopy_and_pickle():
    net = Net()
    x = ember.randn(3, 4)
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert repr(clone) == NET_REPR
        assert type(clone.features[0].weight) is nn.Parameter
        assert clone.features[0].weight is not net.features[0].weight
        assert clone.features[0].weight.requires_grad
        assert "tmp" in clone._non_persistent_buffers_set
        assert_close(clone(x), net(x))
    # shared submodules stay shared in the copy
    lin = nn.Linear(2, 2)
    c = copy.deepcopy(nn.Sequential(lin, lin))
    assert c[0] is c[1]


def test_parameter_basics():
    t = ember.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert isinstance(p, ember.Tensor) and p.requires_grad and p.is_leaf
    assert np.shares_memory(_np(p), _np(t))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert repr(nn.Parameter(t, requires_grad=False)) == \
        "Parameter containing:\ntensor([1., 2.])"
    assert nn.Parameter().shape == (0,)
    for clone in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(clone) is nn.Parameter and clone.requires_grad
        assert_close(clone, p)
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        nn.Parameter(ember.tensor([1, 2]))
    assert not nn.Parameter(ember.tensor([1, 2]), requires_grad=False).requires_grad
    b = nn.Buffer(t)
    assert isinstance(b, nn.Buffer) and type(b) is ember.Tensor
    assert not isinstance(t, nn.Buffer)


def test_uninitialized_parameter_materialize():
    u = nn.UninitializedParameter()
    assert repr(u) == "<UninitializedParameter>"
    assert repr(nn.UninitializedBuffer()) == "<UninitializedBuffer>"
    u.materialize((2, 3), dtype=ember.float64)
    assert type(u) is nn.Parameter and u.shape == (2, 3) and u.dtype is ember.float64
    assert u.requires_grad
    b = nn.UninitializedBuffer()
    b.materialize(4)
    assert type(b) is ember.Tensor and b.shape == (4,)
    with pytest.raises(RuntimeError, match="must be initialized before pickling"):
        pickle.dumps(nn.UninitializedParameter())


def test_full_backward_hook_several_inputs_and_outputs():
    class Two(nn.Module):
        def forward(self, a, b, k):
            return a * b * k, a + b

    m = Two()
    rec = []
    m.register_full_backward_hook(lambda mod, gi, go: rec.append((gi, go)))
    a = ember.tensor([2.0], requires_grad=True)
    o1, o2 = m(a, ember.tensor([3.0]), 5.0)
    (o1 + o2).sum().backward()
    (gi, go), = rec
    assert len(gi) == 3 and gi[1] is None and gi[2] is None  # b needs no grad, k no tensor
    np.testing.assert_allclose(_np(gi[0]), [16.0])  # d/da (5ab + a + b) = 5b + 1
    np.testing.assert_allclose([_np(g)[0] for g in go], [1.0, 1.0])
    np.testing.assert_allclose(_np(a.grad), [16.0])
    # under no_grad the hooks are not involved and nothing breaks
    with ember.no_grad():
        assert m(a, a, 1.0)[1].grad_fn is None


def test_global_module_hooks():
    from ember.nn.modules.module import (
        register_module_forward_hook,
        register_module_forward_pre_hook,
        register_module_full_backward_hook,
    )
    seen = []
    lin = nn.Linear(2, 1)
    lin.register_forward_hook(lambda m, a, o: seen.append("local"))
    handles = [register_module_forward_pre_hook(lambda m, a: seen.append("gpre")),
               register_module_forward_hook(lambda m, a, o: seen.append("gpost")),
               register_module_full_backward_hook(lambda m, gi, go: seen.append("gback"))]
    try:
        lin(ember.ones(1, 2, requires_grad=True)).sum().backward()
    finally:
        for h in handles:
            h.remove()
    assert seen == ["gpre", "gpost", "local", "gback"]
    seen.clear()
    lin(ember.ones(1, 2))
    assert seen == ["local"]


def test_old_style_backward_hook():
    class Scale(nn.Module):
        def forward(self, x):
            return x * 3.0

    m = Scale()
    rec = []
    m.register_backward_hook(lambda mod, gi, go: rec.append((mod, gi, go)))
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    m(x).sum().backward()
    (mod, gi, go), = rec
    assert mod is m
    np.testing.assert_allclose(_np(go[0]), [1.0, 1.0])
    np.testing.assert_allclose(_np(gi[0]), [3.0, 3.0])
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full "
                                           "backward hooks on a single Module"):
        m.register_full_backward_hook(lambda *a: None)
    m2 = Scale()
    m2.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks"):
        m2.register_backward_hook(lambda *a: None)
