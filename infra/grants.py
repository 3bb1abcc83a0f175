"""Each function's S3 and DynamoDB access: the actions it uses, on the key prefixes (or tables) it uses them on,
and why.

One table drives the IAM statements, the cdk-nag acknowledgements of their wildcards (the reason is the
row's own `why`), and the README's permissions table, so the three cannot disagree. Only the API deletes
outputs or sources, and only within its prefixes; Finalize deletes a completed job's scratch files under
`work/`, which no output and no source ever lives under. Object keys: sources anywhere in the ingest bucket
(editors choose their keys; the API's uploads are under `<tenant>/uploads/`), outputs under `assets/<asset_id>/`,
intermediate files under `work/<asset_id>/<job_id>/` (functions.core.settings).

DynamoDB: each function gets the item actions its repository calls make (functions.core.repository), no more.
Reads are GetItem and Query; conditional writes need no extra action. Only the API and the scene writers may
remove items of the job table: the API in DELETE /assets/{id}, Scenes and SceneSpeech when they replace an asset's
scene items. Both go through BatchWriteItem, which IAM cannot split into puts and deletes.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3

from functions.core.settings import WORK_ROOT
from infra.nag import acknowledge, arn_token, default_policy

INGEST, OUTPUT = "ingest", "output"
# GetObjectVersion: jobs read the version that started them, never whatever the key holds now.
READ_SOURCE = ("s3:GetObject", "s3:GetObjectVersion")
READ = ("s3:GetObject",)
# PutObject covers every multipart call but the abort, which boto3 makes when an upload fails midway.
WRITE = ("s3:PutObject", "s3:AbortMultipartUpload")
LIST = ("s3:ListBucket",)
ANY = "*"
WORK = f"{WORK_ROOT}/*"
ASSETS = "assets/*"
UPLOADS = "*/uploads/*"  # <tenant>/uploads/<asset>/<file name>: the API's own uploads (functions.core.ingest)


@dataclass(frozen=True)
class S3Access:
    """`actions` on `keys` in one bucket. Object actions apply to the key patterns; bucket actions (List*)
    apply to the bucket, limited to listings under `keys` unless that is "*"."""

    bucket: str
    actions: tuple[str, ...]
    keys: tuple[str, ...]
    why: str

    @property
    def on_bucket(self) -> bool:
        return all(action.startswith("s3:List") for action in self.actions)


S3_GRANTS: dict[str, tuple[S3Access, ...]] = {
    "Ingest": (
        S3Access(INGEST, READ_SOURCE, (ANY,), "HEAD the uploaded object (any key an editor chose) at its version"),
        S3Access(INGEST, LIST, (ANY,), "a HEAD of an upload deleted before ingest answers 404, not 403"),
    ),
    "Probe": (
        S3Access(INGEST, READ_SOURCE, (ANY,), "presign the pinned source version; PyAV streams it"),
    ),
    "TranscodeChunk": (
        S3Access(INGEST, READ_SOURCE, (ANY,), "stream its chunk of the pinned source through a presigned URL"),
        S3Access(OUTPUT, WRITE, ("assets/*/hls/*",), "the chunk's HLS segments"),
        S3Access(OUTPUT, WRITE, (WORK,), "the chunk's own playlists and proxy part, for PackageHls; its scene part "
                 "for Scenes, measured on the same decode when the job detects scenes too"),
    ),
    "TranscodePackage": (
        S3Access(OUTPUT, READ, (WORK,), "the chunks' playlists and proxy parts"),
        S3Access(OUTPUT, WRITE, ("assets/*/hls/*", "assets/*/proxy.*", "assets/*/poster.jpg"),
                 "the ladder and master playlists, the joined proxy, the poster"),
    ),
    "CaptionPart": (
        S3Access(INGEST, READ_SOURCE, (ANY,), "stream its part of the source's audio through a presigned URL"),
        S3Access(OUTPUT, WRITE, (WORK,), "the part's transcript, for Captions, or its audio, for Amazon Transcribe"),
    ),
    "Captions": (
        S3Access(INGEST, READ_SOURCE, (ANY,), "one pass over the source's audio when run alone (reelflow invoke)"),
        S3Access(OUTPUT, READ, (WORK,), "the parts' transcripts, or Amazon Transcribe's result document"),
        S3Access(OUTPUT, WRITE, ("assets/*/transcript.json", "assets/*/captions/*"), "the transcript and captions"),
    ),
    "TranscribeStart": (
        S3Access(OUTPUT, READ, (WORK,), "its span's audio parts, streamed into the join; Amazon Transcribe reads "
                 "the joined audio as the caller"),
        S3Access(OUTPUT, WRITE, (WORK,), "the span's joined audio; Amazon Transcribe writes its result as the caller"),
    ),
    "ScenePart": (
        S3Access(INGEST, READ_SOURCE, (ANY,), "decode its part of the pinned source through a presigned URL"),
        S3Access(OUTPUT, WRITE, (WORK,), "the part's per-frame measurements, for Scenes"),
    ),
    "Scenes": (
        S3Access(OUTPUT, READ, (WORK,), "the parts' per-frame measurements (ScenePart's or EncodeChunk's)"),
        S3Access(OUTPUT, WRITE, ("assets/*/scenes.*", "assets/*/thumbs/*", "assets/*/contact_sheet.jpg"),
                 "scenes.json, the editor exports, thumbnails and the contact sheet"),
    ),
    "SceneSpeech": (
        S3Access(OUTPUT, READ, ("assets/*/scenes.json", "assets/*/transcript.json"), "the scenes and the transcript"),
        S3Access(OUTPUT, WRITE, ("assets/*/scenes.*",), "scenes.json and the exports with dialogue tags"),
    ),
    "Trailer": (
        S3Access(INGEST, READ_SOURCE, (ANY,), "cut the highlights from the pinned source through a presigned URL"),
        S3Access(OUTPUT, READ, ("assets/*/scenes.json", "assets/*/transcript.json", "assets/*/captions/*"),
                 "the scenes, the words and the captions to burn in"),
        S3Access(OUTPUT, WRITE, ("assets/*/trailer/*", "assets/*/trailer.json"), "the trailers and their plan"),
    ),
    "ExecutionEnd": (),  # job records only
    "Finalize": (
        S3Access(OUTPUT, READ, ("assets/*/hls/master.m3u8", "assets/*/captions/*"),
                 "the master playlist and the captions, to put the captions into the ladder"),
        S3Access(OUTPUT, WRITE, ("assets/*/hls/master.m3u8", "assets/*/hls/subs/*"),
                 "the subtitle rendition and the master playlist that offers it"),
        S3Access(OUTPUT, WRITE, ("assets/*/manifest.json",), "the manifest"),
        S3Access(OUTPUT, READ, ("assets/*/scenes.json", "assets/*/transcript.json", "assets/*/trailer.json"),
                 "the scenes, the transcript and the trailer plan, for the review page"),
        S3Access(OUTPUT, WRITE, ("assets/*/review/*",), "the review page"),
        S3Access(OUTPUT, LIST, (WORK,), "list a completed job's work files"),
        S3Access(OUTPUT, LIST, (ASSETS,), "list the job's outputs: their sizes and writes for its cost report"),
        S3Access(OUTPUT, ("s3:DeleteObject",), (WORK,), "delete a completed job's work files"),
    ),
    "Api": (
        S3Access(INGEST, READ_SOURCE, (ANY,), "HEAD a source before starting a job on it"),
        S3Access(INGEST, LIST, (ANY,), "a HEAD of a missing source answers 404, not 403"),
        S3Access(INGEST, ("s3:ListBucketVersions",), (UPLOADS,), "find every version of an upload to purge"),
        S3Access(INGEST, WRITE + ("s3:ListMultipartUploadParts",), (UPLOADS,),
                 "presigned uploads (form POST or multipart; listing parts checks the size), only under "
                 "<tenant>/uploads/"),
        S3Access(INGEST, ("s3:DeleteObject", "s3:DeleteObjectVersion"), (UPLOADS,),
                 "purge_source=true: the asset's own upload, every version"),
        S3Access(OUTPUT, READ, (ASSETS,), "manifests; presigned output links are signed with this role"),
        S3Access(OUTPUT, LIST, (ANY,), "list an asset's outputs; a missing manifest answers 404, not 403"),
        S3Access(OUTPUT, ("s3:DeleteObject",), (ASSETS,), "DELETE /assets/{id}: the asset's outputs"),
    ),
}


JOBS, IDEMPOTENCY = "jobs", "idempotency"
GET, QUERY = "dynamodb:GetItem", "dynamodb:Query"
PUT, UPDATE, DELETE, BATCH_WRITE = "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"
# Actions that can remove an item (BatchWriteItem carries deletes as well as puts).
REMOVES = (DELETE, BATCH_WRITE)


@dataclass(frozen=True)
class TableAccess:
    """`actions` on the items of one table, and on its indexes too when `indexes` is set."""

    table: str
    actions: tuple[str, ...]
    why: str
    indexes: bool = False


TABLE_GRANTS: dict[str, tuple[TableAccess, ...]] = {
    "Ingest": (
        TableAccess(JOBS, (GET,), "does the key's first folder name a tenant"),
        TableAccess(JOBS, (PUT, UPDATE), "the asset and its job, once per upload; claim (or expire) a reserved upload"),
        TableAccess(IDEMPOTENCY, (GET, PUT, UPDATE, DELETE),
                    "Powertools idempotency: one record per upload event; a failed attempt's record is deleted so a "
                    "retry runs"),
    ),
    "Probe": (TableAccess(JOBS, (UPDATE,), "the job is RUNNING; the asset's probed source"),),
    "Captions": (TableAccess(JOBS, (UPDATE,), "the asset's transcript summary"),),
    "Scenes": (TableAccess(JOBS, (QUERY, BATCH_WRITE), "replace the asset's scene items and tag entries"),),
    "SceneSpeech": (TableAccess(JOBS, (QUERY, BATCH_WRITE), "replace the scene items, now with dialogue tags"),),
    "Finalize": (TableAccess(JOBS, (GET, UPDATE), "read the job; its final status, stage results and cost"),),
    "ExecutionEnd": (TableAccess(JOBS, (UPDATE,), "a job still QUEUED or RUNNING when its execution ended: FAILED"),),
    "Api": (
        TableAccess(JOBS, (GET,), "the tenant of an API key; an asset, a job; does a tenant exist"),
        TableAccess(JOBS, (QUERY,), "listings, scene search, an asset's jobs and items", indexes=True),
        TableAccess(JOBS, (PUT, UPDATE), "reserve an upload; start, cancel and settle jobs"),
        TableAccess(JOBS, (BATCH_WRITE,), "DELETE /assets/{id}: the asset's items and its jobs"),
    ),
}


def grant_tables(fn: lambda_.Function, name: str, tables: Mapping[str, ddb.ITableV2]) -> None:
    """Add the function's rows of TABLE_GRANTS to its role; acknowledge index wildcards with the row's reason."""
    assert fn.role is not None
    for access in TABLE_GRANTS.get(name, ()):
        table = tables[access.table]
        resources = [table.table_arn] + ([f"{table.table_arn}/index/*"] if access.indexes else [])
        fn.add_to_role_policy(iam.PolicyStatement(actions=list(access.actions), resources=resources))
        if access.indexes:
            acknowledge(default_policy(fn.role), f"AwsSolutions-IAM5[Resource::{arn_token(table)}/index/*]",
                        f"{name} may {', '.join(access.actions)} on the {access.table} table's own indexes: "
                        f"{access.why}.")


def _statement(access: S3Access, bucket: s3.IBucket) -> iam.PolicyStatement:
    if access.on_bucket:
        conditions = None if access.keys == (ANY,) else {"StringLike": {"s3:prefix": list(access.keys)}}
        return iam.PolicyStatement(actions=list(access.actions), resources=[bucket.bucket_arn], conditions=conditions)
    return iam.PolicyStatement(actions=list(access.actions),
                               resources=[bucket.arn_for_objects(key) for key in access.keys])


def grant_s3(fn: lambda_.Function, name: str, buckets: Mapping[str, s3.IBucket]) -> None:
    """Add the function's rows of S3_GRANTS to its role, and acknowledge each row's key wildcards on that
    role's policy alone, with the row's reason."""
    assert fn.role is not None
    reasons: dict[str, list[str]] = {}
    for access in S3_GRANTS[name]:
        bucket = buckets[access.bucket]
        fn.add_to_role_policy(_statement(access, bucket))
        if access.on_bucket:
            continue
        for key in access.keys:
            reasons.setdefault(f"AwsSolutions-IAM5[Resource::{arn_token(bucket)}/{key}]", []).append(
                f"{name} may {', '.join(access.actions)} on {key} in the {access.bucket} bucket: {access.why}.")
    for finding, why in reasons.items():
        acknowledge(default_policy(fn.role), finding, " ".join(why))


def markdown_table() -> str:
    """The README's table of every function's S3 access (tests/infra checks the README holds it verbatim)."""
    rows = ["| function | bucket | actions | keys | why |", "|---|---|---|---|---|"]
    for name, accesses in S3_GRANTS.items():
        for access in accesses:
            keys = ", ".join(f"`{key}`" for key in access.keys)
            if access.on_bucket:
                keys = "the bucket" if access.keys == (ANY,) else f"the bucket, under {keys}"
            actions = ", ".join(a.removeprefix("s3:") for a in access.actions)
            rows.append(f"| {name} | {access.bucket} | {actions} | {keys} | {access.why} |")
    return "\n".join(rows) + "\n"


def table_markdown_table() -> str:
    """The README's table of every function's DynamoDB access (tests/infra checks the README holds it verbatim)."""
    rows = ["| function | table | actions | on | why |", "|---|---|---|---|---|"]
    for name, accesses in TABLE_GRANTS.items():
        for access in accesses:
            actions = ", ".join(a.removeprefix("dynamodb:") for a in access.actions)
            scope = "items and indexes" if access.indexes else "items"
            rows.append(f"| {name} | {access.table} | {actions} | {scope} | {access.why} |")
    return "\n".join(rows) + "\n"
