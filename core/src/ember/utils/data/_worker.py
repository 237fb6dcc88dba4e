"""What runs inside a DataLoader worker process, and the objects it sends back.

A worker seeds its random sources, builds a fetcher, then loops: take ``(task_idx, index)``
from its index queue, fetch and collate, put ``(task_idx, batch)`` on the shared result queue.
An exception becomes an :class:`ExceptionWrapper` (re-raised by the main process with the
worker's traceback); an exhausted iterable dataset sends :class:`_IterableDatasetStopIteration`.
``None`` on the index queue means "exit". The worker also exits when its parent dies.
"""

from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info"]

# How often an idle worker wakes up to check its parent and the done event (seconds).
_POLL_INTERVAL = 0.1

_worker_info: WorkerInfo | None = None


@dataclass(frozen=True)
class WorkerInfo:
    """Describes the current DataLoader worker (see :func:`get_worker_info`).

    Attributes:
        id (int): this worker's index in ``[0, num_workers)``.
        num_workers (int): number of workers of the loader.
        seed (int): the seed this worker gave ember and ``random`` (``base_seed + id``).
        dataset: this worker's copy of the dataset.
    """

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info() -> WorkerInfo | None:
    """Information about the current DataLoader worker, or ``None`` in the main process.

    Use it in ``IterableDataset.__iter__`` to shard a stream across workers, or in a
    ``worker_init_fn`` to configure each worker's dataset copy.

    Example:
        >>> from ember.utils.data import get_worker_info
        >>> get_worker_info() is None
        True
    """
    return _worker_info


class _KeyErrorMessage(str):
    """A str whose repr is itself, so a KeyError shows the traceback's line breaks."""

    def __repr__(self) -> str:
        return str(self)


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process as its type and text.

    Args:
        exc_info (tuple, optional): ``sys.exc_info()`` of the caught exception (default: the
            exception being handled).
        where (str): the place named in the re-raised message.
    """

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_name = exc_info[0].__name__
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the exception again: same type, message ``Caught X in ... Original Traceback``.

        Falls back to ``RuntimeError`` when the type cannot be built from one message string.
        """
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # noqa: BLE001 - any constructor signature may refuse one string
            raise RuntimeError(msg) from None
        raise exception


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """Sent by a worker whose iterable dataset is exhausted."""

    worker_id: int


class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch; echoed back as an ack."""


class _MapDatasetFetcher:
    """Fetch samples of a map-style dataset by index (a batch list, or one index)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        from .collate import default_collate
        from .dataset import TensorDataset

        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        # Fast path: a TensorDataset batch is one fancy index per tensor, which is exactly what
        # default_collate would build from the stacked samples (a list of batched tensors).
        self._tensor_batches = (auto_collation and collate_fn is default_collate
                                and type(dataset).__getitem__ is TensorDataset.__getitem__)
        getitems = getattr(dataset, "__getitems__", None)
        self._getitems = getitems if callable(getitems) else None

    def fetch(self, index):
        if self._tensor_batches:
            return _index_tensors(self.dataset.tensors, index)
        if self.auto_collation:
            if self._getitems is not None:
                data = self._getitems(index)
            else:
                data = [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


def _index_tensors(tensors, index) -> list:
    """``[t[index] for t in tensors]`` with one gather per tensor (a new array each)."""
    from ..._tensor import Tensor

    idx = np.asarray(index, dtype=np.int64)
    out = []
    for t in tensors:
        if t.requires_grad:  # keep the graph: go through ember's differentiable indexing
            out.append(t[Tensor._make(idx)])
            continue
        data = t._data
        xp_idx = idx if isinstance(data, np.ndarray) else _to_xp_like(data, idx)
        out.append(Tensor._make(data.take(xp_idx, axis=0)))
    return out


def _to_xp_like(data, idx: np.ndarray):
    """``idx`` moved to the array library of ``data`` (cupy for GPU tensors)."""
    import cupy

    with cupy.cuda.Device(data.device.id):
        return cupy.asarray(idx)


class _IterableDatasetFetcher:
    """Fetch the next samples of an iterable dataset (``batch_size`` of them when batching)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def create_fetcher(iterable: bool, dataset, auto_collation, collate_fn, drop_last):
    """The fetcher for a map-style (``iterable=False``) or iterable-style dataset."""
    cls = _IterableDatasetFetcher if iterable else _MapDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def numpy_seed(base_seed: int, worker_id: int) -> np.ndarray:
    """The legacy numpy seed of a worker: 128 bits mixed from (worker_id, base_seed).

    NOTE: hashing (rather than ``base_seed + worker_id``) keeps workers of consecutive epochs
    from sharing numpy streams; PyTorch does the same with its own hash, so numbers differ.
    """
    mask = 0xFFFFFFFF
    seq = np.random.SeedSequence([worker_id, base_seed & mask, (base_seed >> 32) & mask])
    return seq.generate_state(4)


def seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed ember, ``random`` and numpy's global state for one worker; returns ember's seed."""
    import ember

    seed = base_seed + worker_id
    random.seed(seed)
    ember.manual_seed(seed)
    np.random.seed(numpy_seed(base_seed, worker_id))
    return seed


def _send_error_handler(data_queue, where: str):
    """Feeder-thread hook: replace a result that cannot be pickled by the error, for its task."""

    def handler(exc: BaseException, obj) -> None:
        if not (isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[0], int)):
            traceback.print_exception(exc)
            return
        idx, data = obj
        if isinstance(data, ExceptionWrapper):
            # The worker's exception type itself cannot be pickled: keep its text only.
            data.exc_type = RuntimeError
        else:
            data = ExceptionWrapper((type(exc), exc, exc.__traceback__),
                                    where=f"{where} while sending a batch to the main process")
        data_queue.put((idx, data))

    return handler


def _worker_loop(iterable, dataset, index_queue, data_queue, done_event, auto_collation,
                 collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers,
                 persistent_workers):
    """Body of a worker process (see the module docstring for the protocol)."""
    global _worker_info
    parent = os.getppid()
    try:
        import ember.multiprocessing  # noqa: F401  (tensors travel through shared memory)

        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:  # noqa: BLE001 - reported to the main process at the first task
            init_error = ExceptionWrapper(where=where)

        # NOTE: results are pickled by the queue's feeder thread, which by default prints a
        # pickling error and drops the item, leaving the main process waiting forever.
        data_queue._on_queue_feeder_error = _send_error_handler(data_queue, where)
        iteration_end = False
        while os.getppid() == parent:
            try:
                task = index_queue.get(timeout=_POLL_INTERVAL)
            except queue.Empty:
                if done_event.is_set():
                    break
                continue
            if isinstance(task, _ResumeIteration):
                data_queue.put((task, None))
                iteration_end = False
                if init_error is None:
                    fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn,
                                             drop_last)
                continue
            if task is None:
                break
            if done_event.is_set() or iteration_end:
                continue  # draining: the main process is shutting down or the stream ended
            idx, index = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not iterable:
                        data = ExceptionWrapper(where=where)
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:  # noqa: BLE001 - re-raised in the main process
                    data = ExceptionWrapper(where=where)
            data_queue.put((idx, data))
            del data, idx, index, task
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C and shuts the workers down
    orphaned = os.getppid() != parent
    if done_event.is_set() or orphaned:
        # Do not block exit on flushing results nobody will read.
        data_queue.cancel_join_thread()
        data_queue.close()
    if orphaned:
        # The main process died: nobody will receive (and unlink) the batches in flight.
        import ember.multiprocessing

        ember.multiprocessing.cleanup_segments(os.getpid())
