"""Counts the paid service calls an invocation makes (Rekognition images, Transcribe jobs), for its cost.

Every client functions.core.aws creates is watched, so no caller has to remember to count; job_handler resets
the count when an invocation starts and records what it took in the invocation's result."""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any

# service.Operation -> the unit it is billed in (prices.PriceTable).
PAID_CALLS = {
    "rekognition.DetectLabels": "image",
    "transcribe.StartTranscriptionJob": "job",
}
_taken: Counter[str] = Counter()
_lock = threading.Lock()  # scene labels are requested from several threads


def watch(client: Any) -> Any:
    """Count `client`'s paid calls from now on; returns the client."""
    client.meta.events.register("after-call", _count)
    return client


def reset() -> None:
    _taken.clear()


def taken() -> dict[str, int]:
    return dict(_taken)


def _count(model: Any, http_response: Any = None, **_: Any) -> None:
    """After a call's response: only a call the service accepted is billed."""
    name = f"{model.service_model.service_name}.{model.name}"
    if name in PAID_CALLS and http_response is not None and http_response.status_code < 300:
        with _lock:
            _taken[name] += 1
