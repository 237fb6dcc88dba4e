"""A restricted unpickler for downloaded data pickles (CIFAR's python batches).

``pickle.load`` on a downloaded file runs whatever the file asks for. The CIFAR batches only need
dicts, lists, strings, bytes, numbers and numpy arrays, so only numpy's array and dtype
reconstruction (and ``_codecs.encode``, which Python 3 uses to pickle ``bytes`` in protocol 2)
may be looked up; object dtypes are refused too, since their elements could be anything.
"""

from __future__ import annotations

import codecs
import pickle

import numpy as np

__all__ = ["safe_load"]


def _reconstruct(subtype, shape, dtype):
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"refusing to build an array of type {subtype!r}")
    return np.ndarray.__new__(np.ndarray, shape, _dtype(dtype))


def _dtype(spec, align=False, copy=False):
    dt = spec if isinstance(spec, np.dtype) else np.dtype(spec, align, copy)
    if dt.hasobject:
        raise pickle.UnpicklingError(f"refusing an object dtype ({dt}) in a data pickle")
    return dt


def _encode(text, encoding="utf-8"):
    return codecs.encode(text, encoding)


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _dtype,
    ("_codecs", "encode"): _encode,
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name} from a data pickle: only dicts, lists, "
                "strings, bytes, numbers and numpy arrays are allowed") from None


def safe_load(path, encoding: str = "latin1"):
    """Unpickle ``path`` allowing only plain containers, scalars and numpy arrays.

    Args:
        path (str): the pickle file.
        encoding (str): how Python 2 ``str`` objects are decoded. Default: ``"latin1"``.

    Raises:
        pickle.UnpicklingError: the file asks for any other global (code execution).

    Example:
        >>> import os, pickle, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "b")
        >>> with open(p, "wb") as f:
        ...     pickle.dump({"labels": [1, 2]}, f, protocol=2)
        >>> safe_load(p)
        {'labels': [1, 2]}
    """
    with open(path, "rb") as f:
        return _Unpickler(f, encoding=encoding).load()
