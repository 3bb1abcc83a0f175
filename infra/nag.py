"""cdk-nag AwsSolutions acknowledgements. Each names one exact finding and says why it is accepted."""
from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from constructs import IConstruct

PACK = "AwsSolutions::"


def _arn(stack: Stack, construct: IConstruct) -> str:
    default = construct.node.default_child
    assert isinstance(default, CfnResource)
    return f"<{stack.get_logical_id(default)}.Arn>"


def acknowledge_findings(
    stack: Stack,
    *,
    buckets: Iterable[IConstruct],
    tables: Iterable[IConstruct],
    invoked_functions: Iterable[IConstruct],
) -> None:
    reasons: dict[str, str] = {
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]":
            "The AWS-managed minimum for Lambda: it grants only CloudWatch Logs writes.",
        "AwsSolutions-IAM5[Resource::*]":
            "X-Ray PutTraceSegments/PutTelemetryRecords, Logs delivery, rekognition:DetectLabels on image "
            "bytes and transcribe:StartTranscriptionJob accept no resource ARN.",
        "AwsSolutions-IAM5[Action::s3:GetObject*]":
            "CDK's grantRead: object reads (incl. versions and tags) scoped to one bucket.",
        "AwsSolutions-IAM5[Action::s3:GetBucket*]": "CDK's grantRead: bucket metadata of one bucket.",
        "AwsSolutions-IAM5[Action::s3:List*]": "CDK's grantRead: listing of one bucket.",
        "AwsSolutions-IAM5[Action::s3:DeleteObject*]":
            "Output bucket only: re-runs replace an asset's outputs. The ingest bucket is never writable.",
        "AwsSolutions-IAM5[Action::s3:Abort*]": "Output bucket only: abort failed multipart uploads.",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:transcribe:<AWS::Region>:<AWS::AccountId>:transcription-job/*]":
            "Transcription job names are derived from job ids at run time; the action is get only.",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:transcribe:<AWS::Region>:<AWS::AccountId>:vocabulary/*]":
            "The custom vocabulary is a job option chosen at run time; the action is GetVocabulary only.",
    }
    for bucket in buckets:
        reasons[f"AwsSolutions-IAM5[Resource::{_arn(stack, bucket)}/*]"] = (
            "Objects are keyed by asset id at run time; access stays inside this one bucket."
        )
    for table in tables:
        reasons[f"AwsSolutions-IAM5[Resource::{_arn(stack, table)}/index/*]"] = (
            "Queries on this table's own GSIs (job status, collections, scene tags)."
        )
    for fn in invoked_functions:
        reasons[f"AwsSolutions-IAM5[Resource::{_arn(stack, fn)}:*]"] = (
            "The state machine invokes this function's versions and aliases."
        )
    for finding, reason in reasons.items():
        Validations.of(stack).acknowledge(Acknowledgment(id=PACK + finding, reason=reason))
