"""The local runtime's CloudFormation resolver (reelflow/local/intrinsics.py): pure, no moto."""
from __future__ import annotations

import pytest

from reelflow.local.intrinsics import (
    Intrinsics,
    UnresolvedReference,
    UnsupportedIntrinsic,
    dependencies,
    pseudo_parameters,
    sub_names,
)

QUEUE_ARN = "arn:aws:sqs:eu-west-1:111122223333:reelflow-ingestqueue"


@pytest.fixture
def resolver() -> Intrinsics:
    return Intrinsics(
        physical={"Bucket1A2B3C4D": "reelflow-bucket", "Queue5E6F7A8B": "http://127.0.0.1/queue"},
        attributes={"Queue5E6F7A8B": {"Arn": QUEUE_ARN, "QueueName": "reelflow-ingestqueue"},
                    "Role9C0D1E2F": {"Arn": "arn:aws:iam::111122223333:role/fn"}},
        pseudo=pseudo_parameters("111122223333", "eu-west-1", "Reelflow"),
    )


def test_ref_gives_physical_ids_and_pseudo_parameters(resolver):
    assert resolver.resolve({"Ref": "Bucket1A2B3C4D"}) == "reelflow-bucket"
    assert resolver.resolve({"Ref": "AWS::Region"}) == "eu-west-1"
    assert resolver.resolve({"Ref": "AWS::AccountId"}) == "111122223333"
    assert resolver.resolve({"Ref": "AWS::Partition"}) == "aws"
    assert resolver.resolve({"Ref": "AWS::StackName"}) == "Reelflow"


def test_get_att_in_both_spellings(resolver):
    assert resolver.resolve({"Fn::GetAtt": ["Queue5E6F7A8B", "Arn"]}) == QUEUE_ARN
    assert resolver.resolve({"Fn::GetAtt": "Queue5E6F7A8B.QueueName"}) == "reelflow-ingestqueue"


def test_join_resolves_its_parts_and_drops_no_value(resolver):
    value = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket1A2B3C4D"}, "/*"]]}
    assert resolver.resolve(value) == "arn:aws:s3:::reelflow-bucket/*"
    assert resolver.resolve({"Fn::Join": [",", ["a", {"Ref": "AWS::NoValue"}, "b"]]}) == "a,b"
    assert resolver.resolve({"Fn::Join": ["-", [7, 8]]}) == "7-8"


def test_sub_with_pseudo_parameters_attributes_and_its_own_variables(resolver):
    text = "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/repo:${Tag}"
    assert resolver.resolve({"Fn::Sub": [text, {"Tag": "v1"}]}) == \
        "111122223333.dkr.ecr.eu-west-1.amazonaws.com/repo:v1"
    assert resolver.resolve({"Fn::Sub": "${Bucket1A2B3C4D}/${Queue5E6F7A8B.Arn}"}) == f"reelflow-bucket/{QUEUE_ARN}"


def test_sub_variables_win_even_when_empty_and_may_be_intrinsics(resolver):
    assert resolver.resolve({"Fn::Sub": ["[${Empty}]", {"Empty": ""}]}) == "[]"
    assert resolver.resolve({"Fn::Sub": ["${Q}", {"Q": {"Fn::GetAtt": ["Queue5E6F7A8B", "Arn"]}}]}) == QUEUE_ARN
    # A variable named like a resource is the variable, as in CloudFormation.
    assert resolver.resolve({"Fn::Sub": ["${Bucket1A2B3C4D}", {"Bucket1A2B3C4D": "mine"}]}) == "mine"


def test_sub_writes_escaped_names_literally(resolver):
    value = {"Fn::Sub": "${!Literal} and ${!AWS::Region} next to ${AWS::Region}"}
    assert resolver.resolve(value) == "${Literal} and ${AWS::Region} next to eu-west-1"


def test_select_and_split(resolver):
    split = {"Fn::Split": [":", {"Fn::GetAtt": ["Queue5E6F7A8B", "Arn"]}]}
    assert resolver.resolve(split) == QUEUE_ARN.split(":")
    assert resolver.resolve({"Fn::Select": [5, split]}) == "reelflow-ingestqueue"
    assert resolver.resolve({"Fn::Select": ["1", ["a", {"Ref": "Bucket1A2B3C4D"}]]}) == "reelflow-bucket"


def test_nested_properties_resolve_everywhere_and_plain_values_pass_through(resolver):
    props = {
        "Role": {"Fn::GetAtt": ["Role9C0D1E2F", "Arn"]},
        "Environment": {"Variables": {"BUCKET": {"Ref": "Bucket1A2B3C4D"}, "N": 3, "ON": True}},
        "Targets": [{"Id": "q", "Arn": {"Fn::GetAtt": ["Queue5E6F7A8B", "Arn"]}}],
        "Tags": [],
        "Two": {"Ref": "Bucket1A2B3C4D", "Other": 1},  # two keys: a plain mapping, not an intrinsic
    }
    assert resolver.resolve(props) == {
        "Role": "arn:aws:iam::111122223333:role/fn",
        "Environment": {"Variables": {"BUCKET": "reelflow-bucket", "N": 3, "ON": True}},
        "Targets": [{"Id": "q", "Arn": QUEUE_ARN}],
        "Tags": [],
        "Two": {"Ref": "Bucket1A2B3C4D", "Other": 1},
    }


def test_the_resolver_reads_what_was_created_since_it_was_made(resolver):
    physical: dict[str, str] = {}
    attributes: dict[str, dict[str, str]] = {}
    late = Intrinsics(physical, attributes)
    with pytest.raises(UnresolvedReference):
        late.resolve({"Ref": "Table"})
    physical["Table"] = "reelflow-jobs"
    attributes["Table"] = {"Arn": "arn:aws:dynamodb:us-east-1:123456789012:table/reelflow-jobs"}
    assert late.resolve({"Fn::Sub": "${Table}|${Table.Arn}"}) == \
        "reelflow-jobs|arn:aws:dynamodb:us-east-1:123456789012:table/reelflow-jobs"


@pytest.mark.parametrize("value", [
    {"Ref": "Missing"},
    {"Fn::GetAtt": ["Missing", "Arn"]},
    {"Fn::GetAtt": ["Queue5E6F7A8B", "NotRecorded"]},
    {"Fn::Sub": "${Missing}"},
    {"Fn::Sub": "${Queue5E6F7A8B.NotRecorded}"},
    {"Fn::Sub": "${AWS::NotAParameter}"},
])
def test_unknown_references_raise(resolver, value):
    with pytest.raises(UnresolvedReference):
        resolver.resolve(value)


@pytest.mark.parametrize("name", ["Fn::If", "Fn::ImportValue", "Fn::FindInMap", "Fn::Base64"])
def test_unsupported_functions_raise_rather_than_pass_through(resolver, name):
    with pytest.raises(UnsupportedIntrinsic):
        resolver.resolve({"Properties": {"Value": {name: ["a", "b"]}}})


def test_sub_names_skip_escapes():
    assert sub_names("${A}-${B.Arn}-${!C}-${AWS::Region}") == ["A", "B.Arn", "AWS::Region"]


def test_dependencies_are_referenced_resources_not_pseudo_parameters_or_sub_variables():
    resource = {
        "DependsOn": ["RolePolicy"],
        "Properties": {
            "Role": {"Fn::GetAtt": ["Role9C0D1E2F", "Arn"]},
            "Queue": {"Fn::GetAtt": "Queue5E6F7A8B.Arn"},
            "Name": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, {"Ref": "Bucket1A2B3C4D"}]]},
            "Image": {"Fn::Sub": ["${AWS::AccountId}/${Repo.Uri}:${Tag}/${!Escaped}",
                                  {"Tag": {"Ref": "TagParameter"}}]},
            "Nested": [{"Deeper": {"Ref": "Table"}}],
        },
    }
    assert dependencies(resource) == {"RolePolicy", "Role9C0D1E2F", "Queue5E6F7A8B", "Bucket1A2B3C4D", "Repo",
                                      "TagParameter", "Table"}
    assert dependencies({"DependsOn": "Only", "Properties": {"Plain": "value"}}) == {"Only"}
    assert dependencies({"Type": "AWS::SQS::Queue"}) == set()


def test_every_resource_of_the_stack_resolves_once_its_dependencies_exist(template):
    """The real template in creation order, with ARN-shaped placeholder ids (a policy selects the name from
    the state machine's ARN): nothing is unresolved or unsupported."""
    resources = template["Resources"]
    physical: dict[str, str] = {}
    attributes: dict[str, dict[str, str]] = {}
    resolver = Intrinsics(physical, attributes)
    pending = dict(resources)
    while pending:
        ready = [lid for lid, res in pending.items() if dependencies(res) <= set(physical)]
        assert ready, sorted(pending)
        for lid in ready:
            resolver.resolve(resources[lid].get("Properties", {}))
            physical[lid] = _arn(lid, "id")
            attributes[lid] = _AnyAttribute(lid)
            del pending[lid]


class _AnyAttribute(dict):
    """Every attribute a resource could be asked for (the real runtime records the ones its creators know)."""

    def __init__(self, lid: str) -> None:
        super().__init__()
        self.lid = lid

    def __missing__(self, attribute: str) -> str:
        return _arn(self.lid, attribute)


def _arn(lid: str, what: str) -> str:
    return f"arn:aws:local:us-east-1:123456789012:{what}:{lid}"
