"""The DataLoader iterator that runs worker processes.

Protocol: one index queue per worker, one shared result queue. At most ``prefetch_factor *
num_workers`` tasks are outstanding; task ``k`` goes to the next active worker round-robin.
With ``in_order`` results are re-sequenced by task number, otherwise yielded as they arrive.

Never hang: waiting for a result wakes every ``_POLL_INTERVAL`` seconds to check that every
active worker is alive (a dead one raises ``RuntimeError`` naming its id, pid and exit status),
and ``timeout`` bounds the total wait. Shutdown (end of epoch, ``break``, ``del``, an exception
in the loop, interpreter exit) tells workers to stop, joins them, terminates stragglers, closes
the queues and removes the shared-memory segments the workers left behind.
"""

from __future__ import annotations

import atexit
import itertools
import os
import queue
import signal
import time
import weakref

from ._worker import (
    ExceptionWrapper,
    _IterableDatasetStopIteration,
    _ResumeIteration,
    _worker_loop,
)
from .dataloader import _BaseIter, _mp_module, _pin, _resolve_context

# Seconds between liveness checks while blocked on the result queue.
_POLL_INTERVAL = 0.1
# Seconds a worker gets to exit after being told to, before it is terminated.
_JOIN_TIMEOUT = 2.0

_live_iterators: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _shutdown_live_iterators() -> None:
    # Persistent or abandoned iterators: stop their workers before multiprocessing's own exit
    # hook terminates daemonic children, so that their shared-memory segments are removed.
    for it in list(_live_iterators):
        it._shutdown_workers()


def _exit_status(exitcode: int | None) -> str:
    """``killed by signal SIGKILL (exit code -9)`` / ``exit code 1``."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"killed by signal {name} (exit code {exitcode})"
    return f"exit code {exitcode}"


class _MultiProcessIter(_BaseIter):
    """Iterates once over the dataset with ``num_workers`` worker processes."""

    _shutdown = True  # until the workers exist there is nothing to shut down

    def __init__(self, loader) -> None:
        super().__init__(loader)
        self._owner_pid = os.getpid()  # forked children inherit this object: never act there
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._prefetch_factor <= 0:
            raise ValueError(f"prefetch_factor must be positive with num_workers > 0, but got "
                             f"prefetch_factor={self._prefetch_factor}")
        ctx = loader.multiprocessing_context or _resolve_context(None)
        self._mp = ctx
        _mp_module()  # imported once here: forked workers inherit it instead of importing it
        self._result_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._index_queues = []
        self._workers = []
        self._shutdown = False
        _live_iterators.add(self)
        try:
            for i in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                w = ctx.Process(
                    target=_worker_loop,
                    args=(self._iterable, self._dataset, index_queue, self._result_queue,
                          self._done_event, self._auto_collation, self._collate_fn,
                          self._drop_last, self._base_seed, loader.worker_init_fn, i,
                          self._num_workers, self._persistent_workers),
                    daemon=True)
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter: bool = False) -> None:
        super()._reset(loader)
        self._send_idx = 0  # number of the next task to send
        self._rcvd_idx = 0  # number of the next task to return (in order)
        self._task_info = {}  # task number -> (worker_id,) or (worker_id, data)
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Persistent workers: restart their iteration and wait for every acknowledgement.
            for q in self._index_queues:
                q.put(_ResumeIteration())
            pending = self._num_workers
            while pending > 0:
                idx, _ = self._get_data()
                if isinstance(idx, _ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    # --- receiving ---------------------------------------------------------------------------

    def _check_workers(self) -> None:
        """Raise if an active worker has died."""
        for worker_id, w in enumerate(self._workers):
            if self._workers_status[worker_id] and not w.is_alive():
                self._workers_status[worker_id] = False
                # The epoch cannot complete: stop the other workers now, not at garbage collection.
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader worker {worker_id} (pid {w.pid}) exited "
                                   f"unexpectedly: {_exit_status(w.exitcode)}")

    def _get_data(self):
        """The next ``(task_idx, data)`` from the workers, within ``timeout`` if it is set."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _POLL_INTERVAL
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    self._check_workers()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                self._check_workers()

    def _next_data(self):
        if self._shutdown:  # a worker died, or the epoch already ended
            raise StopIteration
        while True:
            # Skip tasks of workers whose iterable dataset is exhausted.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration

            if len(self._task_info[self._rcvd_idx]) == 2:
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if self._iterable and isinstance(data, _IterableDatasetStopIteration):
                self._mark_worker_done(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                if not self._in_order:
                    worker_id = self._task_info.pop(idx)[0]
                    return self._process_data(data, worker_id)
                self._task_info[idx] += (data,)
            else:
                worker_id = self._task_info.pop(idx)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _process_data(self, data, worker_id: int):
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return _pin(data) if self._pin_memory else data

    # --- sending -----------------------------------------------------------------------------

    def _try_put_index(self) -> None:
        max_tasks = self._prefetch_factor * self._num_workers
        try:
            index = self._next_index()
        except StopIteration:
            return
        active = sum(self._workers_status)
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if not self._workers_status[worker_id]:
                continue
            # Out of order, a slow worker must not hoard the prefetch budget.
            if self._in_order or self._workers_num_tasks[worker_id] < max_tasks // active:
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _mark_worker_done(self, worker_id: int) -> None:
        """A worker's iterable is exhausted: send it no more tasks (it stays for persistence)."""
        self._workers_status[worker_id] = False
        if not self._persistent_workers:
            self._index_queues[worker_id].put(None)

    # --- shutdown ----------------------------------------------------------------------------

    def _shutdown_workers(self) -> None:
        if self._shutdown or os.getpid() != self._owner_pid:
            return
        self._shutdown = True
        _live_iterators.discard(self)
        try:
            # NOTE: the event alone stops the workers: under cyclic garbage collection the index
            # queues' feeder threads may already be finalized, so a None sent there is lost.
            self._done_event.set()
            for q in self._index_queues:
                q.put(None)
            deadline = time.monotonic() + _JOIN_TIMEOUT
            for w in self._workers:
                w.join(timeout=max(0.0, deadline - time.monotonic()))
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=_JOIN_TIMEOUT)
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
            self._result_queue.cancel_join_thread()
            self._result_queue.close()
            self._cleanup_segments()

    def _cleanup_segments(self) -> None:
        """Remove shared-memory segments of dead workers whose batches were never received."""
        from .dataloader import _mp_module

        cleanup = _mp_module().cleanup_segments
        for w in self._workers:
            if w.pid is not None and not w.is_alive():
                cleanup(w.pid)

    def __del__(self) -> None:
        self._shutdown_workers()
