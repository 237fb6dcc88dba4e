"""Anomaly detection: NaN gradients name the node and show the forward call's stack."""

from __future__ import annotations

import math

import pytest

import ember

F64 = ember.float64


def sqrt_at_zero(device):
    x = ember.tensor([0.0, 4.0], dtype=F64, device=device, requires_grad=True)
    y = x.sqrt()                         # forward line the warning must show
    return x, (y * 0.0).sum()            # backward: 0 * 1/(2 sqrt 0) = 0 * inf = nan


def test_without_anomaly_mode_nan_flows_silently(device):
    x, z = sqrt_at_zero(device)
    z.backward()
    g = x.grad.tolist()
    assert math.isnan(g[0]) and g[1] == 0.0


def test_detect_anomaly_names_sqrt_and_its_forward_line(device):
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = ember.autograd.detect_anomaly()
    with ctx:
        assert ember.autograd.is_anomaly_enabled()
        x, z = sqrt_at_zero(device)
        with pytest.warns(UserWarning, match="Error detected in SqrtBackward0") as rec:
            with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values "
                                                   "in its 0th output."):
                z.backward()
    assert not ember.autograd.is_anomaly_enabled()
    trace = str(rec[0].message)
    assert "Traceback of forward call that caused the error" in trace
    assert "y = x.sqrt()" in trace


def test_set_detect_anomaly_as_context_and_check_nan_off(device):
    with ember.autograd.set_detect_anomaly(True, check_nan=False):
        assert ember.autograd.is_anomaly_enabled()
        assert not ember.autograd.is_anomaly_check_nan_enabled()
        x, z = sqrt_at_zero(device)
        z.backward()                     # no NaN check: no error
    assert math.isnan(x.grad.tolist()[0])
    assert not ember.autograd.is_anomaly_enabled()
    assert ember.autograd.is_anomaly_check_nan_enabled()


def test_detect_anomaly_decorator(device):
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        deco = ember.autograd.detect_anomaly()

    @deco
    def run():
        x, z = sqrt_at_zero(device)
        z.backward()

    with pytest.warns(UserWarning, match="Error detected in SqrtBackward0"):
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            run()
    assert not ember.autograd.is_anomaly_enabled()


def test_finite_gradients_pass_under_anomaly_mode(device):
    x = ember.tensor([1.0, 4.0], dtype=F64, device=device, requires_grad=True)
    with ember.autograd.set_detect_anomaly(True):
        x.sqrt().sum().backward()
    assert x.grad.tolist() == [pytest.approx(0.5), pytest.approx(0.25)]
