"""Credentials out of text: every message built from ffmpeg's output or an exception passes through `redact`.

Stages read the source through a presigned URL whose query string is a credential (key id, session
token, signature, valid for hours). ffmpeg and PyAV quote their input in error lines, and those lines
become stage errors, which end up in the job record, the API's answers, the EventBridge event, the
manifest and the logs.
"""
from __future__ import annotations

import re

REDACTED = "[redacted]"
# A URL's query string (and fragment) up to the first character that cannot be part of it in a message.
_URL_QUERY = re.compile(r"(?P<url>\b[a-z][a-z0-9+.\-]*://[^\s?#'\"<>|]*)[?#][^\s'\"<>|]*", re.IGNORECASE)
# Signature parameters outside a recognisable URL (a URL split across lines, encoded, or quoted in part).
_SIGNING_PARAMS = re.compile(
    r"\b(?:X-Amz-[A-Za-z-]+|AWSAccessKeyId|Signature|Expires|x-amz-security-token)=[^&\s'\"<>|;,]*&?",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with every URL's query string dropped and any stray AWS signing parameter removed."""
    text = _URL_QUERY.sub(r"\g<url>", text)
    return _SIGNING_PARAMS.sub(REDACTED, text)


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)
