"""OpenTimelineIO JSON (.otio) written as plain JSON in OTIO's schema, so the package is not needed at run time.

Media time is the source's timecode, as OpenTimelineIO's EDL and FCPXML adapters map it: the reference's available
range starts at the source's start timecode and each clip's source range at its scene's; the timeline's
global_start_time is `record_start` (01:00:00:00 by default). A source with audio gets an audio track with the
same cuts."""
from __future__ import annotations

import json
from typing import Any

from functions.core.scenes.models import ScenesDocument
from functions.core.timecode import RECORD_START, Rate


def _time(frames: int, rate: float) -> dict[str, Any]:
    return {"OTIO_SCHEMA": "RationalTime.1", "rate": rate, "value": float(frames)}


def _range(first: int, frames: int, rate: float) -> dict[str, Any]:
    return {"OTIO_SCHEMA": "TimeRange.1", "duration": _time(frames, rate), "start_time": _time(first, rate)}


def _item(schema: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"OTIO_SCHEMA": schema, "metadata": fields.pop("metadata", {}), "name": name, **fields}


def otio_text(doc: ScenesDocument, record_start: str = RECORD_START) -> str:
    """Raises TimecodeError when `record_start` is no timecode at the document's rate."""
    rate_info = Rate.from_fps(doc.video.fps, drop_frame=doc.video.drop_frame)
    rate = float(rate_info.exact)
    origin = rate_info.count(doc.video.start_timecode)
    total = rate_info.frames(doc.video.duration)
    clips = []
    for scene in doc.scenes:
        first, end = rate_info.span(scene.start_timecode, scene.end_timecode)
        length = end - first
        total = max(total, end - origin)
        keyframe = min(rate_info.frames(scene.keyframe_time - scene.start), length - 1)
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
    reference = _item("ExternalReference.1", doc.video.media_name, available_range=_range(origin, total, rate),
                      available_image_bounds=None, target_url=doc.video.media_name)
    for clip in clips:
        clip["media_references"]["DEFAULT_MEDIA"] = reference
    tracks = [_item("Track.1", "Scenes", source_range=None, effects=[], markers=[], enabled=True, color=None,
                    children=clips, kind="Video")]
    if doc.video.audio_channels:
        sound = [{**clip, "markers": [], "metadata": {}} for clip in clips]
        tracks.append(_item("Track.1", "Audio", source_range=None, effects=[], markers=[], enabled=True, color=None,
                            children=sound, kind="Audio"))
    stack = _item("Stack.1", "tracks", source_range=None, effects=[], markers=[], enabled=True, color=None,
                  children=tracks)
    timeline = _item("Timeline.1", f"{doc.video.media_name} scenes",
                     global_start_time=_time(rate_info.count(record_start), rate), tracks=stack)
    return json.dumps(timeline, indent=2) + "\n"
