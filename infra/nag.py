"""cdk-nag AwsSolutions acknowledgements. Each names one exact finding on one resource and says why it is
accepted: an acknowledgement is recorded on the construct it is made on and covers only that resource."""
from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from constructs import IConstruct

PACK = "AwsSolutions::"
LAMBDA_BASIC_EXECUTION = (
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]"
)
# How cdk-nag writes the transcription-job/* ARN of the stack's own account and region.
TRANSCRIPTION_JOBS = "arn:<AWS::Partition>:transcribe:<AWS::Region>:<AWS::AccountId>:transcription-job/*"


def acknowledge(construct: IConstruct, finding: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=PACK + finding, reason=reason))


def arn_token(construct: IConstruct) -> str:
    """How cdk-nag writes a resource's `Fn::GetAtt Arn` in a finding: `<LogicalId.Arn>`."""
    default = construct.node.default_child
    assert isinstance(default, CfnResource)
    return f"<{Stack.of(construct).get_logical_id(default)}.Arn>"


def default_policy(role: IConstruct) -> IConstruct:
    """The inline policy CDK collects a role's grants in (created by the first grant)."""
    return role.node.find_child("DefaultPolicy")
