"""The single DynamoDB table: Asset and Job items, and the indexes that list them.

Keys: Asset `ASSET#<id>`/`ASSET`; Job `JOB#<id>`/`JOB`. gsi1 lists collections by time
(`ASSETS`, `JOBS`); gsi2 lists jobs by status (`JOBSTATUS#<status>`).
Scenes (written by the scenes stage) live in the asset's partition: `ASSET#<id>`/`SCENE#<0001>`, and one
`ASSET#<id>`/`SCENETAG#<tag>#<0001>` per tag with gsi1 `TAG#<tag>` / `<asset_id>#<0001>` for search by tag.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from functions.core.aws import table
from functions.core.models import JobInput, JobStatus, SourceInfo

# Key attributes of the table (None) and of each index.
INDEX_KEYS = {None: ("pk", "sk"), "gsi1": ("gsi1pk", "gsi1sk"), "gsi2": ("gsi2pk", "gsi2sk")}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_item(value: Any) -> Any:
    """DynamoDB wants Decimal, not float, and has no NaN or Infinity (silence measures -inf LUFS): those become null."""
    return json.loads(json.dumps(value, default=str), parse_float=Decimal, parse_constant=lambda _: None)


def from_item(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda d: float(d) if d % 1 else int(d)))


class Repository:
    def __init__(self, table_name: str) -> None:
        self.table = table(table_name)

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

    def update_job(self, job_id: str, status: JobStatus, **fields: Any) -> bool:
        """Set the job's status and fields, unless it was cancelled: a stage still in flight when
        the execution was stopped must not bring a cancelled job back. False when refused."""
        values = {"status": status.value, "updated_at": now_iso(), "gsi2pk": f"JOBSTATUS#{status.value}", **fields}
        names = {f"#{k}": k for k in values}
        try:
            self.table.update_item(
                Key={"pk": f"JOB#{job_id}", "sk": "JOB"},
                UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
                ConditionExpression="#status <> :cancelled",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(
                    {f":{k}": v for k, v in values.items()} | {":cancelled": JobStatus.CANCELLED.value}
                ),
            )
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

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

    # ---- reads, conditional updates and deletes for the Studio API ----------------
    def query_page(
        self,
        pk: str,
        *,
        index: str | None = None,
        sk_prefix: str | None = None,
        limit: int = 25,
        start_key: dict | None = None,
        newest_first: bool = False,
    ) -> tuple[list[dict], dict | None]:
        """One page of one partition of the table or of an index, and the key to go on from (None: no more)."""
        pk_name, sk_name = INDEX_KEYS[index]
        condition = Key(pk_name).eq(pk)
        if sk_prefix:
            condition &= Key(sk_name).begins_with(sk_prefix)
        params: dict[str, Any] = {"KeyConditionExpression": condition, "Limit": limit, "ScanIndexForward": not newest_first}
        if index:
            params["IndexName"] = index
        if start_key:
            params["ExclusiveStartKey"] = start_key
        page = self.table.query(**params)
        last = page.get("LastEvaluatedKey")
        return [from_item(item) for item in page.get("Items", [])], (from_item(last) if last else None)

    def reserve_asset(self, asset_id: str, bucket: str, key: str, title: str | None = None) -> None:
        """An asset whose upload is still to come (presigned URL handed out); ingest fills in the rest
        and keeps the title and creation time."""
        now = now_iso()
        self.table.put_item(
            Item={
                "pk": f"ASSET#{asset_id}", "sk": "ASSET", "asset_id": asset_id, "source_bucket": bucket,
                "source_key": key, "title": title or key.rsplit("/", 1)[-1], "created_at": now, "updated_at": now,
                "gsi1pk": "ASSETS", "gsi1sk": now,
            },
            ConditionExpression=Attr("pk").not_exists(),
        )

    def cancel_job(self, job_id: str, cancellable: tuple[JobStatus, ...]) -> bool:
        """Mark the job CANCELLED if its status is still one of `cancellable`; False if it is not.
        Stages in flight cannot undo it: update_job refuses to change a cancelled job."""
        now = now_iso()
        try:
            self.table.update_item(
                Key={"pk": f"JOB#{job_id}", "sk": "JOB"},
                UpdateExpression="SET #s = :c, updated_at = :now, finished_at = :now, gsi2pk = :g, "
                                 "cancelled_at = if_not_exists(cancelled_at, :now)",
                ConditionExpression=Attr("status").is_in([s.value for s in cancellable]),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":c": JobStatus.CANCELLED.value, ":now": now, ":g": f"JOBSTATUS#{JobStatus.CANCELLED.value}",
                },
            )
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def asset_item_keys(self, asset_id: str) -> list[dict]:
        """Keys of every item in the asset's partition: the asset, its scenes and scene-tag entries."""
        return self._all_keys(KeyConditionExpression=Key("pk").eq(f"ASSET#{asset_id}"))

    def jobs_of_asset(self, asset_id: str) -> list[dict]:
        """Every job of an asset (job_id, status). Jobs are not indexed by asset, so this reads the whole
        `JOBS` collection: fine for a delete, not for a hot path."""
        jobs: list[dict] = []
        params: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": Key("gsi1pk").eq("JOBS"),
            "FilterExpression": Attr("asset_id").eq(asset_id),
            "ProjectionExpression": "job_id, #s",
            "ExpressionAttributeNames": {"#s": "status"},
        }
        while True:
            page = self.table.query(**params)
            jobs += [from_item(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return jobs
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def delete_keys(self, keys: list[dict]) -> int:
        with self.table.batch_writer() as batch:
            for key in keys:
                batch.delete_item(Key={"pk": key["pk"], "sk": key["sk"]})
        return len(keys)

    def _all_keys(self, **params: Any) -> list[dict]:
        keys: list[dict] = []
        params["ProjectionExpression"] = "pk, sk"
        while True:
            page = self.table.query(**params)
            keys += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return keys
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
