"""Safe extraction of zip, tar(.gz/.bz2/.xz) and single-file .gz/.bz2/.xz archives (private).

Every member is checked before it is written: absolute names, ``..`` components, links whose
target resolves outside the destination (following links already extracted), device files and
FIFOs are refused with ``UnsafeArchiveError`` naming the member. Python's own ``zipfile``
silently rewrites such names and ``tarfile`` only refuses them with the ``data`` filter; an
archive from the internet must be refused loudly instead.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import posixpath
import shutil
import stat
import tarfile
import zipfile

from ._download_verify import SIDECAR_SUFFIX, UnsafeArchiveError

__all__ = ["extract_archive", "extract_zip", "archive_type"]

_TAR_SUFFIXES = {".tar": "", ".tar.gz": "gz", ".tgz": "gz", ".tar.bz2": "bz2", ".tbz": "bz2",
                 ".tbz2": "bz2", ".tar.xz": "xz", ".txz": "xz"}
_COMPRESSORS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def archive_type(path) -> tuple[str, str]:
    """``(kind, suffix)`` with kind in ``zip``, ``tar``, ``compressed``, from the file name.

    Raises:
        RuntimeError: the suffix is not one of the supported archive suffixes.
    """
    name = os.path.basename(os.fspath(path)).lower()
    for suffix in sorted(_TAR_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return "tar", suffix
    if name.endswith(".zip"):
        return "zip", ".zip"
    for suffix in _COMPRESSORS:
        if name.endswith(suffix):
            return "compressed", suffix
    supported = sorted([*_TAR_SUFFIXES, ".zip", *_COMPRESSORS])
    raise RuntimeError(f"extract_archive: cannot tell the archive type of {path!r}; "
                       f"supported suffixes are {', '.join(supported)}")


_MAGIC = {"gz": (b"\x1f\x8b",), "bz2": (b"BZh",), "xz": (b"\xfd7zXZ\x00",),
          "zip": (b"PK\x03\x04", b"PK\x05\x06")}


def _check_magic(path, kind, suffix):
    """Refuse a file whose first bytes do not match its suffix (an HTML page saved as .tgz)."""
    codec = {"zip": "zip"}.get(kind) or (_TAR_SUFFIXES.get(suffix) if kind == "tar"
                                         else suffix[1:])
    with open(path, "rb") as f:
        head = f.read(512)
    if codec:
        ok = head.startswith(_MAGIC[codec])
        what = f"a {codec} file"
    else:  # plain tar: the ustar magic at offset 257 (absent only in pre-POSIX v7 tars)
        ok = head[257:262] == b"ustar" or tarfile.is_tarfile(path)
        what = "a tar archive"
    if not ok:
        raise RuntimeError(f"extract_archive: {path} is not {what} (it starts with "
                           f"{head[:16]!r}); it may be an error page saved under that name")


def _inside(root, path):
    return os.path.commonpath([root, path]) == root


def _check_name(archive, name):
    """Refuse absolute names and ``..`` components; return the normalized relative name."""
    clean = name.replace("\\", "/")
    if clean.startswith("/") or (len(clean) > 1 and clean[1] == ":"):
        raise UnsafeArchiveError(f"refusing to extract {archive}: member {name!r} has an "
                                 "absolute path")
    if ".." in clean.split("/"):
        raise UnsafeArchiveError(f"refusing to extract {archive}: member {name!r} contains "
                                 "'..' and would be written outside the destination")
    return posixpath.normpath(clean)


def _check_target(archive, root, name, where):
    """The real path of ``root/name`` (links already on disk followed) must stay in root."""
    real = os.path.realpath(os.path.join(root, name))
    if not _inside(root, real):
        raise UnsafeArchiveError(f"refusing to extract {archive}: member {name!r} {where} "
                                 f"{real}, outside {root}")
    return real


def _check_link(archive, root, name, target, hard):
    if target.startswith("/") or os.path.isabs(target):
        raise UnsafeArchiveError(f"refusing to extract {archive}: link {name!r} points to the "
                                 f"absolute path {target!r}")
    base = root if hard else os.path.dirname(os.path.join(root, name))
    real = os.path.realpath(os.path.join(base, target))
    if not _inside(root, real):
        raise UnsafeArchiveError(f"refusing to extract {archive}: link {name!r} -> {target!r} "
                                 f"escapes the destination (resolves to {real})")


def _extract_tar(path, root):
    files = []
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            name = _check_name(path, member.name)
            if name == ".":
                continue
            if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
                raise UnsafeArchiveError(f"refusing to extract {path}: member {member.name!r} "
                                         "is a device file or FIFO")
            _check_target(path, root, posixpath.dirname(name) or ".", "would be written under")
            if member.issym() or member.islnk():
                _check_link(path, root, name, member.linkname, hard=member.islnk())
            # NOTE: the 'data' filter repeats these checks and drops setuid bits and
            # ownership; member by member so each check sees the links extracted before it
            tar.extract(member, root, set_attrs=not member.issym(), filter="data")
            if member.isfile():
                files.append(name)
    return files


def _extract_zip(path, root):
    files = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = _check_name(path, info.filename)
            if name == ".":
                continue
            _check_target(path, root, posixpath.dirname(name) or ".", "would be written under")
            mode = info.external_attr >> 16
            dest = os.path.join(root, name)
            if stat.S_ISLNK(mode):
                target = zf.read(info).decode("utf-8")
                _check_link(path, root, name, target, hard=False)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                if os.path.lexists(dest):
                    os.remove(dest)
                os.symlink(target, dest)
            elif info.is_dir():
                os.makedirs(dest, exist_ok=True)
            else:
                _check_target(path, root, name, "would be written at")
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with zf.open(info) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                files.append(name)
    return files


def extract_zip(path, to_path):
    """Extract a zip file whatever its name (a legacy ``.pth`` zip), with the same checks."""
    os.makedirs(to_path, exist_ok=True)
    _extract_zip(os.fspath(path), os.path.realpath(to_path))
    return to_path


def _decompress(path, root, suffix):
    name = os.path.basename(os.fspath(path))[:-len(suffix)]
    dest = os.path.join(root, name)
    tmp = dest + ".partial"
    with _COMPRESSORS[suffix](path, "rb") as src, open(tmp, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
    os.replace(tmp, dest)
    return [name]


def extract_files(from_path, to_path, kind, suffix) -> list[str]:
    """Extract an archive already identified as ``(kind, suffix)``; return the regular files
    written, relative to ``to_path`` (POSIX separators)."""
    os.makedirs(to_path, exist_ok=True)
    root = os.path.realpath(to_path)
    if kind == "tar":
        return _extract_tar(from_path, root)
    if kind == "zip":
        return _extract_zip(from_path, root)
    return _decompress(from_path, root, suffix)


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a zip, tar, tar.gz/.tgz, tar.bz2/.tbz, tar.xz/.txz, .gz, .bz2 or .xz file safely.

    Members with absolute paths or ``..`` components, links resolving outside ``to_path``
    (following links extracted before them) and device files are refused. A single-file
    ``.gz``/``.bz2``/``.xz`` is decompressed to ``to_path/<name without the suffix>``.

    Args:
        from_path (str): the archive; its type comes from the suffix.
        to_path (str, optional): destination directory. Default: the archive's directory.
        remove_finished (bool, optional): delete the archive afterwards. Default: ``False``.

    Returns:
        str: ``to_path``.

    Raises:
        UnsafeArchiveError: a member would land or link outside ``to_path``.
        RuntimeError: the suffix is not a supported archive type, or the content does not
            match it (an HTML page saved as ``.tar.gz``).

    Example:
        >>> import os, pathlib, tarfile, tempfile
        >>> d = tempfile.mkdtemp()
        >>> _ = pathlib.Path(os.path.join(d, "a.txt")).write_text("hi")
        >>> with tarfile.open(os.path.join(d, "a.tar.gz"), "w:gz") as t:
        ...     t.add(os.path.join(d, "a.txt"), arcname="sub/a.txt")
        >>> out = extract_archive(os.path.join(d, "a.tar.gz"), os.path.join(d, "out"))
        >>> pathlib.Path(os.path.join(out, "sub", "a.txt")).read_text()
        'hi'
    """
    from_path = os.fspath(from_path)
    if to_path is None:
        to_path = os.path.dirname(from_path)
    to_path = os.fspath(to_path)
    kind, suffix = archive_type(from_path)
    _check_magic(from_path, kind, suffix)
    extract_files(from_path, to_path, kind, suffix)
    if remove_finished:
        os.remove(from_path)
        if os.path.exists(from_path + SIDECAR_SUFFIX):  # its verification record goes too
            os.remove(from_path + SIDECAR_SUFFIX)
    return to_path
