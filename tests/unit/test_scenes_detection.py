"""Shot boundaries on synthetic clips with known truth: hard cuts, dissolves, camera motion, a dark shot."""
from __future__ import annotations

import numpy as np
import pytest

from functions.core.probe import probe_media
from functions.core.scenes import analyse_scenes
from functions.core.scenes.boundaries import Boundary, detect_boundaries, detect_cuts, enforce_min_length
from functions.core.scenes.features import FrameSeries
from tests.fixtures.scenes import scene_clips


def f1_within(truth: list[scene_clips.Transition], found: list[int]) -> float:
    return scene_clips.f1(*scene_clips.match(truth, found))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("scenes-mixed")
    clip = scene_clips.build_clip(scene_clips.MIXED, root / "mixed.mp4")
    progress: list[float] = []
    outcome = analyse_scenes(clip.path, probe_media(str(clip.path)), root / "out", on_progress=progress.append)
    return clip, outcome, progress


def test_cuts_and_dissolves_are_found_at_the_right_frames(mixed):
    clip, outcome, _ = mixed
    found = [s.start_frame for s in outcome.scenes[1:]]
    assert f1_within(clip.transitions, found) >= 0.95, (found, clip.cut_frames)
    hard = [t for t in clip.transitions if t.kind == "cut"]
    assert f1_within(hard, [f for f in found if any(abs(f - t.frame) <= 1 for t in hard)]) == 1.0


def test_each_dissolve_is_found_inside_its_span_and_labelled_gradual(mixed):
    clip, outcome, _ = mixed
    for t in (t for t in clip.transitions if t.kind == "dissolve"):
        inside = [s for s in outcome.scenes if t.span[0] <= s.start_frame <= t.span[1]]
        assert len(inside) == 1, t
        assert inside[0].transition_in == "dissolve"


@pytest.mark.parametrize("look", ["pan", "pan-fast", "mandelbrot", "dark", "life"])
def test_camera_motion_busy_and_dark_shots_do_not_split(mixed, look):
    clip, outcome, _ = mixed
    first, end = next((f, e) for f, e, shot in clip.shots if shot.look == look)
    assert not [s.start_frame for s in outcome.scenes if first + 1 < s.start_frame < end - 1]


def test_scene_records_tile_the_clip(mixed):
    clip, outcome, progress = mixed
    scenes = outcome.scenes
    assert [s.index for s in scenes] == list(range(1, len(scenes) + 1))
    assert scenes[0].start_frame == 0 and scenes[-1].end_frame == clip.frames
    for a, b in zip(scenes, scenes[1:], strict=False):
        assert a.end_frame == b.start_frame and a.end == pytest.approx(b.start)
    assert scenes[-1].end == pytest.approx(clip.frames / clip.fps, abs=0.05)
    cut = next(s for s in scenes if s.start_frame == 50)
    assert cut.start == pytest.approx(2.0) and cut.start_timecode == "00:00:02:00"
    assert progress and progress == sorted(progress) and progress[-1] == 1.0


def _series(hist: np.ndarray, layout: np.ndarray, flash: np.ndarray | None = None) -> FrameSeries:
    n = len(hist)
    zeros = np.zeros(n)
    return FrameSeries(brightness=zeros, contrast=zeros, colourfulness=zeros, motion=zeros,
                       palette=np.zeros((n, 12), np.float32), layout_distance=layout, hist_distance=hist,
                       wide_hist_distance={11: np.full(n, np.nan)},
                       flash_distance=flash if flash is not None else np.full(n, 0.5))


def test_noise_in_near_black_footage_stays_under_the_floor():
    rng = np.random.default_rng(1)
    hist = rng.uniform(0.0, 0.02, 200)
    layout = rng.uniform(0.0, 0.004, 200)
    hist[100], layout[100] = 0.09, 0.02  # 20x its neighbours, but a tiny change in absolute terms
    assert detect_cuts(_series(hist, layout), 25) == []


def test_a_flash_is_not_a_cut():
    hist = np.full(100, 0.01)
    layout = np.full(100, 0.01)
    hist[50], layout[50] = 0.9, 0.4
    flash = np.full(100, 0.01)  # the frame two after looks like the frame before
    assert detect_cuts(_series(hist, layout, flash), 25) == []
    assert [b.frame for b in detect_cuts(_series(hist, layout), 25)] == [50]


def test_min_scene_length_keeps_the_stronger_boundary():
    found = [Boundary(40, "cut", 0.3, (40, 40)), Boundary(45, "cut", 0.6, (45, 45)),
             Boundary(60, "dissolve", 0.9, (55, 65)), Boundary(3, "cut", 0.9, (3, 3))]
    kept = enforce_min_length(found, 100, min_frames=15)
    assert [(b.frame, b.kind) for b in kept] == [(45, "cut"), (60, "dissolve")]


def test_a_clip_without_changes_has_no_boundaries():
    n = 120
    series = _series(np.full(n, 0.01), np.full(n, 0.005))
    assert detect_boundaries(series, 25) == []
