"""`reelflow serve`: the Studio API on 127.0.0.1, with this module playing API Gateway.

The stack runs on the LocalCloud (moto server on loopback, so the presigned URLs the API hands out work
for any HTTP client). Each HTTP request becomes an API Gateway REST proxy event and runs the `Api`
function's handler, as the template names it and with its template environment. What the gateway does
in AWS, this does here, in the same shape (`{"error": {"code", "message"}}`):
- routes: only the resources and methods the template declares exist; anything else is 404;
- the API keys: `x-api-key` must be one of the keys (403 otherwise), and the request context carries that
  key's id (`identity.apiKeyId`), which the handler maps to its tenant through the table's `APIKEY#<id>`
  items; this registers each key there at start, as an operator does in AWS. SigV4 (`api_auth=iam`) is
  not emulated;
- required query parameters (422) and API Gateway's 10 MB body limit (413). JSON bodies are validated
  by the handler, with the same pydantic models the gateway's body models are generated from;
- a handler crash is a 502, a handler over its timeout a 504.
It also runs the stack's playback distribution (reelflow.local.playback), where the signed `playback` URLs that
`GET /assets/{id}` returns point.

Lambda keeps an execution environment warm between requests; so does this by default: a few long-lived
worker processes (one request at a time each) instead of a fresh process per request (`--cold`, which is
`LocalCloud.run_handler`, as every other function runs). Workers are started lazily, up to WARM_WORKERS.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import re
import secrets
import select
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from reelflow.local.cloud import FunctionRuntime, LocalCloud

API_FUNCTION = "Api"
STAGE = "v1"
GATEWAY_MAX_BODY = 10 * 1024 * 1024  # API Gateway's hard limit
WARM_WORKERS = 4
DOCS_PATHS = ("/swagger", "/openapi.json")

Invoker = Callable[[dict], tuple[Any, bool]]


class InvalidApiKeys(ValueError):
    """REELFLOW_API_KEYS is not a list of `tenant:key` pairs with valid tenant ids and distinct keys."""


def parse_api_keys(spec: str) -> dict[str, str]:
    """`tenant-a:key-a,tenant-b:key-b` -> {tenant: key}."""
    from functions.core.models import TENANT_PATTERN

    keys: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in spec.split(","))):
        tenant, colon, key = pair.partition(":")
        if not colon or not key or not re.fullmatch(TENANT_PATTERN, tenant) or tenant in keys:
            raise InvalidApiKeys(f"REELFLOW_API_KEYS: {pair.split(':')[0]!r} is not a new tenant id with a key "
                                 "(tenant ids: lowercase letters, digits and '-')")
        keys[tenant] = key
    if len(set(keys.values())) != len(keys):
        raise InvalidApiKeys("REELFLOW_API_KEYS: two tenants have the same key")
    return keys


def api_keys_from(api_key: str | None, environ: dict[str, str]) -> dict[str, str]:
    """{tenant: key}: REELFLOW_API_KEYS, plus the default tenant's key from --api-key or REELFLOW_API_KEY;
    a generated key for the default tenant when neither names one."""
    from functions.core.models import DEFAULT_TENANT

    keys = parse_api_keys(environ.get("REELFLOW_API_KEYS", ""))
    single = api_key or environ.get("REELFLOW_API_KEY")
    if single or not keys:
        keys.setdefault(DEFAULT_TENANT, single or secrets.token_urlsafe(24))
    return keys


def key_id(api_key: str) -> str:
    """A stable id for a local key, standing in for API Gateway's key id (never the key itself)."""
    return "local-" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def error_response(status: int, code: str, message: str) -> dict:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"error": {"code": code, "message": message}}),
    }


# ---- routes: the resources API Gateway has --------------------------------------------------------
class RouteTable:
    def __init__(self, routes: list[tuple[str, str, tuple[str, ...]]]) -> None:
        self._routes = [(self._regex(path), path, method, required) for path, method, required in routes]

    @classmethod
    def from_template(cls, template: dict) -> RouteTable:
        """The API's resources and methods as the synthesized template declares them."""
        resources = {lid: r for lid, r in template["Resources"].items() if r["Type"] == "AWS::ApiGateway::Resource"}

        def path_of(ref: Any) -> str:
            if isinstance(ref, dict) and "Ref" in ref:
                props = resources[ref["Ref"]]["Properties"]
                return path_of(props["ParentId"]).rstrip("/") + "/" + props["PathPart"]
            return "/"  # Fn::GetAtt RootResourceId

        routes = []
        for res in template["Resources"].values():
            if res["Type"] != "AWS::ApiGateway::Method" or res["Properties"]["HttpMethod"] == "OPTIONS":
                continue
            props = res["Properties"]
            required = tuple(
                name.rsplit(".", 1)[-1] for name, needed in (props.get("RequestParameters") or {}).items()
                if needed and name.startswith("method.request.querystring.")
            )
            routes.append((path_of(props["ResourceId"]), props["HttpMethod"], required))
        return cls(routes)

    @staticmethod
    def _regex(path: str) -> re.Pattern:
        return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")

    def match(self, method: str, path: str) -> tuple[str, dict[str, str], tuple[str, ...]] | None:
        """(resource template, path parameters, required query names) of the method, or None."""
        for regex, template, route_method, required in self._routes:
            found = regex.match(path)
            if found and route_method == method:
                return template, {k: unquote(v) for k, v in found.groupdict().items()}, required
        return None


def proxy_event(
    method: str,
    path: str,
    *,
    resource: str,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    source_ip: str = "127.0.0.1",
    api_key: str | None = None,
    api_key_id: str | None = None,
    host: str = "127.0.0.1",
) -> dict:
    """An API Gateway REST API (v1) Lambda proxy event, as the gateway builds it."""
    headers = dict(headers or {})
    multi_headers = {k: [v] for k, v in headers.items()}
    is_b64 = False
    text: str | None = None
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, is_b64 = base64.b64encode(body).decode(), True
    now = datetime.now(UTC)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": dict(query) if query else None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": uuid.uuid4().hex[:16],
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": path,
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": host.split(".")[0],
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {
                "sourceIp": source_ip,
                "apiKey": api_key,
                "apiKeyId": api_key_id,
                "userAgent": headers.get("User-Agent") or headers.get("user-agent"),
                "accessKey": None, "accountId": None, "caller": None, "user": None, "userArn": None,
                "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None,
            },
            "domainName": host,
            "apiId": "local",
        },
        "body": text,
        "isBase64Encoded": is_b64,
    }


# ---- the function behind the gateway ------------------------------------------------------------
class WarmWorker:
    """One long-lived process running the handler: events in on stdin, results out on a JSON line."""

    def __init__(self, fn: FunctionRuntime, env: dict[str, str], log_file: Path) -> None:
        self.fn = fn
        self._log = log_file.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reelflow.local.serve", "--worker", fn.handler],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, env=env,
            start_new_session=True,  # a terminal's Ctrl-C reaches the server, which closes its workers
        )

    def invoke(self, event: dict) -> tuple[Any, bool]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(event).encode() + b"\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], self.fn.timeout_s)
        if not ready:
            self.close()
            raise TimeoutError(f"{self.fn.name} did not answer within {self.fn.timeout_s} s")
        line = self.proc.stdout.readline()
        if not line:
            self.close()
            raise RuntimeError(f"{self.fn.name}'s worker exited (see {self._log.name})")
        outcome = json.loads(line)
        return (outcome["result"], False) if outcome["ok"] else (outcome["error"], True)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream:
                stream.close()
        self._log.close()


class WarmPool:
    def __init__(self, cloud: LocalCloud, fn: FunctionRuntime, size: int = WARM_WORKERS) -> None:
        self.cloud, self.fn, self.size = cloud, fn, size
        self._idle: queue.Queue[WarmWorker] = queue.Queue()
        self._all: list[WarmWorker] = []
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Start one worker now, so the first request does not pay for the imports."""
        self._idle.put(self._take())

    def _take(self) -> WarmWorker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self._all) < self.size:
                logs = self.cloud.workdir / "logs"
                logs.mkdir(parents=True, exist_ok=True)
                worker = WarmWorker(self.fn, self.cloud.handler_environment(self.fn),
                                    logs / f"{self.fn.logical_id}-warm-{len(self._all)}.log")
                self._all.append(worker)
                return worker
        return self._idle.get()

    def __call__(self, event: dict) -> tuple[Any, bool]:
        worker = self._take()
        try:
            return worker.invoke(event)
        finally:
            if worker.alive:
                self._idle.put(worker)
            else:
                with self._lock:
                    self._all.remove(worker)

    def close(self) -> None:
        with self._lock:
            for worker in self._all:
                worker.close()
            self._all.clear()


# ---- the gateway --------------------------------------------------------------------------------
class Gateway:
    """HTTP request -> route, key and limit checks -> proxy event -> handler -> HTTP response."""

    def __init__(self, invoke: Invoker, api_keys: list[str], routes: RouteTable, *, open_docs: bool = False) -> None:
        self.invoke = invoke
        self.key_ids = {key: key_id(key) for key in api_keys}
        self.routes = routes
        self.open_docs = open_docs

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes | None,
               source_ip: str = "127.0.0.1", host: str = "127.0.0.1") -> dict:
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        matched = self.routes.match(method, path)
        if matched is None:
            return error_response(404, "NotFound", "No such route")
        resource, path_parameters, required = matched
        lower = {k.lower(): v for k, v in headers.items()}
        key = lower.get("x-api-key")
        known = self._known(key)
        docs = self.open_docs and method == "GET" and path in DOCS_PATHS
        if not docs and known is None:
            return error_response(403, "Forbidden", "Missing or invalid API key")
        if body and len(body) > GATEWAY_MAX_BODY:
            return error_response(413, "PayloadTooLarge", "The body is too large")
        query = parse_qs(url.query, keep_blank_values=True)
        if any(name not in query for name in required):
            return error_response(422, "ValidationError", "A required parameter is missing")
        event = proxy_event(method, path, resource=resource, path_parameters=path_parameters, query=query,
                            headers=headers, body=body, source_ip=source_ip, api_key=key,
                            api_key_id=self.key_ids[known] if known else None, host=host)
        try:
            result, errored = self.invoke(event)
        except TimeoutError:
            return error_response(504, "GatewayError", "Endpoint request timed out")
        if errored or not isinstance(result, dict) or "statusCode" not in result:
            return error_response(502, "GatewayError", "Internal server error")
        return result

    def _known(self, key: str | None) -> str | None:
        """The key, if it is one of the keys (compared in constant time, every key each time)."""
        found = None
        for candidate in self.key_ids:
            if key is not None and hmac.compare_digest(key.encode(), candidate.encode()):
                found = candidate
        return found


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: with Nagle's algorithm on, a keep-alive client's delayed ACK held
    # each response back by about 40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        started = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        if length > GATEWAY_MAX_BODY:
            # Not read: refuse before taking 10 MB+ off the socket, and close.
            self.close_connection = True
            response = error_response(413, "PayloadTooLarge", "The body is too large")
        else:
            body = self.rfile.read(length) if length else None
            response = self.server.gateway.handle(
                self.command, self.path, dict(self.headers.items()), body,
                source_ip=self.client_address[0], host=self.headers.get("Host", "127.0.0.1"),
            )
        self._write(response)
        self.server.log(f"{self.command} {self.path} -> {response['statusCode']} "
                        f"({(time.monotonic() - started) * 1000:.0f} ms)")

    def _write(self, response: dict) -> None:
        body = response.get("body") or ""
        data = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
        self.send_response(int(response["statusCode"]))
        headers = {k: [v] for k, v in (response.get("headers") or {}).items()}
        for k, values in (response.get("multiValueHeaders") or {}).items():
            headers[k] = list(values)
        for name, values in headers.items():
            if name.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            for value in dict.fromkeys(str(v) for v in values):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request comes from _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, gateway: Gateway, log: Callable[[str], None]) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.gateway = gateway
        self.log = log


class ApiServer:
    """The gateway on 127.0.0.1:port in a background thread."""

    def __init__(self, cloud: LocalCloud, *, port: int = 0, api_keys: dict[str, str] | None = None,
                 cold: bool = False, open_docs: bool = False, log: Callable[[str], None] = lambda line: None) -> None:
        from functions.core.repository import TenantDirectory

        self.cloud = cloud
        self.api_keys = api_keys or api_keys_from(None, {})  # {tenant: key}
        directory = TenantDirectory(cloud.table_name)
        for tenant, key in self.api_keys.items():
            directory.register(tenant, key_id(key))
        fn = cloud.function(API_FUNCTION)
        self._pool = None if cold else WarmPool(cloud, fn)
        invoke: Invoker = self._pool if self._pool else (lambda event: cloud.run_handler(fn, event, queued=False))
        self.gateway = Gateway(invoke, list(self.api_keys.values()), RouteTable.from_template(cloud.template),
                               open_docs=open_docs)
        self._server = _Server(port, self.gateway, log)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="api-gateway", daemon=True)
        self.playback = None
        if cloud.playback_url:
            from reelflow.local.playback import PlaybackServer

            self.playback = PlaybackServer(cloud)

    def start(self) -> ApiServer:
        if self._pool:
            self._pool.warm_up()
        if self.playback:
            self.playback.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.playback:
            self.playback.stop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self._pool:
            self._pool.close()


def serve(cloud: LocalCloud, *, port: int, api_key: str | None, cold: bool = False, open_docs: bool = False,
          out: Callable[[str], None] = print) -> int:
    """Serve until Ctrl-C (or SIGTERM); then stop the server and its workers. The caller stops the cloud."""
    import signal

    server = ApiServer(cloud, port=port, api_keys=api_keys_from(api_key, dict(os.environ)), cold=cold,
                       open_docs=open_docs, log=out).start()
    out(f"Studio API:  {server.url}")
    for tenant, key in server.api_keys.items():
        out(f"API key:     {key}   (tenant {tenant}; send it as the x-api-key header)")
    docs_note = "" if open_docs else "   (needs x-api-key; --open-docs lets a browser in)"
    out(f"Swagger UI:  {server.url}/swagger{docs_note}")
    out(f"OpenAPI:     {server.url}/openapi.json")
    if server.playback:
        out(f"Playback:    {server.playback.url}   (the CloudFront distribution: signed URLs from GET /assets/{{id}})")
    out(f"S3 (moto):   {cloud.endpoint}   ingest bucket: {cloud.ingest_bucket}")
    out(f'Try:         curl -s -H "x-api-key: {next(iter(server.api_keys.values()))}" {server.url}/jobs')
    out("Ctrl-C stops.")

    def _terminate(*_: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        out("Stopping...")
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    return 0


# ---- the worker process -------------------------------------------------------------------------
def _worker(handler_path: str) -> int:
    """Run `handler_path` on each JSON line of stdin; one JSON result line each on the original stdout."""
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # what the handler prints (Powertools' logs) goes to the log file, not the channel
    sys.stdout = sys.stderr
    from reelflow.local.invoke import invoke, load_handler

    handler = load_handler(handler_path)
    for line in sys.stdin:
        outcome = invoke(handler, handler_path, json.loads(line))
        channel.write(json.dumps(outcome, default=str) + "\n")
        channel.flush()
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        raise SystemExit(_worker(sys.argv[2]))
    raise SystemExit("usage: python -m reelflow.local.serve --worker HANDLER (use `reelflow serve`)")
