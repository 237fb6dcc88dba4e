"""ember.utils.data against torch.utils.data (parity session: EMBER_PARITY=1 with PyTorch).

Only seed-independent behaviour is compared (ember's generator is PCG64, PyTorch's is
Mersenne Twister): collation structure/dtypes, batching, deterministic samplers, split lengths,
DataLoader lengths and error types.
"""

from __future__ import annotations

import collections
import os

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch") if os.environ.get("EMBER_PARITY") else None

pytestmark = [pytest.mark.parity,
              pytest.mark.skipif(torch is None,
                                 reason="parity tests run in the parity session (EMBER_PARITY=1 "
                                        "with PyTorch installed)")]

Pair = collections.namedtuple("Pair", ["a", "b"])


def _plain(x):
    """Nested structure with tensors replaced by (dtype name, shape, values)."""
    if hasattr(x, "numpy") and hasattr(x, "dtype") and not isinstance(x, np.ndarray):
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, {k: _plain(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, tuple(_plain(v) for v in x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_plain(v) for v in x])
    return x


BATCHES = [
    [1, 2, 3],
    [0.5, 1.5],
    [True, False],
    ["a", "b"],
    [b"x", b"y"],
    [np.float32(1.0), np.float32(2.0)],
    [np.int16(1), np.int16(2)],
    [np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int32)],
    [{"x": 1, "y": (2.0, "s")}, {"x": 3, "y": (4.0, "t")}],
    [Pair(1, [2, 3]), Pair(4, [5, 6])],
    [[1, 2], [3, 4]],
    [(1, 2.0), (3, 4.0)],
]


@pytest.mark.parametrize("batch", BATCHES, ids=range(len(BATCHES)))
def test_default_collate_matches(batch):
    from ember.utils.data import default_collate

    assert _plain(default_collate(batch)) == _plain(torch.utils.data.default_collate(batch))


@pytest.mark.parametrize("sample", [np.arange(2), {"a": np.ones(2), "b": (np.int64(1), "s")},
                                    Pair(np.zeros(1), 3), [np.array(1.5), 2]],
                         ids=range(4))
def test_default_convert_matches(sample):
    from ember.utils.data import default_convert

    assert _plain(default_convert(sample)) == _plain(torch.utils.data.default_convert(sample))


def test_collate_errors_match():
    from ember.utils.data import default_collate

    for bad in ([[1, 2], [3]], [object(), object()], [np.array(["a"]), np.array(["b"])]):
        with pytest.raises(Exception) as ours:
            default_collate(bad)
        with pytest.raises(Exception) as theirs:
            torch.utils.data.default_collate(bad)
        assert type(ours.value) is type(theirs.value)


@pytest.mark.parametrize("n, reps, drop_last", [(5, 2, False), (5, 2, True), (2, 5, False),
                                                (12, 3, False), (7, 4, True)])
def test_distributed_sampler_unshuffled_matches(n, reps, drop_last):
    from ember.utils.data import DistributedSampler

    for rank in range(reps):
        ours = DistributedSampler(range(n), reps, rank, shuffle=False, drop_last=drop_last)
        theirs = torch.utils.data.DistributedSampler(range(n), reps, rank, shuffle=False,
                                                     drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("n, fracs", [(10, [0.33, 0.33, 0.34]), (11, [0.25, 0.25, 0.5]),
                                      (7, [0.1, 0.9]), (100, [0.8, 0.1, 0.1])])
def test_random_split_lengths_match(n, fracs):
    from ember.utils.data import random_split

    ours = [len(s) for s in random_split(range(n), fracs)]
    theirs = [len(s) for s in torch.utils.data.random_split(range(n), fracs)]
    assert ours == theirs


@pytest.mark.parametrize("kwargs", [dict(batch_size=4), dict(batch_size=4, drop_last=True),
                                    dict(batch_size=None), dict(batch_size=3)])
def test_dataloader_batches_match(kwargs):
    x = np.arange(22, dtype=np.float32).reshape(11, 2)
    y = np.arange(11)
    ours = ember.utils.data.DataLoader(
        ember.utils.data.TensorDataset(ember.from_numpy(x), ember.from_numpy(y)), **kwargs)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), **kwargs)
    assert len(ours) == len(theirs)
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


def test_concat_and_subset_match():
    from ember.utils.data import ConcatDataset, Subset

    parts = [[0, 1, 2], [], [10, 11]]
    ours, theirs = ConcatDataset(parts), torch.utils.data.ConcatDataset(parts)
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-5, 5)] == [theirs[i] for i in range(-5, 5)]
    assert list(Subset(range(9), [8, 1])) == list(torch.utils.data.Subset(range(9), [8, 1]))


@pytest.mark.parametrize("kwargs", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(persistent_workers=True), dict(shuffle=True, sampler=[0, 1]),
    dict(batch_size=2, batch_sampler=[[0]]), dict(batch_size=None, drop_last=True),
    dict(multiprocessing_context="fork"),
])
def test_dataloader_option_errors_match(kwargs):
    with pytest.raises(ValueError):
        torch.utils.data.DataLoader(range(4), **kwargs)
    with pytest.raises(ValueError):
        ember.utils.data.DataLoader(range(4), **kwargs)
