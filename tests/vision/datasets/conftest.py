"""Fixtures for the downloadable datasets: an isolated cache, a local HTTP server and writers of
the real file formats (IDX, Python 2 pickles, MATLAB v5), independent of the code under test."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import tarfile
import types
import zlib

import numpy as np
import pytest

from ember.utils import _download_http
from ember.utils._download_testing import FileServer


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No real cache, no offline flag, no back-off sleeps."""
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_DATA", raising=False)
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)
    monkeypatch.setattr(_download_http, "_BACKOFF_S", 0.0)
    return tmp_path


@pytest.fixture
def server(isolated):
    with FileServer({}) as srv:
        yield srv


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def idx_bytes(arr: np.ndarray) -> bytes:
    """IDX: 0, 0, type, ndim; big-endian uint32 dims; big-endian data."""
    types = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
             np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}
    head = bytes([0, 0, types[arr.dtype], arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def tar_bytes(members: dict, mode: str = "w:gz") -> bytes:
    """A tar archive of ``{name: bytes}``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# --- Python 2 pickles (protocol 2, str as BINSTRING), as cPickle wrote the CIFAR batches ------

def _p2_str(s: str | bytes) -> bytes:
    b = s.encode("latin1") if isinstance(s, str) else s
    return (b"U" + bytes([len(b)]) if len(b) < 256 else b"T" + struct.pack("<I", len(b))) + b


def _p2(obj) -> bytes:
    if isinstance(obj, dict):
        body = b"".join(_p2(k) + _p2(v) for k, v in obj.items())
        return b"}(" + body + b"u"
    if isinstance(obj, list):
        return b"](" + b"".join(_p2(v) for v in obj) + b"e"
    if isinstance(obj, bool):
        raise TypeError("not needed")
    if isinstance(obj, int):
        return b"J" + struct.pack("<i", obj)
    if isinstance(obj, (str, bytes)):
        return _p2_str(obj)
    if isinstance(obj, np.ndarray):
        dtype = (b"cnumpy\ndtype\n" + _p2_str(obj.dtype.str[1:]) + b"K\x00K\x01\x87R"
                 + b"(K\x03" + _p2_str(obj.dtype.str[0]) + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xff"
                 + b"K\x00tb")
        shape = b"(" + b"".join(b"J" + struct.pack("<i", d) for d in obj.shape) + b"t"
        return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85"
                + _p2_str("b") + b"\x87R" + b"(K\x01" + shape + dtype + b"\x89"
                + _p2_str(np.ascontiguousarray(obj).tobytes()) + b"tb")
    raise TypeError(type(obj))


def py2_pickle(obj) -> bytes:
    return b"\x80\x02" + _p2(obj) + b"."


# --- MATLAB v5 (.mat) --------------------------------------------------------------------------

_MI = {np.dtype(np.int8): 1, np.dtype(np.uint8): 2, np.dtype(np.int16): 3,
       np.dtype(np.uint16): 4, np.dtype(np.int32): 5, np.dtype(np.uint32): 6,
       np.dtype(np.float32): 7, np.dtype(np.float64): 9, np.dtype(np.int64): 12,
       np.dtype(np.uint64): 13}
_MX = {np.dtype(np.float64): 6, np.dtype(np.float32): 7, np.dtype(np.int8): 8,
       np.dtype(np.uint8): 9, np.dtype(np.int16): 10, np.dtype(np.uint16): 11,
       np.dtype(np.int32): 12, np.dtype(np.uint32): 13, np.dtype(np.int64): 14,
       np.dtype(np.uint64): 15}


def _tag(mi: int, payload: bytes) -> bytes:
    if len(payload) <= 4 and mi != 14:  # small data element format
        return struct.pack("<HH", mi, len(payload)) + payload.ljust(4, b"\0")
    pad = (-len(payload)) % 8
    return struct.pack("<II", mi, len(payload)) + payload + b"\0" * pad


def _header(mx: int, shape, name: str) -> bytes:
    flags = _tag(6, struct.pack("<II", mx, 0))
    dims = _tag(5, struct.pack(f"<{len(shape)}i", *shape))
    return flags + dims + _tag(1, name.encode())


def mat_element(value, name: str = "") -> bytes:
    """One miMATRIX element: numpy arrays, str (char), list (cell), dict (1×1 struct) or a list
    of dicts with the same keys (1×N struct array)."""
    if isinstance(value, str):
        data = np.array([ord(c) for c in value], np.uint16)
        body = _header(4, (1, len(value)), name) + _tag(17, data.astype("<u2").tobytes())
    elif isinstance(value, dict) or (isinstance(value, list) and value
                                     and all(isinstance(v, dict) for v in value)):
        items = [value] if isinstance(value, dict) else value
        keys = list(items[0])
        width = 32
        names = b"".join(k.encode().ljust(width, b"\0") for k in keys)
        body = (_header(2, (1, len(items)), name) + _tag(5, struct.pack("<i", width))
                + _tag(1, names))
        # MATLAB stores struct arrays field-major within each element, elements column-major
        body += b"".join(mat_element(item[k]) for item in items for k in keys)
    elif isinstance(value, list):
        body = _header(1, (1, len(value)), name) + b"".join(mat_element(v) for v in value)
    else:
        arr = np.asarray(value)
        if arr.ndim < 2:
            arr = arr.reshape(1, -1)
        data = arr.ravel(order="F")
        body = (_header(_MX[arr.dtype], arr.shape, name)
                + _tag(_MI[arr.dtype], data.astype(arr.dtype.newbyteorder("<")).tobytes()))
    return struct.pack("<II", 14, len(body)) + body


def mat_bytes(variables: dict, compress: bool = True) -> bytes:
    """A Level 5 MAT-file holding ``variables`` (zlib-compressed elements by default)."""
    text = b"MATLAB 5.0 MAT-file, written by the ember tests".ljust(116, b" ")
    out = text + b"\0" * 8 + struct.pack("<H", 0x0100) + b"IM"
    for name, value in variables.items():
        element = mat_element(value, name)
        if compress:
            packed = zlib.compress(element)
            out += struct.pack("<II", 15, len(packed)) + packed
        else:
            out += element
    return out


@pytest.fixture
def fmt():
    """The format writers, for test functions (test modules cannot import this file)."""
    return types.SimpleNamespace(md5=md5, idx=idx_bytes, gz=gz, tar=tar_bytes,
                                 py2_pickle=py2_pickle, mat=mat_bytes, mat_element=mat_element)
