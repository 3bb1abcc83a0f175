"""Long footage is analysed in parts (one Lambda each); joined, the parts must equal one pass over the file."""
from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from functions.core.models import SourceInfo
from functions.core.probe import probe_media
from functions.core.scenes.analyse import measure_frames, scenes_from_frames
from functions.core.scenes.features import PER_FRAME, FrameSeries
from functions.core.scenes.parts import from_bytes, join_parts, part_windows, to_bytes
from tests import media
from tests.fixtures.scenes import scene_clips


def test_parts_carry_every_series_of_a_pass():
    # A new FrameSeries field is stored and joined by parts without a list to update; only the per-window
    # distances have their own shape.
    assert set(PER_FRAME) == {f.name for f in fields(FrameSeries)} - {"wide_hist_distance"}


def whole_and_joined(path, starts):
    source = probe_media(str(path))
    whole = measure_frames(path, source)
    parts = [from_bytes(to_bytes(measure_frames(path, source, window=w))) for w in part_windows(starts, source)]
    return source, whole, join_parts(parts)


def assert_same_frames(whole, joined):
    np.testing.assert_allclose(joined.timestamps, whole.timestamps, atol=1e-6)
    for name in PER_FRAME:
        np.testing.assert_allclose(getattr(joined.series, name), getattr(whole.series, name), atol=1e-6,
                                   equal_nan=True, err_msg=name)
    for k, values in whole.series.wide_hist_distance.items():
        np.testing.assert_allclose(joined.series.wide_hist_distance[k], values, atol=1e-6, equal_nan=True)


def assert_same_loudness_and_scenes(whole, joined, source, folder):
    """Every 100 ms block once, at the times and with the values of one pass, joins between blocks included (silence
    reads as -inf or nan depending on what came before, and scenes floor both at -70 LUFS); and the same scenes."""
    assert joined.loudness is not None and whole.loudness is not None
    np.testing.assert_allclose(joined.loudness.times, whole.loudness.times, atol=1e-6)
    np.testing.assert_allclose(np.fmax(joined.loudness.momentary, -70), np.fmax(whole.loudness.momentary, -70),
                               atol=0.01)
    one = scenes_from_frames(whole, source, folder / "one", media_name="clip.mp4")
    parts = scenes_from_frames(joined, source, folder / "parts", media_name="clip.mp4")
    assert [s.start_frame for s in parts.scenes] == [s.start_frame for s in one.scenes]
    assert [s.tags for s in parts.scenes] == [s.tags for s in one.scenes]


def test_parts_joined_equal_one_pass_and_find_the_same_scenes(tmp_path):
    clip = scene_clips.build_clip(scene_clips.MIXED, tmp_path / "mixed.mp4")
    # Joins inside a dissolve (2.4-3.4 s... see MIXED), inside a shot, and one frame before a cut.
    cut = clip.transitions[3].frame / clip.fps
    source, whole, joined = whole_and_joined(clip.path, [0.0, 4.0, cut - 1 / clip.fps, 17.3])
    assert_same_frames(whole, joined)
    assert_same_loudness_and_scenes(whole, joined, source, tmp_path)
    assert all(0 <= c.frame < len(joined) for c in joined.candidates)


def test_parts_of_footage_whose_audio_starts_off_the_loudness_grid(tmp_path):
    clip = scene_clips.build_clip(scene_clips.MIXED, tmp_path / "mixed.mp4")
    late = media.delay_audio(clip.path, tmp_path / "late.mp4", 0.037)
    source, whole, joined = whole_and_joined(late, [0.0, 4.0, 8.0])
    assert source.audio_start == pytest.approx(0.037 - 1024 / 48000, abs=1e-3)
    assert_same_frames(whole, joined)
    assert_same_loudness_and_scenes(whole, joined, source, tmp_path)


def test_parts_of_a_source_without_a_keyframe_index(tmp_path):
    clip = scene_clips.build_clip(scene_clips.MIXED, tmp_path / "mixed.mp4")
    _, whole, joined = whole_and_joined(media.remux(clip.path, tmp_path / "mixed.ts"), [0.0, 4.0, 8.0])
    assert_same_frames(whole, joined)


def test_parts_of_variable_frame_rate_footage_with_a_late_start(tmp_path):
    clip = media.make_late_vfr_cut(tmp_path / "vfr.mkv", seconds=3, gop=12)
    _, whole, joined = whole_and_joined(clip, [0.0, 2.0, 4.4])
    assert_same_frames(whole, joined)


@pytest.mark.parametrize("starts", [[0.0], [0.0, 1.0]])
def test_windows_end_where_the_next_begins(starts):
    windows = part_windows(starts, SourceInfo(duration=10, container="mp4", has_video=True, has_audio=False, fps=25))
    assert windows[0].preroll == 0 and all(w.preroll > 2 for w in windows[1:])
    assert [w.end for w in windows] == [*starts[1:], None]
