"""ember.utils.safetensors against the reference ``safetensors`` package (a test dependency)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import ember
from ember.utils import safetensors as S

sn = pytest.importorskip("safetensors.numpy")

NP_DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16,
             np.float32, np.float64, np.complex64]


def c_order(a):
    # NOTE: not np.ascontiguousarray, which turns 0-d arrays into 1-d ones
    return np.require(a, requirements="C")


def arrays():
    out = {}
    for i, dt in enumerate(NP_DTYPES):
        a = (np.arange(6).reshape(2, 3) % 4).astype(dt)
        out[f"t{i}_{np.dtype(dt).name}"] = a
    out["scalar"] = np.array(3.5, dtype=np.float32)
    out["empty"] = np.zeros((0, 2), dtype=np.float32)
    return out


def test_files_are_byte_identical_to_the_reference(tmp_path):
    ref = arrays()
    meta = {"note": "é"}  # one key: the reference writes metadata in hash-map order
    S.save_file({k: ember.from_numpy(v.copy()) for k, v in ref.items()}, tmp_path / "e.st",
                metadata=meta)
    sn.save_file({k: c_order(v) for k, v in ref.items()}, str(tmp_path / "r.st"),
                 metadata=meta)
    assert (tmp_path / "e.st").read_bytes() == (tmp_path / "r.st").read_bytes()
    assert S.save({"a": ember.ones(2)}) == sn.save({"a": np.ones(2, np.float32)})


def test_reference_reads_ember_files_and_back(tmp_path):
    ref = arrays()
    S.save_file({k: ember.from_numpy(v.copy()) for k, v in ref.items()}, tmp_path / "e.st")
    got = sn.load_file(str(tmp_path / "e.st"))
    for k, v in ref.items():
        np.testing.assert_array_equal(got[k], v)
        assert got[k].dtype == v.dtype
    sn.save_file({k: c_order(v) for k, v in ref.items()}, str(tmp_path / "r.st"))
    mine = S.load_file(tmp_path / "r.st")
    assert set(mine) == set(ref)
    for k, v in ref.items():
        assert mine[k].dtype == ember.from_numpy(v.copy()).dtype
        np.testing.assert_array_equal(mine[k].numpy(), v)


def test_noncontiguous_and_numpy_inputs(tmp_path):
    base = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    t = ember.from_numpy(base.copy()).t()
    S.save_file({"t": t, "np": base[:, ::2]}, tmp_path / "x.st")
    got = sn.load_file(str(tmp_path / "x.st"))
    np.testing.assert_array_equal(got["t"], base.T)
    np.testing.assert_array_equal(got["np"], base[:, ::2])


def test_bf16_widened_with_warning(tmp_path):
    # BF16 bit patterns of 1.0, -2.0, 0.5: the top 16 bits of their float32 encodings
    bits = (np.array([1.0, -2.0, 0.5], np.float32).view(np.uint32) >> 16).astype("<u2")
    header = json.dumps({"x": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}})
    header += " " * (-len(header) % 8)
    p = tmp_path / "bf.st"
    p.write_bytes(len(header).to_bytes(8, "little") + header.encode() + bits.tobytes())
    with pytest.warns(UserWarning, match="BF16 tensors widened"):
        x = S.load_file(p)["x"]
    assert x.dtype == ember.float32 and x.tolist() == [1.0, -2.0, 0.5]


def test_safe_open(tmp_path):
    ref = arrays()
    sn.save_file({k: c_order(v) for k, v in ref.items()}, str(tmp_path / "r.st"),
                 metadata={"k": "v"})
    with S.safe_open(tmp_path / "r.st", framework="pt") as f:
        assert f.keys() == sorted(ref)
        assert f.metadata() == {"k": "v"}
        np.testing.assert_array_equal(f.get_tensor("t7_float32").numpy(), ref["t7_float32"])
        with pytest.raises(KeyError, match="no tensor named 'nope'"):
            f.get_tensor("nope")
    with S.safe_open(tmp_path / "r.st", framework="numpy") as f:
        a = f.get_tensor("t2_int8")
        assert isinstance(a, np.ndarray) and a.flags.writeable
    with pytest.raises(ValueError, match="framework must be one of"):
        S.safe_open(tmp_path / "r.st", framework="jax")


def test_unsigned_wide_types_need_numpy(tmp_path):
    sn.save_file({"u": np.arange(3, dtype=np.uint16)}, str(tmp_path / "u.st"))
    with pytest.raises(TypeError, match="framework='numpy'"):
        S.load_file(tmp_path / "u.st")
    with S.safe_open(tmp_path / "u.st", framework="np") as f:
        assert f.get_tensor("u").tolist() == [0, 1, 2]


def test_bytes_roundtrip_and_errors():
    data = S.save({"b": ember.tensor([1, 2]), "a": ember.zeros(1)}, metadata={"m": "1"})
    out = S.load(data)
    assert out["b"].tolist() == [1, 2] and out["a"].tolist() == [0.0]
    with pytest.raises(TypeError, match="complex128"):
        S.save({"c": ember.zeros(1, dtype=ember.complex128)})
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        S.save({"a": ember.zeros(1)}, metadata={"a": 1})
    with pytest.raises(TypeError, match="names must be str"):
        S.save({1: ember.zeros(1)})
    with pytest.raises(ValueError, match="reserved"):
        S.save({"__metadata__": ember.zeros(1)})
    with pytest.raises(TypeError, match="must be a Tensor or a numpy array"):
        S.save({"a": [1.0]})
    with pytest.raises(TypeError, match="expected bytes"):
        S.load("text")


def _file(header: dict, data: bytes) -> bytes:
    h = json.dumps(header).encode()
    return len(h).to_bytes(8, "little") + h + data


@pytest.mark.parametrize(("raw", "match"), [
    (b"", "too short"),
    ((10**9).to_bytes(8, "little") + b"{}", "header length"),
    (_file({"a": 1}, b""), "invalid entry"),
    (_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4),
     "data section holds 4 bytes"),
    (_file({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8),
     "do not match shape"),
    (_file({"a": {"dtype": "X9", "shape": [1], "data_offsets": [0, 1]}}, b"\0"),
     "unsupported dtype"),
    (_file({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
            "b": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}, b"\0"),
     "gap or overlap"),
    (b"\x04\0\0\0\0\0\0\0\xff\xfe{}", "invalid safetensors header JSON"),
    (_file([1], b""), "not a JSON object"),
])
def test_invalid_files_are_refused(tmp_path, raw, match):
    p = tmp_path / "bad.st"
    p.write_bytes(raw)
    with pytest.raises(S.SafetensorsError, match=match):
        S.load_file(p)


def test_save_file_is_atomic(tmp_path):
    p = tmp_path / "m.st"
    S.save_file({"a": ember.ones(1)}, p)
    with pytest.raises(TypeError):
        S.save_file({"a": ember.ones(1, dtype=ember.complex128)}, p)
    assert os.listdir(tmp_path) == ["m.st"]
    assert S.load_file(p)["a"].tolist() == [1.0]
