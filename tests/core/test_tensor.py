"""Tensor properties and conversions (``_tensor.py``): shape/size/dim/numel, strides and
storage offsets of views, contiguity, item/tolist, numpy/``__array__``/DLPack sharing and the
refusal when gradients are required, len/iter/bool/int/float/index, hash, deepcopy, pickle."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import ember
from ember.testing import assert_close


def test_shape_size_dim_numel():
    x = ember.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, ember.Size)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == x.ndim == x.ndimension() == 3
    assert x.numel() == x.nelement() == 24
    assert ember.tensor(1.0).shape == () and ember.tensor(1.0).numel() == 1
    assert ember.zeros(0, 3).numel() == 0
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-3, 2\], but got 3\)"):
        x.size(3)


def test_strides_and_storage_offsets_of_views():
    x = ember.arange(24.0).reshape(2, 3, 4).clone()
    assert x.stride() == (12, 4, 1) and x.stride(-1) == 1 and x.storage_offset() == 0
    assert x.transpose(0, 2).stride() == (1, 4, 12)
    assert x[:, ::2, 1:].stride() == (12, 8, 1)
    assert x[1, 1:, 2:].storage_offset() == 12 + 4 + 2
    assert x[1][1:][0, 2:].storage_offset() == 18  # a view of a view counts from the base
    assert x[:, :1].expand(2, 5, 4).stride() == (12, 0, 1)
    assert x.diagonal(0, 1, 2).stride() == (12, 5)
    assert x.unfold(2, 2, 1).stride() == (12, 4, 1, 1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.stride(3)


def test_is_contiguous():
    x = ember.zeros(3, 4)
    assert x.is_contiguous() and x[:1].is_contiguous()
    assert not x.t().is_contiguous() and not x[:, :2].is_contiguous()
    assert ember.zeros(3, 1).t().is_contiguous()  # size-1 dims do not matter
    assert not ember.zeros(1, 3).expand(2, 3).is_contiguous()
    assert ember.zeros(0, 3).t().is_contiguous()


def test_item_and_tolist():
    x = ember.arange(24.0).reshape(2, 3, 4)
    assert x[1, 2, 3].item() == 23.0 and type(x[1, 2, 3].item()) is float
    assert ember.tensor([[5]]).item() == 5 and type(ember.tensor(3).item()) is int
    assert type(ember.tensor(True).item()) is bool
    with pytest.raises(RuntimeError, match="a Tensor with 24 elements cannot be converted to "
                                           "Scalar"):
        x.item()
    assert x[0, :2].tolist() == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]
    assert ember.tensor(2.5).tolist() == 2.5
    assert ember.tensor([1, 2]).tolist() == [1, 2]


def test_numpy_shares_memory_both_ways():
    x = ember.arange(6.0)
    n = x.numpy()
    n[0] = 100.0
    assert x[0].item() == 100.0
    x.add_(1)
    assert n[1] == 2.0
    v = x[2:]
    v.numpy()[0] = -1.0
    assert x[2].item() == -1.0
    f = ember.from_numpy(n)
    f.mul_(2)
    assert n[0] == 202.0


def test_numpy_refuses_tensors_that_require_grad():
    a = ember.ones(3, requires_grad=True)
    msg = r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\)"
    with pytest.raises(RuntimeError, match=msg):
        a.numpy()
    with pytest.raises(RuntimeError, match=msg):
        np.asarray(a)
    assert a.numpy(force=True).tolist() == [1.0, 1.0, 1.0]
    assert np.shares_memory(a.detach().numpy(), a.numpy(force=True))


def test_array_protocol():
    x = ember.arange(4.0)
    a = np.asarray(x)
    assert a.dtype == np.float32 and np.shares_memory(a, x.numpy())
    assert np.asarray(x, dtype=np.int32).tolist() == [0, 1, 2, 3]
    assert np.array(x).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert not np.shares_memory(np.array(x, copy=True), x.numpy())


def test_dlpack_round_trip_shares_memory():
    x = ember.arange(6.0)
    n = np.from_dlpack(x)
    assert n.shape == (6,) and np.shares_memory(n, x.numpy())
    y = ember.from_dlpack(x.reshape(2, 3))
    y[0, 0] = 7.0
    assert x[0].item() == 7.0
    with pytest.raises(BufferError, match="Can.t export tensors that require gradient"):
        ember.ones(2, requires_grad=True).__dlpack__()


def test_len_and_iter():
    x = ember.arange(6.0).reshape(3, 2)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and rows[1].tolist() == [2.0, 3.0]
    rows[1].fill_(0.0)  # rows are views
    assert x[1].tolist() == [0.0, 0.0]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(ember.tensor(1.0))


def test_bool_int_float_index_conversions():
    assert bool(ember.tensor([0.0])) is False and bool(ember.tensor(2)) is True
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value"):
        bool(ember.tensor([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is "
                                           "ambiguous"):
        bool(ember.tensor([]))
    assert int(ember.tensor([2.7])) == 2 and float(ember.tensor(2)) == 2.0
    assert complex(ember.tensor(2.0)) == 2 + 0j
    assert [10, 20, 30][ember.tensor(1)] == 20 and [10, 20, 30][ember.tensor([2])] == 30
    with pytest.raises(TypeError, match="only integer tensors of a single element can be "
                                        "converted to an index"):
        [1, 2][ember.tensor(1.0)]
    assert f"{ember.tensor(2.5):.2f}" == "2.50"


def test_hash_is_identity():
    x, y = ember.zeros(2), ember.zeros(2)
    d = {x: 1, y: 2}
    assert d[x] == 1 and d[y] == 2 and hash(x) == hash(x)


def test_deepcopy():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    a.grad = ember.tensor([0.5, 0.5])
    b = copy.deepcopy(a)
    assert b.requires_grad and b.is_leaf and b.tolist() == [1.0, 2.0]
    assert b.grad.tolist() == [0.5, 0.5] and not np.shares_memory(b.numpy(force=True),
                                                                   a.numpy(force=True))
    v = ember.arange(6.0)[2:]
    c = copy.deepcopy(v)
    assert c.tolist() == [2.0, 3.0, 4.0, 5.0]
    c.fill_(0.0)
    assert v.tolist() == [2.0, 3.0, 4.0, 5.0]
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(a * 2)


def test_pickle_round_trip():
    x = ember.arange(6.0).reshape(2, 3)[:, 1]
    y = pickle.loads(pickle.dumps(x))
    assert y.shape == (2,) and y.tolist() == [1.0, 4.0]
    a = pickle.loads(pickle.dumps(ember.ones(2, requires_grad=True)))
    assert a.requires_grad and a.is_leaf


def test_legacy_constructor():
    assert ember.Tensor([1, 2]).dtype is ember.float32
    assert ember.Tensor(2, 3).shape == (2, 3)


def test_views_report_their_base():
    x = ember.zeros(3, 4)
    assert x._base is None
    assert x[1]._base is x and x.t()[0]._base is x  # a view of a view points at the root
    assert_close(x.t()[0], np.zeros(3, np.float32))


def test_get_device_of_a_cpu_tensor_is_minus_one():
    # (PyTorch's convention; GPU indices are checked in tests/core/cuda)
    assert ember.zeros(2).get_device() == -1
    assert ember.nn.Parameter(ember.zeros(1)).get_device() == -1
