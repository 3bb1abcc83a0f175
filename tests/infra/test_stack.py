"""The synthesized template (synthesized once per session, cdk-nag AwsSolutions included)."""
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Match, Template

from functions.core import models
from tests import golden
from tests.conftest import REPO


@pytest.fixture(scope="module")
def stack(template) -> Template:
    return Template.from_json(template)


def resources(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_buckets_block_public_access_enforce_ssl_and_encrypt(stack, template):
    buckets = resources(template, "AWS::S3::Bucket")
    assert len(buckets) == 4  # ingest, output, access logs, playback (CloudFront) logs
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    policies = resources(template, "AWS::S3::BucketPolicy")
    assert len(policies) == 4
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


@pytest.fixture(scope="module")
def definition(template) -> dict:
    return golden.state_machine_definition(template)


def test_state_machine_matches_golden(definition):
    assert definition == golden.json_value("state_machine.json", definition), golden.HOW


def test_every_failure_is_caught_and_still_finalizes(definition):
    """A failed state records a FAILED result (branches) or goes on towards Finalize; only Finalize may fail
    the execution, and item failures inside a Map are caught by the Map itself."""
    states = definition["States"]
    branches = states["Stages"]["Branches"]
    for scope in [states, *(b["States"] for b in branches)]:
        for name, state in scope.items():
            if state["Type"] in ("Task", "Map", "Parallel") and name != "Finalize":
                catch_all = [c for c in state.get("Catch", []) if c["ErrorEquals"] == ["States.ALL"]]
                assert catch_all, name
                if scope is not states:  # a branch's catch ends the branch with its stage's result
                    target = scope[catch_all[0]["Next"]]
                    assert target["Type"] == "Pass" and target.get("End") is True, name
                else:
                    assert _reaches(states, catch_all[0]["Next"], "Finalize"), name


def test_each_branch_first_asks_whether_its_stage_runs_and_every_map_uses_the_probed_plan(definition):
    """Every Map goes over the probed chunks, but the one over Probe's Transcribe spans (groups of those chunks)."""
    branches = definition["States"]["Stages"]["Branches"]
    in_parallel = [stage for stage in models.OPTIONAL_STAGES if stage != "trailer"]  # the trailer runs after
    for branch, stage in zip(branches, in_parallel, strict=True):
        first = branch["States"][branch["StartAt"]]
        assert first["Type"] == "Choice" and first["Choices"][0]["Variable"] == f"$.probe.run.{stage}"
        maps = {name: s["ItemsPath"] for name, s in branch["States"].items() if s["Type"] == "Map"}
        spans = {"TranscribeSpans": "$.probe.transcribe_spans"} if stage == "captions" else {}
        assert maps and maps == dict.fromkeys(set(maps) - set(spans), "$.probe.plan.chunks") | spans, stage


def test_the_state_machine_names_only_the_models_stages(definition):
    """The Pass states that write a stage's result and the Choices that ask whether a stage runs spell the
    names in ASL; they are the ones functions.core.models owns (StageResult.stage would refuse any other)."""
    written, asked = set(), set()

    def walk(states: dict) -> None:
        for state in states.values():
            if state["Type"] == "Pass" and "stage" in state.get("Parameters", {}):
                written.add(state["Parameters"]["stage"])
            for choice in state.get("Choices", []):
                if choice.get("Variable", "").startswith("$.probe.run."):
                    asked.add(choice["Variable"].removeprefix("$.probe.run."))
            for branch in state.get("Branches", []):
                walk(branch["States"])
            if "ItemProcessor" in state:
                walk(state["ItemProcessor"]["States"])

    walk(definition["States"])
    assert asked == set(models.OPTIONAL_STAGES)
    assert written == set(models.OPTIONAL_STAGES) | {"scene_speech"}
    assert written <= set(models.STAGE_NAMES)


def _reaches(states: dict, start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name == goal:
            return True
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        todo += [n for n in (state.get("Next"), state.get("Default")) if n]
        todo += [c["Next"] for c in state.get("Choices", [])]
    return False


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
