"""Indexing ops: the op table (forward vs numpy float64 references, gradcheck, gradgradcheck,
error inputs), a Hypothesis property test of ``__getitem__`` against numpy, and what a table
cannot express: view/copy semantics, deprecated key forms, gradients with repeated indices."""

from __future__ import annotations

import hypothesis
import numpy as np
import pytest
from hypothesis import strategies as st

import ember
from ember.testing import assert_close, check_errors, check_op
from ember.testing.op_db import records

RECS = records("indexing")


@pytest.mark.parametrize("rec", [r for r in RECS if r.samples], ids=lambda r: r.name)
def test_op(rec, device):
    check_op(rec, device)


@pytest.mark.parametrize("rec", [r for r in RECS if r.errors], ids=lambda r: r.name)
def test_errors(rec, device):
    check_errors(rec, device)


# ---------------------------------------------------------------------- property test


def _draw_item(data, size_list):
    """One key item consuming the dims ``size_list`` (empty: None) -> (ember item, numpy item,
    kind)."""
    if not size_list:
        return None, None, "none"
    if len(size_list) == 2:  # a 2-D bool mask
        m = np.array(data.draw(st.lists(st.booleans(), min_size=size_list[0] * size_list[1],
                                        max_size=size_list[0] * size_list[1]))
                     ).reshape(size_list)
        return ember.tensor(m), m, "adv"
    n = size_list[0]
    kind = data.draw(st.sampled_from(["int", "slice", "array", "list", "mask"]))
    if kind == "int":
        i = data.draw(st.integers(-n, n - 1))
        return i, i, "int"
    if kind == "slice":
        a = data.draw(st.none() | st.integers(-n - 1, n + 1))
        b = data.draw(st.none() | st.integers(-n - 1, n + 1))
        c = data.draw(st.none() | st.integers(1, 3))
        return slice(a, b, c), slice(a, b, c), "slice"
    if kind == "mask":
        m = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        return ember.tensor(m), m, "adv"
    shape = data.draw(st.sampled_from([(2,), (1,), (3,), (2, 1), (0,)]))
    vals = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(shape)),
                                       max_size=int(np.prod(shape)))), np.int64).reshape(shape)
    if kind == "list" and vals.ndim == 1 and vals.size:
        return vals.tolist(), vals, "adv"
    return ember.tensor(vals), vals, "adv"


def _numpy_reference(a, items):
    """PyTorch's indexing rule on numpy: integers are applied first (as ``select``), the
    remaining key then follows numpy's advanced-indexing placement."""
    if any(k == "adv" for _, _, k in items) and any(k == "ell" for _, _, k in items):
        # PyTorch expands ``...`` into slices before placing advanced dims
        used = sum(0 if k in ("none", "ell") else n.ndim if k == "adv" and n.dtype == bool
                   else 1 for _, n, k in items)
        e = [k for _, _, k in items].index("ell")
        items = items[:e] + [(None, slice(None), "slice")] * (a.ndim - used) + items[e + 1:]
    kinds = [k for _, _, k in items]
    key = tuple(n for _, n, _ in items)
    if "int" not in kinds or "adv" not in kinds:
        return a[key]
    first, rest = [], []
    for (_e, n, k) in items:
        if k == "int":
            first.append(n)
        elif k == "adv":
            nd = n.ndim if n.dtype == bool else 1
            first.extend([slice(None)] * nd)
            rest.append(n)
        else:  # slice, None, Ellipsis
            first.append(n)
            rest.append(slice(None) if n is not Ellipsis else n)
    return a[tuple(first)][tuple(rest)]


@hypothesis.settings(max_examples=300, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(st.data())
def test_getitem_matches_numpy(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    nd = len(shape)
    n_front = data.draw(st.integers(0, nd))
    ell = data.draw(st.booleans())
    n_back = data.draw(st.integers(0, nd - n_front)) if ell else 0
    items, d = [], 0
    while d < n_front:  # items consuming leading dims
        span = 2 if d + 1 < n_front and data.draw(st.integers(0, 5)) == 0 else 1
        items.append(_draw_item(data, list(shape[d:d + span])))
        d += span
        if data.draw(st.integers(0, 4)) == 0:
            items.append((None, None, "none"))
    if ell:
        items.append((Ellipsis, Ellipsis, "ell"))
        for k in range(nd - n_back, nd):
            items.append(_draw_item(data, [shape[k]]))
    key = tuple(e for e, _, _ in items)
    x = ember.tensor(a)
    try:
        expect = _numpy_reference(a, items)
    except IndexError:  # index arrays that do not broadcast together
        with pytest.raises(IndexError):
            x[key]
        return
    got = x[key]
    assert got.shape == expect.shape, (key, got.shape, expect.shape)
    assert_close(got, expect)
    if all(k in ("int", "slice", "none", "ell") for _, _, k in items) and expect.size:
        # basic indexing: a view; writing through it changes the base
        assert np.may_share_memory(got.numpy(), x.numpy())
        got.fill_(-1.0)
        ref = a.copy()
        ref[tuple(n for _, n, _ in items) + ((Ellipsis,) if not ell else ())] = -1.0
        assert_close(x, ref)


# ---------------------------------------------------------------------- beyond the table
def test_scalar_index_result_is_a_writeable_view():
    x = ember.zeros(2, 3)
    e = x[1, 2]
    assert e.shape == () and e._base is x
    e.fill_(5.0)
    assert x[1, 2].item() == 5.0


def test_advanced_index_copies():
    x = ember.arange(6.0)
    y = x[ember.tensor([0, 1])]
    y.fill_(-1.0)
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_uint8_index_is_a_deprecated_mask():
    x = ember.arange(3.0)
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        r = x[ember.tensor([1, 0, 1], dtype=ember.uint8)]
    assert r.tolist() == [0.0, 2.0]


def test_list_of_sequences_is_a_deprecated_tuple_key():
    x = ember.arange(12).reshape(3, 4)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        r = x[[[0, 2], [1, 3]]]
    assert r.tolist() == [1, 11]  # x[(0, 2), (1, 3)]
    assert x[[0, 2]].shape == (2, 4)  # a flat list of ints stays one index


def test_bad_index_types_and_ellipsis():
    x = ember.zeros(2, 3)
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or"):
        x[ember.tensor([0], dtype=ember.int16)]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]


def test_repeated_advanced_indices_accumulate_gradients():
    x = ember.zeros(4, requires_grad=True)
    x[ember.tensor([1, 1, 3, 1])].sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 0.0, 1.0]


def test_scatter_src_larger_than_index_gets_zero_padded_gradient():
    x = ember.zeros(2, 3, dtype=ember.float64, requires_grad=True)
    src = ember.arange(1.0, 13.0, dtype=ember.float64).reshape(3, 4).requires_grad_()
    idx = ember.tensor([[2, 0], [1, 2]])
    out = x.scatter(1, idx, src)
    assert out.tolist() == [[2.0, 0.0, 1.0], [0.0, 5.0, 6.0]]
    (out * ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=ember.float64)).sum().backward()
    # src[i][j] lands at out[i][idx[i][j]]: gradient = weight there; unread src gets 0
    assert src.grad.tolist() == [[3.0, 1.0, 0.0, 0.0], [5.0, 6.0, 0.0, 0.0], [0.0] * 4]
    assert x.grad.tolist() == [[0.0, 2.0, 0.0], [4.0, 0.0, 0.0]]  # overwritten slots get 0
    ember.autograd.gradcheck(lambda a, b: a.scatter(1, idx, b), (x, src))


def test_scatter_reduce_prod_gradient_with_zeros():
    # group 0 receives x=2 and src (3, 0): d/dsrc0 = 2*0 = 0, d/dzero = 2*3 = 6, d/dx = 0
    # group 1 receives x=5 and src (0, 0): every gradient is 0
    x = ember.tensor([2.0, 5.0], dtype=ember.float64, requires_grad=True)
    s = ember.tensor([3.0, 0.0, 0.0, 0.0], dtype=ember.float64, requires_grad=True)
    out = x.scatter_reduce(0, ember.tensor([0, 0, 1, 1]), s, "prod")
    assert out.tolist() == [0.0, 0.0]
    out.sum().backward()
    assert s.grad.tolist() == [0.0, 6.0, 0.0, 0.0]
    assert x.grad.tolist() == [0.0, 0.0]


def test_scatter_reduce_amax_ties_share_the_gradient():
    x = ember.tensor([1.0, 0.0], requires_grad=True)
    s = ember.tensor([4.0, 4.0, 0.0], requires_grad=True)
    out = x.scatter_reduce(0, ember.tensor([0, 0, 1]), s, "amax")
    assert out.tolist() == [4.0, 0.0]
    out.sum().backward()
    assert s.grad.tolist() == [0.5, 0.5, 0.5]  # position 1: x and src tie at 0
    assert x.grad.tolist() == [0.0, 0.5]


def test_scatter_reduce_include_self_false_passes_gradient_to_untouched_positions():
    x = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64, requires_grad=True)
    s = ember.tensor([5.0, 7.0], dtype=ember.float64, requires_grad=True)
    for reduce in ("prod", "amax", "amin", "sum", "mean"):
        out = x.scatter_reduce(0, ember.tensor([0, 0]), s, reduce, include_self=False)
        (g,) = ember.autograd.grad(out.sum(), x)
        assert g.tolist() == [0.0, 1.0, 1.0], reduce


def test_masked_fill_with_grad_value_and_int_tensor():
    x = ember.arange(4.0, requires_grad=True)
    v = ember.tensor(10.0, requires_grad=True)
    m = ember.tensor([True, False, True, False])
    out = x.masked_fill(m, v)
    assert out.tolist() == [10.0, 1.0, 10.0, 3.0]
    out.sum().backward()
    assert v.grad.item() == 2.0 and x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]
    assert ember.arange(3).masked_fill(ember.tensor([True, False, True]), 2.7).tolist() == \
        [2, 1, 2]


def test_nonzero_and_where_one_arg_forms():
    x = ember.tensor([[0, 3], [4, 0]])
    assert ember.nonzero(x).tolist() == [[0, 1], [1, 0]]
    rows, cols = ember.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert [t.tolist() for t in ember.where(x)] == [[0, 1], [1, 0]]
    assert ember.nonzero(ember.tensor(0.0)).shape == (0, 0)
    assert ember.argwhere(ember.tensor(2.0)).shape == (1, 0)
