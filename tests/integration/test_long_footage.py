"""Long footage through the state machine: chunks for the transcode Map and parts for the scene Map.

The stack's chunk length is 120 s; this module's stack uses 8 s, so a 22 s clip runs as three
chunks and three scene parts, joins included."""
import copy
import json
import logging

import pytest

from functions.core.models import JobOptions
from functions.core.probe import probe_media
from functions.core.scenes import analyse_scenes
from reelflow.local.cloud import LocalCloud
from reelflow.local.jobs import download_outputs, expected_job, upload_source, wait_for_job
from tests.fixtures.scenes import scene_clips
from tests.hls import decode, decode_errors, master_variants

CHUNK_SECONDS = "8"


@pytest.fixture(scope="module")
def short_chunk_cloud(template, tmp_path_factory):
    for name in ("moto", "werkzeug"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    stack = copy.deepcopy(template)
    for resource in stack["Resources"].values():
        props = resource.get("Properties", {})
        if props.get("ImageConfig", {}).get("Command") == ["functions.probe.handler.handler"]:
            props["Environment"]["Variables"]["CHUNK_SECONDS"] = CHUNK_SECONDS
    with LocalCloud(stack, tmp_path_factory.mktemp("cloud-short-chunks")) as local:
        yield local


@pytest.fixture(scope="module")
def long_take(short_chunk_cloud, tmp_path_factory):
    root = tmp_path_factory.mktemp("long-take")
    clip = scene_clips.build_clip(scene_clips.MIXED, root / "long take.mp4")
    options = JobOptions(stages=["transcode", "scenes"])
    ref = upload_source(short_chunk_cloud, clip.path, key="long/long take.mp4", options=options)
    job_id, asset_id = expected_job(ref)
    outcome = wait_for_job(short_chunk_cloud, job_id, asset_id, timeout=600)
    return clip, outcome, download_outputs(short_chunk_cloud, asset_id, root / "out")


def test_three_scene_parts_find_the_scenes_of_one_pass(long_take, tmp_path):
    clip, outcome, out = long_take
    assert outcome.status == "COMPLETED", outcome.job
    assert "measured in 3 parts" in outcome.job["stages"]["scenes"]["note"]

    scenes = json.loads((out / "scenes.json").read_text())["scenes"]
    found = [s["start_frame"] for s in scenes[1:]]
    assert scene_clips.f1(*scene_clips.match(clip.transitions, found)) >= 0.95
    one_pass = analyse_scenes(clip.path, probe_media(str(clip.path)), tmp_path / "one-pass")
    assert found == [s.start_frame for s in one_pass.scenes[1:]]
    assert [s["tags"] for s in scenes] == [s.tags for s in one_pass.scenes]


def test_three_transcode_chunks_join_into_one_ladder(long_take):
    clip, outcome, out = long_take
    assert outcome.job["stages"]["transcode"]["status"] == "SUCCEEDED"
    # Captions were not requested: no subtitle rendition, and the manifest says why.
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["hls_subtitles"] == {"status": "NONE", "language": None, "cues": 0, "segments": 0,
                                         "reason": "captions SKIPPED"}
    assert "hls_subtitles" not in manifest["outputs"]
    assert "SUBTITLES" not in (out / "hls" / "master.m3u8").read_text()
    duration = clip.frames / clip.fps
    for playlist in master_variants(out / "hls" / "master.m3u8"):
        assert decode(playlist).duration == pytest.approx(duration, abs=0.2)
        assert decode_errors(playlist) == ""
