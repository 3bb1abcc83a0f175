"""What a job stored in S3 and the requests that took, from the objects it left: its outputs (the asset folder's
objects written since the job was created) and its work files.

Requests are counted from the objects: one PUT per object, or a multipart upload's create, parts and complete for
objects over boto3's multipart threshold (how functions.core.s3io uploads); one GET per work file (the stage that
joins them reads each once); one GET per invocation that streams the source (ffmpeg's ranged reads, at least
one); one LIST per page of the listings here."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from boto3.s3.transfer import TransferConfig

MULTIPART_THRESHOLD = TransferConfig().multipart_threshold
MULTIPART_CHUNK = TransferConfig().multipart_chunksize
LIST_PAGE = 1000


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


@dataclass(frozen=True)
class StorageUse:
    outputs: list[StoredObject]
    work: list[StoredObject]
    listings: int = 0

    @property
    def output_bytes(self) -> int:
        return sum(o.size for o in self.outputs)

    @property
    def work_bytes(self) -> int:
        return sum(o.size for o in self.work)

    @property
    def put_requests(self) -> int:
        return sum(put_requests(o.size) for o in (*self.outputs, *self.work))


def put_requests(size: int) -> int:
    if size < MULTIPART_THRESHOLD:
        return 1
    return math.ceil(size / MULTIPART_CHUNK) + 2


def list_objects(s3, bucket: str, prefix: str, since: datetime | None = None) -> tuple[list[StoredObject], int]:
    """The objects under `prefix` (modified at or after `since`, if given) and how many LIST pages that took."""
    objects, pages = [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        pages += 1
        objects.extend(StoredObject(o["Key"], o["Size"]) for o in page.get("Contents", [])
                       if since is None or o["LastModified"] >= since)
    return objects, pages


def job_storage(s3, bucket: str, asset_prefix: str, work_prefix: str, created_at: datetime) -> StorageUse:
    """The job's outputs and work files. S3 keeps modification times to the second: the cut-off is a second
    before the job was created, so an output written in its first second still counts."""
    outputs, output_pages = list_objects(s3, bucket, asset_prefix.rstrip("/") + "/", created_at - timedelta(seconds=1))
    work, work_pages = list_objects(s3, bucket, work_prefix.rstrip("/") + "/")
    return StorageUse(outputs=outputs, work=work, listings=output_pages + work_pages)


def source_reads(functions: Iterable[str], readers: frozenset[str]) -> int:
    return sum(1 for name in functions if name in readers)
