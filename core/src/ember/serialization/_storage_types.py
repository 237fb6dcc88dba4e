"""PyTorch's storage classes, dtype globals and their ember / numpy counterparts.

A checkpoint names the element type of each storage by a ``torch.<X>Storage`` global and
tensors' dtypes (when pickled as objects) by ``torch.<dtype>`` globals.  These plain tables map
both ways; a name missing from them is refused with the list of supported ones.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as T

# torch storage class name -> ember dtype name (None: no ember dtype, see _WIDEN / refusal)
STORAGE_TO_DTYPE = {
    "HalfStorage": "float16", "FloatStorage": "float32", "DoubleStorage": "float64",
    "CharStorage": "int8", "ShortStorage": "int16", "IntStorage": "int32",
    "LongStorage": "int64", "ByteStorage": "uint8", "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
}
DTYPE_TO_STORAGE = {v: k for k, v in STORAGE_TO_DTYPE.items()}

# storages ember reads by widening: raw element type in the file, widened dtype name
# NOTE: numpy has no bfloat16; its 16 bits are the top half of a float32, so widening is exact.
WIDEN = {"BFloat16Storage": (np.dtype(np.uint16), "float32")}

# storage classes that exist in PyTorch but have no ember dtype (refused with a clear message)
UNSUPPORTED = {
    "UInt16Storage", "UInt32Storage", "UInt64Storage", "ComplexHalfStorage",
    "Float8_e4m3fnStorage", "Float8_e5m2Storage", "Float8_e4m3fnuzStorage",
    "Float8_e5m2fnuzStorage", "QInt8Storage", "QUInt8Storage", "QInt32Storage",
    "QUInt4x2Storage", "QUInt2x4Storage",
}

# torch dtype globals without an ember dtype (refused by name)
UNSUPPORTED_DTYPES = {
    "uint16", "uint32", "uint64", "complex32", "chalf", "float8_e4m3fn", "float8_e5m2",
    "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "qint8",
    "quint8", "qint32", "quint4x2", "quint2x4", "bits8", "bits16", "bits1x8", "bits2x4",
    "bits4x2",
}

# torch dtype global name -> ember dtype name (aliases included, as torch pickles canonical names)
TORCH_DTYPE_NAMES = {
    "float16": "float16", "half": "float16", "float32": "float32", "float": "float32",
    "float64": "float64", "double": "float64", "int8": "int8", "int16": "int16",
    "short": "int16", "int32": "int32", "int": "int32", "int64": "int64", "long": "int64",
    "uint8": "uint8", "bool": "bool", "complex64": "complex64", "cfloat": "complex64",
    "complex128": "complex128", "cdouble": "complex128",
}


def ember_dtype(name: str) -> T.dtype:
    """The ember dtype called ``name`` (``'float32' -> ember.float32``)."""
    return T._BY_NAME[name]


def storage_dtype(storage_name: str, where: str):
    """``(file numpy dtype, ember dtype, widened)`` for a ``torch.<X>Storage`` class name.

    Raises:
        pickle.UnpicklingError: for storage classes ember cannot represent.
    """
    from ._unpickler import GlobalError
    if storage_name in STORAGE_TO_DTYPE:
        d = ember_dtype(STORAGE_TO_DTYPE[storage_name])
        return d.np, d, False
    if storage_name in WIDEN:
        raw, wide = WIDEN[storage_name]
        return raw, ember_dtype(wide), True
    if storage_name == "UntypedStorage":
        return np.dtype(np.uint8), ember_dtype("uint8"), False
    if storage_name in UNSUPPORTED:
        raise GlobalError(
            f"{where}: the checkpoint holds a torch.{storage_name}, a dtype ember does not "
            f"support (supported: {', '.join(sorted(STORAGE_TO_DTYPE))}, BFloat16Storage "
            "read as float32)")
    raise GlobalError(f"{where}: unknown storage class torch.{storage_name}")


def widen(raw: np.ndarray, storage_name: str) -> np.ndarray:
    """Widen a raw array read from a ``storage_name`` storage to its ember dtype."""
    if storage_name == "BFloat16Storage":
        return (raw.astype(np.uint32) << 16).view(np.float32)
    raise AssertionError(storage_name)  # pragma: no cover - WIDEN and widen() agree
