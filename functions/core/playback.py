"""Signed playback of one asset's outputs through CloudFront.

One custom policy covers the asset's whole folder: its resource is `<base>/assets/<asset_id>/*`, so the same
policy and signature authorise the master playlist, every variant playlist and segment it reaches (relative
URLs), the subtitle rendition, the proxy, the trailers and the review page. CloudFront accepts them in either
carrier: as a signed URL's query (`Policy`, `Signature`, `Key-Pair-Id`) or as signed cookies
(`CloudFront-Policy`, `CloudFront-Signature`, `CloudFront-Key-Pair-Id`), with identical values. The
distribution's viewer-response function (infra/playback.py) turns a signed URL's query into those cookies,
scoped to the asset's folder, so a player handed one signed URL keeps access for the relative requests that
follow; a player that cannot keep cookies can add the query to every request instead.

Signing uses botocore's `CloudFrontSigner` with an RSA SHA-1 signer from `cryptography` (what CloudFront
requires). `verify` checks a policy the way CloudFront does; the local runtime's distribution uses it.
Neither the private key nor a signature is ever put into an exception message.
"""
from __future__ import annotations

import base64
import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import parse_qs, urlencode, urlsplit

from botocore.signers import CloudFrontSigner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from functions.core.settings import asset_prefix

# The same three values, as a signed URL's query and as signed cookies (CloudFront's names).
QUERY_NAMES = ("Policy", "Signature", "Key-Pair-Id")
COOKIE_NAMES = ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id")
COOKIE_FOR_QUERY = dict(zip(QUERY_NAMES, COOKIE_NAMES, strict=True))
MASTER = "hls/master.m3u8"
REVIEW = "review/index.html"


class PlaybackKeyInvalid(ValueError):
    """Raised when the signing key (from the secret) is not an RSA private key in PEM, or the key group's public
    key is not an RSA public key in PEM. The message never quotes the key."""


class Refusal(StrEnum):
    """Why a request's policy does not grant it; `REFUSAL_REASONS` says each in words."""

    NO_CREDENTIALS = "NO_CREDENTIALS"  # neither a signed URL's query nor signed cookies (the local distribution)
    UNTRUSTED_KEY = "UNTRUSTED_KEY"  # the key pair id is not in the distribution's key group
    NOT_BASE64 = "NOT_BASE64"  # the policy or signature is missing or not CloudFront's base64
    BAD_SIGNATURE = "BAD_SIGNATURE"  # the signature does not verify over the policy with the trusted key
    NOT_CUSTOM_POLICY = "NOT_CUSTOM_POLICY"  # the policy is not a custom policy with a resource and an expiry
    EXPIRED = "EXPIRED"  # now is at or past the policy's DateLessThan
    NOT_YET_VALID = "NOT_YET_VALID"  # now is at or before the policy's DateGreaterThan
    IP_CONDITION = "IP_CONDITION"  # the policy has an IpAddress condition, which is not checked here
    OTHER_RESOURCE = "OTHER_RESOURCE"  # the policy's resource pattern does not match the URL


REFUSAL_REASONS: dict[Refusal, str] = {
    Refusal.NO_CREDENTIALS: "no signed URL query and no signed cookies",
    Refusal.UNTRUSTED_KEY: "the key pair id is not in the distribution's key group",
    Refusal.NOT_BASE64: "the policy or signature is not CloudFront base64",
    Refusal.BAD_SIGNATURE: "the signature does not match the policy",
    Refusal.NOT_CUSTOM_POLICY: "the policy is not a CloudFront custom policy",
    Refusal.EXPIRED: "the policy has expired",
    Refusal.NOT_YET_VALID: "the policy is not valid yet",
    Refusal.IP_CONDITION: "IP address conditions are not supported here",
    Refusal.OTHER_RESOURCE: "the policy's resource does not cover this URL",
}


class AccessRefused(PermissionError):
    """Raised by `verify` when a request's policy does not grant it: missing or malformed values, an untrusted
    key pair id, a bad signature, a resource that does not match the URL, or a time outside the policy's window.
    `code` says which (Refusal), `reason` the same in words; the message never quotes a signature."""

    def __init__(self, code: Refusal) -> None:
        super().__init__(REFUSAL_REASONS[code])
        self.code = code
        self.reason = REFUSAL_REASONS[code]


@dataclass(frozen=True)
class SignedAccess:
    """What a player needs for one asset's folder: the policy's resource, its expiry and the three values."""

    base_url: str  # the distribution, e.g. https://d1234.cloudfront.net
    asset_id: str
    expires: datetime
    policy: str
    signature: str
    key_pair_id: str

    @property
    def folder_url(self) -> str:
        return f"{self.base_url}/{asset_prefix(self.asset_id)}/"

    @property
    def resource(self) -> str:
        return self.folder_url + "*"

    @property
    def cookie_path(self) -> str:
        return "/" + asset_prefix(self.asset_id) + "/"

    @property
    def query(self) -> str:
        return urlencode(dict(zip(QUERY_NAMES, (self.policy, self.signature, self.key_pair_id), strict=True)))

    @property
    def cookies(self) -> dict[str, str]:
        return dict(zip(COOKIE_NAMES, (self.policy, self.signature, self.key_pair_id), strict=True))

    def url(self, path: str) -> str:
        """`path` (relative to the asset folder) as a signed URL."""
        return f"{self.folder_url}{path.lstrip('/')}?{self.query}"


def load_private_key(pem: str | bytes) -> rsa.RSAPrivateKey:
    try:
        key = load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    except (ValueError, TypeError):
        raise PlaybackKeyInvalid("The playback signing key is not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PlaybackKeyInvalid("The playback signing key is not an RSA key (CloudFront needs RSA 2048)")
    return key


def load_public_key(pem: str | bytes) -> rsa.RSAPublicKey:
    try:
        key = load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except (ValueError, TypeError):
        raise PlaybackKeyInvalid("The playback public key is not a PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise PlaybackKeyInvalid("The playback public key is not an RSA key (CloudFront needs RSA 2048)")
    return key


def sign_asset(*, base_url: str, asset_id: str, key_pair_id: str, private_key: rsa.RSAPrivateKey,
               expires: datetime) -> SignedAccess:
    """A custom policy for every URL under the asset's folder until `expires`, signed with the key group's key."""
    signer = CloudFrontSigner(key_pair_id, lambda message: private_key.sign(message, padding.PKCS1v15(),
                                                                           hashes.SHA1()))  # noqa: S303 - CloudFront's
    base_url = base_url.rstrip("/")
    resource = f"{base_url}/{asset_prefix(asset_id)}/*"
    policy = signer.build_policy(resource, expires)
    # botocore encodes the values (CloudFront's URL-safe base64); the query holds them all.
    signed = parse_qs(urlsplit(signer.generate_presigned_url(resource, policy=policy)).query)
    return SignedAccess(base_url=base_url, asset_id=asset_id, expires=expires, policy=signed["Policy"][0],
                        signature=signed["Signature"][0], key_pair_id=signed["Key-Pair-Id"][0])


def _cloudfront_b64decode(value: str) -> bytes:
    return base64.b64decode(value.replace("-", "+").replace("_", "=").replace("~", "/"), validate=True)


def credentials_from(query: Mapping[str, str], cookies: Mapping[str, str]) -> tuple[dict[str, str], bool] | None:
    """The three values by query name, and whether they came from the query (a signed URL, which CloudFront
    prefers when a request carries both), or None when neither carrier has all three."""
    if all(query.get(name) for name in QUERY_NAMES):
        return {name: query[name] for name in QUERY_NAMES}, True
    if all(cookies.get(name) for name in COOKIE_NAMES):
        return {name: cookies[COOKIE_FOR_QUERY[name]] for name in QUERY_NAMES}, False
    return None


def verify(url: str, values: Mapping[str, str], trusted: Mapping[str, rsa.RSAPublicKey],
           now: datetime | None = None) -> dict:
    """Check a custom policy as CloudFront does for a distribution that trusts the key group `trusted`
    ({key pair id: public key}): the signature over the policy, the resource pattern against `url` (scheme,
    host, path; `*` and `?` wildcards) and the time window. Returns the policy statement; AccessRefused otherwise."""
    key = trusted.get(values.get("Key-Pair-Id", ""))
    if key is None:
        raise AccessRefused(Refusal.UNTRUSTED_KEY)
    try:
        policy = _cloudfront_b64decode(values["Policy"])
        signature = _cloudfront_b64decode(values["Signature"])
    except (KeyError, ValueError):
        raise AccessRefused(Refusal.NOT_BASE64) from None
    try:
        key.verify(signature, policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - CloudFront's algorithm
    except InvalidSignature:
        raise AccessRefused(Refusal.BAD_SIGNATURE) from None
    try:
        statement = json.loads(policy)["Statement"][0]
        resource = statement["Resource"]
        condition = statement["Condition"]
        until = int(condition["DateLessThan"]["AWS:EpochTime"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise AccessRefused(Refusal.NOT_CUSTOM_POLICY) from None
    moment = (now or datetime.now(UTC)).timestamp()
    if moment >= until:
        raise AccessRefused(Refusal.EXPIRED)
    after = condition.get("DateGreaterThan", {}).get("AWS:EpochTime")
    if after is not None and moment <= int(after):
        raise AccessRefused(Refusal.NOT_YET_VALID)
    if "IpAddress" in condition:
        raise AccessRefused(Refusal.IP_CONDITION)
    target = urlsplit(url)
    if not fnmatch.fnmatchcase(f"{target.scheme}://{target.netloc}{target.path}", resource.replace("[", "[[]")):
        raise AccessRefused(Refusal.OTHER_RESOURCE)
    return statement
