"""Storage lifecycle, per-function S3 grants, reserved concurrency and CORS in the synthesized template."""
from __future__ import annotations

import re

import pytest

from infra.config import RESERVED_CONCURRENCY, ConfigError, StackConfig, cors_origins, reserved_concurrency
from infra.grants import REMOVES, S3_GRANTS, TABLE_GRANTS, UPLOADS, markdown_table, table_markdown_table
from tests.conftest import REPO

FUNCTION_ID = re.compile(r"Functions([A-Za-z]+)[0-9A-F]{8}")
DELETES = ("s3:DeleteObject", "s3:DeleteObjectVersion")


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def bucket(template: dict, name: str) -> tuple[str, dict]:
    return next((lid, r["Properties"]) for lid, r in resources(template, "AWS::S3::Bucket").items()
                if lid.startswith(f"Storage{name}"))


def functions(template: dict) -> dict[str, dict]:
    """Function name (as in infra/stack.py) -> properties."""
    return {FUNCTION_ID.fullmatch(lid).group(1): r["Properties"]
            for lid, r in resources(template, "AWS::Lambda::Function").items()}


def statements_by_function(template: dict) -> dict[str, list[dict]]:
    """Every IAM statement of each function's role; the state machine's role appears as "StateMachine"."""
    role_owner = {fn["Role"]["Fn::GetAtt"][0]: name for name, fn in functions(template).items()}
    found: dict[str, list[dict]] = {}
    for policy in resources(template, "AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            owner = role_owner.get(role["Ref"], role["Ref"])
            found.setdefault(owner, []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def target(template: dict, resource) -> tuple[str, str | None]:
    """("ingest" | "output" | other, object key pattern or None for the bucket itself)."""
    names = {bucket(template, "Ingest")[0]: "ingest", bucket(template, "Output")[0]: "output"}
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return names.get(resource["Fn::GetAtt"][0], "other"), None
    if isinstance(resource, dict) and "Fn::Join" in resource:
        head, tail = resource["Fn::Join"][1]
        if isinstance(head, dict) and "Fn::GetAtt" in head:
            return names.get(head["Fn::GetAtt"][0], "other"), tail.removeprefix("/")
    return "other", None


def s3_grants(template: dict, statements: list[dict]) -> set[tuple[str, str, str | None, str]]:
    """(action, bucket, key pattern, listing condition) for every S3 action in `statements`."""
    found = set()
    for s in statements:
        prefixes = s.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
        for action in as_list(s["Action"]):
            if action.startswith("s3:"):
                for resource in as_list(s["Resource"]):
                    found.add((action, *target(template, resource), ",".join(prefixes) if prefixes else None))
    return found


def test_work_files_expire_and_incomplete_uploads_are_aborted_in_the_output_bucket(template):
    rules = bucket(template, "Output")[1]["LifecycleConfiguration"]["Rules"]
    assert {"Id": "ExpireWorkFiles", "Prefix": "work/", "ExpirationInDays": 3, "Status": "Enabled"} in rules
    assert any(r.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 1} and "Prefix" not in r
               for r in rules)
    assert not any("ExpirationInDays" in r and r.get("Prefix") != "work/" for r in rules)  # outputs never expire


def test_replaced_and_deleted_sources_are_kept_for_the_retention_period(template):
    rules = bucket(template, "Ingest")[1]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("NoncurrentVersionExpiration") == {"NoncurrentDays": 30} for r in rules)
    assert any(r.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 1} for r in rules)
    assert not any("ExpirationInDays" in r for r in rules)  # a current source version never expires


def test_unused_upload_reservations_expire_through_the_job_tables_ttl(template):
    from functions.core.repository import RESERVATION_EXPIRES

    (table,) = [r["Properties"] for lid, r in resources(template, "AWS::DynamoDB::GlobalTable").items()
                if lid.startswith("StorageJobs")]
    assert table["TimeToLiveSpecification"] == {"AttributeName": RESERVATION_EXPIRES, "Enabled": True}


def test_only_the_api_deletes_outputs_or_sources_and_only_within_its_prefixes(template):
    deletes = {name: {(a, b, k) for a, b, k, _ in s3_grants(template, statements) if a.startswith("s3:Delete")}
               for name, statements in statements_by_function(template).items()}
    assert {name for name, found in deletes.items() if found} == {"Api", "Finalize"}
    assert deletes["Api"] == {("s3:DeleteObject", "ingest", UPLOADS), ("s3:DeleteObjectVersion", "ingest", UPLOADS),
                              ("s3:DeleteObject", "output", "assets/*")}
    # Finalize's one delete: a completed job's scratch files, a prefix no output or source lives under.
    assert deletes["Finalize"] == {("s3:DeleteObject", "output", "work/*")}


def test_no_wildcard_s3_actions_and_no_stage_writes_the_ingest_bucket(template):
    for name, statements in statements_by_function(template).items():
        grants = s3_grants(template, statements)
        assert not [g for g in grants if "*" in g[0]], name
        writes = {g for g in grants if g[1] == "ingest" and not g[0].startswith(("s3:Get", "s3:List"))}
        assert not writes or (name == "Api" and {g[2] for g in writes} == {UPLOADS}), (name, writes)


def test_stages_that_never_open_the_source_cannot_read_the_ingest_bucket(template):
    by_function = statements_by_function(template)
    for name in ("TranscodePackage", "Scenes", "SceneSpeech", "Finalize"):
        assert not {g for g in s3_grants(template, by_function[name]) if g[1] == "ingest"}, name


def test_every_role_has_exactly_the_s3_access_its_grants_table_rows_say(template):
    by_function = statements_by_function(template)
    assert set(S3_GRANTS) == set(functions(template))
    for name, accesses in S3_GRANTS.items():
        expected = set()
        for access in accesses:
            for action in access.actions:
                if access.on_bucket:
                    expected.add((action, access.bucket, None, None if access.keys == ("*",) else ",".join(access.keys)))
                else:
                    expected |= {(action, access.bucket, key, None) for key in access.keys}
        assert s3_grants(template, by_function[name]) == expected, name


def test_the_readme_lists_every_grant():
    readme = (REPO / "README.md").read_text()
    assert markdown_table() in readme and table_markdown_table() in readme


def table_grants(template: dict, statements: list[dict]) -> set[tuple[str, str, bool]]:
    """(action, "jobs" | "idempotency", on the indexes too) for every DynamoDB action in `statements`."""
    tables = {lid: "jobs" if lid.startswith("StorageJobs") else "idempotency"
              for lid in resources(template, "AWS::DynamoDB::GlobalTable")}
    found = set()
    for s in statements:
        if not any(a.startswith("dynamodb:") for a in as_list(s["Action"])):
            continue
        arns = as_list(s["Resource"])
        names = {tables.get(r["Fn::GetAtt"][0], "other") for r in arns if isinstance(r, dict) and "Fn::GetAtt" in r}
        indexes = any(isinstance(r, dict) and "Fn::Join" in r and r["Fn::Join"][1][-1] == "/index/*" for r in arns)
        for action in as_list(s["Action"]):
            if action.startswith("dynamodb:"):
                assert len(names) == 1, s  # one table per statement
                found.add((action, next(iter(names)), indexes))
    return found


def test_every_role_has_exactly_the_table_access_its_grants_table_rows_say(template):
    by_function = statements_by_function(template)
    for name in functions(template):
        expected = {(a, access.table, access.indexes) for access in TABLE_GRANTS.get(name, ()) for a in access.actions}
        assert table_grants(template, by_function.get(name, [])) == expected, name


def test_only_the_api_and_the_scene_writers_may_remove_job_records_and_nothing_reads_everything(template):
    grants = {name: table_grants(template, statements) for name, statements in statements_by_function(template).items()}
    removers = {name for name, found in grants.items() if any(a in REMOVES and t == "jobs" for a, t, _ in found)}
    assert removers == {"Api", "Scenes", "SceneSpeech"}
    assert {name for name, found in grants.items() if any(a in REMOVES for a, *_ in found)} == removers | {"Ingest"}
    assert {(a, t) for a, t, _ in grants["Ingest"] if a in REMOVES} == {("dynamodb:DeleteItem", "idempotency")}
    for name, found in grants.items():  # no Scan, no wildcard, and only the API reaches the indexes
        assert not {a for a, *_ in found if a in ("dynamodb:Scan", "dynamodb:*") or "*" in a}, name
        assert not any(indexes for *_, indexes in found) or name == "Api", name
    stages = {"TranscodeChunk", "TranscodePackage", "CaptionPart", "TranscribeStart", "ScenePart", "Trailer"}
    assert not any(grants.get(name) for name in stages)  # the media stages never touch a table


def test_every_function_has_reserved_concurrency_and_ingest_polls_within_it(template):
    reserved = {name: fn.get("ReservedConcurrentExecutions") for name, fn in functions(template).items()}
    assert reserved == RESERVED_CONCURRENCY
    mapping = next(iter(resources(template, "AWS::Lambda::EventSourceMapping").values()))["Properties"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": RESERVED_CONCURRENCY["Ingest"]}


def test_state_machine_waits_out_throttling(template):
    definition = next(iter(resources(template, "AWS::StepFunctions::StateMachine").values()))
    text = "".join(p for p in definition["Properties"]["DefinitionString"]["Fn::Join"][1] if isinstance(p, str))
    assert text.count('"ErrorEquals":["Lambda.TooManyRequestsException"]') >= len(RESERVED_CONCURRENCY) - 2


def test_no_cors_rule_by_default(template):
    assert "CorsConfiguration" not in bucket(template, "Ingest")[1]


def test_context_sets_origins_retention_and_concurrency():
    """The context as `cdk synth -c` passes it (strings), read by the stack's own config and storage."""
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from infra.storage import Storage

    app = App(builtin_cloud_formation_validation=False,  # cfn-lint covers the real template
              context={"cors_origins": "https://studio.example.com, https://review.example.com",
                       "source_retention_days": "7", "reserved_concurrency": "none"})
    stack = Stack(app, "Context")
    config = StackConfig.from_context(stack)
    Storage(stack, "Storage", cors_origins=config.cors_origins, source_retention_days=config.source_retention_days)
    template = Template.from_stack(stack).to_json()
    (rule,) = bucket(template, "Ingest")[1]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == ["https://studio.example.com", "https://review.example.com"]
    assert set(rule["AllowedMethods"]) == {"PUT", "POST"}
    rules = bucket(template, "Ingest")[1]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("NoncurrentVersionExpiration") == {"NoncurrentDays": 7} for r in rules)
    assert config.reserved_concurrency == {}


@pytest.mark.parametrize("value, expected", [
    (None, RESERVED_CONCURRENCY),
    ("none", {}),
    ('{"TranscodeChunk": 100}', {**RESERVED_CONCURRENCY, "TranscodeChunk": 100}),
    ({"Api": 5}, {**RESERVED_CONCURRENCY, "Api": 5}),
])
def test_reserved_concurrency_context(value, expected):
    assert reserved_concurrency(value) == expected


@pytest.mark.parametrize("value", ['{"Transcode": 10}', '{"Api": 0}', '{"Api": "many"}', "12", "[1]"])
def test_unusable_reserved_concurrency_is_refused_at_synth(value):
    with pytest.raises(ConfigError):
        reserved_concurrency(value)


def test_cors_origins_context():
    assert cors_origins(None) == [] and cors_origins("") == []
    assert cors_origins('["https://a.example"]') == ["https://a.example"]
    with pytest.raises(ConfigError):
        cors_origins("https://a.example,,")
    assert StackConfig().cors_origins == []
