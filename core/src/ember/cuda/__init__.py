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


_tracker = None


def _track():
    """Install (once) a cupy memory hook that counts live bytes and the peak per device.

    cupy's pool reports only current usage; the hook sees every malloc and free of the pool,
    so ``max_memory_allocated`` is exact, as PyTorch's caching allocator reports it.
    """
    global _tracker
    if _tracker is not None:
        return _tracker
    cp = _cp()
    from cupy.cuda import memory_hook

    class _Peak(memory_hook.MemoryHook):
        name = "EmberPeakMemory"

        def __init__(self) -> None:
            self.current: dict[int, int] = {}
            self.peak: dict[int, int] = {}
            self.sizes: dict[int, int] = {}

        def malloc_postprocess(self, device_id, size, mem_size, mem_ptr, pmem_id):
            self.sizes[mem_ptr] = mem_size
            c = self.current.get(device_id, 0) + mem_size
            self.current[device_id] = c
            if c > self.peak.get(device_id, 0):
                self.peak[device_id] = c

        def free_postprocess(self, device_id, mem_size, mem_ptr, pmem_id):
            n = self.sizes.pop(mem_ptr, mem_size)
            self.current[device_id] = self.current.get(device_id, 0) - n

    _tracker = _Peak()
    # seed the counters with what the pool already holds
    for i in range(cp.cuda.runtime.getDeviceCount()):
        with cp.cuda.Device(i):
            used = cp.get_default_memory_pool().used_bytes()
        _tracker.current[i] = _tracker.peak[i] = used
    _tracker.__enter__()  # hooks are per thread; ember's allocations happen on this one
    return _tracker


def memory_allocated(dev=None) -> int:
    """Bytes currently held by tensors on ``dev`` (cupy's default memory pool)."""
    if not is_available():
        return 0
    cp = _cp()
    _track()
    with cp.cuda.Device(_index(dev)):
        return cp.get_default_memory_pool().used_bytes()


def memory_reserved(dev=None) -> int:
    if not is_available():
        return 0
    cp = _cp()
    with cp.cuda.Device(_index(dev)):
        return cp.get_default_memory_pool().total_bytes()


def max_memory_allocated(dev=None) -> int:
    """Peak bytes held by tensors on ``dev`` since the first CUDA use or the last
    :func:`reset_peak_memory_stats` (tracked for allocations made on the calling thread)."""
    if not is_available():
        return 0
    t = _track()
    i = _index(dev)
    return max(t.peak.get(i, 0), memory_allocated(i))


def reset_peak_memory_stats(dev=None) -> None:
    """Restart peak tracking from the current usage."""
    if is_available():
        t = _track()
        i = _index(dev)
        t.peak[i] = memory_allocated(i)


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
