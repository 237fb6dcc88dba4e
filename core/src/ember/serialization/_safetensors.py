"""The safetensors format, read and written without the ``safetensors`` package.

A file is an 8-byte little-endian header length ``n``, ``n`` bytes of JSON (padded with spaces
to a multiple of 8) mapping each tensor name to ``{"dtype", "shape", "data_offsets": [begin,
end]}`` (offsets into the data section) plus an optional ``"__metadata__"`` string map, then the
data section: raw little-endian, C-ordered elements. Readers check that the tensors tile the
data section exactly (no gap, no overlap), as the reference implementation does.
"""

from __future__ import annotations

import json
import os
import sys
import warnings

import numpy as np

from ._unpickler import CorruptCheckpointError

# safetensors dtype name -> numpy dtype (little-endian)
DTYPES = {
    "BOOL": np.dtype(np.bool_), "U8": np.dtype("u1"), "I8": np.dtype("i1"),
    "I16": np.dtype("<i2"), "U16": np.dtype("<u2"), "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"),
    "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"), "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"), "C64": np.dtype("<c8"),
}
# the reference writer orders tensors by this dtype rank (largest first), then by name
_RANK = {name: i for i, name in enumerate(
    ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64",
     "U64"])}
_BY_NUMPY = {np.dtype(v).newbyteorder("="): k for k, v in DTYPES.items() if k != "BF16"}
MAX_HEADER = 100_000_000


class SafetensorsError(CorruptCheckpointError):
    """An invalid safetensors file or buffer."""


def dtype_name(dt: np.dtype, name: str) -> str:
    """The safetensors name of a numpy dtype; TypeError when the format has none."""
    try:
        return _BY_NUMPY[np.dtype(dt).newbyteorder("=")]
    except KeyError:
        raise TypeError(f"safetensors: tensor {name!r} has dtype {dt}, which safetensors "
                        f"cannot store (supported: {', '.join(DTYPES)})") from None


def serialize(arrays: dict, metadata: dict | None):
    """``(header bytes, [(array, …)])`` for the named host arrays, in the reference order."""
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError("safetensors: metadata must be a dict of str to str, got "
                        f"{metadata!r}")
    entries = []
    for name, a in arrays.items():
        if not isinstance(name, str):
            raise TypeError(f"safetensors: tensor names must be str, got {name!r}")
        if name == "__metadata__":
            raise ValueError("safetensors: '__metadata__' is reserved and cannot name a tensor")
        entries.append((name, dtype_name(a.dtype, name), a))
    entries.sort(key=lambda e: (-_RANK[e[1]], e[0]))
    header: dict = {}
    if metadata:
        header["__metadata__"] = metadata
    offset, data = 0, []
    for name, code, a in entries:
        a = a if a.flags.c_contiguous else a.copy(order="C")  # (keeps 0-d arrays 0-d)
        if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and sys.byteorder == "big"):
            a = a.astype(a.dtype.newbyteorder("<"))
        header[name] = {"dtype": code, "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        data.append(a)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text, data


def parse_header(head8: bytes, read, total: int, where: str):
    """``(tensors {name: (dtype name, shape, begin, end)}, metadata, data start)``.

    Args:
        head8: the first 8 bytes; ``read(n)`` returns the next ``n`` bytes; ``total`` is the
            size of the whole file/buffer.
    """
    if len(head8) != 8:
        raise SafetensorsError(f"{where}: file too short for a safetensors header")
    n = int.from_bytes(head8, "little")
    if n > MAX_HEADER or n + 8 > total:
        raise SafetensorsError(f"{where}: invalid safetensors header length {n}")
    raw = read(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{where}: invalid safetensors header JSON ({e})") from e
    if not isinstance(header, dict):
        raise SafetensorsError(f"{where}: the safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(v, str) for v in metadata.values())):
        raise SafetensorsError(f"{where}: __metadata__ must map strings to strings")
    tensors = {}
    for name, info in header.items():
        try:
            code, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        except (TypeError, KeyError, ValueError) as e:
            raise SafetensorsError(f"{where}: invalid entry for tensor {name!r}") from e
        if code not in DTYPES:
            raise SafetensorsError(f"{where}: tensor {name!r} has unsupported dtype {code!r} "
                                   f"(supported: {', '.join(DTYPES)})")
        if not isinstance(shape, list) or not all(
                type(d) is int and d >= 0 for d in shape) or type(begin) is not int \
                or type(end) is not int:
            raise SafetensorsError(f"{where}: invalid shape or offsets for tensor {name!r}")
        numel = 1
        for d in shape:
            numel *= d
        if end - begin != numel * DTYPES[code].itemsize:
            raise SafetensorsError(f"{where}: tensor {name!r}: data_offsets [{begin}, {end}] do "
                                   f"not match shape {shape} of {code}")
        tensors[name] = (code, tuple(shape), begin, end)
    pos = 0
    for name, (_, _, begin, end) in sorted(tensors.items(), key=lambda kv: kv[1][2:]):
        if begin != pos:
            raise SafetensorsError(f"{where}: tensor {name!r} does not start where the previous "
                                   "one ends (gap or overlap in the data section)")
        pos = end
    if pos != total - 8 - n:
        raise SafetensorsError(f"{where}: the data section holds {total - 8 - n} bytes, the "
                               f"header describes {pos} (truncated or padded file)")
    return tensors, metadata, 8 + n


def to_array(buf, code: str, shape: tuple, begin: int, end: int, where: str, name: str,
             warned: list):
    """The host array of one tensor from the data-section buffer (native byte order)."""
    raw = np.frombuffer(buf, dtype=DTYPES[code], count=(end - begin) // DTYPES[code].itemsize,
                        offset=begin).reshape(shape)
    if code == "BF16":
        if not warned:
            warnings.warn(f"{where}: BF16 tensors widened to ember.float32 (ember has no "
                          "bfloat16 dtype)", UserWarning, stacklevel=4)
            warned.append(True)
        return (raw.astype(np.uint32) << 16).view(np.float32)
    if not raw.dtype.isnative:
        raw = raw.astype(raw.dtype.newbyteorder("="))
    return raw


def read_file(path, where: str):
    """``(tensors, metadata, data buffer)`` of a safetensors file, data read in one call."""
    with open(path, "rb") as f:
        total = os.fstat(f.fileno()).st_size
        tensors, metadata, start = parse_header(f.read(8), f.read, total, where)
        data = np.empty(total - start, dtype=np.uint8)
        view, got = memoryview(data), 0
        while got < len(view):
            k = f.readinto(view[got:])
            if not k:
                raise SafetensorsError(f"{where}: the file is truncated")
            got += k
    return tensors, metadata, data


def load_safetensors(path, device="cpu"):
    """Every tensor of a safetensors file as ember tensors (used by ``load_checkpoint``)."""
    from ..utils.safetensors import load_file
    return load_file(path, device=device)
