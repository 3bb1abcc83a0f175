"""Long footage through the state machine: chunks for the transcode Map and parts for the scene and caption Maps.

The stack's chunk length is 120 s; this module's stack uses 8 s, so a 22 s clip runs as three
chunks and three scene parts, joins included, 28 s of real speech as four caption parts, and 12 s in
HEVC as two chunks of fMP4."""
import copy
import json
import logging
import threading

import pytest

from functions.core.models import JobOptions, VideoCodec
from functions.core.probe import probe_media
from functions.core.scenes import analyse_scenes
from reelflow.local.cloud import Invocation, LocalCloud
from reelflow.local.jobs import download_outputs, expected_job, upload_source, wait_for_job
from tests.fixtures.scenes import scene_clips
from functions.core.captions import transcribe_media
from functions.core.captions.keywords import normalise_words
from tests import media
from tests.hls import decode, decode_errors, master_variants
from tests.wer import word_error_rate

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
        local.listeners.append(running)
        yield local


class Running:
    """Listens to the stack's invocations: how many handlers ran at once, at the most."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now: set[int] = set()
        self.peak = 0

    def __call__(self, invocation: Invocation) -> None:
        with self._lock:
            if invocation.seconds is None:  # told when it starts, and again with its time when it ends
                self._now.add(id(invocation))
            else:
                self._now.discard(id(invocation))
            self.peak = max(self.peak, len(self._now))


running = Running()


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
    assert outcome.job["stages"]["scenes"]["details"]["parts"] == 3
    # The job transcodes too: EncodeChunk measured the parts on its own decode, and Scenes joined them beside
    # PackageHls.
    assert outcome.job["stages"]["scenes"]["details"]["parts_on_chunks"] == 3

    scenes = json.loads((out / "scenes.json").read_text())["scenes"]
    found = [s["start_frame"] for s in scenes[1:]]
    assert scene_clips.f1(*scene_clips.match(clip.transitions, found)) >= 0.95
    one_pass = analyse_scenes(clip.path, probe_media(str(clip.path)), tmp_path / "one-pass")
    assert found == [s.start_frame for s in one_pass.scenes[1:]]
    assert [s["tags"] for s in scenes] == [s.tags for s in one_pass.scenes]


def test_the_chunk_maps_run_in_parallel_within_the_local_concurrency(long_take, short_chunk_cloud):
    """Three chunks and their parts run side by side, but never more handlers at once than the stack's cap (the
    machine's cores), so no invocation's wall time stretches far past its CPU time towards its timeout."""
    assert 1 < running.peak <= short_chunk_cloud.concurrency


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


def test_scenes_survive_a_transcode_that_failed_before_measuring_its_chunks(short_chunk_cloud, tmp_path):
    """EncodeChunk would have measured the scene parts: every one of its invocations times out, so ScenePart
    measures them all itself, and the job keeps its scenes."""
    clip = scene_clips.build_clip(scene_clips.BENCH["cuts"], tmp_path / "cuts.mp4")
    saved = short_chunk_cloud.faults
    short_chunk_cloud.faults = type(saved)(timeouts={"TranscodeChunk": 0.3})
    try:
        ref = upload_source(short_chunk_cloud, clip.path, key="long/cuts.mp4",
                            options=JobOptions(stages=["transcode", "scenes"]))
        job_id, asset_id = expected_job(ref)
        outcome = wait_for_job(short_chunk_cloud, job_id, asset_id, timeout=600)
    finally:
        short_chunk_cloud.faults = saved
    stages = outcome.job["stages"]
    assert outcome.status == "PARTIAL"
    assert stages["transcode"]["status"] == "FAILED" and stages["transcode"]["error_code"] == "Sandbox.Timedout"
    assert stages["scenes"]["status"] == "SUCCEEDED"
    assert stages["scenes"]["details"]["parts"] == 3 and stages["scenes"]["details"]["parts_on_chunks"] == 0  # 19.3 s
    found = [s["start_frame"] for s in json.loads(
        (download_outputs(short_chunk_cloud, asset_id, tmp_path / "out") / "scenes.json").read_text())["scenes"][1:]]
    assert scene_clips.f1(*scene_clips.match(clip.transitions, found)) >= 0.95


def test_an_hevc_job_joins_its_chunks_fmp4_into_one_ladder(short_chunk_cloud, tmp_path):
    """video_codec from the upload's metadata through Probe's plan to each chunk's encode and PackageHls's join."""
    clip = media.make_clip(tmp_path / "hevc.mp4", seconds=12, width=426, height=240)
    options = JobOptions(stages=["transcode"], renditions=[240], video_codec=VideoCodec.HEVC)
    ref = upload_source(short_chunk_cloud, clip, key="long/hevc.mp4", options=options)
    job_id, asset_id = expected_job(ref)
    outcome = wait_for_job(short_chunk_cloud, job_id, asset_id, timeout=600)
    out = download_outputs(short_chunk_cloud, asset_id, tmp_path / "out")
    assert outcome.status == "COMPLETED", outcome.job
    assert outcome.job["stages"]["transcode"]["details"]["chunks"] == 2
    master = (out / "hls" / "master.m3u8").read_text()
    assert 'CODECS="hvc1.1.6.L60.90,mp4a.40.2"' in master
    (playlist,) = master_variants(out / "hls" / "master.m3u8")
    assert [line for line in playlist.read_text().splitlines() if line.startswith("#EXT-X-MAP")] == [
        '#EXT-X-MAP:URI="c0000-240p-init.mp4"', '#EXT-X-MAP:URI="c0001-240p-init.mp4"']
    assert decode_errors(playlist) == "" and decode(playlist).duration == pytest.approx(12, abs=0.05)


# Real speech placed so that each of the parts' boundaries (8, 16, 24 s) falls inside a sentence that ends, and is
# followed by a pause longer than those Whisper's windows are cut at, within the stretch the two parts share: the
# windows around every join are then the windows of one pass.
SPEECH_TAKE = [("librivox_sense_sensibility_0870.flac", 2.5), ("librivox_sense_sensibility_0890.flac", 12.3),
               ("librispeech_61-70968-0000.flac", 20.3)]


@pytest.fixture(scope="module")
def speech_take(short_chunk_cloud, tmp_path_factory):
    root = tmp_path_factory.mktemp("speech-take")
    path = media.make_speech_take(root / "three speakers.mp4", SPEECH_TAKE, seconds=28.5)
    ref = upload_source(short_chunk_cloud, path, key="long/three speakers.mp4",
                        options=JobOptions(stages=["captions"]))
    job_id, asset_id = expected_job(ref)
    outcome = wait_for_job(short_chunk_cloud, job_id, asset_id, timeout=600)
    return path, outcome, download_outputs(short_chunk_cloud, asset_id, root / "out")


def test_real_speech_in_four_parts_is_captioned_accurately(speech_take):
    import srt
    import webvtt

    _, outcome, out = speech_take
    captions = outcome.job["stages"]["captions"]
    assert outcome.status == "COMPLETED" and captions["status"] == "SUCCEEDED", outcome.job
    assert captions["details"]["parts"] == 4
    assert json.loads((out / "transcript.json").read_text())["engine"] == "whisper"
    records = media.eval_speech()
    reference = " ".join(records[name]["text"] for name, _ in SPEECH_TAKE)
    vtt = list(webvtt.read(out / "captions" / "en.vtt"))
    assert word_error_rate(reference, " ".join(c.text for c in vtt)) <= 0.15
    subs = list(srt.parse((out / "captions" / "en.srt").read_text()))
    stamp = srt.srt_timestamp_to_timedelta
    assert [(stamp(c.start.replace(".", ",")), stamp(c.end.replace(".", ",")), c.text) for c in vtt] == [
        (s.start, s.end, s.content) for s in subs]


def test_caption_parts_give_the_words_of_one_pass(speech_take):
    path, _, out = speech_take
    joined = json.loads((out / "transcript.json").read_text())["words"]
    one_pass = transcribe_media(path).words
    # The same words at the same times; Whisper may case or punctuate a word at a window's edge differently
    # (a sentence start it saw without the sentence before), and its alignment may count a pause before a word
    # as part of the word in one context and not in the other: a word's start may move by that pause.
    assert [normalise_words(w["text"]) for w in joined] == [normalise_words(w.text) for w in one_pass]
    got_ends, want_ends = [0.0, *(w["end"] for w in joined)], [0.0, *(w.end for w in one_pass)]
    for i, (got, want) in enumerate(zip(joined, one_pass, strict=True)):
        pause = max(got["start"] - got_ends[i], want.start - want_ends[i], 0.0)
        assert got["end"] == pytest.approx(want.end, abs=0.2)
        assert got["start"] == pytest.approx(want.start, abs=0.2 + pause)


def test_a_language_the_model_lacks_fails_captions_alone_with_its_code(short_chunk_cloud, tmp_path):
    clip = media.make_clip(tmp_path / "german.mp4", seconds=2)
    ref = upload_source(short_chunk_cloud, clip, key="long/german.mp4",
                        options=JobOptions(stages=["transcode", "captions"], language="de-DE"))
    outcome = wait_for_job(short_chunk_cloud, *expected_job(ref), timeout=300)
    stages = outcome.job["stages"]
    assert outcome.status == "PARTIAL"
    assert stages["captions"]["status"] == "FAILED" and stages["captions"]["error_code"] == "LanguageUnsupported"
    assert stages["transcode"]["status"] == "SUCCEEDED"
