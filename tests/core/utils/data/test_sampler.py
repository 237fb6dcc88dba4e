"""Samplers: orders, lengths, distributions, determinism, errors."""

from __future__ import annotations

import math
from collections import Counter

import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def gen(seed):
    return ember.Generator().manual_seed(seed)


def test_sequential():
    s = SequentialSampler(range(4))
    assert list(s) == [0, 1, 2, 3]
    assert len(s) == 4


def test_random_sampler_is_permutation_and_deterministic():
    a = list(RandomSampler(range(50), generator=gen(1)))
    b = list(RandomSampler(range(50), generator=gen(1)))
    c = list(RandomSampler(range(50), generator=gen(2)))
    assert sorted(a) == list(range(50))
    assert a == b
    assert a != c


def test_random_sampler_new_order_each_epoch():
    s = RandomSampler(range(50), generator=gen(0))
    first, second = list(s), list(s)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second


@pytest.mark.parametrize("make", [
    lambda g: RandomSampler(range(4), generator=g),
    lambda g: SubsetRandomSampler([10, 11, 12, 13], generator=g),
], ids=["RandomSampler", "SubsetRandomSampler"])
def test_permutations_are_uniform(make):
    # Over many epochs every element is equally likely in every position.
    s, epochs = make(gen(0)), 4000
    counts = Counter()
    for _ in range(epochs):
        for pos, v in enumerate(s):
            counts[pos, v % 10] += 1
    sd = math.sqrt(epochs * 0.25 * 0.75)
    for pos in range(4):
        for v in range(4):
            assert abs(counts[pos, v] - epochs / 4) < 5 * sd


def test_random_sampler_structure_matches_randperm():
    # PyTorch's structure: full permutations, then the head of one more.
    s = RandomSampler(range(5), num_samples=12, generator=gen(4))
    g = gen(4)
    expected = (ember.randperm(5, generator=g).tolist() + ember.randperm(5, generator=g).tolist()
                + ember.randperm(5, generator=g).tolist()[:2])
    out = list(s)
    assert out == expected
    assert len(s) == 12
    assert sorted(out[:5]) == sorted(out[5:10]) == list(range(5))
    assert len(set(out[10:])) == 2


def test_random_sampler_without_generator_uses_default_generator():
    ember.manual_seed(123)
    a = list(RandomSampler(range(30)))
    ember.manual_seed(123)
    b = list(RandomSampler(range(30)))
    assert a == b
    assert sorted(a) == list(range(30))


def test_random_sampler_replacement_distribution():
    n, draws = 5, 20000
    s = RandomSampler(range(n), replacement=True, num_samples=draws, generator=gen(7))
    out = list(s)
    assert len(out) == len(s) == draws
    counts = Counter(out)
    assert set(counts) == set(range(n))
    # Binomial sd = sqrt(draws * p * (1 - p)) ~ 57; allow 5 sd.
    for k in range(n):
        assert abs(counts[k] - draws / n) < 5 * math.sqrt(draws * 0.2 * 0.8)


def test_random_sampler_replacement_chunks_of_32():
    s = RandomSampler(range(9), replacement=True, num_samples=40, generator=gen(5))
    g = gen(5)
    expected = (ember.randint(0, 9, (32,), generator=g).tolist()
                + ember.randint(0, 9, (8,), generator=g).tolist())
    assert list(s) == expected


def test_random_sampler_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler([])


def test_subset_random_sampler():
    idx = [3, 9, 27, 81]
    s = SubsetRandomSampler(idx, generator=gen(0))
    a = list(s)
    assert sorted(a) == idx
    assert len(s) == 4
    assert list(SubsetRandomSampler(idx, generator=gen(0))) == a


def test_weighted_sampler_distribution():
    w = [1.0, 2.0, 7.0]
    draws = 30000
    out = list(WeightedRandomSampler(w, draws, generator=gen(0)))
    counts = Counter(out)
    for k, wk in enumerate(w):
        p = wk / sum(w)
        assert abs(counts[k] - draws * p) < 5 * math.sqrt(draws * p * (1 - p))


def test_weighted_sampler_without_replacement():
    s = WeightedRandomSampler([0.0, 1.0, 1.0, 5.0, 0.0], 3, replacement=False, generator=gen(1))
    out = list(s)
    assert len(s) == 3
    assert sorted(out) == [1, 2, 3]
    assert s.weights.dtype == ember.float64


def test_weighted_sampler_zero_weights_never_drawn():
    out = list(WeightedRandomSampler([0.0, 3.0, 0.0], 50, generator=gen(2)))
    assert set(out) == {1}


def test_weighted_sampler_errors():
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1.0], True)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1.0], 1, replacement="yes")
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence.*\(2, 2\)"):
        WeightedRandomSampler([[1.0, 2.0], [3.0, 4.0]], 1)


@pytest.mark.parametrize("n, bs, drop_last, expected", [
    (10, 3, False, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]),
    (10, 3, True, [[0, 1, 2], [3, 4, 5], [6, 7, 8]]),
    (6, 3, True, [[0, 1, 2], [3, 4, 5]]),
    (2, 5, True, []),
    (2, 5, False, [[0, 1]]),
])
def test_batch_sampler(n, bs, drop_last, expected):
    s = BatchSampler(SequentialSampler(range(n)), bs, drop_last)
    assert list(s) == expected
    assert len(s) == len(expected)


def test_batch_sampler_errors():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), True, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 0)


def test_distributed_sampler_pads_by_repeating_head():
    r0 = DistributedSampler(range(5), num_replicas=2, rank=0, shuffle=False)
    r1 = DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)
    assert list(r0) == [0, 2, 4]
    assert list(r1) == [1, 3, 0]
    assert len(r0) == len(r1) == 3


def test_distributed_sampler_pads_more_than_length():
    # 2 items over 5 replicas: indices repeated to total_size 5.
    out = [list(DistributedSampler(range(2), num_replicas=5, rank=r, shuffle=False))
           for r in range(5)]
    assert out == [[0], [1], [0], [1], [0]]


def test_distributed_sampler_drop_last():
    r = [list(DistributedSampler(range(5), num_replicas=2, rank=k, shuffle=False,
                                 drop_last=True)) for k in range(2)]
    assert r == [[0, 2], [1, 3]]


def test_distributed_sampler_shuffle_epochs():
    def shards(epoch, seed=0):
        out = []
        for rank in range(3):
            s = DistributedSampler(range(12), num_replicas=3, rank=rank, seed=seed)
            s.set_epoch(epoch)
            out.append(list(s))
        return out

    e0, e0_again, e1 = shards(0), shards(0), shards(1)
    assert e0 == e0_again
    assert e0 != e1
    assert sorted(i for shard in e0 for i in shard) == list(range(12))
    # Structure: randperm seeded with seed + epoch, then strided by rank.
    perm = ember.randperm(12, generator=gen(0 + 1)).tolist()
    assert e1[2] == perm[2::3]


def test_distributed_sampler_errors():
    with pytest.raises(RuntimeError, match="num_replicas and rank must be given explicitly"):
        DistributedSampler(range(4))
    with pytest.raises(RuntimeError, match="rank must be given explicitly"):
        DistributedSampler(range(4), num_replicas=2)
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval "
                                         r"\[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid num_replicas 0"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
