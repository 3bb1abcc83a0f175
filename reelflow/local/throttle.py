"""The throttling fault (`Faults.throttle`): in a handler process, a fraction of S3 and DynamoDB calls answer as
the services do when they shed load (S3 503 SlowDown, DynamoDB ProvisionedThroughputExceededException), before
the request leaves the process. The SDK's retry configuration (functions/core/aws.py) must absorb them.

The throttled calls are chosen by count, not by chance: the first call of every process and then one in every
1/fraction. Every handler then meets a throttle at least once, and a test of the fault cannot pass or fail on
the draw (a random fifth once throttled only 2 calls of a whole job)."""
from __future__ import annotations

import itertools
import json
import logging
import os
from typing import Any

ENV = "REELFLOW_LOCAL_THROTTLE"
MARKER = "reelflow-fault: throttled"  # in the invocation's log, so tests can count what was injected

_ANSWERS: dict[str, tuple[int, dict[str, str], bytes]] = {
    "s3": (503, {"Content-Type": "application/xml"},
           b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>SlowDown</Code>"
           b"<Message>Please reduce your request rate.</Message></Error>"),
    "dynamodb": (400, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps({
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded."}).encode()),
}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any):
        yield self._body


def throttle(session: Any, fraction: float) -> None:
    """Answer `fraction` of the S3 and DynamoDB calls made through `session`'s clients as throttled: the first,
    then every round(1 / fraction)th."""
    from botocore.awsrequest import AWSResponse

    every = max(1, round(1 / fraction))
    calls = itertools.count()
    log = logging.getLogger("reelflow.faults")

    def maybe_throttle(request: Any, **kwargs: Any) -> AWSResponse | None:
        service = kwargs["event_name"].split(".")[1]
        if service not in _ANSWERS or next(calls) % every:
            return None
        status, headers, body = _ANSWERS[service]
        log.warning("%s %s %s", MARKER, service, request.url.split("?")[0])
        return AWSResponse(request.url, status, headers, _Raw(body))

    session.events.register("before-send.s3", maybe_throttle)
    session.events.register("before-send.dynamodb", maybe_throttle)


def throttle_from_environment() -> None:
    """In a handler process, before the handler module makes any client (see s3_policy.enforce_from_environment)."""
    fraction = float(os.environ.get(ENV) or 0)
    if fraction <= 0:
        return
    import boto3

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    throttle(boto3.DEFAULT_SESSION, fraction)
