"""OpenTimelineIO JSON (.otio) written as plain JSON in OTIO's schema, so the package is not needed at run time."""
from __future__ import annotations

import json
from typing import Any

from functions.core.scenes.models import ScenesDocument
from functions.core.scenes.timecode import Rate


def _time(frames: int, rate: float) -> dict[str, Any]:
    return {"OTIO_SCHEMA": "RationalTime.1", "rate": rate, "value": float(frames)}


def _range(first: int, frames: int, rate: float) -> dict[str, Any]:
    return {"OTIO_SCHEMA": "TimeRange.1", "duration": _time(frames, rate), "start_time": _time(first, rate)}


def _item(schema: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"OTIO_SCHEMA": schema, "metadata": fields.pop("metadata", {}), "name": name, **fields}


def otio_text(doc: ScenesDocument) -> str:
    rate_info = Rate.from_fps(doc.video.fps)
    rate = float(rate_info.exact)
    total = rate_info.frames(doc.video.duration)
    clips = []
    for scene in doc.scenes:
        first = rate_info.frames(scene.start)
        length = max(1, rate_info.frames(scene.end) - first)
        total = max(total, first + length)
        keyframe = rate_info.frames(scene.keyframe_time) - first
        clips.append(_item(
            "Clip.2", f"Scene {scene.index}",
            metadata={"reelflow": {"index": scene.index, "tags": scene.tags, "thumbnail": scene.thumbnail,
                                   "transition_in": scene.transition_in,
                                   "features": scene.features.model_dump(mode="json")}},
            source_range=_range(first, length, rate), effects=[],
            markers=[_item("Marker.2", "keyframe", color="GREEN", comment=", ".join(scene.tags),
                           marked_range=_range(first + max(0, keyframe), 0, rate))],
            enabled=True, color=None,
            media_references={"DEFAULT_MEDIA": None},  # filled below, once the full length is known
            active_media_reference_key="DEFAULT_MEDIA",
        ))
    reference = _item("ExternalReference.1", doc.video.media_name, available_range=_range(0, total, rate),
                      available_image_bounds=None, target_url=doc.video.media_name)
    for clip in clips:
        clip["media_references"]["DEFAULT_MEDIA"] = reference
    track = _item("Track.1", "Scenes", source_range=None, effects=[], markers=[], enabled=True, color=None,
                  children=clips, kind="Video")
    stack = _item("Stack.1", "tracks", source_range=None, effects=[], markers=[], enabled=True, color=None,
                  children=[track])
    timeline = _item("Timeline.1", f"{doc.video.media_name} scenes", global_start_time=_time(0, rate), tracks=stack)
    return json.dumps(timeline, indent=2) + "\n"
