"""``ember.nn.utils.rnn``: packing / padding of variable-length sequences.

Expected packed layouts are built by hand (numpy loops over time and batch); error messages
were read from PyTorch 2.13.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.autograd import gradcheck
from ember.nn.utils.rnn import (
    PackedSequence,
    invert_permutation,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)
from ember.testing import assert_close


def _t(a, device, dtype=ember.float64, rg=False):
    return ember.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=rg)


def _np(t):
    return t.detach().numpy(force=True).astype(np.float64)


def _packed_ref(x, lengths):
    """Time-major x (T, B, *), lengths sorted decreasing -> (data, batch_sizes)."""
    rows, sizes = [], []
    for t in range(max(lengths)):
        bs = sum(n > t for n in lengths)
        sizes.append(bs)
        rows.extend(x[t, b] for b in range(bs))
    return np.stack(rows), sizes


def test_namespace():
    assert nn.utils.rnn.pack_padded_sequence is pack_padded_sequence
    assert nn.utils.rnn.PackedSequence is PackedSequence


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sorted(batch_first, device):
    x = np.random.default_rng(0).standard_normal((4, 3, 2))
    lengths = [4, 2, 1]
    xin = x.transpose(1, 0, 2) if batch_first else x
    p = pack_padded_sequence(_t(xin, device), ember.tensor(lengths), batch_first=batch_first)
    data, sizes = _packed_ref(x, lengths)
    assert_close(_np(p.data), data)
    assert p.batch_sizes.tolist() == sizes
    assert p.batch_sizes.dtype == ember.int64
    assert p.sorted_indices is None and p.unsorted_indices is None
    padded, lens = pad_packed_sequence(p, batch_first=batch_first)
    mask = (np.arange(4)[:, None] < np.array(lengths)[None, :])[..., None]
    expect = np.where(mask, x, 0.0)
    assert_close(_np(padded), expect.transpose(1, 0, 2) if batch_first else expect)
    assert lens.tolist() == lengths


def test_pack_unsorted_roundtrip(device):
    x = np.random.default_rng(1).standard_normal((5, 4, 3))
    lengths = [2, 5, 1, 3]
    p = pack_padded_sequence(_t(x, device), lengths, enforce_sorted=False)
    order = [1, 3, 0, 2]
    assert p.sorted_indices.tolist() == order
    assert p.unsorted_indices.tolist() == [2, 0, 3, 1]
    data, sizes = _packed_ref(x[:, order], [lengths[i] for i in order])
    assert_close(_np(p.data), data)
    assert p.batch_sizes.tolist() == sizes
    padded, lens = pad_packed_sequence(p, padding_value=-1.0, total_length=7)
    assert lens.tolist() == lengths
    assert tuple(padded.shape) == (7, 4, 3)
    for b, n in enumerate(lengths):
        assert_close(_np(padded[:n, b]), x[:n, b])
        assert np.all(_np(padded[n:, b]) == -1.0)


def test_pack_pad_gradcheck(device):
    x = _t(np.random.default_rng(2).standard_normal((3, 3, 2)), device, rg=True)

    def f(x):
        p = pack_padded_sequence(x, [1, 3, 2], enforce_sorted=False)
        return p.data, pad_packed_sequence(p, batch_first=True)[0]

    assert gradcheck(f, (x,))


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence(batch_first, padding_side, device):
    rng = np.random.default_rng(3)
    seqs = [rng.standard_normal((n, 2)) for n in (3, 1, 2)]
    out = pad_sequence([_t(s, device) for s in seqs], batch_first=batch_first,
                       padding_value=9.0, padding_side=padding_side)
    expect = np.full((3, 3, 2), 9.0)  # (B, T, *)
    for b, s in enumerate(seqs):
        if padding_side == "right":
            expect[b, :len(s)] = s
        else:
            expect[b, 3 - len(s):] = s
    assert_close(_np(out), expect if batch_first else expect.transpose(1, 0, 2))


def test_pad_sequence_gradcheck(device):
    a = _t(np.ones((2, 2)), device, rg=True)
    b = _t(np.ones((1, 2)), device, rg=True)
    assert gradcheck(lambda a, b: pad_sequence([a, b], padding_side="left"), (a, b))


def test_pack_sequence_and_unpack(device):
    seqs = [_t([1.0, 2.0, 3.0], device), _t([4.0, 5.0], device), _t([6.0], device)]
    p = pack_sequence(seqs)
    assert _np(p.data).tolist() == [1.0, 4.0, 6.0, 2.0, 5.0, 3.0]
    assert p.batch_sizes.tolist() == [3, 2, 1]
    back = unpack_sequence(pack_sequence(seqs[::-1], enforce_sorted=False))
    assert [_np(s).tolist() for s in back] == [[6.0], [4.0, 5.0], [1.0, 2.0, 3.0]]


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence(batch_first, device):
    seqs = [np.arange(n, dtype=np.float64) + 10 * n for n in (3, 1, 2)]
    padded = pad_sequence([_t(s, device) for s in seqs], batch_first=batch_first)
    out = unpad_sequence(padded, ember.tensor([3, 1, 2]), batch_first=batch_first)
    assert [_np(s).tolist() for s in out] == [s.tolist() for s in seqs]


def test_packed_sequence_methods(device):
    p = pack_sequence([_t([1.0, 2.0], device), _t([3.0], device)], enforce_sorted=False)
    assert isinstance(p, tuple) and p._fields == ("data", "batch_sizes", "sorted_indices",
                                                  "unsorted_indices")
    q = p.to(ember.float32)
    assert q.data.dtype == ember.float32 and q.batch_sizes is p.batch_sizes
    assert p.float().data.dtype == ember.float32
    assert p.double().data.dtype == ember.float64
    assert p.cpu().data.device.type == "cpu"
    assert p.is_cuda == p.data.is_cuda
    r = PackedSequence(p.data, p.batch_sizes, ember.tensor([1, 0]))
    assert r.unsorted_indices.tolist() == [1, 0]
    assert invert_permutation(ember.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert invert_permutation(None) is None


def test_errors():
    x = ember.randn(5, 3, 2)
    with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order "
                                           "when `enforce_sorted` is True"):
        pack_padded_sequence(x, [3, 5, 2])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0, but "
                                           "found an element in 'lengths' that is <= 0"):
        pack_padded_sequence(x, [3, 0, 2], enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"Expected `len\(lengths\)` to be equal to "
                                           r"batch_size, but got 2 \(batch_size=3\)"):
        pack_padded_sequence(x, [3, 2])
    with pytest.raises(RuntimeError, match="exceeds the padded sequence length 5"):
        pack_padded_sequence(x, [6, 5, 2])
    p = pack_padded_sequence(x, [5, 3, 2])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of "
                                         "the longest sequence in input, but got "
                                         "total_length=3 and max sequence length being 5"):
        pad_packed_sequence(p, total_length=3)
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, "
                                           "but got x."):
        pad_sequence([ember.randn(2, 3)], padding_side="x")
    with pytest.raises(RuntimeError, match="same trailing dimensions"):
        pad_sequence([ember.randn(2, 3), ember.randn(3, 4)])
