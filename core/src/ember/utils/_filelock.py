"""An inter-process lock on ``<path>.lock`` through ``fcntl.flock`` (private).

Workers and distributed ranks that ask for the same file at once must download it once: the
first one takes the lock and fetches, the others block on the lock and then find the verified
file in place. ``flock`` locks belong to the open file description, so they are released by the
kernel when a process dies, and a stale ``.lock`` file left on disk never blocks anyone.
"""

from __future__ import annotations

import os
import time

try:
    import fcntl
except ImportError:  # Windows: no flock; see FileLock.__enter__
    fcntl = None

__all__ = ["FileLock"]


class FileLock:
    """Exclusive advisory lock on ``path + '.lock'``, usable as a context manager.

    Args:
        path (str): the file the lock protects; the lock file is ``path + ".lock"``.
        timeout (float, optional): seconds to wait for the lock before raising ``TimeoutError``;
            ``None`` waits forever. Default: ``None``.

    Raises:
        TimeoutError: the lock was still held by another process after ``timeout`` seconds.
        OSError: the lock file cannot be created (read-only directory, ...).

    Example:
        >>> import os, tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "data.bin")
        >>> with FileLock(target):
        ...     os.path.exists(target + ".lock")
        True
    """

    def __init__(self, path: str, timeout: float | None = None):
        self.lock_path = os.fspath(path) + ".lock"
        self.timeout = timeout
        self._fd = None

    def __enter__(self):
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is None:  # NOTE: without flock there is no cross-process exclusion
            self._fd = fd
            return self
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        try:
            if deadline is None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise TimeoutError(
                                f"could not lock {self.lock_path} within {self.timeout} s: "
                                "another process is downloading this file") from None
                        time.sleep(0.05)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def __exit__(self, *exc):
        fd, self._fd = self._fd, None
        if fd is not None:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return False
