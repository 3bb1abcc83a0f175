"""Ladder and chunk planning, job status rules, and key decoding."""
import pytest

from functions.core.ids import job_id_for, key_candidates
from functions.core.ladder import SEGMENT_SECONDS, LevelTooLow, h264_codecs, h264_level, plan_chunks, plan_renditions
from functions.core.manifest import job_status
from functions.core.models import JobOptions, ManifestStage, ObjectRef, RungStats, SourceInfo
from functions.core.transcode import master_playlist, rung_level


def source(width, height, **kw):
    return SourceInfo(duration=10, container="mp4", has_video=True, has_audio=True, width=width, height=height,
                      fps=25, **kw)


def test_ladder_follows_source_and_never_upscales():
    rungs = plan_renditions(source(1920, 1080))
    assert [r.height for r in rungs] == [1080, 720, 480, 360]
    assert all(r.width / r.height == pytest.approx(16 / 9, abs=0.01) for r in rungs)
    assert [r.height for r in plan_renditions(source(640, 360))] == [360, 240]
    assert [r.height for r in plan_renditions(source(200, 112))] == [112]


def test_portrait_rungs_stay_portrait():
    rungs = plan_renditions(source(1080, 1920))
    assert rungs[0].width == 1080 and rungs[0].height == 1920
    assert all(r.height > r.width for r in rungs)


def test_requested_renditions_are_capped_at_source():
    assert [r.height for r in plan_renditions(source(1280, 720), [1080, 480])] == [480]


def test_audio_only_has_one_audio_rung():
    audio = SourceInfo(duration=5, container="mp4", has_video=False, has_audio=True)
    assert [r.name for r in plan_renditions(audio)] == ["audio"]


@pytest.mark.parametrize("duration", [0.04, 3.0, 119.0, 121.0, 150.0, 3600.0, 3601.5])
def test_chunks_cover_the_footage_in_whole_segments(duration):
    chunks = plan_chunks(duration, chunk_seconds=120)
    assert chunks[0].start == 0
    assert sum(c.duration for c in chunks) == pytest.approx(duration, abs=1e-3)
    for a, b in zip(chunks, chunks[1:]):
        assert b.start == pytest.approx(a.start + a.duration)
        assert a.duration % SEGMENT_SECONDS == 0
    assert all(c.duration <= 150 for c in chunks)


def test_job_status_rules():
    ok = ManifestStage(status="SUCCEEDED")
    failed = ManifestStage(status="FAILED", error="boom")
    assert job_status({"probe": ok, "transcode": ok, "finalize": ok}) == "COMPLETED"
    assert job_status({"probe": ok, "transcode": ok, "captions": failed}) == "PARTIAL"
    assert job_status({"probe": ok, "transcode": failed}) == "FAILED"
    assert job_status({"probe": failed}) == "FAILED"
    skipped = ManifestStage(status="SKIPPED", note="not requested")
    assert job_status({"probe": ok, "transcode": skipped, "captions": ok}) == "COMPLETED"
    assert job_status({"probe": ok, "transcode": failed, "scenes": skipped}) == "FAILED"


@pytest.mark.parametrize(
    "delivered, expected",
    [
        ("clip+one.mp4", ["clip one.mp4", "clip+one.mp4"]),
        ("clip%2Bone.mp4", ["clip+one.mp4", "clip%2Bone.mp4"]),
        ("caf%C3%A9.mov", ["café.mov", "caf%C3%A9.mov"]),
        ("plain.mp4", ["plain.mp4"]),
        ("with space.mp4", ["with space.mp4"]),
    ],
)
def test_key_candidates_try_decoded_then_raw(delivered, expected):
    assert key_candidates(delivered) == expected


def test_job_ids_are_stable_per_upload_and_options():
    ref = ObjectRef(bucket="b", key="k.mp4", version_id="v1")
    assert job_id_for(ref) == job_id_for(ref, JobOptions())
    assert job_id_for(ref) != job_id_for(ref.model_copy(update={"version_id": "v2"}))
    assert job_id_for(ref) != job_id_for(ref, JobOptions(trailer_seconds=10))


def test_uhd_sources_get_uhd_rungs_each_at_a_level_that_allows_it():
    uhd = source(3840, 2160)
    rungs = plan_renditions(uhd)
    assert [r.height for r in rungs] == [2160, 1440, 1080, 720]
    assert [(r.width, r.height) for r in rungs[:2]] == [(3840, 2160), (2560, 1440)]
    levels = [rung_level(r, uhd) for r in rungs]
    assert levels == ["5.1", "5.0", "4.0", "3.1"]
    assert [h264_codecs(level) for level in levels] == ["avc1.640033", "avc1.640032", "avc1.640028", "avc1.64001f"]
    assert [r.height for r in plan_renditions(source(2560, 1440))] == [1440, 1080, 720, 480]


@pytest.mark.parametrize(("width", "height", "fps", "kbps", "level"), [
    (3840, 2160, 60, 24000, "5.2"), (3840, 2160, 30, 16000, "5.1"), (2560, 1440, 50, 12000, "5.1"),
    (1920, 1080, 60, 7500, "4.2"), (1080, 1920, 30, 5000, "4.0"), (640, 360, 25, 800, "3.0"),
])
def test_h264_level_is_the_lowest_that_allows_size_rate_and_bit_rate(width, height, fps, kbps, level):
    assert h264_level(width, height, fps, kbps) == level


def test_a_rung_beyond_every_level_is_refused():
    with pytest.raises(LevelTooLow):
        h264_level(16384, 16384, 120, 1000)


def test_the_master_names_each_rungs_own_level():
    uhd = source(3840, 2160)
    stats = RungStats(bytes=1_000_000, seconds=1.0, peak_bps=9e6)
    master = master_playlist(uhd, [(r, stats) for r in plan_renditions(uhd)])
    inf = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
    assert 'CODECS="avc1.640033,mp4a.40.2"' in inf[0] and "RESOLUTION=3840x2160" in inf[0]
    assert 'CODECS="avc1.64001f,mp4a.40.2"' in inf[-1] and "RESOLUTION=1280x720" in inf[-1]
