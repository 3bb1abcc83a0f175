"""A folder served over HTTP on 127.0.0.1 with byte ranges: what a browser needs to play and seek the media
of an asset folder (Python's SimpleHTTPRequestHandler ignores Range, so a seek snaps back to the start).

Only files under the folder are served (no listings, no `..`, no symlinks out); GET and HEAD only.
"""
from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from functions.core.s3io import content_type

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024


class FileRangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves files under `root` (set on a subclass), honouring a single `Range: bytes=a-b`."""

    root: Path
    protocol_version = "HTTP/1.1"

    def resolve(self) -> Path | None:
        """The file the request path names under `root`, or None (missing, a folder, or outside the root)."""
        relative = unquote(urlsplit(self.path).path).lstrip("/")
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        path = (self.root / relative).resolve()
        return path if path.is_file() and path.is_relative_to(self.root.resolve()) else None

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.authorised_path()
        if path is not None:
            self.send_file(path)

    do_HEAD = do_GET

    def authorised_path(self) -> Path | None:
        """The file to send, or None once an error response has been sent. Subclasses add checks here."""
        path = self.resolve()
        if path is None:
            self.send_error(404)
        return path

    def send_file(self, path: Path) -> None:
        size = path.stat().st_size
        start, end, status = 0, size - 1, 200
        match = _RANGE.match(self.headers.get("Range", "").strip())
        if match and (match.group(1) or match.group(2)):
            first, last = match.groups()
            if first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:  # a suffix: the last N bytes
                start, end = max(0, size - int(last)), size - 1
            if start > end or start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", content_type(path))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Cache-Control", "no-cache")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            return
        with path.open("rb") as handle:
            handle.seek(start)
            left = end - start + 1
            while left > 0:
                block = handle.read(min(CHUNK, left))
                if not block:
                    break
                try:
                    self.wfile.write(block)
                except (BrokenPipeError, ConnectionResetError):  # the player moved on (a seek)
                    return
                left -= len(block)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve_folder(folder: Path, port: int = 0,
                 handler: type[FileRangeHandler] = FileRangeHandler) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 (`port` 0 picks a free one) until the block ends; yields the base URL."""
    bound = type("FolderHandler", (handler,), {"root": Path(folder)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), bound)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="reelflow-files", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
