"""`reelflow run` on the built-in sample, as a user runs it: a playable ladder, proxy and poster."""
import json
import re
import subprocess

import av

import pytest

from tests import golden
from tests.conftest import REPO, SAMPLE, SAMPLE_TRUTH
from functions.core.ffmpeg import ffmpeg_exe
from tests.hls import decode, decode_errors, first_video_pts, master_variants, subtitle_segments

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("run-sample")]  # one worker: the sample runs once


def test_exits_zero_and_reports_progress_and_outputs(run):
    proc, asset = run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    for stage in ("Ingest", "Probe", "TranscodeChunk 1/1", "TranscodePackage", "Captions", "Scenes", "Trailer",
                  "Finalize"):
        assert f"{stage}" in proc.stdout
    assert "COMPLETED" in proc.stdout
    assert str(asset / "hls" / "master.m3u8") in proc.stdout


def test_manifest_contract(run):
    _, asset = run
    manifest = json.loads((asset / "manifest.json").read_text())
    assert manifest["status"] == "COMPLETED"
    assert manifest["asset_id"] == asset.name and manifest["job_id"].startswith("j")
    assert manifest["source"]["duration"] == pytest.approx(SAMPLE_TRUTH["duration_s"], abs=0.05)
    assert manifest["source"]["has_audio"] and manifest["source"]["has_video"]
    for stage in ("probe", "transcode", "captions", "scenes", "trailer", "finalize"):
        assert manifest["stages"][stage]["status"] == "SUCCEEDED"
        assert manifest["stages"][stage]["seconds"] > 0
    for name in ("hls_master", "proxy", "poster", "transcript", "captions_vtt", "captions_srt", "scenes",
                 "contact_sheet", "edl", "otio", "fcpxml", "trailer", "trailer_vertical", "trailer_plan", "hls_subtitles"):
        assert (asset / manifest["outputs"][name]).is_file()


def test_cost_report_prices_every_stage_that_ran_and_adds_up(run):
    proc, asset = run
    manifest = json.loads((asset / "manifest.json").read_text())
    cost = manifest["cost"]
    ran = {name for name, stage in manifest["stages"].items() if stage["status"] != "SKIPPED"}
    assert ran <= {item["stage"] for item in cost["items"]}
    assert {"pipeline", "storage"} <= {item["stage"] for item in cost["items"]}
    assert all(item["quantity"] > 0 and item["usd"] > 0 for item in cost["items"])
    assert cost["total_usd"] == pytest.approx(sum(item["usd"] for item in cost["items"]), abs=1e-8)
    assert cost["usd_per_source_minute"] == pytest.approx(cost["total_usd"] / (manifest["source"]["duration"] / 60),
                                                          rel=1e-3)
    # Every Lambda invocation: one request item per function that ran, one invocation each on a one-chunk job; no
    # ScenePart, since EncodeChunk measured the scene part on its own decode.
    requests = {item["what"]: item["quantity"] for item in cost["items"] if item["unit"] == "requests"
                and item["what"].startswith("Lambda")}
    assert len(requests) == 9 and set(requests.values()) == {1}
    assert not any("ScenePart" in what for what in requests)
    assert f"Cost: ${cost['total_usd']:.6f}" in proc.stdout


def test_the_estimate_counts_the_state_transitions_the_run_made(run):
    """The estimate's model of the state machine (functions.core.cost.estimate) against the interpreter's history."""
    from functions.core.cost.estimate import estimate_job
    from functions.core.models import JobOptions
    from functions.core.probe import probe_media

    _, asset = run
    cost = json.loads((asset / "manifest.json").read_text())["cost"]
    (measured,) = [item["quantity"] for item in cost["items"] if item["unit"] == "transitions"]
    assert estimate_job(probe_media(str(SAMPLE)), JobOptions()).transitions == measured


def test_manifest_shape_matches_golden(run):
    _, asset = run
    shape = golden.manifest_shape(json.loads((asset / "manifest.json").read_text()))
    assert shape == golden.json_value("manifest_shape.json", shape), golden.HOW


def test_every_rendition_decodes_with_source_duration_and_aspect(run):
    _, asset = run
    variants = master_variants(asset / "hls" / "master.m3u8")
    assert len(variants) == 2  # 360p source: 360p + 240p, never upscaled
    for playlist in variants:
        assert decode_errors(playlist) == ""
        decoded = decode(playlist)
        assert decoded.has_audio and decoded.has_video
        assert decoded.duration == pytest.approx(SAMPLE_TRUTH["duration_s"], abs=0.2)
        assert decoded.display_aspect == pytest.approx(640 / 360, abs=0.02)


def test_captions_ride_in_the_ladder_as_a_subtitle_rendition(run):
    import webvtt

    _, asset = run
    manifest = json.loads((asset / "manifest.json").read_text())
    assert manifest["hls_subtitles"]["status"] == "WRITTEN"
    master = (asset / "hls" / "master.m3u8").read_text().splitlines()
    groups = [line for line in master if line.startswith("#EXT-X-MEDIA:TYPE=SUBTITLES")]
    assert len(groups) == 1 and 'GROUP-ID="subs"' in groups[0] and 'LANGUAGE="en"' in groups[0]
    assert 'URI="subs/en/index.m3u8"' in groups[0]
    variants = [line for line in master if line.startswith("#EXT-X-STREAM-INF:")]
    assert len(variants) == 2 and all('SUBTITLES="subs"' in v for v in variants)

    segments = subtitle_segments(asset / manifest["outputs"]["hls_subtitles"])
    assert len(segments) == manifest["hls_subtitles"]["segments"] == 5  # 20 s in 4 s segments
    assert sum(d for d, _ in segments) == pytest.approx(SAMPLE_TRUTH["duration_s"], abs=0.1)
    maps = {re.search(r"^X-TIMESTAMP-MAP=MPEGTS:(\d+),LOCAL:00:00:00.000$", text, re.M).group(1) for _, text in segments}
    assert len(maps) == 1
    mpegts = int(maps.pop())
    shown = {(c.start, c.end, c.text) for _, text in segments for c in webvtt.from_string(text).captions}
    whole = [(c.start, c.end, c.text) for c in webvtt.read(str(asset / "captions" / "en.vtt")).captions]
    assert sorted(shown) == whole  # every cue, repeated ones once

    # LOCAL 0 is media time 0: the PTS of the source's first frame in every rung's first segment.
    with av.open(str(SAMPLE)) as source:
        first_frame = next(source.decode(video=0)).time
    for playlist in master_variants(asset / "hls" / "master.m3u8"):
        video_zero = first_video_pts(playlist) - round(first_frame * 90000)
        assert video_zero == mpegts
        first_cue = webvtt.from_string(segments[0][1]).captions[0]
        on_video = (mpegts + first_cue.start_time.in_milliseconds() * 90 - video_zero) / 90000
        first_word = json.loads((asset / "transcript.json").read_text())["words"][0]
        assert on_video == pytest.approx(first_word["start"], abs=0.1)

    # ffmpeg's HLS demuxer offers the captions as a subtitle stream of the master.
    proc = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(asset / "hls" / "master.m3u8"), "-map", "0:s",
                           "-f", "webvtt", "-"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert whole[-1][2] in proc.stdout


def test_proxy_and_poster(run):
    _, asset = run
    assert decode_errors(asset / "proxy.mp4") == ""
    proxy = decode(asset / "proxy.mp4")
    assert proxy.duration == pytest.approx(SAMPLE_TRUTH["duration_s"], abs=0.2)
    poster = decode(asset / "poster.jpg")
    assert (poster.width, poster.height) == (640, 360)


def test_captions_match_the_spoken_script(run):
    import webvtt

    from tests.wer import word_error_rate

    _, asset = run
    script = (REPO / "samples" / "sample_script.txt").read_text()
    captions = " ".join(c.text.replace("\n", " ") for c in webvtt.read(str(asset / "captions" / "en.vtt")))
    assert word_error_rate(script, captions) <= 0.10


def test_scenes_start_at_the_cuts(run):
    _, asset = run
    scenes = json.loads((asset / "scenes.json").read_text())["scenes"]
    starts = [s["start_frame"] for s in scenes[1:]]
    span = SAMPLE_TRUTH["dissolve"]["span"]
    for cut in SAMPLE_TRUTH["hard_cuts"]:
        assert any(abs(start - cut) <= 1 for start in starts), (cut, starts)
    assert any(span[0] <= start <= span[1] for start in starts)
    assert all((asset / s["thumbnail"]).is_file() for s in scenes)


def test_scenes_where_the_script_is_spoken_are_tagged_dialogue(run):
    _, asset = run
    scenes = json.loads((asset / "scenes.json").read_text())["scenes"]
    spoken = [(s["start_s"], s["end_s"]) for s in SAMPLE_TRUTH["speech"]["sentences"]]
    for scene in scenes:
        overlap = sum(max(0.0, min(b, scene["end"]) - max(a, scene["start"])) for a, b in spoken)
        truth = overlap / scene["duration"]
        assert scene["features"]["speech_share"] == pytest.approx(truth, abs=0.2), scene["index"]
        if abs(truth - 0.3) > 0.15:  # clear of the tag's threshold either way
            assert ("dialogue" in scene["tags"]) == (truth > 0.3), (scene["index"], truth, scene["tags"])
    manifest = json.loads((asset / "manifest.json").read_text())
    assert manifest["stages"]["scene_speech"]["status"] == "SUCCEEDED"


def test_trailer_has_the_planned_length_in_both_shapes(run):
    _, asset = run
    plan = json.loads((asset / "trailer.json").read_text())
    assert plan["target_seconds"] == pytest.approx(SAMPLE_TRUTH["duration_s"] / 3, abs=0.5)
    for name, aspect in (("trailer.mp4", 16 / 9), ("trailer_vertical.mp4", 9 / 16)):
        path = asset / "trailer" / name
        assert decode_errors(path) == ""
        decoded = decode(path)
        assert decoded.duration == pytest.approx(plan["target_seconds"], abs=0.5)
        assert decoded.display_aspect == pytest.approx(aspect, abs=0.01)


def test_the_folder_holds_exactly_the_outputs_the_manifest_names(run):
    from reelflow.local.outputs import output_files

    _, asset = run
    manifest = json.loads((asset / "manifest.json").read_text())
    copied = {p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file()}
    assert copied == set(output_files(manifest, lambda rel: (asset / rel).read_text()))
    assert not [p for p in copied if p.startswith("work/") or p.endswith(".npz")]
    assert any(p.startswith("thumbs/") for p in copied) and any(p.endswith(".ts") for p in copied)
