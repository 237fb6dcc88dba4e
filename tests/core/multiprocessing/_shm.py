"""Helpers shared by the multiprocessing tests: /dev/shm bookkeeping and a queue read that
fails instead of hanging. (Imported as ``tests.core.multiprocessing._shm``: the repository
root is on ``sys.path``, see tests/core/conftest.py.)"""

from __future__ import annotations

import os
import time

SHM = "/dev/shm"

# segments that existed before the running test (another test's, another process's)
OLD: set[str] = set()


def remember_existing_segments() -> None:
    """Note the segments present now; :func:`segments` ignores them."""
    OLD.clear()
    OLD.update(n for n in os.listdir(SHM) if n.startswith("ember_"))


def segments(*pids) -> list[str]:
    """Names in /dev/shm made by ``pids`` (ember_<pid>_<n>) since the last
    :func:`remember_existing_segments`."""
    prefixes = tuple(f"ember_{p}_" for p in pids)
    return sorted(n for n in os.listdir(SHM) if n.startswith(prefixes) and n not in OLD)


def recv(q, p=None, timeout=60.0):
    """``q.get()`` that fails instead of hanging when child ``p`` died without answering."""
    deadline = time.monotonic() + timeout
    while not q._reader.poll(0.1):
        if (p is not None and not p.is_alive() and not q._reader.poll(0.5)) \
                or time.monotonic() > deadline:
            raise AssertionError(f"no message from the child (exit code "
                                 f"{None if p is None else p.exitcode})")
    return q.get()
