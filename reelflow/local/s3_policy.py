"""The function's S3 and DynamoDB grants from the template, enforced on its own calls (moto enforces no IAM).

Each handler process gets its role's S3 and DynamoDB statements (resolved to the local bucket and table names)
in `REELFLOW_S3_POLICY`. Every S3 call, every presigned URL and every DynamoDB call the handler makes through
boto3's default session is checked against them as IAM would check the request, and refused with AccessDenied
when no statement allows it, so a grant that is too narrow fails locally instead of after a deploy. Covered:
S3 object reads, writes (single and multipart), deletes (single and batch, with versions) and listings
(objects, versions) with the `s3:prefix` condition; DynamoDB item and batch calls, queries and scans on a table
or on one of its indexes. Other operations are not checked, and neither are clients of other sessions
(Powertools' idempotency layer makes its own).
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

ENV = "REELFLOW_S3_POLICY"
_WRITES = {"PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"}
_READS = {"GetObject", "HeadObject"}
_LISTS = {"ListObjects": "s3:ListBucket", "ListObjectsV2": "s3:ListBucket", "ListObjectVersions": "s3:ListBucketVersions"}
_TABLE_CALLS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "ConditionCheckItem", "DescribeTable"}
_BATCH_CALLS = {"BatchGetItem", "BatchWriteItem"}


class UnsupportedCondition(ValueError):
    """Raised when a statement carries a condition this checker cannot evaluate (only StringLike s3:prefix)."""


@dataclass(frozen=True)
class Request:
    """One IAM authorization question: may the caller do `action` on `resource` (with `prefix` for listings)?"""

    action: str
    resource: str
    prefix: str | None = None


def _pattern(glob: str) -> re.Pattern:
    """IAM wildcards: `*` any run of characters (slashes included), `?` any one character."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob), re.S)


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _matches(statement: dict, request: Request) -> bool:
    actions = as_list(statement.get("Action", []))
    if not any(_pattern(a.lower()).fullmatch(request.action.lower()) for a in actions):
        return False
    if not any(_pattern(r).fullmatch(request.resource) for r in as_list(statement.get("Resource", []))):
        return False
    for operator, tests in (statement.get("Condition") or {}).items():
        if operator != "StringLike" or set(tests) != {"s3:prefix"}:
            raise UnsupportedCondition(f"{operator} {sorted(tests)}")
        if request.prefix is None or not any(_pattern(p).fullmatch(request.prefix) for p in as_list(tests["s3:prefix"])):
            return False
    return True


def allowed(statements: Iterable[dict], request: Request) -> bool:
    """IAM's answer for one identity policy: an explicit Deny wins, then any Allow, else denied."""
    statements = list(statements)
    if any(s.get("Effect") == "Deny" and _matches(s, request) for s in statements):
        return False
    return any(s.get("Effect", "Allow") == "Allow" and _matches(s, request) for s in statements)


def requests_for(operation: str, params: dict) -> list[Request]:
    """The IAM requests an S3 operation makes (none for operations outside this checker's list)."""
    bucket = params.get("Bucket", "")
    obj = f"arn:aws:s3:::{bucket}/{params.get('Key', '')}"
    versioned = bool(params.get("VersionId"))
    if operation in _READS:
        return [Request("s3:GetObjectVersion" if versioned else "s3:GetObject", obj)]
    if operation in _WRITES:
        return [Request("s3:PutObject", obj)]
    if operation == "AbortMultipartUpload":
        return [Request("s3:AbortMultipartUpload", obj)]
    if operation == "DeleteObject":
        return [Request("s3:DeleteObjectVersion" if versioned else "s3:DeleteObject", obj)]
    if operation == "DeleteObjects":
        return [Request("s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject",
                        f"arn:aws:s3:::{bucket}/{o['Key']}") for o in params.get("Delete", {}).get("Objects", [])]
    if operation in _LISTS:
        return [Request(_LISTS[operation], f"arn:aws:s3:::{bucket}", params.get("Prefix", ""))]
    return []


def table_requests_for(operation: str, params: dict, table_arn: str) -> list[Request]:
    """The IAM requests a DynamoDB operation makes; `table_arn` is the ARN of a table named `{}`."""
    if operation in _TABLE_CALLS:
        arn = table_arn.format(params.get("TableName", ""))
        index = params.get("IndexName")
        return [Request(f"dynamodb:{operation}", f"{arn}/index/{index}" if index else arn)]
    if operation in _BATCH_CALLS:
        return [Request(f"dynamodb:{operation}", table_arn.format(name)) for name in params.get("RequestItems", {})]
    return []


def enforce(session: Any, statements: list[dict], function: str, table_arn: str | None = None) -> None:
    """Refuse every S3 call (and presigned URL) made through `session`'s clients, created from now on,
    that `statements` do not allow; DynamoDB calls too when `table_arn` (with `{}` for the table name) is given."""
    from botocore.exceptions import ClientError

    def refuse_unless_allowed(requests: list[Request], operation: str) -> None:
        for request in requests:
            if not allowed(statements, request):
                message = f"{function} is not authorized to perform {request.action} on {request.resource}"
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": message}}, operation)

    def check_s3(params: dict, model: Any, **_: Any) -> None:
        refuse_unless_allowed(requests_for(model.name, params), model.name)

    def check_dynamodb(params: dict, model: Any, **_: Any) -> None:
        assert table_arn is not None
        refuse_unless_allowed(table_requests_for(model.name, params, table_arn), model.name)

    session.events.register("before-parameter-build.s3", check_s3)
    if table_arn:
        session.events.register("before-parameter-build.dynamodb", check_dynamodb)


def enforce_from_environment() -> None:
    """In a handler process: enforce its role's statements on boto3's default session, which every handler
    client comes from. Runs before the handler module is imported, so before any client exists."""
    document = os.environ.get(ENV)
    if not document:
        return
    import boto3

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    # arn:aws:lambda:<region>:<account>:function:<name>: tables live in the same region and account.
    _, partition, _, region, account, *_ = (os.environ.get("REELFLOW_FUNCTION_ARN") or "::::::").split(":")
    table_arn = f"arn:{partition}:dynamodb:{region}:{account}:table/{{}}" if region and account else None
    enforce(boto3.DEFAULT_SESSION, json.loads(document), os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "the function"),
            table_arn)
