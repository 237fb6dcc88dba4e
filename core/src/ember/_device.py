"""Devices and the array module behind them — the one place that imports cupy.

``device("cpu")`` is served by numpy, ``device("cuda", i)`` by cupy on GPU ``i``.  Every op asks
:func:`array_module` for ``xp`` and is written once against it.

Example:
    >>> import ember
    >>> ember.device("cuda:1")
    device(type='cuda', index=1)
    >>> ember.device("cpu") == "cpu"
    True
"""

from __future__ import annotations

import numpy as np

__all__ = ["device"]

_cupy = None
_cupy_error: str | None = None


def _load_cupy():
    """Import cupy once; remember why it is unusable (missing, no driver, no device)."""
    global _cupy, _cupy_error
    if _cupy is not None or _cupy_error is not None:
        return _cupy
    try:
        import cupy
    except ImportError as e:
        _cupy_error = f"cupy is not installed ({e}); install ember[cuda]"
        return None
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # noqa: BLE001 - cupy raises CUDARuntimeError (driver) or others
        _cupy_error = f"cupy cannot reach a CUDA driver: {e}"
        return None
    if n == 0:
        _cupy_error = "no CUDA device is visible (getDeviceCount() == 0)"
        return None
    _cupy = cupy
    from .cuda import _track
    _track()  # count allocations from the first CUDA use on (max_memory_allocated)
    return cupy


def cuda_unavailable_reason() -> str | None:
    """None when CUDA works, else a sentence saying why not."""
    _load_cupy()
    return _cupy_error


class device:
    """Where a tensor lives: ``device("cpu")``, ``device("cuda")``, ``device("cuda:1")``,
    ``device("cuda", 1)``.  Compares equal to another device or to its string form."""

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None) -> None:
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string, an int or a device, got {type!r}")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"device(): type (string) must not include an index because "
                                   f"index was passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError("Expected one of cpu, cuda device type at start of device "
                               f"string: {type}")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = type, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def to_device(d) -> device:
    """Normalise a device argument (``None`` means CPU)."""
    if d is None:
        return CPU
    if isinstance(d, device):
        return d
    return device(d)


def canonical(d: device) -> device:
    """A concrete device: ``cuda`` becomes ``cuda:<current>``; checks that CUDA is usable."""
    if d.type == "cpu":
        return CPU
    if d.type == "cuda":
        cp = _load_cupy()
        if cp is None:
            raise RuntimeError(f"CUDA is not available: {_cupy_error}")
        idx = d.index if d.index is not None else cp.cuda.runtime.getDevice()
        n = cp.cuda.runtime.getDeviceCount()
        if idx >= n:
            raise RuntimeError(f"CUDA error: invalid device ordinal {idx} (there are {n} devices)")
        return device("cuda", idx)
    raise RuntimeError(f"device type '{d.type}' cannot hold data in ember")


def array_module(d: device):
    """numpy for the CPU, cupy for CUDA devices."""
    return np if d.type == "cpu" else _cupy


def device_of_array(a) -> device:
    """The device an array lives on (numpy -> cpu, cupy -> cuda:<its device>)."""
    if isinstance(a, np.ndarray) or isinstance(a, np.generic):
        return CPU
    if _cupy is not None and isinstance(a, _cupy.ndarray):
        return device("cuda", a.device.id)
    raise TypeError(f"expected a numpy or cupy array, got {type(a).__name__}")


def move_array(a, src: device, dst: device):
    """Copy an array between devices (same device: returned as is)."""
    if src == dst:
        return a
    if dst.type == "cpu":
        return a.get()
    cp = _cupy
    with cp.cuda.Device(dst.index):
        return cp.asarray(a)


def is_writeable(a) -> bool:
    """Whether writing into array ``a`` is safe: numpy's flag; for cupy (which has no such
    flag) no zero strides, since a broadcast view would alias its elements."""
    if type(a) is np.ndarray:
        return a.flags.writeable
    return all(s != 0 for s, n in zip(a.strides, a.shape, strict=False) if n > 1)


def device_guard(d: device):
    """Context that makes ``d`` current for cupy allocations (no-op on the CPU)."""
    if d.type == "cuda":
        return _cupy.cuda.Device(d.index)
    return _NULL


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


_NULL = _Null()
