"""The pieces of trailer assembly that need no rendering: sizes, the graph's joins, loudness figures, captions on
the trailer's timeline, titles, and where the vertical crop goes (on synthetic frames)."""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from functions.core.models import Hdr, SourceInfo
from functions.core.trailer import TrailerPlan, TrailerSegment, trailer_args
from functions.core.trailer.framing import crop_centre, face_centre, motion_centre
from functions.core.trailer.graph import Audio
from functions.core.trailer.layout import layout_for, output_fps
from functions.core.trailer.loudness import Measurement, normalising_filter, read_meter
from functions.core.trailer.models import ScoreBreakdown
from functions.core.trailer.overlays import Caption, Font, ass_document, read_captions, retime_captions, title_lines
from tests.fixtures.scenes.scene_clips import FACE_IMAGE


def source(width: int, height: int, fps: float = 25.0) -> SourceInfo:
    return SourceInfo(duration=60, container="mp4", has_video=True, has_audio=True, width=width, height=height,
                      fps=fps)


def plan_of(*windows: tuple[float, float], fade: float = 0.48) -> TrailerPlan:
    segments = [TrailerSegment(source_start=a, source_end=b, scene_indexes=[i + 1], score=0.5,
                               breakdown=ScoreBreakdown()) for i, (a, b) in enumerate(windows)]
    expected = sum(b - a for a, b in windows) - (len(windows) - 1) * fade
    return TrailerPlan(source_duration=60, target_seconds=expected, fade_seconds=fade, fps=25,
                       expected_duration=expected, segments=segments)


# --- layout -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("width,height", [(1920, 1080), (1280, 720), (640, 360), (320, 180), (1080, 1920),
                                          (720, 480), (500, 500)])
def test_outputs_are_exactly_16_9_and_9_16_with_even_sides(width, height):
    layout = layout_for(source(width, height))
    (lw, lh), (vw, vh) = layout.landscape, layout.vertical
    assert Fraction(lw, lh) == Fraction(16, 9) and Fraction(vw, vh) == Fraction(9, 16)
    assert lh <= 720 and all(n % 2 == 0 for n in (lw, lh, vw, vh))
    for centre in (0.0, 0.3, 0.5, 1.0):
        w, h, x, y = layout.vertical_crop(centre)
        assert 0 <= x <= layout.source_width - w and 0 <= y <= layout.source_height - h
        assert abs(w / h - 9 / 16) < 0.02


def test_output_frame_rate_keeps_the_source_rate_up_to_30():
    assert output_fps(25) == 25 and output_fps(29.97) == Fraction(30000, 1001)
    assert output_fps(60) == 30 and output_fps(0) == 25


# --- the graph --------------------------------------------------------------------------------------------------

def test_one_graph_with_xfade_offsets_at_i_times_segment_less_fade(tmp_path):
    plan = plan_of((1, 4), (10, 13), (20, 23), (30, 33))  # four 3 s segments, 0.48 s fades
    first = plan.segments[0].model_copy(update={"vertical_centre": 0.2})
    plan = plan.model_copy(update={"segments": [first, *plan.segments[1:]]})
    args = trailer_args(Path("in.mp4"), plan, layout_for(source(640, 360)), (tmp_path / "a.mp4", tmp_path / "b.mp4"),
                        Audio(from_source=True))
    graph = args[args.index("-filter_complex") + 1]
    assert args.count("-filter_complex") == 1 and args.count("-i") == 4
    offsets = sorted({float(x) for x in re.findall(r"xfade=duration=[\d.]+:offset=([\d.]+)", graph)})
    assert offsets == pytest.approx([i * (3 - 0.48) for i in (1, 2, 3)])
    assert graph.count("xfade=") == 6 and graph.count("acrossfade=") == 3  # two video chains, one audio chain
    assert "crop=202:360:27:0" in graph  # the first segment's crop centres on x = 0.2 of the width
    assert "+faststart" in args and args.count("libx264") == 2


def test_no_source_audio_gives_a_silent_track(tmp_path):
    args = trailer_args(Path("in.mp4"), plan_of((1, 4), (10, 13)), layout_for(source(640, 360)),
                        (tmp_path / "a.mp4", tmp_path / "b.mp4"), Audio(from_source=False))
    assert any(a.startswith("anullsrc=") for a in args)
    assert "acrossfade" not in args[args.index("-filter_complex") + 1]


# --- loudness ---------------------------------------------------------------------------------------------------

def test_meter_log_gives_the_final_integrated_loudness_and_peak(tmp_path):
    log = tmp_path / "r128.txt"
    log.write_text("frame:0 pts:0 pts_time:0\nlavfi.r128.I=-70.000\nlavfi.r128.true_peak=0.2\n"
                   "frame:1 pts:4800 pts_time:0.1\nlavfi.r128.I=-18.500\nlavfi.r128.LRA=4.2\n"
                   "lavfi.r128.true_peak=0.5\n")
    m = read_meter(log)
    assert m.integrated == -18.5 and m.lra == 4.2 and m.true_peak == pytest.approx(-6.02, abs=0.01)
    options = normalising_filter(m)
    assert options["measured_I"] == -18.5 and options["I"] == -16.0 and options["linear"] == "true"


def test_silence_is_recognised():
    assert Measurement(integrated=-70.0, lra=0, true_peak=-99).silent
    assert Measurement(integrated=float("-inf"), lra=0, true_peak=-99).silent


# --- captions and titles ----------------------------------------------------------------------------------------

SRT = """1
00:00:01,000 --> 00:00:03,500
Hello <i>there</i>

2
00:00:11,000 --> 00:00:12,000
Second line
"""

VTT = """WEBVTT

NOTE a comment

00:01.000 --> 00:03.500 align:middle
Hello there
"""


def test_srt_and_vtt_read_the_same():
    assert read_captions(SRT)[0] == Caption(1.0, 3.5, "Hello there") == read_captions(VTT)[0]
    assert len(read_captions(SRT)) == 2


def test_captions_move_onto_the_trailer_timeline():
    plan = plan_of((2.0, 5.0), (10.0, 13.0))  # trailer: [0, 3) from 2..5, then [2.52, 5.52) from 10..13
    cues = retime_captions(read_captions(SRT), plan)
    assert cues[0] == Caption(0.0, 1.5, "Hello there")
    assert cues[1].text == "Second line"
    assert cues[1].start == pytest.approx(2.52 + 1.0) and cues[1].end == pytest.approx(2.52 + 2.0)


def test_ass_escapes_text_and_sizes_for_the_frame():
    doc = ass_document([Caption(0, 1, "a {b}\nc")], (360, 640), Font(Path("/x/F.ttf"), "DejaVu Sans"))
    assert "PlayResX: 360" in doc and "PlayResY: 640" in doc
    assert r"a \{b\}\Nc" in doc


def test_titles_wrap_and_are_capped():
    assert title_lines("A very long title that goes on and on and on forever", 14).count("\n") <= 2
    assert title_lines("Short", 14) == "Short"


# --- vertical framing -------------------------------------------------------------------------------------------

def _canvas(width: int = 320, height: int = 180, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(90, 110, (height, width), dtype=np.uint8)


def test_crop_follows_a_face():
    face = cv2.cvtColor(cv2.imread(str(FACE_IMAGE)), cv2.COLOR_BGR2GRAY)
    face = cv2.resize(face, (180, 180))  # a size the cascade finds her at
    frames = []
    for i in range(5):
        frame = _canvas(seed=i)
        frame[:, 140:320] = face  # on the right: her face is around x = 218 of 320
        frames.append(frame)
    centre = face_centre(frames)
    assert centre is not None and 0.6 < centre < 0.8
    assert crop_centre(frames, 0.316).framing == "faces"


def test_crop_follows_motion_when_there_is_no_face():
    frames = []
    for i in range(8):
        frame = _canvas(seed=0)
        frame[60:100, 30 + 6 * i:60 + 6 * i] = 250  # a bright box moving on the left
        frames.append(frame)
    centre = motion_centre(frames, 0.316)
    assert centre is not None and centre < 0.35
    assert crop_centre(frames, 0.316, look_for_faces=False).framing == "motion"


def test_even_or_no_motion_keeps_the_crop_centred():
    still = [_canvas(seed=0)] * 5
    assert crop_centre(still, 0.316, look_for_faces=False).centre == 0.5
    pan = [np.roll(_canvas(seed=1), 7 * i, axis=1) for i in range(5)]  # the whole frame moves
    assert crop_centre(pan, 0.316, look_for_faces=False).framing == "centre"


@pytest.mark.parametrize(("kind", "filters"), [({"interlaced": True}, {"bwdif"}), ({"hdr": Hdr.PQ}, {"zscale", "tonemap"}),
                                               ({}, set())])
def test_the_trailer_shows_the_picture_as_the_ladder_does(tmp_path, kind, filters):
    """Deinterlaced and tone-mapped like the ladder, so a PQ source's trailer is not washed out."""
    info = source(1920, 1080).model_copy(update=kind)
    args = trailer_args(Path("in.mp4"), plan_of((1, 4), (10, 13)), layout_for(info),
                        (tmp_path / "a.mp4", tmp_path / "b.mp4"), Audio(from_source=True))
    graph = args[args.index("-filter_complex") + 1]
    for name in ("bwdif", "zscale", "tonemap"):
        assert (name in graph) == (name in filters), name
    assert graph.count("bwdif") in (0, 2)  # every segment
