"""``DataLoader``: batches from a dataset, in this process or in worker processes.

With ``num_workers=0`` batches are fetched in the main process (:class:`_SingleProcessIter`);
otherwise :class:`ember.utils.data._mp_iter._MultiProcessIter` starts real worker processes.
Every iterator draws a ``base_seed`` from the loader's generator (or ember's default
generator); worker ``i`` seeds ember and ``random`` with ``base_seed + i`` and numpy with a hash
of both.

Example:
    >>> import ember
    >>> from ember.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(ember.arange(10.0), ember.arange(10))
    >>> [tuple(y.tolist()) for _, y in DataLoader(ds, batch_size=4)]
    [(0, 1, 2, 3), (4, 5, 6, 7), (8, 9)]
"""

from __future__ import annotations

import math
import multiprocessing
import os
import warnings

from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_FROZEN_ATTRS = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                 "persistent_workers")


class _InfiniteConstantSampler(Sampler):
    """Yields ``None`` forever: the index stream of an iterable dataset."""

    def __iter__(self):
        while True:
            yield None


def _mp_module():
    """``ember.multiprocessing`` (queues that pass tensors through shared memory)."""
    import ember.multiprocessing
    return ember.multiprocessing


def _resolve_context(ctx):
    """A multiprocessing context from ``None``, a start-method name or a context object."""
    if ctx is None:
        return _mp_module().get_context(None)
    if isinstance(ctx, str):
        methods = multiprocessing.get_all_start_methods()
        if ctx not in methods:
            raise ValueError(f"multiprocessing_context option should specify a valid start "
                             f"method in {methods!r}, but got multiprocessing_context={ctx!r}")
        return _mp_module().get_context(ctx)
    if not all(hasattr(ctx, a) for a in ("Process", "Queue", "Event")):
        raise TypeError(f"multiprocessing_context option should be a valid context object or a "
                        f"string specifying the start method, but got "
                        f"multiprocessing_context={ctx!r}")
    return ctx


class DataLoader:
    """Iterate over a dataset in batches, optionally with worker processes.

    Args:
        dataset (Dataset): map-style (``__getitem__``/``__len__``) or :class:`IterableDataset`.
        batch_size (int or None): samples per batch; ``None`` yields samples one by one through
            ``default_convert``. Default: ``1``.
        shuffle (bool, optional): reshuffle every epoch (map-style only). Default: ``False``.
        sampler (Sampler or iterable, optional): the index order; exclusive with ``shuffle``.
        batch_sampler (Sampler or iterable, optional): yields index lists; exclusive with
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers (int): worker processes; ``0`` loads in the main process. Default: ``0``.
        collate_fn (callable, optional): merges samples into a batch. Default:
            :func:`default_collate` (or :func:`default_convert` without batching).
        pin_memory (bool): copy batches into page-locked host memory (needs a GPU; a warned
            no-op otherwise). Default: ``False``.
        drop_last (bool): drop the last incomplete batch. Default: ``False``.
        timeout (float): seconds to wait for a batch from the workers, ``0`` = no limit (dead
            workers are still detected). Default: ``0``.
        worker_init_fn (callable, optional): called as ``fn(worker_id)`` in each worker after
            seeding and before loading.
        multiprocessing_context (str or context, optional): start method (``'fork'``,
            ``'spawn'``, ``'forkserver'``) or a context. Default: the platform's (fork on Linux).
        generator (Generator, optional): draws the base seed and the shuffle order.
        prefetch_factor (int, optional): batches in flight per worker. Default: ``2`` with
            workers; must be ``None`` without.
        persistent_workers (bool): keep the workers alive between epochs. Default: ``False``.
        pin_memory_device (str): deprecated, ignored (as in PyTorch).
        in_order (bool): yield batches in sampler order; ``False`` yields them as they are
            ready. Default: ``True``.

    Raises:
        ValueError: incompatible or out-of-range options (the message names them).

    Example:
        >>> import ember
        >>> from ember.utils.data import DataLoader
        >>> g = ember.Generator().manual_seed(0)
        >>> sorted(int(i) for b in DataLoader(range(6), batch_size=4, shuffle=True,
        ...                                     generator=g) for i in b)
        [0, 1, 2, 3, 4, 5]
    """

    _initialized = False

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._iterable = True
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            self._iterable = False
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._IterableDataset_len_called = None
        self._iterator = None
        self._initialized = True
        self.check_worker_number_rationality()

    # --- configuration -------------------------------------------------------------------------

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx) -> None:
        if ctx is not None:
            if self.num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            ctx = _resolve_context(ctx)
        self._multiprocessing_context = ctx

    def __setattr__(self, attr, val) -> None:
        if self._initialized and attr in _FROZEN_ATTRS:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def check_worker_number_rationality(self) -> None:
        """Warn when ``num_workers`` exceeds the CPUs this process may run on."""
        if self.num_workers <= 1:
            return
        try:
            cpus = len(os.sched_getaffinity(0))
        except AttributeError:
            cpus = os.cpu_count()
        if cpus is not None and self.num_workers > cpus:
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                          f"total. Our suggested max number of worker in current system is "
                          f"{cpus}, which is smaller than what this DataLoader is going to "
                          f"create. Please be aware that excessive worker creation might get "
                          f"DataLoader running slow or even freeze, lower the worker number to "
                          f"avoid potential slowness/freeze if necessary.", stacklevel=3)

    # --- iteration -----------------------------------------------------------------------------

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        from ._mp_iter import _MultiProcessIter
        return _MultiProcessIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            # A fresh iterator also replaces one whose workers were shut down (a worker died).
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        if self._iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = (length // self.batch_size if self.drop_last
                          else math.ceil(length / self.batch_size))
            return length
        return len(self._index_sampler)


def _pin(data):
    """``data`` with every CPU tensor copied into page-locked host memory."""
    from ..._tensor import Tensor
    from .collate import _rebuild_mapping, _rebuild_sequence

    if isinstance(data, Tensor):
        return data.pin_memory() if data.device.type == "cpu" else data
    if isinstance(data, dict):
        return _rebuild_mapping(data, {k: _pin(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(_pin(v) for v in data))
    if isinstance(data, tuple):
        return [_pin(v) for v in data]
    if isinstance(data, list):
        return _rebuild_sequence(data, [_pin(v) for v in data])
    return data


class _BaseIter:
    """State shared by both iterators: index stream, base seed, pinning, length warning."""

    def __init__(self, loader: DataLoader) -> None:
        import ember

        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        if loader.pin_memory and not ember.cuda.is_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=3)
        self._pin_memory = loader.pin_memory and ember.cuda.is_available()
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = int(ember.empty((), dtype=ember.int64)
                              .random_(generator=loader.generator).item())
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        reported = self._IterableDataset_len_called
        if self._iterable and reported is not None and self._num_yielded > reported:
            msg = (f"Length of IterableDataset {self._dataset} was reported to be {reported} "
                   f"(when accessing len(dataloader)), but {self._num_yielded} samples have "
                   f"been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not properly "
                        "configuring the IterableDataset replica at each worker (see "
                        "ember.utils.data.get_worker_info).")
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessIter(_BaseIter):
    """Fetch every batch in the calling process."""

    def __init__(self, loader: DataLoader) -> None:
        from ._worker import create_fetcher

        super().__init__(loader)
        if self._timeout != 0:
            raise ValueError(f"DataLoader: timeout={self._timeout} applies to worker processes "
                             f"only; use num_workers > 0 or timeout=0")
        self._fetcher = create_fetcher(self._iterable, self._dataset, self._auto_collation,
                                       self._collate_fn, self._drop_last)

    def _next_data(self):
        index = self._next_index()
        data = self._fetcher.fetch(index)
        return _pin(data) if self._pin_memory else data
