"""The local runtime's IAM check of S3 calls: the same answers IAM gives for the statements the stack uses."""
import pytest

from reelflow.local.s3_policy import Request, UnsupportedCondition, allowed, requests_for

OUT = "arn:aws:s3:::out"
STATEMENTS = [
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload"], "Resource": [f"{OUT}/assets/*/hls/*"]},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": OUT, "Condition": {"StringLike": {"s3:prefix": ["work/*"]}}},
    {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"{OUT}/work/*"},
    {"Effect": "Allow", "Action": "s3:GetObject*", "Resource": f"{OUT}/assets/?/poster.jpg"},
]


@pytest.mark.parametrize("request_, expected", [
    (Request("s3:PutObject", f"{OUT}/assets/a1/hls/360p/c0000-00001.ts"), True),
    (Request("s3:PutObject", f"{OUT}/assets/a1/proxy.mp4"), False),
    (Request("s3:PutObject", f"{OUT}/work/a1/j1/x"), False),
    (Request("s3:ListBucket", OUT, "work/a1/j1/"), True),
    (Request("s3:ListBucket", OUT, "assets/a1/"), False),
    (Request("s3:ListBucket", OUT, ""), False),
    (Request("s3:DeleteObject", f"{OUT}/work/a1/j1/proxy/c0000.mp4"), True),
    (Request("s3:DeleteObject", f"{OUT}/assets/a1/manifest.json"), False),
    (Request("s3:DeleteObjectVersion", f"{OUT}/work/a1/j1/x"), False),
    (Request("s3:GetObjectVersion", f"{OUT}/assets/b/poster.jpg"), True),
    (Request("s3:GetObject", f"{OUT}/assets/bb/poster.jpg"), False),
    (Request("s3:PutObject", "arn:aws:s3:::other/assets/a1/hls/x.ts"), False),
])
def test_iam_answers(request_, expected):
    assert allowed(STATEMENTS, request_) is expected


def test_an_explicit_deny_wins():
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": f"{OUT}/assets/secret/*"}
    assert not allowed([*STATEMENTS, deny], Request("s3:PutObject", f"{OUT}/assets/secret/hls/x.ts"))


def test_conditions_it_cannot_evaluate_are_refused():
    odd = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "1.2.3.4"}}}]
    with pytest.raises(UnsupportedCondition):
        allowed(odd, Request("s3:GetObject", f"{OUT}/x"))


def test_operations_map_to_iam_actions():
    assert requests_for("HeadObject", {"Bucket": "in", "Key": "a b.mov", "VersionId": "v1"}) == [
        Request("s3:GetObjectVersion", "arn:aws:s3:::in/a b.mov")]
    assert requests_for("UploadPart", {"Bucket": "out", "Key": "k", "PartNumber": 2}) == [
        Request("s3:PutObject", "arn:aws:s3:::out/k")]
    assert requests_for("DeleteObjects", {"Bucket": "in", "Delete": {"Objects": [
        {"Key": "uploads/a"}, {"Key": "uploads/a", "VersionId": "v"}]}}) == [
        Request("s3:DeleteObject", "arn:aws:s3:::in/uploads/a"), Request("s3:DeleteObjectVersion", "arn:aws:s3:::in/uploads/a")]
    assert requests_for("ListObjectVersions", {"Bucket": "in", "Prefix": "uploads/x"}) == [
        Request("s3:ListBucketVersions", "arn:aws:s3:::in", "uploads/x")]
    assert requests_for("ListObjectsV2", {"Bucket": "out"}) == [Request("s3:ListBucket", "arn:aws:s3:::out", "")]
    assert requests_for("GetBucketLocation", {"Bucket": "out"}) == []


TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/{}"
JOBS = TABLE.format("jobs")


def test_dynamodb_calls_ask_for_their_table_or_index():
    from reelflow.local.s3_policy import table_requests_for

    assert table_requests_for("GetItem", {"TableName": "jobs", "Key": {}}, TABLE) == [Request("dynamodb:GetItem", JOBS)]
    assert table_requests_for("Query", {"TableName": "jobs", "IndexName": "gsi1"}, TABLE) == [
        Request("dynamodb:Query", f"{JOBS}/index/gsi1")]
    assert table_requests_for("BatchWriteItem", {"RequestItems": {"jobs": [], "other": []}}, TABLE) == [
        Request("dynamodb:BatchWriteItem", JOBS), Request("dynamodb:BatchWriteItem", TABLE.format("other"))]
    assert table_requests_for("ListTables", {}, TABLE) == []


def test_dynamodb_answers_follow_the_statements():
    statements = [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"], "Resource": JOBS},
                  {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": [JOBS, f"{JOBS}/index/*"]}]
    assert allowed(statements, Request("dynamodb:UpdateItem", JOBS))
    assert allowed(statements, Request("dynamodb:Query", f"{JOBS}/index/gsi2"))
    assert not allowed(statements, Request("dynamodb:GetItem", f"{JOBS}/index/gsi1"))
    assert not allowed(statements, Request("dynamodb:BatchWriteItem", JOBS))
    assert not allowed(statements, Request("dynamodb:GetItem", TABLE.format("idempotency")))
