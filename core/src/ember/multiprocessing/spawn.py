"""Start N processes running ``fn(i, *args)`` and surface the first failure in the parent.

A child that raises writes its formatted traceback to a private file and exits with code 1;
:meth:`ProcessContext.join` then stops the other children and raises
:class:`ProcessRaisedException` carrying that traceback, or :class:`ProcessExitedException`
when a child died from a signal or a non-zero exit without a Python exception.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import tempfile
import time
import warnings

__all__ = ["ProcessException", "ProcessRaisedException", "ProcessExitedException",
           "ProcessContext", "SpawnContext", "start_processes", "spawn"]

_PR_SET_PDEATHSIG = 1


class ProcessException(Exception):
    """A child process of :func:`spawn` failed.

    Attributes:
        msg (str): the message.
        error_index (int): the failing process's index ``i``.
        error_pid (int): its process id.
    """

    def __init__(self, msg: str, error_index: int, error_pid: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.error_pid = error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A child process raised an exception; the message holds the child's traceback."""


class ProcessExitedException(ProcessException):
    """A child process was killed by a signal or exited with a non-zero code.

    Attributes:
        exit_code (int): the exit code (``-signum`` for a signal).
        signal_name (str or None): e.g. ``"SIGKILL"``.
    """

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code,
                            self.signal_name)


def _die_with_parent() -> None:
    """Ask Linux to send SIGINT to this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no C library to call
        return
    libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)


def _wrap(fn, i, args, error_file) -> None:
    _die_with_parent()
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # stopped by the parent (SIGINT)
    except Exception:
        import traceback
        with open(error_file, "wb") as fh:
            pickle.dump(traceback.format_exc(), fh)
        sys.exit(1)


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"<Unknown signal {code}>"


class ProcessContext:
    """The processes started by :func:`start_processes`; :meth:`join` waits for them.

    Args:
        processes (list of Process): the children, index ``i`` runs ``fn(i, *args)``.
        error_files (list of str): where child ``i`` writes its traceback if it raises.
    """

    def __init__(self, processes, error_files) -> None:
        self.processes = processes
        self.error_files = error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self) -> list[int]:
        """The children's process ids."""
        return [int(p.pid) for p in self.processes]

    def _join_all(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for p in self.processes:
            p.join(max(0.0, end - time.monotonic()))

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        """Wait for the children; raise on the first failure.

        Returns True once every child has exited successfully, False if some still run after
        ``timeout`` seconds. When a child fails, the others get ``grace_period`` seconds to
        exit, then SIGTERM, then (after another grace period, 30 s by default) SIGKILL.

        Args:
            timeout (float, optional): seconds to wait. Default: ``None`` (until one exits).
            grace_period (float, optional): see above. Default: ``None``.

        Raises:
            ProcessRaisedException: a child raised; the message holds its traceback.
            ProcessExitedException: a child died from a signal or exited non-zero.
        """
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            i = self.sentinels.pop(sentinel)
            p = self.processes[i]
            p.join()
            if p.exitcode != 0:
                failed = i
                break
        if failed is None:
            if not self.sentinels:
                self._remove_error_files()
            return not self.sentinels
        self._stop_others(grace_period)
        raise self._failure(failed)

    def _stop_others(self, grace_period) -> None:
        if grace_period is not None:
            self._join_all(grace_period)
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        self._join_all(30.0 if grace_period is None else grace_period)
        for p in self.processes:
            if p.is_alive():
                p.kill()
            p.join()
        self.sentinels.clear()

    def _failure(self, i: int) -> ProcessException:
        p = self.processes[i]
        path = self.error_files[i]
        try:
            with open(path, "rb") as fh:
                trace = pickle.load(fh)
        except FileNotFoundError:
            trace = None
        self._remove_error_files()
        if trace is not None:
            msg = f"\n\n-- Process {i:d} terminated with the following error:\n{trace}"
            return ProcessRaisedException(msg, i, p.pid)
        code = p.exitcode
        if code < 0:
            name = _signal_name(-code)
            return ProcessExitedException(f"process {i:d} terminated with signal {name}",
                                          i, p.pid, code, name)
        return ProcessExitedException(f"process {i:d} terminated with exit code {code:d}",
                                      i, p.pid, code)

    def _remove_error_files(self) -> None:
        for path in self.error_files:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


class SpawnContext(ProcessContext):
    """Deprecated name of :class:`ProcessContext` (kept for old code; warns)."""

    def __init__(self, processes, error_files) -> None:
        warnings.warn("SpawnContext is renamed to ProcessContext since 1.4 release.",
                      FutureWarning, stacklevel=2)
        super().__init__(processes, error_files)


def _error_file() -> str:
    fd, path = tempfile.mkstemp(prefix="ember-errorfile-", suffix=".pickle")
    os.close(fd)
    os.unlink(path)  # the child creates it only when it fails
    return path


def start_processes(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False,
                    start_method: str = "spawn"):
    """Start ``nprocs`` processes running ``fn(i, *args)`` with the given start method.

    Args:
        fn (callable): the entry point, called as ``fn(i, *args)``; must be picklable (a
            module-level function) for the ``spawn`` and ``forkserver`` methods.
        args (tuple): extra arguments. Default: ``()``.
        nprocs (int): how many processes. Default: ``1``.
        join (bool): wait for all of them. Default: ``True``.
        daemon (bool): start them as daemon processes. Default: ``False``.
        start_method (str): ``"spawn"``, ``"fork"`` or ``"forkserver"``. Default: ``"spawn"``.

    Returns:
        None if ``join`` is true, otherwise a :class:`ProcessContext`.

    Raises:
        ProcessRaisedException, ProcessExitedException: see :meth:`ProcessContext.join`.

    Example:
        >>> import ember.multiprocessing as mp
        >>> mp.start_processes(print, nprocs=0, start_method="fork") is None
        True
    """
    if not isinstance(nprocs, int) or isinstance(nprocs, bool) or nprocs < 0:
        raise ValueError(f"start_processes(): nprocs must be a non-negative int, got {nprocs!r}")
    ctx = multiprocessing.get_context(start_method)
    processes, error_files = [], []
    for i in range(nprocs):
        path = _error_file()
        p = ctx.Process(target=_wrap, args=(fn, i, tuple(args), path), daemon=daemon)
        p.start()
        processes.append(p)
        error_files.append(path)
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn"):
    """Spawn ``nprocs`` processes running ``fn(i, *args)``; re-raise a child's exception.

    If one process fails, the others are stopped and the parent raises
    :class:`ProcessRaisedException` with the child's traceback (or
    :class:`ProcessExitedException` for a signal / exit code).

    Args:
        fn (callable): a module-level function, called as ``fn(i, *args)``.
        args (tuple): extra arguments (tensors in them travel through shared memory).
            Default: ``()``.
        nprocs (int): number of processes. Default: ``1``.
        join (bool): wait for them. Default: ``True``.
        daemon (bool): daemon processes. Default: ``False``.
        start_method (str): prefer :func:`start_processes` for anything but ``"spawn"``.
            Default: ``"spawn"``.

    Returns:
        None if ``join`` is true, otherwise a :class:`ProcessContext`.

    Raises:
        ProcessRaisedException, ProcessExitedException: see :meth:`ProcessContext.join`.

    Example:
        >>> import ember.multiprocessing as mp
        >>> mp.spawn(print, nprocs=0) is None
        True
    """
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t"
                      " ember.multiprocessing.start_processes(...)", FutureWarning,
                      stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
