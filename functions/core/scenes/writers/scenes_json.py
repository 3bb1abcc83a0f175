"""scenes.json: the ScenesDocument as indented JSON."""
from __future__ import annotations

from functions.core.scenes.models import ScenesDocument


def scenes_json_text(doc: ScenesDocument) -> str:
    return doc.model_dump_json(indent=2) + "\n"
