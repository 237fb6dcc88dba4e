"""Tensors through ember.multiprocessing queues: values, layout, autograd flags, no leftovers.

References are numpy arrays built independently of ember and hand-derived strides/offsets.
"""

from __future__ import annotations

import gc
import os
import pickle
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest

import ember
import ember.multiprocessing as mp
from ember.nn import Parameter
from tests.core.multiprocessing._shm import SHM
from tests.core.multiprocessing._shm import recv as _recv
from tests.core.multiprocessing._shm import segments as _segments


def _echo(inq, outq):
    """Child: send back whatever arrives, until None."""
    while True:
        obj = inq.get()
        if obj is None:
            return
        outq.put((os.getpid(), obj))


def _cases():
    """(tensor, numpy reference, strides in elements, storage offset, requires_grad)."""
    base = ember.arange(12, dtype=ember.float32).reshape(3, 4)
    return [
        (ember.arange(6, dtype=ember.float64).reshape(2, 3),
         np.arange(6, dtype=np.float64).reshape(2, 3), (3, 1), 0, False),
        (ember.tensor([[1, -2], [3, 4]], dtype=ember.int32),
         np.array([[1, -2], [3, 4]], np.int32), (2, 1), 0, False),
        (ember.tensor([True, False, True]), np.array([True, False, True]), (1,), 0, False),
        (ember.tensor(2.5), np.array(2.5, np.float32), (), 0, False),
        (ember.zeros(0, 3), np.zeros((0, 3), np.float32), None, 0, False),
        (base[:, 1:3], np.arange(12, dtype=np.float32).reshape(3, 4)[:, 1:3], (4, 1), 1, False),
        (base.t(), np.arange(12, dtype=np.float32).reshape(3, 4).T, (1, 4), 0, False),
        (ember.arange(10)[3:9:2], np.arange(3, 9, 2), (2,), 3, False),
        (ember.tensor([1.0, 2.0], requires_grad=True), np.array([1.0, 2.0], np.float32), (1,),
         0, True),
        (ember.tensor([1, 2], dtype=ember.uint8), np.array([1, 2], np.uint8), (1,), 0, False),
        (ember.tensor([0.5, -1.5], dtype=ember.float16), np.array([0.5, -1.5], np.float16),
         (1,), 0, False),
        (ember.tensor([1 + 2j]), np.array([1 + 2j], np.complex64), (1,), 0, False),
    ]


def _check(got, ref, strides, offset, rg):
    assert type(got) is ember.Tensor
    np.testing.assert_array_equal(got.detach().numpy(), ref)
    assert got.detach().numpy().dtype == ref.dtype
    assert tuple(got.shape) == ref.shape
    if strides is not None:
        assert got.stride() == strides
    assert got.storage_offset() == offset
    assert got.requires_grad is rg
    assert got.grad is None and got.is_leaf


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_round_trip_through_child(method):
    ctx = mp.get_context(method)
    inq, outq = ctx.SimpleQueue(), ctx.SimpleQueue()
    p = ctx.Process(target=_echo, args=(inq, outq))
    p.start()
    try:
        cases = _cases()
        inq.put([c[0] for c in cases])
        child, back = _recv(outq, p)
        assert child == p.pid
        for got, (_, ref, strides, offset, rg) in zip(back, cases, strict=True):
            _check(got, ref, strides, offset, rg)
        # received one-off copies are unlinked by the receiver while still in use
        assert _segments(os.getpid(), p.pid) == []
        assert not any(t.is_shared() for t in back)
    finally:
        inq.put(None)
        p.join(30)
    assert p.exitcode == 0
    del back
    gc.collect()
    assert _segments(os.getpid(), p.pid) == []


def test_queue_with_feeder_thread_fork():
    ctx = mp.get_context("fork")
    inq, outq = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=_echo, args=(inq, outq))
    p.start()  # NOTE: start before put: forking after the feeder thread starts is unsafe
    try:
        x = ember.arange(100000, dtype=ember.float32).reshape(100, 1000)
        inq.put({"x": x, "pair": (x[1:3, ::7], 7)})
        _, back = outq.get(timeout=30)
        np.testing.assert_array_equal(back["x"].numpy(),
                                      np.arange(100000, dtype=np.float32).reshape(100, 1000))
        ref = np.arange(100000, dtype=np.float32).reshape(100, 1000)[1:3, ::7]
        np.testing.assert_array_equal(back["pair"][0].numpy(), ref)
        assert back["pair"][0].stride() == (1000, 7)
        assert back["pair"][0].storage_offset() == 1000
        assert back["pair"][1] == 7
    finally:
        inq.put(None)
        p.join(30)
        for q in (inq, outq):
            q.close()
            q.join_thread()  # leave no feeder thread behind (a later fork would inherit it)
    assert _segments(os.getpid(), p.pid) == []


def test_sender_copy_is_independent():
    x = ember.zeros(4)
    y = ForkingPickler.loads(ForkingPickler.dumps(x))
    y[0] = 5.0
    x[1] = 7.0
    np.testing.assert_array_equal(x.numpy(), [0.0, 7.0, 0.0, 0.0])
    np.testing.assert_array_equal(y.numpy(), [5.0, 0.0, 0.0, 0.0])
    assert not x.is_shared() and not y.is_shared()


def test_payload_names_a_segment_not_the_bytes():
    x = ember.ones(100000)
    payload = ForkingPickler.dumps(x)
    assert len(payload) < 1000  # 400 kB of data travel in /dev/shm, not in the pipe
    assert len(_segments(os.getpid())) == 1
    y = ForkingPickler.loads(payload)
    assert _segments(os.getpid()) == []
    assert float(y.sum()) == 100000.0


def test_parameter_keeps_type_and_flag():
    w = Parameter(ember.tensor([[1.0, 2.0]]))
    w.grad = ember.tensor([[3.0, 4.0]])
    v = ForkingPickler.loads(ForkingPickler.dumps(w))
    assert type(v) is Parameter and v.requires_grad
    assert v.grad is None  # grads are not sent
    np.testing.assert_array_equal(v.detach().numpy(), [[1.0, 2.0]])
    f = ForkingPickler.loads(ForkingPickler.dumps(Parameter(ember.ones(2), requires_grad=False)))
    assert type(f) is Parameter and not f.requires_grad


def test_python_attributes_of_subclasses_only_travel():
    x = ember.ones(2)
    x.tag = "batch-3"
    assert not hasattr(ForkingPickler.loads(ForkingPickler.dumps(x)), "tag")  # as torch
    w = Parameter(ember.ones(2))
    w.tag = "layer-1"
    assert ForkingPickler.loads(ForkingPickler.dumps(w)).tag == "layer-1"


def test_untyped_storage_round_trip():
    x = ember.tensor([1.0, 2.0], dtype=ember.float32)
    s = ForkingPickler.loads(ForkingPickler.dumps(x.untyped_storage()))
    assert s.nbytes() == 8
    np.testing.assert_array_equal(np.frombuffer(bytes(np.asarray(s._arr).tobytes()), np.float32),
                                  [1.0, 2.0])


def test_non_leaf_requiring_grad_is_refused():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        ForkingPickler.dumps(x * 2)
    y = ForkingPickler.loads(ForkingPickler.dumps((x * 2).detach()))
    np.testing.assert_array_equal(y.numpy(), [2.0, 2.0])
    assert _segments(os.getpid()) == []


def test_plain_pickle_is_unchanged():
    x = ember.arange(3.0)
    y = pickle.loads(pickle.dumps(x))  # not ForkingPickler: bytes, no segment
    np.testing.assert_array_equal(y.numpy(), [0.0, 1.0, 2.0])
    assert _segments(os.getpid()) == []


def test_lost_segment_error_names_it():
    payload = ForkingPickler.dumps(ember.ones(3))
    (name,) = _segments(os.getpid())
    os.unlink(os.path.join(SHM, name))  # as cleanup_segments() would
    with pytest.raises(RuntimeError, match=f"segment '/{name}' no longer exists"):
        ForkingPickler.loads(payload)


def _put_and_exit(q):
    q.put(ember.arange(5, dtype=ember.int64) * 3)


def test_receive_after_sender_exited():
    ctx = mp.get_context("fork")
    q = ctx.SimpleQueue()
    p = ctx.Process(target=_put_and_exit, args=(q,))
    p.start()
    p.join(30)
    assert p.exitcode == 0
    got = _recv(q)  # the segment outlives its creator until the receiver unlinks it
    np.testing.assert_array_equal(got.numpy(), np.arange(5) * 3)
    assert _segments(p.pid) == []


def test_sharing_strategy():
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    old = mp.get_sharing_strategy()
    try:
        mp.set_sharing_strategy("file_system")
        assert mp.get_sharing_strategy() == "file_system"
        with pytest.raises(ValueError, match="invalid sharing strategy 'nope'"):
            mp.set_sharing_strategy("nope")
    finally:
        mp.set_sharing_strategy(old)


def test_reexports_stdlib():
    import multiprocessing
    for name in ("Process", "Queue", "SimpleQueue", "Pool", "get_context", "set_start_method",
                 "cpu_count", "Event", "Lock"):
        assert name in mp.__all__ and hasattr(mp, name)
    assert mp.get_context("spawn").get_start_method() == "spawn"
    assert mp.Process is multiprocessing.Process


def _square_sum(t):
    return float((t * t).sum())


def test_pool_map_with_tensors():
    with mp.get_context("fork").Pool(2) as pool:
        out = pool.map(_square_sum, [ember.tensor([1.0, 2.0]), ember.tensor([3.0])])
    assert out == [5.0, 9.0]


class _FakeDeviceArray:
    """Stands in for a cupy array (no GPU in CI): anything that is not a numpy array."""

    size, shape, ndim = 2, (2,), 1


def test_device_tensors_are_refused():
    t = ember.Tensor._make(_FakeDeviceArray())
    with pytest.raises(RuntimeError, match="cannot send a CUDA tensor to another process"):
        ForkingPickler.dumps(t)
    assert t.share_memory_() is t and not t.is_shared()  # a no-op, as for CUDA in PyTorch
