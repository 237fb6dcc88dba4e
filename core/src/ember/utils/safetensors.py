"""Read and write safetensors files (Hugging Face's tensor format) with ember tensors.

The format is implemented here (the ``safetensors`` package is not needed): an 8-byte length,
a JSON header (dtype, shape and byte range of each tensor, optional ``__metadata__`` strings),
then raw little-endian data. Files are written atomically. BF16 tensors are read as float32
(with a warning: ember has no bfloat16); U16/U32/U64 tensors can only be read as numpy arrays
(``safe_open(..., framework="numpy")``).

Example:
    >>> import ember, os, tempfile
    >>> from ember.utils import safetensors
    >>> p = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> safetensors.save_file({"w": ember.ones(2, 2)}, p, metadata={"format": "pt"})
    >>> safetensors.load_file(p)["w"]
    tensor([[1., 1.],
            [1., 1.]])
"""

from __future__ import annotations

import mmap as _mmap
import os

import numpy as np

from .. import _device as D
from .._tensor import Tensor
from ..serialization._atomic import atomic_write
from ..serialization._safetensors import (
    SafetensorsError,
    parse_header,
    read_file,
    serialize,
    to_array,
)

__all__ = ["save_file", "save", "load_file", "load", "safe_open", "SafetensorsError"]

_FRAMEWORKS = {"pt": "ember", "torch": "ember", "ember": "ember", "np": "numpy",
               "numpy": "numpy"}


def _host_arrays(tensors) -> dict:
    if not isinstance(tensors, dict):
        raise TypeError(f"safetensors: expected a dict of tensors, got {type(tensors).__name__}")
    out = {}
    for name, t in tensors.items():
        if isinstance(t, Tensor):
            a = t._data
            out[name] = a if isinstance(a, np.ndarray) else a.get()
        elif isinstance(t, np.ndarray):
            out[name] = t
        else:
            raise TypeError(f"safetensors: value of {name!r} must be a Tensor or a numpy array, "
                            f"got {type(t).__name__}")
    return out


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """Serialize named tensors to safetensors bytes.

    Args:
        tensors (dict[str, Tensor | numpy.ndarray]): the tensors (copied contiguous).
        metadata (dict[str, str], optional): free-form string metadata. Default: None.

    Raises:
        TypeError: a non-string name or metadata value, a dtype safetensors cannot store
            (complex128).

    Example:
        >>> import ember
        >>> from ember.utils import safetensors
        >>> safetensors.load(safetensors.save({"x": ember.tensor([1, 2])}))
        {'x': tensor([1, 2])}
    """
    head, arrays = serialize(_host_arrays(tensors), metadata)
    return b"".join([head, *(a.tobytes() for a in arrays)])


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write named tensors to a safetensors file, atomically (temporary file + rename).

    Args:
        tensors (dict[str, Tensor | numpy.ndarray]): the tensors.
        filename (str | os.PathLike): destination.
        metadata (dict[str, str], optional): free-form string metadata. Default: None.

    Raises:
        TypeError: as for :func:`save`.

    Example:
        >>> import ember, os, tempfile
        >>> from ember.utils import safetensors
        >>> p = os.path.join(tempfile.mkdtemp(), "a.safetensors")
        >>> safetensors.save_file({"x": ember.zeros(3)}, p)
        >>> os.path.getsize(p) > 8
        True
    """
    head, arrays = serialize(_host_arrays(tensors), metadata)
    with atomic_write(filename) as f:
        f.write(head)
        for a in arrays:
            f.write(memoryview(a.reshape(-1)).cast("B") if a.size else b"")


def _wrap(arr: np.ndarray, device, name: str, where: str):
    from .._dtype import from_numpy_dtype
    try:
        from_numpy_dtype(arr.dtype, what=f"tensor {name!r}")
    except TypeError as e:
        raise TypeError(f"{where}: {e}; open the file with safe_open(..., framework='numpy') "
                        "to read it as a numpy array") from None
    if not arr.flags.aligned:
        arr = arr.copy()
    dev = D.to_device(device)
    if dev.type != "cpu":
        dev = D.canonical(dev)
        arr = D.move_array(arr, D.CPU, dev)
    return Tensor._make(arr)


def load_file(filename, device="cpu") -> dict:
    """Read every tensor of a safetensors file.

    The data are read with one call into one buffer which the tensors view (writable).

    Args:
        filename (str | os.PathLike): the file.
        device (str | ember.device): where to put the tensors. Default: ``"cpu"``.

    Raises:
        SafetensorsError: an invalid or truncated file (a ``RuntimeError``).
        TypeError: a dtype ember has no counterpart for (U16, U32, U64).

    Example:
        >>> import ember, os, tempfile
        >>> from ember.utils import safetensors
        >>> p = os.path.join(tempfile.mkdtemp(), "b.safetensors")
        >>> safetensors.save_file({"i": ember.arange(3)}, p)
        >>> safetensors.load_file(p)
        {'i': tensor([0, 1, 2])}
    """
    where = repr(os.fspath(filename))
    tensors, _, data = read_file(filename, where)
    warned: list = []
    return {name: _wrap(to_array(data, code, shape, b, e, where, name, warned), device, name,
                        where)
            for name, (code, shape, b, e) in tensors.items()}


def load(data: bytes) -> dict:
    """Read every tensor of safetensors bytes (as produced by :func:`save`).

    Raises:
        SafetensorsError: invalid bytes.

    Example:
        >>> import ember
        >>> from ember.utils import safetensors
        >>> list(safetensors.load(safetensors.save({"a": ember.ones(1), "b": ember.ones(2)})))
        ['a', 'b']
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"safetensors.load: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    pos = [8]

    def read(n):
        pos[0] += n
        return data[8:8 + n]

    tensors, _, start = parse_header(data[:8], read, len(data), "<bytes>")
    buf = np.frombuffer(data, dtype=np.uint8, offset=start).copy()
    warned: list = []
    return {name: _wrap(to_array(buf, code, shape, b, e, "<bytes>", name, warned), "cpu", name,
                        "<bytes>")
            for name, (code, shape, b, e) in sorted(tensors.items())}


class safe_open:
    """Open a safetensors file lazily (memory-mapped): read tensors one at a time.

    Args:
        filename (str | os.PathLike): the file.
        framework (str): ``"pt"``/``"torch"``/``"ember"`` for ember tensors, ``"np"``/
            ``"numpy"`` for numpy arrays.
        device (str): device of the returned tensors. Default: ``"cpu"``.

    Raises:
        ValueError: an unknown framework.
        SafetensorsError: an invalid file.

    Example:
        >>> import ember, os, tempfile
        >>> from ember.utils import safetensors
        >>> p = os.path.join(tempfile.mkdtemp(), "c.safetensors")
        >>> safetensors.save_file({"a": ember.ones(2), "b": ember.zeros(1)}, p, {"k": "v"})
        >>> with safetensors.safe_open(p, framework="pt") as f:
        ...     sorted(f.keys()), f.metadata(), f.get_tensor("b")
        (['a', 'b'], {'k': 'v'}, tensor([0.]))
    """

    def __init__(self, filename, framework: str, device="cpu") -> None:
        if framework not in _FRAMEWORKS:
            raise ValueError(f"safe_open: framework must be one of {sorted(_FRAMEWORKS)}, got "
                             f"{framework!r}")
        self._numpy = _FRAMEWORKS[framework] == "numpy"
        self._device = device
        self._where = repr(os.fspath(filename))
        with open(filename, "rb") as f:
            total = os.fstat(f.fileno()).st_size
            self._tensors, self._metadata, start = parse_header(f.read(8), f.read, total,
                                                                self._where)
            self._map = _mmap.mmap(f.fileno(), 0, access=_mmap.ACCESS_READ) if total else None
        self._start = start
        self._warned: list = []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass  # the map closes when the last array viewing it is gone

    def keys(self) -> list:
        """The tensor names, sorted."""
        return sorted(self._tensors)

    def metadata(self) -> dict | None:
        """The ``__metadata__`` strings (None when absent)."""
        return self._metadata

    def get_tensor(self, name: str):
        """Tensor (or numpy array) ``name``, copied out of the file.

        Raises:
            KeyError: an unknown name.
        """
        if name not in self._tensors:
            raise KeyError(f"safe_open: no tensor named {name!r} in {self._where}")
        code, shape, b, e = self._tensors[name]
        buf = np.frombuffer(self._map, dtype=np.uint8, offset=self._start) if self._map \
            else np.empty(0, np.uint8)
        arr = np.array(to_array(buf, code, shape, b, e, self._where, name, self._warned))
        return arr if self._numpy else _wrap(arr, self._device, name, self._where)
