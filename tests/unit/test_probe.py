"""Probing: the facts later stages rely on. Inputs that cannot be used, each with its own refusal, are cases of
the bad-input matrix (tests/matrix.py, tests/unit/test_bad_input_matrix.py)."""
import pytest

from functions.core.probe import probe_media
from tests import media
from tests.conftest import SAMPLE, SAMPLE_TRUTH


def test_sample_footage():
    info = probe_media(str(SAMPLE))
    assert info.has_video and info.has_audio
    assert (info.width, info.height) == (SAMPLE_TRUTH["width"], SAMPLE_TRUTH["height"])
    assert info.duration == pytest.approx(SAMPLE_TRUTH["duration_s"], abs=0.05)
    assert info.fps == pytest.approx(25)
    assert not info.vfr


def test_no_audio(clips):
    info = probe_media(str(clips["no_audio"]))
    assert info.has_video and not info.has_audio


def test_audio_only(clips):
    info = probe_media(str(clips["audio_only"]))
    assert info.has_audio and not info.has_video
    assert info.duration == pytest.approx(2.0, abs=0.1)


def test_rotated_phone_clip_is_portrait(clips):
    info = probe_media(str(clips["rotated"]))
    assert (info.coded_width, info.coded_height) == (320, 180)
    assert (info.width, info.height) == (180, 320)
    assert info.rotation in (90, 270)
    assert info.display_aspect == pytest.approx(180 / 320, abs=0.01)


def test_anamorphic_display_aspect(clips):
    info = probe_media(str(clips["anamorphic"]))
    assert info.sample_aspect == pytest.approx(4 / 3, abs=0.01)
    assert info.width == 426 and info.height == 180
    assert info.display_aspect == pytest.approx(320 * 4 / 3 / 180, abs=0.02)


def test_variable_frame_rate_detected(clips):
    assert probe_media(str(clips["vfr"])).vfr
    assert not probe_media(str(clips["plain"])).vfr


@pytest.mark.parametrize(("suffix", "rate", "written", "read"), [
    (".mov", "25", "01:00:00:00", "01:00:00:00"),  # a tmcd track
    (".mp4", "30000/1001", "00:59:59;28", "00:59:59;28"),  # drop-frame keeps its separator
    (".mkv", "25", "10:00:00:00", "10:00:00:00"),  # container metadata (Matroska has no tmcd track)
])
def test_start_timecode_is_read_from_a_tmcd_track_or_metadata(tmp_path, suffix, rate, written, read):
    clip = media.make_timecoded_cut(tmp_path / f"tc{suffix}", rate=rate, timecode=written, audio_channels=0)
    assert probe_media(str(clip)).timecode == read


def test_a_timecode_that_names_no_frame_is_ignored(tmp_path):
    clip = media.make_timecoded_cut(tmp_path / "bad.mkv", timecode="01:00:00:30", audio_channels=0)  # 25 fps
    assert probe_media(str(clip)).timecode is None


def test_no_timecode_without_one(clips):
    assert probe_media(str(clips["plain"])).timecode is None


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_a_subtitle_cue_past_the_picture_does_not_lengthen_the_footage(tmp_path, suffix):
    """Matroska's duration counts the subtitle track (MP4's does not); chunks past the sound and picture would
    encode nothing."""
    clip = media.make_av(tmp_path / f"late cue{suffix}", seconds=1.0, subtitles=True, subtitle_end=4.0)
    assert probe_media(str(clip)).duration == pytest.approx(1.0, abs=0.05)


def test_picture_much_shorter_than_its_sound_is_not_taken_for_a_forged_duration(tmp_path):
    """The spot checks stay within the video stream's own length: 10 s of picture under 4 min of sound is footage,
    not a header claiming four minutes over ten seconds of data (ImplausibleDuration)."""
    clip = media.make_av(tmp_path / "short picture.mov", size="32x18", seconds=10, audio="pcm", audio_seconds=240)
    info = probe_media(str(clip))
    assert info.has_video and info.duration == pytest.approx(240, abs=0.5)
