"""Verified, resumable downloads and safe archive extraction (``torchvision.datasets.utils``).

Every download goes through one path: a lock on ``<file>.lock`` so concurrent processes fetch
once, each mirror tried in turn with retries and exponential back-off, an HTTP ``Range`` resume
of ``<file>.partial`` after a cut connection, HTML error pages refused, size and sha256 (or md5)
checked before the file is renamed into place, and a ``<file>.verified`` record so a verified
file is not hashed again. ``EMBER_OFFLINE=1`` forbids network access; every failure ends with
the exact path where the file can be placed by hand.

The artifact registry (``register_dataset``, ``register_weights``, ``registry``, entry-point
group ``ember.registry``) and the operations on its entries (``download_entry``,
``verify_entry``, ``remove_entry``, ``entry_status``) live here too; ``ember-data`` is their
command line.

Example:
    >>> import ember
    >>> ember.utils.download.check_integrity("/no/such/file")
    False
"""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlparse

from ._archive import _check_magic, archive_type, extract_archive, extract_files
from ._download_http import fetch
from ._download_paths import get_data_root, get_home
from ._download_registry import (
    ENTRY_POINT_GROUP,
    RegistryEntry,
    RemoteFile,
    UnknownEntryError,
    entry_dir,
    file_path,
    get_entry,
    register,
    register_dataset,
    register_weights,
    registry,
    select_files,
)
from ._download_verify import (
    SIDECAR_SUFFIX,
    DownloadError,
    IntegrityError,
    OfflineError,
    UnsafeArchiveError,
    calculate_md5,
    calculate_sha256,
    compare_digests,
    file_digests,
    is_offline,
    normalize_hashes,
    read_sidecar,
)
from ._filelock import FileLock

__all__ = [
    # downloads
    "download_url", "download_and_extract_archive", "extract_archive", "check_integrity",
    "calculate_sha256", "calculate_md5", "get_home", "get_data_root", "is_offline",
    "DownloadError", "IntegrityError", "OfflineError", "UnsafeArchiveError",
    # registry
    "RemoteFile", "RegistryEntry", "UnknownEntryError", "ENTRY_POINT_GROUP", "register",
    "register_dataset", "register_weights", "registry", "get_entry", "entry_dir", "file_path",
    "select_files", "download_entry", "verify_entry", "remove_entry", "entry_status",
]


def check_integrity(fpath, md5=None, sha256=None) -> bool:
    """True if ``fpath`` exists and matches ``sha256`` (full or prefix) or ``md5``.

    With neither hash, existence alone is checked (as torchvision does). The digests are
    remembered in ``fpath.verified`` (keyed by size and mtime), so a file is hashed once.

    Args:
        fpath (str): the file.
        md5 (str, optional): expected hex md5. Default: ``None``.
        sha256 (str, optional): expected hex sha256 or a prefix of it; it takes precedence
            over ``md5``. Default: ``None``.

    Raises:
        ValueError: a hash is not a hex string of a valid length.

    Example:
        >>> import os, pathlib, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "f")
        >>> _ = pathlib.Path(p).write_bytes(b"abc")
        >>> check_integrity(p, md5="900150983cd24fb0d6963f7d28e17f72")
        True
        >>> check_integrity(p, sha256="0000")
        False
    """
    sha256, md5 = normalize_hashes(sha256, md5)
    fpath = os.fspath(fpath)
    if not os.path.isfile(fpath):
        return False
    if sha256 is None and md5 is None:
        return True
    try:
        compare_digests(fpath, file_digests(fpath), sha256=sha256, md5=md5)
    except IntegrityError:
        return False
    return True


def _mirror_url(mirror, url):
    return mirror.rstrip("/") + "/" + os.path.basename(urlparse(url).path)


def download_url(url, root, filename=None, md5=None, max_redirect_hops=3, *, sha256=None,
                 mirrors=(), size=None, progress=True, timeout=30.0, retries=3) -> str:
    """Download ``url`` (or the first working mirror) to ``root/filename``, verified.

    A file already present and matching the hash is kept and no request is made. The download
    is resumed after a cut connection, retried with back-off, checked against ``sha256`` /
    ``md5`` / ``size`` before it is renamed into place, and locked against other processes.

    Args:
        url (str): primary URL.
        root (str): directory to place the file in (created if needed).
        filename (str, optional): file name. Default: the last component of the URL's path.
        md5 (str, optional): expected md5 (what most dataset sites publish). Default: ``None``.
        max_redirect_hops (int, optional): accepted for torchvision compatibility; urllib
            follows up to 10 redirects. Default: 3.
        sha256 (str, optional): expected sha256 or a prefix; preferred over md5.
        mirrors (sequence of str, optional): further full URLs tried in order after ``url``.
        size (int, optional): expected size in bytes.
        progress (bool, optional): show a tqdm progress bar on stderr. Default: ``True``.
        timeout (float, optional): seconds without data before an attempt fails. Default: 30.
        retries (int, optional): extra attempts per URL after a transient failure. Default: 3.

    Returns:
        str: the path of the verified file.

    Raises:
        IntegrityError: every URL served a file with the wrong size or hash (not kept).
        OfflineError: ``EMBER_OFFLINE=1`` is set or no host could be reached.
        DownloadError: every URL failed (HTTP errors, HTML pages instead of data).

    Example:
        >>> import os, pathlib, tempfile
        >>> root = tempfile.mkdtemp()
        >>> _ = pathlib.Path(os.path.join(root, "f.bin")).write_bytes(b"abc")
        >>> os.path.basename(download_url("https://example.invalid/f.bin", root,
        ...                               md5="900150983cd24fb0d6963f7d28e17f72"))
        'f.bin'
    """
    root = os.path.expanduser(os.fspath(root))
    if filename is None:
        filename = os.path.basename(urlparse(url).path)
    if not filename:
        raise ValueError(f"download_url: cannot derive a file name from {url!r}; pass filename")
    return fetch([url, *mirrors], os.path.join(root, filename), sha256=sha256, md5=md5,
                 size=size, progress=progress, timeout=timeout, retries=retries)


def download_and_extract_archive(url, download_root, extract_root=None, filename=None,
                                 md5=None, remove_finished=False, *, sha256=None, mirrors=(),
                                 size=None, progress=True, timeout=30.0, retries=3) -> str:
    """``download_url`` then ``extract_archive``; returns the extraction directory.

    Args:
        url, filename, md5, sha256, mirrors, size, progress, timeout, retries: as in
            ``download_url``.
        download_root (str): directory for the archive.
        extract_root (str, optional): destination. Default: ``download_root``.
        remove_finished (bool, optional): delete the archive after extraction.

    Raises:
        UnsafeArchiveError: the archive holds an absolute path, ``..`` or an escaping link.
        DownloadError: as ``download_url``.

    Example:
        >>> import os, pathlib, tempfile, zipfile
        >>> root = tempfile.mkdtemp()
        >>> with zipfile.ZipFile(os.path.join(root, "a.zip"), "w") as z:
        ...     z.writestr("x.txt", "hi")
        >>> out = download_and_extract_archive("https://example.invalid/a.zip", root)
        >>> pathlib.Path(os.path.join(out, "x.txt")).read_text()
        'hi'
    """
    path = download_url(url, download_root, filename, md5, sha256=sha256, mirrors=mirrors,
                        size=size, progress=progress, timeout=timeout, retries=retries)
    return extract_archive(path, extract_root or download_root, remove_finished)


# --- operations on registry entries -----------------------------------------------------------

_EXTRACTED_SUFFIX = ".extracted"


def download_entry(name, root=None, *, split=None, mirror=None, progress=True, timeout=30.0,
                   retries=3) -> list[str]:
    """Fetch (and extract) the files of the registry entry ``name``; return their paths.

    Files already present and verified are not fetched again; an archive is extracted once per
    verified content (remembered in ``<archive>.extracted``).

    Args:
        name (str or RegistryEntry): the entry.
        root (str, optional): root directory (see ``entry_dir``).
        split (str, optional): only the files that split needs.
        mirror (str, optional): a base URL tried first: ``mirror/<file name of each URL>``.
        progress, timeout, retries: as in ``download_url``.

    Raises:
        UnknownEntryError: no entry has that name.
        ValueError: unknown split.
        DownloadError: a file could not be fetched (its subclasses as in ``download_url``).
    """
    entry = get_entry(name)
    paths = []
    for f in select_files(entry, split):
        dst = file_path(entry, f, root)
        urls = ([_mirror_url(mirror, f.urls[0])] if mirror else []) + list(f.urls)
        fetch(urls, dst, sha256=f.sha256, md5=f.md5, size=f.size, progress=progress,
              timeout=timeout, retries=retries)
        if f.extract_to is not None:
            _extract_once(dst, os.path.join(entry_dir(entry, root), *f.extract_to.split("/")))
        paths.append(dst)
    return paths


def _extract_once(archive, dest):
    """Extract ``archive`` into ``dest`` unless this very content was extracted there already
    and every file it produced is still present. Runs under a lock: concurrent processes
    (DataLoader workers, distributed ranks) extract once, never over each other."""
    digest = file_digests(archive)["sha256"]
    marker = archive + _EXTRACTED_SUFFIX
    with FileLock(marker):
        if os.path.exists(marker):
            with open(marker, encoding="utf-8") as f:
                lines = f.read().splitlines()
            if lines and lines[0] == digest and all(
                    os.path.exists(os.path.join(dest, *name.split("/"))) for name in lines[1:]):
                return
        kind, suffix = archive_type(archive)
        _check_magic(archive, kind, suffix)
        files = extract_files(archive, dest, kind, suffix)
        tmp = marker + ".partial"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join([digest, *files]) + "\n")
        os.replace(tmp, marker)


def verify_entry(name, root=None, *, split=None) -> list[tuple[str, str]]:
    """Re-hash every file of an entry; return ``[(path, status)]``.

    ``status`` is ``"ok"``, ``"missing"``, ``"no checksum registered"`` or the mismatch
    message. The ``.verified`` records are refreshed.
    """
    entry = get_entry(name)
    report = []
    for f in select_files(entry, split):
        path = file_path(entry, f, root)
        if not os.path.isfile(path):
            report.append((path, "missing"))
            continue
        rec = file_digests(path, use_sidecar=False)
        if f.sha256 is None and f.md5 is None and f.size is None:
            report.append((path, "no checksum registered"))
            continue
        try:
            compare_digests(path, rec, sha256=f.sha256, md5=f.md5, size=f.size)
        except IntegrityError as e:
            report.append((path, str(e)))
            continue
        report.append((path, "ok"))
    return report


def entry_status(name, root=None) -> str:
    """``"verified"``, ``"present"`` (not yet verified), ``"partial"`` or ``"missing"``.

    Cheap: files are not hashed; ``verified`` means every file has a matching ``.verified``
    record.
    """
    entry = get_entry(name)
    states = []
    for f in entry.files:
        path = file_path(entry, f, root)
        if not os.path.isfile(path):
            states.append("missing")
            continue
        rec = read_sidecar(path, os.stat(path))  # cheap: never hash here
        ok = rec is not None and (f.sha256 or f.md5 or f.size is not None)
        if ok:
            try:
                compare_digests(path, rec, sha256=f.sha256, md5=f.md5, size=f.size)
            except IntegrityError:
                ok = False
        states.append("verified" if ok else "present")
    if all(s == "verified" for s in states):
        return "verified"
    if all(s == "missing" for s in states):
        return "missing"
    return "partial" if "missing" in states else "present"


def remove_entry(name, root=None) -> list[str]:
    """Delete an entry's downloaded files and their ``.verified``/``.partial``/``.lock``/
    ``.corrupt``/``.extracted`` companions; return the removed paths.

    Extracted contents are left in place (they may be shared with other files).
    """
    entry = get_entry(name)
    removed = []
    for f in entry.files:
        path = file_path(entry, f, root)
        for p in (path, path + SIDECAR_SUFFIX, path + ".partial", path + ".lock",
                  path + ".corrupt", path + _EXTRACTED_SUFFIX):
            if os.path.isfile(p) or os.path.islink(p):
                os.remove(p)
                removed.append(p)
            elif os.path.isdir(p):
                shutil.rmtree(p)
                removed.append(p)
    return removed
