"""Shape ops: the op table (forward vs numpy float64, gradcheck, gradgradcheck, error inputs)
plus what a table cannot express: which results are views, chunk sizes, dtype promotion and
the empty-tensor rule of ``cat``, strides kept by ``clone``, warnings."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close, check_errors, check_op
from ember.testing.op_db import records

RECS = records("shape")


@pytest.mark.parametrize("rec", [r for r in RECS if r.samples], ids=lambda r: r.name)
def test_op(rec, device):
    check_op(rec, device)


@pytest.mark.parametrize("rec", [r for r in RECS if r.errors], ids=lambda r: r.name)
def test_errors(rec, device):
    check_errors(rec, device)


def _shares(a, b) -> bool:
    return np.may_share_memory(a.numpy(), b.numpy())


@pytest.mark.parametrize("make", [
    lambda x: x.view(4, 6), lambda x: x.reshape(2, 12), lambda x: x.transpose(0, 2),
    lambda x: x.permute(1, 2, 0), lambda x: x[:, :1].expand(2, 5, 4), lambda x: x.narrow(2, 1, 2),
    lambda x: x.select(1, 2), lambda x: x.diagonal(0, 1, 2), lambda x: x.unfold(2, 2, 1),
    lambda x: x[:, :1].squeeze(1), lambda x: x.unsqueeze(0), lambda x: x.flatten(),
    lambda x: x.movedim(0, 2), lambda x: x.split(2, 2)[1], lambda x: x.chunk(3, 1)[2],
    lambda x: x.unbind(0)[1], lambda x: x.as_strided((2, 2), (1, 4), 3), lambda x: x.mT,
    lambda x: x.tensor_split([1], 1)[1], lambda x: ember.atleast_3d(x[0]), lambda x: x.ravel(),
], ids=["view", "reshape", "transpose", "permute", "expand", "narrow", "select", "diagonal",
        "unfold", "squeeze", "unsqueeze", "flatten", "movedim", "split", "chunk", "unbind",
        "as_strided", "mT", "tensor_split", "atleast_3d", "ravel"])
def test_view_ops_share_memory_and_version(make):
    x = ember.arange(24.0).reshape(2, 3, 4).clone()
    v = make(x)
    assert _shares(v, x) and v._base is x
    before = x._version
    x.add_(1)
    assert v._version == before + 1


@pytest.mark.parametrize("make", [
    lambda x: x.flip(0), lambda x: x.repeat(1, 1, 1), lambda x: x.roll(1), lambda x: x.clone(),
    lambda x: x.transpose(0, 1).reshape(-1), lambda x: x.rot90(1, (1, 2)),
    lambda x: x.tril(), lambda x: ember.cat([x, x]), lambda x: ember.diag(x[0]),
], ids=["flip", "repeat", "roll", "clone", "reshape_copy", "rot90", "tril", "cat", "diag"])
def test_copying_ops_do_not_alias(make):
    x = ember.arange(24.0).reshape(2, 3, 4)
    assert not _shares(make(x), x)


@pytest.mark.parametrize("n,k,sizes", [
    (6, 4, [2, 2, 2]), (5, 2, [3, 2]), (7, 4, [2, 2, 2, 1]), (6, 5, [2, 2, 2]), (3, 5, [1, 1, 1]),
    (0, 3, [0, 0, 0]), (1, 1, [1]), (10, 3, [4, 4, 2]),
])
def test_chunk_sizes_follow_pytorch(n, k, sizes):
    # ceil(n / k) per chunk: fewer than k chunks may come back (6 elements, 4 chunks -> 3)
    assert [len(c) for c in ember.arange(n).chunk(k)] == sizes


@pytest.mark.parametrize("a,b,out", [
    (ember.float32, ember.int64, ember.float32), (ember.float32, ember.float64, ember.float64),
    (ember.int32, ember.int64, ember.int64), (ember.bool, ember.int32, ember.int32),
    (ember.uint8, ember.int8, ember.int16), (ember.float16, ember.float32, ember.float32),
])
def test_cat_and_stack_promote_dtypes(a, b, out):
    x, y = ember.ones(2, dtype=a), ember.zeros(2, dtype=b)
    assert ember.cat([x, y]).dtype is out
    assert ember.stack([x, y]).dtype is out
    assert ember.cat([x, y]).tolist() == [1, 1, 0, 0]


def test_cat_skips_1d_empty_tensors_whatever_the_other_shapes():
    x = ember.ones(2, 3)
    e = ember.zeros(0, dtype=ember.float64)
    r = ember.cat([e, x, e], dim=1)
    assert r.shape == (2, 3) and r.dtype is ember.float64  # the empty one still promotes
    assert ember.cat([e, e]).shape == (0,)
    with pytest.raises(RuntimeError, match="Expected size 3 but got size 0"):
        ember.cat([x, ember.zeros(2, 0)])  # only 1-D empties are skipped


def test_cat_empty_list_out_and_axis():
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        ember.cat([])
    with pytest.raises(TypeError, match="must be tuple of Tensors, not Tensor"):
        ember.cat(ember.ones(2))
    out = ember.empty(4)
    r = ember.cat([ember.ones(2), ember.zeros(2)], axis=0, out=out)
    assert r is out and out.tolist() == [1, 1, 0, 0]


def test_cat_gradient_reaches_skipped_empty_tensor():
    e = ember.zeros(0, requires_grad=True)
    x = ember.ones(2, 2, requires_grad=True)
    (ember.cat([x, e]) * 3).sum().backward()
    assert e.grad.shape == (0,)
    assert_close(x.grad, np.full((2, 2), 3.0, np.float32))


def test_clone_memory_format():
    x = ember.arange(6.0).reshape(2, 3).t()
    assert x.clone().stride() == (1, 3)  # preserve_format keeps a dense layout
    assert x.clone(memory_format=ember.contiguous_format).stride() == (2, 1)
    assert x.contiguous().stride() == (2, 1)
    assert_close(x.clone(), x)
    y = ember.arange(24.0).reshape(1, 2, 3, 4)
    cl = y.contiguous(memory_format=ember.channels_last)
    assert cl.stride() == (24, 1, 8, 2) and cl.is_contiguous(memory_format=ember.channels_last)
    assert_close(cl, y)


def test_contiguous_returns_self_when_contiguous():
    x = ember.ones(2, 3)
    assert x.contiguous() is x


def test_meshgrid_warns_without_indexing():
    with pytest.warns(UserWarning, match="indexing argument"):
        a, b = ember.meshgrid(ember.arange(2), ember.arange(3))
    assert a.shape == (2, 3)  # ij


def test_meshgrid_xy_matches_hand_written_grid():
    gx, gy = ember.meshgrid(ember.tensor([1, 2, 3]), ember.tensor([4, 5]), indexing="xy")
    assert gx.tolist() == [[1, 2, 3], [1, 2, 3]]
    assert gy.tolist() == [[4, 4, 4], [5, 5, 5]]


def test_tensor_split_accepts_tensors_and_narrow_tensor_start():
    x = ember.arange(6)
    assert [p.tolist() for p in x.tensor_split(ember.tensor([1, 4]))] == [[0], [1, 2, 3], [4, 5]]
    assert [len(p) for p in x.tensor_split(ember.tensor(4))] == [2, 2, 1, 1]
    assert x.narrow(0, ember.tensor(2), 3).tolist() == [2, 3, 4]


def test_as_strided_addresses_the_base_storage():
    # PyTorch semantics: sizes/strides index the storage of the base, offset defaults to the
    # view's storage offset, whatever the view's own strides
    x = ember.arange(12.0).reshape(3, 4)
    v = x.t()
    assert v.as_strided((2, 2), (1, 2)).tolist() == [[0.0, 2.0], [1.0, 3.0]]
    w = x[1:]
    assert w.storage_offset() == 4
    assert w.as_strided((2,), (1,)).tolist() == [4.0, 5.0]
    assert w.as_strided((2,), (1,), 0).tolist() == [0.0, 1.0]


def test_overlapping_strided_views_are_read_only():
    x = ember.arange(6.0)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        x.unfold(0, 3, 1).mul_(2)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        x.as_strided((3, 3), (1, 1)).zero_()
    x.unfold(0, 2, 2).mul_(2)  # non-overlapping windows are writeable views
    assert x.tolist() == [0, 2, 4, 6, 8, 10]


def test_writing_through_a_diagonal_changes_the_base():
    x = ember.zeros(3, 4)
    x.diagonal(1).fill_(7)
    expect = np.zeros((3, 4), np.float32)
    expect[[0, 1, 2], [1, 2, 3]] = 7
    assert_close(x, expect)


def test_expand_of_zero_dim_and_size_zero():
    assert ember.tensor(2.0).expand(2, 3).tolist() == [[2.0] * 3] * 2
    assert ember.zeros(1, 3).expand(0, 3).shape == (0, 3)


def test_view_of_dtype_reinterprets_bytes():
    x = ember.tensor([1.0], dtype=ember.float32)
    assert x.view(ember.int32).item() == 0x3F800000


def test_repeat_interleave_values_and_gradient():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = ember.tensor(a, requires_grad=True)
    assert_close(x.repeat_interleave(2), np.repeat(a.reshape(-1), 2))
    assert_close(x.repeat_interleave(ember.tensor([1, 2]), dim=0), np.repeat(a, [1, 2], axis=0))
    assert ember.repeat_interleave(ember.tensor([2, 1])).tolist() == [0, 0, 1]
    x.repeat_interleave(3, dim=1).sum().backward()
    assert_close(x.grad, np.full((2, 2), 3.0))
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        x.repeat_interleave(ember.tensor([1, -1]), dim=0)
