"""Every error the Studio API returns has one shape: `{"error": {"code": ..., "message": ...}}`."""
from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any


class ApiError(Exception):
    status: HTTPStatus = HTTPStatus.BAD_REQUEST
    code: str = "BadRequest"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class BadRequest(ApiError):
    status, code = HTTPStatus.BAD_REQUEST, "BadRequest"


class Forbidden(ApiError):
    """The request's API key belongs to no tenant (a key in the usage plan that nobody mapped to a tenant)."""

    status, code = HTTPStatus.FORBIDDEN, "Forbidden"


class NotFound(ApiError):
    status, code = HTTPStatus.NOT_FOUND, "NotFound"


class Conflict(ApiError):
    status, code = HTTPStatus.CONFLICT, "Conflict"


class SourceNotPurgeable(ApiError):
    """A purge was asked for a source the API did not upload (an editor's own upload): it is never deleted
    through the API, so the request is refused before anything is removed."""

    status, code = HTTPStatus.CONFLICT, "SourceNotPurgeable"


class UploadTooLarge(ApiError):
    """The parts of a multipart upload add up to more than the size reserved for it: the upload is aborted."""

    status, code = HTTPStatus.CONFLICT, "UploadTooLarge"


class UploadExpired(ApiError):
    """Raised when a reserved upload is used after its reservation expired (parts, completion, or a job on an
    upload that arrived too late): reserve a new upload."""

    status, code = HTTPStatus.CONFLICT, "UploadExpired"


class PayloadTooLarge(ApiError):
    status, code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PayloadTooLarge"


class Throttled(ApiError):
    status, code = HTTPStatus.TOO_MANY_REQUESTS, "Throttled"


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> str:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return json.dumps({"error": error})


def proxy_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> dict:
    """An API Gateway proxy response, for errors raised before the resolver runs."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": error_body(code, message),
        "isBase64Encoded": False,
    }
