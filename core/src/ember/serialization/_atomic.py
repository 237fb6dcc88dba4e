"""Atomic writes: a crash mid-save never leaves a half-written file at the destination.

The bytes go to a temporary file in the destination's directory (same file system, so the
final ``os.replace`` is a rename), which is flushed and fsync'ed before the rename; the
directory is fsync'ed after it so the rename itself survives a power loss.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

_UMASK: list[int] = []


def _file_mode() -> int:
    """``0o666`` less the process umask: the mode ``open(path, 'wb')`` would give."""
    if not _UMASK:
        # NOTE: os.umask can only be read by setting it; done once, then cached.
        old = os.umask(0o022)
        os.umask(old)
        _UMASK.append(old)
    return 0o666 & ~_UMASK[0]


@contextlib.contextmanager
def atomic_write(path):
    """Open a temporary file beside ``path`` for binary writing; on success rename it over
    ``path``, on any exception delete it (the previous file, if any, stays intact).

    Example:
        >>> import os, tempfile
        >>> from ember.serialization._atomic import atomic_write
        >>> p = os.path.join(tempfile.mkdtemp(), "x.bin")
        >>> with atomic_write(p) as f:
        ...     _ = f.write(b"abc")
        >>> with open(p, "rb") as f:
        ...     f.read()
        b'abc'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
