"""ffmpeg and PyAV open the source and nothing else; credentials never leave in a message."""
from __future__ import annotations

import json

import av
import pytest

from functions.core.ffmpeg import (
    IndirectSource,
    MediaError,
    UnsafeConcatPart,
    UnsupportedFormat,
    run_ffmpeg,
    source_input,
    source_options,
    work_concat_input,
)
from functions.core.manifest import build_manifest, failure_reason
from functions.core.models import FinalizeInput, JobInput, StageStatus
from functions.core.observability import job_handler
from functions.core.probe import probe_media
from functions.core.redaction import redact
from reelflow.local.invoke import invoke
from tests import media
from tests.conftest import SAMPLE
from tests.loopback import HLS_MIME, concat_list, counting_server, hls_playlist

SIGNED = ("?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
          "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=21600&X-Amz-SignedHeaders=host"
          "&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE&X-Amz-Signature=0123456789abcdef")
PRESIGNED = f"https://reelflow-ingest.s3.amazonaws.com/editors/feature%20master.mov{SIGNED}"


def assert_clean(text: str) -> None:
    lowered = text.lower()
    assert "x-amz-" not in lowered and "akiaexample" not in lowered and "0123456789abcdef" not in lowered


# ---- redaction -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    (f"Error opening input file {PRESIGNED}.",
     "Error opening input file https://reelflow-ingest.s3.amazonaws.com/editors/feature%20master.mov"),
    (f"[in#0] '{PRESIGNED}': Input/output error",
     "[in#0] 'https://reelflow-ingest.s3.amazonaws.com/editors/feature%20master.mov': Input/output error"),
    ("http://127.0.0.1:5000/b/k.mp4?a=1 and http://h/x?b=2", "http://127.0.0.1:5000/b/k.mp4 and http://h/x"),
    ("moov atom not found | Error opening input: Invalid data",) * 2,
])
def test_redact_drops_query_strings(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    SIGNED[1:],  # the parameters without their URL (a URL cut across lines)
    json.dumps({"errorMessage": f"failed: {PRESIGNED}", "stackTrace": [f"  File x\n    open('{PRESIGNED}')"]}),
    PRESIGNED.replace("?", "\n?"),
])
def test_redact_removes_stray_signing_parameters(text):
    assert_clean(redact(text))


# ---- what an open may reach ----------------------------------------------------------------------

@pytest.mark.parametrize("location, protocols", [
    ("/tmp/clip.mp4", "file"),
    ("clip.mov", "file"),
    (PRESIGNED, "https,tls,tcp"),
    ("http://127.0.0.1:5000/ingest/clip.mp4?X-Amz-Signature=x", "http,tcp"),
])
def test_protocols_follow_the_location(location, protocols):
    options = source_options(location)
    assert options["protocol_whitelist"] == protocols
    formats = options["format_whitelist"].split(",")
    assert {"mov", "matroska", "mpegts", "wav"} <= set(formats)
    assert not {"hls", "dash", "concat", "image2", "sdp", "rtsp", "data"} & set(formats)
    assert source_input(location)[-2:] == ["-i", location]


@pytest.fixture(scope="module")
def containers(media_dir):
    """A file of every container the media factory writes, beyond the session clips."""
    out = media_dir / "containers"
    out.mkdir(exist_ok=True)
    made = {c: media.make_clip(out / f"clip.{c}", seconds=1, container=c) for c in ("mov", "webm")}
    for suffix in (".wav", ".mp3", ".flac", ".ogg", ".opus", ".aac"):
        made[suffix] = media.make_audio_only(out / f"audio{suffix}", seconds=1)
    return made


def test_work_parts_are_joined_from_presigned_urls_under_narrow_whitelists(tmp_path):
    """The proxy and audio joins list our own work objects' presigned GETs: only the list file, the URLs' own
    protocols and the parts' container may be opened, and a quote in a URL cannot end its entry early."""
    urls = [PRESIGNED, PRESIGNED + "&x='y"]
    args = work_concat_input(urls, tmp_path / "parts.txt", "flac")
    options = dict(zip(args[:-2:2], args[1:-2:2], strict=True))
    assert options["-protocol_whitelist"] == "file,https,tls,tcp"
    assert options["-format_whitelist"] == "concat,flac" and args[-2:] == ["-i", str(tmp_path / "parts.txt")]
    lines = (tmp_path / "parts.txt").read_text().splitlines()
    assert lines == [f"file '{PRESIGNED}'", f"file '{PRESIGNED}&x='\\''y'"]


@pytest.mark.parametrize("urls", [[], ["/tmp/part.mp4"], ["file:///etc/passwd"], [PRESIGNED, "data:,x"]])
def test_work_parts_that_are_not_http_urls_are_refused(urls, tmp_path):
    with pytest.raises(UnsafeConcatPart):
        work_concat_input(urls, tmp_path / "parts.txt", "mov")


def test_real_media_opens_under_the_whitelist(clips, containers):
    paths = [SAMPLE, clips["plain"], clips["vfr"], clips["audio_only"], *containers.values()]
    probed = {path.name: probe_media(str(path)) for path in paths}
    assert all(info.duration > 0 for info in probed.values())
    assert len(probed) == len(paths)


def test_refused_local_formats_say_why(tmp_path):
    with counting_server() as server:
        playlist = tmp_path / "list.m3u8"
        playlist.write_bytes(hls_playlist(server.url))
        ffconcat = tmp_path / "edit.ffconcat"
        ffconcat.write_bytes(concat_list(server.url))
        subtitles = tmp_path / "notes.srt"
        subtitles.write_text("1\n00:00:01,000 --> 00:00:02,000\nhello\n")
        for path in (playlist, ffconcat):
            with pytest.raises(IndirectSource):
                probe_media(str(path))
        with pytest.raises(UnsupportedFormat):
            probe_media(str(subtitles))
        with pytest.raises(MediaError):  # the command-line form refuses it too
            run_ffmpeg([*source_input(str(playlist)), "-f", "null", "-"])
        assert server.requests == []


@pytest.mark.parametrize("name, kind", [("list.m3u8", "text/plain"), ("clip.mp4", HLS_MIME)])
def test_remote_playlist_is_refused_before_its_entries_are_fetched(name, kind):
    with counting_server() as server:
        server.files[f"/{name}"] = (hls_playlist(server.url, local_file=False), kind)
        with pytest.raises(IndirectSource):
            probe_media(f"{server.url}/{name}?X-Amz-Signature=secret")
        assert server.requests == [f"/{name}?X-Amz-Signature=secret"]
        # The bait works: opened without the whitelists, ffmpeg goes after the playlist's entries.
        with pytest.raises(av.error.FFmpegError):
            av.open(f"{server.url}/{name}", timeout=5).close()
        assert "/segment0.ts" in server.requests


# ---- credentials out of failures -----------------------------------------------------------------

def test_ffmpeg_failure_on_a_presigned_url_is_clean():
    with counting_server() as server:
        url = f"{server.url}/ingest/missing.mp4{SIGNED}"
        with pytest.raises(MediaError) as failed:
            run_ffmpeg([*source_input(url), "-f", "null", "-"], what="Encoding")
        with pytest.raises(MediaError) as probed:
            probe_media(url)
        assert len(server.requests) == 2
    for exc in (failed.value, probed.value):
        assert_clean(str(exc))


def _job(**fields) -> dict:
    return {"job_id": "j1", "asset_id": "a1", "source": {"bucket": "ingest", "key": "k.mov"}, **fields}


def test_stage_handlers_raise_clean_messages():
    @job_handler(JobInput)
    def leaky(job: JobInput) -> dict:
        raise OSError(f"could not read {PRESIGNED}")

    @job_handler(JobInput)
    def clean(job: JobInput) -> dict:
        raise MediaError("The file is empty (0 bytes).")

    leaked = invoke(leaky, "leaky", _job())["error"]  # Lambda's error document: Step Functions' Cause
    assert leaked["errorType"] == "RedactedFailure"
    assert leaked["errorMessage"].startswith("OSError: could not read https://")
    assert_clean(json.dumps(leaked))
    assert invoke(clean, "clean", _job())["error"]["errorType"] == "MediaError"


def test_finalize_records_clean_errors_even_from_a_leaky_cause():
    cause = json.dumps({"errorType": "OSError", "errorMessage": f"Encoding failed: {PRESIGNED}",
                        "stackTrace": [f"OSError: {PRESIGNED}"]})
    run = FinalizeInput.model_validate(_job(
        error={"Error": "OSError", "Cause": cause},
        stages=[{"stage": "captions", "status": "FAILED", "failure": {"Error": "MediaError", "Cause": cause}},
                {"stage": "scenes", "status": "FAILED", "error": f"decode failed: {PRESIGNED}"}],
    ))
    manifest = build_manifest(run, "2024-01-01T00:00:00Z", 0.1)
    assert manifest.stages["probe"].status == StageStatus.FAILED
    assert manifest.stages["probe"].error_code == "OSError"
    assert manifest.stages["captions"].error_code == "MediaError"
    assert_clean(manifest.model_dump_json())
    assert_clean(failure_reason(manifest) or "")
