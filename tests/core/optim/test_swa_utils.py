"""swa_utils: AveragedModel (SWA/EMA), SWALR and update_bn vs hand/numpy computations."""
import math

import numpy as np
import pytest

import ember
from ember.optim import swa_utils as S

RNG = np.random.default_rng(0)
SNAPSHOTS = [(RNG.standard_normal((2, 3)), RNG.standard_normal(2)) for _ in range(4)]


def set_linear(model, weight, bias):
    with ember.no_grad():
        model.weight.copy_(ember.tensor(weight, dtype=ember.float64))
        model.bias.copy_(ember.tensor(bias, dtype=ember.float64))


def averaged_after_updates(**kw):
    model = ember.nn.Linear(3, 2, dtype=ember.float64)
    avg = S.AveragedModel(model, **kw)
    for w, b in SNAPSHOTS:
        set_linear(model, w, b)
        avg.update_parameters(model)
    return avg


def test_swa_is_the_running_mean():
    avg = averaged_after_updates()
    np.testing.assert_allclose(avg.module.weight.detach().numpy(),
                               np.mean([w for w, _ in SNAPSHOTS], axis=0), rtol=1e-12)
    np.testing.assert_allclose(avg.module.bias.detach().numpy(),
                               np.mean([b for _, b in SNAPSHOTS], axis=0), rtol=1e-12)
    assert int(avg.n_averaged) == 4 and avg.n_averaged.dtype == ember.int64
    assert set(avg.state_dict()) == {"module.weight", "module.bias", "n_averaged"}


def ema_reference(decay):
    w, b = SNAPSHOTS[0]
    for w_k, b_k in SNAPSHOTS[1:]:
        w, b = decay * w + (1 - decay) * w_k, decay * b + (1 - decay) * b_k
    return w, b


@pytest.mark.parametrize("how", ["multi_avg_fn", "avg_fn"])
def test_ema(how):
    fn = S.get_ema_multi_avg_fn(0.7) if how == "multi_avg_fn" else S.get_ema_avg_fn(0.7)
    avg = averaged_after_updates(**{how: fn})
    w, b = ema_reference(0.7)
    np.testing.assert_allclose(avg.module.weight.detach().numpy(), w, rtol=1e-12)
    np.testing.assert_allclose(avg.module.bias.detach().numpy(), b, rtol=1e-12)


def test_swa_avg_fn_matches_default():
    avg = averaged_after_updates(avg_fn=S.get_swa_avg_fn())
    np.testing.assert_allclose(avg.module.bias.detach().numpy(),
                               np.mean([b for _, b in SNAPSHOTS], axis=0), rtol=1e-12)


def test_copy_is_independent_and_forward_uses_average():
    model = ember.nn.Linear(3, 2, dtype=ember.float64)
    avg = S.AveragedModel(model)
    assert avg.module.weight is not model.weight
    set_linear(model, *SNAPSHOTS[0])
    avg.update_parameters(model)
    set_linear(model, *SNAPSHOTS[1])  # not folded in
    x = RNG.standard_normal((5, 3))
    got = avg(ember.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, x @ SNAPSHOTS[0][0].T + SNAPSHOTS[0][1], rtol=1e-12)


def bn_model():
    return ember.nn.Sequential(ember.nn.Linear(2, 3, dtype=ember.float64),
                               ember.nn.BatchNorm1d(3, dtype=ember.float64))


def test_buffers_copied_or_averaged():
    model = bn_model()
    means = [np.array([1.0, 2.0, 3.0]), np.array([3.0, 0.0, -1.0])]
    for use_buffers, expected in ((False, means[1]), (True, (means[0] + means[1]) / 2)):
        avg = S.AveragedModel(model, use_buffers=use_buffers)
        for m in means:
            model[1].running_mean.copy_(ember.tensor(m))
            avg.update_parameters(model)
        np.testing.assert_allclose(avg.module[1].running_mean.numpy(), expected, rtol=1e-12)


def test_avg_errors():
    model = ember.nn.Linear(1, 1)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        S.AveragedModel(model, avg_fn=S.get_swa_avg_fn(), multi_avg_fn=S.get_swa_multi_avg_fn())
    for make in (S.get_ema_multi_avg_fn, S.get_ema_avg_fn):
        with pytest.raises(ValueError, match="Invalid decay value 1.5 provided"):
            make(1.5)


def test_update_bn_recomputes_cumulative_stats():
    model = bn_model()
    model[1].momentum = 0.3
    model[1].running_mean.fill_(7.0)
    model.eval()
    batches = [RNG.standard_normal((n, 2)) for n in (4, 6, 5)]
    loader = [(ember.tensor(x), ember.zeros(len(x))) for x in batches]
    S.update_bn(loader, model)
    w = model[0].weight.detach().numpy()
    b = model[0].bias.detach().numpy()
    hs = [x @ w.T + b for x in batches]
    # momentum=None: running stat = equal-weight mean of the per-batch statistics
    np.testing.assert_allclose(model[1].running_mean.numpy(),
                               np.mean([h.mean(0) for h in hs], axis=0), rtol=1e-10)
    np.testing.assert_allclose(model[1].running_var.numpy(),
                               np.mean([h.var(0, ddof=1) for h in hs], axis=0), rtol=1e-10)
    assert int(model[1].num_batches_tracked) == 3
    assert model[1].momentum == 0.3 and not model.training and not model[1].training


def test_update_bn_without_batchnorm_is_a_noop():
    model = ember.nn.Linear(2, 2)
    S.update_bn([ember.zeros(1, 2)], model)
    assert model.training


def swalr_lrs(strategy, anneal_epochs, n=10, lr0=1.0, swa_lr=0.05):
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=lr0)
    sched = S.SWALR(opt, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    out = [sched.get_last_lr()[0]]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out, sched, opt


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_swalr_anneals_to_swa_lr(strategy):
    def alpha(t):
        return t if strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    got, _, _ = swalr_lrs(strategy, 4)
    expected = [0.05 * alpha(min(1, k / 4)) + 1.0 * (1 - alpha(min(1, k / 4)))
                for k in range(11)]
    assert got == pytest.approx(expected, rel=1e-12)
    got, _, _ = swalr_lrs(strategy, 0, n=3)
    assert got == pytest.approx([0.05] * 4)


def test_swalr_state_dict_and_errors():
    _, sched, opt = swalr_lrs("linear", 6, n=2)
    sd = sched.state_dict()
    assert "anneal_func" not in sd and "optimizer" not in sd
    _, other, opt2 = swalr_lrs("cos", 6, n=0)
    other.load_state_dict(sd)
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"]
    for s, o in ((sched, opt), (other, opt2)):
        o.step()
        s.step()
    assert other.get_last_lr() == sched.get_last_lr()
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        S.SWALR(opt, 0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, got -1"):
        S.SWALR(opt, 0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        S.SWALR(opt, [0.1, 0.2])


def test_averaged_model_and_update_bn_on_device(device):
    model = bn_model()
    avg = S.AveragedModel(model, device=device)
    assert avg.n_averaged.device.type == ember.device(device).type
    weights = [w.T.copy() for w, _ in SNAPSHOTS[:2]]  # Linear(2, 3).weight is (3, 2)
    biases = [w[0].copy() for w, _ in SNAPSHOTS[:2]]
    for w, b in zip(weights, biases, strict=True):
        set_linear(model[0], w, b)
        avg.update_parameters(model)
    w_avg, b_avg = np.mean(weights, axis=0), np.mean(biases, axis=0)
    np.testing.assert_allclose(avg.module[0].weight.detach().cpu().numpy(), w_avg, rtol=1e-12)
    batches = [RNG.standard_normal((4, 2)) for _ in range(2)]
    S.update_bn([ember.tensor(x) for x in batches], avg, device=device)
    hs = [x @ w_avg.T + b_avg for x in batches]
    np.testing.assert_allclose(avg.module[1].running_mean.cpu().numpy(),
                               np.mean([h.mean(0) for h in hs], axis=0), rtol=1e-10)
