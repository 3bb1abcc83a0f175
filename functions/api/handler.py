"""The Studio REST API: API Gateway (REST, proxy integration) -> Powertools' REST resolver.

Routes validate their input with pydantic (422 on a bad body or parameter) and the OpenAPI document
is generated from them: `GET /openapi.json`, and Swagger UI at `GET /swagger`. Every error has one
shape, `{"error": {"code", "message"}}`; a failure never returns a stack trace.
"""
from __future__ import annotations

import base64
import binascii
import os
import time
from functools import cache
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, Server
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from functions.api import models as m
from functions.api.errors import ApiError, BadRequest, Forbidden, PayloadTooLarge, error_body, proxy_error
from functions.api.service import ApiConfig, StudioService
from functions.core.models import JobStatus
from functions.core.observability import logger, tracer
from functions.core.repository import TenantDirectory

# Route parameters several routes share (Powertools validates them and documents them in OpenAPI).
IdParam = Annotated[str, Path(min_length=1, max_length=64)]
NextTokenParam = Annotated[str | None, Query(min_length=1, max_length=2048)]

# API Gateway refuses bodies over 10 MB; every body this API takes is a small JSON document.
MAX_BODY_BYTES = int(os.environ.get("MAX_BODY_BYTES", str(64 * 1024)))
# The deepest JSON body any route takes is 3 levels; deeper ones are refused before anything parses them.
MAX_JSON_DEPTH = 32
# How long a warm container trusts an API key id -> tenant lookup (a revoked mapping stops working after this).
TENANT_CACHE_SECONDS = 60
THROTTLING_CODES = {
    "ThrottlingException", "Throttling", "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "RequestLimitExceeded", "SlowDown", "LimitExceededException",
}
OPENAPI: dict[str, Any] = {
    "title": "Reelflow Studio API",
    "version": "1.0.0",
    "description": "Upload footage, start and re-run jobs, follow them, and fetch what they made.",
    "security_schemes": {"apiKey": APIKey(name="x-api-key", in_=APIKeyIn.header)},
    "security": [{"apiKey": []}],
}

app = APIGatewayRestResolver(enable_validation=True)
app.enable_swagger(path="/swagger", persist_authorization=True, **OPENAPI)


@cache
def config() -> ApiConfig:
    return ApiConfig.from_env()


_tenants: dict[str, tuple[float, str | None]] = {}


def caller_tenant() -> str:
    """The tenant of the API key API Gateway checked: the request context's `identity.apiKeyId` (set by the
    gateway, not by the client) looked up in the table's `APIKEY#<id>` items. A key without one is 403."""
    key_id = app.current_event.request_context.identity.api_key_id
    if not key_id:
        raise Forbidden("The request carries no API key")
    cached = _tenants.get(key_id)
    if cached is None or time.monotonic() - cached[0] > TENANT_CACHE_SECONDS:
        cached = _tenants[key_id] = (time.monotonic(), TenantDirectory(config().table_name).tenant_of_api_key(key_id))
    if cached[1] is None:
        raise Forbidden("This API key belongs to no tenant")
    return cached[1]


def service() -> StudioService:
    """The Studio, as the caller's tenant sees it."""
    return StudioService(config(), caller_tenant())


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def _error(status: int, code: str, message: str, details: list | None = None,
           headers: dict[str, str] | None = None) -> Response:
    return _json(status, error_body(code, message, details), headers)


def _errors(*codes: int) -> dict[int, dict]:
    descriptions = {400: "Bad request", 404: "Not found", 409: "Conflict", 413: "Body too large",
                    422: "Invalid body or parameters", 429: "Throttled"}
    return {code: {"description": descriptions[code], "content": {"application/json": {"model": m.ErrorBody}}}
            for code in codes}


def _ok(code: int, model: type, description: str) -> dict[int, dict]:
    return {code: {"description": description, "content": {"application/json": {"model": model}}}}


# ---- error handling: one shape for everything ----------------------------------------------------
@app.exception_handler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return _error(exc.status, exc.code, exc.message, exc.details, exc.headers)


@app.exception_handler(RequestValidationError)
def _invalid(exc: RequestValidationError) -> Response:
    # loc/type/msg only: no input echo, no Python internals.
    details = [{"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type"), "msg": e.get("msg")}
               for e in exc.errors()]
    if any(d["type"] == "json_invalid" for d in details):
        return _error(HTTPStatus.BAD_REQUEST, "BadRequest", "The body is not valid JSON")
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, "ValidationError", "The request is not valid", details)


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported(exc: RequestUnsupportedContentType) -> Response:
    return _error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType", "Send the body as application/json")


@app.not_found
def _no_route(exc: NotFoundError) -> Response:
    return _error(HTTPStatus.NOT_FOUND, "NotFound", "No such route")


@app.exception_handler(ClientError)
def _aws_error(exc: ClientError) -> Response:
    code = exc.response.get("Error", {}).get("Code", "")
    if code in THROTTLING_CODES:
        logger.warning("Throttled by a backing service", extra={"code": code})
        return _error(HTTPStatus.TOO_MANY_REQUESTS, "Throttled", "Too many requests; retry with backoff",
                      headers={"Retry-After": "1"})
    return _unexpected(exc)


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response:
    logger.exception("Unhandled error")
    return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "InternalError", "Something went wrong; it has been logged")


# ---- documentation ------------------------------------------------------------------------------
@app.get("/openapi.json", include_in_schema=False)
def openapi():
    return _json(200, app.get_openapi_json_schema(servers=[Server(url=_base_path() or "/")], **OPENAPI))


def _base_path() -> str:
    """The stage prefix clients call through: `/v1` on the execute-api host, nothing behind a custom domain
    (the request context's path carries the stage only in the first case)."""
    context = app.current_event.request_context
    stage, path = context.stage, context.path or ""
    return f"/{stage}" if stage and stage != "$default" and path.startswith(f"/{stage}") else ""


# ---- uploads ------------------------------------------------------------------------------------
@app.post("/uploads", tags=["uploads"], summary="Reserve an upload: a presigned POST, or a multipart upload",
          responses=_ok(201, m.UploadCreated, "Upload the file as upload_method says; the upload starts its job")
          | _errors(400, 413, 422, 429))
def create_upload(request: m.UploadRequest) -> Response[m.UploadCreated]:
    created = service().create_upload(request)
    return _json(201, created, {"Location": f"/assets/{created.asset_id}"})


@app.post("/uploads/<asset_id>/parts", tags=["uploads"], summary="Presigned URLs for parts of a multipart upload",
          responses=_ok(200, m.PartUrls, "PUT each part's bytes to its URL; keep the ETag each PUT answers")
          | _errors(400, 404, 409, 413, 422, 429))
def upload_parts(asset_id: IdParam, request: m.PartsRequest) -> m.PartUrls:
    return service().part_urls(asset_id, request)


@app.post("/uploads/<asset_id>/complete", tags=["uploads"], summary="Finish a multipart upload",
          responses=_ok(200, m.UploadCompleted, "Joined; the upload starts its job")
          | _errors(400, 404, 409, 413, 422, 429))
def complete_upload(asset_id: IdParam, request: m.CompleteRequest) -> m.UploadCompleted:
    return service().complete_upload(asset_id, request)


# ---- jobs ---------------------------------------------------------------------------------------
@app.post("/jobs", tags=["jobs"], summary="Start a job (or re-run an asset with new options)",
          responses=_ok(202, m.JobAccepted, "Started") | _ok(200, m.JobAccepted, "Already exists (duplicate)")
          | _errors(400, 404, 409, 413, 422, 429))
def create_job(request: m.JobRequest) -> Response[m.JobAccepted]:
    accepted = service().start(request)
    return _json(200 if accepted.duplicate else 202, accepted, {"Location": f"/jobs/{accepted.job_id}"})


@app.get("/jobs", tags=["jobs"], summary="List jobs, newest first",
         responses=_ok(200, m.JobPage, "A page of jobs") | _errors(400, 422, 429))
def list_jobs(
    status: Annotated[JobStatus | None, Query(description="Only jobs with this status")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    next_token: NextTokenParam = None,
) -> m.JobPage:
    return service().jobs(status, limit, next_token)


@app.get("/jobs/<job_id>", tags=["jobs"], summary="A job: status, per-stage results and timings, errors",
         responses=_ok(200, m.Job, "The job") | _errors(404, 422, 429))
def get_job(job_id: IdParam) -> m.Job:
    return service().job(job_id)


@app.post("/jobs/<job_id>/cancel", tags=["jobs"], summary="Cancel a queued or running job",
          responses=_ok(200, m.Job, "Cancelled") | _errors(404, 409, 422, 429))
def cancel_job(job_id: IdParam) -> m.Job:
    return service().cancel(job_id)


# ---- assets -------------------------------------------------------------------------------------
@app.get("/assets", tags=["assets"], summary="List assets, newest first",
         responses=_ok(200, m.AssetPage, "A page of assets") | _errors(400, 422, 429))
def list_assets(
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    next_token: NextTokenParam = None,
) -> m.AssetPage:
    return service().assets(limit, next_token)


@app.get("/assets/<asset_id>", tags=["assets"], summary="An asset, its latest job and links to its outputs",
         responses=_ok(200, m.Asset, "The asset") | _errors(404, 422, 429))
def get_asset(asset_id: IdParam) -> m.Asset:
    return service().asset(asset_id)


@app.delete("/assets/<asset_id>", tags=["assets"], summary="Delete an asset's outputs and records",
            responses=_ok(200, m.AssetDeleted, "Deleted") | _errors(404, 409, 422, 429))
def delete_asset(
    asset_id: IdParam,
    purge_source: Annotated[bool, Query(
        description="Also delete the source, if it was uploaded through this API (a delete marker: the "
                    "versioned bucket keeps it for its retention period)")] = False,
    erase: Annotated[bool, Query(
        description="Delete every version of the source uploaded through this API now, beyond undo "
                    "(implies purge_source)")] = False,
) -> m.AssetDeleted:
    return service().delete_asset(asset_id, purge_source, erase)


# ---- scenes -------------------------------------------------------------------------------------
@app.get("/assets/<asset_id>/scenes", tags=["scenes"], summary="An asset's scenes, optionally only those with a tag",
         responses=_ok(200, m.ScenePage, "A page of scenes") | _errors(400, 404, 422, 429))
def asset_scenes(
    asset_id: IdParam,
    tag: Annotated[str | None, Query(min_length=1, max_length=64, pattern=m.TAG_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    next_token: NextTokenParam = None,
) -> m.ScenePage:
    return service().asset_scenes(asset_id, tag, limit, next_token)


@app.get("/scenes", tags=["scenes"], summary="Search scenes of every asset by tag",
         responses=_ok(200, m.ScenePage, "A page of scenes") | _errors(400, 422, 429))
def search_scenes(
    tag: Annotated[str, Query(min_length=1, max_length=64, pattern=m.TAG_PATTERN)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    next_token: NextTokenParam = None,
) -> m.ScenePage:
    return service().scenes(tag, limit, next_token)


# ---- entry point --------------------------------------------------------------------------------
def body_size(event: dict) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode())


def body_problem(event: dict) -> ApiError | None:
    """What makes a body unreadable before the resolver parses it: not UTF-8 (JSON must be), or nested
    deeper than any route takes (a deep document would exhaust the parser's recursion)."""
    body = event.get("body")
    if not body:
        return None
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return BadRequest("The body is not UTF-8 text")
        event["body"], event["isBase64Encoded"] = body, False
    if json_depth(body) > MAX_JSON_DEPTH:
        return BadRequest(f"The body is nested deeper than {MAX_JSON_DEPTH} levels")
    return None


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    if body_size(event) > MAX_BODY_BYTES:
        error = PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes")
        return proxy_error(error.status, error.code, error.message)
    if (problem := body_problem(event)) is not None:
        return proxy_error(problem.status, problem.code, problem.message)
    return app.resolve(event, context)
