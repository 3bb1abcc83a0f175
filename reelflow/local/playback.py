"""The playback distribution, on this machine: what CloudFront does in front of the output bucket.

- The key pair: an operator makes one and gives the stack its public half (`playback_public_key`) and the
  signing-key secret its private half. Locally, `local_key_pair` makes one on first use under `.reelflow/playback/`
  (never committed), `stack_template` synthesizes with its public half, and `LocalCloud` puts the private half
  into the secret, as the operator does. The Api function then reads the secret and signs as in AWS.
- The distribution: `PlaybackServer` answers on the address the template's distribution got
  (`LocalCloud.playback_url`). Like CloudFront with a trusted key group it refuses (403) any request without a
  valid policy of a key in the template's key group (signed URL query first, else signed cookies:
  `functions.core.playback.verify`); then it reads the object from the output bucket (the origin), byte ranges
  included; and like the distribution's viewer-response function it turns a signed URL's query into cookies for
  the asset's folder. Differences: plain HTTP on 127.0.0.1 (so the cookies are not `Secure`), and no cache.
"""
from __future__ import annotations

import http.server
import os
import threading
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from functions.core.playback import (
    COOKIE_FOR_QUERY,
    AccessRefused,
    Refusal,
    credentials_from,
    load_public_key,
    verify,
)
from functions.core.s3io import content_type
from functions.core.settings import asset_prefix

if TYPE_CHECKING:
    from reelflow.local.cloud import LocalCloud

KEY_DIR = "playback"
PRIVATE_KEY = "private_key.pem"
PUBLIC_KEY = "public_key.pem"
PASSED_HEADERS = ("Content-Type", "Content-Length", "Content-Range", "ETag", "Last-Modified", "Accept-Ranges")


def local_key_pair(cache_dir: Path) -> tuple[bytes, str]:
    """(private key PEM, public key PEM) of this checkout's local playback key, made once (RSA 2048, as
    CloudFront needs). The first process to write it wins, so parallel workers agree on one key."""
    folder = cache_dir / KEY_DIR
    private = folder / PRIVATE_KEY
    if not private.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        partial = folder / f".{PRIVATE_KEY}.{os.getpid()}"
        partial.write_bytes(pem)
        partial.chmod(0o600)
        try:
            os.link(partial, private)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    pem = private.read_bytes()
    public = serialization.load_pem_private_key(pem, password=None).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return pem, public


def set_cookie_headers(path: str, query: dict[str, str]) -> list[str]:
    """The Set-Cookie headers the distribution's viewer-response function (infra/playback.py) adds: a signed
    URL's three values as cookies for the asset's folder (`/assets/<id>/`), session cookies. Not `Secure` here:
    the local distribution speaks plain HTTP on loopback, where a browser would drop Secure cookies."""
    parts = path.split("/")
    root = asset_prefix("").rstrip("/")
    if not all(query.get(name) for name in COOKIE_FOR_QUERY) or len(parts) < 4 or parts[1] != root or not parts[2]:
        return []
    attributes = f"Path=/{parts[1]}/{parts[2]}/; HttpOnly; SameSite=Lax"
    return [f"{cookie}={query[name]}; {attributes}" for name, cookie in COOKIE_FOR_QUERY.items()]


class _DistributionHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _DistributionServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        target = urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(target.query).items()}
        url = f"{self.server.base_url}{target.path}"
        try:
            cookies = {name: morsel.value for name, morsel in SimpleCookie(self.headers.get("Cookie", "")).items()}
        except CookieError:
            cookies = {}
        found = credentials_from(query, cookies)
        try:
            if found is None:
                raise AccessRefused(Refusal.NO_CREDENTIALS)
            verify(url, found[0], self.server.trusted)
        except AccessRefused as refused:
            self._refuse(403, "AccessDenied", refused.reason)
            return
        key = unquote(target.path).lstrip("/")
        try:
            kwargs = {"Range": self.headers["Range"]} if self.headers.get("Range") else {}
            response = self.server.s3.get_object(Bucket=self.server.bucket, Key=key, **kwargs)
        except self.server.s3.exceptions.NoSuchKey:
            # OAC grants the distribution GetObject only, so S3 answers a missing key with 403, as here.
            self._refuse(403, "AccessDenied", "no such object")
            return
        except Exception as exc:  # noqa: BLE001 - an origin error, e.g. an unsatisfiable range
            status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 502)
            self._refuse(status, "OriginError", "the origin refused the request")
            return
        headers = response["ResponseMetadata"]["HTTPHeaders"]
        self.send_response(response["ResponseMetadata"]["HTTPStatusCode"])
        if headers.get("content-type", "binary/octet-stream") == "binary/octet-stream":  # stored without one
            headers["content-type"] = content_type(Path(key))
        for name in PASSED_HEADERS:
            if headers.get(name.lower()):
                self.send_header(name, headers[name.lower()])
        self.send_header("Access-Control-Allow-Origin", "*")
        for cookie in set_cookie_headers(target.path, query) if found[1] else []:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        body = response["Body"]
        try:
            if self.command != "HEAD":
                for block in iter(lambda: body.read(256 * 1024), b""):
                    self.wfile.write(block)
        except (BrokenPipeError, ConnectionResetError):  # the player moved on (a seek)
            pass
        finally:
            body.close()

    do_HEAD = do_GET

    def _refuse(self, status: int, code: str, reason: str) -> None:
        body = f"<Error><Code>{code}</Code><Message>{reason}</Message></Error>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class _DistributionServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, base_url: str, bucket: str, s3, trusted: dict) -> None:
        super().__init__(address, _DistributionHandler)
        self.base_url, self.bucket, self.s3, self.trusted = base_url, bucket, s3, trusted


class PlaybackServer:
    """The template's distribution on the loopback address LocalCloud gave it, in a background thread."""

    def __init__(self, cloud: LocalCloud) -> None:
        if cloud.playback_url is None:
            raise RuntimeError("The stack has no playback distribution (no playback_public_key)")
        host, port = urlsplit(cloud.playback_url).netloc.split(":")
        self.url = cloud.playback_url
        self._server = _DistributionServer(
            (host, int(port)), base_url=cloud.playback_url, bucket=cloud.output_bucket, s3=cloud.client("s3"),
            trusted={key_id: load_public_key(pem) for key_id, pem in cloud.playback_public_keys().items()})
        self._thread = threading.Thread(target=self._server.serve_forever, name="playback", daemon=True)

    def start(self) -> PlaybackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
