"""default_collate / default_convert / collate with a custom handler table."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import ember
from ember.utils.data import default_collate, default_convert
from ember.utils.data._utils.collate import collate, default_collate_fn_map

Point = collections.namedtuple("Point", ["x", "y"])


def test_tensors_are_stacked():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = -a
    out = default_collate([ember.from_numpy(a), ember.from_numpy(b)])
    assert out.shape == (2, 2, 3)
    assert out.dtype == ember.float32
    np.testing.assert_array_equal(out.numpy(), np.stack([a, b]))


def test_numpy_arrays_become_tensors_with_their_dtype():
    arrs = [np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)]
    out = default_collate(arrs)
    assert out.dtype == ember.int32
    assert out.tolist() == [[1, 2], [3, 4]]


def test_numpy_scalars():
    out = default_collate([np.float32(1.5), np.float32(2.5)])
    assert out.dtype == ember.float32
    assert out.tolist() == [1.5, 2.5]
    out = default_collate([np.int64(3), np.int64(4)])
    assert out.dtype == ember.int64


def test_python_numbers():
    ints = default_collate([1, 2, 3])
    assert ints.dtype == ember.int64 and ints.tolist() == [1, 2, 3]
    floats = default_collate([0.5, 1.25])
    assert floats.dtype == ember.float64 and floats.tolist() == [0.5, 1.25]
    bools = default_collate([True, False])
    assert bools.dtype == ember.bool and bools.tolist() == [True, False]


def test_strings_and_bytes_stay_lists():
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]


def test_nested_structure():
    batch = [
        {"img": np.zeros((2, 2), np.float32), "meta": {"id": 1, "name": "a"}, "pair": (1, 2.0)},
        {"img": np.ones((2, 2), np.float32), "meta": {"id": 2, "name": "b"}, "pair": (3, 4.0)},
    ]
    out = default_collate(batch)
    assert set(out) == {"img", "meta", "pair"}
    np.testing.assert_array_equal(out["img"].numpy(), np.stack([np.zeros((2, 2)), np.ones((2, 2))]))
    assert out["meta"]["id"].tolist() == [1, 2]
    assert out["meta"]["name"] == ["a", "b"]
    assert isinstance(out["pair"], list)  # tuples come back as lists (PyTorch compatibility)
    assert out["pair"][0].tolist() == [1, 3]
    assert out["pair"][1].dtype == ember.float64


def test_namedtuple_keeps_type():
    out = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(out, Point)
    assert out.x.tolist() == [1, 3]
    assert out.y.tolist() == [2.0, 4.0]


def test_lists_are_transposed_and_keep_type():
    out = default_collate([[1, "a"], [2, "b"]])
    assert isinstance(out, list)
    assert out[0].tolist() == [1, 2]
    assert out[1] == ("a", "b")  # a transposed column of strings stays a tuple, as in PyTorch


def test_ordered_dict_type_kept():
    batch = [collections.OrderedDict(b=1, a=2), collections.OrderedDict(b=3, a=4)]
    out = default_collate(batch)
    assert isinstance(out, collections.OrderedDict)
    assert list(out) == ["b", "a"]
    assert out["a"].tolist() == [2, 4]


def test_unequal_sequences_raise():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])


def test_unsupported_type_lists_accepted_types():
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers, dicts "
                                        "or lists; found <class 'object'>"):
        default_collate([object(), object()])


def test_string_numpy_array_refused():
    with pytest.raises(TypeError, match="batch must contain tensors"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_shape_mismatch_raises():
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([ember.zeros(2), ember.zeros(3)])
    with pytest.raises(RuntimeError, match="stack expects each array to be equal size"):
        default_collate([np.zeros(2), np.zeros(3)])


def test_collate_with_custom_handler_table():
    class Box:
        def __init__(self, v):
            self.v = v

    def box_fn(batch, *, collate_fn_map):
        return sum(b.v for b in batch)

    table = {**default_collate_fn_map, Box: box_fn}
    out = collate([(Box(1), 1), (Box(2), 2)], collate_fn_map=table)
    assert out[0] == 3
    assert out[1].tolist() == [1, 2]


def test_handler_table_isinstance_lookup():
    class MyInt(int):
        pass

    out = default_collate([MyInt(1), MyInt(5)])
    assert out.tolist() == [1, 5]


def test_default_convert():
    out = default_convert({"a": np.array([1, 2]), "b": "x", "c": (np.float32(1.0), 3)})
    assert out["a"].tolist() == [1, 2]
    assert out["b"] == "x"
    assert isinstance(out["c"], list)
    assert out["c"][0].dtype == ember.float32
    assert out["c"][1] == 3
    p = default_convert(Point(np.array(0), np.array(1)))
    assert isinstance(p, Point) and int(p.y) == 1
    t = ember.zeros(2)
    assert default_convert(t) is t
    s = np.array(["a"])
    assert default_convert(s) is s
    assert default_convert([np.array([0, 1]), np.array([2, 3])])[1].tolist() == [2, 3]


def test_private_path_matches_public():
    from ember.utils.data._utils import collate as private

    assert private.default_collate is default_collate
    assert private.default_convert is default_convert
