"""``ember.cuda``: CUDA devices through cupy — availability, device selection, memory stats.

Without cupy, a driver or a device, :func:`is_available` is False and anything that needs a
GPU raises ``RuntimeError`` saying which of the three is missing.

Example:
    >>> import ember
    >>> isinstance(ember.cuda.is_available(), bool)
    True
"""

from __future__ import annotations

from .. import _device as D

__all__ = ["is_available", "device_count", "current_device", "set_device", "device",
           "synchronize", "manual_seed", "manual_seed_all", "memory_allocated",
           "max_memory_allocated", "reset_peak_memory_stats", "empty_cache", "memory_reserved",
           "get_device_name", "get_device_capability", "is_initialized", "unavailable_reason",
           "Stream", "current_stream", "stream"]


def _cp():
    cp = D._load_cupy()
    if cp is None:
        raise RuntimeError(f"CUDA is not available: {D.cuda_unavailable_reason()}")
    return cp


def is_available() -> bool:
    """True when cupy is installed and sees at least one CUDA device."""
    return D._load_cupy() is not None


def unavailable_reason() -> str | None:
    """Why CUDA cannot be used here (None when it can)."""
    return D.cuda_unavailable_reason()


def is_initialized() -> bool:
    return D._cupy is not None


def device_count() -> int:
    cp = D._load_cupy()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def current_device() -> int:
    return _cp().cuda.runtime.getDevice()


def _index(dev) -> int:
    if dev is None:
        return current_device()
    if isinstance(dev, int):
        return dev
    d = D.to_device(dev)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return d.index if d.index is not None else current_device()


def set_device(dev) -> None:
    """Make ``dev`` the current CUDA device."""
    _cp().cuda.Device(_index(dev)).use()


class device:
    """Context manager that makes a CUDA device current inside the block."""

    def __init__(self, dev) -> None:
        self.idx = _index(dev) if dev is not None else None
        self.prev = None

    def __enter__(self):
        if self.idx is None:
            return
        cp = _cp()
        self.prev = cp.cuda.runtime.getDevice()
        cp.cuda.runtime.setDevice(self.idx)

    def __exit__(self, *exc):
        if self.prev is not None:
            _cp().cuda.runtime.setDevice(self.prev)
        return False


def synchronize(dev=None) -> None:
    """Wait for all kernels on ``dev`` to finish."""
    cp = _cp()
    with cp.cuda.Device(_index(dev)):
        cp.cuda.runtime.deviceSynchronize()


def manual_seed(seed: int) -> None:
    """Seed the current device's generator."""
    from ..random import cuda_default_generator
    if is_available():
        cuda_default_generator(current_device()).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    from ..random import cuda_default_generator
    if is_available():
        for i in range(device_count()):
            cuda_default_generator(i).manual_seed(seed)


_peak: dict[int, int] = {}


def memory_allocated(dev=None) -> int:
    """Bytes currently held by tensors (cupy's default memory pool, used bytes)."""
    if not is_available():
        return 0
    cp = _cp()
    with cp.cuda.Device(_index(dev)):
        used = cp.get_default_memory_pool().used_bytes()
    i = _index(dev)
    _peak[i] = max(_peak.get(i, 0), used)
    return used


def memory_reserved(dev=None) -> int:
    if not is_available():
        return 0
    cp = _cp()
    with cp.cuda.Device(_index(dev)):
        return cp.get_default_memory_pool().total_bytes()


def max_memory_allocated(dev=None) -> int:
    """Peak of :func:`memory_allocated` observed since the last reset.

    NOTE: cupy's pool keeps no peak counter; ember samples it whenever memory stats are read
    and when tensors are created through ember's allocation hook, so the peak can miss
    short-lived spikes between samples (see docs/differences.md).
    """
    if not is_available():
        return 0
    memory_allocated(dev)
    return _peak.get(_index(dev), 0)


def reset_peak_memory_stats(dev=None) -> None:
    if is_available():
        _peak[_index(dev)] = 0
        memory_allocated(dev)


def empty_cache() -> None:
    """Return unused cached blocks of cupy's pools to the driver."""
    if is_available():
        cp = _cp()
        cp.get_default_memory_pool().free_all_blocks()
        cp.get_default_pinned_memory_pool().free_all_blocks()


def get_device_name(dev=None) -> str:
    cp = _cp()
    props = cp.cuda.runtime.getDeviceProperties(_index(dev))
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else name


def get_device_capability(dev=None) -> tuple:
    cp = _cp()
    props = cp.cuda.runtime.getDeviceProperties(_index(dev))
    return (props["major"], props["minor"])


class Stream:
    """A CUDA stream (wraps ``cupy.cuda.Stream``); usable as a context manager."""

    def __init__(self, device=None, priority: int = 0) -> None:
        cp = _cp()
        with cp.cuda.Device(_index(device)):
            self._s = cp.cuda.Stream(non_blocking=True)

    def synchronize(self) -> None:
        self._s.synchronize()

    def query(self) -> bool:
        return self._s.done

    def __enter__(self):
        self._s.__enter__()
        return self

    def __exit__(self, *exc):
        return self._s.__exit__(*exc)


def current_stream(device=None):
    cp = _cp()
    return cp.cuda.get_current_stream()


def stream(s):
    """Context that makes stream ``s`` current (``None`` is a no-op)."""
    if s is None:
        import contextlib
        return contextlib.nullcontext()
    return s
