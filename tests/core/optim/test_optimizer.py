"""The Optimizer base class: groups, zero_grad, closure, hooks, state_dict, repr, errors."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import ember
from ember.optim import SGD, Adam, Optimizer


def _params(device, n=2, seed=0):
    rng = np.random.default_rng(seed)
    return [ember.nn.Parameter(ember.tensor(rng.standard_normal((3, 2)), dtype=ember.float32,
                                            device=device)) for _ in range(n)]


def _set_grads(params, seed=1):
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = ember.tensor(rng.standard_normal(tuple(p.shape)), dtype=p.dtype,
                              device=p.device)


def test_single_list_becomes_one_group_with_defaults(device):
    ps = _params(device)
    opt = SGD(ps, lr=0.5, momentum=0.25)
    assert len(opt.param_groups) == 1
    g = opt.param_groups[0]
    assert g["params"][0] is ps[0] and g["params"][1] is ps[1]
    assert g["lr"] == 0.5 and g["momentum"] == 0.25 and g["dampening"] == 0
    assert g["nesterov"] is False and g["maximize"] is False and g["foreach"] is None
    assert opt.defaults["lr"] == 0.5
    assert len(opt.state) == 0


def test_param_groups_fill_missing_keys(device):
    a, b = _params(device)
    opt = SGD([{"params": [a]}, {"params": b, "lr": 0.01}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["params"] == [b]
    assert opt.param_groups[1]["momentum"] == 0.9


def test_add_param_group(device):
    a, b = _params(device)
    opt = SGD([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.2})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.2]
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([b])


def test_constructor_errors(device):
    a, b = _params(device)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        SGD(a, lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        SGD([{"params": [a]}, {"params": [a, b]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        SGD([{"params": {a}}], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        SGD([a, 3.0], lr=0.1)
    nonleaf = a * 2
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        SGD([nonleaf], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        SGD([a, a], lr=0.1)


def test_params_from_generator_and_module(device):
    model = ember.nn.Linear(3, 2, device=device)
    opt = SGD(model.parameters(), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 2


def test_zero_grad(device):
    ps = _params(device)
    _set_grads(ps)
    opt = SGD(ps, lr=0.1)
    opt.zero_grad(set_to_none=False)
    for p in ps:
        assert p.grad is not None
        np.testing.assert_array_equal(p.grad.cpu().numpy(), np.zeros((3, 2), np.float32))
    opt.zero_grad()
    assert all(p.grad is None for p in ps)
    opt.zero_grad()  # no grads: nothing to do


def test_step_skips_params_without_grad_and_keeps_identity(device):
    a, b = _params(device)
    b0 = b.detach().cpu().numpy().copy()
    a0 = a.detach().cpu().numpy().copy()
    data_a = a.data
    a.grad = ember.ones(3, 2, device=device)
    opt = SGD([a, b], lr=0.5, momentum=0.9)
    v0 = a._version
    assert opt.step() is None
    np.testing.assert_allclose(a.detach().cpu().numpy(), a0 - 0.5, rtol=1e-6)
    np.testing.assert_array_equal(b.detach().cpu().numpy(), b0)
    assert a._version > v0
    assert a.data.data_ptr() == data_a.data_ptr()
    assert b not in opt.state and a in opt.state
    assert a.requires_grad  # still a trainable leaf
    assert a.grad_fn is None


def test_closure_runs_with_grad_enabled(device):
    (a,) = _params(device, n=1)
    opt = SGD([a], lr=0.1)
    calls = []

    def closure():
        calls.append(ember.is_grad_enabled())
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    a0 = a.detach().cpu().numpy().astype(np.float64)
    with ember.no_grad():
        loss = opt.step(closure)
    assert calls == [True]
    np.testing.assert_allclose(loss.item(), (a0 * a0).sum(), rtol=1e-5)
    np.testing.assert_allclose(a.detach().cpu().numpy(), a0 - 0.1 * 2 * a0, rtol=1e-5)


def test_step_hooks(device):
    (a,) = _params(device, n=1)
    a.grad = ember.ones(3, 2, device=device)
    opt = SGD([a], lr=0.1)
    log = []
    h1 = opt.register_step_pre_hook(lambda o, args, kw: log.append(("pre", o is opt, args)))
    h2 = opt.register_step_post_hook(lambda o, args, kw: log.append(("post", o is opt, args)))
    opt.step()
    assert log == [("pre", True, ()), ("post", True, ())]
    h1.remove()
    h2.remove()
    opt.step()
    assert len(log) == 2


def test_step_pre_hook_can_replace_args(device):
    (a,) = _params(device, n=1)
    opt = SGD([a], lr=0.1)

    def closure():
        opt.zero_grad()
        (a * a).sum().backward()
        return 42.0

    opt.register_step_pre_hook(lambda o, args, kw: ((closure,), {}))
    assert opt.step() == 42.0


def test_state_dict_hooks(device):
    (a,) = _params(device, n=1)
    opt = SGD([a], lr=0.1)
    log = []
    opt.register_state_dict_pre_hook(lambda o: log.append("sd_pre"))

    def post(o, sd):
        sd["extra"] = 1
        return sd

    opt.register_state_dict_post_hook(post)
    sd = opt.state_dict()
    assert log == ["sd_pre"] and sd["extra"] == 1

    def load_pre(o, sd):
        sd = dict(sd)
        sd["param_groups"] = [dict(g, lr=0.75) for g in sd["param_groups"]]
        return sd

    opt.register_load_state_dict_pre_hook(load_pre)
    opt.register_load_state_dict_post_hook(lambda o: log.append("load_post"))
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.75 and log[-1] == "load_post"


def test_state_dict_layout(device):
    a, b, c = _params(device, n=3)
    opt = Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, amsgrad=True)
    a.grad = ember.ones(3, 2, device=device)
    c.grad = ember.ones(3, 2, device=device)
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"]) == {0, 2}
    st = sd["state"][0]
    assert set(st) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert st["step"].dtype == ember.float32 and st["step"].dim() == 0
    assert st["step"].device.type == "cpu" and st["step"].item() == 1.0
    assert st["exp_avg"].shape == (3, 2) and st["exp_avg"].dtype == ember.float32


def test_load_state_dict_round_trip_and_cast(device):
    a, b = _params(device)
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    _set_grads([a, b])
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["momentum_buffer"] = sd["state"][0]["momentum_buffer"].double()
    a2, b2 = _params(device)
    opt2 = SGD([a2, b2], lr=0.3)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["momentum"] == 0.9
    assert opt2.param_groups[0]["params"][0] is a2
    buf = opt2.state[a2]["momentum_buffer"]
    assert buf.dtype == ember.float32
    np.testing.assert_allclose(buf.cpu().numpy(),
                               opt.state[a]["momentum_buffer"].cpu().numpy())
    # loaded state is not shared with the dict it came from
    assert buf.data_ptr() != sd["state"][0]["momentum_buffer"].data_ptr()


def test_load_state_dict_errors(device):
    a, b = _params(device)
    opt = SGD([a, b], lr=0.1)
    other = SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(other.state_dict())
    small = SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(small.state_dict())


def test_repr(device):
    (a,) = _params(device, n=1)
    opt = SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [ember.nn.Parameter(ember.ones(1, device=device))],
                         "lr": 0.2})
    expected = ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
                "    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n"
                "    momentum: 0.9\n    nesterov: False\n    weight_decay: 0\n\n"
                "Parameter Group 1\n    dampening: 0\n    differentiable: False\n"
                "    foreach: None\n    fused: None\n    lr: 0.2\n    maximize: False\n"
                "    momentum: 0.9\n    nesterov: False\n    weight_decay: 0\n)")
    assert repr(opt) == expected


def test_pickle_round_trip(device):
    a, b = _params(device)
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    _set_grads([a, b])
    opt.step()
    opt2 = pickle.loads(pickle.dumps(opt))
    assert opt2.param_groups[0]["lr"] == 0.1
    assert len(opt2.state) == 2
    opt2.register_step_pre_hook(lambda o, args, kw: None)


class _SignDescent(Optimizer):
    """A user-defined optimizer overriding step (PyTorch style)."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        with ember.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.sub_(group["lr"] * p.grad.sign())
        return None


def test_custom_subclass_step_gets_hooks(device):
    (a,) = _params(device, n=1)
    a0 = a.detach().cpu().numpy().copy()
    a.grad = ember.tensor([[1.0, -1.0]] * 3, device=device)
    opt = _SignDescent([a], lr=0.25)
    log = []
    opt.register_step_post_hook(lambda o, args, kw: log.append(1))
    opt.step()
    assert log == [1]
    np.testing.assert_allclose(a.detach().cpu().numpy(), a0 - 0.25 * np.array([[1.0, -1.0]] * 3),
                               rtol=1e-6)


def test_base_without_update_rule_raises(device):
    (a,) = _params(device, n=1)
    a.grad = ember.ones(3, 2, device=device)
    opt = Optimizer([a], {"lr": 0.1})
    with pytest.raises(NotImplementedError, match="must implement"):
        opt.step()


def test_required_hyperparameter(device):
    (a,) = _params(device, n=1)
    from ember.optim.optimizer import required
    opt = Optimizer([{"params": [a], "lr": 0.1}], {"lr": required})
    assert opt.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="didn't specify a value of required optimization"):
        Optimizer([a], {"lr": required})


@pytest.mark.parametrize("n", [700_001, 131_072 * 3])
def test_large_parameters_chunked_and_threaded(n, device):
    """Updates of large tensors run in chunks over worker threads: same math as a float64
    reference of SGD-momentum and Adam for 3 steps."""
    rng = np.random.default_rng(5)
    p0 = rng.standard_normal(n)
    grads = [rng.standard_normal(n) for _ in range(3)]
    ps = [ember.nn.Parameter(ember.tensor(p0, dtype=ember.float32, device=device))
          for _ in range(2)]
    small = ember.nn.Parameter(ember.tensor(p0[:10], dtype=ember.float32, device=device))
    sgd = SGD([ps[0], small], lr=0.1, momentum=0.9, weight_decay=0.01)
    adam = Adam([ps[1]], lr=0.01, amsgrad=True)
    ref_s, buf = p0.copy(), None
    ref_a, m, v, vmax = p0.copy(), 0.0, 0.0, 0.0
    for t, g in enumerate(grads, 1):
        for p in ps:
            p.grad = ember.tensor(g, dtype=ember.float32, device=device)
        small.grad = ember.tensor(g[:10], dtype=ember.float32, device=device)
        sgd.step()
        adam.step()
        d = g + 0.01 * ref_s
        buf = d if buf is None else 0.9 * buf + d
        ref_s = ref_s - 0.1 * buf
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        vmax = np.maximum(vmax, v)
        ref_a = ref_a - 0.01 / (1 - 0.9 ** t) * m / (np.sqrt(vmax / (1 - 0.999 ** t)) + 1e-8)
    np.testing.assert_allclose(ps[0].detach().cpu().numpy(), ref_s, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(small.detach().cpu().numpy(), ref_s[:10], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ps[1].detach().cpu().numpy(), ref_a, rtol=1e-5, atol=1e-5)


def test_load_old_checkpoint_with_numeric_step(device):
    (a,) = _params(device, n=1)
    opt = Adam([a], lr=0.1)
    a.grad = ember.ones(3, 2, device=device)
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["step"] = 1          # the pre-1.12 PyTorch format
    opt2 = Adam([a], lr=0.1)
    opt2.load_state_dict(sd)
    opt2.step()
    st = opt2.state[a]["step"]
    assert isinstance(st, ember.Tensor) and st.dtype == ember.float32 and st.item() == 2.0


def test_stateless_updates_leave_no_state_entry():
    # like PyTorch: SGD without momentum records nothing, so its state_dict has no entries
    w = ember.nn.Parameter(ember.ones(2))
    v = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([{"params": [w]}, {"params": [v], "momentum": 0.9}], lr=0.1)
    (w.sum() + v.sum()).backward()
    opt.step()
    assert list(opt.state_dict()["state"]) == [1]
    assert set(opt.state[v]) == {"momentum_buffer"}
    # an entry created by merely looking at the (defaultdict) state is still filled later
    a = ember.nn.Parameter(ember.ones(2))
    adam = ember.optim.Adam([a])
    assert adam.state[a] == {}
    a.sum().backward()
    adam.step()
    assert set(adam.state[a]) == {"step", "exp_avg", "exp_avg_sq"}


@pytest.mark.parametrize("compiled", [False, True])
def test_step_does_not_warn_about_inf_and_nan(compiled, monkeypatch):
    """PyTorch never warns about inf/NaN that an update produces; numpy's kernels would
    (invalid value in add/subtract), on the main thread and on the chunk workers."""
    from ember.optim import _cpu_kernels
    if not compiled:
        monkeypatch.setattr(_cpu_kernels, "_numba", [False])
    elif _cpu_kernels.cpu_loop("adam", np.float32) is None:
        pytest.skip("the compiled loops need the optional numba")
    big = ember.nn.Parameter(ember.zeros(1 << 20))
    small = ember.nn.Parameter(ember.zeros(5))
    opts = [SGD([big, small], lr=0.1, momentum=0.9), Adam([big, small], lr=0.1)]
    for _ in range(2):
        g = np.full(1 << 20, np.inf, np.float32)
        g[::2] = -np.inf
        big.grad = ember.tensor(g)
        small.grad = ember.tensor(g[:5])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for opt in opts:
                opt.step()
    assert np.isnan(big.detach().numpy()).all() and np.isnan(small.detach().numpy()).all()


COMPLEX_CASES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.2, "maximize": True}),
    ("Adamax", {"lr": 0.1}),
    ("NAdam", {"lr": 0.1}),
    ("RAdam", {"lr": 0.1}),
    ("ASGD", {"lr": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1,
                 "maximize": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 1.0, "weight_decay": 0.1}),
    ("Rprop", {"lr": 0.1}),
    ("Rprop", {"lr": 0.1, "maximize": True, "etas": (0.3, 1.5)}),
]


@pytest.mark.parametrize("n", [7, 300_001])
@pytest.mark.parametrize("name, kw", COMPLEX_CASES, ids=[f"{c[0]}-{c[1]}" for c in COMPLEX_CASES])
def test_complex_parameter_is_its_real_and_imaginary_parts(name, kw, n):
    """As in PyTorch (view_as_real), a complex parameter follows the trajectory of the real
    parameter holding its (real, imag) pairs — e.g. RMSprop squares each part, not the complex
    number, and Rprop starts the imaginary step sizes at lr too."""
    rng = np.random.default_rng(8)
    pairs = rng.standard_normal((n, 2)).astype(np.float32)
    grads = [rng.standard_normal((n, 2)).astype(np.float32) for _ in range(4)]
    grads[1][: n // 3] *= -1  # sign changes for Rprop
    z = ember.nn.Parameter(ember.tensor(pairs[:, 0] + 1j * pairs[:, 1]))
    r = ember.nn.Parameter(ember.tensor(pairs))
    opt_z, opt_r = (getattr(ember.optim, name)([p], **kw) for p in (z, r))
    for g in grads:
        z.grad = ember.tensor(g[:, 0] + 1j * g[:, 1])
        r.grad = ember.tensor(g)
        opt_z.step()
        opt_r.step()
    got = z.detach().numpy()
    np.testing.assert_array_equal(np.stack([got.real, got.imag], axis=1), r.detach().numpy())
