"""The local stack's S3 answers form uploads as S3 does, from the policy the uploader was handed (moto alone stores
any form POST): the size range, the key, the fields, the expiry and the signature all hold."""
from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config

from reelflow.local.post_policy import refusal

SECRETS = {"testing": "testing"}
BUCKET, KEY = "ingest", "tenant-a/uploads/0123/clip.mp4"


@pytest.fixture(scope="module")
def fields() -> dict[str, str]:
    """A presigned POST as the API makes it (functions.api.service): size range, content type, one option."""
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing",
                      config=Config(signature_version="s3v4"))
    form = {"Content-Type": "video/mp4", "x-amz-meta-stages": "scenes"}
    post = s3.generate_presigned_post(BUCKET, KEY, Fields=form, ExpiresIn=900,
                                      Conditions=[["content-length-range", 1, 1000], *({k: v} for k, v in form.items())])
    return post["fields"]


def answer(fields: dict[str, str], size: int = 500, **kwargs) -> tuple[int, str] | None:
    refused = refusal(fields, kwargs.pop("bucket", BUCKET), size, SECRETS, **kwargs)
    return (refused.status, refused.code) if refused else None


def test_an_upload_within_the_policy_is_accepted(fields):
    assert answer(fields, 1) is None and answer(fields, 1000) is None


def test_an_upload_over_or_under_the_size_range_is_refused(fields):
    assert answer(fields, 1001) == (400, "EntityTooLarge")
    assert answer(fields, 0) == (400, "EntityTooSmall")


@pytest.mark.parametrize("change", [
    {"key": "tenant-b/uploads/0123/clip.mp4"},  # another key
    {"Content-Type": "text/html"},
    {"x-amz-meta-stages": "transcode"},
    {"x-amz-meta-trailer-seconds": "600"},  # a field the policy does not name
])
def test_fields_the_policy_does_not_allow_are_refused(fields, change):
    assert answer(fields | change) == (403, "AccessDenied")


def test_another_bucket_an_edited_policy_an_expired_one_or_none_are_refused(fields):
    assert answer(fields, bucket="output") == (403, "AccessDenied")
    policy = json.loads(base64.b64decode(fields["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if not (isinstance(c, list) and c[0] == "content-length-range")]
    edited = fields | {"policy": base64.b64encode(json.dumps(policy).encode()).decode()}
    assert answer(edited, 10**9) == (403, "AccessDenied")
    assert answer(fields, now=datetime.now(UTC) + timedelta(minutes=16)) == (403, "AccessDenied")
    assert answer({"key": KEY}) == (403, "AccessDenied")
    assert refusal(fields, BUCKET, 500, {"testing": "another secret"}) is not None
