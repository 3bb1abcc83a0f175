"""Stack settings read from CDK context (`cdk synth -c name=value`), with the defaults a deployment gets.

Values from the command line arrive as strings; cdk.json may hold JSON values. Both are accepted.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from functions.core import settings

# Per function, how many instances may run at once. Reserving them does two things: a burst of uploads or
# API calls cannot run up an unbounded bill or starve the rest of the account, and every stage keeps
# capacity another function cannot take. The state machine retries throttled invokes with backoff, so a
# cap slows jobs down rather than failing them. The sum (347) leaves an account's default limit of 1,000
# well above the 100 Lambda keeps unreserved.
RESERVED_CONCURRENCY: dict[str, int] = {
    # The chunk Maps run 40 wide per job (infra/pipeline.CHUNK_CONCURRENCY), so 80 is two long jobs at full
    # width (encode and scene parts 10 GB each, caption parts 4 GB); more jobs wait for slots.
    "TranscodeChunk": 80,
    "ScenePart": 80,
    "CaptionPart": 80,
    # One invocation per job per stage: 10 jobs in these stages at once.
    "Probe": 10,
    "TranscodePackage": 10,
    "Captions": 10,
    "TranscribeStart": 10,
    "Scenes": 10,
    "SceneSpeech": 10,
    "Trailer": 10,
    "Finalize": 10,
    # Only executions that end without Finalize reach it: rare, and each call is one conditional update.
    "ExecutionEnd": 2,
    # The queue's poller is capped at the same number (event source maximum concurrency), so throttling
    # never returns messages to the queue and pushes them towards the DLQ.
    "Ingest": 5,
    # The usage plan allows 50 requests/s; at about 100 ms a request that is 5 busy instances, so 20
    # leaves room for slow calls (listing, deleting an asset's outputs).
    "Api": 20,
}
SOURCE_RETENTION_DAYS = 30
WORK_RETENTION_DAYS = 3
INCOMPLETE_UPLOAD_DAYS = settings.INCOMPLETE_UPLOAD_DAYS  # the API's multipart reservations last as long


class ConfigError(ValueError):
    """Raised at synth when a context value cannot be used (wrong type, unknown function, out of range)."""


def _parsed(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def reserved_concurrency(value: Any) -> dict[str, int]:
    """`reserved_concurrency`: absent for the defaults; `none` to reserve nothing (a new account's limit of
    10 cannot hold the defaults); or a JSON map of function name to a count, merged over the defaults."""
    value = _parsed(value)
    if value is None:
        return dict(RESERVED_CONCURRENCY)
    if value == "none":
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"reserved_concurrency must be 'none' or a JSON map of function to count, not {value!r}")
    unknown = sorted(set(value) - set(RESERVED_CONCURRENCY))
    if unknown:
        raise ConfigError(f"reserved_concurrency names unknown functions: {', '.join(unknown)}")
    bad = {name: count for name, count in value.items() if not isinstance(count, int) or count < 1}
    if bad:
        raise ConfigError(f"reserved_concurrency counts must be whole numbers of at least 1: {bad}")
    return {**RESERVED_CONCURRENCY, **value}


def cors_origins(value: Any) -> list[str]:
    """`cors_origins`: the web origins that may upload to the ingest bucket from a browser, comma separated
    or a JSON list. None by default: no CORS rule, so no browser page can use an upload URL."""
    value = _parsed(value)
    if value is None or value == "":
        return []
    origins = value.split(",") if isinstance(value, str) else value
    if not isinstance(origins, list) or not all(isinstance(o, str) and o.strip() for o in origins):
        raise ConfigError(f"cors_origins must be origins separated by commas, not {value!r}")
    return [origin.strip() for origin in origins]


def public_key_pem(value: Any) -> str | None:
    """`playback_public_key`: the playback key group's RSA public key, as PEM text or the path of a PEM file;
    absent, the stack has no playback distribution (the API then returns no `playback` block)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError("playback_public_key must be a PEM public key or the path of one")
    text = value if value.lstrip().startswith("-----BEGIN") else _read_pem(value)
    if "-----BEGIN PUBLIC KEY-----" not in text:
        raise ConfigError("playback_public_key must be a PEM public key (-----BEGIN PUBLIC KEY-----), "
                          "e.g. from `openssl rsa -pubout`")
    return text.strip() + "\n"


def _read_pem(path: str) -> str:
    from pathlib import Path

    try:
        return Path(path).expanduser().read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"playback_public_key: cannot read {path}: {exc.strerror or exc}") from None


def positive_days(name: str, value: Any, default: int) -> int:
    value = _parsed(value)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a whole number of days, at least 1, not {value!r}")
    return value


def positive_number(name: str, value: Any) -> float | None:
    """A limit such as `max_cost_usd`: absent for none, else a number above 0."""
    value = _parsed(value)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{name} must be a number above 0, not {value!r}")
    return float(value)


@dataclass(frozen=True)
class StackConfig:
    reserved_concurrency: dict[str, int] = field(default_factory=lambda: dict(RESERVED_CONCURRENCY))
    cors_origins: list[str] = field(default_factory=list)
    source_retention_days: int = SOURCE_RETENTION_DAYS
    playback_public_key: str | None = None
    # The budget guard's defaults for jobs that set no limit of their own (functions.core.cost.budget).
    max_cost_usd: float | None = None
    max_duration_seconds: float | None = None

    @property
    def budget_environment(self) -> dict[str, str]:
        """What Probe reads the budget defaults from (functions.core.settings)."""
        return {name: f"{value:g}" for name, value in (("DEFAULT_MAX_COST_USD", self.max_cost_usd),
                                                        ("DEFAULT_MAX_JOB_SECONDS", self.max_duration_seconds))
                if value is not None}

    @classmethod
    def from_context(cls, scope: Construct) -> StackConfig:
        context = scope.node.try_get_context
        return cls(
            reserved_concurrency=reserved_concurrency(context("reserved_concurrency")),
            cors_origins=cors_origins(context("cors_origins")),
            source_retention_days=positive_days(
                "source_retention_days", context("source_retention_days"), SOURCE_RETENTION_DAYS),
            playback_public_key=public_key_pem(context("playback_public_key")),
            max_cost_usd=positive_number("max_cost_usd", context("max_cost_usd")),
            max_duration_seconds=positive_number("max_duration_seconds", context("max_duration_seconds")),
        )
