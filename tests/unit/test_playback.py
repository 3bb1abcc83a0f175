"""Signed playback: one custom policy per asset folder (functions/core/playback.py), the API's playback block,
the distribution's cookie function, and the local distribution's checks, with a key pair made here."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from functions.api.service import playback_block
from functions.core.playback import (
    COOKIE_NAMES,
    REFUSAL_REASONS,
    AccessRefused,
    PlaybackKeyInvalid,
    Refusal,
    credentials_from,
    load_private_key,
    load_public_key,
    sign_asset,
    verify,
)
from reelflow.local.playback import local_key_pair, set_cookie_headers
from tests.conftest import REPO

BASE = "https://d111111abcdef8.cloudfront.net"
ASSET = "a5f3c2d1e0b9a8c7"
KEY_ID = "K2JCJMDEHXQW5F"
EXPIRES = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
OUTPUTS = {"hls_master": "hls/master.m3u8", "review": "review/index.html", "proxy": "proxy.mp4"}


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def access(key):
    return sign_asset(base_url=BASE + "/", asset_id=ASSET, key_pair_id=KEY_ID, private_key=key, expires=EXPIRES)


@pytest.fixture(scope="module")
def trusted(key) -> dict:
    return {KEY_ID: key.public_key()}


def _b64(value: str) -> bytes:
    return base64.b64decode(value.replace("-", "+").replace("_", "=").replace("~", "/"))


def test_one_custom_policy_covers_the_asset_folder_until_the_expiry(access, key):
    policy = json.loads(_b64(access.policy))
    assert policy == {"Statement": [{"Resource": f"{BASE}/assets/{ASSET}/*",
                                     "Condition": {"DateLessThan": {"AWS:EpochTime": int(EXPIRES.timestamp())}}}]}
    # CloudFront's algorithm: RSA PKCS#1 v1.5 with SHA-1 over the policy bytes (raises if wrong).
    key.public_key().verify(_b64(access.signature), _b64(access.policy), padding.PKCS1v15(), hashes.SHA1())
    assert access.key_pair_id == KEY_ID
    assert access.cookies == dict(zip(COOKIE_NAMES, (access.policy, access.signature, KEY_ID), strict=True))
    assert parse_qs(access.query) == {"Policy": [access.policy], "Signature": [access.signature],
                                      "Key-Pair-Id": [KEY_ID]}
    assert not set(access.policy + access.signature) & set("+=/&?")  # URL- and cookie-safe as they are


def test_the_playback_block_names_master_and_review_as_signed_urls(access):
    block = playback_block(access, OUTPUTS)
    assert block.master_url == f"{BASE}/assets/{ASSET}/hls/master.m3u8?{access.query}"
    assert block.review_url == f"{BASE}/assets/{ASSET}/review/index.html?{access.query}"
    assert block.resource == f"{BASE}/assets/{ASSET}/*"
    assert block.expires_at == "2031-01-02T03:04:05Z"
    assert (block.cookie_domain, block.cookie_path) == ("d111111abcdef8.cloudfront.net", f"/assets/{ASSET}/")
    assert block.cookies == access.cookies
    partial = playback_block(access, {"scenes": "scenes.json"})
    assert partial.master_url is None and partial.review_url is None


@pytest.mark.parametrize("path", ["hls/master.m3u8", "hls/720p/index.m3u8", "hls/720p/seg_00003.ts",
                                  "hls/subs/en/seg_00000.vtt", "trailer/trailer_vertical.mp4", "review/index.html",
                                  "thumbs/scene_003.jpg"])
def test_the_policy_grants_every_file_of_the_folder_by_query_or_cookies(access, trusted, path):
    url = f"{BASE}/assets/{ASSET}/{path}"
    now = EXPIRES - timedelta(hours=1)
    by_query = credentials_from({k: v[0] for k, v in parse_qs(access.query).items()}, {})
    by_cookie = credentials_from({}, access.cookies)
    assert by_query and by_query[1] is True and by_cookie and by_cookie[1] is False
    for values in (by_query[0], by_cookie[0]):
        assert verify(url, values, trusted, now=now)["Resource"] == access.resource


def _values(access) -> dict[str, str]:
    return {"Policy": access.policy, "Signature": access.signature, "Key-Pair-Id": access.key_pair_id}


@pytest.mark.parametrize("url", [
    f"{BASE}/assets/{ASSET}x/hls/master.m3u8",        # another asset whose id starts the same
    f"{BASE}/assets/other/hls/master.m3u8",           # another asset
    f"{BASE}/assets/{ASSET}",                          # the folder itself is not under it
    f"{BASE}/work/{ASSET}/job/chunk.m3u8",             # outside the assets
    f"http://d111111abcdef8.cloudfront.net/assets/{ASSET}/proxy.mp4",  # another scheme
    f"https://evil.example/assets/{ASSET}/proxy.mp4",  # another host
])
def test_the_policy_grants_nothing_outside_the_folder(access, trusted, url):
    with pytest.raises(AccessRefused) as refused:
        verify(url, _values(access), trusted, now=EXPIRES - timedelta(hours=1))
    assert refused.value.code == Refusal.OTHER_RESOURCE and refused.value.reason


def test_every_refusal_has_its_reason_in_words():
    assert set(REFUSAL_REASONS) == set(Refusal) and all(REFUSAL_REASONS.values())


def test_expired_tampered_and_untrusted_policies_are_refused(access, trusted, key):
    url, now = f"{BASE}/assets/{ASSET}/proxy.mp4", EXPIRES - timedelta(hours=1)
    with pytest.raises(AccessRefused) as refused:
        verify(url, _values(access), trusted, now=EXPIRES)
    assert refused.value.code == Refusal.EXPIRED
    signature = bytearray(_b64(access.signature))
    signature[0] ^= 1
    forged = base64.b64encode(bytes(signature)).decode().replace("+", "-").replace("=", "_").replace("/", "~")
    with pytest.raises(AccessRefused) as refused:
        verify(url, _values(access) | {"Signature": forged}, trusted, now=now)
    assert refused.value.code == Refusal.BAD_SIGNATURE
    # A policy for every asset, signed by another key pair under the trusted id, is refused too.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wide = sign_asset(base_url=BASE, asset_id="*", key_pair_id=KEY_ID, private_key=other, expires=EXPIRES)
    with pytest.raises(AccessRefused) as refused:
        verify(url, _values(wide), trusted, now=now)
    assert refused.value.code == Refusal.BAD_SIGNATURE
    with pytest.raises(AccessRefused) as refused:
        verify(url, _values(access) | {"Key-Pair-Id": "KUNKNOWN"}, trusted, now=now)
    assert refused.value.code == Refusal.UNTRUSTED_KEY
    with pytest.raises(AccessRefused) as refused:
        verify(url, _values(access) | {"Policy": "not base64!"}, trusted, now=now)
    assert refused.value.code == Refusal.NOT_BASE64
    assert credentials_from({"Policy": access.policy, "Signature": access.signature}, {}) is None


def test_keys_that_are_not_rsa_pem_are_refused_without_quoting_them(key):
    assert isinstance(load_private_key(_pem(key)), rsa.RSAPrivateKey)
    assert isinstance(load_private_key(_pem(key).decode()), rsa.RSAPrivateKey)
    placeholder = "q7Zx-generated-secret-placeholder"
    with pytest.raises(PlaybackKeyInvalid) as invalid:
        load_private_key(placeholder)
    assert placeholder not in str(invalid.value)
    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(PlaybackKeyInvalid, match="not an RSA key"):
        load_private_key(ec_key)
    with pytest.raises(PlaybackKeyInvalid):
        load_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


def test_the_local_key_pair_is_made_once_and_kept_private(tmp_path):
    private, public = local_key_pair(tmp_path)
    assert local_key_pair(tmp_path) == (private, public)
    assert (tmp_path / "playback" / "private_key.pem").stat().st_mode & 0o077 == 0
    assert load_private_key(private).public_key().public_numbers() == load_public_key(public).public_numbers()


def _run_cookie_function(requests: list[tuple[str, dict[str, str]]]) -> list[dict]:
    """The distribution's viewer-response function (its cloudfront-js-2.0 source, infra/playback_cookies.js) run
    under Node on one event per (uri, query); the cookies each response gets."""
    events = [{"request": {"uri": uri, "querystring": {k: {"value": v} for k, v in query.items()}},
               "response": {"statusCode": 200, "cookies": {}, "headers": {}}} for uri, query in requests]
    script = ((REPO / "infra" / "playback_cookies.js").read_text()
              + f"\nprocess.stdout.write(JSON.stringify({json.dumps(events)}.map(e => handler(e).cookies)));")
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node (the CDK's runtime)")
def test_the_cookie_function_and_the_local_distribution_set_the_same_cookies(access):
    query = _values(access)
    path = f"/assets/{ASSET}/hls/master.m3u8"
    # Without a complete signed query, or outside an asset folder, neither sets any.
    unsigned = [(path, {"Policy": access.policy}), ("/work/x/y.ts", query), ("/assets//x", query)]
    cookies, *none = _run_cookie_function([(path, query), *unsigned])
    assert {name: c["value"] for name, c in cookies.items()} == access.cookies
    assert {c["attributes"] for c in cookies.values()} == {
        f"Path=/assets/{ASSET}/; Secure; HttpOnly; SameSite=None"}
    local = set_cookie_headers(path, query)
    assert {line.split(";")[0] for line in local} == {f"{name}={value}" for name, value in access.cookies.items()}
    assert all(f"Path=/assets/{ASSET}/;" in line for line in local)
    assert none == [{}] * len(unsigned)
    assert all(set_cookie_headers(uri, partial) == [] for uri, partial in unsigned)


def test_policy_values_survive_a_url_and_a_cookie_header(access):
    url = urlsplit(playback_block(access, OUTPUTS).master_url or "")
    parsed = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert parsed == _values(access)


def test_the_service_signs_with_the_secrets_key_and_never_logs_an_unusable_one(key, monkeypatch, caplog):
    from aws_lambda_powertools.utilities import parameters

    from functions.api.service import ApiConfig, StudioService
    from functions.core.models import Manifest

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # a Table handle; nothing here calls AWS
    config = ApiConfig(table_name="t", output_bucket="o", ingest_bucket="i", state_machine_arn="arn:sm",
                       playback_base_url=BASE, playback_key_pair_id=KEY_ID, playback_key_secret="arn:secret",
                       playback_url_seconds=600)
    service = StudioService(config, "default")
    manifest = Manifest.model_validate({"asset_id": ASSET, "job_id": "j1", "status": "COMPLETED", "source_key": "a.mp4",
                                        "stages": {}, "created_at": "2026-01-01T00:00:00Z", "outputs": OUTPUTS})
    secret = {"value": _pem(key).decode()}
    monkeypatch.setattr(parameters, "get_secret", lambda name, max_age: secret["value"])
    block = service._playback(ASSET, manifest)
    assert block is not None and block.resource == f"{BASE}/assets/{ASSET}/*"
    expires = datetime.fromisoformat(block.expires_at.replace("Z", "+00:00"))
    assert timedelta(seconds=590) < expires - datetime.now(UTC) <= timedelta(seconds=600)
    verify(f"{BASE}/assets/{ASSET}/hls/720p/index.m3u8",
           {k: v[0] for k, v in parse_qs(block.query).items()}, {KEY_ID: key.public_key()})
    assert service._playback(ASSET, None) is None  # no job has written outputs yet
    # The secret still holds the stack's generated placeholder: no playback, and the value is never logged.
    secret["value"] = "Zq8-placeholder-the-stack-generated"
    caplog.clear()
    assert service._playback(ASSET, manifest) is None
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert all(secret["value"] not in json.dumps(r.__dict__, default=str) for r in caplog.records)
    unsigned = StudioService(ApiConfig(table_name="t", output_bucket="o", ingest_bucket="i",
                                       state_machine_arn="arn:sm"), "default")
    assert unsigned._playback(ASSET, manifest) is None  # a stack without a distribution


def test_the_openapi_document_describes_the_playback_block():
    from functions.api import models as m

    schema = m.Asset.model_json_schema(mode="serialization")
    assert {"playback", "review_url"} <= set(schema["properties"])
    playback = schema["$defs"]["Playback"]
    assert set(playback["required"]) == {"resource", "expires_at", "query", "cookies", "cookie_domain", "cookie_path"}
