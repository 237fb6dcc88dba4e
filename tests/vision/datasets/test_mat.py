"""The MATLAB v5 reader against files written byte by byte by the test helper."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from embervision.datasets._mat import loadmat


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.int32,
                                   np.uint32, np.int64, np.float32, np.float64])
def test_numeric_arrays_keep_shape_dtype_and_column_major_order(tmp_path, fmt, dtype,
                                                                compress):
    a = (np.arange(24).reshape(2, 3, 4) % 100).astype(dtype)
    p = tmp_path / "a.mat"
    p.write_bytes(fmt.mat({"a": a, "v": np.array([[7]], dtype)}, compress=compress))
    m = loadmat(p)
    assert m["a"].dtype == np.dtype(dtype) and m["a"].shape == (2, 3, 4)
    np.testing.assert_array_equal(m["a"], a)
    assert m["v"].shape == (1, 1) and loadmat(p, squeeze_me=True)["v"] == 7


def test_char_cell_struct_and_squeeze(tmp_path, fmt):
    synsets = [{"ID": np.array([[1.0]]), "WNID": "n01440764", "words": "tench, Tinca tinca",
                "children": np.zeros((0, 0))},
               {"ID": np.array([[2.0]]), "WNID": "n01443537", "words": "goldfish",
                "children": np.array([[1.0, 3.0]])}]
    p = tmp_path / "m.mat"
    p.write_bytes(fmt.mat({"name": "héllo", "cell": ["a", np.array([[1, 2]], np.uint8)],
                           "synsets": synsets, "one": {"x": "y"}}))
    m = loadmat(p)
    assert m["name"] == "héllo"
    assert m["cell"].shape == (1, 2) and m["cell"][0, 0] == "a"
    np.testing.assert_array_equal(m["cell"][0, 1], [[1, 2]])
    s = m["synsets"]
    assert s.shape == (1, 2) and s[0, 1]["WNID"] == "n01443537"
    assert s[0, 0]["words"] == "tench, Tinca tinca" and s[0, 0]["children"].size == 0
    assert m["one"].shape == (1, 1) and m["one"][0, 0] == {"x": "y"}
    q = loadmat(p, squeeze_me=True)
    assert q["one"] == {"x": "y"} and q["synsets"][1]["ID"] == 2.0
    np.testing.assert_array_equal(q["synsets"][1]["children"], [1.0, 3.0])


def test_multirow_char_and_complex_and_logical(tmp_path, fmt):
    head = fmt.mat({})
    # 2x2 char ["ab", "cd"] is stored column-major: "acbd"
    flags = struct.pack("<II", 6, 8) + struct.pack("<II", 4, 0)
    dims = struct.pack("<II", 5, 8) + struct.pack("<ii", 2, 2)
    name = struct.pack("<HH", 1, 1) + b"c\0\0\0"
    data = struct.pack("<II", 17, 8) + "acbd".encode("utf-16-le")
    body = flags + dims + name + data
    char = struct.pack("<II", 14, len(body)) + body
    # complex double 1x2 and a logical 1x2
    flags = struct.pack("<II", 6, 8) + struct.pack("<II", 6 | 0x0800, 0)
    dims = struct.pack("<II", 5, 8) + struct.pack("<ii", 1, 2)
    name = struct.pack("<HH", 1, 1) + b"z\0\0\0"
    body = (flags + dims + name + struct.pack("<II", 9, 16) + struct.pack("<dd", 1, 3)
            + struct.pack("<II", 9, 16) + struct.pack("<dd", 2, -1))
    cplx = struct.pack("<II", 14, len(body)) + body
    flags = struct.pack("<II", 6, 8) + struct.pack("<II", 9 | 0x0200, 0)
    name = struct.pack("<HH", 1, 1) + b"b\0\0\0"
    body = flags + dims + name + struct.pack("<HH", 2, 2) + b"\x01\x00\0\0"
    logical = struct.pack("<II", 14, len(body)) + body
    p = tmp_path / "x.mat"
    p.write_bytes(head + char + cplx + logical)
    m = loadmat(p)
    assert m["c"] == ["ab", "cd"]
    np.testing.assert_array_equal(m["z"], [[1 + 2j, 3 - 1j]])
    assert m["b"].dtype == bool and m["b"].tolist() == [[True, False]]


def test_errors(tmp_path, fmt):
    p = tmp_path / "x.mat"
    p.write_bytes(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema" + bytes(200))
    with pytest.raises(RuntimeError, match="v7.3"):
        loadmat(p)
    p.write_bytes(b"not a mat file" * 20)
    with pytest.raises(RuntimeError, match="not a MATLAB Level 5 MAT-file"):
        loadmat(p)
    good = fmt.mat({"a": np.arange(10.0)}, compress=False)
    p.write_bytes(good[:-9])
    with pytest.raises(RuntimeError, match="malformed MAT-file"):
        loadmat(p)
    # a sparse matrix (class 5) is refused by name
    flags = struct.pack("<II", 6, 8) + struct.pack("<II", 5, 0)
    dims = struct.pack("<II", 5, 8) + struct.pack("<ii", 1, 1)
    name = struct.pack("<HH", 1, 1) + b"s\0\0\0"
    body = flags + dims + name
    p.write_bytes(fmt.mat({}) + struct.pack("<II", 14, len(body)) + body)
    with pytest.raises(NotImplementedError, match="'s' is a MATLAB sparse array"):
        loadmat(p)
