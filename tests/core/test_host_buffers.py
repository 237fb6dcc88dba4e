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
    a, b = ws.take((1 << 19,), np.float32), ws.take((1 << 18,), np.float64)
    pa, pb = _ptr(a), _ptr(b)
    ws.give(a)
    ws.give(b)  # 4 MiB would exceed the 3 MiB limit: the block cached longest ago goes
    assert ws.cached_bytes() == 2 << 20
    assert _ptr(ws.take((1 << 18,), np.float64)) == pb and ws.cached_bytes() == 0
    ws.give(ws.take((1 << 20,), np.float32))  # 4 MiB alone is over the limit: not kept
    assert ws.cached_bytes() == 0
    assert pa != pb
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


def _ptr(a):
    return a.__array_interface__["data"][0]


def test_results_return_when_the_last_view_dies_and_are_reused():
    a = ws.empty((512, 1024), np.float32)  # 2 MiB
    a[...] = 7.0
    ptr = _ptr(a)
    views = [a[3:5].T, a.reshape(-1)[::3], a.view(np.int32), np.asarray(a)[None]]
    del a
    b = ws.empty((512, 1024), np.float32)  # the memory is still in use: a new block
    assert _ptr(b) != ptr and ws.cached_bytes() == 0
    b[...] = -1.0
    for v in views:  # nothing overwrote the first block
        assert (v.view(np.float32) if v.dtype == np.int32 else v).min() == 7.0
    del v
    views.pop()
    assert ws.cached_bytes() == 0
    views.clear()  # the last views go: the block is cached ...
    assert ws.cached_bytes() == 2 << 20
    c = ws.empty((1024, 512), np.float32)  # ... and handed out again
    assert _ptr(c) == ptr and ws.cached_bytes() == 0
    small = ws.empty((10,), np.float64)  # under 1 MiB: plain numpy memory
    assert small.base is None and small.flags.owndata


def test_results_survive_copies_pickles_and_tensor_round_trips():
    import pickle
    a = ws.empty((1 << 18,), np.float64)
    a[:] = np.arange(a.size)
    t = ember.from_numpy(a)
    back = pickle.loads(pickle.dumps(t))
    arr = t.numpy()
    del a, t
    assert ws.cached_bytes() == 0  # ``arr`` still holds the memory
    fresh = ws.empty((1 << 18,), np.float64)
    fresh[:] = -1
    np.testing.assert_array_equal(arr, np.arange(1 << 18))
    np.testing.assert_array_equal(back.numpy(), np.arange(1 << 18))


def test_results_from_many_threads_never_share_memory():
    import threading
    errors = []

    def work(k):
        for i in range(30):
            a = ws.empty((1 << 18,), np.float32)
            a.fill(k * 1000 + i)
            b = a[::2]
            other = ws.empty((1 << 18,), np.float32)
            other.fill(-1)
            if not (b == k * 1000 + i).all():
                errors.append((k, i))
            del a, b, other

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and ws.cached_bytes() <= 8 * (1 << 20)


def test_relu_batch_norm_max_pool_and_conv_results_stay_intact_across_steps():
    # their results live in cached blocks: a second step must not disturb the first's
    rng = np.random.default_rng(5)
    net = ember.nn.Sequential(ember.nn.Conv2d(8, 16, 3, padding=1), ember.nn.BatchNorm2d(16),
                              ember.nn.ReLU(), ember.nn.MaxPool2d(3, 2, 1))
    x = ember.tensor(rng.standard_normal((8, 8, 48, 48)).astype(np.float32),
                     requires_grad=True)
    y1 = net(x)
    y1.backward(ember.ones_like(y1))
    held = (y1.detach().numpy().copy(), x.grad.numpy().copy())
    for _ in range(2):
        x2 = ember.tensor(rng.standard_normal((8, 8, 48, 48)).astype(np.float32),
                          requires_grad=True)
        y2 = net(x2)
        y2.backward(ember.ones_like(y2) * 3)
    np.testing.assert_array_equal(y1.detach().numpy(), held[0])
    np.testing.assert_array_equal(x.grad.numpy(), held[1])
    assert ws.cached_bytes() > 0


def test_a_fresh_result_becomes_a_leaf_gradient_without_a_copy():
    a = ws.empty((1 << 18,), np.float32)
    assert ws.is_fresh(a) and not ws.is_fresh(a[1:]) and not ws.is_fresh(np.ones(3))
    # max pool's input gradient is such a result: a leaf takes it over as its .grad
    x = ember.tensor(np.random.default_rng(0).standard_normal((8, 16, 64, 64)).astype(
        np.float32), requires_grad=True)
    ember.nn.functional.max_pool2d(x, 3, 2, 1).sum().backward()
    assert ws.is_fresh(x.grad.numpy())


def test_large_elementwise_and_matmul_results_are_recycled_and_exact():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((512, 600)).astype(np.float32)
    b = rng.standard_normal((600,)).astype(np.float32)
    w = rng.standard_normal((600, 512)).astype(np.float32)
    ta, tb, tw = ember.tensor(a), ember.tensor(b), ember.tensor(w)
    for got, ref in [(ta + tb, a + b), (ta - tb, a - b), (ta * tb, a * b), (ta @ tw, a @ w),
                     (ta.reshape(2, 256, 600) @ tw, (a @ w).reshape(2, 256, 512))]:
        assert ws.is_fresh(got.numpy()) or ws.is_fresh(got.numpy().base)
        np.testing.assert_array_equal(got.numpy(), ref)
    small = ember.ones(3) + ember.ones(3)  # small results stay plain numpy arrays
    assert small.numpy().base is None
    mixed = ta.double() + tb  # mixed dtypes keep numpy's promotion
    assert mixed.dtype == ember.float64
    np.testing.assert_array_equal(mixed.numpy(), a.astype(np.float64) + b)
