"""The Studio API's handler in-process, without AWS: error shapes, validation, limits, tokens, models."""
from __future__ import annotations

import json

import pytest

from functions.api.errors import BadRequest
from functions.api.handler import json_depth
from functions.api.models import JobRequest, UploadRequest
from functions.api.pagination import decode_token, encode_token
from functions.core.ids import job_id_for
from functions.core.ingest import METADATA_OPTIONS, metadata_for, options_from_metadata, tenant_of_key
from functions.core.models import JobOptions, JobStatus, ObjectRef, VideoCodec
from functions.core.repository import Repository
from reelflow.local.invoke import LocalContext
from reelflow.local.serve import proxy_event


def Context() -> LocalContext:  # noqa: N802 - reads like the class it stands for
    """Lambda's context object, as the local runtime makes it."""
    return LocalContext("api", 512, 60, "arn:aws:lambda:us-east-1:123456789012:function:api")


@pytest.fixture(scope="module")
def call():
    """Call the deployed handler with a proxy event. The config is read only when a route reaches AWS:
    nothing here does, so no environment is needed."""
    from functions.api.handler import handler

    def _call(method: str, path: str, body: object = None, *, raw: bytes | None = None, query=None,
              content_type: str = "application/json") -> tuple[int, dict]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        event = proxy_event(method, path, resource=path, headers={"Content-Type": content_type}, body=data,
                            query=query)
        response = handler(event, Context())
        return response["statusCode"], json.loads(response["body"])

    return _call


def assert_error(body: dict, code: str) -> None:
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in json.dumps(body)


def test_unknown_route_is_a_404_in_the_error_shape(call):
    status, body = call("GET", "/nowhere")
    assert status == 404
    assert_error(body, "NotFound")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"filename": ""},
        {"filename": "a/b.mp4"},
        {"filename": "..\\evil.mp4"},
        {"filename": ".hidden"},
        {"filename": "ok.mp4", "content_type": "not a type"},
        {"filename": "ok.mp4", "surprise": 1},
        ["ok.mp4"],
    ],
)
def test_invalid_upload_bodies_are_422(call, body):
    status, response = call("POST", "/uploads", body)
    assert status == 422
    assert_error(response, "ValidationError")
    assert response["error"]["details"]


@pytest.mark.parametrize(
    "body",
    [
        {"options": {}},
        {"asset_id": "a1", "source_key": "k"},
        {"asset_id": "a1", "options": {"caption_engine": "nope"}},
        {"asset_id": "a1", "options": {"stages": ["transcode", "transcode"]}},
        {"asset_id": "a1", "options": {"renditions": [721]}},
        {"asset_id": "a1", "options": {"video_codec": "av1"}},
        {"asset_id": "a1", "options": {"trailer_seconds": 0}},
        {"asset_id": "a1", "options": {"language": "english"}},
        {"asset_id": "a1", "options": {"transcribe_vocabulary": "has spaces"}},
        {"asset_id": "a1", "options": {"max_speakers": 31}},
        {"asset_id": "a1", "options": {"language_options": ["en-US", "es-US"]}},  # needs language auto
        {"asset_id": "a1", "options": {"language": "auto", "transcribe_vocabulary": "v1"}},  # needs language_options
        {"asset_id": "a1", "options": {"language": "auto", "language_options": ["en-US", "english"]}},
    ],
)
def test_invalid_job_requests_are_422(call, body):
    status, response = call("POST", "/jobs", body)
    assert status == 422
    assert_error(response, "ValidationError")


def test_malformed_json_is_400_and_other_media_types_415(call):
    status, body = call("POST", "/uploads", raw=b"{not json")
    assert status == 400
    assert_error(body, "BadRequest")
    status, body = call("POST", "/uploads", raw=b"filename=a.mp4", content_type="text/plain")
    assert status == 415
    assert_error(body, "UnsupportedMediaType")


def test_bodies_over_the_limit_are_413(call):
    status, body = call("POST", "/uploads", {"filename": "a.mp4", "title": "x" * (70 * 1024)})
    assert status == 413
    assert_error(body, "PayloadTooLarge")


@pytest.mark.parametrize("query", [{"limit": ["0"]}, {"limit": ["101"]}, {"status": ["DONE"]}])
def test_invalid_query_parameters_are_422(call, query):
    status, body = call("GET", "/jobs", query=query)
    assert status == 422
    assert_error(body, "ValidationError")


def test_scene_search_needs_a_tag(call):
    status, body = call("GET", "/scenes")
    assert status == 422
    assert_error(body, "ValidationError")


def test_openapi_document_lists_every_route_with_the_error_shape(call):
    status, doc = call("GET", "/openapi.json")
    assert status == 200
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["apiKey"] == {"type": "apiKey", "name": "x-api-key", "in": "header"}
    operations = {(path, method.upper()) for path, item in doc["paths"].items() for method in item}
    assert operations == {
        ("/uploads", "POST"), ("/uploads/{asset_id}/parts", "POST"), ("/uploads/{asset_id}/complete", "POST"),
        ("/jobs", "GET"), ("/jobs", "POST"), ("/jobs/{job_id}", "GET"),
        ("/jobs/{job_id}/cancel", "POST"), ("/assets", "GET"), ("/assets/{asset_id}", "GET"),
        ("/assets/{asset_id}", "DELETE"), ("/assets/{asset_id}/scenes", "GET"), ("/scenes", "GET"),
    }
    for item in doc["paths"].values():
        for operation in item.values():
            for code in ("404", "409", "422"):
                if code in operation["responses"]:
                    schema = operation["responses"][code]["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}


def test_page_tokens_round_trip_and_refuse_foreign_or_forged_ones(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # a Table handle; nothing here calls AWS
    repo_a, repo_b = Repository("table", "tenant-a"), Repository("table", "tenant-b")
    jobs = repo_a.jobs_listing()
    key = {"pk": "T#tenant-a#JOB#j1", "sk": "JOB", "gsi1pk": jobs.partition, "gsi1sk": "2026-01-01T00:00:00.000Z"}
    token = encode_token(jobs, key)
    assert decode_token(token, jobs) == key
    assert encode_token(jobs, None) is None and decode_token(None, jobs) is None
    scene_key = {"pk": "T#tenant-a#ASSET#a1", "sk": "SCENE#0002"}
    assert decode_token(encode_token(repo_a.asset_scenes_listing("a1"), scene_key),
                        repo_a.asset_scenes_listing("a1")) == scene_key
    for bad, listing in [
        (token, repo_a.assets_listing()),  # another listing's token
        (token, repo_a.jobs_listing(JobStatus.RUNNING)),
        (token, repo_b.jobs_listing()),  # another tenant's
        ("not-base64!!", jobs),
        (encode_token(jobs, {"pk": "T#tenant-a#JOB#j1"}), jobs),  # incomplete key
        (encode_token(jobs, key | {"evil": "x"}), jobs),
        (encode_token(repo_a.asset_scenes_listing("a1"), scene_key), repo_a.asset_scenes_listing("a1", "dark")),
    ]:
        with pytest.raises(BadRequest):
            decode_token(bad, listing)


def test_job_options_map_onto_the_pipeline_options_and_job_ids_follow_them():
    request = JobRequest.model_validate({"asset_id": "a1", "options": {"renditions": [720, 480], "stages": ["transcode"]}})
    options = request.options.to_job_options()
    assert options.renditions == [720, 480] and options.stages == ["transcode"] and options.language == "en-US"
    ref = ObjectRef(bucket="b", key="k", etag="e")
    assert job_id_for(ref, options) != job_id_for(ref, JobRequest(asset_id="a1").options.to_job_options())
    assert UploadRequest(filename="take 1 (final).mov").filename == "take 1 (final).mov"


def test_the_video_codec_reaches_the_job_options_and_h264_is_the_default():
    hevc = JobRequest.model_validate({"asset_id": "a1", "options": {"video_codec": "hevc"}}).options.to_job_options()
    assert hevc.video_codec == VideoCodec.HEVC
    assert JobRequest(asset_id="a1").options.to_job_options().video_codec == VideoCodec.H264


def test_transcribe_options_reach_the_job_and_the_upload_metadata_round_trips():
    body = {"language": "auto", "language_options": ["en-US", "es-US"], "transcribe_vocabulary": "acme.v2",
            "speaker_labels": True, "max_speakers": 4, "caption_engine": "transcribe"}
    options = JobRequest.model_validate({"asset_id": "a1", "options": body}).options.to_job_options()
    assert options.model_dump(include=set(body)) == body
    metadata = metadata_for(options)
    assert metadata["language-options"] == "en-US;es-US" and metadata["speaker-labels"] == "true"
    assert options_from_metadata(metadata) == (options, [])
    assert set(METADATA_OPTIONS.values()) == set(JobOptions.model_fields)


def test_transcribe_metadata_that_cannot_go_together_is_dropped_with_a_problem_each():
    options, problems = options_from_metadata({"language-options": "en-US;es-US", "max-speakers": "40",
                                               "transcribe-vocabulary": "v1", "speaker-labels": "true"})
    assert (options.language_options, options.max_speakers, options.transcribe_vocabulary) == (None, None, "v1")
    assert options.speaker_labels is True and len(problems) == 2


def test_uploads_over_5_gib_go_in_parts_of_at_most_10000():
    big = UploadRequest(filename="master.mov", size=6 * 1024**3)
    assert big.multipart and big.chosen_part_size == 64 * 1024**2
    huge = UploadRequest(filename="master.mov", size=5 * 1024**4)
    assert -(-huge.size // huge.chosen_part_size) <= 10_000
    for body in ({"multipart": True}, {"size": 5 * 1024**4, "part_size": 5 * 1024**2}):
        with pytest.raises(ValueError):
            UploadRequest.model_validate({"filename": "a.mov", **body})


# ---- edges: bodies and file names ------------------------------------------------------------------
def test_a_body_that_is_not_utf8_is_400(call):
    status, body = call("POST", "/uploads", raw=b'{"filename": "\xff\xfe.mp4"}')
    assert status == 400
    assert_error(body, "BadRequest")


@pytest.mark.parametrize("raw", [b"[" * 20_000 + b"]" * 20_000, b'{"filename": "a.mp4", "options": ' + b"[" * 40 + b"]" * 40 + b"}"])
def test_deeply_nested_bodies_are_400(call, raw):
    status, body = call("POST", "/uploads", raw=raw)
    assert status == 400
    assert_error(body, "BadRequest")


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth('{"a": [1, {"b": "[[[{{{"}], "c": "\\"]"}') == 3
    assert json_depth('"[[["') == 0


@pytest.mark.parametrize("filename", [
    "evil\u202egnp.mp4",  # right-to-left override
    "zero\u200bwidth.mp4",
    "bell\x07.mp4",
    "line\u2028break.mp4",
    "a\u2215b.mp4",  # division slash
    "a\u2044b.mp4",  # fraction slash
    "a\uff0fb.mp4",  # fullwidth solidus: NFKC makes it '/'
    "\uff0e\uff0e",  # fullwidth '..'
    "\U0001F3AC" * 255,  # 1,020 bytes of UTF-8
])
def test_file_names_that_are_not_plain_are_422(call, filename):
    status, response = call("POST", "/uploads", {"filename": filename})
    assert status == 422
    assert_error(response, "ValidationError")


def test_file_names_are_nfkc_normalised_and_emoji_sequences_allowed():
    assert UploadRequest(filename="\uff46\uff49\uff4c\uff45.mp4").filename == "file.mp4"
    assert UploadRequest(filename="caf\u0065\u0301.mov").filename == "caf\u00e9.mov"
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467 take 1.mp4"
    assert UploadRequest(filename=family).filename == family
    assert len(UploadRequest(filename="\U0001F3AC" * 63).filename.encode()) <= 255


def test_source_keys_are_limited_in_bytes_not_characters():
    assert JobRequest(source_key="t/" + "\u00e9" * 511).source_key  # 1,024 bytes
    with pytest.raises(ValueError):
        JobRequest(source_key="t/" + "\u00e9" * 512)
    with pytest.raises(ValueError):
        JobRequest(source_key="t/\ud800.mp4")


def test_uploads_belong_to_the_tenant_their_first_folder_names_if_it_exists():
    tenants = {"studio-a"}.__contains__
    assert tenant_of_key("studio-a/uploads/x/clip.mov", tenants) == "studio-a"
    assert tenant_of_key("studio-a/clip.mov", tenants, "house") == "studio-a"
    assert tenant_of_key("footage/clip.mov", tenants, "house") == "house"  # not a tenant: the default's
    assert tenant_of_key("clip.mov", tenants, "house") == "house"
    assert tenant_of_key("house/clip.mov", tenants, "house") == "house"
    assert tenant_of_key("Studio-A/clip.mov", tenants, "house") == "house"  # not a tenant id


def test_jobs_and_assets_carry_their_cost_and_every_door_takes_the_budget():
    from pydantic import ValidationError

    from functions.api import models as m

    cost = {"total_usd": 0.01, "usd_per_source_minute": 0.03, "prices": "us-east-1 list prices as of 2025-06-01",
            "items": [{"stage": "probe", "what": "Lambda Probe compute", "quantity": 1.0, "unit": "GB-s", "usd": 0.01}]}
    job = m.Job.model_validate({"job_id": "j1", "asset_id": "a1", "status": "COMPLETED", "cost": cost})
    assert job.cost is not None and job.cost.items[0].stage == "probe"
    assert m.Asset(asset_id="a1", status="COMPLETED", cost=cost).cost.total_usd == 0.01
    request = JobRequest.model_validate({"asset_id": "a1",
                                         "options": {"max_cost_usd": 2.5, "max_duration_seconds": 600}})
    options = request.options.to_job_options()
    assert (options.max_cost_usd, options.max_duration_seconds) == (2.5, 600)
    assert options_from_metadata(metadata_for(options)) == (options, [])
    assert metadata_for(options) == {"max-cost-usd": "2.5", "max-duration-seconds": "600.0"}
    with pytest.raises(ValidationError):
        JobRequest.model_validate({"asset_id": "a1", "options": {"max_cost_usd": 0}})
