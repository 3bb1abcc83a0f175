"""Wording shared by the notes people read in job records, the manifest and the CLI."""
from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """`n` and the noun, plural (an added s) unless `n` is 1: "1 scene", "4 cuts", "0 transitions"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
