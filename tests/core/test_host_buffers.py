"""The CPU buffer cache (convolution columns and other large temporaries): reuse, limits, and
no stale reads."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import _host_buffers as ws


@pytest.fixture(autouse=True)
def _empty_cache():
    ws.clear()
    yield
    ws.clear()


def test_take_give_reuses_buffers_of_the_same_size():
    a = ws.take((512, 1024), np.float32)  # 2 MiB
    assert a.shape == (512, 1024) and a.dtype == np.float32 and a.flags.c_contiguous
    ptr = a.__array_interface__["data"][0]
    ws.give(a.reshape(-1)[10:])  # a view of it hands back the whole buffer
    assert ws.cached_bytes() == 2 << 20
    b = ws.take((1024, 512), np.float32)
    assert b.__array_interface__["data"][0] == ptr and ws.cached_bytes() == 0
    c = ws.take((1024, 1024), np.float32)  # another size: a new buffer
    assert c.__array_interface__["data"][0] != ptr


def test_small_foreign_and_excess_buffers_are_not_kept(monkeypatch):
    ws.give(ws.take((10,), np.float32))  # below the size worth caching
    ws.give(np.empty((1 << 20,), np.float32))  # not from take()
    assert ws.cached_bytes() == 0
    monkeypatch.setattr(ws, "_MAX_CACHED", 3 << 20)
    ws.give(ws.take((1 << 19,), np.float32))
    ws.give(ws.take((1 << 19,), np.float32))  # 4 MiB would exceed the 3 MiB limit
    assert ws.cached_bytes() == 2 << 20
    ws.clear()
    assert ws.cached_bytes() == 0


def _reference_grads(x, w):
    """Conv gradients in float64 through ember's op records' own path (no fast backward)."""
    xr = x.detach().double().requires_grad_()
    wr = w.detach().double().requires_grad_()
    y = F.conv2d(xr, wr, padding=1)
    gx, gw = ember.autograd.grad(y.square().sum(), (xr, wr), create_graph=True)
    return y.detach().numpy(), gx.detach().numpy(), gw.detach().numpy()


def test_columns_come_back_after_backward_and_retained_graphs_keep_theirs():
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((4, 16, 40, 40)), dtype=ember.float32,
                     requires_grad=True)
    w = ember.tensor(rng.standard_normal((16, 16, 3, 3)) * 0.1, dtype=ember.float32,
                     requires_grad=True)
    y_ref, gx_ref, gw_ref = _reference_grads(x, w)
    for _ in range(3):  # later steps run on recycled buffers
        x.grad = w.grad = None
        y = F.conv2d(x, w, padding=1)
        loss = y.square().sum()
        loss.backward(retain_graph=True)
        g1 = (x.grad.numpy().copy(), w.grad.numpy().copy())
        F.conv2d(x, w, padding=1).sum().backward()  # another conv reuses freed buffers
        x.grad = w.grad = None
        loss.backward()  # the retained graph still has its own columns
        np.testing.assert_allclose(y.detach().numpy(), y_ref, rtol=1e-4, atol=1e-3)
        for got, first, ref in zip((x.grad, w.grad), g1, (gx_ref, gw_ref), strict=True):
            np.testing.assert_array_equal(got.numpy(), first)
            np.testing.assert_allclose(first, ref, rtol=1e-3, atol=1e-2)
        assert ws.cached_bytes() > 0
