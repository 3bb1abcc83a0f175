"""FCPXML 1.10: one asset-clip per scene on a project's spine, with the scene's tags as a keyword range.

Times are whole frame durations. The asset starts at the source's start timecode (its `start`, as Final Cut
Pro reads a file's timecode track) and each clip's `start` is its scene's source timecode; the sequence starts at
`record_start` (tcStart, 01:00:00:00 by default), so the first clip's offset is that time. `tcFormat` is DF for
drop-frame sources. A source with audio is declared as such (hasAudio, audioSources, audioChannels, audioRate),
so clips import with their sound.
"""
from __future__ import annotations

from fractions import Fraction
from urllib.parse import quote
from xml.etree import ElementTree as ET

from functions.core.scenes.models import ScenesDocument
from functions.core.timecode import RECORD_START, Rate

VERSION = "1.10"


def _t(frames: int, step: Fraction) -> str:
    """A time as FCPXML writes it: a whole number of frame durations, e.g. "50/25s" or "1001/30000s"."""
    if frames == 0:
        return "0s"
    value = frames * step.numerator
    return f"{value}s" if step.denominator == 1 else f"{value}/{step.denominator}s"


def fcpxml_text(doc: ScenesDocument, media_url: str | None = None, record_start: str = RECORD_START) -> str:
    """`media_url` is where an editor finds the source (default: its name, as a relative URL beside the file).
    Raises TimecodeError when `record_start` is no timecode at the document's rate."""
    video = doc.video
    rate = Rate.from_fps(video.fps, drop_frame=video.drop_frame)
    step = rate.frame_duration
    tc_format = "DF" if rate.drop_frame else "NDF"
    origin = rate.count(video.start_timecode)
    record = rate.count(record_start)
    spans = [rate.span(s.start_timecode, s.end_timecode) for s in doc.scenes]
    total = max([rate.frames(video.duration), *(end - origin for _, end in spans)])
    root = ET.Element("fcpxml", version=VERSION)
    resources = ET.SubElement(root, "resources")
    ET.SubElement(resources, "format", id="r1", frameDuration=_t(1, step),
                  width=str(video.width), height=str(video.height))
    asset = ET.SubElement(resources, "asset", id="r2", name=video.media_name, start=_t(origin, step),
                          duration=_t(total, step), hasVideo="1", format="r1")
    if video.audio_channels:
        asset.attrib |= {"hasAudio": "1", "audioSources": "1", "audioChannels": str(video.audio_channels),
                         "audioRate": str(video.audio_sample_rate)}
    ET.SubElement(asset, "media-rep", kind="original-media", src=media_url or quote(video.media_name))
    library = ET.SubElement(root, "library")
    event = ET.SubElement(library, "event", name="Reelflow")
    project = ET.SubElement(event, "project", name=f"{video.media_name} scenes")
    sequence = ET.SubElement(project, "sequence", format="r1", duration=_t(total, step), tcStart=_t(record, step),
                             tcFormat=tc_format)
    if video.audio_channels:
        sequence.attrib |= {"audioLayout": "mono" if video.audio_channels == 1 else "stereo",
                            "audioRate": _audio_rate(video.audio_sample_rate)}
    spine = ET.SubElement(sequence, "spine")
    for scene, (first, end) in zip(doc.scenes, spans, strict=True):
        length = end - first
        clip = ET.SubElement(spine, "asset-clip", ref="r2", name=f"Scene {scene.index}",
                             offset=_t(record + first - origin, step), start=_t(first, step),
                             duration=_t(length, step), tcFormat=tc_format)
        if video.audio_channels:
            clip.set("audioRole", "dialogue")
        into = min(max(rate.frames(scene.keyframe_time - scene.start), 0), length - 1)
        ET.SubElement(clip, "marker", start=_t(first + into, step), duration=_t(1, step), value="Keyframe")
        if scene.tags:
            ET.SubElement(clip, "keyword", start=_t(first, step), duration=_t(length, step),
                          value=", ".join(scene.tags))
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n{body}\n'


def _audio_rate(hz: int) -> str:
    """A sequence's audioRate as the DTD spells it: 32k, 44.1k, 48k, 88.2k, 96k, 176.4k or 192k."""
    choices = {32000: "32k", 44100: "44.1k", 48000: "48k", 88200: "88.2k", 96000: "96k", 176400: "176.4k",
               192000: "192k"}
    return choices.get(hz, "48k")
