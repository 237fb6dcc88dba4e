"""Download errors, file hashing and the ``<file>.verified`` memory (private).

A verified file carries a JSON sidecar ``<file>.verified`` holding its size, its modification
time in nanoseconds and its sha256 and md5 digests. While size and mtime still match, the
digests are taken from the sidecar instead of re-reading the file, so a multi-GB archive is
hashed once, right after its download, and not at every dataset construction.
"""

from __future__ import annotations

import hashlib
import json
import os

__all__ = ["DownloadError", "IntegrityError", "OfflineError", "UnsafeArchiveError",
           "calculate_sha256", "calculate_md5", "file_digests", "compare_digests",
           "manual_placement_hint", "is_offline", "normalize_hashes", "read_sidecar",
           "SIDECAR_SUFFIX"]

SIDECAR_SUFFIX = ".verified"
_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A file could not be fetched from any of its URLs (each failure is in the message)."""


class IntegrityError(DownloadError):
    """A file's size or hash differs from the expected one.

    Attributes ``path``, ``algorithm``, ``expected`` and ``actual`` describe the mismatch.
    """

    def __init__(self, message, path=None, algorithm=None, expected=None, actual=None):
        super().__init__(message)
        self.path, self.algorithm, self.expected, self.actual = path, algorithm, expected, actual


class OfflineError(DownloadError):
    """A download was needed while ``EMBER_OFFLINE=1`` is set."""


class UnsafeArchiveError(RuntimeError):
    """An archive member would be written, or would link, outside the extraction directory."""


def is_offline() -> bool:
    """True when ``$EMBER_OFFLINE`` is set to a true value (``1``, ``true``, ``yes``, ``on``)."""
    return os.environ.get("EMBER_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def manual_placement_hint(path, urls=(), sha256=None, md5=None) -> str:
    """The "place the file by hand" instructions appended to every failed download."""
    lines = [f"To use the file without downloading it, place it by hand at {os.path.abspath(path)}"]
    if urls:
        lines.append("it can be fetched from: " + ", ".join(urls))
    if sha256:
        lines.append(f"its sha256 must start with {sha256}")
    elif md5:
        lines.append(f"its md5 must be {md5}")
    return "\n".join(lines)


def _hash_file(path):
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            sha.update(chunk)
            md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest()


def calculate_sha256(fpath, chunk_size: int = _CHUNK) -> str:
    """Hex sha256 digest of the file at ``fpath``, read in ``chunk_size``-byte blocks.

    Example:
        >>> import os, pathlib, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "f")
        >>> _ = pathlib.Path(p).write_bytes(b"abc")
        >>> calculate_sha256(p)[:16]
        'ba7816bf8f01cfea'
    """
    h = hashlib.sha256()
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            h.update(chunk)
    return h.hexdigest()


def calculate_md5(fpath, chunk_size: int = _CHUNK) -> str:
    """Hex md5 digest of the file at ``fpath`` (``usedforsecurity=False``, so FIPS builds work).

    Example:
        >>> import os, pathlib, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "f")
        >>> _ = pathlib.Path(p).write_bytes(b"abc")
        >>> calculate_md5(p)
        '900150983cd24fb0d6963f7d28e17f72'
    """
    h = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            h.update(chunk)
    return h.hexdigest()


def read_sidecar(path, st):
    try:
        with open(path + SIDECAR_SUFFIX, encoding="utf-8") as f:
            rec = json.load(f)
    except (OSError, ValueError):
        return None
    if (not isinstance(rec, dict) or rec.get("size") != st.st_size
            or rec.get("mtime_ns") != st.st_mtime_ns):
        return None  # the file changed since it was hashed
    if not isinstance(rec.get("sha256"), str) or not isinstance(rec.get("md5"), str):
        return None
    return rec


def file_digests(path, use_sidecar: bool = True) -> dict:
    """``{"size", "mtime_ns", "sha256", "md5"}`` of ``path``, remembered in ``path.verified``.

    With ``use_sidecar`` a fresh sidecar (same size and mtime) answers without reading the file;
    otherwise the file is hashed and the sidecar rewritten.
    """
    path = os.fspath(path)
    st = os.stat(path)
    if use_sidecar:
        rec = read_sidecar(path, st)
        if rec is not None:
            return rec
    sha, md5 = _hash_file(path)
    rec = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha, "md5": md5}
    tmp = f"{path}{SIDECAR_SUFFIX}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(rec, f)
        os.replace(tmp, path + SIDECAR_SUFFIX)
    except OSError:
        # NOTE: the sidecar only saves a later re-hash; a read-only cache directory (a dataset
        # mounted read-only) must still verify, so a failed write costs time, not correctness
        if os.path.exists(tmp):
            os.remove(tmp)
    return rec


def _check_hex(name, value, lengths):
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a hex string, got {type(value).__name__}")
    v = value.strip().lower()
    if len(v) not in lengths or any(c not in "0123456789abcdef" for c in v):
        raise ValueError(f"{name} must be a hex digest of {min(lengths)} to {max(lengths)} "
                         f"hex digits, got {value!r}")
    return v


def normalize_hashes(sha256=None, md5=None):
    """Validated lowercase ``(sha256 or prefix of >= 1 digit, md5)``."""
    return _check_hex("sha256", sha256, range(1, 65)), _check_hex("md5", md5, (32,))


def compare_digests(path, rec, sha256=None, md5=None, size=None, url=None):
    """Raise ``IntegrityError`` if ``rec`` (from ``file_digests``) does not match the expectation.

    ``sha256`` may be a prefix (PyTorch hub's ``<name>-<prefix>.pth``); when both hashes are
    given the sha256 decides.
    """
    where = f" downloaded from {url}" if url else ""
    if size is not None and rec["size"] != size:
        raise IntegrityError(
            f"{path}{where} has {rec['size']} bytes, expected {size} bytes", path, "size",
            size, rec["size"])
    if sha256 is not None:
        if not rec["sha256"].startswith(sha256):
            raise IntegrityError(
                f"sha256 mismatch for {path}{where}: expected {sha256}, got "
                f"{rec['sha256'][:max(len(sha256), 8)]} ({rec['size']} bytes)", path, "sha256",
                sha256, rec["sha256"])
    elif md5 is not None and rec["md5"] != md5:
        raise IntegrityError(
            f"md5 mismatch for {path}{where}: expected {md5}, got {rec['md5']} "
            f"({rec['size']} bytes)", path, "md5", md5, rec["md5"])
