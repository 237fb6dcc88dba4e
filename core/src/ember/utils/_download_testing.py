"""A local HTTP file server with fault switches, for testing downloads (private).

Used by ember's download, hub and CLI tests and usable by domain packages to test their dataset
classes offline::

    with FileServer({"a.bin": b"..."}) as srv:
        download_url(srv.url("a.bin"), root)
        assert srv.count("a.bin") == 1

Switches (dicts keyed by served path): ``status`` answers with that HTTP status, ``html``
answers with an HTML page, ``cut`` closes the connection after that many bytes of the file
(once; a list: one offset per request, in order), ``bad_range`` answers a ``Range`` request
with the whole file labelled ``206 bytes 0-``, ``delay`` sleeps that long before each 64 KiB
block, ``no_range`` ignores ``Range``.
``requests`` logs ``(path, range_header)`` of every GET.
"""

from __future__ import annotations

import os
import re
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["FileServer", "write_registry_plugin"]

_RANGE = re.compile(r"bytes=(\d+)-$")
_BLOCK = 64 * 1024


class FileServer:
    """Serve ``files`` (path -> bytes) on 127.0.0.1 with a free port, in a daemon thread."""

    def __init__(self, files=None):
        self.files = dict(files or {})
        self.status: dict[str, int] = {}
        self.html: set[str] = set()
        self.cut: dict[str, int] = {}
        self.delay: dict[str, float] = {}
        self.no_range: set[str] = set()
        self.bad_range: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def count(self, path: str) -> int:
        """Number of GET requests seen for ``path``."""
        with self._lock:
            return sum(1 for p, _ in self.requests if p == path)

    def ranges(self, path: str) -> list[str | None]:
        """The ``Range`` headers of the GET requests for ``path`` (None where absent)."""
        with self._lock:
            return [r for p, r in self.requests if p == path]

    def __enter__(self):
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        return False

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                path = self.path.lstrip("/")
                range_header = self.headers.get("Range")
                with server._lock:
                    server.requests.append((path, range_header))
                    cut = server.cut.pop(path, None)
                    if isinstance(cut, list):
                        if len(cut) > 1:
                            server.cut[path] = cut[1:]
                        cut = cut[0] if cut else None
                if path in server.status:
                    self.send_error(server.status[path])
                    return
                if path in server.html:
                    body = b"<!DOCTYPE html><html><body>Quota exceeded</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if path not in server.files:
                    self.send_error(404)
                    return
                data = server.files[path]
                start = 0
                match = _RANGE.match(range_header or "")
                if match and path in server.bad_range:
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes 0-{len(data) - 1}/{len(data)}")
                elif match and path not in server.no_range:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                stop = len(data) if cut is None else max(cut, start)
                try:
                    for i in range(start, stop, _BLOCK):
                        if path in server.delay:
                            time.sleep(server.delay[path])
                        self.wfile.write(data[i:min(i + _BLOCK, stop)])
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (a timeout test): nothing to report
                # with ``cut`` the handler returns early: HTTP/1.0 closes the connection

        return Handler


def write_registry_plugin(directory, module, source, name="test"):
    """Make ``directory`` an installed distribution declaring an ``ember.registry`` entry point.

    Writes ``<module>.py`` with ``source`` (which must define ``entries()``) and a
    ``<module>-0.0.dist-info`` with ``entry_points.txt``; put ``directory`` on ``sys.path``
    (or ``PYTHONPATH``) and ``importlib.metadata`` finds the entry point ``name``.
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"{module}.py"), "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(source))
    info = os.path.join(directory, f"{module}-0.0.dist-info")
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.0\n")
    with open(os.path.join(info, "entry_points.txt"), "w", encoding="utf-8") as f:
        f.write(f"[ember.registry]\n{name} = {module}:entries\n")
    return directory
