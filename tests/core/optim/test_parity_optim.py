"""Optimizers and schedulers against PyTorch (parity session).

Each optimizer/option combination of issue 4 runs 25 steps in both libraries on the objective
of :mod:`ember.testing.optim_harness` (two coupled parameters in two param groups with their own
settings, plus a parameter that never gets a gradient) in float64 and must follow the same
trajectory.  Optimizer state_dicts are exchanged in both directions mid-run; scheduler learning
rate sequences (and momentum cycling) and scheduler state_dicts are compared too.  The
non-parity tests (numpy references of each update rule) live in test_<algorithm>.py.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import ember
from ember.testing import optim_harness as H

torch = pytest.importorskip("torch") if os.environ.get("EMBER_PARITY") else None

pytestmark = [pytest.mark.parity,
              pytest.mark.skipif(torch is None,
                                 reason="parity tests run in the parity session (EMBER_PARITY=1 "
                                        "with PyTorch installed)")]

TOL = {"rtol": 1e-10, "atol": 1e-12}

# (algorithm, options of group 0, options of group 1[, constructor defaults])
CONFIGS = [
    ("SGD", {"lr": 0.05}, {"lr": 0.02}),
    ("SGD", {"lr": 0.02, "momentum": 0.9}, {"lr": 0.01, "momentum": 0.5, "dampening": 0.3}),
    ("SGD", {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
     {"lr": 0.03, "maximize": False}),
    ("SGD", {"lr": 0.02, "momentum": 0.8, "maximize": True, "weight_decay": 0.05},
     {"lr": 0.01}),
    ("Adam", {"lr": 0.05}, {"lr": 0.01, "betas": (0.8, 0.95)}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}, {"lr": 0.02, "eps": 1e-4}),
    ("Adam", {"lr": 0.05, "maximize": True}, {"lr": 0.02, "amsgrad": True}),
    ("AdamW", {"lr": 0.05}, {"lr": 0.02, "weight_decay": 0.3}),
    ("AdamW", {"lr": 0.05, "amsgrad": True, "betas": (0.7, 0.9)}, {"lr": 0.02, "maximize": True}),
    ("Adamax", {"lr": 0.05}, {"lr": 0.1, "weight_decay": 0.1, "betas": (0.8, 0.9)}),
    ("Adamax", {"lr": 0.05, "maximize": True, "eps": 1e-3}, {"lr": 0.02}),
    ("NAdam", {"lr": 0.05}, {"lr": 0.02, "momentum_decay": 1e-2}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
     {"lr": 0.02, "weight_decay": 0.05, "maximize": True}),
    ("RAdam", {"lr": 0.05}, {"lr": 0.02, "betas": (0.8, 0.9)}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
     {"lr": 0.02, "weight_decay": 0.05, "maximize": True}),
    ("RMSprop", {"lr": 0.01}, {"lr": 0.02, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.05},
     {"lr": 0.005, "momentum": 0.9, "maximize": True}),
    ("Adagrad", {"lr": 0.1}, {"lr": 0.05, "lr_decay": 0.05}),
    # PyTorch fills the accumulator from the constructor argument, not the group's value
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "eps": 1e-3}, {"lr": 0.05, "maximize": True},
     {"initial_accumulator_value": 0.3}),
    ("Adadelta", {"lr": 1.0}, {"lr": 0.5, "rho": 0.8}),
    ("Adadelta", {"lr": 1.0, "weight_decay": 0.1, "eps": 1e-4}, {"lr": 2.0, "maximize": True}),
    ("ASGD", {"lr": 0.02, "t0": 5}, {"lr": 0.01, "lambd": 0.1, "alpha": 0.5}),
    ("ASGD", {"lr": 0.02, "weight_decay": 0.1, "t0": 3}, {"lr": 0.01, "maximize": True}),
    ("Rprop", {"lr": 0.05}, {"lr": 0.1, "etas": (0.3, 1.5)}),
    ("Rprop", {"lr": 0.05, "step_sizes": (1e-3, 0.2)}, {"lr": 0.02, "maximize": True}),
]


def _id(cfg):
    name, g0, g1, *d = cfg
    return f"{name}[{H.cfg_id(g0)}][{H.cfg_id(g1)}]" + (f"[{H.cfg_id(d[0])}]" if d else "")


def _loss(lib, p):
    v = p.reshape(-1)
    a = lib.tensor(H.matrix(v.shape[0]), dtype=p.dtype)
    return 0.5 * (v @ (a @ v)) + lib.sin(3 * v).sum()


def _params(lib):
    ps = [lib.nn.Parameter(lib.tensor(H.x0(s, i))) for i, s in enumerate(H.SHAPES)]
    frozen = lib.nn.Parameter(lib.tensor(H.x0((3,), 9)))
    return ps, frozen


def _make(lib, cfg, ps, frozen, **over):
    name, g0, g1, *d = cfg
    opt_cls = getattr(lib.optim, name)
    return opt_cls([{"params": [ps[0], frozen], **g0}, {"params": [ps[1]], **g1}],
                   **(d[0] if d else {}), **over)


def _step(lib, opt, ps):
    opt.zero_grad()
    sum(_loss(lib, p) for p in ps).backward()
    opt.step()


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, ember.Tensor) else t.detach().numpy()


def _same_params(eps, tps, where):
    for i, (e, t) in enumerate(zip(eps, tps, strict=True)):
        np.testing.assert_allclose(_np(e), _np(t), err_msg=f"{where}: parameter {i}", **TOL)


def _convert(obj, to):
    """Tensors inside a (nested) state_dict converted by ``to``; python scalars kept."""
    if isinstance(obj, dict):
        return {k: _convert(v, to) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_convert(v, to) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_convert(v, to) for v in obj)
    if isinstance(obj, (ember.Tensor, torch.Tensor)):
        return to(np.array(_np(obj)))
    return obj


def _to_ember(a):
    return ember.tensor(a)


def _to_torch(a):
    return torch.from_numpy(a)


@pytest.mark.parametrize("cfg", CONFIGS, ids=_id)
def test_trajectory_matches_pytorch(cfg):
    name = cfg[0]
    eps, efrozen = _params(ember)
    tps, tfrozen = _params(torch)
    eopt, topt = _make(ember, cfg, eps, efrozen), _make(torch, cfg, tps, tfrozen)
    for k in range(25):
        _step(ember, eopt, eps)
        _step(torch, topt, tps)
        _same_params(eps + [efrozen], tps + [tfrozen], f"{name} step {k}")
    esd, tsd = eopt.state_dict(), topt.state_dict()
    assert esd["param_groups"] == _convert(tsd["param_groups"], _to_ember)
    assert set(esd["state"]) == set(tsd["state"])
    for idx, st in tsd["state"].items():
        assert set(esd["state"][idx]) == set(st), f"{name}: state keys of parameter {idx}"
        for key, v in st.items():
            ev = esd["state"][idx][key]
            if isinstance(v, torch.Tensor):
                assert str(ev.dtype).split(".")[-1] == str(v.dtype).split(".")[-1], key
                np.testing.assert_allclose(_np(ev), _np(v), err_msg=f"state {idx}/{key}", **TOL)
            else:
                assert ev == v, key


@pytest.mark.parametrize("source", ["torch", "ember"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=_id)
def test_state_dict_exchange(cfg, source):
    """5 steps in ``source``; its state_dict loads into a fresh optimizer of each library (over
    copies of the parameters, built with other hyper-parameters); 5 more steps of both agree
    (PyTorch's own load, e.g. casting float32 scalars such as NAdam's mu_product to the
    parameter dtype, is the reference)."""
    name = cfg[0]
    src = torch if source == "torch" else ember
    sps, sfrozen = _params(src)
    sopt = _make(src, cfg, sps, sfrozen)
    for _ in range(5):
        _step(src, sopt, sps)
    sd = sopt.state_dict()
    runs = []
    for lib, to in ((ember, _to_ember), (torch, _to_torch)):
        ps = [lib.nn.Parameter(lib.tensor(np.array(_np(p)))) for p in sps + [sfrozen]]
        opt = getattr(lib.optim, name)([{"params": ps[::2]}, {"params": [ps[1]]}], lr=0.123)
        opt.load_state_dict(_convert(sd, to))
        assert opt.param_groups[1]["lr"] == cfg[2]["lr"]
        for _ in range(5):
            _step(lib, opt, ps[:2])
        runs.append(ps)
    _same_params(runs[0], runs[1], f"{name} loaded from {source}")


# ---------------------------------------------------------------------- LBFGS
# NOTE: near convergence the quasi-Newton recursion amplifies last-bit differences of dot
# products (numpy and PyTorch sum in different orders) by orders of magnitude, so the runs are
# kept short (at most 6 inner iterations per step) and compared at rtol 1e-6
@pytest.mark.parametrize("name, kw", [
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 1.0, "weight_decay": 0.1}),
    ("Rprop", {"lr": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
])
def test_complex_parameters_match_pytorch(name, kw):
    rng = np.random.default_rng(4)
    z0 = rng.standard_normal(9) + 1j * rng.standard_normal(9)
    grads = [rng.standard_normal(9) + 1j * rng.standard_normal(9) for _ in range(6)]
    out = []
    for lib in (torch, ember):
        z = lib.nn.Parameter(lib.tensor(z0, dtype=lib.complex128))
        opt = getattr(lib.optim, name)([z], **kw)
        for g in grads:
            z.grad = lib.tensor(g, dtype=lib.complex128)
            opt.step()
        out.append(np.asarray(z.detach().numpy()))
    np.testing.assert_allclose(out[1], out[0], **TOL)


@pytest.mark.parametrize("kw", [{"lr": 0.5, "max_iter": 4},
                                {"lr": 1, "history_size": 3, "max_iter": 5},
                                {"lr": 1, "line_search_fn": "strong_wolfe", "max_iter": 3},
                                {"lr": 0.8, "line_search_fn": "strong_wolfe", "history_size": 2,
                                 "tolerance_grad": 1e-9, "max_iter": 6, "max_eval": 8}],
                         ids=H.cfg_id)
def test_lbfgs_matches_pytorch(kw):
    runs = {}
    for lib in (ember, torch):
        ps, _ = _params(lib)
        opt = lib.optim.LBFGS(ps, **kw)

        def closure(lib=lib, opt=opt, ps=ps):
            opt.zero_grad()
            loss = sum(_loss(lib, p) for p in ps)
            loss.backward()
            return loss

        traj = []
        for _ in range(4):
            loss = opt.step(closure)
            traj.append((float(loss.detach()), [np.array(_np(p)) for p in ps]))
        runs[lib.__name__] = (traj, opt.state_dict())
    for k, ((el, eps), (tl, tps)) in enumerate(zip(runs["ember"][0], runs["torch"][0],
                                                   strict=True)):
        assert el == pytest.approx(tl, rel=1e-6), f"step {k} loss"
        for i, (e, t) in enumerate(zip(eps, tps, strict=True)):
            np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-9,
                                       err_msg=f"LBFGS step {k} parameter {i}")
    est, tst = runs["ember"][1]["state"][0], runs["torch"][1]["state"][0]
    assert set(est) == set(tst)
    assert est["func_evals"] == tst["func_evals"] and est["n_iter"] == tst["n_iter"]


# ---------------------------------------------------------------------- schedulers
def _sched_opt(lib, name="SGD", **kw):
    p = lib.nn.Parameter(lib.zeros(2, dtype=lib.float64))
    q = lib.nn.Parameter(lib.zeros(1, dtype=lib.float64))
    opt_cls = getattr(lib.optim, name)
    return opt_cls([{"params": [p]}, {"params": [q], "lr": 0.05}], lr=0.1, **kw)


def _lam(epoch):
    return 0.95 ** epoch + 0.01 * (epoch % 3)


SCHEDULERS = [
    ("LambdaLR", {}, lambda lib, o: lib.optim.lr_scheduler.LambdaLR(
        o, [_lam, lambda e: 1 / (e + 1)])),
    ("MultiplicativeLR", {}, lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(
        o, lambda e: 0.9 if e % 2 else 1.05)),
    ("StepLR", {}, lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 4, gamma=0.5)),
    ("MultiStepLR", {}, lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, [3, 7, 7, 12],
                                                                         gamma=0.3)),
    ("ConstantLR", {}, lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, 0.4, total_iters=6)),
    ("LinearLR", {}, lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, 0.2, 0.9, total_iters=9)),
    ("ExponentialLR", {}, lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, 0.93)),
    ("PolynomialLR", {}, lambda lib, o: lib.optim.lr_scheduler.PolynomialLR(o, 12, power=1.7)),
    ("CosineAnnealingLR", {}, lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(
        o, 7, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts", {}, lambda lib, o:
     lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.002)),
    ("CyclicLR-triangular2", {"momentum": 0.9}, lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, 0.01, [0.2, 0.1], step_size_up=3, step_size_down=5, mode="triangular2")),
    ("CyclicLR-exp_range", {"momentum": 0.9}, lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, [0.01, 0.02], 0.3, step_size_up=4, mode="exp_range", gamma=0.9,
        base_momentum=0.7, max_momentum=0.95)),
    ("CyclicLR-no-momentum", {}, lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, 0.01, 0.1, step_size_up=2, cycle_momentum=False, scale_fn=lambda x: 0.5 ** x,
        scale_mode="iterations")),
    ("OneCycleLR-cos", {"momentum": 0.9}, lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
        o, [0.5, 0.3], total_steps=30, pct_start=0.3)),
    ("OneCycleLR-linear-three_phase", {"momentum": 0.9}, lambda lib, o:
     lib.optim.lr_scheduler.OneCycleLR(o, 0.4, epochs=3, steps_per_epoch=10,
                                       anneal_strategy="linear", three_phase=True,
                                       div_factor=10, final_div_factor=100)),
    ("OneCycleLR-adam-betas", {"opt": "Adam"}, lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
        o, 0.4, total_steps=31, base_momentum=0.8, max_momentum=0.9)),
    ("SequentialLR", {}, lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.LinearLR(o, 0.1, total_iters=4),
            lib.optim.lr_scheduler.ExponentialLR(o, 0.9),
            lib.optim.lr_scheduler.StepLR(o, 3, 0.5)], milestones=[5, 12])),
    ("SWALR-cos", {}, lambda lib, o: lib.optim.swa_utils.SWALR(o, 0.02, anneal_epochs=6)),
    ("SWALR-linear", {}, lambda lib, o: lib.optim.swa_utils.SWALR(
        o, [0.3, 0.01], anneal_epochs=4, anneal_strategy="linear")),
    ("ChainedScheduler", {}, lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler(
        [lib.optim.lr_scheduler.ConstantLR(o, 0.5, total_iters=4),
         lib.optim.lr_scheduler.ExponentialLR(o, 0.9)])),
]


def _build(lib, kw, make):
    kw = dict(kw)
    opt = _sched_opt(lib, kw.pop("opt", "SGD"), **kw)
    return opt, make(lib, opt)


def _momenta(opt):
    return [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]


def _walk(lib, opt, sched, steps):
    seq = []
    for _ in range(steps):
        opt.step()
        sched.step()
        seq.append((list(sched.get_last_lr()), _momenta(opt)))
    return seq


def _close(a, b, where):
    for k, ((elr, em), (tlr, tm)) in enumerate(zip(a, b, strict=True)):
        np.testing.assert_allclose(elr, tlr, rtol=1e-12, atol=1e-15, err_msg=f"{where} {k} lr")
        if tm[0] is not None:
            np.testing.assert_allclose(em, tm, rtol=1e-12, atol=1e-15,
                                       err_msg=f"{where} {k} momentum")


@pytest.mark.parametrize("name, kw, make", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_scheduler_sequence_matches_pytorch(name, kw, make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eopt, esched = _build(ember, kw, make)
        topt, tsched = _build(torch, kw, make)
        assert esched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
        _close(_walk(ember, eopt, esched, 29), _walk(torch, topt, tsched, 29), name)


@pytest.mark.parametrize("direction", ["torch->ember", "ember->torch"])
@pytest.mark.parametrize("name, kw, make", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_scheduler_state_dict_exchange(name, kw, make, direction):
    src_lib, dst_lib = (torch, ember) if direction == "torch->ember" else (ember, torch)
    to = _to_ember if dst_lib is ember else _to_torch
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sopt, ssched = _build(src_lib, kw, make)
        _walk(src_lib, sopt, ssched, 7)
        dopt, dsched = _build(dst_lib, kw, make)
        dopt.load_state_dict(_convert(sopt.state_dict(), to))
        dsched.load_state_dict(_convert(ssched.state_dict(), to))
        a, b = _walk(src_lib, sopt, ssched, 15), _walk(dst_lib, dopt, dsched, 15)
        _close(b, a, f"{name} {direction}") if dst_lib is ember else _close(a, b, name)


def test_reduce_lr_on_plateau_matches_pytorch():
    metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.89, 0.89, 0.9, 0.91, 0.92, 0.93, 0.5, 0.6, 0.7,
               0.8, 0.9, 1.0, 1.1, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65]
    for kw in [{"factor": 0.5, "patience": 1},
               {"mode": "max", "factor": 0.3, "patience": 2, "threshold": 0.05,
                "threshold_mode": "abs", "cooldown": 2, "min_lr": [0.01, 0.002]},
               {"patience": 0, "threshold": 0.2, "eps": 0.02, "cooldown": 1}]:
        seqs, sds = [], []
        for lib in (ember, torch):
            opt = _sched_opt(lib)
            sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
            seq = []
            for m in metrics:
                opt.step()
                sched.step(m)
                seq.append([g["lr"] for g in opt.param_groups])
            seqs.append(seq)
            sds.append(sched.state_dict())
        np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12, err_msg=str(kw))
        for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "_last_lr"):
            assert sds[0][key] == pytest.approx(sds[1][key]), key


@pytest.mark.parametrize("kind", ["swa", "ema", "ema-buffers"])
def test_averaged_model_matches_pytorch(kind):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 3))
    results = []
    for lib in (ember, torch):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
        sd = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4)).double()
        net.load_state_dict({k: lib.tensor(v) for k, v in sd.items()})
        su = lib.optim.swa_utils
        if kind == "swa":
            avg = su.AveragedModel(net)
        else:
            avg = su.AveragedModel(net, multi_avg_fn=su.get_ema_multi_avg_fn(0.8),
                                   use_buffers=kind == "ema-buffers")
        opt = lib.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(5):
            opt.zero_grad()
            (net(lib.tensor(x)) ** 2).sum().backward()
            opt.step()
            avg.update_parameters(net)
        su.update_bn([lib.tensor(x[:4]), lib.tensor(x[4:])], avg)
        results.append({k: _np(v) for k, v in avg.state_dict().items()})
    assert list(results[0]) == list(results[1])
    for k, v in results[1].items():
        np.testing.assert_allclose(results[0][k], v, err_msg=k, **TOL)


@pytest.mark.parametrize("kw", [{"lr": 0.05}, {"lr": 0.1, "betas": (0.8, 0.9), "eps": 1e-6},
                                {"lr": 0.05, "maximize": True}], ids=H.cfg_id)
def test_sparse_adam_matches_pytorch(kw):
    # PyTorch steps on sparse embedding gradients; ember's dense gradient has the same rows
    rng = np.random.default_rng(4)
    batches = [rng.integers(0, 10, size=(3, 2)) for _ in range(20)]
    w0 = rng.standard_normal((10, 3))
    coef = rng.standard_normal((3, 2, 3))
    weights = []
    for lib in (ember, torch):
        emb = lib.nn.Embedding(10, 3, sparse=True).double()
        with lib.no_grad():
            emb.weight.copy_(lib.tensor(w0))
        opt = lib.optim.SparseAdam(emb.parameters(), **kw)
        traj = []
        for idx in batches:
            opt.zero_grad()
            (lib.sin(emb(lib.tensor(idx))) * lib.tensor(coef)).sum().backward()
            opt.step()
            traj.append(np.array(_np(emb.weight)))
        weights.append(traj)
    for k, (e, t) in enumerate(zip(*weights, strict=True)):
        np.testing.assert_allclose(e, t, err_msg=f"SparseAdam step {k}", **TOL)


BAD_HYPER_PARAMETERS = [
    ("SGD", {"lr": -1}), ("SGD", {"momentum": -0.1}), ("SGD", {"weight_decay": -1}),
    ("SGD", {"nesterov": True}), ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    ("Adam", {"eps": -1}), ("Adam", {"betas": (1.0, 0.9)}), ("Adam", {"betas": (0.9, -0.1)}),
    ("AdamW", {"weight_decay": -1}), ("Adamax", {"betas": (1.5, 0.9)}),
    ("NAdam", {"momentum_decay": -1}), ("RAdam", {"betas": (0.9, 1.5)}),
    ("RMSprop", {"alpha": -1}), ("RMSprop", {"momentum": -1}),
    ("Adagrad", {"lr_decay": -1}), ("Adagrad", {"initial_accumulator_value": -1}),
    ("Adadelta", {"rho": 1.1}), ("ASGD", {"weight_decay": -1}), ("Rprop", {"etas": (1.2, 1.5)}),
    ("Rprop", {"etas": (0.5, 0.9)}), ("LBFGS", {"lr": -1}), ("SparseAdam", {"betas": (0.9, 1.0)}),
]


@pytest.mark.parametrize("name, kw", BAD_HYPER_PARAMETERS,
                         ids=[f"{n}-{H.cfg_id(k)}" for n, k in BAD_HYPER_PARAMETERS])
def test_bad_hyper_parameters_raise_like_pytorch(name, kw):
    errors = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:  # noqa: PT011 (compared with PyTorch's below)
            getattr(lib.optim, name)([lib.nn.Parameter(lib.zeros(2))], **kw)
        errors.append((type(info.value).__name__, str(info.value)))
    assert errors[0] == errors[1]


def test_scheduler_order_warnings_match_pytorch():
    messages = []
    for lib in (ember, torch):
        got = []
        opt = _sched_opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning) as rec:
            sched.step()  # before optimizer.step()
        got.append(str(rec[0].message))
        opt = _sched_opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        opt.step = lambda *a, **k: None  # replaced after the scheduler wrapped it
        with pytest.warns(UserWarning) as rec:
            opt.step()
            sched.step()
        got.append(str(rec[0].message))
        messages.append(got)
    assert messages[0] == messages[1]


@pytest.mark.parametrize("source", ["torch", "ember"])
def test_reduce_lr_on_plateau_state_dict_exchange(source):
    metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.89, 0.89, 0.9, 0.91, 0.92, 0.93, 0.5, 0.6, 0.7]
    kw = {"factor": 0.5, "patience": 1, "cooldown": 1, "threshold": 0.01}
    src = torch if source == "torch" else ember
    opt = _sched_opt(src)
    sched = src.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    for m in metrics[:7]:
        opt.step()
        sched.step(m)
    seqs = []
    for lib, to in ((ember, _to_ember), (torch, _to_torch)):
        o = _sched_opt(lib)
        s = lib.optim.lr_scheduler.ReduceLROnPlateau(o, mode="max")
        o.load_state_dict(_convert(opt.state_dict(), to))
        s.load_state_dict(_convert(sched.state_dict(), to))
        seq = []
        for m in metrics[7:]:
            o.step()
            s.step(m)
            seq.append([g["lr"] for g in o.param_groups])
        seqs.append(seq)
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12)


def test_warm_restarts_with_fractional_epochs_match_pytorch():
    epochs = [0.1 * k for k in range(1, 40)] + [2.5, 7.0, 3.3, 15.2]
    seqs = []
    for lib in (ember, torch):
        opt = _sched_opt(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, 2, T_mult=2,
                                                                   eta_min=0.001)
        seq = []
        for e in epochs:
            opt.step()
            sched.step(e)
            seq.append(list(sched.get_last_lr()))
        seqs.append(seq)
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12, atol=1e-15)
