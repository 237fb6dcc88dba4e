"""Learning-rate schedulers: lr sequences vs closed forms written here from PyTorch's docs."""
import math

import pytest

import ember
from ember.optim import lr_scheduler as L

BASES = (0.5, 0.2)
N = 40


def make_opt(kind="sgd"):
    groups = [{"params": [ember.zeros(2, requires_grad=True)]},
              {"params": [ember.zeros(1, requires_grad=True)], "lr": BASES[1]}]
    if kind == "adam":
        return ember.optim.Adam(groups, lr=BASES[0])
    return ember.optim.SGD(groups, lr=BASES[0], momentum=0.9)


def moms_of(opt):
    return [g["momentum"] if "momentum" in g else g["betas"][0] for g in opt.param_groups]


def run(opt, sched, n=N):
    """lrs (and momenta) after each of n (optimizer.step, scheduler.step) pairs."""
    lrs, moms = [], []
    for _ in range(n):
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
        moms.append(moms_of(opt))
    return lrs, moms


def flat(rows):
    return [v for row in rows for v in row]


def cwr_closed(base, t, T0, Tm, lo):
    Ti, Tcur = T0, t
    while Tcur >= Ti:
        Tcur -= Ti
        Ti *= Tm
    return lo + (base - lo) * (1 + math.cos(math.pi * Tcur / Ti)) / 2


# (name, factory, expected lr of base b at epoch t)
CASES = [
    ("LambdaLR", lambda o: L.LambdaLR(o, lambda e: 0.9 ** e), lambda b, t: b * 0.9 ** t),
    ("LambdaLR_list", lambda o: L.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1.0 / (e + 1)]),
     None),
    ("MultiplicativeLR", lambda o: L.MultiplicativeLR(o, lambda e: 0.95),
     lambda b, t: b * 0.95 ** t),
    ("StepLR", lambda o: L.StepLR(o, 3, 0.5), lambda b, t: b * 0.5 ** (t // 3)),
    ("MultiStepLR", lambda o: L.MultiStepLR(o, [3, 7, 7, 20], 0.5),
     lambda b, t: b * 0.5 ** sum(m <= t for m in (3, 7, 7, 20))),
    ("ConstantLR", lambda o: L.ConstantLR(o, 0.3, 7), lambda b, t: b * (0.3 if t < 7 else 1.0)),
    ("LinearLR", lambda o: L.LinearLR(o, 0.2, 0.9, 10),
     lambda b, t: b * (0.2 + 0.7 * min(t, 10) / 10)),
    ("ExponentialLR", lambda o: L.ExponentialLR(o, 0.9), lambda b, t: b * 0.9 ** t),
    ("PolynomialLR", lambda o: L.PolynomialLR(o, 12, 2.0),
     lambda b, t: b * (1 - min(t, 12) / 12) ** 2),
    ("CosineAnnealingLR", lambda o: L.CosineAnnealingLR(o, 7, 0.01),
     lambda b, t: 0.01 + (b - 0.01) * (1 + math.cos(math.pi * t / 7)) / 2),
    ("CosineAnnealingWarmRestarts", lambda o: L.CosineAnnealingWarmRestarts(o, 3, 2, 0.01),
     lambda b, t: cwr_closed(b, t, 3, 2, 0.01)),
    ("CosineAnnealingWarmRestarts_mult1", lambda o: L.CosineAnnealingWarmRestarts(o, 4),
     lambda b, t: cwr_closed(b, t, 4, 1, 0.0)),
    ("ChainedScheduler",
     lambda o: L.ChainedScheduler([L.ExponentialLR(o, 0.95), L.StepLR(o, 4, 0.5)]),
     lambda b, t: b * 0.95 ** t * 0.5 ** (t // 4)),
    ("SequentialLR",
     lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=5), L.CosineAnnealingLR(o, 10),
                                  L.ExponentialLR(o, 0.9)], milestones=[5, 20]),
     lambda b, t: (b * (0.1 + 0.9 * t / 5) if t < 5 else
                   b * (1 + math.cos(math.pi * (t - 5) / 10)) / 2 if t < 20 else
                   b * 0.9 ** (t - 20))),
]


@pytest.mark.parametrize("name,factory,closed", CASES, ids=[c[0] for c in CASES])
def test_lr_sequence(name, factory, closed):
    opt = make_opt()
    sched = factory(opt)
    if closed is None:  # per-group lambdas
        fns = (lambda t: 0.9 ** t, lambda t: 1.0 / (t + 1))
        expected = [[b * f(t) for b, f in zip(BASES, fns, strict=True)] for t in range(N + 1)]
    else:
        expected = [[closed(b, t) for b in BASES] for t in range(N + 1)]
    assert sched.get_last_lr() == pytest.approx(expected[0], rel=1e-12, abs=1e-14)
    lrs, _ = run(opt, sched)
    assert flat(lrs) == pytest.approx(flat(expected[1:]), rel=1e-9, abs=1e-12)
    for group, base in zip(opt.param_groups, BASES, strict=True):
        assert group["initial_lr"] == base


def cyclic_reference(t, base, top, up, down, scale, mom=(0.8, 0.9)):
    x = t % (up + down)
    h = x / up if x <= up else (up + down - x) / down
    return base + (top - base) * h * scale, mom[1] - (mom[1] - mom[0]) * h * scale


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_cyclic_triangular2_with_momentum(kind):
    opt = make_opt(kind)
    sched = L.CyclicLR(opt, 0.1, [1.0, 0.5], step_size_up=4, step_size_down=6,
                       mode="triangular2")
    lrs, moms = run(opt, sched)
    for t in range(1, N + 1):
        scale = 0.5 ** (t // 10)
        exp = [cyclic_reference(t, 0.1, top, 4, 6, scale) for top in (1.0, 0.5)]
        assert lrs[t - 1] == pytest.approx([e[0] for e in exp], rel=1e-12)
        assert moms[t - 1] == pytest.approx([e[1] for e in exp], rel=1e-12)
    if kind == "adam":
        assert opt.param_groups[0]["betas"][1] == 0.999


def test_cyclic_exp_range_and_custom_scale():
    opt = make_opt()
    sched = L.CyclicLR(opt, 0.1, 1.0, step_size_up=5, mode="exp_range", gamma=0.97,
                       cycle_momentum=False)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.1]
    lrs, moms = run(opt, sched)
    for t in range(1, N + 1):
        assert lrs[t - 1][0] == pytest.approx(cyclic_reference(t, 0.1, 1.0, 5, 5, 0.97 ** t)[0])
    assert moms[-1] == [0.9, 0.9]  # untouched
    opt = make_opt()
    sched = L.CyclicLR(opt, 0.1, 1.0, step_size_up=2, scale_fn=lambda x: 1.0 / (x + 1),
                       scale_mode="iterations", cycle_momentum=False)
    lrs, _ = run(opt, sched, 8)
    for t in range(1, 9):
        assert lrs[t - 1][0] == pytest.approx(cyclic_reference(t, 0.1, 1.0, 2, 2, 1.0 / (t + 1))[0])


def cos_anneal(start, end, pct):
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def lin_anneal(start, end, pct):
    return start + (end - start) * pct


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_one_cycle_cos(kind):
    opt = make_opt(kind)
    tops = (1.0, 2.0)
    sched = L.OneCycleLR(opt, list(tops), total_steps=N)
    assert sched.get_last_lr() == pytest.approx([t / 25 for t in tops])
    assert moms_of(opt) == [0.95, 0.95]
    lrs, moms = run(opt, sched, N - 1)
    for t in range(1, N):
        for g, top in enumerate(tops):
            init, low = top / 25, top / 25 / 1e4
            if t <= 11:  # first phase ends at pct_start * total - 1 = 11
                lr, mom = cos_anneal(init, top, t / 11), cos_anneal(0.95, 0.85, t / 11)
            else:
                lr, mom = cos_anneal(top, low, (t - 11) / 28), cos_anneal(0.85, 0.95, (t - 11) / 28)
            assert lrs[t - 1][g] == pytest.approx(lr, rel=1e-12)
            assert moms[t - 1][g] == pytest.approx(mom, rel=1e-12)
    opt.step()
    sched.step()  # step == total_steps is still allowed
    opt.step()
    with pytest.raises(ValueError, match="Tried to step 41 times. The specified number of total"):
        sched.step()


def test_one_cycle_three_phase_linear_epochs():
    opt = make_opt()
    sched = L.OneCycleLR(opt, 1.0, epochs=4, steps_per_epoch=10, pct_start=0.25,
                         anneal_strategy="linear", three_phase=True, div_factor=10.0,
                         final_div_factor=100.0)
    assert sched.total_steps == 40
    assert sched.get_last_lr() == pytest.approx([0.1, 0.1])
    lrs, moms = run(opt, sched, N - 1)
    init, low = 0.1, 0.1 / 100
    for t in range(1, N):
        if t <= 9:
            lr, mom = lin_anneal(init, 1.0, t / 9), lin_anneal(0.95, 0.85, t / 9)
        elif t <= 18:
            lr, mom = lin_anneal(1.0, init, (t - 9) / 9), lin_anneal(0.85, 0.95, (t - 9) / 9)
        else:
            lr, mom = lin_anneal(init, low, (t - 18) / 21), 0.95
        assert lrs[t - 1] == pytest.approx([lr, lr], rel=1e-12)
        assert moms[t - 1] == pytest.approx([mom, mom], rel=1e-12)


def test_reduce_lr_on_plateau_min_rel_cooldown_min_lr():
    opt = make_opt()
    sched = L.ReduceLROnPlateau(opt, factor=0.5, patience=2, threshold=0.1, cooldown=1,
                                min_lr=[0.01, 0.1])
    metrics = [10, 9.5, 9.2, 9.0, 8.9, 5, 5, 5, 5, 5, 5, 5, 5]
    # hand-derived: improvement needs a < 0.9 * best; reduce after 3 bad epochs
    expected0 = [0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125,
                 0.0625]
    expected1 = [0.2, 0.2, 0.2, 0.1] + [0.1] * 9  # clamped at min_lr, then unchanged (eps)
    got = []
    for m in metrics:
        opt.step()
        sched.step(ember.tensor(float(m)))
        got.append(sched.get_last_lr())
    assert [g[0] for g in got] == pytest.approx(expected0, rel=1e-15)
    assert [g[1] for g in got] == pytest.approx(expected1, rel=1e-15)
    assert sched.best == 5.0 and sched.last_epoch == len(metrics)


def test_reduce_lr_on_plateau_max_abs():
    opt = make_opt()
    sched = L.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.5,
                                threshold_mode="abs")
    out = []
    for m in [1.0, 1.6, 2.0, 2.6]:  # 1.6 > 1.0+0.5 better, 2.0 not, 2.6 > 2.1 better
        sched.step(m)
        out.append(sched.get_last_lr()[0])
    assert out == pytest.approx([0.5, 0.5, 0.05, 0.05])


def test_reduce_lr_on_plateau_state_dict():
    opt = make_opt()
    sched = L.ReduceLROnPlateau(opt, mode="max", patience=1)
    for m in [1, 2, 1]:
        sched.step(m)
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["best"] == 2 and sd["num_bad_epochs"] == 1
    other = L.ReduceLROnPlateau(make_opt())
    other.load_state_dict(sd)
    assert other.mode == "max" and other.mode_worse == -math.inf and other.best == 2


ROUND_TRIP = {
    "StepLR": lambda o: L.StepLR(o, 3, 0.5),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, 7, 0.01),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, 3, 2),
    "CyclicLR": lambda o: L.CyclicLR(o, 0.1, 1.0, 4, mode="triangular2"),
    "OneCycleLR": lambda o: L.OneCycleLR(o, 1.0, total_steps=N),
    "SequentialLR": lambda o: L.SequentialLR(
        o, [L.ConstantLR(o, 0.5, 3), L.ExponentialLR(o, 0.9)], [6]),
    "ChainedScheduler": lambda o: L.ChainedScheduler([L.ExponentialLR(o, 0.9),
                                                      L.LinearLR(o, 0.5, total_iters=8)]),
}


@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_state_dict_round_trip_mid_schedule(name):
    opt = make_opt()
    sched = ROUND_TRIP[name](opt)
    run(opt, sched, 10)
    sd = sched.state_dict()
    assert "optimizer" not in sd
    opt2 = make_opt()
    sched2 = ROUND_TRIP[name](opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sd)
    assert sched2.get_last_lr() == sched.get_last_lr()
    a, ma = run(opt, sched, 20)
    b, mb = run(opt2, sched2, 20)
    assert a == b and ma == mb


def test_lambda_state_dict_skips_functions_keeps_callable_objects():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = make_opt()
    sched = L.LambdaLR(opt, [lambda e: 1.0, Decay(0.5)])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"rate": 0.5}] and "optimizer" not in sd
    obj = Decay(0.9)
    other = L.LambdaLR(make_opt(), [lambda e: 1.0, obj])
    other.load_state_dict(sd)
    assert obj.rate == 0.5 and other.lr_lambdas[1] is obj


def test_scheduler_before_optimizer_step_warns():
    opt = make_opt()
    sched = L.StepLR(opt, 2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                         r"`optimizer.step\(\)`"):
        sched.step()
    opt.step()  # the wrapped step records the call: no second warning
    sched.step()
    assert opt.step._wrapped_by_lr_sched


def test_overridden_optimizer_step_warns():
    opt = make_opt()
    sched = L.StepLR(opt, 2)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been overridden"):
        sched.step()


def test_epoch_argument_is_deprecated_and_uses_closed_form():
    opt = make_opt()
    sched = L.StepLR(opt, 3, 0.5)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
        sched.step(7)
    assert sched.get_last_lr() == [0.5 * 0.25, 0.2 * 0.25] and sched.last_epoch == 7


def test_get_lr_outside_step_warns():
    sched = L.ExponentialLR(make_opt(), 0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_cosine_warm_restarts_fractional_epochs():
    opt = make_opt()
    sched = L.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.0)
    for epoch in [0.25, 1.5, 2.75, 5.9, 6.5, 13.0]:
        sched.step(epoch)  # fractional epochs are the documented use: no warning
        assert sched.get_last_lr()[0] == pytest.approx(cwr_closed(0.5, epoch, 2, 2, 0.0))
        assert sched.last_epoch == math.floor(epoch)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)


def test_resume_with_last_epoch():
    opt = make_opt()
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        L.StepLR(opt, 3, last_epoch=4)
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"]
    sched = L.ExponentialLR(opt, 0.5, last_epoch=4)
    assert sched.last_epoch == 5 and sched.base_lrs == list(BASES)


def test_errors():
    opt = make_opt()
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        L.StepLR([], 3)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        L.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got int"):
        L.MultiplicativeLR(opt, 3)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected"):
        L.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
        L.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor expected"):
        L.LinearLR(opt, end_factor=2)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        L.CosineAnnealingWarmRestarts(opt, 0)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 1.5"):
        L.CosineAnnealingWarmRestarts(opt, 2, 1.5)
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        L.CyclicLR(opt, 0.1, 1.0, mode="square")
    with pytest.raises(ValueError, match="max_lr must have the same length as optimizer"):
        L.CyclicLR(opt, 0.1, [1.0])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        L.CyclicLR(ember.optim.Adagrad([ember.zeros(1, requires_grad=True)]), 0.1, 1.0)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        L.OneCycleLR(opt, 1.0)
    with pytest.raises(ValueError, match="Expected positive integer total_steps, but got 0"):
        L.OneCycleLR(opt, 1.0, total_steps=0)
    with pytest.raises(ValueError, match="Expected positive integer steps_per_epoch"):
        L.OneCycleLR(opt, 1.0, epochs=2, steps_per_epoch=-1)
    with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start"):
        L.OneCycleLR(opt, 1.0, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        L.OneCycleLR(opt, 1.0, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        L.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        L.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode x is unknown!"):
        L.ReduceLROnPlateau(opt, threshold_mode="x")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
        L.ReduceLROnPlateau(opt, min_lr=[0, 0, 0])


def test_composition_errors():
    opt, other = make_opt(), make_opt()
    a, b = L.StepLR(opt, 2), L.StepLR(other, 2)
    with pytest.raises(ValueError, match="SequentialLR expects at least one scheduler"):
        L.SequentialLR(opt, [], [])
    with pytest.raises(ValueError, match="expects number of schedulers provided to be one more"):
        L.SequentialLR(opt, [a], [3])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optim"):
        L.SequentialLR(opt, [a, b], [3])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau` scheduler"):
        L.ChainedScheduler([a, L.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="ChainedScheduler expects at least one scheduler"):
        L.ChainedScheduler([])
    with pytest.raises(TypeError, match="at index 0 should have `optimizer` as its attribute"):
        L.ChainedScheduler([object()], optimizer=opt)


def test_lr_scheduler_importable_as_submodule():
    import importlib
    mod = importlib.import_module("ember.optim.lr_scheduler")
    assert mod is ember.optim.lr_scheduler
    assert issubclass(mod.ReduceLROnPlateau, mod.LRScheduler)
    assert set(mod.__all__) >= {"OneCycleLR", "CyclicLR", "SequentialLR", "PolynomialLR"}


def test_tensor_lr_is_updated_in_place_and_never_aliased():
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=ember.tensor(0.5))
    lr = opt.param_groups[0]["lr"]
    sched = L.ExponentialLR(opt, 0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and float(lr) == 0.25
    last = sched.get_last_lr()[0]
    assert last is not lr and float(last) == 0.25
    assert float(opt.param_groups[0]["initial_lr"]) == 0.5
