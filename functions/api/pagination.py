"""Opaque page tokens: base64 of DynamoDB's LastEvaluatedKey, bound to the collection it came from.

A token from one listing handed to another (or edited) is refused with 400, instead of reaching
DynamoDB as an ExclusiveStartKey that does not belong to the query.
"""
from __future__ import annotations

import base64
import binascii
import json

from functions.api.errors import BadRequest

KEY_NAMES = {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"}
PARTITION_KEY = {None: "pk", "gsi1": "gsi1pk", "gsi2": "gsi2pk"}


def encode_token(partition: str, last_key: dict | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps({"p": partition, "k": last_key}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None, partition: str, index: str | None) -> dict | None:
    """The start key in `token`, checked to belong to `partition` of `index`; None for no token."""
    if not token:
        return None
    try:
        document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadRequest("next_token is not a token this API issued") from None
    key = document.get("k") if isinstance(document, dict) else None
    if (
        not isinstance(key, dict)
        or document.get("p") != partition
        or not set(key) <= KEY_NAMES
        or not all(isinstance(v, str) and 0 < len(v) <= 1024 for v in key.values())
        or key.get(PARTITION_KEY[index]) != partition
        or not ({"pk", "sk"} | ({f"{index}pk", f"{index}sk"} if index else set())) <= set(key)
    ):
        raise BadRequest("next_token does not belong to this listing")
    return key
