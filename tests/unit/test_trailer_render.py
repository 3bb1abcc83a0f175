"""Rendered trailers: the sample (scenes computed once for the module) and small edge-case clips.

Lengths are checked on the decoded files, loudness with ffmpeg's ebur128 meter.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import pytest

from functions.core.ffmpeg import ffmpeg_exe, run_ffmpeg
from functions.core.models import SkipCode
from functions.core.probe import probe_media
from functions.core.scenes import analyse_scenes
from functions.core.scenes.models import Faces, Scene, SceneFeatures
from functions.core.trailer import OUTPUT_FILES, TrailerFallback, TrailerOutcome, TrailerPlan, make_trailer
from functions.core.trailer.loudness import measure_file
from tests import media
from tests.conftest import SAMPLE, SAMPLE_TRUTH
from tests.fixtures.scenes.scene_clips import FACE_IMAGE


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str


def sample_words() -> list[Word]:
    """The sample's narration, each sentence's words spread evenly over its time with short gaps."""
    words = []
    for sentence in SAMPLE_TRUTH["speech"]["sentences"]:
        texts = sentence["text"].split()
        step = (sentence["end_s"] - sentence["start_s"]) / len(texts)
        for i, text in enumerate(texts):
            start = sentence["start_s"] + i * step
            words.append(Word(round(start, 3), round(start + 0.8 * step, 3), text))
    return words


def srt_of(sentences: list[dict]) -> str:
    def ts(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
    return "\n".join(f"{i}\n{ts(s['start_s'])} --> {ts(s['end_s'])}\n{s['text']}\n"
                     for i, s in enumerate(sentences, 1))


def decoded(path: Path) -> dict:
    """Stream facts from actually decoding the file: video length from frames, audio length from samples."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        frames, first_luma = 0, None
        for frame in c.decode(v):
            if first_luma is None:
                first_luma = float(frame.to_ndarray(format="gray").mean())
            frames += 1
        fps = float(v.average_rate)
        size = (v.codec_context.width, v.codec_context.height)
    with av.open(str(path)) as c:
        a = c.streams.audio[0] if c.streams.audio else None
        samples = sum(f.samples for f in c.decode(a)) if a else 0
        rate = a.codec_context.sample_rate if a else 1
    return dict(video_seconds=frames / fps, audio_seconds=samples / rate if a else None, size=size,
                first_luma=first_luma, has_audio=a is not None)


def decode_errors(path: Path) -> str:
    proc = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True, timeout=120)
    return (proc.stdout + proc.stderr).strip()


def plain_scenes(duration: float, n: int) -> list[Scene]:
    step = duration / n
    return [Scene(index=i + 1, start=i * step, end=(i + 1) * step, duration=step, start_frame=0, end_frame=1,
                  start_timecode="", end_timecode="", thumbnail="", keyframe_time=i * step,
                  features=SceneFeatures(brightness=0.5, contrast=0.2, colourfulness=30 + 20 * i, motion=0.01 * i))
            for i in range(n)]


# --- the sample -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[TrailerOutcome, Path, list[Scene]]:
    root = tmp_path_factory.mktemp("trailer-sample")
    source = probe_media(str(SAMPLE))
    scenes = analyse_scenes(SAMPLE, source, root / "scenes").scenes
    captions = root / "sample.srt"
    captions.write_text(srt_of(SAMPLE_TRUTH["speech"]["sentences"]))
    progress: list[float] = []
    outcome = make_trailer(SAMPLE, source, scenes, root / "out", words=sample_words(), title="Reelflow: the sample",
                           burn_captions=captions, on_progress=progress.append)
    assert progress and progress[-1] == 1.0 and progress == sorted(progress)
    return outcome, root / "out", scenes


def test_sample_writes_both_trailers_and_the_plan(sample):
    outcome, out, _ = sample
    assert outcome.skipped is None and outcome.outputs == OUTPUT_FILES
    assert all((out / rel).is_file() for rel in outcome.outputs.values())
    plan = TrailerPlan.model_validate_json((out / OUTPUT_FILES["trailer_plan"]).read_text())
    assert plan == outcome.plan
    assert plan.target_seconds == pytest.approx(20 / 3, abs=0.01)  # a third of a short source
    assert all(s.reasons and s.vertical_centre is not None for s in plan.segments)
    assert outcome.fallbacks == []  # a font was found: the title and captions were drawn, all cuts between words


@pytest.mark.parametrize("name", ["trailer", "trailer_vertical"])
def test_sample_length_hits_the_target(sample, name):
    outcome, out, _ = sample
    facts = decoded(out / outcome.outputs[name])
    assert facts["video_seconds"] == pytest.approx(outcome.plan.target_seconds, abs=0.5)
    assert facts["video_seconds"] == pytest.approx(outcome.plan.expected_duration, abs=0.05)
    assert facts["audio_seconds"] == pytest.approx(facts["video_seconds"], abs=0.1)
    assert facts["first_luma"] < 20  # it fades in from black


@pytest.mark.parametrize("name", ["trailer", "trailer_vertical"])
def test_sample_loudness_is_minus_16_lufs(sample, name):
    outcome, out, _ = sample
    assert measure_file(out / outcome.outputs[name]).integrated == pytest.approx(-16.0, abs=1.0)
    assert outcome.loudness.normalisation == "linear"


def test_sample_segments_are_chronological_distinct_and_include_the_best_scene(sample):
    outcome, _, scenes = sample
    segs = outcome.plan.segments
    assert all(a.source_end <= b.source_start for a, b in zip(segs, segs[1:], strict=False))
    assert len({tuple(s.scene_indexes) for s in segs}) == len(segs)
    best = max(outcome.plan.scores, key=lambda s: s.score)
    assert any(best.scene_index in s.scene_indexes for s in segs)
    assert best.scene_index == 5  # the fast pan: the sample's high-motion shot


def test_sample_cuts_do_not_split_words(sample):
    outcome, _, _ = sample
    for seg in outcome.plan.segments:
        for t in (seg.source_start, seg.source_end):
            assert not any(w.start < t < w.end for w in sample_words()), f"cut at {t} splits a word"


def test_sample_outputs_are_16_9_and_9_16_decode_cleanly_and_start_fast(sample):
    outcome, out, _ = sample
    wide, tall = out / outcome.outputs["trailer"], out / outcome.outputs["trailer_vertical"]
    assert decoded(wide)["size"] == (640, 360)
    w, h = decoded(tall)["size"]
    assert w * 16 == h * 9
    for path in (wide, tall):
        assert decode_errors(path) == ""
        kinds = [kind for kind, _, _ in media.top_level_boxes(path)]
        assert kinds.index("moov") < kinds.index("mdat")  # faststart


# --- edge cases -------------------------------------------------------------------------------------------------

def test_source_shorter_than_the_target_is_the_whole_clip_with_fades(tmp_path):
    clip = media.make_clip(tmp_path / "short.mp4", seconds=2)
    outcome = make_trailer(clip, probe_media(str(clip)), plain_scenes(2.0, 1), tmp_path / "out")
    assert outcome.fallbacks == [TrailerFallback.WHOLE_CLIP]
    assert [(s.source_start, s.source_end) for s in outcome.plan.segments] == [(0.0, 2.0)]
    facts = decoded(tmp_path / "out" / outcome.outputs["trailer"])
    assert facts["video_seconds"] == pytest.approx(2.0, abs=0.05) and facts["first_luma"] < 20


def test_no_audio_gives_a_silent_track_not_a_failure(tmp_path):
    clip = media.make_clip(tmp_path / "mute.mp4", seconds=9, audio=False)
    outcome = make_trailer(clip, probe_media(str(clip)), plain_scenes(9.0, 3), tmp_path / "out")
    assert outcome.skipped is None and TrailerFallback.SILENT_TRACK in outcome.fallbacks
    for name in ("trailer", "trailer_vertical"):
        facts = decoded(tmp_path / "out" / outcome.outputs[name])
        assert facts["has_audio"] and facts["audio_seconds"] == pytest.approx(facts["video_seconds"], abs=0.1)


def test_audio_only_is_skipped_with_a_reason(tmp_path):
    clip = media.make_audio_only(tmp_path / "memo.m4a", seconds=2)
    outcome = make_trailer(clip, probe_media(str(clip)), [], tmp_path / "out")
    assert outcome.skipped and outcome.skipped.code == SkipCode.NO_VIDEO
    assert outcome.outputs == {} and not (tmp_path / "out").exists()


def test_no_scenes_is_skipped_with_a_reason(tmp_path):
    clip = media.make_clip(tmp_path / "plain.mp4", seconds=2)
    outcome = make_trailer(clip, probe_media(str(clip)), [], tmp_path / "out")
    assert outcome.skipped and outcome.skipped.code == SkipCode.NO_SCENES


def test_vertical_crop_follows_a_face_off_centre(tmp_path):
    clip = tmp_path / "face.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=gray:s=640x360:r=25:d=9", "-loop", "1", "-t", "9", "-i",
               str(FACE_IMAGE), "-filter_complex", "[1]scale=360:360[f];[0][f]overlay=x=280:y=0",
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-t", "9", str(clip)])
    source = probe_media(str(clip))
    scenes = [s.model_copy(update={"features": s.features.model_copy(update={"faces": Faces(count=1)})})
              for s in plain_scenes(9.0, 3)]
    outcome = make_trailer(clip, source, scenes, tmp_path / "out")
    assert TrailerFallback.SILENT_TRACK in outcome.fallbacks
    for seg in outcome.plan.segments:
        assert seg.framing == "faces" and 0.65 < seg.vertical_centre < 0.85  # her face is at x ~ 0.72
