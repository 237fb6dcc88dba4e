"""ember.multiprocessing.spawn / start_processes: results, child exceptions, exits, signals."""

from __future__ import annotations

import os
import pickle
import signal

import pytest

import ember.multiprocessing as mp


def _ok(i, path):
    with open(os.path.join(path, f"out{i}"), "w") as fh:
        fh.write(str(i * 10))


def _raise_in_one(i):
    if i == 1:
        raise ValueError(f"bad worker {i}")


def _exit_code(i):
    os._exit(3)


def _kill_self(i):
    os.kill(os.getpid(), signal.SIGKILL)


def _wait_for(i, ev):
    ev.wait(30)


def test_spawn_runs_every_index(tmp_path):
    assert mp.spawn(_ok, args=(str(tmp_path),), nprocs=2) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out0", "out1"]
    assert (tmp_path / "out1").read_text() == "10"


def test_spawn_propagates_child_exception():
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.spawn(_raise_in_one, nprocs=2)
    err = info.value
    assert err.error_index == 1
    msg = str(err)
    assert "-- Process 1 terminated with the following error:" in msg
    assert "Traceback (most recent call last):" in msg
    assert "in _raise_in_one" in msg  # the child's own frame
    assert msg.rstrip().endswith("ValueError: bad worker 1")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is mp.ProcessRaisedException
    assert (again.msg, again.error_index, again.error_pid) == (msg, 1, err.error_pid)


def test_exit_code_is_reported():
    with pytest.raises(mp.ProcessExitedException,
                       match="process 0 terminated with exit code 3") as info:
        mp.start_processes(_exit_code, nprocs=1, start_method="fork")
    assert info.value.exit_code == 3 and info.value.signal_name is None


def test_signal_is_reported():
    with pytest.raises(mp.ProcessExitedException,
                       match="process 0 terminated with signal SIGKILL") as info:
        mp.start_processes(_kill_self, nprocs=1, start_method="fork")
    assert info.value.exit_code == -signal.SIGKILL
    assert info.value.signal_name == "SIGKILL"
    again = pickle.loads(pickle.dumps(info.value))
    assert (again.exit_code, again.signal_name) == (-signal.SIGKILL, "SIGKILL")


def test_join_false_returns_context():
    import multiprocessing
    ev = multiprocessing.get_context("fork").Event()
    ctx = mp.start_processes(_wait_for, args=(ev,), nprocs=2, join=False, start_method="fork")
    assert isinstance(ctx, mp.ProcessContext)
    assert len(ctx.pids()) == 2 and all(isinstance(p, int) for p in ctx.pids())
    assert ctx.join(timeout=0.05) is False
    ev.set()
    while not ctx.join(timeout=30):
        pass
    assert ctx.join() is True  # joining again is harmless
    assert all(p.exitcode == 0 for p in ctx.processes)


def test_failure_stops_the_others():
    import multiprocessing
    ev = multiprocessing.get_context("fork").Event()
    ctx = mp.start_processes(_wait_for, args=(ev,), nprocs=2, join=False, start_method="fork")
    os.kill(ctx.processes[0].pid, signal.SIGKILL)
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with signal"):
        while not ctx.join(grace_period=0.1):
            pass
    assert not ctx.processes[1].is_alive()  # terminated by the parent


def test_spawn_warns_for_other_start_methods():
    with pytest.warns(FutureWarning, match="only supports start_method=spawn"):
        mp.spawn(_ok, args=("unused",), nprocs=0, start_method="fork")


def test_nprocs_is_checked():
    with pytest.raises(ValueError, match="nprocs must be a non-negative int, got -1"):
        mp.start_processes(_ok, nprocs=-1)


def test_spawn_context_is_a_deprecated_alias():
    with pytest.warns(FutureWarning, match="renamed to ProcessContext"):
        ctx = mp.SpawnContext([], [])
    assert isinstance(ctx, mp.ProcessContext) and ctx.join() is True
