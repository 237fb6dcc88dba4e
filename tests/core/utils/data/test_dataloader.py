"""DataLoader in the main process (num_workers=0): batching, options, seeding, errors."""

from __future__ import annotations

import multiprocessing
import warnings

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    TensorDataset,
    default_collate,
)


def gen(seed):
    return ember.Generator().manual_seed(seed)


class Squares(Dataset):
    """Item i is (i, i*i as float32 array of shape (2,))."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i, np.full(2, i * i, dtype=np.float32)


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_batches_shapes_and_contents():
    batches = list(DataLoader(Squares(10), batch_size=4))
    assert len(batches) == 3
    idx, val = batches[1]
    assert idx.tolist() == [4, 5, 6, 7]
    assert val.shape == (4, 2) and val.dtype == ember.float32
    np.testing.assert_array_equal(val.numpy(), np.array([[i * i] * 2 for i in range(4, 8)]))
    assert batches[2][0].tolist() == [8, 9]


def test_drop_last_and_len():
    loader = DataLoader(Squares(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(Squares(10), batch_size=4)) == 3


def test_batch_size_none_converts_samples():
    out = list(DataLoader(Squares(3), batch_size=None))
    assert len(out) == 3
    idx, arr = out[2]
    assert idx == 2  # Python ints are left as they are by default_convert
    assert isinstance(arr, ember.Tensor) and arr.tolist() == [4.0, 4.0]


def test_tensor_dataset_fast_path_matches_numpy_gather():
    x = np.random.default_rng(0).standard_normal((37, 5)).astype(np.float32)
    y = np.arange(37) * 3
    ds = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    loader = DataLoader(ds, batch_size=8, shuffle=True, generator=gen(3))
    seen = []
    for bx, by in loader:
        idx = by.numpy() // 3
        np.testing.assert_array_equal(bx.numpy(), x[idx])
        assert bx.dtype == ember.float32 and by.dtype == ember.int64
        seen.extend(idx.tolist())
    assert sorted(seen) == list(range(37))


def test_tensor_dataset_fast_path_equals_generic_collate():
    x = ember.from_numpy(np.arange(20, dtype=np.float32).reshape(10, 2))
    ds = TensorDataset(x, ember.arange(10))
    fast = list(DataLoader(ds, batch_size=3))
    slow = list(DataLoader(ds, batch_size=3, collate_fn=lambda b: default_collate(b)))
    assert len(fast) == len(slow) == 4
    for f, s in zip(fast, slow, strict=True):
        assert isinstance(f, list) and isinstance(s, list)
        for a, b in zip(f, s, strict=True):
            assert a.shape == b.shape and a.dtype == b.dtype
            assert a.tolist() == b.tolist()


def test_tensor_dataset_fast_path_keeps_graph():
    w = ember.ones(4, 2, requires_grad=True)
    (xb,) = next(iter(DataLoader(TensorDataset(w), batch_size=2)))
    xb.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.array([[1, 1], [1, 1], [0, 0], [0, 0]]))


def test_getitems_used_for_batches():
    class Batched(Dataset):
        def __init__(self):
            self.calls = []

        def __len__(self):
            return 5

        def __getitem__(self, i):
            raise AssertionError("__getitems__ should be used")

        def __getitems__(self, idx):
            self.calls.append(list(idx))
            return [float(i) for i in idx]

    ds = Batched()
    out = [b.tolist() for b in DataLoader(ds, batch_size=2)]
    assert out == [[0.0, 1.0], [2.0, 3.0], [4.0]]
    assert ds.calls == [[0, 1], [2, 3], [4]]


def test_shuffle_deterministic_with_generator_and_new_each_epoch():
    def order(loader):
        return [i for b in loader for i in b[0].tolist()]

    a = DataLoader(Squares(30), batch_size=7, shuffle=True, generator=gen(9))
    b = DataLoader(Squares(30), batch_size=7, shuffle=True, generator=gen(9))
    e1, e2 = order(a), order(a)
    assert e1 == order(b)
    assert sorted(e1) == sorted(e2) == list(range(30))
    assert e1 != e2
    assert e1 != list(range(30))


def test_shuffle_uses_default_generator():
    ember.manual_seed(0)
    a = [i for b in DataLoader(Squares(20), batch_size=5, shuffle=True) for i in b[0].tolist()]
    ember.manual_seed(0)
    b = [i for b in DataLoader(Squares(20), batch_size=5, shuffle=True) for i in b[0].tolist()]
    assert a == b


def test_custom_sampler_and_batch_sampler():
    loader = DataLoader(Squares(6), batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert [b[0].tolist() for b in loader] == [[5, 4], [3, 2], [1, 0]]
    bs = BatchSampler(SequentialSampler(range(5)), 3, drop_last=False)
    loader = DataLoader(Squares(5), batch_sampler=bs)
    assert loader.batch_size is None
    assert [b[0].tolist() for b in loader] == [[0, 1, 2], [3, 4]]
    assert len(loader) == 2
    loader = DataLoader(Squares(4), batch_sampler=[[3, 0], [1]])
    assert [b[0].tolist() for b in loader] == [[3, 0], [1]]


def test_custom_collate_fn():
    loader = DataLoader(Squares(5), batch_size=2, collate_fn=lambda b: [s[0] for s in b])
    assert list(loader) == [[0, 1], [2, 3], [4]]


def test_iterable_dataset_batches_and_len():
    loader = DataLoader(Stream(7), batch_size=3)
    assert len(loader) == 3
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    loader = DataLoader(Stream(7), batch_size=3, drop_last=True)
    assert len(loader) == 2
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5]]
    assert [int(x) for x in DataLoader(Stream(3), batch_size=None)] == [0, 1, 2]


def test_iterable_len_exceeded_warns():
    class Liar(Stream):
        def __len__(self):
            return 2

    loader = DataLoader(Liar(4), batch_size=1)
    assert len(loader) == 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = list(loader)
    assert len(out) == 4
    msgs = [str(w.message) for w in caught]
    assert any("was reported to be 2" in m and "3 samples have been fetched" in m for m in msgs)


def test_base_seed_drawn_from_generator():
    # Every iterator draws one int64 from the loader's generator (PyTorch's seeding order).
    g = gen(4)
    loader = DataLoader(Squares(4), batch_size=2, generator=g)
    iter(loader)
    ref = gen(4)
    ember.empty((), dtype=ember.int64).random_(generator=ref)
    assert ember.rand(3, generator=g).tolist() == ember.rand(3, generator=ref).tolist()


def test_pin_memory_without_gpu_warns_and_passes_data():
    if ember.cuda.is_available():
        pytest.skip("pinning is real with a GPU")
    with pytest.warns(UserWarning, match="no accelerator is found"):
        out = list(DataLoader(Squares(3), batch_size=2, pin_memory=True))
    assert out[0][0].tolist() == [0, 1]


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
    (dict(num_workers=1, prefetch_factor=-1), "prefetch_factor option should be non-negative"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(shuffle=True, sampler=[0, 1]), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_size=2, batch_sampler=[[0]]), "batch_sampler option is mutually exclusive"),
    (dict(drop_last=True, batch_sampler=[[0]]), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "mutually exclusive with drop_last"),
    (dict(multiprocessing_context="fork"), "can only be used with multi-process loading"),
    (dict(num_workers=1, multiprocessing_context="nope"), "should specify a valid start method"),
])
def test_option_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(Squares(4), **kwargs)


def test_timeout_needs_workers():
    with pytest.raises(ValueError, match="applies to worker processes only"):
        iter(DataLoader(Squares(4), timeout=1.0))


def test_bad_context_object():
    with pytest.raises(TypeError, match="should be a valid context object"):
        DataLoader(Squares(4), num_workers=1, multiprocessing_context=object())


def test_context_object_and_name_accepted():
    ctx = multiprocessing.get_context("spawn")
    assert DataLoader(Squares(4), num_workers=1, multiprocessing_context=ctx) \
        .multiprocessing_context is ctx
    loader = DataLoader(Squares(4), num_workers=1, multiprocessing_context="spawn")
    assert loader.multiprocessing_context.get_start_method() == "spawn"


@pytest.mark.parametrize("kwargs, match", [
    (dict(shuffle=True), "expected unspecified shuffle option, but got shuffle=True"),
    (dict(sampler=[0]), "expected unspecified sampler option"),
    (dict(batch_sampler=[[0]]), "expected unspecified batch_sampler option"),
])
def test_iterable_dataset_option_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(Stream(3), **kwargs)


def test_attributes_frozen_after_init():
    loader = DataLoader(Squares(4))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        loader.batch_size = 3
    loader.num_workers = 0  # not frozen in PyTorch either


def test_iterator_not_picklable():
    import pickle

    it = iter(DataLoader(Squares(4)))
    with pytest.raises(NotImplementedError, match="cannot be pickled"):
        pickle.dumps(it)


def test_len_of_iterator_and_loader():
    loader = DataLoader(Squares(9), batch_size=4)
    assert len(iter(loader)) == 3
