"""POSIX shared-memory segments that carry ember tensors between processes (Linux).

A segment is a file ``/dev/shm/ember_<creatorpid>_<counter>`` opened with ``shm_open`` and
mapped ``MAP_SHARED``.  Numpy arrays are built over the :class:`Segment` (an ``mmap``), so
the mapping lives exactly as long as some array (hence some tensor) uses it.

Two kinds exist:

* *owned* segments, made by ``Tensor.share_memory_()``: the creating process unlinks the
  name when the segment is garbage-collected or at interpreter exit (``weakref.finalize``,
  guarded by the creator's pid so forked children never unlink their parent's segments);
* *transient* segments, made when a non-shared tensor is pickled for another process: the
  receiver maps the segment and unlinks the name at once (Linux keeps the mapping).

NOTE: Python's ``multiprocessing.shared_memory`` registers every segment with the resource
tracker, which warns about "leaked" segments and unlinks names a receiver still needs; the
segments here use ``_posixshmem``/``mmap`` directly and are never registered with it.
"""

from __future__ import annotations

import atexit
import errno
import itertools
import mmap
import os
import sys
import weakref
from multiprocessing import util as mp_util

import numpy as np

try:
    import _posixshmem
except ImportError:  # pragma: no cover - non-POSIX platforms
    _posixshmem = None

__all__ = ["Segment", "cleanup_segments", "create_owned", "write_transient", "attach",
           "segment_of", "unlink", "extent", "SHM_DIR"]

SHM_DIR = "/dev/shm"
_PREFIX = "ember"
_counter = itertools.count()
_MAX_WRITE = 0x7FFFF000  # Linux caps a single write() at this many bytes
_owned: dict[str, int] = {}  # names of live segments made by share_memory_ -> creator pid


class Segment(mmap.mmap):
    """A mapped shared-memory segment.

    Attributes:
        name (str): the POSIX name (``/ember_<pid>_<n>``).
        addr (int): address of the first byte of the mapping.
        owned (bool): this process created it with ``share_memory_`` and will unlink it.
        linked (bool): the name still exists, so another process can map it by name.
    """


def _require_posix() -> None:
    if _posixshmem is None:  # pragma: no cover - non-POSIX platforms
        raise RuntimeError("ember.multiprocessing: POSIX shared memory (_posixshmem) is not "
                           "available on this platform")


def _open_new(nbytes: int) -> tuple[int, str]:
    """A new segment file of ``nbytes`` bytes: its open descriptor and its name."""
    _require_posix()
    pid = os.getpid()
    while True:
        name = f"/{_PREFIX}_{pid}_{next(_counter)}"
        try:
            fd = _posixshmem.shm_open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600)
        except FileExistsError:  # left over by a dead process that had our pid: skip it
            continue
        try:
            os.ftruncate(fd, nbytes)
        except OSError:
            os.close(fd)
            unlink(name)
            raise
        return fd, name


def _map(fd: int, nbytes: int, name: str) -> Segment:
    seg = Segment(fd, nbytes, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    seg.name = name
    probe = np.frombuffer(seg, np.uint8, count=1)  # NOTE: dropped at once, so that the
    seg.addr = probe.ctypes.data                   # mapping holds no buffer export
    del probe
    seg.owned = False
    seg.linked = True
    return seg


def _reserve(fd: int, start: int, length: int) -> None:
    """Allocate the pages a mapping will write, so a full /dev/shm raises here (ENOSPC)
    instead of killing the process with SIGBUS on the first write through the mapping."""
    if length <= 0 or not hasattr(os, "posix_fallocate"):
        return
    try:
        os.posix_fallocate(fd, start, length)
    except OSError as e:
        if e.errno in (errno.EOPNOTSUPP, errno.EINVAL):  # a file system without fallocate
            return
        raise _no_space(e, length) from None


def _no_space(e: OSError, nbytes: int) -> Exception:
    if e.errno != errno.ENOSPC:
        return e
    return RuntimeError(
        f"ember.multiprocessing: no space left in {SHM_DIR} for a {nbytes}-byte shared memory "
        "segment; enlarge it (e.g. `docker run --shm-size=2g`) or send smaller tensors")


def create_owned(nbytes: int) -> Segment:
    """A new segment of ``nbytes`` (≥ 1) bytes that this process unlinks when it dies."""
    fd, name = _open_new(nbytes)
    try:
        _reserve(fd, 0, nbytes)
        seg = _map(fd, nbytes, name)
    except BaseException:
        unlink(name)
        raise
    finally:
        os.close(fd)
    seg.owned = True
    pid = os.getpid()
    _owned[name] = pid
    weakref.finalize(seg, _release, name, pid).atexit = False  # exit: _unlink_owned_at_exit
    return seg


def _release(name: str, pid: int) -> None:
    if os.getpid() == pid:  # a forked child must not unlink its parent's segment
        _owned.pop(name, None)
        unlink(name)


def _unlink_owned_at_exit() -> None:
    """Unlink the segments this process made with ``share_memory_`` that are still alive."""
    pid = os.getpid()
    for name, creator in list(_owned.items()):
        if creator == pid:
            _owned.pop(name, None)
            unlink(name)


def _install_exit_hooks(_anchor=None) -> None:
    # NOTE: a multiprocessing child ends with os._exit(), skipping atexit; it runs the
    # multiprocessing finalizers instead, whose registry it clears when it starts (hence the
    # after-fork re-registration)
    mp_util.Finalize(None, _unlink_owned_at_exit, exitpriority=-10)  # after queue flushes


_install_exit_hooks()
mp_util.register_after_fork(sys.modules[__name__], _install_exit_hooks)
atexit.register(_unlink_owned_at_exit)


def write_transient(nbytes: int, arr: np.ndarray, offset: int) -> str:
    """Copy ``arr`` into a new ``nbytes`` segment at byte ``offset`` (keeping its strides).

    Returns the segment's name; nothing stays mapped in this process.
    """
    fd, name = _open_new(nbytes)
    try:
        if arr.flags.c_contiguous:
            # NOTE: write() fills tmpfs pages without the page faults of a fresh mapping
            buf = memoryview(arr.reshape(-1).view(np.uint8))
            done = 0
            try:
                while done < len(buf):
                    done += os.pwrite(fd, buf[done:done + _MAX_WRITE], offset + done)
            except OSError as e:
                raise _no_space(e, len(buf)) from None
        else:
            lo, hi = extent(arr)
            start = arr.__array_interface__["data"][0] - lo
            _reserve(fd, offset - start, hi - lo)
            seg = mmap.mmap(fd, nbytes, flags=mmap.MAP_SHARED)
            dst = np.ndarray(arr.shape, arr.dtype, buffer=seg, offset=offset,
                             strides=arr.strides)
            np.copyto(dst, arr)
            del dst
            seg.close()
    except BaseException:
        unlink(name)
        raise
    finally:
        os.close(fd)
    return name


def attach(name: str, transient: bool) -> Segment:
    """Map segment ``name``; a transient one is unlinked right away (the mapping stays)."""
    _require_posix()
    try:
        fd = _posixshmem.shm_open(name, os.O_RDWR, mode=0o600)
    except FileNotFoundError:
        raise RuntimeError(
            f"ember.multiprocessing: shared memory segment {name!r} no longer exists: the "
            "process that sent the tensor freed it (a shared tensor must stay alive in the "
            "sender until it is received) or it was removed by cleanup_segments()") from None
    try:
        nbytes = os.fstat(fd).st_size
        seg = _map(fd, nbytes, name)
    finally:
        os.close(fd)
        if transient:
            unlink(name)
    seg.linked = not transient
    return seg


def unlink(name: str) -> bool:
    """Remove segment ``name``; False if it did not exist."""
    _require_posix()
    try:
        _posixshmem.shm_unlink(name)
    except FileNotFoundError:
        return False
    return True


def segment_of(arr) -> Segment | None:
    """The :class:`Segment` that ``arr``'s memory lives in, or None."""
    b = getattr(arr, "base", None)
    while b is not None:
        if isinstance(b, Segment):
            return b
        b = b.obj if isinstance(b, memoryview) else getattr(b, "base", None)
    return None


def extent(arr: np.ndarray) -> tuple[int, int]:
    """The byte addresses ``[lo, hi)`` spanned by ``arr`` (any strides; empty → ``lo == hi``)."""
    lo = hi = arr.__array_interface__["data"][0]
    if arr.size == 0:
        return lo, lo
    for n, s in zip(arr.shape, arr.strides, strict=True):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + arr.dtype.itemsize


def cleanup_segments(pid: int) -> int:
    """Unlink every ``/dev/shm/ember_<pid>_*`` segment, e.g. those of a dead worker.

    Tensors already received keep their memory (a mapping outlives its name); tensors still
    in flight from ``pid`` can no longer be received.

    Args:
        pid (int): the id of the process that created the segments.

    Returns:
        int: the number of segments removed.

    Raises:
        TypeError: if ``pid`` is not an int.

    Example:
        >>> import ember.multiprocessing as mp
        >>> mp.cleanup_segments(2 ** 22 + 1)  # a pid that holds nothing
        0
    """
    if not isinstance(pid, int) or isinstance(pid, bool):
        raise TypeError(f"cleanup_segments(): argument 'pid' must be int, not "
                        f"{type(pid).__name__}")
    prefix = f"{_PREFIX}_{pid}_"
    try:
        names = os.listdir(SHM_DIR)
    except FileNotFoundError:  # pragma: no cover - no /dev/shm
        return 0
    return sum(unlink("/" + n) for n in names if n.startswith(prefix))
