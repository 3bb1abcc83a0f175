"""Run one Lambda handler in this process, the way the Lambda runtime would.

`run_invocation` is what each invocation's process executes (forked by `reelflow.local.zygote`
with that function's environment, so functions never share environment variables or module
state, as in Lambda). `python -m reelflow.local.invoke HANDLER EVENT_FILE RESULT_FILE` does the
same from a plain process.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from reelflow.local.s3_policy import enforce_from_environment
from reelflow.local.throttle import throttle_from_environment


@dataclass
class LocalContext:
    """The parts of Lambda's context object that Powertools and the handlers read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = field(default=0.0)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(path: str):
    """Import the handler as Lambda would, with the function's S3 grants enforced on its calls from then on
    (and the throttling fault, when the runtime injects it)."""
    enforce_from_environment()
    throttle_from_environment()
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def error_document(exc: BaseException) -> dict:
    """Lambda's error payload: Step Functions matches Catch/Retry on errorType."""
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }


def invoke(handler, handler_path: str, event: object) -> dict:
    """Call `handler` as Lambda would, with a context from the function's environment:
    {"ok": true, "result": ...} or {"ok": false, "error": <Lambda's error document>}."""
    context = LocalContext(
        function_name=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", handler_path),
        memory_limit_in_mb=int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")),
        timeout_s=int(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "900")),
        invoked_function_arn=os.environ.get("REELFLOW_FUNCTION_ARN", ""),
    )
    try:
        return {"ok": True, "result": handler(event, context)}
    except Exception as exc:  # noqa: BLE001 - every failure is reported like Lambda does
        return {"ok": False, "error": error_document(exc)}


def run_invocation(handler_path: str, event_file: Path, result_file: Path) -> None:
    """Call the handler on the event file and write its outcome (see `invoke`) to `result_file`."""
    outcome = invoke(load_handler(handler_path), handler_path, json.loads(event_file.read_text()))
    result_file.write_text(json.dumps(outcome, default=str))


if __name__ == "__main__":
    run_invocation(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
