"""The single DynamoDB table, and the one module that knows its keys and walks its pages.

Every studio's items live under its tenant (t), so a read with another tenant's id finds nothing:
- Asset `T#<t>#ASSET#<id>`/`ASSET`; gsi1 `T#<t>#ASSETS` by creation time.
- Job `T#<t>#JOB#<id>`/`JOB`; gsi1 `T#<t>#JOBS` by creation time; gsi2 `T#<t>#JOBSTATUS#<status>`.
- Scenes (written by the scenes stage) in the asset's partition: `SCENE#<0001>`, and one
  `SCENETAG#<tag>#<0001>` per tag with gsi1 `T#<t>#TAG#<tag>` / `<asset_id>#<0001>` for search by tag.
- A reserved upload (an asset item with `uploaded_by_api`) carries RESERVATION_EXPIRES, the table's TTL attribute,
  until its upload is claimed: DynamoDB removes a reservation never used, some time after it expired (reads must
  not wait for that: `reservation_state`).
- The tenant directory, outside every tenant: `TENANT#<t>`/`TENANT` (the tenant exists, so uploads under
  `<t>/` are its own) and `APIKEY#<API Gateway key id>`/`APIKEY` with the key's `tenant`.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from functions.core.aws import table
from functions.core.models import DEFAULT_TENANT, JobInput, JobStatus, SourceInfo

# Key attributes of the table (None) and of each index.
INDEX_KEYS = {None: ("pk", "sk"), "gsi1": ("gsi1pk", "gsi1sk"), "gsi2": ("gsi2pk", "gsi2sk")}
ASSET_SK, JOB_SK = "ASSET", "JOB"
# Epoch seconds after which a reservation is void; the table's TTL attribute (infra/storage.py).
RESERVATION_EXPIRES = "reservation_expires"
UPLOAD_EXPIRED = "EXPIRED"


class Claim(StrEnum):
    """What an upload to a reserved key finds (Repository.claim_upload)."""

    CLAIMED = "claimed"  # the first version, in time (or that same version again): it gets the job
    TAKEN = "taken"  # another version claimed the reservation first (the upload URL was used again)
    EXPIRED = "expired"  # the upload arrived after the reservation expired
    UNRESERVED = "unreserved"  # no reservation: never made, or DynamoDB's TTL already removed it


def reservation_state(record: dict, now: datetime | None = None) -> str | None:
    """EXPIRED for a reservation whose upload came too late, or never came and whose time is up (DynamoDB's TTL
    deletes such items days later at the earliest, and never under moto); None otherwise."""
    if record.get("upload_status") == UPLOAD_EXPIRED:
        return UPLOAD_EXPIRED
    expires = record.get(RESERVATION_EXPIRES)
    if expires is not None and not record.get("upload_version") and \
            int(expires) <= (now or datetime.now(UTC)).timestamp():
        return UPLOAD_EXPIRED
    return None


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_item(value: Any) -> Any:
    """DynamoDB wants Decimal, not float, and has no NaN or Infinity (silence measures -inf LUFS): those become null."""
    return json.loads(json.dumps(value, default=str), parse_float=Decimal, parse_constant=lambda _: None)


def from_item(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda d: float(d) if d % 1 else int(d)))


@dataclass(frozen=True)
class Listing:
    """One partition of the table or of an index, read a page at a time. Callers get it from a
    Repository and hand it back; page tokens are bound to its partition (functions.api.pagination)."""

    partition: str
    index: str | None = None
    sk_prefix: str | None = None
    newest_first: bool = False


@dataclass(frozen=True)
class SceneEntry:
    """One scene as the catalog publishes it: the scene item, and what each of its tag entries carries."""

    index: int
    record: dict[str, Any]
    tags: list[str]
    tag_record: dict[str, Any]


def query_all(tbl: Any, **params: Any) -> Iterator[dict]:
    """Every item a query matches, page after page (the one place that follows LastEvaluatedKey)."""
    while True:
        page = tbl.query(**params)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class Repository:
    """Assets, jobs and scenes of one tenant. Every key it builds starts with that tenant."""

    def __init__(self, table_name: str, tenant: str = DEFAULT_TENANT) -> None:
        self.table = table(table_name)
        self.tenant = tenant

    # ---- keys ------------------------------------------------------------------------------------
    def _scoped(self, name: str) -> str:
        return f"T#{self.tenant}#{name}"

    def _asset_pk(self, asset_id: str) -> str:
        return self._scoped(f"ASSET#{asset_id}")

    def _asset_key(self, asset_id: str) -> dict[str, str]:
        return {"pk": self._asset_pk(asset_id), "sk": ASSET_SK}

    def _job_key(self, job_id: str) -> dict[str, str]:
        return {"pk": self._scoped(f"JOB#{job_id}"), "sk": JOB_SK}

    def _status_partition(self, status: JobStatus) -> str:
        return self._scoped(f"JOBSTATUS#{status.value}")

    # ---- listings ------------------------------------------------------------------------------
    def jobs_listing(self, status: JobStatus | None = None) -> Listing:
        if status:
            return Listing(self._status_partition(status), index="gsi2", newest_first=True)
        return Listing(self._scoped("JOBS"), index="gsi1", newest_first=True)

    def assets_listing(self) -> Listing:
        return Listing(self._scoped("ASSETS"), index="gsi1", newest_first=True)

    def asset_scenes_listing(self, asset_id: str, tag: str | None = None) -> Listing:
        return Listing(self._asset_pk(asset_id), sk_prefix=f"SCENETAG#{tag.lower()}#" if tag else "SCENE#")

    def tag_listing(self, tag: str) -> Listing:
        return Listing(self._scoped(f"TAG#{tag.lower()}"), index="gsi1")

    def page(self, listing: Listing, *, limit: int = 25, start_key: dict | None = None) -> tuple[list[dict], dict | None]:
        """One page of a listing, and the key to go on from (None: no more)."""
        pk_name, sk_name = INDEX_KEYS[listing.index]
        condition = Key(pk_name).eq(listing.partition)
        if listing.sk_prefix:
            condition &= Key(sk_name).begins_with(listing.sk_prefix)
        params: dict[str, Any] = {"KeyConditionExpression": condition, "Limit": limit,
                                  "ScanIndexForward": not listing.newest_first}
        if listing.index:
            params["IndexName"] = listing.index
        if start_key:
            params["ExclusiveStartKey"] = start_key
        page = self.table.query(**params)
        last = page.get("LastEvaluatedKey")
        return [from_item(item) for item in page.get("Items", [])], (from_item(last) if last else None)

    # ---- assets and jobs -----------------------------------------------------------------------
    def put_asset(self, job: JobInput, title: str | None = None) -> None:
        """Create the asset on first sight; always point it at its newest job."""
        now = now_iso()
        self.table.update_item(
            Key=self._asset_key(job.asset_id),
            UpdateExpression=(
                "SET asset_id = :id, tenant = :tenant, source_bucket = :b, source_key = :k, latest_job_id = :j, "
                "updated_at = :now, created_at = if_not_exists(created_at, :now), title = if_not_exists(title, :t), "
                "gsi1pk = :coll, gsi1sk = if_not_exists(gsi1sk, :now)"
            ),
            ExpressionAttributeValues={
                ":id": job.asset_id,
                ":tenant": self.tenant,
                ":b": job.source.bucket,
                ":k": job.source.key,
                ":j": job.job_id,
                ":now": now,
                ":t": title or job.source.key.rsplit("/", 1)[-1],
                ":coll": self._scoped("ASSETS"),
            },
        )

    def reserve_asset(self, asset_id: str, bucket: str, key: str, expires: datetime, title: str | None = None,
                      upload: dict[str, Any] | None = None) -> None:
        """An asset whose upload is still to come (presigned URL handed out), until `expires`; ingest fills in
        the rest and keeps the title and creation time. `uploaded_by_api` marks the only sources a purge may
        delete; `upload` holds what finishing a multipart upload needs (`upload_id`, `upload_size`, `part_size`)."""
        now = now_iso()
        self.table.put_item(
            Item={
                **self._asset_key(asset_id), "asset_id": asset_id, "tenant": self.tenant, "source_bucket": bucket,
                "source_key": key, "title": title or key.rsplit("/", 1)[-1], "created_at": now, "updated_at": now,
                "uploaded_by_api": True, "gsi1pk": self._scoped("ASSETS"), "gsi1sk": now,
                RESERVATION_EXPIRES: int(expires.timestamp()), **(upload or {}),
            },
            ConditionExpression=Attr("pk").not_exists(),
        )

    def claim_upload(self, asset_id: str, version: str, uploaded_at: datetime) -> Claim:
        """The first version uploaded to a reserved asset, if S3 stored it before the reservation expired, claims
        it (and the asset leaves the TTL's reach); that version claims it again (a re-run). Anything else is
        refused, and says why."""
        try:
            self.table.update_item(
                Key=self._asset_key(asset_id),
                UpdateExpression=f"SET upload_version = :v REMOVE {RESERVATION_EXPIRES}",
                ConditionExpression=f"uploaded_by_api = :yes AND (upload_version = :v OR "
                                    f"(attribute_not_exists(upload_version) AND attribute_not_exists(upload_status) AND "
                                    f"(attribute_not_exists({RESERVATION_EXPIRES}) OR {RESERVATION_EXPIRES} > :at)))",
                ExpressionAttributeValues={":v": version, ":yes": True, ":at": int(uploaded_at.timestamp())},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.table.meta.client.exceptions.ConditionalCheckFailedException as exc:
            found = exc.response.get("Item")
            if not found or not found.get("uploaded_by_api"):
                return Claim.UNRESERVED
            return Claim.TAKEN if "upload_version" in found else Claim.EXPIRED
        return Claim.CLAIMED

    def expire_upload(self, asset_id: str, bucket: str, key: str, reason: str) -> None:
        """Record that an upload to a reserved key came too late (or to no reservation): the asset reads EXPIRED
        with the reason, and stays (out of the TTL's reach) so its tenant sees why no job ran. A record this
        creates is not `uploaded_by_api`: nothing proves the API handed out that key, so a purge keeps it."""
        now = now_iso()
        self.table.update_item(
            Key=self._asset_key(asset_id),
            UpdateExpression=(
                f"SET upload_status = :expired, upload_error = :why, asset_id = :id, tenant = :tenant, "
                f"source_bucket = :b, source_key = :k, updated_at = :now, created_at = if_not_exists(created_at, :now), "
                f"title = if_not_exists(title, :t), gsi1pk = :coll, gsi1sk = if_not_exists(gsi1sk, :now) "
                f"REMOVE {RESERVATION_EXPIRES}"
            ),
            ExpressionAttributeValues={
                ":expired": UPLOAD_EXPIRED, ":why": reason, ":id": asset_id, ":tenant": self.tenant, ":b": bucket,
                ":k": key, ":now": now, ":t": key.rsplit("/", 1)[-1], ":coll": self._scoped("ASSETS"),
            },
        )

    def record_source(self, asset_id: str, source: SourceInfo) -> None:
        self.table.update_item(
            Key=self._asset_key(asset_id),
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "source"},
            ExpressionAttributeValues={":s": to_item(source.model_dump())},
        )

    def put_transcript_summary(self, asset_id: str, summary: dict[str, Any]) -> None:
        self.table.update_item(
            Key=self._asset_key(asset_id),
            UpdateExpression="SET transcript = :t",
            ExpressionAttributeValues={":t": to_item(summary)},
        )

    def get_asset(self, asset_id: str) -> dict | None:
        item = self.table.get_item(Key=self._asset_key(asset_id)).get("Item")
        return from_item(item) if item else None

    def create_job(self, job: JobInput) -> bool:
        """Write the Job item once; False when it already exists (a duplicate event)."""
        now = now_iso()
        item = {
            **self._job_key(job.job_id),
            "job_id": job.job_id,
            "asset_id": job.asset_id,
            "tenant": self.tenant,
            "source": job.source.model_dump(exclude_none=True),
            "options": job.options.model_dump(exclude_none=True),
            "status": JobStatus.QUEUED.value,
            "created_at": now,
            "updated_at": now,
            "gsi1pk": self._scoped("JOBS"),
            "gsi1sk": now,
            "gsi2pk": self._status_partition(JobStatus.QUEUED),
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
        values = {"status": status.value, "updated_at": now_iso(), "gsi2pk": self._status_partition(status), **fields}
        names = {f"#{k}": k for k in values}
        try:
            self.table.update_item(
                Key=self._job_key(job_id),
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

    def fail_unsettled(self, job_id: str, *, error: str, error_code: str) -> bool:
        """Mark the job FAILED with the reason if it is still QUEUED or RUNNING (its execution ended without
        Finalize); False when it was already settled or cancelled, which is then left alone."""
        return self._settle(job_id, JobStatus.FAILED, (JobStatus.QUEUED, JobStatus.RUNNING), error=error,
                            error_code=error_code)

    def get_job(self, job_id: str) -> dict | None:
        item = self.table.get_item(Key=self._job_key(job_id)).get("Item")
        return from_item(item) if item else None

    def cancel_job(self, job_id: str, cancellable: tuple[JobStatus, ...]) -> bool:
        """Mark the job CANCELLED if its status is still one of `cancellable`; False if it is not.
        Stages in flight cannot undo it: update_job refuses to change a cancelled job."""
        return self._settle(job_id, JobStatus.CANCELLED, cancellable, cancelled_at=now_iso())

    def _settle(self, job_id: str, status: JobStatus, when: tuple[JobStatus, ...], **fields: Any) -> bool:
        """Set a final `status` (and `fields`) only if the job's status is one of `when`; False if it is not."""
        now = now_iso()
        values = {"status": status.value, "updated_at": now, "finished_at": now,
                  "gsi2pk": self._status_partition(status), **fields}
        try:
            self.table.update_item(
                Key=self._job_key(job_id),
                UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
                ConditionExpression=Attr("status").is_in([s.value for s in when]),
                ExpressionAttributeNames={f"#{k}": k for k in values},
                ExpressionAttributeValues=to_item({f":{k}": v for k, v in values.items()}),
            )
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def jobs_of_asset(self, asset_id: str) -> list[dict]:
        """Every job of an asset (job_id, status). Jobs are not indexed by asset, so this reads the tenant's
        whole `JOBS` collection: fine for a delete, not for a hot path."""
        items = query_all(
            self.table,
            IndexName="gsi1",
            KeyConditionExpression=Key("gsi1pk").eq(self._scoped("JOBS")),
            FilterExpression=Attr("asset_id").eq(asset_id),
            ProjectionExpression="job_id, #s",
            ExpressionAttributeNames={"#s": "status"},
        )
        return [from_item(item) for item in items]

    def delete_asset_records(self, asset_id: str, job_ids: list[str]) -> int:
        """The asset, its scenes and scene-tag entries, and the given jobs; how many items went."""
        keys = list(self._partition_keys(self._asset_pk(asset_id))) + [self._job_key(j) for j in job_ids]
        self._delete_keys(keys)
        return len(keys)

    # ---- scenes --------------------------------------------------------------------------------
    def replace_scenes(self, asset_id: str, scenes: list[SceneEntry]) -> None:
        """Replace the asset's scene items and tag entries (a re-run may find different scenes)."""
        pk = self._asset_pk(asset_id)
        self._delete_keys(list(self._partition_keys(pk, "SCENE")))
        with self.table.batch_writer() as batch:
            for scene in scenes:
                number = f"{scene.index:04d}"
                batch.put_item(Item=to_item({"pk": pk, "sk": f"SCENE#{number}", **scene.record}))
                for tag in scene.tags:
                    batch.put_item(Item=to_item({
                        "pk": pk, "sk": f"SCENETAG#{tag}#{number}",
                        "gsi1pk": self._scoped(f"TAG#{tag}"), "gsi1sk": f"{asset_id}#{number}",
                        **scene.tag_record,
                    }))

    # ---- helpers -------------------------------------------------------------------------------
    def _partition_keys(self, pk: str, sk_prefix: str | None = None) -> Iterator[dict]:
        condition = Key("pk").eq(pk)
        if sk_prefix:
            condition &= Key("sk").begins_with(sk_prefix)
        for item in query_all(self.table, KeyConditionExpression=condition, ProjectionExpression="pk, sk"):
            yield {"pk": item["pk"], "sk": item["sk"]}

    def _delete_keys(self, keys: list[dict]) -> None:
        with self.table.batch_writer() as batch:
            for key in keys:
                batch.delete_item(Key=key)


class TenantDirectory:
    """Which tenants exist, and which tenant each API key belongs to (items outside every tenant)."""

    def __init__(self, table_name: str) -> None:
        self.table = table(table_name)

    def exists(self, tenant: str) -> bool:
        return "Item" in self.table.get_item(Key={"pk": f"TENANT#{tenant}", "sk": "TENANT"}, ProjectionExpression="pk")

    def tenant_of_api_key(self, api_key_id: str) -> str | None:
        item = self.table.get_item(Key={"pk": f"APIKEY#{api_key_id}", "sk": "APIKEY"}).get("Item")
        return str(item["tenant"]) if item and item.get("tenant") else None

    def register(self, tenant: str, api_key_id: str | None = None) -> None:
        """Add the tenant (idempotent) and, if given, bind an API key id to it."""
        now = now_iso()
        with self.table.batch_writer() as batch:
            batch.put_item(Item={"pk": f"TENANT#{tenant}", "sk": "TENANT", "tenant": tenant, "created_at": now})
            if api_key_id:
                batch.put_item(Item={"pk": f"APIKEY#{api_key_id}", "sk": "APIKEY", "tenant": tenant,
                                     "created_at": now})
