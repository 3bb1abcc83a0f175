"""Ladder and chunk planning, job status rules, and key decoding."""
import pytest

from functions.core.ids import job_id_for, key_candidates
from functions.core.ladder import (
    HEVC_BITRATE_FACTOR,
    SEGMENT_SECONDS,
    LevelTooLow,
    h264_codecs,
    h264_level,
    hevc_codecs,
    hevc_level,
    plan_chunks,
    plan_renditions,
)
from functions.core.manifest import job_status
from functions.core.models import JobOptions, ManifestStage, ObjectRef, RungStats, SourceInfo, VideoCodec
from functions.core.transcode import Segment, join_chunk_playlists, master_playlist, media_playlist, rung_level


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
    for a, b in zip(chunks, chunks[1:], strict=False):
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


def test_the_video_codec_option_leaves_earlier_job_ids_alone_unless_asked_for():
    ref = ObjectRef(bucket="b", key="k.mp4", version_id="v1")
    # The id this upload had before the option existed.
    assert job_id_for(ref, JobOptions(video_codec=VideoCodec.H264)) == job_id_for(ref) == "j166bbbf042b779635ca6d86"
    assert job_id_for(ref, JobOptions(video_codec=VideoCodec.HEVC)) != job_id_for(ref)


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


def test_uhd_hevc_rungs_each_get_the_hevc_level_and_codecs_that_allow_them():
    uhd = source(3840, 2160)
    h264, hevc = plan_renditions(uhd), plan_renditions(uhd, codec=VideoCodec.HEVC)
    assert [(r.width, r.height) for r in hevc] == [(r.width, r.height) for r in h264]
    assert [r.video_kbps for r in hevc] == [round(r.video_kbps * HEVC_BITRATE_FACTOR) for r in h264]
    levels = [rung_level(r, uhd, VideoCodec.HEVC) for r in hevc]
    assert levels == ["5", "5", "4", "3.1"]
    assert [hevc_codecs(level) for level in levels] == [
        "hvc1.1.6.L150.90", "hvc1.1.6.L150.90", "hvc1.1.6.L120.90", "hvc1.1.6.L93.90"]


@pytest.mark.parametrize(("width", "height", "fps", "kbps", "level"), [
    (7680, 4320, 30, 40000, "6"), (3840, 2160, 60, 14400, "5.1"), (3840, 2160, 120, 30000, "5.2"),
    (1920, 1080, 60, 4500, "4.1"), (1920, 1080, 30, 12000, "4.1"), (1280, 720, 30, 1680, "3.1"),
    (854, 480, 30, 840, "3"), (640, 360, 30, 480, "2.1"), (426, 240, 25, 240, "2"), (256, 144, 15, 86, "1"),
    (256, 144, 25, 86, "2"),
    (8192, 64, 25, 100, "5"),  # small, but no side may be longer than sqrt(8 x MaxLumaPs)
])
def test_hevc_level_is_the_lowest_main_tier_level_that_allows_size_rate_and_bit_rate(width, height, fps, kbps,
                                                                                   level):
    assert hevc_level(width, height, fps, kbps) == level


def test_hevc_codecs_carry_level_idc_thirty_times_the_level():
    assert [hevc_codecs(level) for level in ("4", "4.1", "5.1", "6.2")] == [
        "hvc1.1.6.L120.90", "hvc1.1.6.L123.90", "hvc1.1.6.L153.90", "hvc1.1.6.L186.90"]


def test_an_hevc_rung_beyond_every_level_is_refused():
    with pytest.raises(LevelTooLow):
        hevc_level(16384, 16384, 120, 1000)
    with pytest.raises(LevelTooLow):
        hevc_level(1280, 720, 30, 300_000)


def test_an_hevc_master_names_hvc1_for_every_rung_at_version_7():
    uhd = source(3840, 2160)
    stats = RungStats(bytes=1_000_000, seconds=1.0, peak_bps=9e6)
    master = master_playlist(uhd, [(r, stats) for r in plan_renditions(uhd, codec=VideoCodec.HEVC)], VideoCodec.HEVC)
    codecs = [line.split('CODECS="')[1].split('"')[0] for line in master.splitlines() if "CODECS" in line]
    assert codecs[0] == "hvc1.1.6.L150.90,mp4a.40.2" and codecs[-1] == "hvc1.1.6.L93.90,mp4a.40.2"
    assert "#EXT-X-VERSION:7" in master.splitlines()


def test_joined_fmp4_chunks_map_each_chunks_init_and_ts_chunks_stay_as_they_were():
    def chunk(index, init):
        return media_playlist([Segment(f"c{index:04d}-{n:05d}.m4s", 4.0, init=init) for n in range(2)])

    joined = join_chunk_playlists([chunk(0, "c0000-240p-init.mp4"), chunk(1, "c0001-240p-init.mp4")]).splitlines()
    assert joined[1] == "#EXT-X-VERSION:7"
    maps = [i for i, line in enumerate(joined) if line.startswith("#EXT-X-MAP")]
    assert [joined[i] for i in maps] == ['#EXT-X-MAP:URI="c0000-240p-init.mp4"', '#EXT-X-MAP:URI="c0001-240p-init.mp4"']
    assert [joined[i + 2] for i in maps] == ["c0000-00000.m4s", "c0001-00000.m4s"]
    assert not any("DISCONTINUITY" in line for line in joined)
    ts = join_chunk_playlists([media_playlist([Segment("c0000-00000.ts", 4.0)])] * 2).splitlines()
    assert ts[1] == "#EXT-X-VERSION:3" and not any("EXT-X-MAP" in line for line in ts)
