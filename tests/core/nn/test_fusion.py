"""``nn.utils.fusion``: folding eval-mode BatchNorm into conv / linear layers.

Fused weights are checked against numpy float64 formulas; fused modules against the
unfused ``bn(layer(x))`` chain in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)


def _np(t):
    return t.detach().numpy(force=True).astype(np.float64)


def _randomize_bn(bn, device):
    c = bn.num_features
    with ember.no_grad():
        bn.running_mean.copy_(ember.randn(c, dtype=bn.running_mean.dtype, device=device))
        bn.running_var.copy_(ember.rand(c, dtype=bn.running_var.dtype, device=device) + 0.5)
        if bn.weight is not None:
            bn.weight.copy_(ember.randn(c, dtype=bn.weight.dtype, device=device))
            bn.bias.copy_(ember.randn(c, dtype=bn.bias.dtype, device=device))
    return bn.eval()


@pytest.mark.parametrize("conv_cls,bn_cls,xshape", [
    (nn.Conv1d, nn.BatchNorm1d, (2, 3, 7)),
    (nn.Conv2d, nn.BatchNorm2d, (2, 3, 6, 5)),
    (nn.Conv3d, nn.BatchNorm3d, (1, 3, 4, 4, 4)),
])
@pytest.mark.parametrize("bias", [True, False])
def test_fuse_conv_bn_eval_matches_chain(device, conv_cls, bn_cls, xshape, bias):
    conv = conv_cls(3, 4, 2, bias=bias, device=device, dtype=ember.float64).eval()
    bn = _randomize_bn(bn_cls(4, eps=1e-3, device=device, dtype=ember.float64), device)
    x = ember.randn(*xshape, dtype=ember.float64, device=device)
    fused = fuse_conv_bn_eval(conv, bn)
    assert type(fused) is conv_cls and fused is not conv
    assert isinstance(fused.weight, nn.Parameter) and isinstance(fused.bias, nn.Parameter)
    np.testing.assert_allclose(_np(fused(x)), _np(bn(conv(x))), rtol=1e-12, atol=1e-12)
    # the source conv is untouched
    assert conv.bias is None if not bias else conv.bias is not fused.bias
    # numpy reference of the folded weights
    s = _np(bn.weight) / np.sqrt(_np(bn.running_var) + 1e-3)
    w_ref = _np(conv.weight) * s.reshape((-1,) + (1,) * (conv.weight.ndim - 1))
    b0 = _np(conv.bias) if bias else np.zeros(4)
    b_ref = (b0 - _np(bn.running_mean)) * s + _np(bn.bias)
    np.testing.assert_allclose(_np(fused.weight), w_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(_np(fused.bias), b_ref, rtol=1e-12, atol=1e-13)


def test_fuse_conv_transpose(device):
    conv = nn.ConvTranspose2d(3, 4, 2, device=device, dtype=ember.float64).eval()
    bn = _randomize_bn(nn.BatchNorm2d(4, device=device, dtype=ember.float64), device)
    x = ember.randn(2, 3, 4, 4, dtype=ember.float64, device=device)
    fused = fuse_conv_bn_eval(conv, bn, transpose=True)
    np.testing.assert_allclose(_np(fused(x)), _np(bn(conv(x))), rtol=1e-12, atol=1e-12)


def test_fuse_conv_bn_weights_defaults_and_dtype(device):
    w = ember.ones(2, 1, 1, 1, device=device)
    rm = ember.tensor([1.0, -1.0], device=device)
    rv = ember.tensor([3.0, 0.0], device=device)
    fw, fb = fuse_conv_bn_weights(w, None, rm, rv, 1.0, None, None)
    # s = 1 / sqrt(rv + eps) = [0.5, 1]; b' = (0 - rm) * s
    np.testing.assert_allclose(_np(fw).ravel(), [0.5, 1.0])
    np.testing.assert_allclose(_np(fb), [-0.5, 1.0])
    assert fw.dtype == ember.float32 and fb.dtype == ember.float32
    assert fw.requires_grad is False and fb.requires_grad is False
    assert fw.is_leaf and fb.is_leaf
    fw, _ = fuse_conv_bn_weights(w.requires_grad_(), None, rm, rv, 1.0, None, None)
    assert fw.requires_grad and fw.grad_fn is None


def test_fuse_linear_bn_eval(device):
    lin = nn.Linear(5, 3, device=device, dtype=ember.float64).eval()
    bn = _randomize_bn(nn.BatchNorm1d(3, device=device, dtype=ember.float64), device)
    x = ember.randn(4, 5, dtype=ember.float64, device=device)
    fused = fuse_linear_bn_eval(lin, bn)
    np.testing.assert_allclose(_np(fused(x)), _np(bn(lin(x))), rtol=1e-12, atol=1e-12)
    s = _np(bn.weight) / np.sqrt(_np(bn.running_var) + bn.eps)
    np.testing.assert_allclose(_np(fused.weight), s[:, None] * _np(lin.weight), rtol=1e-12,
                               atol=1e-13)
    # num_features == 1 broadcasts over every output feature
    bn1 = _randomize_bn(nn.BatchNorm1d(1, device=device, dtype=ember.float64), device)
    fused1 = fuse_linear_bn_eval(lin, bn1)
    y = _np(lin(x))
    s1 = _np(bn1.weight) / np.sqrt(_np(bn1.running_var) + bn1.eps)
    ref = (y - _np(bn1.running_mean)) * s1 + _np(bn1.bias)
    np.testing.assert_allclose(_np(fused1(x)), ref, rtol=1e-12, atol=1e-12)


def test_fuse_linear_bn_weights_no_bias(device):
    w = ember.ones(1, 2, device=device)
    mean, var, gamma, beta = (ember.tensor([v], device=device) for v in (1.0, 3.0, 2.0, 0.5))
    fw, fb = fuse_linear_bn_weights(w, None, mean, var, 1.0, gamma, beta)
    np.testing.assert_allclose(_np(fw), [[1.0, 1.0]])
    np.testing.assert_allclose(_np(fb), [-0.5])


def test_fusion_errors(device):
    conv, bn = nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        fuse_conv_bn_eval(conv, bn.eval())
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        fuse_conv_bn_eval(conv.eval(), bn.train())
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        fuse_linear_bn_eval(nn.Linear(2, 3), nn.BatchNorm1d(3).eval())
    with pytest.raises(AssertionError, match="linear.out_features == bn.num_features or "
                                             "bn.num_features == 1"):
        fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(2).eval())
    with pytest.raises(AssertionError, match="running statistics"):
        fuse_conv_bn_eval(nn.Conv2d(2, 3, 1).eval(),
                          nn.BatchNorm2d(3, track_running_stats=False).eval())
