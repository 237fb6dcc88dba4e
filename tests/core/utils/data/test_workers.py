"""DataLoader with worker processes: equivalence, seeding, sharding, failures, cleanup."""

from __future__ import annotations

import gc
import multiprocessing
import os
import random
import signal
import time
import warnings

import numpy as np
import pytest

import ember
from ember.utils.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    get_worker_info,
)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX worker processes")


def gen(seed):
    return ember.Generator().manual_seed(seed)


class Items(Dataset):
    """Item i: (i, a float32 array derived from i); optionally slow for some items."""

    def __init__(self, n, delay=0.0, slow=()):
        self.n, self.delay, self.slow = n, delay, set(slow)

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i in self.slow:
            time.sleep(self.delay)
        return i, np.arange(3, dtype=np.float32) + i


class WhoAmI(Dataset):
    """Item i: (i, worker id, pid, worker seed, random.random(), np.random.rand(), ember.rand)."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return (i, info.id, os.getpid(), info.seed, random.random(), float(np.random.rand()),
                float(ember.rand(1)))


class Fails(Dataset):
    def __init__(self, exc):
        self.exc = exc

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise self.exc
        return i


class Sleepy(Dataset):
    def __init__(self, seconds):
        self.seconds = seconds

    def __len__(self):
        return 100

    def __getitem__(self, i):
        time.sleep(self.seconds)
        return i


class Stream(IterableDataset):
    def __init__(self, n, shard):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if not self.shard or info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def shm_segments_of(pids):
    """Names in /dev/shm created by any of ``pids`` (ember's naming: ember_<pid>_<n>)."""
    prefixes = tuple(f"ember_{pid}_" for pid in pids)
    return [n for n in os.listdir("/dev/shm") if n.startswith(prefixes)]


def running(pid):
    """The process exists and is not a zombie (an exited child nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def assert_no_leftovers(pids, seconds=5.0):
    """Every pid gone (not a child, not running) and no segment of theirs in /dev/shm."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = {p.pid for p in multiprocessing.active_children()}
        alive = [p for p in pids if p in children or running(p)]
        if not alive:
            break
        time.sleep(0.05)
    assert not alive, f"worker processes still alive: {alive}"
    assert shm_segments_of(pids) == []


def flatten(loader):
    return [(i, row) for idx, arr in loader for i, row in zip(idx.tolist(), arr.tolist(),
                                                               strict=True)]


def test_two_workers_equal_zero_workers_in_order():
    ds = Items(23)
    ref = flatten(DataLoader(ds, batch_size=4))
    assert flatten(DataLoader(ds, batch_size=4, num_workers=2)) == ref
    assert [i for i, _ in ref] == list(range(23))
    assert ref[5][1] == [5.0, 6.0, 7.0]


def test_in_order_with_a_slow_worker():
    # Item 0 (worker 0's first batch) is slow: in-order still yields batch 0 first.
    ds = Items(12, delay=0.3, slow={0})
    got = [b[0].tolist() for b in DataLoader(ds, batch_size=2, num_workers=2)]
    assert got == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]


def test_out_of_order_same_multiset():
    ds = Items(12, delay=0.8, slow={0})
    got = [b[0].tolist() for b in DataLoader(ds, batch_size=2, num_workers=2, in_order=False)]
    assert sorted(got) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]
    assert got[0] != [0, 1]  # the slow batch did not hold back the others


def test_shuffled_workers_match_shuffled_main_process():
    ds = Items(20)
    a = flatten(DataLoader(ds, batch_size=3, shuffle=True, generator=gen(5)))
    b = flatten(DataLoader(ds, batch_size=3, shuffle=True, generator=gen(5), num_workers=2))
    assert a == b


def test_tensor_dataset_through_workers():
    x = np.random.default_rng(1).standard_normal((30, 4)).astype(np.float32)
    ds = TensorDataset(ember.from_numpy(x), ember.arange(30))
    got = list(DataLoader(ds, batch_size=8, num_workers=2))
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in got]), x)
    assert [i for b in got for i in b[1].tolist()] == list(range(30))


def test_worker_info_and_seeding():
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, generator=gen(123))
    rows = list(loader)
    assert get_worker_info() is None
    # The base seed is the first int64 drawn from the loader's generator.
    base = int(ember.empty((), dtype=ember.int64).random_(generator=gen(123)).item())
    by_worker = {}
    for i, wid, pid, seed, r, _, _ in rows:
        by_worker.setdefault(wid, []).append((i, pid, seed, r))
    assert set(by_worker) == {0, 1}
    for wid, items in by_worker.items():
        assert {seed for _, _, seed, _ in items} == {base + wid}
        assert len({pid for _, pid, _, _ in items}) == 1
        # random is seeded with base_seed + worker_id: its first draw is predictable.
        first = min(items)[3]
        assert first == random.Random(base + wid).random()
    assert by_worker[0][0][1] != by_worker[1][0][1]  # two processes


def test_seeding_reproducible_and_distinct_across_workers():
    def draws(seed):
        return [row[4:] for row in DataLoader(WhoAmI(), batch_size=None, num_workers=2,
                                              generator=gen(seed))]

    a, b, c = draws(7), draws(7), draws(8)
    assert a == b
    assert a != c
    # Worker 0 serves item 0, worker 1 item 1 (round-robin): their first draws differ.
    assert a[0][0] != a[1][0] and a[0][1] != a[1][1] and a[0][2] != a[1][2]


def test_worker_init_fn_runs_in_each_worker():
    class InitSeen(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return os.environ.get("EMBER_TEST_INIT", "")

    def init(worker_id):
        os.environ["EMBER_TEST_INIT"] = f"init{worker_id}"

    got = list(DataLoader(InitSeen(), batch_size=None, num_workers=2, worker_init_fn=init))
    assert got == ["init0", "init1", "init0", "init1"]
    assert "EMBER_TEST_INIT" not in os.environ


def test_iterable_dataset_duplicates_without_sharding():
    got = sorted(int(x) for x in DataLoader(Stream(5, shard=False), batch_size=None,
                                            num_workers=2))
    assert got == sorted(list(range(5)) * 2)


def test_iterable_dataset_sharded_by_worker_info():
    got = [b.tolist() for b in DataLoader(Stream(9, shard=True), batch_size=2, num_workers=2)]
    assert sorted(i for b in got for i in b) == list(range(9))
    # Worker 0 has 0,2,4,6,8 and worker 1 has 1,3,5,7; batches alternate between them.
    assert got[:2] == [[0, 2], [1, 3]]


def test_iterable_len_warning_mentions_workers():
    class Liar(Stream):
        def __len__(self):
            return 3

    loader = DataLoader(Liar(3, shard=False), batch_size=None, num_workers=2)
    assert len(loader) == 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(list(loader)) == 6
    assert any("IterableDataset replica at each worker" in str(w.message) for w in caught)


def test_worker_exception_reraised_with_traceback():
    loader = DataLoader(Fails(ValueError("bad item five")), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as info:
        list(loader)
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process 0." in msg
    assert "Original Traceback (most recent call last):" in msg
    assert "bad item five" in msg
    assert "__getitem__" in msg


def test_worker_key_error_keeps_type():
    loader = DataLoader(Fails(KeyError("k")), batch_size=None, num_workers=2)
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 1"):
        list(loader)


def test_exception_that_cannot_be_rebuilt_becomes_runtime_error():
    err = UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
    loader = DataLoader(Fails(err), batch_size=None, num_workers=2)
    with pytest.raises(RuntimeError, match="Caught UnicodeDecodeError in DataLoader worker"):
        list(loader)


def test_unpicklable_batch_raises_instead_of_hanging():
    class Lambdas(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return lambda: i

    loader = DataLoader(Lambdas(), batch_size=None, num_workers=2, collate_fn=lambda x: x)
    with pytest.raises(AttributeError, match="while sending a batch to the main process"):
        list(loader)


def test_unpicklable_exception_type_raises_runtime_error():
    class LocalError(Exception):
        pass

    class Raises(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            raise LocalError(f"local failure {i}")

    with pytest.raises(RuntimeError, match=r"Caught LocalError in DataLoader worker process 0"
                                           r"(.|\n)*local failure 0"):
        list(DataLoader(Raises(), batch_size=None, num_workers=2))


def test_worker_init_fn_exception_reraised():
    def init(worker_id):
        raise OSError(f"init failed in {worker_id}")

    with pytest.raises(OSError, match="init failed in 0"):
        list(DataLoader(Items(4), batch_size=1, num_workers=2, worker_init_fn=init))


def test_sigkill_worker_raises_promptly():
    loader = DataLoader(Sleepy(0.05), batch_size=2, num_workers=2)
    it = iter(loader)
    next(it)
    victim = it._workers[1]
    pids = [w.pid for w in it._workers]
    os.kill(victim.pid, signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=rf"DataLoader worker 1 \(pid {victim.pid}\) exited "
                                           r"unexpectedly: killed by signal SIGKILL"):
        for _ in it:
            pass
    assert time.monotonic() - start < 3.0
    assert_no_leftovers(pids)


def test_sigkill_worker_with_timeout():
    it = iter(DataLoader(Sleepy(0.05), batch_size=2, num_workers=2, timeout=2.0))
    next(it)
    pids = [w.pid for w in it._workers]
    os.kill(pids[0], signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader worker 0 .* SIGKILL"):
        for _ in it:
            pass
    assert time.monotonic() - start < 2.0
    assert_no_leftovers(pids)


def test_worker_exit_code_reported():
    class Exits(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            os._exit(3)

    with pytest.raises(RuntimeError, match=r"exited unexpectedly: exit code 3"):
        list(DataLoader(Exits(), batch_size=None, num_workers=1))


def test_timeout_raises():
    loader = DataLoader(Sleepy(1.0), batch_size=1, num_workers=1, timeout=0.3)
    it = iter(loader)
    pids = [w.pid for w in it._workers]
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        next(it)
    assert time.monotonic() - start < 2.0
    del it
    gc.collect()
    assert_no_leftovers(pids)


def test_no_leftovers_after_early_break():
    loader = DataLoader(Items(200), batch_size=4, num_workers=2, prefetch_factor=4)
    pids = []
    for k, _ in enumerate(loader):
        if k == 0:
            # the iterator is the for loop's; find it through the workers' parent relation
            pids = [p.pid for p in multiprocessing.active_children()]
        if k == 2:
            break
    gc.collect()
    assert pids
    assert_no_leftovers(pids)


def test_no_leftovers_after_del_loader_iterator():
    loader = DataLoader(Items(200), batch_size=4, num_workers=2)
    it = iter(loader)
    next(it)
    time.sleep(0.2)  # let the workers fill the prefetch queue with batches in shared memory
    pids = [w.pid for w in it._workers]
    del it, loader
    gc.collect()
    assert_no_leftovers(pids)


def test_no_leftovers_after_exception_in_loop():
    loader = DataLoader(Items(200), batch_size=4, num_workers=2)
    pids = []

    def train():
        for k, _ in enumerate(loader):
            if k == 0:
                pids.extend(p.pid for p in multiprocessing.active_children())
            if k == 1:
                raise ArithmeticError("loss is nan")

    with pytest.raises(ArithmeticError):
        train()
    gc.collect()
    assert pids
    assert_no_leftovers(pids)


ORPHAN_SCRIPT = """
import os, signal, time
import numpy as np
from ember.utils.data import DataLoader

class D:
    def __len__(self):
        return 1000

    def __getitem__(self, i):
        return np.zeros((3, 16, 16), np.float32)

it = iter(DataLoader(D(), batch_size=8, num_workers=2, prefetch_factor=4))
next(it)
time.sleep(0.3)  # batches now wait in shared memory
print(" ".join(str(w.pid) for w in it._workers), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_workers_exit_and_clean_up_when_main_process_is_killed():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", ORPHAN_SCRIPT], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    pids = [int(p) for p in proc.stdout.split()]
    assert len(pids) == 2
    assert_no_leftovers(pids, seconds=10.0)


def test_persistent_workers_reused_across_epochs():
    class Pid(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return os.getpid()

    loader = DataLoader(Pid(), batch_size=None, num_workers=2, persistent_workers=True)
    e1, e2 = list(loader), list(loader)
    assert len(e1) == len(e2) == 6
    assert set(e1) == set(e2) and len(set(e1)) == 2
    it = loader._iterator
    pids = [w.pid for w in it._workers]
    assert all(w.is_alive() for w in it._workers)
    del loader, it
    gc.collect()
    assert_no_leftovers(pids)


def test_persistent_workers_replaced_after_a_worker_dies():
    loader = DataLoader(Sleepy(0.01), batch_size=4, num_workers=2, persistent_workers=True)
    it = iter(loader)
    next(it)
    old = [w.pid for w in it._workers]
    os.kill(old[0], signal.SIGKILL)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        for _ in it:
            pass
    assert len(list(loader)) == 25  # a new epoch starts new workers
    new = [w.pid for w in loader._iterator._workers]
    assert set(new).isdisjoint(old)
    loader._iterator._shutdown_workers()
    assert_no_leftovers(old + new)


def test_persistent_iterable_workers_restart_stream():
    loader = DataLoader(Stream(6, shard=True), batch_size=2, num_workers=2,
                        persistent_workers=True)
    for _ in range(2):
        assert sorted(i for b in loader for i in b.tolist()) == list(range(6))
    pids = [w.pid for w in loader._iterator._workers]
    loader._iterator._shutdown_workers()
    assert_no_leftovers(pids)


def test_prefetch_bounds_outstanding_tasks():
    it = iter(DataLoader(Items(40), batch_size=2, num_workers=2, prefetch_factor=3))
    assert it._send_idx == 6 and it._tasks_outstanding == 6
    next(it)
    assert it._send_idx == 7  # one task sent per batch handed out
    assert it._tasks_outstanding <= 6
    it._shutdown_workers()


def test_too_many_workers_warns():
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with pytest.warns(UserWarning, match=f"Our suggested max number of worker in current system "
                                         f"is {cpus}"):
        DataLoader(Items(4), num_workers=cpus + 1)


def test_spawn_context():
    ds = TensorDataset(ember.arange(10.0), ember.arange(10))
    loader = DataLoader(ds, batch_size=4, num_workers=2, multiprocessing_context="spawn")
    got = [b[1].tolist() for b in loader]
    assert got == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_stdlib_context_object():
    ctx = multiprocessing.get_context("fork")
    got = flatten(DataLoader(Items(7), batch_size=3, num_workers=2, multiprocessing_context=ctx))
    assert [i for i, _ in got] == list(range(7))
