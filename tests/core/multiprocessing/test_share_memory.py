"""Tensor.share_memory_/is_shared, writes seen across processes, Hogwild, cleanup_segments."""

from __future__ import annotations

import gc
import os
import signal
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest

import ember
import ember.multiprocessing as mp
from tests.core.multiprocessing._shm import recv as _recv
from tests.core.multiprocessing._shm import segments as _segments


@pytest.fixture
def no_leftovers():
    """Fail if the test leaves segments of this process behind."""
    before = _segments(os.getpid())
    yield
    gc.collect()
    assert _segments(os.getpid()) == before


def test_share_memory_in_place(no_leftovers):
    x = ember.arange(6, dtype=ember.float32).reshape(2, 3)
    before = x.reshape(-1)  # a view made before sharing
    assert not x.is_shared()
    assert x.share_memory_() is x
    assert x.is_shared() and before.is_shared()
    (name,) = _segments(os.getpid())
    np.testing.assert_array_equal(x.numpy(), np.arange(6, dtype=np.float32).reshape(2, 3))
    assert x.dtype == ember.float32 and x.stride() == (3, 1)
    after = x[1]
    assert after.is_shared() and after.storage_offset() == 3
    x[1, 0] = 30.0
    assert float(before[3]) == 30.0 and float(after[0]) == 30.0
    before[0] = -1.0
    assert float(x[0, 0]) == -1.0
    x.share_memory_()  # already shared: no new segment
    assert _segments(os.getpid()) == [name]
    del x, before, after
    gc.collect()
    assert _segments(os.getpid()) == []  # the creator unlinks with the last user


def test_share_memory_of_a_view_moves_its_base(no_leftovers):
    base = ember.arange(10, dtype=ember.int64)
    v = base[2:8:3]
    v.share_memory_()
    assert base.is_shared() and v.is_shared()
    assert v.storage_offset() == 2 and v.stride() == (3,)
    np.testing.assert_array_equal(v.numpy(), [2, 5])
    base[5] = 50
    assert int(v[1]) == 50


def test_share_memory_keeps_autograd(no_leftovers):
    w = ember.tensor([1.0, -2.0], requires_grad=True)
    w.share_memory_()
    assert w.is_leaf and w.requires_grad and w.is_shared()
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, -4.0])  # d(w^2)/dw = 2w


def test_share_memory_scalars_and_empty(no_leftovers):
    s = ember.tensor(3.0).share_memory_()
    e = ember.zeros(0, 2).share_memory_()
    assert s.is_shared() and e.is_shared()
    assert float(s) == 3.0 and tuple(e.shape) == (0, 2)
    r = ForkingPickler.loads(ForkingPickler.dumps(e))
    assert tuple(r.shape) == (0, 2)


def test_shared_tensor_sent_by_name_stays_shared(no_leftovers):
    x = ember.zeros(3).share_memory_()
    y = ForkingPickler.loads(ForkingPickler.dumps(x))
    assert y.is_shared()
    assert len(_segments(os.getpid())) == 1  # no transfer copy was made
    y[1] = 4.0
    np.testing.assert_array_equal(x.numpy(), [0.0, 4.0, 0.0])
    v = ForkingPickler.loads(ForkingPickler.dumps(x[1:]))
    assert v.storage_offset() == 1 and v.is_shared()
    v[1] = 9.0
    np.testing.assert_array_equal(x.numpy(), [0.0, 4.0, 9.0])


def _write_ones(t, q):
    t.fill_(1.0)
    t[0] = float(os.getpid() % 1000)
    q.put("done")


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_child_writes_seen_by_parent(method, no_leftovers):
    ctx = mp.get_context(method)
    x = ember.zeros(4, dtype=ember.float64).share_memory_()
    q = ctx.SimpleQueue()
    p = ctx.Process(target=_write_ones, args=(x, q))
    p.start()
    assert _recv(q, p) == "done"
    p.join(30)
    assert p.exitcode == 0
    np.testing.assert_array_equal(x.numpy(), [p.pid % 1000, 1.0, 1.0, 1.0])
    assert _segments(p.pid) == []


def _add_rank(i, t):
    t[i] += i + 1


def test_spawn_args_share_tensor(no_leftovers):
    x = ember.zeros(2, dtype=ember.int64).share_memory_()
    mp.spawn(_add_rank, args=(x,), nprocs=2)
    np.testing.assert_array_equal(x.numpy(), [1, 2])


def _hogwild_train(rank, model, X, Y, steps):
    opt = ember.optim.SGD(model.parameters(), lr=0.05)
    n = X.shape[0] // 2
    xs, ys = X[rank * n:(rank + 1) * n], Y[rank * n:(rank + 1) * n]
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(xs) - ys) ** 2).mean()
        loss.backward()
        opt.step()


def _loss(model, X, Y):
    with ember.no_grad():
        return float(((model(X) - Y) ** 2).mean())


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_hogwild_two_processes_train_shared_model(method, no_leftovers):
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((64, 3)).astype(np.float32)
    yn = (xn @ np.array([[1.5], [-2.0], [0.5]], np.float32) + 0.25).astype(np.float32)
    X, Y = ember.tensor(xn), ember.tensor(yn)
    ember.manual_seed(0)
    model = ember.nn.Linear(3, 1)
    for p in model.parameters():
        p.share_memory_()
    start = _loss(model, X, Y)
    ctx = mp.start_processes(_hogwild_train, args=(model, X, Y, 60), nprocs=2, join=False,
                             start_method=method)
    while not ctx.join():
        pass
    end = _loss(model, X, Y)
    assert end < 0.05 * start  # both workers' updates landed in the shared parameters
    # the parameters moved towards the generating weights
    np.testing.assert_allclose(model.weight.detach().numpy(), [[1.5, -2.0, 0.5]], atol=0.3)


def _leak_and_wait(q, ev):
    t = ember.arange(1000, dtype=ember.float32)
    ForkingPickler.dumps(t)            # a transfer segment never received
    ember.ones(5).share_memory_()      # an owned segment (freed at once: unlinked by gc)
    keep = ember.ones(7).share_memory_()
    q.put("ready")
    ev.wait(60)
    del keep


def test_cleanup_segments_of_killed_child():
    ctx = mp.get_context("fork")
    q, ev = ctx.SimpleQueue(), ctx.Event()
    p = ctx.Process(target=_leak_and_wait, args=(q, ev))
    p.start()
    assert _recv(q, p) == "ready"
    assert len(_segments(p.pid)) == 2
    os.kill(p.pid, signal.SIGKILL)
    p.join(30)
    assert p.exitcode == -signal.SIGKILL
    assert len(_segments(p.pid)) == 2  # a killed process cannot clean up
    assert mp.cleanup_segments(p.pid) == 2
    assert _segments(p.pid) == []
    assert mp.cleanup_segments(p.pid) == 0


def test_cleanup_segments_argument_check():
    with pytest.raises(TypeError, match="argument 'pid' must be int, not str"):
        mp.cleanup_segments("12")


def test_is_shared_without_multiprocessing_loaded():
    # a plain tensor is never shared, whatever the process has imported
    assert ember.ones(2).is_shared() is False


def test_full_dev_shm_is_a_clear_error(monkeypatch):
    import errno

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)
    monkeypatch.setattr(os, "pwrite", full)
    before = _segments(os.getpid())
    for send in (ember.ones(4), ember.ones(4, 4).t()):  # write() and mapping paths
        with pytest.raises(RuntimeError, match="no space left in /dev/shm"):
            ForkingPickler.dumps(send)
    with pytest.raises(RuntimeError, match="enlarge it"):
        ember.ones(3).share_memory_()
    assert _segments(os.getpid()) == before  # nothing half-made is left


def _share_and_return(q):
    keep = ember.ones(3).share_memory_()  # alive when the process ends
    q.put(len(keep))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_child_exit_unlinks_its_shared_segments(method):
    ctx = mp.get_context(method)
    q = ctx.SimpleQueue()
    p = ctx.Process(target=_share_and_return, args=(q,))
    p.start()
    assert _recv(q, p) == 3
    p.join(30)
    assert p.exitcode == 0
    assert _segments(p.pid) == []


def test_parent_exit_unlinks_its_shared_segments(tmp_path):
    import subprocess
    import sys
    code = ("import os, ember\nx = ember.ones(3).share_memory_()\nprint(os.getpid())\n"
            "assert any(n.startswith(f'ember_{os.getpid()}_') for n in os.listdir('/dev/shm'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert _segments(int(out.stdout)) == []
