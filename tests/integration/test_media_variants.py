"""Odd footage through the whole pipeline on moto: each ends in a sensible, playable result."""
import json

import pytest
import webvtt

from functions.core.models import SkipCode
from reelflow.local.jobs import download_outputs, expected_job, upload_source, wait_for_job
from tests.hls import decode, decode_errors, master_variants, subtitle_segments

pytestmark = pytest.mark.xdist_group("cloud")

KINDS = ("rotated", "anamorphic", "no_audio", "audio_only", "vfr")


@pytest.fixture(scope="module")
def results(cloud, clips, tmp_path_factory):
    """Upload every variant first, then wait: the executions run side by side."""
    out = tmp_path_factory.mktemp("variants")
    jobs = {kind: expected_job(upload_source(cloud, clips[kind], key=f"variants/{clips[kind].name}")) for kind in KINDS}
    results = {}
    for kind, (job_id, asset_id) in jobs.items():
        outcome = wait_for_job(cloud, job_id, asset_id, timeout=300)
        results[kind] = (outcome, download_outputs(cloud, asset_id, out))
    return results


def ladder(asset):
    return [decode(p) for p in master_variants(asset / "hls" / "master.m3u8")]


@pytest.mark.parametrize("kind", KINDS)
def test_completes_and_decodes_cleanly(results, kind):
    outcome, asset = results[kind]
    assert outcome.status == "COMPLETED", outcome.error
    for playlist in master_variants(asset / "hls" / "master.m3u8"):
        assert decode_errors(playlist) == ""
        assert decode(playlist).duration == pytest.approx(2.0, abs=0.2)


def test_rotated_phone_footage_comes_out_portrait(results):
    _, asset = results["rotated"]
    for rung in ladder(asset):
        assert rung.height > rung.width
        assert rung.display_aspect == pytest.approx(180 / 320, abs=0.02)


def test_anamorphic_comes_out_at_display_aspect(results):
    _, asset = results["anamorphic"]
    for rung in ladder(asset):
        assert rung.display_aspect == pytest.approx(320 * 4 / 3 / 180, abs=0.03)


def test_video_without_audio(results):
    _, asset = results["no_audio"]
    assert all(rung.has_video and not rung.has_audio for rung in ladder(asset))
    assert not decode(asset / "proxy.mp4").has_audio


def test_audio_only_gets_audio_ladder_proxy_and_waveform(results):
    outcome, asset = results["audio_only"]
    assert all(rung.has_audio and not rung.has_video for rung in ladder(asset))
    assert outcome.job["outputs"]["proxy"] == "proxy.m4a"
    assert decode(asset / "proxy.m4a").duration == pytest.approx(2.0, abs=0.2)
    assert decode(asset / "poster.jpg").width > 0
    stages = outcome.job["stages"]
    assert (stages["scenes"]["status"], stages["scenes"]["details"]["skip"]) == ("SKIPPED", SkipCode.NO_VIDEO)
    assert (stages["trailer"]["status"], stages["trailer"]["details"]["skip"]) == ("SKIPPED", SkipCode.NO_SCENES)
    assert stages["captions"]["status"] == "SUCCEEDED"


def test_variable_frame_rate_becomes_constant(results):
    _, asset = results["vfr"]
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
    _, asset = results["no_audio"]
    subtitles, segments = subtitle_rendition(asset)
    assert (subtitles["status"], subtitles["cues"], subtitles["segments"]) == ("EMPTY", 0, len(segments))
    assert segments == [[]]


def test_audio_only_ladder_offers_the_captions(results):
    _, asset = results["audio_only"]
    subtitles, segments = subtitle_rendition(asset)
    assert subtitles["status"] in ("WRITTEN", "EMPTY")  # a tone: what an engine hears in it is its own business
    assert len(segments) == subtitles["segments"] == 1
