"""The Studio API over real HTTP: `reelflow serve` in a subprocess, a requests client, the whole event path.

Upload URL -> PUT -> EventBridge -> SQS -> ingest -> state machine -> outputs, followed through the API;
then re-runs, cancels, listing, deletes, auth and error shapes, and a schemathesis run with two tenants' keys.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from functions.core.ffmpeg import ffmpeg_exe, run_ffmpeg
from functions.core.ids import asset_id_for
from reelflow.local.cloud import free_port
from tests.conftest import INTERRUPTIBLE_CLI, REPO
from tests.media import make_clip

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("api-http")]

API_KEY = "test-key-0123456789"  # the default tenant's
TENANT_KEYS = {"tenant-a": "key-a-0123456789", "tenant-b": "key-b-0123456789"}
SPEECH = REPO / "tests" / "fixtures" / "speech" / "speech.wav"
TERMINAL = {"COMPLETED", "PARTIAL", "FAILED", "CANCELLED"}


class Api:
    """A requests session that speaks to the local API with the key, and knows its base URL."""

    def __init__(self, url: str, key: str | None = API_KEY) -> None:
        self.url = url
        self.session = requests.Session()
        if key:
            self.session.headers["x-api-key"] = key

    def __getattr__(self, method: str):
        def call(path: str, **kwargs) -> requests.Response:
            return self.session.request(method.upper(), self.url + path, timeout=60, **kwargs)

        return call


@pytest.fixture(scope="module")
def server(template):  # `template`: synthesized (and cached) once per session, before the server needs it
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, *INTERRUPTIBLE_CLI, "serve", "--port", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=os.environ | {"REELFLOW_API_KEY": API_KEY, "PYTHONUNBUFFERED": "1",
                          "REELFLOW_API_KEYS": ",".join(f"{t}:{k}" for t, k in TENANT_KEYS.items())},
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C stops"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(180):
        proc.kill()
        pytest.fail("reelflow serve did not start:\n" + "".join(lines))
    yield f"http://127.0.0.1:{port}", lines, proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # never leave a server behind, even when the Ctrl-C test fails
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def api(server) -> Api:
    return Api(server[0])


@pytest.fixture(scope="module")
def ingest(server):
    """(S3 client on the local stack's moto server, ingest bucket), as serve prints them: for editors'
    direct uploads and for checking what is left of a source."""
    import boto3

    line = next(line for line in server[1] if line.startswith("S3 (moto):"))
    endpoint, bucket = line.split()[2], line.split()[-1]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    return s3, bucket


def versions_of(ingest, key: str) -> tuple[int, int]:
    """(versions, delete markers) of exactly `key`."""
    s3, bucket = ingest
    listed = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return (sum(v["Key"] == key for v in listed.get("Versions", [])),
            sum(v["Key"] == key for v in listed.get("DeleteMarkers", [])))


def send(upload: dict, data: bytes) -> requests.Response:
    """Upload as a browser form would: the presigned POST's fields, then the file."""
    assert upload["upload_method"] == "POST"
    return requests.post(upload["upload_url"], data=upload["upload_fields"], files={"file": ("f", data)}, timeout=60)


def wait_for(api: Api, path: str, until, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(path)
        assert response.status_code == 200, response.text
        body = response.json()
        if until(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def speech_clip(folder: Path, seconds: float = 3.0) -> Path:
    """A small clip with a spoken voice, so every output (captions included) has content."""
    picture = make_clip(folder / "picture.mp4", seconds=seconds, audio=False)
    clip = folder / "studio clip.mp4"
    run_ffmpeg(["-i", str(picture), "-i", str(SPEECH), "-map", "0:v", "-map", "1:a", "-t", str(seconds),
                "-c:v", "copy", "-c:a", "aac", "-b:a", "64k", str(clip)])
    return clip


@pytest.fixture(scope="module")
def completed(api, tmp_path_factory):
    """One upload through the API, followed until its job ends."""
    clip = speech_clip(tmp_path_factory.mktemp("api"))
    created = api.post("/uploads", json={"filename": clip.name, "content_type": "video/mp4", "title": "Studio clip"})
    assert created.status_code == 201, created.text
    upload = created.json()
    sent = send(upload, clip.read_bytes())
    assert sent.status_code == 204, sent.text
    asset = wait_for(api, f"/assets/{upload['asset_id']}", lambda a: a["status"] in TERMINAL)
    return upload, asset


def assert_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    assert "Traceback" not in response.text


# ---- the main path --------------------------------------------------------------------------------
def test_server_prints_url_key_and_swagger(server):
    url, lines, _ = server
    text = "".join(lines)
    assert url in text and API_KEY in text and f"{url}/swagger" in text


def test_upload_url_is_for_the_ingest_path_and_ingest_computes_the_same_asset(completed):
    upload, asset = completed
    assert upload["key"].startswith("default/uploads/") and upload["key"].endswith("/studio clip.mp4")
    assert upload["asset_id"] == asset_id_for(upload["bucket"], upload["key"])
    assert upload["upload_fields"]["Content-Type"] == "video/mp4"
    assert asset["latest_job_id"], "the upload event never became a job"


def test_upload_becomes_a_completed_job_with_stage_results(api, completed):
    _, asset = completed
    assert asset["status"] == "COMPLETED", asset
    assert asset["title"] == "Studio clip"
    assert asset["source_info"]["duration"] == pytest.approx(3.0, abs=0.1)
    job = api.get(f"/jobs/{asset['latest_job_id']}").json()
    assert job["status"] == "COMPLETED" and job["asset_id"] == asset["asset_id"]
    assert job["source"]["key"] == asset["source_key"]
    for stage in ("probe", "transcode", "finalize"):
        assert job["stages"][stage]["status"] == "SUCCEEDED"
        assert job["stages"][stage]["seconds"] >= 0
    assert job["finished_at"] and job["error"] is None


def test_every_output_link_downloads(completed):
    _, asset = completed
    outputs = asset["outputs"]
    assert outputs["job_id"] == asset["latest_job_id"]
    assert {"hls_master", "proxy", "poster"} <= set(outputs["links"])
    for url in [outputs["manifest_url"], *(link["url"] for link in outputs["links"].values())]:
        response = requests.get(url, timeout=60)
        assert response.status_code == 200, url
        assert response.content, url


def test_listings_find_the_asset_and_job(api, completed):
    _, asset = completed
    assets = api.get("/assets").json()["items"]
    assert asset["asset_id"] in {a["asset_id"] for a in assets}
    done = api.get("/jobs", params={"status": "COMPLETED"}).json()["items"]
    assert asset["latest_job_id"] in {j["job_id"] for j in done}
    assert all(j["status"] == "COMPLETED" for j in done)
    scenes = api.get(f"/assets/{asset['asset_id']}/scenes").json()["items"]
    assert all(s["asset_id"] == asset["asset_id"] for s in scenes)


def test_the_playback_block_plays_the_whole_folder_from_one_signed_url(server, completed, tmp_path):
    """The local distribution, like CloudFront with the key group: the signed master URL works, its response
    sets the cookies for the asset's folder, and with them every playlist, segment and page of that folder
    (relative URLs, no query) is served; nothing without them, nothing outside the folder."""
    from reelflow.local.outputs import playlist_uris

    _, asset = completed
    playback = asset["playback"]
    base = next(line.split()[1] for line in server[1] if line.startswith("Playback:"))
    folder = f"{base}/assets/{asset['asset_id']}/"
    assert playback["resource"] == folder + "*" and playback["cookie_path"] == f"/assets/{asset['asset_id']}/"
    assert playback["master_url"] == f"{folder}hls/master.m3u8?{playback['query']}"
    assert asset["review_url"] == playback["review_url"] == f"{folder}review/index.html?{playback['query']}"

    player = requests.Session()  # a player that keeps cookies, given only the master URL
    master = player.get(playback["master_url"], timeout=60)
    assert master.status_code == 200 and master.text.startswith("#EXTM3U")
    assert {c.name: c.value for c in player.cookies} == playback["cookies"]
    assert {c.path for c in player.cookies} == {playback["cookie_path"]}
    fetched, pending = 0, [("hls/master.m3u8", master.text)]
    while pending:
        playlist, text = pending.pop()
        for uri in playlist_uris(text):
            path = os.path.normpath(os.path.join(os.path.dirname(playlist), uri))
            got = player.get(folder + path, timeout=60)
            assert got.status_code == 200 and got.content, path
            fetched += 1
            if path.endswith(".m3u8"):
                pending.append((path, got.text))
    assert fetched >= 4  # variants, subtitles and their segments
    ranged = player.get(folder + "proxy.mp4", headers={"Range": "bytes=0-99"}, timeout=60)
    assert ranged.status_code == 206 and len(ranged.content) == 100

    # The same values as cookie headers (players that cannot keep cookies), and on the review page.
    cookie = "; ".join(f"{k}={v}" for k, v in playback["cookies"].items())
    assert requests.get(folder + "poster.jpg", headers={"Cookie": cookie}, timeout=60).status_code == 200
    page = requests.get(playback["review_url"], timeout=60)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")

    # Refused: no signature, a forged one, another asset's folder, and a URL with nothing there.
    assert requests.get(folder + "hls/master.m3u8", timeout=60).status_code == 403
    forged = playback["master_url"].replace("Signature=", "Signature=A")
    assert requests.get(forged, timeout=60).status_code == 403
    assert player.get(f"{base}/assets/aother/hls/master.m3u8?{playback['query']}", timeout=60).status_code == 403
    assert player.get(folder + "no-such-file.ts", timeout=60).status_code == 403

    # Any HLS player: ffmpeg given only the master URL reads every rendition (it keeps the cookies), no error.
    read = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-xerror",
                           "-i", playback["master_url"], "-map", "0:v", "-map", "0:a?", "-f", "null", "-"],
                          capture_output=True, text=True, timeout=300)
    assert read.returncode == 0 and not read.stderr.strip(), read.stderr
    # The signature appears in no log line the server printed.
    assert playback["cookies"]["CloudFront-Signature"] not in "".join(server[1])


def test_upload_with_options_signs_them_into_the_upload_and_its_job_uses_them(api, tmp_path):
    clip = make_clip(tmp_path / "options.mp4", seconds=1)
    options = {"stages": ["transcode"], "renditions": [144], "caption_engine": "pocketsphinx"}
    created = api.post("/uploads", json={"filename": clip.name, "options": options})
    assert created.status_code == 201, created.text
    upload = created.json()
    assert upload["upload_fields"].items() >= {"x-amz-meta-stages": "transcode", "x-amz-meta-renditions": "144",
                                               "x-amz-meta-caption-engine": "pocketsphinx"}.items()
    assert send(upload, clip.read_bytes()).status_code == 204
    asset = wait_for(api, f"/assets/{upload['asset_id']}", lambda a: a["status"] in TERMINAL)
    job = api.get(f"/jobs/{asset['latest_job_id']}").json()
    assert job["status"] == "COMPLETED", job
    assert job["options"]["stages"] == ["transcode"] and job["options"]["renditions"] == [144]
    assert "captions" not in job["stages"] or job["stages"]["captions"]["status"] == "SKIPPED"


def test_five_uploads_at_once_each_end_in_one_job_and_nothing_is_dead_lettered(server, ingest, tmp_path):
    """The load case the suite can afford (`bench/bench_load.py` runs twenty): uploads at once, polled meanwhile."""
    from bench.bench_load import run_load

    clips = [make_clip(tmp_path / f"load {n}.mp4", seconds=1 + n * 0.04) for n in range(5)]
    result = run_load(server[0], API_KEY, ingest[0].meta.endpoint_url, clips,
                      options={"stages": ["transcode"], "renditions": [144]}, timeout=240)
    assert (result.lost, result.duplicated, result.dead_letters) == ([], [], 0)
    assert sorted(result.statuses.values()) == ["COMPLETED"] * 5
    assert result.latencies, "the API was never polled while the jobs ran"


def test_pages_follow_next_token_and_refuse_foreign_tokens(api):
    for name in ("one.mp4", "two.mp4", "three.mp4"):
        assert api.post("/uploads", json={"filename": name}).status_code == 201
    first = api.get("/assets", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_token"]
    second = api.get("/assets", params={"limit": 2, "next_token": first["next_token"]}).json()
    assert second["items"] and not {a["asset_id"] for a in first["items"]} & {a["asset_id"] for a in second["items"]}
    assert_error(api.get("/jobs", params={"next_token": first["next_token"]}), 400, "BadRequest")
    assert_error(api.get("/assets", params={"next_token": "garbage"}), 400, "BadRequest")


# ---- re-run, cancel, delete -----------------------------------------------------------------------
def test_rerun_with_new_options_is_idempotent_and_cancellable(api, completed):
    _, asset = completed
    body = {"asset_id": asset["asset_id"], "options": {"renditions": [144], "stages": ["transcode"]}}
    started = api.post("/jobs", json=body)
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    assert job_id != asset["latest_job_id"] and started.headers["Location"] == f"/jobs/{job_id}"
    again = api.post("/jobs", json=body)
    assert again.status_code == 200 and again.json() == started.json() | {"duplicate": True, "status": again.json()["status"]}

    cancelled = api.post(f"/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "CANCELLED"
    assert_error(api.post(f"/jobs/{job_id}/cancel"), 409, "Conflict")
    assert api.get(f"/jobs/{job_id}").json()["status"] == "CANCELLED"

    def listed_as_cancelled() -> bool:
        # Eventually: the index is eventually consistent, and a stage already in flight when the job was
        # cancelled may still mark it RUNNING; reading the job repairs that once the execution has stopped.
        api.get(f"/jobs/{job_id}")
        return job_id in {j["job_id"] for j in api.get("/jobs", params={"status": "CANCELLED"}).json()["items"]}

    deadline = time.monotonic() + 60
    while not listed_as_cancelled():
        assert time.monotonic() < deadline, "the cancelled job never settled as CANCELLED"
        time.sleep(0.5)
    assert api.get(f"/jobs/{job_id}").json()["status"] == "CANCELLED"
    assert_error(api.post(f"/jobs/{asset['latest_job_id']}/cancel"), 409, "Conflict")


def test_delete_removes_outputs_and_records_and_erases_the_source(api, completed, ingest):
    upload, asset = completed
    links = [link["url"] for link in asset["outputs"]["links"].values()]
    deadline = time.monotonic() + 60
    while True:
        deleted = api.delete(f"/assets/{asset['asset_id']}", params={"erase": "true"})
        # 409 while the cancelled re-run's execution still runs: moto stops it after its in-flight task.
        if deleted.status_code != 409 or time.monotonic() > deadline:
            break
        assert_error(deleted, 409, "Conflict")
        time.sleep(0.5)
    assert deleted.status_code == 200, deleted.text
    summary = deleted.json()
    assert summary["deleted_objects"] >= len(links) and summary["deleted_records"] >= 2
    assert summary["source_purged"] and summary["source_erased"]
    assert versions_of(ingest, upload["key"]) == (0, 0)
    assert all(requests.get(url, timeout=60).status_code == 404 for url in links)
    assert_error(api.get(f"/assets/{asset['asset_id']}"), 404, "NotFound")
    assert_error(api.get(f"/jobs/{asset['latest_job_id']}"), 404, "NotFound")
    assert_error(api.post("/jobs", json={"source_key": upload["key"]}), 404, "NotFound")


# ---- auth and errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_requests_without_the_right_key_are_refused(server, key):
    client = Api(server[0], key)
    for method, path in [("get", "/jobs"), ("post", "/uploads"), ("get", "/openapi.json"), ("get", "/swagger")]:
        assert_error(getattr(client, method)(path, json={"filename": "a.mp4"}), 403, "Forbidden")


def test_unknown_ids_and_routes_are_404(api):
    for response in [
        api.get("/jobs/jnosuchjob"),
        api.post("/jobs/jnosuchjob/cancel"),
        api.get("/assets/anosuchasset"),
        api.get("/assets/anosuchasset/scenes"),
        api.delete("/assets/anosuchasset"),
        api.post("/jobs", json={"asset_id": "anosuchasset"}),
        api.post("/jobs", json={"source_key": "uploads/none/such.mp4"}),
        api.get("/no/such/route"),
    ]:
        assert_error(response, 404, "NotFound")


def test_invalid_requests_are_422_400_413(api):
    assert_error(api.post("/uploads", json={}), 422, "ValidationError")
    assert_error(api.post("/uploads", json={"filename": "../../etc/passwd"}), 422, "ValidationError")
    assert_error(api.post("/jobs", json={"asset_id": "a", "options": {"caption_engine": "magic"}}), 422,
                 "ValidationError")
    assert_error(api.get("/jobs", params={"limit": 1000}), 422, "ValidationError")
    assert_error(api.get("/scenes"), 422, "ValidationError")
    assert_error(api.post("/uploads", data=b"{oops", headers={"Content-Type": "application/json"}), 400, "BadRequest")
    assert_error(api.post("/uploads", json={"filename": "a.mp4", "title": "x" * 100_000}), 413, "PayloadTooLarge")


def test_openapi_and_swagger_are_served(api):
    doc = api.get("/openapi.json")
    assert doc.status_code == 200 and "/jobs/{job_id}" in doc.json()["paths"]
    swagger = api.get("/swagger")
    assert swagger.status_code == 200 and "swagger-ui" in swagger.text.lower()


# ---- tenants ------------------------------------------------------------------------------------------
NOT_MEDIA = b"these are not the frames you are looking for"


@pytest.fixture(scope="module")
def tenants(server, ingest, completed, tmp_path_factory):
    """Tenant A: an upload through the API, analysed for scenes, and an editor's direct upload into its
    folder (two versions, not media: its job fails fast). Tenant B: an upload URL it never used."""
    s3, bucket = ingest
    a, b = (Api(server[0], TENANT_KEYS[t]) for t in ("tenant-a", "tenant-b"))
    clip = make_clip(tmp_path_factory.mktemp("tenant-a") / "a.mp4", seconds=2, audio=False)
    upload = a.post("/uploads", json={"filename": clip.name, "options": {"stages": ["scenes"]}}).json()
    assert send(upload, clip.read_bytes()).status_code == 204
    editor_key = "tenant-a/editor/master.mp4"
    for _ in range(2):
        s3.put_object(Bucket=bucket, Key=editor_key, Body=NOT_MEDIA)
    b_upload = b.post("/uploads", json={"filename": "b.mp4"}).json()
    api_asset = wait_for(a, f"/assets/{upload['asset_id']}", lambda x: x["status"] in TERMINAL)
    editor_asset_id = asset_id_for(bucket, editor_key, "tenant-a")
    deadline = time.monotonic() + 120
    while (r := a.get(f"/assets/{editor_asset_id}")).status_code != 200 or r.json()["status"] not in TERMINAL:
        assert time.monotonic() < deadline, "the editor's upload never became tenant A's asset"
        time.sleep(0.5)
    return {"a": a, "b": b, "upload": upload, "asset": api_asset, "editor_key": editor_key,
            "editor_asset": r.json(), "b_upload": b_upload, "default_asset": completed[1]}


def test_uploads_land_in_the_tenants_folder_and_direct_uploads_join_the_folders_tenant(tenants):
    assert tenants["upload"]["key"].startswith("tenant-a/uploads/")
    assert tenants["b_upload"]["key"].startswith("tenant-b/uploads/")
    assert tenants["asset"]["status"] == "COMPLETED", tenants["asset"]
    assert tenants["editor_asset"]["source_key"] == tenants["editor_key"]
    assert tenants["editor_asset"]["status"] == "FAILED"


def test_each_tenant_lists_and_searches_only_its_own(api, tenants):
    a, b = tenants["a"], tenants["b"]
    mine = {"a": {tenants["asset"]["asset_id"], tenants["editor_asset"]["asset_id"]},
            "b": {tenants["b_upload"]["asset_id"]}, "default": {tenants["default_asset"]["asset_id"]}}
    for name, client in (("a", a), ("b", b), ("default", api)):
        assets = {x["asset_id"] for x in client.get("/assets", params={"limit": 100}).json()["items"]}
        jobs = client.get("/jobs", params={"limit": 100}).json()["items"]
        others = set().union(*(ids for other, ids in mine.items() if other != name))
        assert not assets & others and not {j["asset_id"] for j in jobs} & others
        if name != "default":  # the default tenant's asset is deleted by an earlier test
            assert mine[name] <= assets
    a_jobs = {j["job_id"] for j in a.get("/jobs").json()["items"]}
    assert {tenants["asset"]["latest_job_id"], tenants["editor_asset"]["latest_job_id"]} <= a_jobs
    assert b.get("/jobs").json()["items"] == []
    scenes = a.get(f"/assets/{tenants['asset']['asset_id']}/scenes").json()["items"]
    assert scenes
    for tag in {t for s in scenes for t in s["tags"]}:
        assert tenants["asset"]["asset_id"] in {s["asset_id"] for s in a.get("/scenes", params={"tag": tag}).json()["items"]}
        for client in (b, api):
            assert tenants["asset"]["asset_id"] not in {
                s["asset_id"] for s in client.get("/scenes", params={"tag": tag}).json()["items"]}


# ---- a schemathesis run: both tenants, no 5xx, nothing of another tenant's -------------------------------
# Here, before the tests below delete tenant A's asset: the run must have another tenant's live data to leak.
FUZZ_CASES = 500
UNKNOWN_CHAR = "0"


@pytest.fixture(scope="module")
def b_seeded(tenants):
    """Tenant B's own upload, job and asset (not media: its job fails fast at Probe)."""
    b = tenants["b"]
    upload = b.post("/uploads", json={"filename": "b-own.mp4"}).json()
    assert send(upload, NOT_MEDIA).status_code == 204
    return wait_for(b, f"/assets/{upload['asset_id']}", lambda x: x["status"] in TERMINAL)


def owned(tenants: dict, b_seeded: dict) -> dict[str, dict[str, set[str]]]:
    """Per tenant, the ids and keys of what it owns: {"tenant": {"asset_id": ..., "job_id": ..., "key": ...}}."""
    def of(*assets: dict) -> dict[str, set[str]]:
        return {"asset_id": {a["asset_id"] for a in assets},
                "job_id": {a["latest_job_id"] for a in assets if a.get("latest_job_id")},
                "key": {a["source_key"] for a in assets}}

    b_reserved = {"asset_id": tenants["b_upload"]["asset_id"], "source_key": tenants["b_upload"]["key"]}
    return {"tenant-a": of(tenants["asset"], tenants["editor_asset"]), "tenant-b": of(b_seeded, b_reserved),
            "default": of(tenants["default_asset"])}


def unknown_like(value: str) -> str:
    """An id of the same shape nobody owns: the first character kept, the rest zeros."""
    return value[:1] + UNKNOWN_CHAR * (len(value) - 1)


def test_schemathesis_both_tenants_no_server_errors_and_no_other_tenants_data(server, tenants, b_seeded):
    """FUZZ_CASES generated requests (valid and invalid), each sent with tenant A's or tenant B's key. Path and
    body ids are sometimes replaced with real ids (the caller's own, on reads; another tenant's, on any route)
    and scene tags with tags A's scenes have. Every response: no 5xx; valid requests' responses as the
    OpenAPI document says; no id or key of another tenant unless the request itself named it; and a request
    naming another tenant's id is answered exactly as the same request with an unknown id of that shape."""
    import json

    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import CustomFailure
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    url = server[0]
    ours = owned(tenants, b_seeded)
    tags = sorted({t for s in tenants["a"].get(f"/assets/{tenants['asset']['asset_id']}/scenes").json()["items"]
                   for t in s["tags"]})
    assert tags, "tenant A's asset has no scene tags to search for"
    sessions = {t: requests.Session() for t in TENANT_KEYS}
    for tenant, session in sessions.items():
        session.headers["x-api-key"] = TENANT_KEYS[tenant]

    def foreign(caller: str) -> dict[str, set[str]]:
        return {kind: set().union(*(ours[t][kind] for t in ours if t != caller)) for kind in ("asset_id", "job_id", "key")}

    callers: list[str] = []  # the caller of the case being checked (a Case takes no extra attributes)

    def no_other_tenants_data(ctx, response, case) -> None:
        sent = json.dumps([case.formatted_path, case.query, case.body], default=str)
        leaked = sorted(v for values in foreign(callers[-1]).values() for v in values
                        if v in response.text and v not in sent)
        if leaked:
            raise CustomFailure(operation=case.operation.label, title="Another tenant's data",
                                message=f"{callers[-1]} was answered with {leaked}", exception=AssertionError(leaked))

    positive = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
                no_other_tenants_data]
    negative = [not_a_server_error, no_other_tenants_data]
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", headers={"x-api-key": API_KEY})
    strategy = st.one_of(schema.as_strategy(generation_mode=GenerationMode.POSITIVE),
                         schema.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    calls: list[str] = []
    crossed: list[str] = []

    def substitute(case, caller: str, data) -> list[tuple[dict, str, str]]:
        """Put real ids (and tags) into the case; returns where another tenant's id went, as
        (container, name, an unknown id of the same shape)."""
        theirs, placed = foreign(caller), []
        reads = case.method == "GET"

        def pick(container: dict, name: str, kind: str) -> None:
            choices = sorted(theirs[kind] | (ours[caller][kind] if reads else set()))
            if data.draw(st.booleans()):
                container[name] = data.draw(st.sampled_from(choices))
                if container[name] in theirs[kind]:
                    placed.append((container, name, unknown_like(container[name])))

        for name in ("asset_id", "job_id"):
            if name in (case.path_parameters or {}):
                pick(case.path_parameters, name, name)
        if isinstance(case.body, dict):
            for name, kind in (("asset_id", "asset_id"), ("source_key", "key")):
                if isinstance(case.body.get(name), str):
                    pick(case.body, name, kind)
        if isinstance(case.query, dict) and "tag" in case.query and data.draw(st.booleans()):
            case.query["tag"] = data.draw(st.sampled_from(tags))
        return placed

    def outcome(response: requests.Response) -> tuple[int, str | None]:
        try:
            return response.status_code, response.json().get("error", {}).get("code")
        except (ValueError, AttributeError):
            return response.status_code, None

    @given(case=strategy, data=st.data())
    @settings(max_examples=FUZZ_CASES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
              suppress_health_check=list(HealthCheck))
    def run(case, data) -> None:
        caller = data.draw(st.sampled_from(sorted(TENANT_KEYS)))
        placed = substitute(case, caller, data)
        callers.append(caller)
        calls.append(f"{caller} {case.method} {case.formatted_path}")
        checks = negative if case.meta and case.meta.generation.mode.is_negative else positive
        response = case.call_and_validate(base_url=url, session=sessions[caller], checks=checks)
        if placed:  # the same request with an unknown id of the same shape must get the same answer
            crossed.append(calls[-1])
            for container, name, unknown in placed:
                container[name] = unknown
            assert outcome(case.call(base_url=url, session=sessions[caller])) == outcome(response), calls[-1]

    started = time.monotonic()
    run()
    seconds = time.monotonic() - started
    print(f"schemathesis: {len(calls)} cases ({len(crossed)} naming another tenant's ids) in {seconds:.1f} s")
    assert len(calls) >= FUZZ_CASES
    assert len(crossed) >= FUZZ_CASES // 10  # the cross-tenant part really ran
    assert {c.split()[0] for c in calls} == set(TENANT_KEYS)
    for tenant, key in TENANT_KEYS.items():  # whatever the run made, each tenant lists only its own
        listed = Api(url, key).get("/assets", params={"limit": 100}).json()["items"]
        assert all(a["source_key"].startswith(f"{tenant}/") for a in listed)


def test_another_tenants_ids_answer_404_exactly_like_unknown_ids(tenants, ingest):
    b, asset = tenants["b"], tenants["asset"]
    job_id, asset_id = asset["latest_job_id"], asset["asset_id"]

    def calls(job: str, asset: str, key: str) -> list[requests.Response]:
        return [b.get(f"/jobs/{job}"), b.post(f"/jobs/{job}/cancel"), b.get(f"/assets/{asset}"),
                b.get(f"/assets/{asset}/scenes"), b.delete(f"/assets/{asset}", params={"erase": "true"}),
                b.post("/jobs", json={"asset_id": asset}), b.post("/jobs", json={"source_key": key})]

    unknown = calls("j" + "0" * 23, "a" + "0" * 15, "tenant-a/uploads/nothing/here.mp4")
    foreign = calls(job_id, asset_id, tenants["upload"]["key"])
    unknown.append(b.post("/jobs", json={"source_key": "tenant-b/nothing/here.mp4"}))
    foreign.append(b.post("/jobs", json={"source_key": tenants["editor_key"]}))  # exists, tenant A's
    for theirs, nobodys in zip(foreign, unknown, strict=True):
        assert_error(theirs, 404, "NotFound")
        assert theirs.json()["error"]["message"].replace(job_id, "ID").replace(asset_id, "ID") == \
            nobodys.json()["error"]["message"].replace("j" + "0" * 23, "ID").replace("a" + "0" * 15, "ID")
    assert tenants["a"].get(f"/assets/{asset_id}").status_code == 200  # still there
    assert versions_of(ingest, tenants["upload"]["key"]) == (1, 0)  # B's erase of A's asset touched nothing
    assert versions_of(ingest, tenants["editor_key"]) == (2, 0)


def test_a_purge_never_deletes_an_editors_direct_upload(tenants, ingest):
    a, editor = tenants["a"], tenants["editor_asset"]
    for params in ({"purge_source": "true"}, {"erase": "true"}):
        assert_error(a.delete(f"/assets/{editor['asset_id']}", params=params), 409, "SourceNotPurgeable")
    assert versions_of(ingest, tenants["editor_key"]) == (2, 0)
    assert a.get(f"/assets/{editor['asset_id']}").status_code == 200


def test_a_purge_leaves_the_versions_for_undo_and_only_touches_that_key(tenants, ingest):
    a, upload = tenants["a"], tenants["upload"]
    deleted = a.delete(f"/assets/{upload['asset_id']}", params={"purge_source": "true"})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["source_purged"] and not deleted.json()["source_erased"]
    assert versions_of(ingest, upload["key"]) == (1, 1)  # the bytes stay, behind a delete marker
    assert versions_of(ingest, tenants["editor_key"]) == (2, 0)
    assert_error(a.get(f"/assets/{upload['asset_id']}"), 404, "NotFound")


def test_a_reused_upload_url_starts_no_second_job(api, ingest):
    upload = api.post("/uploads", json={"filename": "once.mp4"}).json()
    assert upload["expires_at"]
    assert send(upload, NOT_MEDIA).status_code == 204
    asset = wait_for(api, f"/assets/{upload['asset_id']}", lambda a: a["status"] in TERMINAL)
    first_job = asset["latest_job_id"]
    assert send(upload, NOT_MEDIA + b"!").status_code == 204
    assert versions_of(ingest, upload["key"]) == (2, 0)
    assert_error(api.post("/jobs", json={"source_key": upload["key"]}), 409, "Conflict")
    rerun = api.post("/jobs", json={"asset_id": upload["asset_id"]})  # the first version, as uploaded
    assert rerun.status_code == 200 and rerun.json()["job_id"] == first_job
    time.sleep(3)  # the second PUT's event has had time to reach ingest
    jobs = [j for j in api.get("/jobs", params={"limit": 100}).json()["items"] if j["asset_id"] == upload["asset_id"]]
    assert [j["job_id"] for j in jobs] == [first_job]


def test_an_upload_is_signed_for_its_size_and_15_minutes(api):
    import base64
    import json
    from datetime import datetime

    upload = api.post("/uploads", json={"filename": "sized.mp4", "size": 1000}).json()
    policy = json.loads(base64.b64decode(upload["upload_fields"]["policy"]))
    assert ["content-length-range", 1, 1000] in policy["conditions"] and upload["max_bytes"] == 1000
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 14 * 60 < (expires - datetime.now(expires.tzinfo)).total_seconds() <= 15 * 60
    default = api.post("/uploads", json={"filename": "unsized.mp4"}).json()
    assert ["content-length-range", 1, 5 * 1024**3] in json.loads(base64.b64decode(default["upload_fields"]["policy"]))["conditions"]


def test_an_upload_over_its_size_range_is_refused_and_starts_nothing(api, ingest):
    upload = api.post("/uploads", json={"filename": "oversized.mp4", "size": 1000}).json()
    refused = send(upload, b"\0" * 1001)
    assert refused.status_code == 400 and "<Code>EntityTooLarge</Code>" in refused.text
    assert versions_of(ingest, upload["key"]) == (0, 0)
    assert api.get(f"/assets/{upload['asset_id']}").json()["status"] == "AWAITING_UPLOAD"
    assert send(upload, b"\0" * 1000).status_code == 204  # the same form, within its range


def test_a_multipart_upload_in_several_parts_completes_and_runs(api, tmp_path):
    clip = tmp_path / "noise.mp4"  # 1 s of noise, lossless: about 12 MB, three parts of 5 MiB
    run_ffmpeg(["-f", "lavfi", "-i", "color=gray:s=640x360:d=1:r=25,noise=alls=80:allf=t", "-c:v", "libx264",
                "-preset", "ultrafast", "-crf", "0", "-pix_fmt", "yuv420p", str(clip)])
    data, part = clip.read_bytes(), 5 * 1024**2
    created = api.post("/uploads", json={"filename": "noise.mp4", "size": len(data), "multipart": True,
                                         "part_size": part, "options": {"stages": ["captions"]}})
    assert created.status_code == 201, created.text
    upload = created.json()
    assert upload["upload_method"] == "MULTIPART" and upload["multipart"]["part_count"] == -(-len(data) // part) >= 3
    numbers = list(range(1, upload["multipart"]["part_count"] + 1))
    urls = api.post(upload["multipart"]["parts_url"], json={"part_numbers": numbers}).json()["parts"]
    parts = []
    for entry in urls:
        n = entry["part_number"]
        put = requests.put(entry["url"], data=data[(n - 1) * part:n * part], timeout=60)
        assert put.status_code == 200, put.text
        parts.append({"part_number": n, "etag": put.headers["ETag"]})
    done = api.post(upload["multipart"]["complete_url"], json={"parts": parts})
    assert done.status_code == 200, done.text
    assert done.json()["size"] == len(data)
    assert_error(api.post(upload["multipart"]["complete_url"], json={"parts": parts}), 409, "Conflict")
    asset = wait_for(api, f"/assets/{upload['asset_id']}", lambda a: a["status"] in TERMINAL)
    assert asset["status"] == "COMPLETED", asset
    assert asset["source_info"]["width"] == 640


def test_a_multipart_upload_larger_than_reserved_is_aborted(api):
    created = api.post("/uploads", json={"filename": "small.mp4", "size": 5 * 1024**2, "multipart": True,
                                         "part_size": 5 * 1024**2}).json()
    url = api.post(created["multipart"]["parts_url"], json={"part_numbers": [1]}).json()["parts"][0]["url"]
    put = requests.put(url, data=b"\0" * (5 * 1024**2 + 1), timeout=60)
    done = api.post(created["multipart"]["complete_url"], json={"parts": [{"part_number": 1, "etag": put.headers["ETag"]}]})
    assert_error(done, 409, "UploadTooLarge")
    assert_error(api.post(created["multipart"]["complete_url"], json={"parts": [{"part_number": 1, "etag": "x"}]}),
                 409, "Conflict")


# ---- edges ------------------------------------------------------------------------------------------
def test_bodies_that_are_not_utf8_or_nest_too_deep_are_400(api):
    for raw in (b'{"filename": "\xff.mp4"}', b"[" * 5000 + b"]" * 5000):
        assert_error(api.post("/uploads", data=raw, headers={"Content-Type": "application/json"}), 400, "BadRequest")


def test_file_names_are_refused_unless_plain_and_keys_stay_under_1024_bytes(api):
    for name in ("evil\u202egnp.mp4", "bell\x07.mp4", "a\u2215b.mp4", "\U0001F3AC" * 255):
        assert_error(api.post("/uploads", json={"filename": name}), 422, "ValidationError")
    created = api.post("/uploads", json={"filename": "\U0001F3AC" * 60 + ".mp4"})
    assert created.status_code == 201 and len(created.json()["key"].encode()) <= 1024


def test_source_keys_are_taken_literally(api, ingest):
    s3, bucket = ingest
    s3.put_object(Bucket=bucket, Key="default/literal/a b.mov", Body=NOT_MEDIA)
    missing = api.post("/jobs", json={"source_key": "default/literal/a+b.mov"})
    assert_error(missing, 404, "NotFound")
    assert bucket not in missing.text


# ---- last: Ctrl-C --------------------------------------------------------------------------------------
def test_ctrl_c_stops_cleanly(server):
    url, lines, proc = server
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 0, "".join(lines)
    text = "".join(lines)
    assert "Stopping" in text and "Traceback" not in text
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/jobs", timeout=5)
