"""dtype objects, the default dtype, ``finfo``/``iinfo`` (against numpy), pickling, aliases."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import ember

ALL = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
       "complex64", "complex128"]


@pytest.fixture
def float64_default():
    ember.set_default_dtype(ember.float64)
    yield
    ember.set_default_dtype(ember.float32)


# ---------------------------------------------------------------------- dtype objects
def test_aliases_are_the_same_objects():
    assert ember.float is ember.float32 and ember.double is ember.float64
    assert ember.half is ember.float16
    assert ember.int is ember.int32 and ember.long is ember.int64 and ember.short is ember.int16
    assert ember.cfloat is ember.complex64 and ember.cdouble is ember.complex128


@pytest.mark.parametrize("name", ALL)
def test_dtype_attributes_match_numpy(name):
    d = getattr(ember, name)
    n = np.dtype(name)
    assert d.name == name and repr(d) == f"ember.{name}"
    assert d.itemsize == n.itemsize
    assert d.is_floating_point == (n.kind == "f")
    assert d.is_complex == (n.kind == "c")
    assert d.is_signed == (n.kind in "ifc")


@pytest.mark.parametrize("name", ALL)
def test_dtypes_pickle_and_copy_to_themselves(name):
    d = getattr(ember, name)
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(d, protocol=proto)) is d
    assert copy.deepcopy(d) is d and copy.copy(d) is d
    assert pickle.loads(pickle.dumps({"dt": d, "t": [d]}))["t"][0] is d


def test_dtype_equality_and_hashing():
    assert ember.float32 == ember.float32 and ember.float32 != ember.float64
    assert ember.float32 != "float32" and ember.float32 != np.float32
    table = {ember.float32: "f", ember.int64: "i"}
    assert table[ember.float] == "f" and table[ember.long] == "i"


def test_to_real_and_to_complex():
    assert ember.complex64.to_real() is ember.float32
    assert ember.complex128.to_real() is ember.float64
    assert ember.float16.to_real() is ember.float16
    assert ember.float32.to_complex() is ember.complex64
    assert ember.float64.to_complex() is ember.complex128
    assert ember.float16.to_complex() is ember.complex64  # no complex32 in ember
    with pytest.raises(RuntimeError, match="Unknown Complex ScalarType for Int"):
        ember.int32.to_complex()


def test_can_cast_never_drops_a_category():
    assert ember.can_cast(ember.int32, ember.uint8)
    assert ember.can_cast(ember.bool, ember.uint8)
    assert ember.can_cast(ember.float64, ember.float16)
    assert not ember.can_cast(ember.float32, ember.int32)
    assert not ember.can_cast(ember.complex64, ember.float64)
    assert ember.can_cast(ember.float32, ember.complex64)


# ---------------------------------------------------------------------- default dtype
def test_default_dtype_is_float32():
    assert ember.get_default_dtype() is ember.float32
    assert ember.tensor([1.0]).dtype is ember.float32
    assert ember.tensor([1]).dtype is ember.int64


def test_set_default_dtype_changes_inference(float64_default):
    assert ember.get_default_dtype() is ember.float64
    assert ember.tensor([1.0]).dtype is ember.float64
    assert (ember.tensor([1, 2]) * 2.5).dtype is ember.float64
    assert (ember.tensor([1, 2]) / 2).dtype is ember.float64
    assert ember.arange(0.0, 1.0, 0.25).dtype is ember.float64
    assert ember.arange(0, 3).dtype is ember.int64
    assert ember.zeros(2).dtype is ember.float64
    assert (ember.tensor([1.0], dtype=ember.float32) * 2.5).dtype is ember.float32
    assert (ember.tensor([1]) * 1j).dtype is ember.complex128
    assert ember.finfo().bits == 64


def test_set_default_dtype_restores():
    ember.set_default_dtype(ember.float64)
    ember.set_default_dtype(ember.float32)
    assert ember.tensor([1.0]).dtype is ember.float32
    assert ember.arange(0.0, 1.0).dtype is ember.float32


@pytest.mark.parametrize("bad", [ember.int32, ember.bool, ember.complex64])
def test_set_default_dtype_rejects_non_float(bad):
    with pytest.raises(TypeError, match="only floating-point types are supported as the "
                                        "default type"):
        ember.set_default_dtype(bad)
    assert ember.get_default_dtype() is ember.float32


# ---------------------------------------------------------------------- finfo / iinfo
@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_numpy(name):
    f, n = ember.finfo(getattr(ember, name)), np.finfo(np.dtype(name))
    assert f.bits == n.bits
    assert f.eps == float(n.eps) and f.max == float(n.max) and f.min == float(n.min)
    assert f.tiny == float(n.tiny) == f.smallest_normal
    assert f.resolution == 10.0 ** -n.precision  # exactly 1e-3 / 1e-6 / 1e-15, as PyTorch
    assert f.dtype == name
    assert f"bits={n.bits}" in repr(f)


def test_finfo_of_complex_describes_its_parts():
    assert ember.finfo(ember.complex64).dtype == "float32"
    assert ember.finfo(ember.complex128).eps == float(np.finfo(np.float64).eps)
    assert ember.finfo().dtype == "float32"


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_numpy(name):
    i, n = ember.iinfo(getattr(ember, name)), np.iinfo(np.dtype(name))
    assert (i.bits, i.min, i.max, i.dtype) == (n.bits, int(n.min), int(n.max), name)
    assert isinstance(i.max, int)


def test_info_errors():
    with pytest.raises(TypeError, match="ember.bool is not supported by ember.iinfo"):
        ember.iinfo(ember.bool)
    with pytest.raises(TypeError, match="iinfo\\(\\) requires an integer input type"):
        ember.iinfo(ember.float32)
    with pytest.raises(TypeError, match="finfo\\(\\) requires a floating point input type"):
        ember.finfo(ember.int32)
