"""The synthesized template (synthesized once per session, cdk-nag AwsSolutions included)."""
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Match, Template

from functions.core import models
from tests.conftest import REPO


@pytest.fixture(scope="module")
def stack(template) -> Template:
    return Template.from_json(template)


def resources(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_buckets_block_public_access_enforce_ssl_and_encrypt(stack, template):
    buckets = resources(template, "AWS::S3::Bucket")
    assert len(buckets) == 3
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    policies = resources(template, "AWS::S3::BucketPolicy")
    assert len(policies) == 3
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                   for s in statements)


def test_ingest_bucket_is_versioned_and_notifies_eventbridge(stack):
    stack.has_resource_properties("AWS::S3::Bucket", {
        "VersioningConfiguration": {"Status": "Enabled"},
        "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
    })


def test_table_is_on_demand_with_pitr_and_indexes(stack):
    stack.has_resource_properties("AWS::DynamoDB::GlobalTable", {
        "BillingMode": "PAY_PER_REQUEST",
        "Replicas": [Match.object_like({"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}})],
        "GlobalSecondaryIndexes": Match.array_with([Match.object_like({"IndexName": "gsi1"}),
                                                    Match.object_like({"IndexName": "gsi2"})]),
    })


def test_upload_events_flow_through_a_queue_with_dlq_to_ingest(stack, template):
    stack.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": Match.any_value()},
        "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [Match.string_like_regexp("IngestQueue"), "Arn"]}})],
    })
    stack.has_resource_properties("AWS::SQS::Queue", {
        "RedrivePolicy": {"deadLetterTargetArn": Match.any_value(), "maxReceiveCount": 3}})
    stack.has_resource_properties("AWS::Lambda::EventSourceMapping", {
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "FunctionName": {"Ref": Match.string_like_regexp("FunctionsIngest")},
    })


def test_every_function_is_the_shared_image_with_an_importable_handler(template):
    functions = resources(template, "AWS::Lambda::Function")
    assert len(functions) >= 9
    for logical_id, fn in functions.items():
        props = fn["Properties"]
        assert props["PackageType"] == "Image", logical_id
        module, _, name = props["ImageConfig"]["Command"][0].rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), logical_id
        assert props["TracingConfig"] == {"Mode": "Active"}


def test_state_machine_shape(template):
    machine = next(iter(resources(template, "AWS::StepFunctions::StateMachine").values()))
    text = "".join(part if isinstance(part, str) else "ARN" for part in machine["Properties"]["DefinitionString"]["Fn::Join"][1])
    definition = json.loads(text)
    states = definition["States"]
    assert definition["StartAt"] == "Probe"
    assert states["Probe"]["Catch"][0]["Next"] == "Finalize"
    assert states["Stages"]["Type"] == "Parallel"
    branches = states["Stages"]["Branches"]
    assert [b["StartAt"] for b in branches] == ["TranscodeRequested", "CaptionsRequested", "ScenesRequested"]
    for branch in branches:
        tasks = [s for s in branch["States"].values() if s["Type"] in ("Task", "Map")]
        assert tasks and all(any(c["ErrorEquals"] == ["States.ALL"] for c in t.get("Catch", [])) for t in tasks)
    assert states["Stages"]["Next"] == "SceneSpeech"
    assert states["SceneSpeech"]["Next"] == "TrailerRequested"
    assert states["SceneSpeech"]["Catch"][0]["Next"] == "SceneSpeechFailed"
    assert states["TrailerRequested"]["Default"] == "Trailer"
    assert states["Trailer"]["Catch"][0]["Next"] == "TrailerFailed"
    assert states["Finalize"]["Next"] == "Outcome"
    assert states["JobFailed"]["Type"] == "Fail"
    for branch, stage in zip(branches, ("transcode", "captions", "scenes")):
        choice = branch["States"][branch["StartAt"]]
        assert choice["Choices"][0]["Variable"] == f"$.probe.run.{stage}"
    scenes = branches[2]["States"]
    assert scenes["ScenesRequested"]["Default"] == "MeasureSceneParts"
    assert scenes["MeasureSceneParts"]["ItemsPath"] == "$.probe.plan.chunks"
    assert scenes["MeasureSceneParts"]["Next"] == "Scenes"
    transcribe = branches[1]["States"]
    assert transcribe["CaptionEngine"]["Default"] == "TranscribeParts"
    assert transcribe["TranscribeParts"]["ItemsPath"] == "$.probe.plan.chunks"
    assert transcribe["TranscribeParts"]["Next"] == "Captions"
    assert transcribe["TranscribeDone"]["Choices"][0]["Next"] == "CaptionsFromTranscribe"
    assert transcribe["PollTranscribe"]["Resource"].endswith(":transcribe:getTranscriptionJob")
    assert transcribe["TranscribeDone"]["Default"] == "WaitForTranscribe"


def test_cfn_lint_is_clean(template, tmp_path):
    path = tmp_path / "Reelflow.template.json"
    path.write_text(json.dumps(template))
    proc = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(path)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_sample_event_fits_its_handler(template):
    from aws_lambda_powertools.utilities.parser.models import SqsModel

    events = REPO / "events"
    schema = {
        "probe": models.JobInput, "transcode_chunk": models.ChunkInput, "transcode_package": models.PackageInput,
        "captions": models.CaptionsInput, "transcribe_start": models.StageInput, "scenes": models.ScenesInput, "scene_part": models.ChunkInput,
        "caption_part": models.ChunkInput,
        "trailer": models.AfterStagesInput, "scene_speech": models.AfterStagesInput, "finalize": models.FinalizeInput, "finalize_probe_failed": models.FinalizeInput,
        "ingest": SqsModel,
    }
    for name, model in schema.items():
        model.model_validate_json((events / f"{name}.json").read_text())
