"""Playback in the synthesized template (infra/playback.py): a CloudFront distribution whose only origin is the
private output bucket through origin access control, HTTPS only, open only to policies signed by its key group."""
from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

from infra.config import ConfigError, public_key_pem
from reelflow.local.playback import local_key_pair
from reelflow.local.template import CACHE_DIR
from tests.conftest import REPO


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def one(template: dict, kind: str) -> tuple[str, dict]:
    found = resources(template, kind)
    assert len(found) == 1, (kind, list(found))
    return next(iter(found.items()))


def output_bucket(template: dict) -> tuple[str, dict]:
    return next((lid, r) for lid, r in resources(template, "AWS::S3::Bucket").items() if lid.startswith("StorageOutput"))


@pytest.fixture(scope="module")
def distribution(template) -> dict:
    return one(template, "AWS::CloudFront::Distribution")[1]["Properties"]["DistributionConfig"]


def test_the_distribution_exists_and_its_only_origin_is_the_output_bucket_through_oac(template, distribution):
    bucket_id, _ = output_bucket(template)
    oac_id, oac = one(template, "AWS::CloudFront::OriginAccessControl")
    assert oac["Properties"]["OriginAccessControlConfig"] | {"Name": None} == {
        "Name": None, "OriginAccessControlOriginType": "s3", "SigningBehavior": "always", "SigningProtocol": "sigv4"}
    [origin] = distribution["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    assert distribution["Enabled"] is True


def test_the_output_bucket_stays_private_and_lets_only_this_distribution_read(template):
    bucket_id, bucket = output_bucket(template)
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert "WebsiteConfiguration" not in bucket["Properties"]
    distribution_id = one(template, "AWS::CloudFront::Distribution")[0]
    policy = next(r["Properties"]["PolicyDocument"] for r in resources(template, "AWS::S3::BucketPolicy").values()
                  if r["Properties"]["Bucket"] == {"Ref": bucket_id})
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    [allow] = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Join"][1]
    assert source[-1] == {"Ref": distribution_id} and source[-2] == ":distribution/"


def test_viewers_must_use_https_and_a_policy_signed_by_the_key_group(template, distribution):
    behaviors = [distribution["DefaultCacheBehavior"], *distribution.get("CacheBehaviors", [])]
    group_id, group = one(template, "AWS::CloudFront::KeyGroup")
    key_id, key = one(template, "AWS::CloudFront::PublicKey")
    for behavior in behaviors:
        assert behavior["ViewerProtocolPolicy"] == "https-only"
        assert behavior["TrustedKeyGroups"] == [{"Ref": group_id}]
        assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert group["Properties"]["KeyGroupConfig"]["Items"] == [{"Ref": key_id}]
    # The public key is the one the stack was given as context (here: this checkout's local key).
    assert key["Properties"]["PublicKeyConfig"]["EncodedKey"].strip() == local_key_pair(CACHE_DIR)[1].strip()


def test_a_viewer_response_function_turns_a_signed_query_into_cookies(template, distribution):
    function_id, function = one(template, "AWS::CloudFront::Function")
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["Properties"]["FunctionCode"] == (REPO / "infra" / "playback_cookies.js").read_text()
    assert distribution["DefaultCacheBehavior"]["FunctionAssociations"] == [
        {"EventType": "viewer-response", "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]}}]


def test_the_distribution_logs_to_its_own_private_bucket(template, distribution):
    logs = distribution["Logging"]["Bucket"]["Fn::GetAtt"][0]
    props = template["Resources"][logs]["Properties"]
    assert logs.startswith("PlaybackLogs")
    assert props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True


def test_only_the_api_signs_it_learns_the_distribution_and_reads_the_key(template):
    stack = Template.from_json(template)
    secret_id, _ = one(template, "AWS::SecretsManager::Secret")
    readers = set()
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "secretsmanager:GetSecretValue" in statement["Action"]:
                assert statement["Resource"] == {"Ref": secret_id}
                readers |= {role["Ref"] for role in policy["Properties"]["Roles"]}
    assert len(readers) == 1 and next(iter(readers)).startswith("FunctionsApiServiceRole")
    api = next(r["Properties"] for lid, r in resources(template, "AWS::Lambda::Function").items()
               if lid.startswith("FunctionsApi"))
    env = api["Environment"]["Variables"]
    assert env["PLAYBACK_KEY_SECRET"] == {"Ref": secret_id}
    assert env["PLAYBACK_DOMAIN"] == {"Fn::GetAtt": [one(template, "AWS::CloudFront::Distribution")[0], "DomainName"]}
    assert env["PLAYBACK_KEY_PAIR_ID"] == {"Ref": one(template, "AWS::CloudFront::PublicKey")[0]}
    stack.has_output("*", {"Value": {"Fn::GetAtt": [one(template, "AWS::CloudFront::Distribution")[0], "DomainName"]}})


def test_the_public_key_context_is_pem_text_or_a_pem_file(tmp_path):
    public = local_key_pair(CACHE_DIR)[1]
    assert public_key_pem(public) == public.strip() + "\n"
    (tmp_path / "public.pem").write_text(public)
    assert public_key_pem(str(tmp_path / "public.pem")) == public.strip() + "\n"
    assert public_key_pem(None) is None and public_key_pem("") is None
    for bad in (str(tmp_path / "missing.pem"), "-----BEGIN RSA PRIVATE KEY-----\n...", 42):
        with pytest.raises(ConfigError):
            public_key_pem(bad)
