"""The Powertools Logger, Tracer and Metrics every handler shares, and the decorator stage handlers wear."""
from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions.core.cost import calls
from functions.core.cost.metering import billed_ms, configured_memory_mb
from functions.core.models import Billed, JobInput
from functions.core.redaction import redact

J = TypeVar("J", bound=JobInput)
Result = BaseModel | dict[str, Any]

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class RedactedFailure(Exception):
    """Raised by a stage handler in place of an exception whose message quoted a URL with its query
    string (a presigned URL's credentials): Lambda turns the message into the Step Functions error
    cause, which reaches the job record, the manifest and the event. The message is the original's,
    redacted, after its type."""


def job_handler(model: type[J]) -> Callable[[Callable[[J], Result]], Callable[[dict, LambdaContext], dict]]:
    """Turns `def handler(job: Model) -> ResultModel` into a Lambda handler: the event parsed into `model`
    (a payload that drifts from the contract fails at the edge), and Powertools logging with the
    job, asset and chunk ids on every line, and tracing. An exception whose message carries credentials
    leaves as a RedactedFailure, before the tracer or Lambda records it.

    The returned model is serialised here (handlers never dump their own), and the invocation is timed here:
    a result with a `seconds` field gets this invocation's wall-clock time added to what the handler put there,
    which is the time spent before it (the slowest of the parts that ran side by side), 0 by default. A result
    that is `Billed` gets what Lambda bills for this invocation (its cost, functions.core.cost)."""

    def decorate(fn: Callable[[J], Result]) -> Callable[[dict, LambdaContext], dict]:
        @logger.inject_lambda_context
        @tracer.capture_lambda_handler
        @functools.wraps(fn)
        def handler(event: dict, context: LambdaContext) -> dict:
            job = model.model_validate(event)
            chunk = getattr(job, "chunk", None)
            logger.append_keys(job_id=job.job_id, asset_id=job.asset_id,
                               **({"chunk": chunk.index} if chunk is not None else {}))
            calls.reset()
            started = time.monotonic()
            try:
                result = fn(job)
            except Exception as exc:
                clean = redact(str(exc))
                if clean == str(exc):
                    raise
                raise RedactedFailure(f"{type(exc).__name__}: {clean}") from None
            seconds = time.monotonic() - started
            return serialise(result, seconds, {"billed_ms": billed_ms(seconds), "memory_mb": configured_memory_mb(),
                                               "paid_calls": calls.taken()})

        return handler

    return decorate


def serialise(result: Result, seconds: float, billing: dict[str, Any] | None = None) -> dict[str, Any]:
    """`result` as the JSON document Lambda returns, with `seconds` added to its own and, for a Billed result,
    this invocation's `billing` (see job_handler)."""
    if not isinstance(result, BaseModel):
        return result
    update: dict[str, Any] = {}
    if "seconds" in type(result).model_fields:
        update["seconds"] = round(result.seconds + seconds, 3)
    if isinstance(result, Billed) and billing:
        update |= billing
    document = result.model_copy(update=update).model_dump(mode="json")
    if isinstance(result, Billed) and not document["paid_calls"]:
        del document["paid_calls"]  # most invocations make none; a chunk Map's results stay small
    return document
