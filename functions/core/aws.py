"""boto3 clients, created once per service and endpoint.

Cached per AWS_ENDPOINT_URL as well as service, so code that runs in the local runtime's own
process (tests, the CLI) follows the runtime to a new endpoint instead of reusing a stale one.
"""
from __future__ import annotations

import os
from functools import cache

import boto3
from botocore.config import Config

from functions.core.cost import calls

# Standard retry mode: throttling (S3 503 SlowDown, DynamoDB ProvisionedThroughputExceeded) and transient errors
# are retried with jittered exponential backoff, 8 attempts in all, before a stage sees the error.
RETRIES = Config(retries={"mode": "standard", "max_attempts": 8})


def client(service: str, pool: int | None = None):
    """The cached client for `service`; `pool` connections (botocore's default is 10) for a caller that keeps more
    calls in flight from its own threads."""
    return _client(service, os.environ.get("AWS_ENDPOINT_URL"), pool)


def table(name: str):
    return _resource("dynamodb", os.environ.get("AWS_ENDPOINT_URL")).Table(name)


@cache
def _client(service: str, endpoint: str | None, pool: int | None = None):
    config = RETRIES.merge(Config(max_pool_connections=pool)) if pool else RETRIES
    return calls.watch(boto3.client(service, config=config))


@cache
def _resource(service: str, endpoint: str | None):
    return boto3.resource(service, config=RETRIES)
