"""The download lock and timeouts: one fetch per file across threads and processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from ember.utils import _download_http
from ember.utils import download as dl
from ember.utils._download_testing import FileServer
from ember.utils._filelock import FileLock

DATA = os.urandom(300_000)
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)
    monkeypatch.setattr(_download_http, "_BACKOFF_S", 0.0)


def test_threads_fetch_once(tmp_path):
    errors = []

    def worker():
        try:
            dl.download_url(srv.url("d.bin"), tmp_path, sha256=SHA, progress=False)
        except Exception as e:  # collected and asserted below
            errors.append(e)

    with FileServer({"d.bin": DATA}) as srv:
        srv.delay["d.bin"] = 0.05
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == [] and srv.count("d.bin") == 1
    assert (tmp_path / "d.bin").read_bytes() == DATA


def test_lock_timeout_when_held_by_another_process(tmp_path):
    target = tmp_path / "f.bin"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from ember.utils._filelock import FileLock
        with FileLock({str(target)!r}):
            print("locked", flush=True)
            time.sleep(30)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        start = time.monotonic()
        with pytest.raises(TimeoutError, match="another process is downloading this file"):
            with FileLock(target, timeout=0.3):
                pass
        assert time.monotonic() - start >= 0.3
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with FileLock(target, timeout=5):  # released by the kernel when the holder died
        assert os.path.exists(str(target) + ".lock")


def test_read_timeout_is_retried_then_reported(tmp_path):
    with FileServer({"slow.bin": DATA}) as srv:
        srv.delay["slow.bin"] = 0.5
        with pytest.raises(dl.DownloadError, match="connection lost after 0 bytes") as info:
            dl.download_url(srv.url("slow.bin"), tmp_path, progress=False, timeout=0.1,
                            retries=1)
        assert srv.count("slow.bin") == 2
    assert f"place it by hand at {tmp_path / 'slow.bin'}" in str(info.value)
    assert not (tmp_path / "slow.bin").exists()


def test_sidecar_ignored_after_touch(tmp_path, monkeypatch):
    path = tmp_path / "f.bin"
    path.write_bytes(DATA)
    assert dl.check_integrity(path, sha256=SHA)
    path.write_bytes(DATA[:-1] + bytes([DATA[-1] ^ 1]))  # same size, new content and mtime
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert not dl.check_integrity(path, sha256=SHA)
