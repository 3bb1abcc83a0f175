"""What analysis stages publish for search: scene items with a tag index, and the transcript summary.

Which fields a scene item and its tag entries carry is decided here; the keys they live under are the
repository's (`functions.core.repository`).
"""
from __future__ import annotations

from typing import Any

from functions.core.repository import Repository, SceneEntry
from functions.core.settings import asset_prefix

SCENE_FIELDS = ("index", "start", "end", "duration", "start_timecode", "end_timecode", "thumbnail", "tags", "labels")


class Catalog(Repository):
    def put_scenes(self, asset_id: str, scenes: list[dict[str, Any]]) -> None:
        """Replace the asset's scene items (a re-run may find different scenes). Tag entries carry
        everything but the per-scene features, which only the scene item needs."""
        entries = []
        for scene in scenes:
            record = {k: scene[k] for k in SCENE_FIELDS if k in scene} | {
                "asset_id": asset_id,
                "thumbnail": f"{asset_prefix(asset_id)}/{scene['thumbnail']}",
            }
            entries.append(SceneEntry(index=scene["index"], record=record | {"features": scene.get("features", {})},
                                      tags=list(scene.get("tags", [])), tag_record=record))
        self.replace_scenes(asset_id, entries)
