"""HTTP fetching with resume, retries, mirrors, locking and verification (private).

``fetch(urls, dst, ...)`` is the single download path under ``download_url``,
``ember.hub.download_url_to_file`` and the registry: under a lock on ``<dst>.lock`` it streams
each URL in turn into ``<dst>.partial`` (resumed with an HTTP ``Range`` request when a partial
file is already there), checks size and hash, and only then renames it to ``dst``. Anything that
fails is never visible at ``dst``.
"""

from __future__ import annotations

import http.client
import os
import socket
import sys
import time
import urllib.error
import urllib.request
import warnings

from ._download_verify import (
    DownloadError,
    IntegrityError,
    OfflineError,
    compare_digests,
    file_digests,
    is_offline,
    manual_placement_hint,
    normalize_hashes,
)
from ._filelock import FileLock

__all__ = ["fetch", "USER_AGENT"]

USER_AGENT = "ember/0.1 (+https://github.com/ember)"
_CHUNK = 128 * 1024
_BACKOFF_S = 1.0  # first retry delay; doubled at each further attempt on the same URL
_MAX_RESUMES = 1000  # resumes after cut connections that made progress, per URL
# transient HTTP statuses worth retrying on the same URL; any other 4xx moves to the next mirror
_RETRY_STATUS = {408, 425, 429}
_HTML_PREFIXES = (b"<!doctype html", b"<html", b"<head", b"<?xml version=\"1.0\"?>\n<!doctype html")


class _Transient(Exception):
    """A failure worth retrying on the same URL (cut connection, timeout, 5xx)."""


class _WrongContent(Exception):
    """The server answered with something that is not the file (an HTML page)."""


def _looks_like_html(head: bytes, content_type: str) -> bool:
    if "text/html" in content_type.lower():
        return True
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_HTML_PREFIXES)


def _progress_bar(total, initial, desc, enabled):
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                desc=desc, file=sys.stderr, leave=False)


def _attempt(url, partial, timeout, progress, allow_html):
    """Stream ``url`` into ``partial``, resuming from its current size when there is one."""
    offset = os.path.getsize(partial) if os.path.exists(partial) else 0
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:
            # NOTE: the partial file is as long as (or longer than) the resource: start over
            os.remove(partial)
            raise _Transient(f"HTTP 416 on resume from byte {offset}; restarting") from None
        if e.code >= 500 or e.code in _RETRY_STATUS:
            raise _Transient(f"HTTP {e.code} {e.reason}") from None
        raise
    with response:
        status = getattr(response, "status", 200)
        content_range = response.headers.get("Content-Range", "")
        if offset and status == 206:
            if not content_range.startswith(f"bytes {offset}-"):
                os.remove(partial)
                raise _Transient(f"asked for bytes {offset}- but the server sent "
                                 f"Content-Range {content_range!r}; restarting")
            mode = "ab"
        else:  # no resume, or the server ignored the Range header: the body is the whole file
            offset, mode = 0, "wb"
        length = response.headers.get("Content-Length")
        length = int(length) if length is not None and length.isdigit() else None
        total = None if length is None else offset + length
        received = 0
        bar = _progress_bar(total, offset, os.path.basename(partial)[:-len(".partial")],
                            progress)
        try:
            with open(partial, mode) as f:
                first = True
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except (http.client.HTTPException, OSError) as e:
                        f.flush()
                        raise _Transient(f"connection lost after {offset + received} bytes: "
                                         f"{e!r}") from None
                    if not chunk:
                        break
                    if first and offset == 0 and not allow_html and _looks_like_html(
                            chunk[:512], response.headers.get("Content-Type", "")):
                        raise _WrongContent(
                            "the server sent an HTML page (Content-Type "
                            f"{response.headers.get('Content-Type', 'unset')!r}) instead of "
                            "the file; a login, quota or error page is not data")
                    first = False
                    f.write(chunk)
                    received += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
                f.flush()
                os.fsync(f.fileno())
        finally:
            if bar is not None:
                bar.close()
        if length is not None and received < length:
            raise _Transient(f"connection closed after {offset + received} of {total} bytes")


def _remove(path):
    if os.path.exists(path):
        os.remove(path)


def _verified_existing(dst, sha256, md5, size):
    """True if ``dst`` exists and matches; a mismatching file is moved to ``dst.corrupt``."""
    if not os.path.exists(dst):
        return False
    if sha256 is None and md5 is None and size is None:
        return True
    try:
        compare_digests(dst, file_digests(dst), sha256=sha256, md5=md5, size=size)
    except IntegrityError as e:
        os.replace(dst, dst + ".corrupt")
        warnings.warn(f"{e}; moved it to {dst}.corrupt and downloading it again",
                      RuntimeWarning, stacklevel=3)
        return False
    return True


def fetch(urls, dst, *, sha256=None, md5=None, size=None, progress=True, timeout=30.0,
          retries=3, allow_html=None):
    """Download the first working URL of ``urls`` to ``dst``, verified; return ``dst``.

    Idempotent: a ``dst`` already present that matches the expected hash (or any present file
    when no hash is given) is returned without a request.
    """
    if isinstance(urls, str):
        urls = [urls]
    urls = list(urls)
    if not urls:
        raise ValueError("fetch: expected at least one URL, got none")
    dst = os.path.abspath(os.fspath(dst))
    sha256, md5 = normalize_hashes(sha256, md5)
    if allow_html is None:
        allow_html = dst.lower().endswith((".html", ".htm"))
    if _verified_existing(dst, sha256, md5, size):
        return dst
    hint = manual_placement_hint(dst, urls, sha256, md5)
    if is_offline():
        raise OfflineError(f"{dst} is missing and EMBER_OFFLINE is set, so it is not "
                           f"downloaded.\n{hint}")
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    partial = dst + ".partial"
    failures = []
    with FileLock(dst):
        # another process may have finished the download while this one waited for the lock
        if _verified_existing(dst, sha256, md5, size):
            return dst
        for url in urls:
            error = _fetch_one(url, partial, dst, sha256, md5, size, progress, timeout,
                               retries, allow_html)
            if error is None:
                return dst
            failures.append((url, error))
    details = "\n".join(f"  {url}: {err}" for url, err in failures)
    if all(isinstance(err, IntegrityError) for _, err in failures):
        last = failures[-1][1]
        raise IntegrityError(f"every URL served a corrupted copy of {dst} (not kept):\n"
                             f"{details}\n{hint}", dst, last.algorithm, last.expected,
                             last.actual)
    unreachable = all(isinstance(err, (urllib.error.URLError, OSError)) and
                      not isinstance(err, urllib.error.HTTPError) for _, err in failures)
    cls = OfflineError if unreachable else DownloadError
    reason = "no server could be reached" if unreachable else "every URL failed"
    raise cls(f"could not download {os.path.basename(dst)}: {reason}:\n{details}\n{hint}")


def _size(path):
    return os.path.getsize(path) if os.path.exists(path) else 0


def _fetch_one(url, partial, dst, sha256, md5, size, progress, timeout, retries, allow_html):
    """Try one URL with retries; on success move the file into place and return None.

    An attempt that made the partial file grow does not count against ``retries``: a flaky
    link that drops a multi-GB transfer every few minutes still completes (up to
    ``_MAX_RESUMES`` resumes).
    """
    error, failed, resumes = None, 0, 0
    while failed <= retries and resumes <= _MAX_RESUMES:
        before = _size(partial)
        try:
            _attempt(url, partial, timeout, progress, allow_html)
        except _Transient as e:
            error = DownloadError(str(e))
        except _WrongContent as e:
            _remove(partial)
            return DownloadError(str(e))
        except urllib.error.HTTPError as e:
            return DownloadError(f"HTTP {e.code} {e.reason}")
        except (TimeoutError, urllib.error.URLError, ConnectionError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, (socket.gaierror, ConnectionRefusedError)):
                return e  # no point retrying a host that does not resolve / listen
            error = e
        else:
            return _commit(url, partial, dst, sha256, md5, size)
        if _size(partial) > before:
            resumes += 1  # progress was made: resume at once
        else:
            failed += 1
            if failed <= retries:
                time.sleep(_BACKOFF_S * 2 ** (failed - 1))
    return error


def _commit(url, partial, dst, sha256, md5, size):
    """Verify the complete ``partial`` and rename it to ``dst``; return the error or None."""
    rec = file_digests(partial, use_sidecar=False)
    try:
        compare_digests(dst, rec, sha256=sha256, md5=md5, size=size, url=url)
    except IntegrityError as e:
        _remove(partial)
        _remove(partial + ".verified")
        return e
    os.replace(partial, dst)
    if os.path.exists(partial + ".verified"):  # (rename keeps mtime: the record holds)
        os.replace(partial + ".verified", dst + ".verified")
    return None
