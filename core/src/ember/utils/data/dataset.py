"""Datasets: map-style and iterable-style containers (``torch.utils.data.dataset``).

A map-style dataset implements ``__getitem__`` (and usually ``__len__``); an iterable-style one
implements ``__iter__``. The composites here (concatenation, chaining, subsets, stacking) only
index their members; ``random_split`` draws one permutation from a generator.

Example:
    >>> import ember
    >>> from ember.utils.data import TensorDataset, random_split
    >>> ds = TensorDataset(ember.arange(10), ember.arange(10) * 2)
    >>> x, y = ds[3]
    >>> (int(x), int(y))
    (3, 6)
    >>> a, b = random_split(ds, [0.7, 0.3], generator=ember.Generator().manual_seed(0))
    >>> (len(a), len(b))
    (7, 3)
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Sequence

from ... import random as _random
from ..._tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split"]


class Dataset:
    """Abstract map-style dataset: subclasses implement ``__getitem__`` (and ``__len__``).

    ``a + b`` concatenates two datasets into a :class:`ConcatDataset`. A subclass may also
    define ``__getitems__(indices)`` returning a list of samples; the DataLoader then fetches a
    batch with one call.

    Raises:
        NotImplementedError: ``__getitem__`` of the base class.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Abstract iterable-style dataset: subclasses implement ``__iter__``.

    With ``num_workers > 0`` every worker gets a copy of the dataset: shard the stream in
    ``__iter__`` with :func:`ember.utils.data.get_worker_info`, or each sample is yielded once
    per worker. ``a + b`` chains two iterable datasets into a :class:`ChainDataset`.
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Dataset wrapping tensors: sample ``i`` is ``tuple(t[i] for t in tensors)``.

    Args:
        *tensors (Tensor): tensors with the same size in the first dimension.

    Raises:
        ValueError: the tensors' first dimensions differ, or no tensor is given.

    Example:
        >>> import ember
        >>> ds = ember.utils.data.TensorDataset(ember.zeros(4, 2), ember.arange(4))
        >>> len(ds), ds[1][0].shape
        (4, ember.Size([2]))
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, but got none")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: expected Tensors, but got {type(t).__name__}")
            if t.dim() == 0:
                raise ValueError("TensorDataset: zero-dimensional tensors cannot be indexed "
                                 "by sample")
        if any(t.size(0) != tensors[0].size(0) for t in tensors):
            sizes = [t.size(0) for t in tensors]
            raise ValueError(f"Size mismatch between tensors: first dimensions are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


class StackDataset(Dataset):
    """Zip datasets of equal length: sample ``i`` is a tuple (``*args``) or dict (``**kwargs``).

    Args:
        *args (Dataset): datasets whose ``i``-th samples form a tuple.
        **kwargs (Dataset): datasets whose ``i``-th samples form a dict under these keys.

    Raises:
        ValueError: both ``args`` and ``kwargs`` given, none given, or lengths differ.

    Example:
        >>> from ember.utils.data import StackDataset
        >>> StackDataset(x=[1, 2], y=["a", "b"])[1]
        {'x': 2, 'y': 'b'}
    """

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or ``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        datasets = list(args) if args else list(kwargs.values())
        self._length = len(datasets[0])
        if any(len(d) != self._length for d in datasets):
            raise ValueError("Size mismatch between datasets: lengths are "
                             f"{[len(d) for d in datasets]}")
        self.datasets = tuple(args) if args else dict(kwargs)

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list) -> list:
        # Each member fetches the whole batch once (through its own __getitems__ when present).
        def column(d):
            getitems = getattr(d, "__getitems__", None)
            if callable(getitems):
                items = getitems(indices)
                if len(items) != len(indices):
                    raise ValueError(f"Nested dataset's output size mismatch. Expected "
                                     f"{len(indices)}, got {len(items)}")
                return items
            return [d[i] for i in indices]

        if isinstance(self.datasets, dict):
            cols = {k: column(d) for k, d in self.datasets.items()}
            return [{k: c[j] for k, c in cols.items()} for j in range(len(indices))]
        cols = [column(d) for d in self.datasets]
        return [tuple(c[j] for c in cols) for j in range(len(indices))]

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """Concatenation of map-style datasets; index ``i`` is located by binary search.

    Args:
        datasets (iterable of Dataset): the datasets, in order.

    Raises:
        ValueError: ``datasets`` is empty.
        TypeError: one of them is an :class:`IterableDataset`.

    Example:
        >>> from ember.utils.data import ConcatDataset
        >>> ds = ConcatDataset([[0, 1, 2], [10, 11]])
        >>> len(ds), ds[3], ds[-1]
        (5, 10, 11)
    """

    @staticmethod
    def cumsum(sequence) -> list[int]:
        return list(itertools.accumulate(len(e) for e in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        if idx >= len(self):
            raise IndexError(f"ConcatDataset: index {idx} is out of range for a dataset of "
                             f"length {len(self)}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        offset = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - offset]


class ChainDataset(IterableDataset):
    """Chain of iterable datasets, iterated one after the other (lazily).

    Args:
        datasets (iterable of IterableDataset): the datasets, in order.

    Raises:
        TypeError: when iterated, if a member is not an :class:`IterableDataset`.

    Example:
        >>> from ember.utils.data import ChainDataset, IterableDataset
        >>> class R(IterableDataset):
        ...     def __init__(self, n): self.n = n
        ...     def __iter__(self): return iter(range(self.n))
        >>> list(ChainDataset([R(2), R(3)]))
        [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, but got "
                                f"{type(d).__name__}")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, but got "
                                f"{type(d).__name__}")
            total += len(d)
        return total


class Subset(Dataset):
    """The part of ``dataset`` at ``indices`` (``Subset(ds, idx)[i] == ds[idx[i]]``).

    Args:
        dataset (Dataset): the whole dataset.
        indices (sequence of int): positions selected, in order.

    Example:
        >>> from ember.utils.data import Subset
        >>> s = Subset([10, 11, 12, 13], [3, 0])
        >>> len(s), s[0], s[1]
        (2, 13, 10)
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list) -> list:
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def _fraction_lengths(n: int, fractions: Sequence[float]) -> list[int]:
    """floor(n * f) per fraction, the remainder added one by one round-robin (PyTorch's rule)."""
    lengths = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(math.floor(n * frac))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty "
                          "dataset.", stacklevel=3)
    return lengths


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths.

    The subsets are consecutive slices of one permutation ``randperm(len(dataset))``. When
    ``lengths`` are fractions summing to 1, split ``k`` has ``floor(len * f_k)`` items and the
    remainder is dealt one item at a time to the splits in order.

    Args:
        dataset (Dataset): the dataset to split.
        lengths (sequence of int or float): split lengths, or fractions summing to 1.
        generator (Generator, optional): source of the permutation (default: ember's default
            generator).

    Raises:
        ValueError: a fraction outside [0, 1], or lengths not summing to ``len(dataset)``.

    Example:
        >>> import ember
        >>> from ember.utils.data import random_split
        >>> parts = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(1))
        >>> sorted(list(parts[0]) + list(parts[1])) == list(range(10))
        True
    """
    from ...ops._sampling import randperm

    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _fraction_lengths(len(dataset), lengths)
    if sum(lengths) != len(dataset):
        raise ValueError(f"Sum of input lengths does not equal the length of the input dataset! "
                         f"(sum {sum(lengths)}, length {len(dataset)})")
    if any(int(n) != n or n < 0 for n in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions "
                         f"summing to 1, but got {list(lengths)}")
    gen = _random.default_generator if generator is None else generator
    perm = randperm(int(sum(lengths)), generator=gen).tolist()
    out = []
    for offset, length in zip(itertools.accumulate(lengths), lengths, strict=True):
        out.append(Subset(dataset, perm[int(offset - length):int(offset)]))
    return out
