"""A minimal reader of MATLAB Level 5 MAT-files (what SVHN, Flowers102 and ImageNet's devkit
need, without scipy).

Layout (MathWorks, "MAT-File Format", Level 5): a 128-byte header (116 bytes of text, 8 bytes
of subsystem offset, a 2-byte version and the endian indicator ``IM`` for little-endian or ``MI``
for big-endian), then data elements. Each element starts with an 8-byte tag ``(type, nbytes)``
(or a 4-byte "small element" tag ``nbytes << 16 | type`` with up to 4 bytes of data) and is
padded to 8 bytes. ``miCOMPRESSED`` (15) holds one zlib-compressed element; ``miMATRIX`` (14)
holds array flags, dimensions, a name and the class-specific parts: real (and imaginary) data
for numeric classes, characters, cells, or struct field names followed by one matrix per field
and element. Arrays are stored column-major.

Supported: every numeric class (complex too), logical, char, cell and struct arrays (nested).
Sparse matrices, function handles and objects raise ``NotImplementedError``.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["loadmat"]

# mi* data types -> numpy dtype (without byte order)
_MI_TYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8",
             12: "i8", 13: "u8", 16: "u1", 17: "u2", 18: "u4"}
_MI_MATRIX, _MI_COMPRESSED, _MI_UTF8, _MI_UTF16, _MI_UTF32 = 14, 15, 16, 17, 18
# mx* array classes
_MX_CELL, _MX_STRUCT, _MX_OBJECT, _MX_CHAR, _MX_SPARSE = 1, 2, 3, 4, 5
_MX_NUMERIC = {6: "f8", 7: "f4", 8: "i1", 9: "u1", 10: "i2", 11: "u2", 12: "i4", 13: "u4",
               14: "i8", 15: "u8"}
_MX_NAMES = {3: "object", 5: "sparse", 16: "function handle", 17: "opaque"}
_COMPLEX, _LOGICAL = 0x0800, 0x0200


class _Reader:
    def __init__(self, buf, order, path):
        self.buf, self.pos, self.order, self.path = buf, 0, order, path

    def fail(self, what):
        return RuntimeError(f"{self.path}: malformed MAT-file ({what} at byte {self.pos})")

    def tag(self):
        """``(type, nbytes, data_start, next_element)`` of the element at ``pos``."""
        if self.pos + 4 > len(self.buf):
            raise self.fail("truncated tag")
        first = int(np.frombuffer(self.buf, self.order + "u4", 1, self.pos)[0])
        if first >> 16:  # small data element: 2-byte size, 2-byte type, 4 bytes of data
            mi, nbytes = first & 0xFFFF, first >> 16
            return mi, nbytes, self.pos + 4, self.pos + 8
        if self.pos + 8 > len(self.buf):
            raise self.fail("truncated tag")
        nbytes = int(np.frombuffer(self.buf, self.order + "u4", 1, self.pos + 4)[0])
        start = self.pos + 8
        end = start + nbytes
        if end > len(self.buf):
            raise self.fail(f"element of {nbytes} bytes past the end of the file")
        # compressed elements are not padded; everything else is padded to 8 bytes
        return first, nbytes, start, end if first == _MI_COMPRESSED else end + (-nbytes) % 8

    def data(self):
        """The next element as a 1-D numpy array of its mi type."""
        mi, nbytes, start, nxt = self.tag()
        if mi not in _MI_TYPES:
            raise self.fail(f"expected a numeric data element, got type {mi}")
        dtype = np.dtype(self.order + _MI_TYPES[mi])
        if nbytes % dtype.itemsize:
            raise self.fail(f"{nbytes} bytes is not a multiple of {dtype}")
        self.pos = nxt
        return mi, np.frombuffer(self.buf, dtype, nbytes // dtype.itemsize, start)


def _chars(mi, raw, order):
    if mi == _MI_UTF8:
        return bytes(raw).decode("utf-8")
    if mi == _MI_UTF16:
        return raw.astype(order + "u2").tobytes().decode("utf-16-be" if order == ">"
                                                         else "utf-16-le")
    return "".join(map(chr, raw.tolist()))  # miUINT16 / miUINT8 / miUTF32 code points


def _matrix(r, end):
    """Parse the body of an miMATRIX element ending at ``end``; return (name, value)."""
    _, flags = r.data()
    mx, bits = int(flags[0]) & 0xFF, int(flags[0])
    _, dims = r.data()
    dims = tuple(int(d) for d in dims)
    _, name = r.data()
    name = bytes(name.astype(np.uint8)).decode("ascii")
    count = int(np.prod(dims, dtype=np.int64))
    if mx in _MX_NUMERIC:
        _, real = r.data()
        value = real.astype(np.dtype(_MX_NUMERIC[mx]).newbyteorder("="))
        if bits & _COMPLEX:
            _, imag = r.data()
            value = value + 1j * imag.astype(value.dtype)
        if bits & _LOGICAL:
            value = value.astype(bool)
        if value.size != count:
            raise r.fail(f"array {name!r} has {value.size} values for dimensions {dims}")
        value = value.reshape(dims, order="F")
    elif mx == _MX_CHAR:
        text = _chars(*r.data(), r.order) if r.pos < end else ""
        rows = dims[0] if len(dims) == 2 else 1
        if rows <= 1:
            value = text
        else:  # column-major: row i is text[i::rows]
            value = [text[i::rows] for i in range(rows)]
    elif mx == _MX_CELL:
        cells = [_element(r)[1] for _ in range(count)]
        value = np.empty(count, dtype=object)
        value[:] = cells
        value = value.reshape(dims, order="F")
    elif mx == _MX_STRUCT:
        _, width = r.data()
        _, raw = r.data()
        width = int(width[0])
        names = bytes(raw.astype(np.uint8))
        fields = [names[i:i + width].split(b"\0", 1)[0].decode("ascii")
                  for i in range(0, len(names), width)]
        fields = [f for f in fields if f]
        items = [{f: _element(r)[1] for f in fields} for _ in range(count)]
        value = np.empty(count, dtype=object)
        value[:] = items
        value = value.reshape(dims, order="F")
    else:
        kind = _MX_NAMES.get(mx, f"class {mx}")
        raise NotImplementedError(f"{r.path}: variable {name!r} is a MATLAB {kind} array, "
                                  "which this reader does not support")
    r.pos = end
    return name, value


def _element(r):
    """Parse the element at ``r.pos`` (a matrix, possibly compressed); return (name, value)."""
    mi, nbytes, start, nxt = r.tag()
    if mi == _MI_COMPRESSED:
        try:
            inner = zlib.decompress(bytes(r.buf[start:start + nbytes]))
        except zlib.error as e:
            raise r.fail(f"bad zlib data ({e})") from None
        r.pos = nxt
        return _element(_Reader(inner, r.order, r.path))
    if mi != _MI_MATRIX:
        raise r.fail(f"expected a matrix element (type 14), got type {mi}")
    if nbytes == 0:  # an empty matrix [] (cells and fields of empty values)
        r.pos = nxt
        return "", np.zeros((0, 0))
    r.pos = start
    name, value = _matrix(r, start + nbytes)
    r.pos = nxt
    return name, value


def _squeeze(value):
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            flat = [_squeeze(v) for v in value.ravel(order="F")]
            if len(flat) == 1:
                return flat[0]
            out = np.empty(len(flat), dtype=object)
            out[:] = flat
            return out.reshape(tuple(d for d in value.shape if d != 1) or (len(flat),))
        value = value.squeeze()
        return value[()] if value.ndim == 0 else value
    if isinstance(value, dict):
        return {k: _squeeze(v) for k, v in value.items()}
    return value


def loadmat(path, squeeze_me: bool = False) -> dict:
    """The variables of a MATLAB v5 MAT-file, by name.

    Numeric and logical arrays come back as numpy arrays with MATLAB's shape (at least 2-D,
    column-major data reordered); char arrays as ``str`` (one row) or a list of row strings;
    cell arrays as numpy object arrays; struct arrays as numpy object arrays of dicts.

    Args:
        path (str): the ``.mat`` file.
        squeeze_me (bool): drop unit dimensions (scipy's option): 1×1 arrays become scalars,
            1×1 structs and cells their content. Default: ``False``.

    Raises:
        RuntimeError: not a Level 5 MAT-file (v4 or v7.3/HDF5 files included), or malformed.
        NotImplementedError: a sparse, object or function-handle variable.

    Example:
        >>> import os, pathlib, struct, tempfile
        >>> head = b"MATLAB 5.0 MAT-file".ljust(116) + bytes(8) + struct.pack("<H", 256) + b"IM"
        >>> body = (struct.pack("<II", 6, 8) + struct.pack("<II", 6, 0)       # flags: double
        ...         + struct.pack("<II", 5, 8) + struct.pack("<ii", 1, 2)     # dims 1x2
        ...         + struct.pack("<HH", 1, 1) + b"x\\0\\0\\0"                   # name "x"
        ...         + struct.pack("<II", 9, 16) + struct.pack("<dd", 1.5, -2))
        >>> p = os.path.join(tempfile.mkdtemp(), "a.mat")
        >>> _ = pathlib.Path(p).write_bytes(head + struct.pack("<II", 14, len(body)) + body)
        >>> loadmat(p)["x"]
        array([[ 1.5, -2. ]])
    """
    with open(path, "rb") as f:
        buf = f.read()
    if buf[:6] == b"MATLAB" and b"7.3" in buf[:20]:
        raise RuntimeError(f"{path} is a MATLAB v7.3 (HDF5) file; only Level 5 files can be "
                           "read")
    if len(buf) < 128 or buf[126:128] not in (b"IM", b"MI"):
        raise RuntimeError(f"{path} is not a MATLAB Level 5 MAT-file (no 'IM'/'MI' endian "
                           "indicator at byte 126)")
    order = "<" if buf[126:128] == b"IM" else ">"
    r = _Reader(buf, order, path)
    r.pos = 128
    out = {}
    while r.pos < len(buf):
        name, value = _element(r)
        if name.startswith("__"):  # MATLAB's hidden "__function_workspace__" and such
            continue
        out[name] = _squeeze(value) if squeeze_me else value
    return out
