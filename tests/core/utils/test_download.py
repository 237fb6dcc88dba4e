"""ember.utils.download: resumable, verified, locked downloads against a local HTTP server."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap

import pytest

from ember.utils import _download_http
from ember.utils import download as dl
from ember.utils._download_testing import FileServer

DATA = bytes(range(256)) * 2048 + b"tail"  # 512 KiB + 4 bytes: several 128 KiB chunks
SHA = hashlib.sha256(DATA).hexdigest()
MD5 = hashlib.md5(DATA).hexdigest()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)
    monkeypatch.setattr(_download_http, "_BACKOFF_S", 0.0)


@pytest.fixture
def server():
    with FileServer({"data.bin": DATA, "other.bin": b"x" * 1000}) as srv:
        yield srv


def test_download_verifies_and_writes_sidecar(server, tmp_path):
    path = dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False)
    assert path == str(tmp_path / "data.bin")
    assert (tmp_path / "data.bin").read_bytes() == DATA
    rec = json.loads((tmp_path / "data.bin.verified").read_text())
    assert rec["sha256"] == SHA and rec["md5"] == MD5 and rec["size"] == len(DATA)
    assert not (tmp_path / "data.bin.partial").exists()


def test_md5_only_and_filename(server, tmp_path):
    path = dl.download_url(server.url("data.bin"), tmp_path, filename="renamed.bin", md5=MD5,
                           progress=False)
    assert os.path.basename(path) == "renamed.bin"
    assert hashlib.md5((tmp_path / "renamed.bin").read_bytes()).hexdigest() == MD5


def test_idempotent_second_call_makes_no_request(server, tmp_path):
    dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False)
    dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False)
    dl.download_url(server.url("data.bin"), tmp_path, progress=False)  # no hash: exists is enough
    assert server.count("data.bin") == 1


def test_resume_after_cut_uses_range(server, tmp_path):
    server.cut["data.bin"] = 200_000
    dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    assert server.ranges("data.bin") == [None, "bytes=200000-"]


def test_many_cuts_with_progress_do_not_exhaust_retries(server, tmp_path):
    offsets = list(range(50_000, len(DATA), 50_000))  # 10 cuts, retries=1
    server.cut["data.bin"] = offsets
    dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False, retries=1)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    assert server.ranges("data.bin") == [None] + [f"bytes={o}-" for o in offsets]


def test_wrong_content_range_restarts(server, tmp_path):
    (tmp_path / "data.bin.partial").write_bytes(DATA[:1000])
    server.bad_range.add("data.bin")
    dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    assert server.ranges("data.bin") == ["bytes=1000-", None]


def test_resume_from_existing_partial(server, tmp_path):
    (tmp_path / "data.bin.partial").write_bytes(DATA[:1000])
    dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    assert server.ranges("data.bin") == ["bytes=1000-"]


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    (tmp_path / "data.bin.partial").write_bytes(b"garbage" * 10)
    server.no_range.add("data.bin")
    dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False)
    assert (tmp_path / "data.bin").read_bytes() == DATA


def test_partial_longer_than_file_restarts(server, tmp_path):
    (tmp_path / "data.bin.partial").write_bytes(b"z" * (len(DATA) + 10))
    dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    assert server.ranges("data.bin") == [f"bytes={len(DATA) + 10}-", None]


def test_checksum_mismatch_not_kept(server, tmp_path):
    wrong = "0" * 64
    with pytest.raises(dl.IntegrityError, match=f"expected {wrong}, got {SHA[:64]}") as info:
        dl.download_url(server.url("data.bin"), tmp_path, sha256=wrong, progress=False)
    assert info.value.expected == wrong and info.value.actual == SHA
    assert "place it by hand at " + str(tmp_path / "data.bin") in str(info.value)
    assert sorted(os.listdir(tmp_path)) == ["data.bin.lock"]


def test_md5_mismatch_message(server, tmp_path):
    with pytest.raises(dl.IntegrityError, match=f"md5 mismatch .*expected {'1' * 32}, got {MD5}"):
        dl.download_url(server.url("data.bin"), tmp_path, md5="1" * 32, progress=False)


def test_size_mismatch(server, tmp_path):
    with pytest.raises(dl.IntegrityError, match=f"has {len(DATA)} bytes, expected 5 bytes"):
        dl.download_url(server.url("data.bin"), tmp_path, size=5, progress=False)


def test_hash_prefix(server, tmp_path):
    dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA[:10], progress=False)
    with pytest.raises(dl.IntegrityError, match="sha256 mismatch"):
        dl.download_url(server.url("other.bin"), tmp_path, sha256=SHA[:10], progress=False)


@pytest.mark.parametrize("status", [404, 500])
def test_mirror_fallback(server, tmp_path, status):
    server.files["mirror/data.bin"] = DATA
    server.status["data.bin"] = status
    dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False,
                    mirrors=[server.url("mirror/data.bin")], retries=2)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    # a 500 is retried (1 + 2 retries) before moving on; a 404 is not
    assert server.count("data.bin") == (1 if status == 404 else 3)
    assert server.count("mirror/data.bin") == 1


def test_mirror_after_corrupt_copy(server, tmp_path):
    server.files["bad/data.bin"] = DATA[:-1] + b"!"
    server.files["good/data.bin"] = DATA
    dl.download_url(server.url("bad/data.bin"), tmp_path, sha256=SHA, progress=False,
                    mirrors=[server.url("good/data.bin")])
    assert (tmp_path / "data.bin").read_bytes() == DATA


def test_all_mirrors_fail_lists_each(server, tmp_path):
    server.status["data.bin"] = 403
    with pytest.raises(dl.DownloadError) as info:
        dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False,
                        mirrors=[server.url("missing.bin")])
    msg = str(info.value)
    assert "HTTP 403" in msg and "HTTP 404" in msg and server.url("missing.bin") in msg
    assert f"place it by hand at {tmp_path / 'data.bin'}" in msg
    assert not (tmp_path / "data.bin").exists()


def test_html_page_rejected(server, tmp_path):
    server.html.add("data.tar.gz")
    with pytest.raises(dl.DownloadError, match="HTML page .*instead of the file"):
        dl.download_url(server.url("data.tar.gz"), tmp_path, progress=False)
    assert not (tmp_path / "data.tar.gz").exists()
    assert not (tmp_path / "data.tar.gz.partial").exists()


def test_html_sniffed_without_content_type(server, tmp_path):
    server.files["page.zip"] = b"\n  <!DOCTYPE html><html>login</html>"
    with pytest.raises(dl.DownloadError, match="HTML page"):
        dl.download_url(server.url("page.zip"), tmp_path, progress=False)


def test_html_allowed_for_html_file(server, tmp_path):
    server.files["index.html"] = b"<html></html>"
    dl.download_url(server.url("index.html"), tmp_path, progress=False)
    assert (tmp_path / "index.html").read_bytes() == b"<html></html>"


def test_offline_mode_names_exact_path(server, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    with pytest.raises(dl.OfflineError, match="EMBER_OFFLINE") as info:
        dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False)
    msg = str(info.value)
    assert f"place it by hand at {tmp_path / 'data.bin'}" in msg
    assert server.url("data.bin") in msg and SHA in msg
    assert server.count("data.bin") == 0
    # a file placed by hand is used offline
    (tmp_path / "data.bin").write_bytes(DATA)
    assert dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA) == str(
        tmp_path / "data.bin")


def test_unreachable_host_is_offline_error(tmp_path):
    with FileServer() as srv:
        url = srv.url("gone.bin")
    with pytest.raises(dl.OfflineError, match="no server could be reached") as info:
        dl.download_url(url, tmp_path, progress=False, retries=0, timeout=2)
    assert f"place it by hand at {tmp_path / 'gone.bin'}" in str(info.value)


def test_corrupt_cached_file_quarantined_and_refetched(server, tmp_path):
    (tmp_path / "data.bin").write_bytes(b"corrupted")
    with pytest.warns(RuntimeWarning, match="moved it to .*data.bin.corrupt"):
        dl.download_url(server.url("data.bin"), tmp_path, sha256=SHA, progress=False)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    assert (tmp_path / "data.bin.corrupt").read_bytes() == b"corrupted"


def test_progress_bar_to_stderr(server, tmp_path, capsys):
    dl.download_url(server.url("data.bin"), tmp_path, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "data.bin" in captured.err


def test_concurrent_processes_fetch_once(server, tmp_path):
    server.delay["data.bin"] = 0.05  # ~0.4 s download: the processes overlap
    script = textwrap.dedent(f"""
        from ember.utils.download import download_url
        download_url({server.url('data.bin')!r}, {str(tmp_path)!r}, sha256={SHA!r},
                     progress=False)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert server.count("data.bin") == 1
    assert (tmp_path / "data.bin").read_bytes() == DATA


def test_check_integrity_uses_sidecar(tmp_path, monkeypatch):
    path = tmp_path / "f.bin"
    path.write_bytes(DATA)
    assert dl.check_integrity(path, sha256=SHA)
    assert dl.check_integrity(path, md5=MD5)
    assert not dl.check_integrity(path, md5="0" * 32)
    assert dl.check_integrity(path)  # no hash: existence
    assert not dl.check_integrity(tmp_path / "nope")
    from ember.utils import _download_verify

    def boom(_):
        raise AssertionError("hashed again")

    monkeypatch.setattr(_download_verify, "_hash_file", boom)
    assert dl.check_integrity(path, sha256=SHA)  # answered by the sidecar
    path.write_bytes(DATA[:10])  # new size: the sidecar is stale
    with pytest.raises(AssertionError, match="hashed again"):
        dl.check_integrity(path, sha256=SHA)


def test_check_integrity_bad_hash_argument(tmp_path):
    with pytest.raises(ValueError, match="md5 must be a hex digest of 32"):
        dl.check_integrity(tmp_path, md5="abc")
    with pytest.raises(ValueError, match="sha256 must be a hex digest"):
        dl.check_integrity(tmp_path, sha256="xyz")


def test_calculate_hashes_match_hashlib(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(DATA)
    assert dl.calculate_sha256(path, chunk_size=1000) == SHA
    assert dl.calculate_md5(path) == MD5


def test_download_and_extract_archive(server, tmp_path):
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("pkg/data.bin")
        info.size = len(DATA)
        tar.addfile(info, io.BytesIO(DATA))
    server.files["pkg.tar.gz"] = buf.getvalue()
    out = dl.download_and_extract_archive(server.url("pkg.tar.gz"), tmp_path / "dl",
                                          extract_root=tmp_path / "x",
                                          sha256=hashlib.sha256(buf.getvalue()).hexdigest(),
                                          remove_finished=True, progress=False)
    assert out == str(tmp_path / "x")
    assert (tmp_path / "x" / "pkg" / "data.bin").read_bytes() == DATA
    assert not (tmp_path / "dl" / "pkg.tar.gz").exists()
    assert not (tmp_path / "dl" / "pkg.tar.gz.verified").exists()


def test_download_url_without_file_name(tmp_path):
    with pytest.raises(ValueError, match="cannot derive a file name"):
        dl.download_url("http://127.0.0.1:1/", tmp_path)
