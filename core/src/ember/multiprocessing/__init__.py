"""A drop-in for :mod:`multiprocessing` whose queues pass ember tensors through shared memory.

Everything in :mod:`multiprocessing` is re-exported (``Process``, ``Queue``, ``SimpleQueue``,
``Pool``, ``get_context``, ``set_start_method``, ...).  Importing this package registers
reducers with :class:`multiprocessing.reduction.ForkingPickler`, so that any queue, pipe or
pool of any context sends a CPU tensor as the name of a POSIX shared-memory segment
(``/dev/shm/ember_<pid>_<n>``), not as pickled bytes:

* a tensor in shared memory (``Tensor.share_memory_()``) is sent by name and stays shared:
  writes are visible in every process that holds it (Hogwild training);
* any other tensor is copied once into a transient segment that the receiver maps and
  unlinks immediately, so received tensors leave nothing behind in ``/dev/shm``.

:func:`spawn` / :func:`start_processes` run ``fn(i, *args)`` in N processes and re-raise a
child's exception in the parent; :func:`cleanup_segments` removes the transfer segments of a
process that died with tensors in flight.  CUDA (cupy) tensors cannot be sent (no CUDA IPC).

Example:
    >>> import ember
    >>> import ember.multiprocessing as mp
    >>> q = mp.get_context("fork").SimpleQueue()
    >>> q.put(ember.arange(3.0))
    >>> q.get()
    tensor([0., 1., 2.])
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import *  # noqa: F403 - the drop-in re-exports the stdlib API

from ._shm import cleanup_segments
from .reductions import init_reductions
from .spawn import (
    ProcessContext,
    ProcessException,
    ProcessExitedException,
    ProcessRaisedException,
    SpawnContext,
    spawn,
    start_processes,
)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           "cleanup_segments", "spawn", "start_processes", "ProcessContext", "SpawnContext",
           "ProcessException", "ProcessRaisedException", "ProcessExitedException",
           *multiprocessing.__all__]

# NOTE: both of PyTorch's strategy names select the one mechanism here (named segments
# in /dev/shm, unlinked by the receiver or the creator); the name is only recorded
_all_sharing_strategies = {"file_descriptor", "file_system"}
_sharing_strategy = "file_descriptor"


def set_sharing_strategy(new_strategy: str) -> None:
    """Set the strategy for sharing CPU tensors (recorded; both names use named segments).

    Args:
        new_strategy (str): one of :func:`get_all_sharing_strategies`.

    Raises:
        ValueError: for an unknown strategy.

    Example:
        >>> import ember.multiprocessing as mp
        >>> mp.set_sharing_strategy("file_system"); mp.get_sharing_strategy()
        'file_system'
        >>> mp.set_sharing_strategy("file_descriptor")
    """
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise ValueError(f"set_sharing_strategy(): invalid sharing strategy {new_strategy!r}, "
                         f"expected one of {sorted(_all_sharing_strategies)}")
    _sharing_strategy = new_strategy


def get_sharing_strategy() -> str:
    """The current strategy for sharing CPU tensors.

    Example:
        >>> import ember.multiprocessing as mp
        >>> mp.get_sharing_strategy()
        'file_descriptor'
    """
    return _sharing_strategy


def get_all_sharing_strategies() -> set[str]:
    """The strategies :func:`set_sharing_strategy` accepts.

    Example:
        >>> import ember.multiprocessing as mp
        >>> sorted(mp.get_all_sharing_strategies())
        ['file_descriptor', 'file_system']
    """
    return set(_all_sharing_strategies)


init_reductions()
