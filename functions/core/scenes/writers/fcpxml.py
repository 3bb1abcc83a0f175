"""FCPXML 1.10: one asset-clip per scene on a project's spine, with the scene's tags as a keyword range."""
from __future__ import annotations

from fractions import Fraction
from urllib.parse import quote
from xml.etree import ElementTree as ET

from functions.core.scenes.models import ScenesDocument
from functions.core.scenes.timecode import Rate

VERSION = "1.10"


def _t(frames: int, step: Fraction) -> str:
    """A time as FCPXML writes it: a whole number of frame durations, e.g. "50/25s" or "1001/30000s"."""
    if frames == 0:
        return "0s"
    value = frames * step.numerator
    return f"{value}s" if step.denominator == 1 else f"{value}/{step.denominator}s"


def fcpxml_text(doc: ScenesDocument, media_url: str | None = None) -> str:
    """`media_url` is where an editor finds the source (default: its name, as a relative URL beside the file)."""
    rate = Rate.from_fps(doc.video.fps)
    step = rate.frame_duration
    total = rate.frames(doc.video.duration)
    if doc.scenes:
        total = max(total, rate.frames(doc.scenes[-1].end))
    root = ET.Element("fcpxml", version=VERSION)
    resources = ET.SubElement(root, "resources")
    ET.SubElement(resources, "format", id="r1", frameDuration=_t(1, step),
                  width=str(doc.video.width), height=str(doc.video.height))
    asset = ET.SubElement(resources, "asset", id="r2", name=doc.video.media_name, start="0s",
                          duration=_t(total, step), hasVideo="1", format="r1")
    ET.SubElement(asset, "media-rep", kind="original-media", src=media_url or quote(doc.video.media_name))
    library = ET.SubElement(root, "library")
    event = ET.SubElement(library, "event", name="Reelflow")
    project = ET.SubElement(event, "project", name=f"{doc.video.media_name} scenes")
    sequence = ET.SubElement(project, "sequence", format="r1", duration=_t(total, step), tcStart="0s",
                             tcFormat="NDF")
    spine = ET.SubElement(sequence, "spine")
    for scene in doc.scenes:
        first = rate.frames(scene.start)
        length = max(1, rate.frames(scene.end) - first)
        clip = ET.SubElement(spine, "asset-clip", ref="r2", name=f"Scene {scene.index}", offset=_t(first, step),
                             start=_t(first, step), duration=_t(length, step), tcFormat="NDF")
        keyframe = min(max(rate.frames(scene.keyframe_time), first), first + length - 1)
        ET.SubElement(clip, "marker", start=_t(keyframe, step), duration=_t(1, step), value="Keyframe")
        if scene.tags:
            ET.SubElement(clip, "keyword", start=_t(first, step), duration=_t(length, step),
                          value=", ".join(scene.tags))
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n{body}\n'
