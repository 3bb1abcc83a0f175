"""S3's browser-form (POST) upload rules, enforced on the local stack's S3 (moto accepts any form POST).

A presigned POST carries its policy document (base64 JSON) and a SigV4 signature of it. S3 refuses the upload
unless the signature is the signer's, the policy has not expired, every condition holds (exact values,
`starts-with`, `content-length-range` on the file's size), and every form field is covered by a condition. So does
`refusal`, reading the very document the API signed: the size range, content type and key live only there.
The refusals carry S3's own error codes (EntityTooLarge, EntityTooSmall, AccessDenied, SignatureDoesNotMatch).
Not covered: `success_action_*`, `acl` and `x-amz-security-token` semantics, which no Reelflow form uses.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

# Form fields no condition needs to name (S3's rule; `x-ignore-*` too).
UNCONDITIONED = {"policy", "x-amz-signature", "file"}


@dataclass(frozen=True)
class Refusal:
    """Why S3 would refuse the upload, as S3 answers it."""

    status: int
    code: str
    message: str

    def xml(self) -> str:
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{self.code}</Code>'
                f"<Message>{escape(self.message)}</Message></Error>")


def _denied(message: str) -> Refusal:
    return Refusal(403, "AccessDenied", message)


def signature(policy_b64: str, secret_key: str, credential: str) -> str:
    """SigV4 signature of a POST policy: HMAC of the base64 document with the credential scope's signing key."""
    _, date, region, service, _ = credential.split("/")
    key = ("AWS4" + secret_key).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()


def refusal(form: Mapping[str, str], bucket: str, size: int, secrets: Mapping[str, str],
            now: datetime | None = None) -> Refusal | None:
    """S3's answer to a form upload of `size` bytes to `bucket` with these form fields (the file excluded);
    None when S3 would accept it. `secrets`: access key id -> secret key of the credentials that may sign."""
    fields = {name.lower(): value for name, value in form.items()}
    policy_b64 = fields.get("policy")
    if not policy_b64 or not fields.get("x-amz-signature"):
        return _denied("A form upload needs a policy signed with SigV4 (policy, x-amz-signature)")
    try:
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
        conditions: list[Any] = list(policy["conditions"])
        expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    except (binascii.Error, ValueError, KeyError, TypeError):
        return Refusal(400, "InvalidPolicyDocument", "Invalid Policy: the policy document cannot be read")
    credential = fields.get("x-amz-credential", "")
    secret = secrets.get(credential.split("/")[0])
    if secret is None or credential.count("/") != 4:
        return _denied("The AWS access key id in x-amz-credential does not exist")
    if not hmac.compare_digest(signature(policy_b64, secret, credential), fields["x-amz-signature"]):
        return _denied("The signature does not match the policy (SignatureDoesNotMatch)")
    if expiration <= (now or datetime.now(UTC)):
        return _denied("Invalid according to Policy: Policy expired.")
    values = fields | {"bucket": bucket}
    covered: set[str] = set()
    for condition in conditions:
        problem = _check(condition, values, size, covered)
        if problem:
            return problem
    uncovered = sorted(n for n in fields if n not in covered | UNCONDITIONED and not n.startswith("x-ignore-"))
    if uncovered:
        return _denied(f"Invalid according to Policy: Extra input fields: {', '.join(uncovered)}")
    return None


def _check(condition: Any, values: Mapping[str, str], size: int, covered: set[str]) -> Refusal | None:
    """One policy condition against the form (field names compare without case, values exactly)."""
    if isinstance(condition, dict):
        ((name, expected),) = condition.items()
        operator, field = "eq", name.lower()
    elif isinstance(condition, list) and len(condition) == 3 and condition[0] == "content-length-range":
        low, high = int(condition[1]), int(condition[2])
        if size > high:
            return Refusal(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        if size < low:
            return Refusal(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
        return None
    elif isinstance(condition, list) and len(condition) == 3 and condition[0] in ("eq", "starts-with"):
        operator, field, expected = condition[0], str(condition[1]).removeprefix("$").lower(), condition[2]
    else:
        return Refusal(400, "InvalidPolicyDocument", f"Invalid Policy: unknown condition {condition!r}")
    covered.add(field)
    actual = values.get(field)
    held = actual is not None and (actual == expected if operator == "eq" else actual.startswith(str(expected)))
    if not held:
        return _denied(f'Invalid according to Policy: Policy Condition failed: ["{operator}", "${field}", '
                       f"{json.dumps(expected)}]")
    return None


def enforce_on_moto(secrets: Mapping[str, str]) -> None:
    """Make moto's S3 (in this process, server mode included) answer form uploads as S3 does under `refusal`."""
    from moto.s3.responses import S3Response

    original = getattr(S3Response._bucket_response_post, "__wrapped__", S3Response._bucket_response_post)

    def _bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
        self.path = self._get_path(request)
        if not self.is_delete_keys():  # DeleteObjects is a POST too, signed as a normal request
            body = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
            refused = refusal(self.form_data, bucket_name, len(body), secrets)
            if refused:
                return refused.status, {"Content-Type": "application/xml"}, refused.xml()
        return original(self, request, bucket_name)

    _bucket_response_post.__wrapped__ = original  # type: ignore[attr-defined]
    S3Response._bucket_response_post = _bucket_response_post
