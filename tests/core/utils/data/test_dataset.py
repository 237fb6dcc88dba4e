"""Datasets: TensorDataset, StackDataset, ConcatDataset, ChainDataset, Subset, random_split."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Count(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def test_base_classes_require_methods():
    with pytest.raises(NotImplementedError, match="should implement __getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="should implement __iter__"):
        iter(IterableDataset())


def test_tensor_dataset_items_and_len():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.array([5, 6, 7, 8])
    ds = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    assert len(ds) == 4
    a, b = ds[2]
    np.testing.assert_array_equal(a.numpy(), x[2])
    assert int(b) == 7
    a, b = ds[-1]
    np.testing.assert_array_equal(a.numpy(), x[-1])


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(ember.zeros(3, 2), ember.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(TypeError, match="expected Tensors, but got list"):
        TensorDataset([1, 2])
    with pytest.raises(ValueError, match="zero-dimensional"):
        TensorDataset(ember.tensor(1.0))


def test_stack_dataset_tuple_and_dict():
    a, b = list(range(4)), [c for c in "wxyz"]
    assert StackDataset(a, b)[2] == (2, "y")
    assert StackDataset(num=a, char=b)[3] == {"num": 3, "char": "z"}
    assert len(StackDataset(a, b)) == 4
    assert StackDataset(a, b).__getitems__([0, 3]) == [(0, "w"), (3, "z")]
    assert StackDataset(n=a, c=b).__getitems__([1]) == [{"n": 1, "c": "x"}]


def test_stack_dataset_uses_member_getitems():
    class Batched(Dataset):
        def __init__(self):
            self.calls = []

        def __len__(self):
            return 3

        def __getitem__(self, i):
            raise AssertionError("per-item access not expected")

        def __getitems__(self, idx):
            self.calls.append(list(idx))
            return [10 * i for i in idx]

    m = Batched()
    assert StackDataset(m, [7, 8, 9]).__getitems__([2, 0]) == [(20, 9), (0, 7)]
    assert m.calls == [[2, 0]]


def test_stack_dataset_errors():
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset([1], x=[1])
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset([1, 2], [1])
    with pytest.raises(ValueError, match="At least one dataset"):
        StackDataset()


def test_concat_dataset_indexing():
    ds = ConcatDataset([[0, 1, 2], [], [10, 11], [20]])
    assert len(ds) == 6
    assert ds.cumulative_sizes == [3, 3, 5, 6]
    assert [ds[i] for i in range(6)] == [0, 1, 2, 10, 11, 20]
    assert [ds[-i] for i in range(1, 7)] == [20, 11, 10, 2, 1, 0]


def test_concat_via_add():
    class L(Dataset):
        def __init__(self, v):
            self.v = v

        def __len__(self):
            return len(self.v)

        def __getitem__(self, i):
            return self.v[i]

    ds = L([1, 2]) + L([3])
    assert isinstance(ds, ConcatDataset)
    assert [ds[i] for i in range(len(ds))] == [1, 2, 3]


def test_concat_dataset_errors():
    with pytest.raises(ValueError, match="should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="does not support IterableDataset"):
        ConcatDataset([Count(0, 2)])
    ds = ConcatDataset([[1, 2], [3]])
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        ds[-4]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        ds[3]


def test_chain_dataset():
    ch = ChainDataset([Count(0, 2), Count(5, 8)])
    assert list(ch) == [0, 1, 5, 6, 7]
    assert len(ch) == 5
    assert list(Count(0, 1) + Count(3, 4)) == [0, 3]
    with pytest.raises(TypeError, match="only supports IterableDataset"):
        list(ChainDataset([Count(0, 1), [1, 2]]))
    with pytest.raises(TypeError, match="only supports IterableDataset"):
        len(ChainDataset([[1, 2]]))


def test_subset():
    base = [10, 11, 12, 13, 14]
    s = Subset(base, [4, 0, 2])
    assert len(s) == 3
    assert [s[i] for i in range(3)] == [14, 10, 12]
    assert s.__getitems__([2, 1]) == [12, 10]


def test_subset_list_index_and_nested_getitems():
    class Batched(Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return ("one", i) if not isinstance(i, list) else ("list", i)

        def __getitems__(self, idx):
            return [("batched", i) for i in idx]

    s = Subset(Batched(), [9, 8, 7])
    assert s[[0, 2]] == ("list", [9, 7])
    assert s.__getitems__([1, 0]) == [("batched", 8), ("batched", 9)]


def test_random_split_lengths_cover_dataset():
    parts = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(3))
    assert [len(p) for p in parts] == [3, 7]
    values = [v for p in parts for v in p]
    assert sorted(values) == list(range(10))


def test_random_split_is_slices_of_one_permutation():
    # PyTorch's structure: consecutive slices of randperm(n) drawn from the generator.
    parts = random_split(range(8), [5, 3], generator=ember.Generator().manual_seed(11))
    perm = ember.randperm(8, generator=ember.Generator().manual_seed(11)).tolist()
    assert list(parts[0]) == perm[:5]
    assert list(parts[1]) == perm[5:]


def test_random_split_determinism():
    a = random_split(range(20), [10, 10], generator=ember.Generator().manual_seed(0))
    b = random_split(range(20), [10, 10], generator=ember.Generator().manual_seed(0))
    c = random_split(range(20), [10, 10], generator=ember.Generator().manual_seed(1))
    assert list(a[0]) == list(b[0])
    assert list(a[0]) != list(c[0])


def test_random_split_default_generator():
    ember.manual_seed(5)
    a = random_split(range(20), [10, 10])
    ember.manual_seed(5)
    b = random_split(range(20), [10, 10])
    assert list(a[0]) == list(b[0])


@pytest.mark.parametrize("n, fracs, expected", [
    (10, [0.5, 0.5], [5, 5]),
    (10, [0.33, 0.33, 0.34], [4, 3, 3]),   # floors 3,3,3; remainder 1 to the first
    (11, [0.25, 0.25, 0.5], [3, 3, 5]),    # floors 2,2,5; remainder 2 round-robin
    (7, [0.1, 0.9], [1, 6]),               # floors 0,6; remainder 1 to the first
])
def test_random_split_fractions(n, fracs, expected):
    parts = random_split(range(n), fracs, generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in parts] == expected


def test_random_split_zero_length_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = random_split(range(2), [0.9, 0.05, 0.05],
                             generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [2, 0, 0]
    messages = [str(w.message) for w in caught]
    assert any("Length of split at index 1 is 0" in m for m in messages)
    assert any("Length of split at index 2 is 0" in m for m in messages)


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(range(10), [0.5, 1.2, -0.7])
    with pytest.raises(ValueError, match="non-negative integers"):
        random_split(range(10), [12, -2])
