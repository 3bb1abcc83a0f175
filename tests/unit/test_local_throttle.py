"""The local runtime's throttling fault chooses its calls by count, so a test of the fault cannot depend on a draw."""
import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from reelflow.local.throttle import MARKER, throttle


class _Body:
    def stream(self, **_):
        yield b"<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>"


def s3_client(fraction: float, attempts: int):
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    throttle(session, fraction)
    # Registered after the fault, so it answers only the calls the fault let through (nothing leaves the process).
    session.events.register("before-send.s3", lambda request, **_: AWSResponse(request.url, 200, {}, _Body()))
    return session.client("s3", config=Config(retries={"mode": "standard", "total_max_attempts": attempts}))


def test_the_first_call_and_then_one_in_every_five_are_throttled(caplog):
    s3 = s3_client(0.2, attempts=1)
    outcomes = []
    for _ in range(11):
        try:
            s3.list_buckets()
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
    assert [i for i, o in enumerate(outcomes) if o != "ok"] == [0, 5, 10]
    assert {outcomes[i] for i in (0, 5, 10)} == {"SlowDown"}
    assert sum(MARKER in r.getMessage() for r in caplog.records) == 3


@pytest.mark.parametrize("fraction", [0.2, 0.5])
def test_the_sdk_retries_absorb_every_throttle(fraction):
    s3 = s3_client(fraction, attempts=8)
    for _ in range(6):
        assert s3.list_buckets()["Buckets"] == []
