"""The review page builder: a golden page, every reference relative, every word and scene shown once, hostile
text escaped, and a partial or failed job's page saying what is missing and why."""
from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from functions.core.captions.models import Cue, Transcript, TranscriptSegment, Word
from functions.core.models import JobStatus, Manifest, ManifestSource, ManifestStage, StageStatus
from functions.core.review import REVIEW_PATH, ReviewInputs, gather_inputs, player_script, render_review_page
from functions.core.review.publish import review_manifest
from functions.core.review.timeline import speech_spans, tick_step
from functions.core.scenes.decode import LoudnessTrack
from functions.core.scenes.models import ActivityTimeline, SceneFeatures, Scene, ScenesDocument, VideoSummary
from functions.core.scenes.timeline import activity_timeline, bin_step
from functions.core.trailer.models import ScoreBreakdown, TrailerPlan, TrailerSegment
from tests import golden

OUTPUTS = {
    "hls_master": "hls/master.m3u8", "proxy": "proxy.mp4", "poster": "poster.jpg", "transcript": "transcript.json",
    "captions_vtt": "captions/en.vtt", "captions_srt": "captions/en.srt", "scenes": "scenes.json",
    "contact_sheet": "contact_sheet.jpg", "edl": "scenes.edl", "otio": "scenes.otio", "fcpxml": "scenes.fcpxml",
    "trailer": "trailer/trailer.mp4", "trailer_vertical": "trailer/trailer_vertical.mp4", "trailer_plan": "trailer.json",
    "hls_subtitles": "hls/subs/en/index.m3u8",
}
HOSTILE = '<script>alert("x")</script>'


def _scene(index: int, start: float, end: float, transition: str, tags: list[str]) -> Scene:
    return Scene(index=index, start=start, end=end, duration=end - start, start_frame=int(start * 25),
                 end_frame=int(end * 25), start_timecode=f"00:00:{int(start):02d}:00", end_timecode=f"00:00:{int(end):02d}:00",
                 transition_in=transition, thumbnail=f"thumbs/scene_{index:03d}.jpg", keyframe_time=(start + end) / 2,
                 features=SceneFeatures(brightness=0.5, contrast=0.2, colourfulness=30, motion=0.01), tags=tags)


WORDS = [Word(text=t, start=s, end=s + 0.4) for t, s in
         (("Welcome", 0.5), ("to", 1.0), ("the", 1.4), ("sample.", 1.8), ("Scenes", 5.0), ("change</script>", 5.5),
          ("here,", 6.0), ("Welcome", 8.2), ("back.", 8.7))]
TRANSCRIPT = Transcript(language="en", engine="whisper", duration=10.0, words=WORDS,
                        segments=[TranscriptSegment(start=0.5, end=2.2, text="Welcome to the sample.")])
CUES = [Cue(start=0.5, end=2.2, lines=["Welcome to the sample."], words=[]),
        Cue(start=5.0, end=6.4, lines=["Scenes change</script> here,"], words=[]),
        Cue(start=8.2, end=9.1, lines=["Welcome back."], words=[])]
SCENES = ScenesDocument(
    video=VideoSummary(fps=25, frames=250, duration=10.0, width=640, height=360, media_name="clip.mp4"),
    scenes=[_scene(1, 0, 4, "start", ["colourful", "dialogue"]), _scene(2, 4, 7.5, "cut", ["dark", HOSTILE]),
            _scene(3, 7.5, 10, "dissolve", ["dialogue"])],
    timeline=ActivityTimeline(step=0.5, motion=[0.01 * (i % 5) for i in range(19)] + [None],
                              loudness=[-20.0 - i for i in range(20)]),
)
SEGMENT = dict(breakdown=ScoreBreakdown(motion=0.5), score=0.6)
TRAILER = TrailerPlan(source_duration=10, target_seconds=4, fade_seconds=0.5, fps=25, expected_duration=4.5,
                      segments=[TrailerSegment(source_start=0.5, source_end=2.5, scene_indexes=[1],
                                               reasons=["opening", "dialogue"], framing="faces", **SEGMENT),
                                TrailerSegment(source_start=7.6, source_end=10.0, scene_indexes=[3], reasons=[], **SEGMENT)])


def manifest(status: JobStatus = JobStatus.COMPLETED, outputs: dict | None = None, **stages: ManifestStage) -> Manifest:
    done = {name: ManifestStage(status=StageStatus.SUCCEEDED, seconds=1.5)
            for name in ("probe", "transcode", "captions", "scenes", "scene_speech", "trailer", "finalize")}
    return review_manifest(Manifest(
        asset_id="a1", job_id="j1", status=status, source_key=f"uploads/{HOSTILE}.mov",
        source=ManifestSource(duration=10.0, width=640, height=360, display_aspect=16 / 9, fps=25, has_audio=True,
                              has_video=True),
        stages=done | stages, outputs=OUTPUTS if outputs is None else outputs, created_at="2026-01-01T00:00:00Z"))


def full_inputs() -> ReviewInputs:
    return ReviewInputs(manifest=manifest(), scenes=SCENES, transcript=TRANSCRIPT, cues=CUES, trailer=TRAILER)


class _Collect(HTMLParser):
    """Every element's tag and attributes, in order, and the text of inline scripts by id."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: dict[str, str] = {}
        self._script: str | None = None

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs).get("id") or f"script{len(self.scripts)}"
            self.scripts[self._script] = ""

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script:
            self.scripts[self._script] += data

    def having(self, tag: str | None = None, **attrs) -> list[dict]:
        return [a for t, a in self.elements if tag in (None, t)
                and all((a.get(k) or "").split().__contains__(v) if k == "class" else a.get(k) == v
                       for k, v in attrs.items())]


def parse(page: str) -> _Collect:
    collected = _Collect()
    collected.feed(page)
    return collected


def test_review_page_matches_golden():
    page = render_review_page(full_inputs())
    assert page == golden.text("review_page.html", page), golden.HOW


def test_every_reference_stays_inside_the_asset_folder():
    page = parse(render_review_page(full_inputs(), player_script()))
    urls = [a[name] for _, a in page.elements for name in ("src", "href", "poster", "data-hls", "data-proxy")
            if a.get(name)]
    assert urls
    for url in urls:
        assert "://" not in url and not url.startswith("/") and not url.startswith("//"), url
        if url not in ("data:,", "index.html"):  # the favicon placeholder and the page itself
            assert url.startswith("../") and not url.startswith("../../"), url
    listed = {a["data-output"] for _, a in page.elements if "data-output" in a}
    assert listed == set(OUTPUTS) | {"review", "manifest"}


def test_words_scenes_boundaries_and_picks_each_appear_once():
    page = parse(render_review_page(full_inputs()))
    words = page.having(**{"class": "word"})
    assert [float(w["data-start"]) for w in words] == [w.start for w in WORDS]
    assert len(page.having(**{"class": "cue"})) == len(CUES)
    assert [int(s["data-index"]) for s in page.having(**{"class": "scene"})] == [1, 2, 3]
    boundaries = page.having(**{"class": "boundary"})
    assert [(b["class"], float(b["data-time"])) for b in boundaries] == [("boundary cut", 4.0),
                                                                          ("boundary dissolve", 7.5)]
    assert [(float(p["data-start"]), float(p["data-end"])) for p in page.having("rect", **{"class": "pick"})] == [
        (0.5, 2.5), (7.6, 10.0)]
    assert len(page.having("rect", **{"class": "speech"})) == len(speech_spans(WORDS)) == 3
    options = [a.get("value") for tag, a in page.elements if tag == "option"]
    assert options == ["", "dialogue", HOSTILE, "colourful", "dark"]
    assert [s["data-stage"] for s in page.having(**{"data-status": "SUCCEEDED"})] == list(manifest().stages)


def test_hostile_text_is_escaped_and_data_parses():
    text = render_review_page(full_inputs(), player_script())
    assert HOSTILE not in text and "change</script>" not in text
    page = parse(text)
    data = json.loads(page.scripts["review-data"])
    assert [c["text"] for c in data["captions"]["cues"]] == [c.text for c in CUES]
    assert data["captions"]["language"] == "en" and data["duration"] == 10.0
    # the page has exactly its three scripts (data, hls.js, its own): nothing ended one early
    assert len(page.scripts) == 3 and "sourceMappingURL" not in text


def test_partial_job_lists_what_is_missing_and_why():
    failed = ManifestStage(status=StageStatus.FAILED, error="the engine crashed", error_code="MediaError")
    skipped = ManifestStage(status=StageStatus.SKIPPED, note="no scenes to work from")
    m = manifest(JobStatus.PARTIAL, outputs={k: v for k, v in OUTPUTS.items() if k in ("hls_master", "proxy", "poster",
                                                                                        "scenes", "contact_sheet")},
                 captions=failed, trailer=skipped)
    files = {"scenes.json": SCENES.model_dump_json().encode()}
    inputs = gather_inputs(m, lambda path: files[path])
    assert inputs.scenes == SCENES and inputs.transcript is None and inputs.trailer is None and inputs.cues == []
    assert {(x.section, x.stage, x.status) for x in inputs.missing} == {
        ("transcript", "captions", "FAILED"), ("captions", "captions", "FAILED"), ("trailer", "trailer", "SKIPPED")}
    page = parse(render_review_page(inputs))
    listed = {(a["data-section"], a["data-stage-status"]) for a in page.having(**{"data-stage": "captions"})
              if "data-section" in a}
    assert listed == {("transcript", "FAILED"), ("captions", "FAILED")}
    assert page.having(**{"data-missing": "transcript"}) and page.having(**{"data-missing": "trailer"})
    assert not page.having(**{"class": "word"}) and len(page.having(**{"class": "scene"})) == 3
    assert json.loads(page.scripts["review-data"])["captions"]["cues"] == []


def test_failed_probe_page_still_renders_with_every_section_missing():
    m = review_manifest(Manifest(asset_id="a1", job_id="j1", status=JobStatus.FAILED, source_key="x.mp4",
                                 stages={"probe": ManifestStage(status=StageStatus.FAILED, error="not media",
                                                                error_code="UnsupportedFormat"),
                                         "finalize": ManifestStage(status=StageStatus.SUCCEEDED)},
                                 created_at="2026-01-01T00:00:00Z"))
    inputs = gather_inputs(m, lambda path: pytest.fail(f"read {path}"))
    assert {x.section for x in inputs.missing} == {"video", "captions", "transcript", "scenes", "trailer"}
    assert {x.status for x in inputs.missing} == {"NOT_RUN"}
    page = parse(render_review_page(inputs))
    assert page.having(**{"data-missing": "video"}) and not [t for t, _ in page.elements if t == "video"]


def test_an_unreadable_document_is_missing_not_fatal():
    files = {"scenes.json": b'{"version": 1, "scenes": "nope"}', "transcript.json": TRANSCRIPT.to_json().encode(),
             "captions/en.vtt": b"not webvtt", "trailer.json": TRAILER.to_json().encode()}

    def read(path: str) -> bytes:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]

    inputs = gather_inputs(manifest(), read)
    assert {(x.section, x.status) for x in inputs.missing} == {("scenes", "UNREADABLE"), ("captions", "UNREADABLE")}
    assert inputs.transcript == TRANSCRIPT and inputs.trailer == TRAILER
    render_review_page(inputs)


def test_vendored_player_is_the_recorded_version():
    vendor = Path(__file__).resolve().parents[2] / "functions" / "core" / "review" / "vendor"
    readme = (vendor / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `hls.light.min.js`"))
    digest = re.search(r"`([0-9a-f]{64})`", row).group(1)
    assert hashlib.sha256((vendor / "hls.light.min.js").read_bytes()).hexdigest() == digest
    assert "1.7.4" in row and "Apache-2.0" in row and (vendor / "hls.js.LICENSE").is_file()
    assert "Hls" in player_script() and REVIEW_PATH == "review/index.html"


def test_activity_timeline_bins_motion_and_loudness():
    times = np.arange(0, 10, 0.04)
    motion = np.where(times < 5, 0.0, 0.1)
    loudness = LoudnessTrack(np.arange(0.2, 10, 0.1), np.where(np.arange(0.2, 10, 0.1) < 5, -70.0, -20.0))
    timeline = activity_timeline(times, motion, loudness, 10.0)
    assert timeline.step == 0.5 and len(timeline.motion) == len(timeline.loudness) == 20
    assert timeline.motion[:10] == [0.0] * 10 and timeline.motion[10:] == pytest.approx([0.1] * 10)
    assert timeline.loudness[0] == -70.0 and timeline.loudness[-1] == -20.0
    assert activity_timeline(times, motion, None, 10.0).loudness == []
    assert bin_step(3600) == 6.0 and bin_step(10) == 0.5 and len(activity_timeline(times, motion, None, 3600).motion) == 600
    assert tick_step(20) == 2 and tick_step(3600) == 600
