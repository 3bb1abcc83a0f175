"""CMX3600 EDL: one cut event per scene, source and record timecodes equal (the whole source in order)."""
from __future__ import annotations

import re

from functions.core.scenes.models import ScenesDocument
from functions.core.scenes.timecode import Rate

REEL = "AX"  # the conventional reel name for a file-based source


def edl_text(doc: ScenesDocument, title: str | None = None) -> str:
    rate = Rate.from_fps(doc.video.fps)
    lines = [f"TITLE: {_clean(title or doc.video.media_name)[:70]}", "FCM: NON-DROP FRAME", ""]
    for scene in doc.scenes:
        first = rate.frames(scene.start)
        end = max(rate.frames(scene.end), first + 1)
        tc_in, tc_out = rate.timecode(first), rate.timecode(end)
        lines.append(f"{scene.index:03d}  {REEL:<8} V     C        {tc_in} {tc_out} {tc_in} {tc_out}")
        lines.append(f"* FROM CLIP NAME: {_clean(doc.video.media_name)}")
        tags = ", ".join(scene.tags) or "none"
        lines.append(f"* COMMENT: SCENE {scene.index} TAGS: {tags}")
        lines.append("")
    return "\n".join(lines)


def _clean(text: str) -> str:
    """EDL lines are plain ASCII text; keep names on one line."""
    return re.sub(r"[^\x20-\x7e]", "_", text)
