"""HTTP server of the web app: the page, a JSON API and the route files (with Range requests).

Endpoints:

* ``GET /`` and ``/static/<file>``: the single page and its script and style;
* ``GET /api/routes``: every route of every evaluate stage (:func:`catalog.list_routes`);
* ``GET /api/routes/<stage>/<folder>``: one route with its record and infraction events;
* ``GET /files/<path>``: any file in the run folder, with ``Range`` support, which browsers need
  to seek in a video.

Built on the standard library (``http.server``) so serving results needs nothing installed.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lead_framework.webapp.catalog import (
    NotFoundError,
    UnsafePathError,
    check_run_dir,
    list_routes,
    resolve_inside,
    route_detail,
)

STATIC_DIR = Path(__file__).with_name("static")
CHUNK_BYTES = 256 * 1024
_CONTENT_TYPES = {".webm": "video/webm", ".mp4": "video/mp4", ".jsonl": "application/x-ndjson", ".md": "text/markdown; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """A ``Range`` header that selects no byte of the file."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte span a ``Range`` header asks for, or ``None`` to send the whole file.

    Handles ``bytes=a-b``, ``bytes=a-`` and ``bytes=-n`` (the last ``n`` bytes). Several ranges
    or other units are answered with the whole file, which RFC 9110 allows.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(header)
    return start, end


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class WebAppServer(ThreadingHTTPServer):
    """Serves one run folder; ``port=0`` picks a free port (see :attr:`url`)."""

    daemon_threads = True

    def __init__(self, run_dir: Path, host: str = "127.0.0.1", port: int = 0):
        self.root = check_run_dir(Path(run_dir))
        super().__init__((host, port), RequestHandler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{shown}:{port}/"

    def start(self) -> WebAppServer:
        """Serve in a background thread (for tests and embedding); :meth:`stop` ends it."""
        self._thread = threading.Thread(target=self.serve_forever, name="leadfw-webapp", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join()


class RequestHandler(BaseHTTPRequestHandler):
    server: WebAppServer
    protocol_version = "HTTP/1.1"
    server_version = "leadfw-webapp"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        """Quiet: a video player makes many range requests; errors still reach the page."""

    def do_HEAD(self) -> None:
        self._dispatch(send_body=False)

    def do_GET(self) -> None:
        self._dispatch(send_body=True)

    def _dispatch(self, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        try:
            if path in ("/", "/index.html"):
                self._send_file(STATIC_DIR / "index.html", send_body)
            elif path.startswith("/static/"):
                self._send_file(resolve_inside(STATIC_DIR.resolve(), path.removeprefix("/static/")), send_body)
            elif path == "/api/routes":
                self._send_json({"run_dir": str(self.server.root), "routes": list_routes(self.server.root)}, send_body)
            elif path.startswith("/api/routes/"):
                parts = path.removeprefix("/api/routes/").split("/")
                if len(parts) != 2:
                    raise NotFoundError(f"{path}: expected /api/routes/<stage>/<folder>")
                self._send_json(route_detail(self.server.root, *parts), send_body)
            elif path.startswith("/files/"):
                self._send_file(resolve_inside(self.server.root, path.removeprefix("/files/")), send_body)
            else:
                raise NotFoundError(f"{path}: no such page; the app is at /")
        except UnsafePathError as exc:
            self._send_error(HTTPStatus.FORBIDDEN, str(exc), send_body)
        except NotFoundError as exc:
            self._send_error(HTTPStatus.NOT_FOUND, str(exc), send_body)
        except (ValueError, OSError) as exc:
            if isinstance(exc, (BrokenPipeError, ConnectionResetError)):
                return  # the browser dropped a request it no longer needs (common while seeking)
            self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{path}: {exc}", send_body)

    def _send_json(self, data: Any, send_body: bool) -> None:
        body = json.dumps(data).encode("utf-8")
        self._send_bytes(HTTPStatus.OK, body, "application/json", send_body)

    def _send_error(self, status: HTTPStatus, message: str, send_body: bool) -> None:
        body = json.dumps({"error": message, "status": status.value}).encode("utf-8")
        self._send_bytes(status, body, "application/json", send_body)

    def _send_bytes(self, status: HTTPStatus, body: bytes, kind: str, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _send_file(self, path: Path, send_body: bool) -> None:
        if not path.is_file():
            raise NotFoundError(f"{self.path}: no such file")
        size = path.stat().st_size
        try:
            span = parse_range(self.headers.get("Range"), size)
        except RangeNotSatisfiable:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, end = span if span is not None else (0, size - 1)
        length = end - start + 1 if size else 0
        self.send_response(HTTPStatus.PARTIAL_CONTENT if span is not None else HTTPStatus.OK)
        self.send_header("Content-Type", content_type(path))
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-cache")
        if span is not None:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if not send_body:
            return
        with path.open("rb") as file:
            file.seek(start)
            remaining = length
            while remaining > 0:
                chunk = file.read(min(CHUNK_BYTES, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)


def has_display() -> bool:
    """Whether a graphical browser can open; without one ``webbrowser`` would start a text
    browser (lynx, w3m) in the terminal that runs the server."""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def serve(run_dir: Path, host: str = "127.0.0.1", port: int = 0, open_browser: bool = True) -> None:
    """Serve ``run_dir`` until interrupted, printing the URL (and opening it unless told not to)."""
    server = WebAppServer(run_dir, host, port)
    print(f"serving {server.root} at {server.url} (Ctrl-C to stop)", flush=True)
    if open_browser and has_display():
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
