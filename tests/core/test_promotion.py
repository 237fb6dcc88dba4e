"""Type promotion and broadcasting, checked against an independent model of PyTorch's rules.

The model below is written from PyTorch's documented rules, not from ember's code:
- ``promote_types``: bool < integers < floats < complex; within integers the wider wins and
  ``uint8 + int8 -> int16``; a float meeting a complex gives the complex of the wider precision;
  any float beats any integer unchanged (``int64 + float16 -> float16``).
- operands fall in three groups by priority: tensors with dimensions, zero-dim tensors, Python
  scalars (bool -> bool, int -> int64, float -> the default dtype, complex -> its complex).
  Each group is promoted within itself; a lower-priority group only matters when its category
  is higher, and then it lifts the category without widening (``int8 tensor * 2.5 -> float32``,
  ``float16 tensor + 0-d float64 -> float16``).
Hypothesis draws pairs/triples of operands and checks ``ember.result_type`` and the dtype that
``+ * - /`` and comparisons really produce; then random broadcast-compatible shapes against
numpy, and incompatible ones for PyTorch's error.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import ember
from ember.testing import assert_close, test_device

# ---------------------------------------------------------------------- the reference model
BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3
CATEGORY = {"bool": BOOL, "uint8": INT, "int8": INT, "int16": INT, "int32": INT, "int64": INT,
            "float16": FLOAT, "float32": FLOAT, "float64": FLOAT, "complex64": COMPLEX,
            "complex128": COMPLEX}
# bits of the value (of each part, for complex)
BITS = {"bool": 1, "uint8": 8, "int8": 8, "int16": 16, "int32": 32, "int64": 64, "float16": 16,
        "float32": 32, "float64": 64, "complex64": 32, "complex128": 64}
NAMES = list(CATEGORY)


def complex_of(bits: int) -> str:
    # NOTE: ember has no complex32; PyTorch would give complex32 for float16 precision
    return "complex64" if bits <= 32 else "complex128"


def ref_promote(a: str, b: str) -> str:
    if a == b:
        return a
    ca, cb = CATEGORY[a], CATEGORY[b]
    if ca != cb:
        lo, hi = (a, b) if ca < cb else (b, a)
        if CATEGORY[hi] == COMPLEX and CATEGORY[lo] == FLOAT:
            return complex_of(max(BITS[lo], BITS[hi]))
        return hi
    if ca == INT and "uint8" in (a, b):
        other = b if a == "uint8" else a
        return "int16" if other == "int8" else other
    return a if BITS[a] > BITS[b] else b


def ref_scalar(v, default: str) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return default
    return complex_of(BITS[default])


def ref_result_type(operands, default: str = "float32") -> str:
    """``operands``: ``("t", dtype_name, ndim)`` for tensors, Python numbers otherwise."""
    groups = [None, None, None]  # dimensioned tensors, zero-dim tensors, Python scalars
    for o in operands:
        if isinstance(o, tuple):
            g, d = (0 if o[2] else 1), o[1]
        else:
            g, d = 2, ref_scalar(o, default)
        groups[g] = d if groups[g] is None else ref_promote(groups[g], d)
    result = None
    for d in groups:
        if d is None:
            continue
        if result is None:
            result = d
        elif CATEGORY[d] > CATEGORY[result]:
            if CATEGORY[result] == FLOAT:  # complex lower group: the float's precision stays
                result = complex_of(BITS[result])
            elif CATEGORY[result] == BOOL or CATEGORY[d] == FLOAT:
                result = ref_promote(result, d)
            else:
                result = d
    return result


# ---------------------------------------------------------------------- strategies
tensor_operand = st.tuples(st.just("t"), st.sampled_from(NAMES), st.integers(0, 2))
scalar_operand = st.sampled_from([True, False, 2, -3, 2.5, -0.5, 1 + 1j])
operand = st.one_of(tensor_operand, tensor_operand, scalar_operand)


def has_tensor(ops) -> bool:
    return any(isinstance(o, tuple) for o in ops)


def make(o):
    if not isinstance(o, tuple):
        return o
    _, name, ndim = o
    # ones: no division by zero, True for bool
    return ember.ones((2,) * ndim, dtype=getattr(ember, name), device=test_device())


def is_bool(o) -> bool:
    return isinstance(o, bool) or isinstance(o, tuple) and o[1] == "bool"


SETTINGS = settings(max_examples=300, deadline=None, database=None)


@pytest.fixture(params=["float32", "float64"])
def default_dtype(request):
    ember.set_default_dtype(getattr(ember, request.param))
    yield request.param
    ember.set_default_dtype(ember.float32)


# ---------------------------------------------------------------------- promotion tests
@pytest.mark.parametrize("a", NAMES)
def test_promote_types_table(a):
    for b in NAMES:
        got = ember.promote_types(getattr(ember, a), getattr(ember, b))
        assert got.name == ref_promote(a, b), (a, b)
        assert got is ember.promote_types(getattr(ember, b), getattr(ember, a))


def test_model_spot_checks():
    # hand-derived cases the docstring promises, so the model itself is anchored
    assert ref_result_type([("t", "int64", 1), 2.5]) == "float32"
    assert ref_result_type([("t", "float16", 1), ("t", "float64", 0)]) == "float16"
    assert ref_result_type([("t", "int8", 1), ("t", "int64", 0)]) == "int8"
    assert ref_result_type([("t", "bool", 1), 3]) == "int64"
    assert ref_result_type([("t", "bool", 1), ("t", "int8", 0)]) == "int8"
    assert ref_result_type([("t", "int32", 1), ("t", "float16", 1)]) == "float16"
    assert ref_result_type([("t", "float64", 1), 1j]) == "complex128"
    assert ref_result_type([("t", "float32", 1), ("t", "complex128", 0)]) == "complex64"
    assert ref_result_type([("t", "uint8", 0), ("t", "int8", 0)]) == "int16"
    assert ref_result_type([("t", "int64", 1), 2.5], "float64") == "float64"


@SETTINGS
@given(st.lists(operand, min_size=2, max_size=3).filter(has_tensor))
def test_result_type_matches_model(ops):
    for default in ("float32", "float64"):
        ember.set_default_dtype(getattr(ember, default))
        try:
            got = ember.result_type(*[make(o) for o in ops])
        finally:
            ember.set_default_dtype(ember.float32)
        assert got.name == ref_result_type(ops, default), (ops, default)


@SETTINGS
@given(a=operand, b=operand)
def test_arithmetic_result_dtypes(a, b):
    assume(has_tensor([a, b]))
    expect = ref_result_type([a, b])
    x, y = make(a), make(b)
    assert (x + y).dtype.name == expect
    assert (x * y).dtype.name == expect
    if is_bool(a) or is_bool(b):
        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with"):
            _ = x - y
    else:
        assert (x - y).dtype.name == expect
    # true division: integer and bool results become the default float
    assert (x / y).dtype.name == (expect if CATEGORY[expect] >= FLOAT else "float32")
    assert (x == y).dtype is ember.bool and (x != y).dtype is ember.bool
    if CATEGORY[expect] == COMPLEX:
        with pytest.raises(NotImplementedError):
            _ = x < y
    else:
        assert (x < y).dtype is ember.bool and (x >= y).dtype is ember.bool


@SETTINGS
@given(a=operand, b=operand)
def test_arithmetic_result_dtypes_with_float64_default(a, b):
    assume(has_tensor([a, b]))
    ember.set_default_dtype(ember.float64)
    try:
        expect = ref_result_type([a, b], "float64")
        x, y = make(a), make(b)
        assert (x * y).dtype.name == expect
        assert (x / y).dtype.name == (expect if CATEGORY[expect] >= FLOAT else "float64")
    finally:
        ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize("name", ["int8", "uint8", "int16", "int32", "int64", "bool"])
def test_any_int_with_float16_tensor_is_float16(name):
    i = ember.ones(3, dtype=getattr(ember, name))
    h = ember.ones(3, dtype=ember.float16)
    assert (i + h).dtype is ember.float16 and (h * i).dtype is ember.float16


def test_scalar_promotion_examples(default_dtype):
    d = default_dtype
    i = ember.tensor([1, 2])
    assert (i * 2.5).dtype.name == d
    assert (i / i).dtype.name == d
    assert (ember.tensor([True]) + ember.tensor([True])).dtype is ember.bool
    assert (ember.tensor([1.0], dtype=ember.float16) + 1e10).dtype is ember.float16
    assert (ember.tensor([1], dtype=ember.uint8) + 300).dtype is ember.uint8
    assert (ember.tensor([1.0]) * ember.tensor(2.0, dtype=ember.float64)).dtype.name == d


# ---------------------------------------------------------------------- broadcasting
BINARY = [("add", np.add), ("mul", np.multiply), ("maximum", np.maximum),
          ("atan2", np.arctan2), ("eq", np.equal), ("lt", np.less), ("hypot", np.hypot)]


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
       seed=st.integers(0, 2 ** 16))
def test_broadcast_values_match_numpy(shapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, shapes.input_shapes[0])
    b = rng.uniform(-2, 2, shapes.input_shapes[1])
    ta = ember.tensor(a, dtype=ember.float64, device=test_device())
    tb = ember.tensor(b, dtype=ember.float64, device=test_device())
    for name, ref in BINARY:
        r = getattr(ember, name)(ta, tb)
        assert r.shape == shapes.result_shape
        assert_close(r, ref(a, b), rtol=1e-12, atol=1e-12)
    c = rng.uniform(size=shapes.result_shape) > 0.5
    r = ember.where(ember.tensor(c, device=test_device()), ta, tb)
    assert_close(r, np.where(c, a, b))


@st.composite
def _incompatible_shapes(draw):
    """Two shapes that cannot broadcast: equal except one axis, where both sizes are >= 2
    and differ (built directly; filtering random pairs starves hypothesis)."""
    a = list(draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)))
    k = draw(st.integers(0, len(a) - 1))
    a[k] = draw(st.integers(2, 4))
    b = list(a)
    b[k] = draw(st.integers(2, 5).filter(lambda n: n != a[k]))
    lead = draw(st.integers(0, 1))
    return tuple(a), tuple(([1] * lead) + b)


@SETTINGS
@given(shapes=_incompatible_shapes())
def test_incompatible_shapes_raise_runtime_error(shapes):
    a, b = shapes
    with pytest.raises(ValueError):
        np.broadcast_shapes(a, b)
    x = ember.ones(a, device=test_device())
    y = ember.ones(b, device=test_device())
    for name, fn in [("add", lambda p, q: p + q), ("mul", ember.mul), ("maximum", ember.maximum),
                     ("lt", lambda p, q: p < q), ("bitwise_and", None)]:
        if fn is None:
            p, q, fn = x.long(), y.long(), ember.bitwise_and
        else:
            p, q = x, y
        with pytest.raises(RuntimeError) as e:
            fn(p, q)
        msg = str(e.value)
        assert msg.startswith(f"{name}(): The size of tensor a (")
        assert "must match the size of tensor b" in msg
        assert f"got shapes {list(a)} and {list(b)}" in msg
