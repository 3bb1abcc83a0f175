"""The single DynamoDB table: Asset and Job items, and the indexes that list them.

Keys: Asset `ASSET#<id>`/`ASSET`; Job `JOB#<id>`/`JOB`. gsi1 lists collections by time
(`ASSETS`, `JOBS`); gsi2 lists jobs by status (`JOBSTATUS#<status>`).
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr

from functions.core.models import JobInput, JobStatus, SourceInfo


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@cache
def _table(name: str):
    return boto3.resource("dynamodb").Table(name)


def to_item(value: Any) -> Any:
    """DynamoDB wants Decimal, not float."""
    return json.loads(json.dumps(value, default=str), parse_float=Decimal)


def from_item(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda d: float(d) if d % 1 else int(d)))


class Repository:
    def __init__(self, table_name: str) -> None:
        self.table = _table(table_name)

    def put_asset(self, job: JobInput, title: str | None = None) -> None:
        """Create the asset on first sight; always point it at its newest job."""
        now = now_iso()
        self.table.update_item(
            Key={"pk": f"ASSET#{job.asset_id}", "sk": "ASSET"},
            UpdateExpression=(
                "SET asset_id = :id, source_bucket = :b, source_key = :k, latest_job_id = :j, updated_at = :now, "
                "created_at = if_not_exists(created_at, :now), title = if_not_exists(title, :t), "
                "gsi1pk = :coll, gsi1sk = if_not_exists(gsi1sk, :now)"
            ),
            ExpressionAttributeValues={
                ":id": job.asset_id,
                ":b": job.source.bucket,
                ":k": job.source.key,
                ":j": job.job_id,
                ":now": now,
                ":t": title or job.source.key.rsplit("/", 1)[-1],
                ":coll": "ASSETS",
            },
        )

    def create_job(self, job: JobInput) -> bool:
        """Write the Job item once; False when it already exists (a duplicate event)."""
        now = now_iso()
        item = {
            "pk": f"JOB#{job.job_id}",
            "sk": "JOB",
            "job_id": job.job_id,
            "asset_id": job.asset_id,
            "source": job.source.model_dump(exclude_none=True),
            "options": job.options.model_dump(exclude_none=True),
            "status": JobStatus.QUEUED.value,
            "created_at": now,
            "updated_at": now,
            "gsi1pk": "JOBS",
            "gsi1sk": now,
            "gsi2pk": f"JOBSTATUS#{JobStatus.QUEUED.value}",
            "gsi2sk": now,
        }
        try:
            self.table.put_item(Item=to_item(item), ConditionExpression=Attr("pk").not_exists())
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def update_job(self, job_id: str, status: JobStatus, **fields: Any) -> None:
        values = {"status": status.value, "updated_at": now_iso(), "gsi2pk": f"JOBSTATUS#{status.value}", **fields}
        names = {f"#{k}": k for k in values}
        self.table.update_item(
            Key={"pk": f"JOB#{job_id}", "sk": "JOB"},
            UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item({f":{k}": v for k, v in values.items()}),
        )

    def record_source(self, asset_id: str, source: SourceInfo) -> None:
        self.table.update_item(
            Key={"pk": f"ASSET#{asset_id}", "sk": "ASSET"},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "source"},
            ExpressionAttributeValues={":s": to_item(source.model_dump())},
        )

    def get_job(self, job_id: str) -> dict | None:
        item = self.table.get_item(Key={"pk": f"JOB#{job_id}", "sk": "JOB"}).get("Item")
        return from_item(item) if item else None

    def get_asset(self, asset_id: str) -> dict | None:
        item = self.table.get_item(Key={"pk": f"ASSET#{asset_id}", "sk": "ASSET"}).get("Item")
        return from_item(item) if item else None
