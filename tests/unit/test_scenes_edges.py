"""Edge inputs: audio-only, one frame, all black, under a second, no cuts, rotation, SAR, VFR, offsets and HDR."""
from __future__ import annotations

import json
from pathlib import Path

import av
import cv2
import opentimelineio as otio
import pytest

from functions.core.ffmpeg import MediaError, filter_chain, run_ffmpeg
from functions.core.models import SkipCode, SourceInfo
from functions.core.probe import probe_media
from functions.core.scenes import OUTPUT_FILES, analyse_scenes
from functions.core.scenes.analyse import measure_frames
from functions.core.transcode import TONE_MAP_FILTERS
from tests import media
from tests.fixtures.scenes import scene_clips


def analyse(path: Path, out: Path, source: SourceInfo | None = None):
    return analyse_scenes(path, source or probe_media(str(path)), out)


def lavfi_clip(path: Path, video: str, *, extra: list[str] | None = None) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", video, *(extra or []), "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", str(path)], what="fixture")
    return path


def assert_complete(outcome, out: Path) -> None:
    """Every output exists and loads, with one thumbnail per scene."""
    assert outcome.skipped is None
    assert outcome.outputs == OUTPUT_FILES
    for name in OUTPUT_FILES.values():
        assert (out / name).stat().st_size > 0
    doc = json.loads((out / "scenes.json").read_text())
    assert len(doc["scenes"]) == len(outcome.scenes)
    for scene in outcome.scenes:
        assert cv2.imread(str(out / scene.thumbnail)) is not None
    assert len(otio.adapters.read_from_file(str(out / "scenes.otio")).tracks[0]) == len(outcome.scenes)


def test_audio_only_is_skipped_with_a_reason(clips, tmp_path):
    outcome = analyse(clips["audio_only"], tmp_path / "out")
    assert outcome.skipped is not None and outcome.skipped.code == SkipCode.NO_VIDEO
    assert outcome.scenes == [] and outcome.outputs == {}
    assert not (tmp_path / "out").exists()


def test_a_file_ffmpeg_cannot_decode_raises_media_error(clips, tmp_path):
    source = SourceInfo(duration=2, container="mp4", has_video=True, has_audio=False, width=320, height=180, fps=25)
    with pytest.raises(MediaError):
        analyse(clips["non_media"], tmp_path / "out", source)


def test_no_cuts_gives_one_scene(clips, tmp_path):
    outcome = analyse(clips["plain"], tmp_path / "out")
    assert [(s.start_frame, s.end_frame) for s in outcome.scenes] == [(0, 50)]
    assert outcome.scenes[0].end == pytest.approx(2.0, abs=0.05)
    assert_complete(outcome, tmp_path / "out")


def test_a_single_frame(tmp_path):
    clip = lavfi_clip(tmp_path / "one.mp4", "testsrc2=s=320x180:r=25", extra=["-frames:v", "1"])
    outcome = analyse(clip, tmp_path / "out")
    (scene,) = outcome.scenes
    assert (scene.start_frame, scene.end_frame) == (0, 1)
    assert scene.duration > 0 and scene.start_timecode == "00:00:00:00"
    assert_complete(outcome, tmp_path / "out")


def test_all_black_is_one_dark_static_scene(tmp_path):
    clip = lavfi_clip(tmp_path / "black.mp4", "color=c=black:s=320x180:r=25:d=3")
    outcome = analyse(clip, tmp_path / "out")
    (scene,) = outcome.scenes
    assert {"dark", "static"} <= set(scene.tags)
    assert scene.features.faces.count == 0
    assert_complete(outcome, tmp_path / "out")


def test_under_a_second_with_a_cut_is_still_one_valid_scene(tmp_path):
    graph = "testsrc2=s=320x180:r=25:d=0.3[a];mandelbrot=s=320x180:r=25,trim=0:0.3[b];[a][b]concat=n=2:v=1:a=0"
    clip = lavfi_clip(tmp_path / "short.mp4", graph)
    outcome = analyse(clip, tmp_path / "out")
    assert len(outcome.scenes) == 1  # shorter than the minimum scene length on either side of the cut
    assert outcome.scenes[0].end == pytest.approx(0.6, abs=0.05)
    assert_complete(outcome, tmp_path / "out")


def test_rotated_video_is_analysed_upright(clips, tmp_path):
    source = probe_media(str(clips["rotated"]))
    assert (source.width, source.height) == (180, 320)
    outcome = analyse(clips["rotated"], tmp_path / "out", source)
    thumb = cv2.imread(str(tmp_path / "out" / outcome.scenes[0].thumbnail))
    assert thumb.shape[:2] == (320, 180)
    json_doc = json.loads((tmp_path / "out" / "scenes.json").read_text())
    assert (json_doc["video"]["width"], json_doc["video"]["height"]) == (180, 320)


def test_anamorphic_video_keeps_its_display_aspect(clips, tmp_path):
    source = probe_media(str(clips["anamorphic"]))
    outcome = analyse(clips["anamorphic"], tmp_path / "out", source)
    h, w = cv2.imread(str(tmp_path / "out" / outcome.scenes[0].thumbnail)).shape[:2]
    assert w == 320 and w / h == pytest.approx(source.width / source.height, rel=0.02)


def test_variable_frame_rate_and_a_late_video_start_use_real_frame_times(tmp_path):
    # 50 frames at 25 fps, a cut, then 20 frames at 10 fps; the video starts 0.5 s after the audio.
    clip = media.make_late_vfr_cut(tmp_path / "vfr.mkv", seconds=2)
    source = probe_media(str(clip))
    outcome = analyse(clip, tmp_path / "out", source)
    first, second = outcome.scenes
    assert second.start_frame == 50
    # Times count from the start of the media (the audio's); the muxer adds its own few ms to the 0.5 s.
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        late = float(video.start_time * video.time_base) - source.start_time
    assert 0.5 <= late < 0.56
    assert first.start == pytest.approx(late, abs=0.005)
    assert second.start == pytest.approx(late + 2.0, abs=0.005)
    assert second.end == pytest.approx(late + 4.0, abs=0.05)  # 10 fps in a 1/25 s time base: 0.08 or 0.12 s steps
    assert second.duration == pytest.approx(2.0, abs=0.12)
    assert_complete(outcome, tmp_path / "out")


def test_jittery_frame_timing_from_the_shared_fixture(clips, tmp_path):
    outcome = analyse(clips["vfr"], tmp_path / "out")
    (scene,) = outcome.scenes
    assert scene.end == pytest.approx(2.0, abs=0.1)
    assert_complete(outcome, tmp_path / "out")


def test_words_without_overlap_give_zero_speech(clips, tmp_path):
    class W:
        start, end = 10.0, 11.0

    outcome = analyse_scenes(clips["plain"], probe_media(str(clips["plain"])), tmp_path / "out", words=[W()])
    assert outcome.scenes[0].features.speech_share == 0.0
    assert "dialogue" not in outcome.scenes[0].tags


def test_the_same_movement_scores_the_same_motion_at_25_and_50_fps(tmp_path):
    """A pan of 2 px per 1/25 s, sampled at 25 and at 50 frames a second."""
    motion = {}
    for fps in (25, 50):
        path = lavfi_clip(tmp_path / f"pan{fps}.mp4", f"testsrc2=s=960x180:r={fps}:d=3",
                          extra=["-vf", "crop=320:180:x='t*50':y=0,setsar=1"])
        motion[fps] = analyse(path, tmp_path / f"out{fps}").scenes[0].features.motion
    assert motion[25] > 0.01
    assert motion[50] == pytest.approx(motion[25], rel=0.25)



# Two-second shots joined by 1.2 s fades through black: most of every frame is inside a fade.
FADES = [scene_clips.Shot("testsrc2", 2.0)] + [scene_clips.Shot(look, 2.0, join="fadeblack", dissolve_seconds=1.2)
                                              for look in ("face", "chart", "gradients", "sierpinski")]


def test_thumbnails_of_a_fade_heavy_clip_are_not_dark_flat_or_mid_fade(tmp_path):
    clip = scene_clips.build_clip(FADES, tmp_path / "fades.mp4")
    outcome = analyse(clip.path, tmp_path / "out")
    capture = cv2.VideoCapture(str(clip.path))
    frames = []
    while (read := capture.read())[0]:
        frames.append(cv2.cvtColor(read[1], cv2.COLOR_BGR2GRAY))
    assert len(frames) == clip.frames
    for scene in outcome.scenes:
        thumb = cv2.cvtColor(cv2.imread(str(tmp_path / "out" / scene.thumbnail)), cv2.COLOR_BGR2GRAY)
        brightest = max(float(f.mean()) for f in frames[scene.start_frame:scene.end_frame])
        most_contrast = max(float(f.std()) for f in frames[scene.start_frame:scene.end_frame])
        assert thumb.mean() >= 0.5 * brightest, scene.index  # not black
        assert thumb.std() >= 0.6 * most_contrast, scene.index  # neither flat nor mid-fade


def test_hdr_is_measured_as_the_ladder_shows_it(tmp_path):
    """A bright shot graded to HDR10 (PQ): its code values alone read dim and flat (contrast 0.036, below the
    thumbnails' flatness floor), so the scene pass tone-maps as the ladder does and measures what viewers see."""
    scene = "testsrc2=size=320x180:rate=25:duration=1,eq=brightness=0.35:contrast=0.6"
    to_pq = "zscale=tin=bt709:min=bt709:pin=bt709:rin=tv:t=smpte2084:m=bt2020nc:p=bt2020:r=tv:npl=100"
    hdr = tmp_path / "pq.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", scene, "-vf", f"{to_pq},format=yuv420p10le", "-c:v", "libx265",
                "-x265-params", f"log-level=error:{media.HDR10_X265}", "-color_primaries", "bt2020",
                "-color_trc", "smpte2084", "-colorspace", "bt2020nc", str(hdr)], what="fixture")
    source = probe_media(str(hdr))
    assert source.hdr == "PQ"
    ladder = lavfi_clip(tmp_path / "as the ladder shows it.mp4", scene,
                        extra=["-vf", f"{to_pq},{filter_chain(TONE_MAP_FILTERS)}", "-crf", "10"])
    measured = measure_frames(hdr, source).series
    shown = measure_frames(ladder, probe_media(str(ladder))).series
    for name in ("brightness", "contrast"):
        assert getattr(measured, name).mean() == pytest.approx(getattr(shown, name).mean(), abs=0.015)
    assert measured.contrast.mean() > 0.06
