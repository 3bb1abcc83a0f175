"""Opaque page tokens: base64 of DynamoDB's LastEvaluatedKey, bound to the listing it came from.

A token from one listing handed to another (another collection, another asset, another tenant, or
edited) is refused with 400, instead of reaching DynamoDB as an ExclusiveStartKey that does not belong
to the query.
"""
from __future__ import annotations

import base64
import binascii
import json

from functions.api.errors import BadRequest
from functions.core.repository import INDEX_KEYS, Listing

KEY_NAMES = {name for names in INDEX_KEYS.values() for name in names}


def encode_token(listing: Listing, last_key: dict | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps({"p": listing.partition, "k": last_key}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None, listing: Listing) -> dict | None:
    """The start key in `token`, checked to belong to `listing`; None for no token."""
    if not token:
        return None
    try:
        document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadRequest("next_token is not a token this API issued") from None
    key = document.get("k") if isinstance(document, dict) else None
    pk_name, sk_name = INDEX_KEYS[listing.index]
    if (
        not isinstance(key, dict)
        or document.get("p") != listing.partition
        or not set(key) <= KEY_NAMES
        or not all(isinstance(v, str) and 0 < len(v) <= 1024 for v in key.values())
        or key.get(pk_name) != listing.partition
        or not ({"pk", "sk", pk_name, sk_name}) <= set(key)
        or (listing.sk_prefix and not key[sk_name].startswith(listing.sk_prefix))
    ):
        raise BadRequest("next_token does not belong to this listing")
    return key
