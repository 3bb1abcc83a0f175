"""Odd footage through the whole pipeline on moto: the bad-input matrix's whole-job cases (tests/matrix.py, those
with `job` options), uploaded together so their executions run side by side. Each ends in its expected status with
the expected stage results and conversions, a ladder that decodes cleanly, and its source byte for byte unchanged."""
import json

import pytest
import webvtt

from functions.core.models import OPTIONAL_STAGES, SkipCode
from reelflow.local.jobs import download_outputs, expected_job, upload_source, wait_for_job
from tests.hls import decode, decode_errors, master_variants, subtitle_segments
from tests.matrix import JOB_CASES

pytestmark = pytest.mark.xdist_group("cloud")

CASES = {case.name: case for case in JOB_CASES}


@pytest.fixture(scope="module")
def results(cloud, tmp_path_factory):
    """Upload every case first, then wait: the executions run side by side. Each source's bytes are read back
    from its pinned version once its job has ended."""
    media = tmp_path_factory.mktemp("matrix")
    out = tmp_path_factory.mktemp("variants")
    files = {name: case.make(media / case.file) for name, case in CASES.items()}
    refs = {name: upload_source(cloud, files[name], key=f"variants/{case.file}", options=case.job)
            for name, case in CASES.items()}
    s3 = cloud.client("s3")
    results = {}
    for name, ref in refs.items():
        job_id, asset_id = expected_job(ref)
        outcome = wait_for_job(cloud, job_id, asset_id, timeout=300)
        versions = s3.list_object_versions(Bucket=ref.bucket, Prefix=ref.key)
        stored = s3.get_object(Bucket=ref.bucket, Key=ref.key, VersionId=ref.version_id)["Body"].read()
        unchanged = (stored == files[name].read_bytes() and len(versions.get("Versions", [])) == 1
                     and not versions.get("DeleteMarkers"))
        results[name] = (outcome, download_outputs(cloud, asset_id, out), unchanged)
    return results


@pytest.mark.parametrize("name", list(CASES))
def test_ends_as_the_matrix_expects(results, name):
    case = CASES[name]
    outcome, asset, unchanged = results[name]
    assert unchanged
    assert outcome.status == case.status, outcome.error
    stages = outcome.job["stages"]
    requested = case.job.stages or list(OPTIONAL_STAGES)
    for stage in OPTIONAL_STAGES:
        expected = case.stages.get(stage, "SUCCEEDED" if stage in requested else "SKIPPED")
        assert stages[stage]["status"] == expected, (stage, stages[stage])
        if stage not in requested:
            assert stages[stage]["details"]["skip"] == SkipCode.NOT_REQUESTED
    if "transcode" in requested:
        assert tuple(stages["transcode"]["details"]["conversions"]) == case.conversions
    manifest = json.loads((asset / "manifest.json").read_text())
    for fact in ("interlaced", "hdr", "timecode"):
        if fact in case.facts:
            assert manifest["source"][fact] == case.facts[fact]
    tracks = case.facts.get("audio_tracks", int(manifest["source"]["has_audio"]))
    assert len(manifest["source"]["audio_tracks"]) == tracks


@pytest.mark.parametrize("name", list(CASES))
def test_ladder_decodes_cleanly(results, name):
    _, asset, _ = results[name]
    duration = json.loads((asset / "manifest.json").read_text())["source"]["duration"]
    for playlist in master_variants(asset / "hls" / "master.m3u8"):
        assert decode_errors(playlist) == ""
        assert decode(playlist).duration == pytest.approx(duration, abs=0.2)


def ladder(asset):
    return [decode(p) for p in master_variants(asset / "hls" / "master.m3u8")]


def test_rotated_phone_footage_comes_out_portrait(results):
    _, asset, _ = results["rotated"]
    for rung in ladder(asset):
        assert rung.height > rung.width
        assert rung.display_aspect == pytest.approx(180 / 320, abs=0.02)


def test_anamorphic_comes_out_at_display_aspect(results):
    _, asset, _ = results["anamorphic"]
    for rung in ladder(asset):
        assert rung.display_aspect == pytest.approx(320 * 4 / 3 / 180, abs=0.03)


def test_video_without_audio(results):
    _, asset, _ = results["no_audio"]
    assert all(rung.has_video and not rung.has_audio for rung in ladder(asset))
    assert not decode(asset / "proxy.mp4").has_audio


def test_audio_only_gets_audio_ladder_proxy_and_waveform(results):
    outcome, asset, _ = results["audio_only"]
    assert all(rung.has_audio and not rung.has_video for rung in ladder(asset))
    assert outcome.job["outputs"]["proxy"] == "proxy.m4a"
    assert decode(asset / "proxy.m4a").duration == pytest.approx(2.0, abs=0.2)
    assert decode(asset / "poster.jpg").width > 0
    stages = outcome.job["stages"]
    assert (stages["scenes"]["status"], stages["scenes"]["details"]["skip"]) == ("SKIPPED", SkipCode.NO_VIDEO)
    assert (stages["trailer"]["status"], stages["trailer"]["details"]["skip"]) == ("SKIPPED", SkipCode.NO_SCENES)
    assert stages["captions"]["status"] == "SUCCEEDED"


def test_variable_frame_rate_becomes_constant(results):
    _, asset, _ = results["vfr"]
    assert "FRAME-RATE=25.000" in (asset / "hls" / "master.m3u8").read_text()


def subtitle_rendition(asset):
    """The manifest's account of the subtitle rendition, and the rendition's segments as WebVTT."""
    manifest = json.loads((asset / "manifest.json").read_text())
    master = (asset / "hls" / "master.m3u8").read_text().splitlines()
    variants = [line for line in master if line.startswith("#EXT-X-STREAM-INF:")]
    assert variants and all('SUBTITLES="subs"' in v for v in variants)
    assert sum(line.startswith("#EXT-X-MEDIA:TYPE=SUBTITLES") for line in master) == 1
    segments = subtitle_segments(asset / manifest["outputs"]["hls_subtitles"])
    assert sum(d for d, _ in segments) == pytest.approx(2.0, abs=0.1)
    return manifest["hls_subtitles"], [webvtt.from_string(text).captions for _, text in segments]


def test_video_without_audio_has_a_valid_empty_subtitle_rendition(results):
    _, asset, _ = results["no_audio"]
    subtitles, segments = subtitle_rendition(asset)
    assert (subtitles["status"], subtitles["cues"], subtitles["segments"]) == ("EMPTY", 0, len(segments))
    assert segments == [[]]


def test_audio_only_ladder_offers_the_captions(results):
    _, asset, _ = results["audio_only"]
    subtitles, segments = subtitle_rendition(asset)
    assert subtitles["status"] in ("WRITTEN", "EMPTY")  # a tone: what an engine hears in it is its own business
    assert len(segments) == subtitles["segments"] == 1


def first_segment_streams(asset):
    """Each rung's first MPEG-TS segment, opened: what a player finds in the ladder."""
    import av

    for playlist in master_variants(asset / "hls" / "master.m3u8"):
        segment = next(line for line in playlist.read_text().splitlines() if line and not line.startswith("#"))
        with av.open(str(playlist.parent / segment)) as container:
            yield container.streams


def test_extra_audio_tracks_are_named_in_the_manifest_and_the_ladder_carries_the_first(results):
    _, asset, _ = results["hevc_surround_tracks_subs"]
    tracks = json.loads((asset / "manifest.json").read_text())["source"]["audio_tracks"]
    assert [(t["index"], t["channels"], t["language"]) for t in tracks] == [(0, 6, "eng"), (1, 2, "fra")]
    for streams in first_segment_streams(asset):
        assert [s.codec_context.channels for s in streams.audio] == [2] and not streams.subtitles


def test_hdr_comes_out_sdr(results):
    _, asset, _ = results["hdr_pq_10bit_422"]
    for streams in first_segment_streams(asset):
        video = streams.video[0].codec_context
        assert (video.pix_fmt, video.color_trc) == ("yuv420p", 1)  # 8-bit 4:2:0, BT.709 transfer
