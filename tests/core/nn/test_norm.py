"""Normalisation functionals and layers: batch/layer/group/instance/local-response/RMS norm.

Forward references are numpy float64 (the op records in ``ember.testing.op_db.nn_norm``, plus
hand-computed running-statistics sequences here); gradients by finite differences.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_errors, check_op
from ember.testing.op_db import records


@pytest.mark.parametrize("rec", records("nn_norm"), ids=lambda r: r.name)
def test_op_records(rec, device):
    check_op(rec, device)
    check_errors(rec, device)


def _t(a, device, dtype=ember.float64, rg=False):
    return ember.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=rg)


def _np(t):
    return t.detach().cpu().numpy()


# ------------------------------------------------------------------ functional batch_norm
def test_batch_norm_running_stats_update_uses_unbiased_variance(device):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3, 5))
    rm, rv = _t(np.zeros(3), device), _t(np.ones(3), device)
    v0 = rm._version
    F.batch_norm(_t(x, device), rm, rv, training=True, momentum=0.3)
    n = 4 * 5
    mean = x.mean((0, 2))
    unbiased = ((x - mean[None, :, None]) ** 2).sum((0, 2)) / (n - 1)
    assert_close(_np(rm), 0.3 * mean, rtol=1e-12, atol=1e-12)
    assert_close(_np(rv), 0.7 + 0.3 * unbiased, rtol=1e-12, atol=1e-12)
    assert rm._version == v0 + 1


def test_batch_norm_eval_leaves_running_stats(device):
    rm, rv = _t([0.5, -1.0], device), _t([2.0, 0.5], device)
    x = np.arange(8.0).reshape(2, 2, 2)
    y = F.batch_norm(_t(x, device), rm, rv, eps=0.0)
    expect = (x - np.array([0.5, -1.0])[None, :, None]) / np.sqrt([2.0, 0.5])[None, :, None]
    assert_close(_np(y), expect, rtol=1e-12, atol=1e-12)
    assert_close(_np(rm), np.array([0.5, -1.0]))
    assert_close(_np(rv), np.array([2.0, 0.5]))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck_with_running_buffers(training, device):
    rng = np.random.default_rng(1)
    x = _t(rng.normal(size=(3, 2, 4)), device, rg=True)
    w = _t(rng.normal(size=2), device, rg=True)
    b = _t(rng.normal(size=2), device, rg=True)

    def fn(x, w, b):
        return F.batch_norm(x, _t([0.1, -0.2], device), _t([0.5, 2.0], device), w, b,
                            training=training, momentum=0.2, eps=1e-3)
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


@pytest.mark.parametrize("which", [(True, False, False), (False, True, False),
                                   (False, False, True), (True, True, False)])
def test_batch_norm_fast_backward_matches_ember_ops(which, device):
    # the array-level formula (plain backward) against the ember-op formula (create_graph)
    rng = np.random.default_rng(2)
    arrays = [rng.normal(size=(5, 3, 2)), rng.normal(size=3), rng.normal(size=3)]
    g = _t(rng.normal(size=(5, 3, 2)), device)
    for training in (True, False):
        res = []
        for create_graph in (False, True):
            ins = [_t(a, device, rg=r) for a, r in zip(arrays, which, strict=True)]
            rm, rv = _t([0.1, 0.2, 0.3], device), _t([1.0, 2.0, 3.0], device)
            y = F.batch_norm(ins[0], rm, rv, ins[1], ins[2], training=training)
            wanted = [t for t, r in zip(ins, which, strict=True) if r]
            res.append(ember.autograd.grad((y * g).sum(), wanted, create_graph=create_graph))
        for a, b in zip(*res, strict=True):
            assert_close(_np(a), _np(b), rtol=1e-10, atol=1e-12)


def test_batch_norm_float32_stays_float32(device):
    x = ember.randn(4, 3, device=device, requires_grad=True)
    w = ember.ones(3, device=device, requires_grad=True)
    y = F.batch_norm(x, ember.zeros(3, device=device), ember.ones(3, device=device), w,
                     None, training=True)
    y.sum().backward()
    assert y.dtype is ember.float32 and x.grad.dtype is ember.float32
    assert w.grad.dtype is ember.float32


def test_batch_norm_errors(device):
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when "
                       r"training, got input size ember.Size\(\[1, 3\]\)"):
        F.batch_norm(ember.ones(1, 3, device=device), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_var must be defined in evaluation mode"):
        F.batch_norm(ember.ones(2, 3, device=device), ember.zeros(3, device=device), None)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(ember.ones(2, 3, device=device), ember.zeros(4, device=device),
                     ember.ones(4, device=device), training=True)
    with pytest.raises(RuntimeError, match="floating-point"):
        F.batch_norm(ember.ones(2, 3, dtype=ember.int64, device=device), None, None, None,
                     None, True)


# ------------------------------------------------------------------ BatchNorm modules
def _bn_sequence(batches, momentum):
    """Hand-computed running statistics after each batch (PyTorch's documented rule)."""
    rm, rv = np.zeros(batches[0].shape[1]), np.ones(batches[0].shape[1])
    for k, x in enumerate(batches, 1):
        axes = (0,) + tuple(range(2, x.ndim))
        n = x.size // x.shape[1]
        mean = x.mean(axes)
        var_u = x.var(axes) * n / (n - 1)
        f = 1.0 / k if momentum is None else momentum
        rm = (1 - f) * rm + f * mean
        rv = (1 - f) * rv + f * var_u
    return rm, rv


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (4, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                       (nn.BatchNorm2d, (2, 3, 2, 3)),
                                       (nn.BatchNorm3d, (2, 3, 2, 1, 2))])
def test_batchnorm_running_stats_over_several_steps(cls, shape, momentum, device):
    rng = np.random.default_rng(3)
    batches = [rng.normal(loc=k, scale=1 + k, size=shape) for k in range(4)]
    bn = cls(3, momentum=momentum, dtype=ember.float64, device=device)
    for x in batches:
        bn(_t(x, device))
    rm, rv = _bn_sequence(batches, momentum)
    assert_close(_np(bn.running_mean), rm, rtol=1e-10, atol=1e-12)
    assert_close(_np(bn.running_var), rv, rtol=1e-10, atol=1e-12)
    assert bn.num_batches_tracked.item() == 4
    assert bn.num_batches_tracked.dtype is ember.int64 and bn.num_batches_tracked.dim() == 0
    # eval: normalises with the running statistics, which stay put
    bn.eval()
    x = rng.normal(size=shape)
    y = bn(_t(x, device))
    bshape = (1, 3) + (1,) * (len(shape) - 2)
    assert_close(_np(y), (x - rm.reshape(bshape)) / np.sqrt(rv.reshape(bshape) + 1e-5),
                 rtol=1e-10, atol=1e-12)
    assert bn.num_batches_tracked.item() == 4
    assert_close(_np(bn.running_mean), rm, rtol=1e-10, atol=1e-12)


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval(device):
    bn = nn.BatchNorm1d(2, track_running_stats=False, affine=False, dtype=ember.float64,
                        device=device).eval()
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    y = bn(_t(x, device))
    expect = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    assert_close(_np(y), expect, rtol=1e-12, atol=1e-12)
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == []


def test_batchnorm_parameters_buffers_and_state_dict_keys(device):
    bn = nn.BatchNorm2d(4, device=device)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert_close(_np(bn.weight), np.ones(4))
    assert_close(_np(bn.bias), np.zeros(4))
    assert tuple(bn.running_var.shape) == (4,) and bn.weight.dtype is ember.float32
    assert bn.state_dict()._metadata[""]["version"] == 2  # PyTorch's _NormBase version
    nb = nn.BatchNorm2d(4, affine=True, bias=False)
    assert nb.bias is None and [n for n, _ in nb.named_parameters()] == ["weight"]
    assert list(nn.BatchNorm1d(3, affine=False).state_dict()) == [
        "running_mean", "running_var", "num_batches_tracked"]


def test_batchnorm_loads_checkpoint_without_num_batches_tracked():
    bn = nn.BatchNorm1d(2)
    sd = bn.state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""]["version"] = 1  # a pre-0.4.1 checkpoint
    sd["running_mean"] = ember.tensor([1.0, 2.0])
    res = bn.load_state_dict(sd)
    assert list(res.missing_keys) == [] and list(res.unexpected_keys) == []
    assert_close(_np(bn.running_mean), np.array([1.0, 2.0]))


def test_batchnorm_reprs():
    assert repr(nn.BatchNorm2d(3)) == ("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, "
                                       "bias=True, track_running_stats=True)")
    assert repr(nn.BatchNorm1d(3, momentum=None, affine=False, track_running_stats=False)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=False)")
    assert repr(nn.SyncBatchNorm(3)) == ("SyncBatchNorm(3, eps=1e-05, momentum=0.1, "
                                         "affine=True, bias=True, track_running_stats=True)")


def test_batchnorm_input_errors(device):
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3, device=device)(ember.ones(2, 3, 4, 5, device=device))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3, device=device)(ember.ones(2, 3, 4, device=device))
    with pytest.raises(ValueError, match=r"expected 5D input \(got 4D input\)"):
        nn.BatchNorm3d(3, device=device)(ember.ones(2, 3, 4, 4, device=device))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3, device=device)(ember.ones(1, 3, device=device))
    nn.BatchNorm1d(3, device=device).eval()(ember.ones(1, 3, device=device))  # fine in eval


def test_batchnorm_module_gradcheck(device):
    bn = nn.BatchNorm2d(2, dtype=ember.float64, device=device)
    with ember.no_grad():
        bn.weight.copy_(_t([1.5, -0.5], device))
    x = _t(np.random.default_rng(4).normal(size=(2, 2, 2, 2)), device, rg=True)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
                     (x, bn.weight, bn.bias))
    bn(x).sum().backward()
    assert bn.weight.grad is not None and bn.bias.grad is not None


def test_sync_batchnorm_single_process_and_convert(device):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3, 2))
    sbn = nn.SyncBatchNorm(3, dtype=ember.float64, device=device)
    y = sbn(_t(x, device))
    assert_close(_np(y), (x - x.mean((0, 2))[:, None]) / np.sqrt(x.var((0, 2))[:, None] + 1e-5),
                 rtol=1e-10, atol=1e-12)
    model = nn.BatchNorm2d(3)
    model.running_mean.fill_(2.0)
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert type(conv) is nn.SyncBatchNorm and conv.weight is model.weight
    assert conv.running_mean is model.running_mean
    assert list(conv.state_dict()) == list(model.state_dict())


# ------------------------------------------------------------------ instance norm
def test_instance_norm_running_stats(device):
    rng = np.random.default_rng(6)
    m = nn.InstanceNorm1d(2, momentum=0.25, track_running_stats=True, dtype=ember.float64,
                          device=device)
    rm, rv = np.zeros(2), np.ones(2)
    for _ in range(3):
        x = rng.normal(size=(3, 2, 4)) * 2 + 1
        m(_t(x, device))
        rm = 0.75 * rm + 0.25 * x.mean(2).mean(0)
        rv = 0.75 * rv + 0.25 * x.var(2, ddof=1).mean(0)
    assert_close(_np(m.running_mean), rm, rtol=1e-10, atol=1e-12)
    assert_close(_np(m.running_var), rv, rtol=1e-10, atol=1e-12)
    m.eval()
    x = rng.normal(size=(2, 4))  # unbatched (C, L)
    y = m(_t(x, device))
    assert tuple(y.shape) == (2, 4)
    assert_close(_np(y), (x - rm[:, None]) / np.sqrt(rv[:, None] + 1e-5), rtol=1e-10,
                 atol=1e-12)


def test_instance_norm_module_defaults_and_errors(device):
    m = nn.InstanceNorm2d(3)
    assert m.weight is None and m.running_mean is None and list(m.state_dict()) == []
    assert repr(m) == ("InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                       "track_running_stats=False)")
    assert list(nn.InstanceNorm1d(3, affine=True, track_running_stats=True).state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        m(ember.ones(2, 3))
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match "
                       r"num_features \(4\), but got: 3."):
        nn.InstanceNorm1d(4, affine=True)(ember.ones(2, 3, 5))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(4)(ember.ones(2, 3, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.InstanceNorm3d(2)(ember.randn(1, 2, 2, 2, 2))


def test_instance_norm_gradcheck_with_running_stats(device):
    rng = np.random.default_rng(7)
    x = _t(rng.normal(size=(2, 3, 4)), device, rg=True)

    def fn(x):
        return F.instance_norm(x, _t(np.zeros(3), device), _t(np.ones(3), device),
                               use_input_stats=True)
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


# ------------------------------------------------------------------ layer / group / RMS / LRN
def test_layer_norm_module(device):
    m = nn.LayerNorm([3, 4], dtype=ember.float64, device=device)
    assert tuple(m.weight.shape) == (3, 4) and [n for n, _ in m.named_parameters()] == [
        "weight", "bias"]
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert repr(nn.LayerNorm(4, bias=False)).endswith("bias=False)")
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    x = np.random.default_rng(8).normal(size=(2, 3, 4))
    y = m(_t(x, device))
    mu = x.mean((1, 2), keepdims=True)
    assert_close(_np(y), (x - mu) / np.sqrt(x.var((1, 2), keepdims=True) + 1e-5), rtol=1e-10,
                 atol=1e-12)
    xt = _t(x, device, rg=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, [3, 4], w * 1.5, b, 1e-3),
                     (xt, m.weight, m.bias))


def test_layer_norm_large_mean_is_stable(device):
    # NOTE: two-pass variance: a large common offset must not cancel the small spread
    x = np.array([[1e4 + 0.001, 1e4 - 0.001, 1e4 + 0.002, 1e4 - 0.002]], dtype=np.float32)
    y = F.layer_norm(_t(x, device, dtype=ember.float32), (4,), eps=0.0)
    x = x.astype(np.float64)  # the float32-rounded inputs, exactly
    xc = x - x.mean()
    assert_close(_np(y), xc / np.sqrt((xc ** 2).mean()), rtol=1e-3, atol=1e-3)


def test_group_norm_module(device):
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by "
                       r"num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    m = nn.GroupNorm(2, 4, dtype=ember.float64, device=device)
    assert repr(m) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert nn.GroupNorm(2, 4, affine=False).weight is None
    x = np.random.default_rng(9).normal(size=(3, 4, 5))
    y = m(_t(x, device))
    xg = x.reshape(3, 2, 10)
    expect = ((xg - xg.mean(2, keepdims=True)) / np.sqrt(xg.var(2, keepdims=True) + 1e-5))
    assert_close(_np(y), expect.reshape(3, 4, 5), rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match=r"Expected weight to be a vector of size equal to "
                       r"the number of channels in input, but got weight of shape \[4\] and "
                       r"input of shape \[2, 6, 3\]"):
        F.group_norm(_t(np.zeros((2, 6, 3)), device), 2, weight=_t(np.ones(4), device))
    with pytest.raises(RuntimeError, match=r"Expected bias to be a vector .* bias of shape "
                       r"\[6, 1\]"):
        F.group_norm(_t(np.zeros((2, 6, 3)), device), 2, bias=_t(np.ones((6, 1)), device))


def test_rms_norm_default_eps_is_machine_epsilon(device):
    x32 = np.array([[1e-4, 0.0]], dtype=np.float32)
    y = F.rms_norm(_t(x32, device, dtype=ember.float32), [2])
    eps = np.finfo(np.float32).eps
    expect = x32.astype(np.float64) / math.sqrt(0.5e-8 + eps)
    assert y.dtype is ember.float32
    assert_close(_np(y), expect.astype(np.float32), rtol=1e-5, atol=1e-7)
    m = nn.RMSNorm(2, dtype=ember.float64, device=device)
    assert repr(m) == "RMSNorm((2,), eps=None, elementwise_affine=True)"
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    yd = m(_t([[3.0, 4.0]], device))
    expect = np.array([[3.0, 4.0]]) / math.sqrt(12.5 + np.finfo(np.float64).eps)
    assert_close(_np(yd), expect, rtol=1e-12, atol=1e-12)
    x = _t([[0.3, -1.2, 0.7]], device, rg=True)
    w = _t([0.5, 2.0, -1.0], device, rg=True)
    assert gradcheck(lambda x, w: F.rms_norm(x, (3,), w), (x, w))
    assert gradgradcheck(lambda x, w: F.rms_norm(x, (3,), w), (x, w))


def test_local_response_norm_hand_value_and_module(device):
    # channels [1, 2, 3], size 2 → window of channel c is {c - 1, c}
    x = _t([[[1.0], [2.0], [3.0]]], device)
    m = nn.LocalResponseNorm(2, alpha=1.0, beta=1.0, k=1.0)
    assert repr(m) == "LocalResponseNorm(2, alpha=1.0, beta=1.0, k=1.0)"
    y = m(x)
    expect = [1 / (1 + 1 / 2), 2 / (1 + 5 / 2), 3 / (1 + 13 / 2)]
    assert_close(_np(y).reshape(-1), np.array(expect), rtol=1e-12, atol=1e-12)
    xt = _t(np.random.default_rng(10).normal(size=(2, 4, 3)), device, rg=True)
    assert gradgradcheck(lambda x: F.local_response_norm(x, 3, 0.5, 0.75, 1.0), (xt,))


def test_half_precision_computes_in_float32(device):
    rng = np.random.default_rng(11)
    x16 = rng.normal(size=(4, 3, 5)).astype(np.float16)
    x = ember.tensor(x16, device=device, requires_grad=True)
    y = F.batch_norm(x, None, None, None, None, True)
    y.sum().backward()
    assert y.dtype is ember.float16 and x.grad.dtype is ember.float16
    x64 = x16.astype(np.float64)
    mu = x64.mean((0, 2), keepdims=True)
    expect = (x64 - mu) / np.sqrt(x64.var((0, 2), keepdims=True) + 1e-5)
    assert_close(_np(y).astype(np.float64), expect, rtol=2e-3, atol=2e-3)
    # the gradient of a sum through batch norm is zero (shift invariance)
    assert_close(_np(x.grad).astype(np.float64), np.zeros(x16.shape), atol=2e-3, rtol=0)


def test_lazy_batchnorm_and_instancenorm(device):
    m = nn.LazyBatchNorm2d(momentum=None, device=device)
    assert repr(m) == ("LazyBatchNorm2d(0, eps=1e-05, momentum=None, affine=True, bias=True, "
                       "track_running_stats=True)")
    x = np.random.default_rng(12).normal(size=(2, 3, 2, 2))
    m(_t(x, device, dtype=ember.float32))
    assert type(m) is nn.BatchNorm2d and m.num_features == 3
    assert tuple(m.weight.shape) == (3,) and m.num_batches_tracked.item() == 1
    assert_close(_np(m.running_mean), x.mean((0, 2, 3)), rtol=1e-5, atol=1e-6)  # 1/1 average
    assert_close(_np(m.weight), np.ones(3))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.LazyBatchNorm1d()(ember.ones(2, 3, 4, 5))
    src = nn.BatchNorm1d(5)
    src.running_mean.fill_(2.0)
    lazy = nn.LazyBatchNorm1d()
    lazy.load_state_dict(src.state_dict())
    assert_close(_np(lazy.running_mean), np.full(5, 2.0))
    inst = nn.LazyInstanceNorm1d(device=device)
    inst(ember.randn(2, 4, 3, device=device))
    assert type(inst) is nn.InstanceNorm1d and list(inst.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def test_group_norm_bias_only_gradients(device):
    # (not an op record: PyTorch 2.13's own group_norm backward fails for bias without weight)
    rng = np.random.default_rng(13)
    x = _t(rng.normal(size=(2, 4, 3)), device, rg=True)
    b = _t(rng.normal(size=4), device, rg=True)
    g = _t(rng.normal(size=(2, 4, 3)), device)
    fast = ember.autograd.grad((F.group_norm(x, 2, None, b) * g).sum(), [x, b])
    slow = ember.autograd.grad((F.group_norm(x, 2, None, b) * g).sum(), [x, b],
                               create_graph=True)
    for a, c in zip(fast, slow, strict=True):
        assert_close(_np(a), _np(c), rtol=1e-10, atol=1e-12)
    assert_close(_np(fast[1]), _np(g).sum((0, 2)), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, b: F.group_norm(x, 2, None, b), (x, b))
