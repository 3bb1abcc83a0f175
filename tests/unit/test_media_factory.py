"""Every fixture from tests/media.py is what it claims, checked by reading it back with PyAV."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

try:
    from tests.media import (
        display_size, make_audio_only, make_clip, make_corrupt, make_non_media, make_silent_clip,
        make_truncated, make_zero_byte, top_level_boxes,
    )
except ImportError:  # tests/ on sys.path (pytest rootdir insertion) rather than the repo root
    from media import (  # type: ignore[no-redef]
        display_size, make_audio_only, make_clip, make_corrupt, make_non_media, make_silent_clip,
        make_truncated, make_zero_byte, top_level_boxes,
    )


def duration_s(path) -> float:
    with av.open(str(path)) as c:
        return c.duration / 1e6


def frame_times(path) -> list[float]:
    with av.open(str(path)) as c:
        return [f.time for f in c.decode(video=0)]


def first_frame(path) -> av.VideoFrame:
    with av.open(str(path)) as c:
        return next(c.decode(video=0))


def audio_samples(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.concatenate([f.to_ndarray().astype(np.float64).ravel() for f in c.decode(audio=0)])


def test_default_clip_is_moving_video_with_a_tone(tmp_path):
    clip = make_clip(tmp_path / "a.mp4")
    with av.open(str(clip)) as c:
        assert abs(c.duration / 1e6 - 2.0) < 0.1
        v, a = c.streams.video[0], c.streams.audio[0]
        assert (v.codec_context.name, v.width, v.height, v.average_rate) == ("h264", 320, 180, 25)
        assert v.codec_context.pix_fmt == "yuv420p"
        assert (a.codec_context.name, a.rate) == ("aac", 48000)
        frames = [f.to_ndarray(format="gray") for f in c.decode(v)]
    assert len(frames) == 50
    assert np.abs(frames[0].astype(int) - frames[25]).mean() > 1  # testsrc2 moves: not a still
    assert np.diff(frame_times(clip)) == pytest.approx(0.04)  # constant frame rate
    assert first_frame(clip).rotation == 0


def test_clip_size_rate_and_length_follow_arguments(tmp_path):
    clip = make_clip(tmp_path, seconds=1.0, width=160, height=90, fps=30)
    assert clip.parent == tmp_path and clip.suffix == ".mp4"
    with av.open(str(clip)) as c:
        v = c.streams.video[0]
        assert (v.width, v.height, v.average_rate) == (160, 90, 30)
        assert abs(c.duration / 1e6 - 1.0) < 0.1
    assert len(frame_times(clip)) == 30


def test_video_only_and_audio_only_streams(tmp_path):
    with av.open(str(make_clip(tmp_path / "v.mp4", audio=False))) as c:
        assert [s.type for s in c.streams] == ["video"]
    with av.open(str(make_clip(tmp_path / "a.mp4", video=False))) as c:
        assert [s.type for s in c.streams] == ["audio"]
        assert abs(c.duration / 1e6 - 2.0) < 0.1
    with pytest.raises(ValueError):
        make_clip(tmp_path / "none.mp4", audio=False, video=False)


@pytest.mark.parametrize("rotation, container", [(90, "mp4"), (-90, "mov"), (180, "mp4")])
def test_rotation_metadata_reads_back(tmp_path, rotation, container):
    clip = make_clip(tmp_path / f"r.{container}", rotation=rotation, container=container)
    frame = first_frame(clip)
    # PyAV 18: VideoFrame.rotation is degrees counter-clockwise from the display matrix (180 reads as -180)
    assert frame.rotation % 360 == rotation % 360
    assert any(sd.type.name == "DISPLAYMATRIX" for sd in frame.side_data)
    assert (frame.width, frame.height) == (320, 180)  # stored landscape...
    if rotation % 180:
        assert display_size(320, 180, rotation=rotation) == (180, 320)  # ...shown portrait
    assert abs(duration_s(clip) - 2.0) < 0.1


def test_rotated_phone_clip_is_portrait_when_displayed(tmp_path):
    clip = make_clip(tmp_path / "phone.mp4", rotation=90, faststart=True)
    with av.open(str(clip)) as c:
        v = c.streams.video[0]
        assert (v.width, v.height) == (320, 180)
        assert [s.type for s in c.streams] == ["video", "audio"]
    assert first_frame(clip).rotation == 90
    kinds = [k for k, _, _ in top_level_boxes(clip)]
    assert kinds.index("moov") < kinds.index("mdat")  # faststart survives the rotation remux


def test_anamorphic_sar_reads_back(tmp_path):
    clip = make_clip(tmp_path / "sar.mp4", sar="4:3")
    with av.open(str(clip)) as c:
        v = c.streams.video[0]
        assert (v.width, v.height) == (320, 180)
        assert v.sample_aspect_ratio == Fraction(4, 3)
        assert v.codec_context.sample_aspect_ratio == Fraction(4, 3)
        assert v.display_aspect_ratio == Fraction(64, 27)  # 320*4/3 : 180
    assert display_size(320, 180, sar="4:3") == (427, 180)
    with av.open(str(make_clip(tmp_path / "square.mp4"))) as c:
        assert c.streams.video[0].sample_aspect_ratio == Fraction(1, 1)


@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_vfr_timestamps_are_irregular(tmp_path, container):
    clip = make_clip(tmp_path / f"vfr.{container}", vfr=True, container=container)
    times = frame_times(clip)
    steps = np.diff(times)
    assert len(times) == 50
    assert (steps > 0).all()
    assert len(set(np.round(steps, 3))) >= 3
    assert steps.min() < 0.8 / 25 and steps.max() > 1.2 / 25
    assert abs(np.mean(steps) - 0.04) < 0.005  # averages the nominal rate
    assert abs(duration_s(clip) - 2.0) < 0.1


def test_tone_is_audible_and_silent_clip_is_silent(tmp_path):
    tone = audio_samples(make_clip(tmp_path / "tone.mp4", video=False))
    assert np.sqrt(np.mean(tone**2)) > 0.05  # lavfi sine: amplitude 1/8, RMS ~0.088
    spectrum = np.abs(np.fft.rfft(tone[:48000]))
    assert abs(int(np.argmax(spectrum)) - 440) < 5  # 1 s at 48 kHz → 1 Hz bins

    silent = make_silent_clip(tmp_path / "silent.mp4")
    with av.open(str(silent)) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]
        assert abs(c.duration / 1e6 - 2.0) < 0.1
    assert np.abs(audio_samples(silent)).max() < 1e-4
    assert np.abs(audio_samples(make_clip(tmp_path / "quiet.mp4", tone=False))).max() < 1e-4


@pytest.mark.parametrize("name, codec", [("a.m4a", "aac"), ("a.mp3", "mp3float"), ("a.wav", "pcm_s16le"), ("a.opus", "opus")])
def test_audio_only_file(tmp_path, name, codec):
    path = make_audio_only(tmp_path / name, seconds=1.5)
    with av.open(str(path)) as c:
        assert [s.type for s in c.streams] == ["audio"]
        assert c.streams.audio[0].codec_context.name == codec
        assert abs(c.duration / 1e6 - 1.5) < 0.1
    assert make_audio_only(tmp_path).name == "audio.m4a"


@pytest.mark.parametrize("container, vcodec, acodec", [("mov", "h264", "aac"), ("mkv", "h264", "aac"), ("webm", "vp9", "opus")])
def test_other_containers(tmp_path, container, vcodec, acodec):
    clip = make_clip(tmp_path / f"c.{container}", container=container, seconds=1.0)
    with av.open(str(clip)) as c:
        assert c.streams.video[0].codec_context.name == vcodec
        assert c.streams.audio[0].codec_context.name == acodec
        assert abs(c.duration / 1e6 - 1.0) < 0.1


def test_non_media_and_zero_byte_fail_to_open(tmp_path):
    text = make_non_media(tmp_path)
    assert text.suffix == ".mp4" and text.stat().st_size > 0
    empty = make_zero_byte(tmp_path / "nothing.mp4")
    assert empty.stat().st_size == 0
    for path in (text, empty):
        with pytest.raises(av.error.FFmpegError):
            av.open(str(path))


def test_truncated_upload_is_unreadable(tmp_path):
    source = make_clip(tmp_path / "src.mp4")
    kinds = [k for k, _, _ in top_level_boxes(source)]
    assert kinds.index("mdat") < kinds.index("moov")  # default: no faststart
    cut = make_truncated(tmp_path / "cut.mp4", source)
    data, whole = cut.read_bytes(), source.read_bytes()
    assert whole.startswith(data) and 0.25 < len(data) / len(whole) < 0.35
    with pytest.raises(av.error.FFmpegError):
        av.open(str(cut))
    with pytest.raises(ValueError):  # a faststart file would survive truncation: refuse it
        make_truncated(tmp_path / "x.mp4", make_clip(tmp_path / "fast.mp4", faststart=True))


def test_corrupt_file_opens_but_does_not_decode_cleanly(tmp_path):
    source = make_clip(tmp_path / "src.mp4")
    bad = make_corrupt(tmp_path / "bad.mp4", source)
    good_bytes, bad_bytes = source.read_bytes(), bad.read_bytes()
    assert len(bad_bytes) == len(good_bytes)
    assert top_level_boxes(bad) == top_level_boxes(source)
    _, moov_off, moov_size = next(b for b in top_level_boxes(source) if b[0] == "moov")
    assert bad_bytes[:64] == good_bytes[:64]
    assert bad_bytes[moov_off : moov_off + moov_size] == good_bytes[moov_off : moov_off + moov_size]
    mid = len(good_bytes) // 2
    assert bad_bytes[mid - 512 : mid + 512] != good_bytes[mid - 512 : mid + 512]

    with av.open(str(bad)) as c:  # the container still parses
        assert [s.type for s in c.streams] == ["video", "audio"]
        assert abs(c.duration / 1e6 - 2.0) < 0.1
    good_frames = [f.to_ndarray() for f in av.open(str(source)).decode(video=0)]
    bad_frames, failed = [], False
    try:
        with av.open(str(bad)) as c:
            bad_frames = [f.to_ndarray() for f in c.decode(video=0)]
    except av.error.FFmpegError:
        failed = True
    assert failed or len(bad_frames) != len(good_frames) or any(
        not np.array_equal(g, b) for g, b in zip(good_frames, bad_frames, strict=True)
    )
