"""``DistributedSampler``: each of ``num_replicas`` processes reads its own slice of a dataset.

Example:
    >>> from ember.utils.data import DistributedSampler
    >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
    [1, 3, 0]
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Restricts loading to the share of one replica (rank) out of ``num_replicas``.

    The index list (``randperm(len(dataset))`` seeded with ``seed + epoch`` when ``shuffle``,
    else ``0..len-1``) is padded by repeating its head to ``total_size = num_samples *
    num_replicas`` (or truncated when ``drop_last``); replica ``rank`` takes every
    ``num_replicas``-th index starting at ``rank``. Call :meth:`set_epoch` each epoch to
    reshuffle.

    Args:
        dataset (Dataset): the dataset (only its length is used).
        num_replicas (int): number of processes. Required until ``ember.distributed`` exists.
        rank (int): this process's rank in ``[0, num_replicas)``. Required likewise.
        shuffle (bool): shuffle the indices. Default: ``True``.
        seed (int): base seed of the shuffle, identical on all replicas. Default: ``0``.
        drop_last (bool): drop the tail so that every replica gets the same number of distinct
            indices, instead of padding. Default: ``False``.

    Raises:
        RuntimeError: ``num_replicas`` or ``rank`` omitted (no process group to ask).
        ValueError: ``rank`` outside ``[0, num_replicas)`` or ``num_replicas < 1``.

    Example:
        >>> from ember.utils.data import DistributedSampler
        >>> s = DistributedSampler(range(6), num_replicas=3, rank=0, seed=1)
        >>> len(s)
        2
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            missing = " and ".join(n for n, v in (("num_replicas", num_replicas), ("rank", rank))
                                   if v is None)
            raise RuntimeError(f"DistributedSampler: {missing} must be given explicitly; "
                               "ember has no distributed process group to read them from")
        if num_replicas < 1:
            raise ValueError(f"Invalid num_replicas {num_replicas}, it should be >= 1")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        import ember

        n = len(self.dataset)
        if self.shuffle:
            g = ember.Generator().manual_seed(self.seed + self.epoch)
            indices = ember.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            pad = self.total_size - len(indices)
            indices += (indices * math.ceil(pad / len(indices)))[:pad] if pad else []
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which offsets the shuffle seed so each epoch has a new order."""
        self.epoch = epoch
