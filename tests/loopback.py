"""A loopback HTTP server that counts what it is asked for, and playlists that point at it: the bait for
tests that prove ffmpeg and PyAV open the source and nothing else."""
from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

HLS_MIME = "application/vnd.apple.mpegurl"


@dataclass
class CountingServer:
    url: str
    requests: list[str] = field(default_factory=list)
    # path -> (body, content type): what it serves; every other path is a 404
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)


@contextmanager
def counting_server() -> Iterator[CountingServer]:
    """An HTTP server on 127.0.0.1 that records every request path, serves `files` and answers 404 otherwise."""
    server_state = CountingServer(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server_state.requests.append(self.path)
            body, kind = server_state.files.get(self.path.split("?")[0], (None, ""))
            self.send_response(404 if body is None else 200)
            if body is not None:
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body is not None and self.command == "GET":
                self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()


def hls_playlist(server_url: str, *, local_file: bool = True) -> bytes:
    """A VOD playlist whose segments are on the counting server and, with `local_file`, on the local disk.
    (ffmpeg 8 and later refuse a whole playlist naming a segment without a media extension when its
    demuxer runs; without `local_file` an unprotected open does fetch the segments.)"""
    local = "#EXTINF:4.0,\nfile:///etc/passwd\n" if local_file else ""
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:4.0,\n{server_url}/segment0.ts\n{local}"
        f"#EXTINF:4.0,\n{server_url}/segment1.ts\n"
        "#EXT-X-ENDLIST\n"
    ).encode()


def concat_list(server_url: str) -> bytes:
    """An ffconcat list naming a URL on the counting server and a local file."""
    return f"ffconcat version 1.0\nfile '{server_url}/part.mp4'\nfile '/etc/passwd'\n".encode()
