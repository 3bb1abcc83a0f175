"""The review page as one HTML document: pure, from typed inputs to text.

Every reference the page makes is relative to its own folder (`review/` in the asset folder), so it works
wherever the asset folder is served from (CloudFront, `reelflow serve`, a local folder opened as a file).
Its styles, script, captions and data are inlined; the player library is passed in (the caller reads the
vendored file), which keeps this function pure and its golden file small.
"""
from __future__ import annotations

import bisect
import re
import json
import posixpath
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

import jinja2

from functions.core.captions.models import Word
from functions.core.review.models import REVIEW_PATH, ReviewInputs, Section
from functions.core.review.timeline import clock, timeline_svg

# The browser enforces what the page promises: nothing is fetched from another host, nothing is sent anywhere.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; "
       "media-src 'self' blob:; connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'")
SECTION_NAMES: dict[Section, str] = {
    "video": "Video", "captions": "Captions", "transcript": "Transcript", "scenes": "Scenes",
    "timeline": "Motion and loudness", "trailer": "Trailer",
}
# How the downloads list names each manifest output; an output not listed here shows under its own name.
OUTPUT_LABELS = {
    "hls_master": "HLS master playlist", "hls_subtitles": "HLS subtitle playlist", "proxy": "Proxy",
    "poster": "Poster", "transcript": "Transcript (JSON, word times)", "captions_vtt": "Captions (WebVTT)",
    "captions_srt": "Captions (SRT)", "scenes": "Scenes (JSON)", "contact_sheet": "Contact sheet",
    "edl": "Edit decision list (CMX3600)", "otio": "OpenTimelineIO", "fcpxml": "Final Cut Pro XML",
    "trailer": "Trailer 16:9", "trailer_vertical": "Trailer 9:16", "trailer_plan": "Trailer plan (JSON)",
    "review": "This page",
}
PAGE_DIR = posixpath.dirname(REVIEW_PATH)
_SCRIPT_END = re.compile(r"</(?=script)|<!--", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """One line of the transcript as shown: a caption cue's time range (or the engine's segment) and its words."""

    start: float
    end: float
    text: str
    words: list[Word]


def asset_url(path: str, base: str = "") -> str:
    """`path` (relative to the folder `base`, itself relative to the asset folder) as the page refers to it."""
    return posixpath.relpath(posixpath.normpath(posixpath.join(base, path)), PAGE_DIR)


def transcript_blocks(inputs: ReviewInputs) -> list[Block]:
    """The transcript's words grouped by caption cue (else by the engine's segments); a word belongs to the
    last block that starts at or before it, so no word is lost or shown twice."""
    words = list(inputs.transcript.words) if inputs.transcript else []
    spans = [(c.start, c.end, " ".join(c.lines)) for c in inputs.cues]
    if not spans and inputs.transcript:
        spans = [(s.start, s.end, s.text) for s in inputs.transcript.segments]
    if not spans:
        return [Block(words[0].start, words[-1].end, "", words)] if words else []
    spans.sort()
    grouped: list[list[Word]] = [[] for _ in spans]
    starts = [s for s, _, _ in spans]
    for word in words:
        grouped[max(0, bisect.bisect_right(starts, word.start + 1e-3) - 1)].append(word)
    return [Block(start, end, text, group) for (start, end, text), group in zip(spans, grouped, strict=True)]


def _clock(seconds: float, tenths: bool = False) -> str:
    return f"{clock(seconds)}.{int(seconds * 10) % 10}" if tenths else clock(seconds)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("functions.core.review", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.globals.update(clock=_clock, section_names=SECTION_NAMES)
    return env


def _static(name: str) -> str:
    return (resources.files("functions.core.review") / "static" / name).read_text(encoding="utf-8")


def _script_safe(text: str) -> str:
    """Text that cannot end (or comment out) the inline <script> it sits in; within JavaScript strings and
    regular expressions the escaped forms mean the same."""
    return _SCRIPT_END.sub(lambda m: "<\\" + m.group(0)[1:], text)


def render_review_page(inputs: ReviewInputs, player_script: str = "") -> str:
    """The page for one job. `player_script` is the HLS player library (hls.js) to inline; without it the
    page plays HLS only where the browser can natively, and the proxy elsewhere."""
    m = inputs.manifest
    outputs = m.outputs
    scenes_dir = posixpath.dirname(outputs.get("scenes", "scenes.json"))
    scenes = inputs.scenes
    tags = Counter(tag for s in scenes.scenes for tag in s.tags) if scenes else Counter()
    width, height = (scenes.video.width, scenes.video.height) if scenes else (16, 9)
    captions_language = (inputs.transcript.language if inputs.transcript
                         else posixpath.basename(outputs.get("captions_vtt", "und.vtt")).removesuffix(".vtt"))
    data = {
        "duration": round(inputs.duration, 3),
        "captions": {"language": captions_language.split("-")[0], "label": f"Captions ({captions_language})",
                     "cues": [{"start": c.start, "end": c.end, "text": c.text} for c in inputs.cues]},
    }
    missing = {item.section: item for item in inputs.missing}

    def missing_reason(section: Section) -> str:
        item = missing.get(section)
        return f"{item.stage} {item.status.replace('_', ' ').lower()}: {item.reason}" if item else "not available"

    trailer_files = [(label, asset_url(outputs[name]), cls)
                     for name, label, cls in (("trailer", "16:9", "wide"), ("trailer_vertical", "9:16", "tall"))
                     if name in outputs]
    downloads = [(name, OUTPUT_LABELS.get(name, name), asset_url(path)) for name, path in outputs.items()]
    downloads.append(("manifest", "Manifest (JSON)", asset_url("manifest.json")))
    return _environment().get_template("review.html.j2").render(
        m=m,
        title=posixpath.basename(m.source_key) or m.asset_id,
        csp=CSP,
        css=_static("review.css"),
        js=_script_safe(_static("review.js")),
        player_script=_script_safe(player_script),
        data=json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c"),
        missing=inputs.missing,
        missing_reason=missing_reason,
        video={name: asset_url(outputs[key]) if key in outputs else None
               for name, key in (("hls", "hls_master"), ("proxy", "proxy"), ("poster", "poster"))},
        blocks=transcript_blocks(inputs),
        transcript=inputs.transcript,
        timeline=timeline_svg(inputs.duration, scenes.timeline if scenes else None,
                              inputs.transcript.words if inputs.transcript else None,
                              scenes.scenes if scenes else None,
                              inputs.trailer.segments if inputs.trailer else None),
        scenes=scenes,
        scenes_dir=scenes_dir,
        asset_url=asset_url,
        thumb_height=round(160 * height / width) if width else 90,
        tags=sorted(tags.items(), key=lambda item: (-item[1], item[0])),
        trailer=inputs.trailer,
        trailer_files=trailer_files,
        downloads=downloads,
    )
