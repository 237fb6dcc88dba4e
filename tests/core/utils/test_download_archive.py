"""ember.utils.download.extract_archive: formats and refusal of unsafe members."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import tarfile
import zipfile

import pytest

from ember.utils import download as dl


def _tar(path, members, mode="w"):
    """members: (name, kind, payload) with kind file / dir / sym / lnk / fifo."""
    with tarfile.open(path, mode) as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "lnk": tarfile.LNKTYPE,
                         "fifo": tarfile.FIFOTYPE}[kind]
            if kind in ("sym", "lnk"):
                info.linkname = payload
            tar.addfile(info)
    return path


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, kind, payload in members:
            info = zipfile.ZipInfo(name)
            if kind == "sym":
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, payload)
    return path


@pytest.mark.parametrize("suffix,mode", [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz"),
                                         (".tar.bz2", "w:bz2"), (".tbz", "w:bz2"),
                                         (".tar.xz", "w:xz"), (".txz", "w:xz")])
def test_tar_formats(tmp_path, suffix, mode):
    arc = _tar(tmp_path / f"a{suffix}", [("d", "dir", None), ("d/x.txt", "file", b"hello"),
                                         ("d/link", "sym", "x.txt")], mode)
    out = dl.extract_archive(arc, tmp_path / "out")
    assert (tmp_path / "out" / "d" / "x.txt").read_bytes() == b"hello"
    assert os.readlink(tmp_path / "out" / "d" / "link") == "x.txt"
    assert out == str(tmp_path / "out")


def test_zip_and_default_destination(tmp_path):
    arc = _zip(tmp_path / "a.zip", [("sub/", "dir", b""), ("sub/y.bin", "file", b"\x00\x01"),
                                    ("sub/ln", "sym", b"y.bin")])
    assert dl.extract_archive(arc) == str(tmp_path)
    assert (tmp_path / "sub" / "y.bin").read_bytes() == b"\x00\x01"
    assert os.readlink(tmp_path / "sub" / "ln") == "y.bin"


@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open),
                                           (".xz", lzma.open)])
def test_single_file_compressed(tmp_path, suffix, opener):
    with opener(tmp_path / f"train-images{suffix}", "wb") as f:
        f.write(b"idx data")
    dl.extract_archive(tmp_path / f"train-images{suffix}", tmp_path / "raw",
                       remove_finished=True)
    assert (tmp_path / "raw" / "train-images").read_bytes() == b"idx data"
    assert not (tmp_path / f"train-images{suffix}").exists()


TAR_ATTACKS = [
    ([("/etc/evil", "file", b"x")], "absolute path"),
    ([("../evil", "file", b"x")], "contains '..'"),
    ([("a/../../evil", "file", b"x")], "contains '..'"),
    ([("ln", "sym", "/etc/passwd")], "absolute path"),
    ([("ln", "sym", "../outside")], "escapes the destination"),
    ([("d/ln", "sym", "../../outside")], "escapes the destination"),
    ([("hard", "lnk", "../outside")], "escapes the destination"),
    # a link that is harmless by its own text but escapes through an earlier link
    ([("d1/d2/x", "sym", "../.."), ("y", "sym", "d1/d2/x/../..")], "escapes the destination"),
    # a file written through an inside link whose target later escapes is caught the same way
    ([("up", "sym", ".."), ("up/evil", "file", b"x")], "escapes the destination"),
    ([("fifo", "fifo", None)], "device file or FIFO"),
]


@pytest.mark.parametrize("members,message", TAR_ATTACKS, ids=range(len(TAR_ATTACKS)))
def test_tar_attacks_refused(tmp_path, members, message):
    arc = _tar(tmp_path / "evil.tar", members)
    dest = tmp_path / "dest"
    with pytest.raises(dl.UnsafeArchiveError, match=message):
        dl.extract_archive(arc, dest)
    assert not (tmp_path / "evil").exists() and not (tmp_path / "outside").exists()


ZIP_ATTACKS = [
    ([("/abs.txt", "file", b"x")], "absolute path"),
    ([("../evil.txt", "file", b"x")], "contains '..'"),
    ([("a\\..\\..\\evil.txt", "file", b"x")], "contains '..'"),
    ([("C:/evil.txt", "file", b"x")], "absolute path"),
    ([("ln", "sym", b"../outside")], "escapes the destination"),
    ([("ln", "sym", b"/etc")], "absolute path"),
]


@pytest.mark.parametrize("members,message", ZIP_ATTACKS, ids=range(len(ZIP_ATTACKS)))
def test_zip_attacks_refused(tmp_path, members, message):
    arc = _zip(tmp_path / "evil.zip", members)
    with pytest.raises(dl.UnsafeArchiveError, match=message):
        dl.extract_archive(arc, tmp_path / "dest")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "outside").exists()


def test_zip_file_through_preexisting_escaping_link(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", dest / "sub")  # planted before extraction
    arc = _zip(tmp_path / "a.zip", [("sub/evil.txt", "file", b"x")])
    with pytest.raises(dl.UnsafeArchiveError, match="outside"):
        dl.extract_archive(arc, dest)
    assert not (tmp_path / "outside" / "evil.txt").exists()


def test_html_saved_as_archive_rejected(tmp_path):
    (tmp_path / "data.tar.gz").write_bytes(b"<!DOCTYPE html><html>quota</html>")
    with pytest.raises(RuntimeError, match="is not a gz file .*error page"):
        dl.extract_archive(tmp_path / "data.tar.gz")
    (tmp_path / "data.zip").write_bytes(b"<html></html>")
    with pytest.raises(RuntimeError, match="is not a zip file"):
        dl.extract_archive(tmp_path / "data.zip")
    (tmp_path / "plain.tar").write_bytes(b"<html></html>" * 100)
    with pytest.raises(RuntimeError, match="is not a tar archive"):
        dl.extract_archive(tmp_path / "plain.tar")


def test_unknown_suffix(tmp_path):
    (tmp_path / "a.rar").write_bytes(b"Rar!")
    with pytest.raises(RuntimeError, match="cannot tell the archive type .*supported suffixes"):
        dl.extract_archive(tmp_path / "a.rar")
