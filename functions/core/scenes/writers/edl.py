"""CMX3600 EDL: one cut event per scene, the whole source in order on a record timeline.

Source timecodes are the scenes' (the source's own start timecode counted on, see functions/core/timecode.py);
the record side starts at `record_start`, 01:00:00:00 by default as edited programmes do. Drop-frame sources get
`FCM: DROP FRAME` and `;` timecodes. A source with audio is cut as picture and sound (`B` for one channel, `AA/V`
for two or more: CMX3600's channel codes for V+A1 and V+A1+A2). CMX3600 numbers events in three digits and allows 999; a
longer list numbers every event in six digits, the extension Adobe Premiere Pro writes for such lists (pycmx reads
it; OpenTimelineIO's reader splits on whitespace), so the columns stay aligned.
"""
from __future__ import annotations

import re

from functions.core.scenes.models import ScenesDocument
from functions.core.timecode import RECORD_START, Rate

REEL = "AX"  # the conventional reel name for a file-based source
CMX_MAX_EVENTS = 999


def edl_text(doc: ScenesDocument, title: str | None = None, record_start: str = RECORD_START) -> str:
    """Raises TimecodeError when `record_start` is no timecode at the document's rate."""
    rate = Rate.from_fps(doc.video.fps, drop_frame=doc.video.drop_frame)
    origin = rate.count(doc.video.start_timecode)
    record = rate.count(record_start)
    fcm = "DROP FRAME" if rate.drop_frame else "NON-DROP FRAME"
    lines = [f"TITLE: {_clean(title or doc.video.media_name)[:70]}", f"FCM: {fcm}", ""]
    width = 3 if len(doc.scenes) <= CMX_MAX_EVENTS else 6
    channels = _channels(doc.video.audio_channels)
    for number, scene in enumerate(doc.scenes, start=1):
        first, end = rate.span(scene.start_timecode, scene.end_timecode)
        src_in, src_out = rate.timecode(first), rate.timecode(end)
        rec_in, rec_out = rate.timecode(record + first - origin), rate.timecode(record + end - origin)
        lines.append(f"{number:0{width}d}  {REEL:<8} {channels:<5} C        {src_in} {src_out} {rec_in} {rec_out}")
        lines.append(f"* FROM CLIP NAME: {_clean(doc.video.media_name)}")
        tags = ", ".join(scene.tags) or "none"
        lines.append(f"* COMMENT: SCENE {scene.index} TAGS: {tags}")
        lines.append("")
    return "\n".join(lines)


def _channels(audio_channels: int) -> str:
    return "V" if audio_channels <= 0 else "B" if audio_channels == 1 else "AA/V"


def _clean(text: str) -> str:
    """EDL lines are plain ASCII text; keep names on one line."""
    return re.sub(r"[^\x20-\x7e]", "_", text)
