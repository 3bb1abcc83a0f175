"""S3 reads and writes the handlers share: presigned source URLs, folder uploads, JSON documents."""
from __future__ import annotations

import json
import mimetypes
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any


from functions.core.aws import client
from functions.core.models import ObjectRef

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".edl": "text/plain",
    ".otio": "application/json",
    ".fcpxml": "application/xml",
}
SOURCE_URL_SECONDS = 6 * 3600


def s3():
    return client("s3")


def source_url(ref: ObjectRef) -> str:
    """A presigned GET for the pinned source version. Every stage reads the source through it: ffmpeg
    and PyAV stream it with range requests, so no stage downloads it and /tmp never bounds its size."""
    params = {"Bucket": ref.bucket, "Key": ref.key}
    if ref.version_id:
        params["VersionId"] = ref.version_id
    return s3().generate_presigned_url("get_object", Params=params, ExpiresIn=SOURCE_URL_SECONDS)


def work_url(bucket: str, key: str) -> str:
    """A presigned GET for one of the job's own work objects (a proxy or audio part), for ffmpeg's concat to
    stream instead of downloading it (ffmpeg.work_concat_input)."""
    return s3().generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                       ExpiresIn=SOURCE_URL_SECONDS)


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def upload_file(path: Path, bucket: str, key: str) -> None:
    s3().upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type(path)})


UPLOAD_WORKERS = 10  # botocore's connection pool per client (max_pool_connections)


def upload_tree(folder: Path, bucket: str, prefix: str) -> list[str]:
    """Upload every file under `folder` to `prefix/<relative path>`; returns the keys. UPLOAD_WORKERS at once: a
    long source's scenes leave thousands of thumbnails, whose round trips one at a time would take minutes."""
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    keys = [f"{prefix.rstrip('/')}/{path.relative_to(folder).as_posix()}" for path in paths]
    with ThreadPoolExecutor(max_workers=UPLOAD_WORKERS) as pool:
        list(pool.map(lambda pk: upload_file(pk[0], bucket, pk[1]), zip(paths, keys, strict=True)))
    return keys


def download(bucket: str, key: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    s3().download_file(bucket, key, str(path))
    return path


def put_json(bucket: str, key: str, document: Any) -> None:
    s3().put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(document, indent=2, default=str).encode(),
        ContentType="application/json",
    )


def get_json(bucket: str, key: str) -> Any:
    return json.loads(get_bytes(bucket, key))


def put_bytes(bucket: str, key: str, data: bytes) -> None:
    s3().put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type(Path(key)))


def get_bytes(bucket: str, key: str) -> bytes:
    return s3().get_object(Bucket=bucket, Key=key)["Body"].read()


def delete_prefix(bucket: str, prefix: str) -> int:
    """Delete every object under `prefix` (a thousand per request); returns how many were deleted."""
    deleted = 0
    for page in s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        objects = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if objects:
            s3().delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
            deleted += len(objects)
    return deleted
