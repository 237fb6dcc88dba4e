"""Samplers: iterables over dataset indices or lists of indices (``torch.utils.data.sampler``).

Random samplers draw from an ``ember.Generator`` with PyTorch's structure: without an explicit
generator, :class:`RandomSampler` draws a fresh seed from ember's default generator on every
``iter()``; with one, it draws ``randperm(n)`` (or ``randint`` in chunks of 32) from it.

Example:
    >>> import ember
    >>> from ember.utils.data import BatchSampler, SequentialSampler
    >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6]]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _ember():
    # Imported lazily: ember.utils.data is itself imported lazily from ember.
    import ember
    return ember


class Sampler:
    """Base class: subclasses implement ``__iter__`` (indices) and usually ``__len__``.

    Args:
        data_source: ignored; accepted for PyTorch compatibility.
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Yields ``0, 1, ..., len(data_source) - 1``.

    Args:
        data_source (Sized): the dataset (only its length is used).

    Example:
        >>> from ember.utils.data import SequentialSampler
        >>> list(SequentialSampler("abc"))
        [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Yields indices of ``data_source`` in random order.

    Without replacement: ``num_samples // n`` full permutations then the head of one more.
    With replacement: ``num_samples`` draws uniform on ``[0, n)``, made 32 at a time.

    Args:
        data_source (Sized): the dataset (only its length is used).
        replacement (bool): draw with replacement. Default: ``False``.
        num_samples (int, optional): how many indices per epoch. Default: ``len(data_source)``.
        generator (Generator, optional): the random source. Default: a new generator seeded from
            ember's default generator at every ``iter()``.

    Raises:
        TypeError: ``replacement`` is not a bool.
        ValueError: ``num_samples`` is not a positive int.

    Example:
        >>> import ember
        >>> from ember.utils.data import RandomSampler
        >>> s = RandomSampler(range(5), generator=ember.Generator().manual_seed(0))
        >>> sorted(s)
        [0, 1, 2, 3, 4]
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        n = self.num_samples
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={n}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        em = _ember()
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            seed = int(em.empty((), dtype=em.int64).random_().item())
            generator = em.Generator().manual_seed(seed)
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from em.randint(0, n, (32,), dtype=em.int64, generator=generator).tolist()
            yield from em.randint(0, n, (self.num_samples % 32,), dtype=em.int64,
                                  generator=generator).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from em.randperm(n, generator=generator).tolist()
            yield from em.randperm(n, generator=generator).tolist()[:self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """Yields the given ``indices`` in a random order (one permutation per ``iter()``).

    Args:
        indices (sequence): the indices to sample from.
        generator (Generator, optional): the random source. Default: ember's default generator.

    Example:
        >>> import ember
        >>> from ember.utils.data import SubsetRandomSampler
        >>> sorted(SubsetRandomSampler([4, 8, 9], generator=ember.Generator().manual_seed(0)))
        [4, 8, 9]
    """

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        em = _ember()
        for i in em.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Yields ``num_samples`` indices of ``[0, len(weights))`` drawn with P(i) ∝ ``weights[i]``.

    One ``multinomial(weights, num_samples, replacement)`` draw per ``iter()``.

    Args:
        weights (sequence of float): non-negative weights, need not sum to one.
        num_samples (int): indices per epoch.
        replacement (bool): draw with replacement. Default: ``True``.
        generator (Generator, optional): the random source. Default: ember's default generator.

    Raises:
        ValueError: ``num_samples`` not a positive int, ``replacement`` not a bool, or
            ``weights`` not one-dimensional.

    Example:
        >>> import ember
        >>> from ember.utils.data import WeightedRandomSampler
        >>> g = ember.Generator().manual_seed(0)
        >>> set(WeightedRandomSampler([0.0, 1.0, 0.0], 4, generator=g))
        {1}
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator=None) -> None:
        em = _ember()
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        weights_tensor = em.as_tensor(weights, dtype=em.float64)
        if weights_tensor.dim() != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        em = _ember()
        draw = em.multinomial(self.weights, self.num_samples, self.replacement,
                              generator=self.generator)
        yield from draw.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler (Sampler or iterable): the index source.
        batch_size (int): indices per batch.
        drop_last (bool): drop the final batch when it is smaller than ``batch_size``.

    Raises:
        ValueError: ``batch_size`` not a positive int or ``drop_last`` not a bool.

    Example:
        >>> from ember.utils.data import BatchSampler
        >>> list(BatchSampler(range(7), batch_size=3, drop_last=True))
        [[0, 1, 2], [3, 4, 5]]
    """

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
