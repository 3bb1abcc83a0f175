"""The estimate made before a job runs, and the budget guard that refuses a job on it."""
import pytest

from functions.core.cost.budget import (
    CostLimitExceeded,
    DurationLimitExceeded,
    ExecutionTimeoutExceeded,
    StateLimitExceeded,
    check_budget,
    limit,
)
from functions.core.cost.estimate import STATE_LIMIT_BYTES, estimate_job, synthetic_source
from functions.core.models import JobOptions, VideoCodec


def test_a_one_chunk_job_enters_as_many_states_as_the_samples_execution_did():
    estimate = estimate_job(synthetic_source(20, 360), JobOptions())
    assert estimate.chunks == 1
    assert estimate.transitions == 28  # the sample's history: 26 states entered, then Outcome and JobDone
    # EncodeChunk measures the scene part on its decode: no ScenePart runs.
    assert estimate.invocations == {"Probe": 1, "TranscodeChunk": 1, "TranscodePackage": 1, "CaptionPart": 1,
                                    "Captions": 1, "Scenes": 1, "SceneSpeech": 1, "Trailer": 1, "Finalize": 1}


def test_an_hour_runs_each_chunk_map_over_the_probes_chunks():
    estimate = estimate_job(synthetic_source(3600, 1080), JobOptions())
    assert estimate.chunks == 30
    for part in ("TranscodeChunk", "CaptionPart"):
        assert estimate.invocations[part] == 30
    assert "ScenePart" not in estimate.invocations  # the chunks measure the scene parts
    alone = estimate_job(synthetic_source(3600, 1080), JobOptions(stages=["scenes"]))
    assert alone.invocations["ScenePart"] == 30
    assert estimate.cost.total_usd == pytest.approx(sum(i.usd for i in estimate.cost.items), abs=1e-8)
    assert estimate.wall_seconds > 0 and estimate.largest_state_bytes > 0


def test_stages_left_out_cost_nothing_and_paid_services_are_priced():
    only = estimate_job(synthetic_source(600, 720), JobOptions(stages=["captions"], caption_engine="transcribe"))
    assert "TranscodeChunk" not in only.invocations and "ScenePart" not in only.invocations
    transcribe = [i for i in only.cost.items if i.what == "Amazon Transcribe audio"]
    assert transcribe and transcribe[0].quantity == pytest.approx(10.0)
    labelled = estimate_job(synthetic_source(600, 720), JobOptions(label_engine="rekognition"))
    assert [i for i in labelled.cost.items if i.what == "Rekognition DetectLabels"]


def test_longer_and_larger_footage_costs_more():
    costs = [estimate_job(synthetic_source(seconds, height), JobOptions()).cost.total_usd
             for seconds, height in ((60, 360), (60, 1080), (600, 1080))]
    assert costs == sorted(costs) and len(set(costs)) == 3


def test_the_guard_refuses_over_either_limit_and_says_whose_limit_it_was():
    estimate = estimate_job(synthetic_source(3600, 1080), JobOptions())
    check_budget(estimate, limit(None, None), limit(None, None))
    check_budget(estimate, limit(estimate.cost.total_usd * 2, None), limit(None, estimate.wall_seconds * 2))
    with pytest.raises(CostLimitExceeded, match="the job's limit max_cost_usd"):
        check_budget(estimate, limit(estimate.cost.total_usd / 2, 100.0), limit(None, None))
    with pytest.raises(DurationLimitExceeded, match="the stack's default limit max_duration_seconds"):
        check_budget(estimate, limit(None, None), limit(None, estimate.wall_seconds / 2))


def test_the_guard_refuses_a_job_that_would_outlast_the_state_machines_timeout_whatever_its_limits():
    from functions.core.cost.estimate import EXECUTION_TIMEOUT_SECONDS

    longest = estimate_job(synthetic_source(12 * 3600, 1080), JobOptions(caption_engine="transcribe"))
    assert longest.wall_seconds <= EXECUTION_TIMEOUT_SECONDS  # the longest source Probe accepts fits
    check_budget(longest, limit(None, None), limit(None, None))
    over = longest.model_copy(update={"wall_seconds": EXECUTION_TIMEOUT_SECONDS + 1.0})
    with pytest.raises(ExecutionTimeoutExceeded):
        check_budget(over, limit(None, None), limit(None, None))


def test_the_guard_refuses_a_job_whose_largest_state_would_be_over_step_functions_limit():
    """12 h of UHD in HEVC runs in shorter chunks (estimate.plan_job): with the whole ladder's seven rungs the
    transcode Map's results would be over 256 KB, so PackageHls would fail after every chunk was paid for."""
    uhd = synthetic_source(12 * 3600, 2160)
    four = estimate_job(uhd, JobOptions(video_codec=VideoCodec.HEVC))
    check_budget(four, limit(None, None), limit(None, None))
    every_rung = [2160, 1440, 1080, 720, 480, 360, 240]
    seven = estimate_job(uhd, JobOptions(video_codec=VideoCodec.HEVC, renditions=every_rung))
    assert seven.largest_state_bytes > STATE_LIMIT_BYTES
    with pytest.raises(StateLimitExceeded):
        check_budget(seven, limit(None, None), limit(None, None))
    at_60 = estimate_job(synthetic_source(12 * 3600, 2160, fps=60), JobOptions(video_codec=VideoCodec.HEVC))
    with pytest.raises(StateLimitExceeded):  # its 44 s chunks
        check_budget(at_60, limit(None, None), limit(None, None))


def test_hevc_costs_more_to_encode_and_less_to_store():
    info = synthetic_source(3600, 1080)
    h264, hevc = (estimate_job(info, JobOptions(video_codec=codec)) for codec in VideoCodec)
    assert hevc.longest_invocation_seconds["TranscodeChunk"] > 2 * h264.longest_invocation_seconds["TranscodeChunk"]
    items = {codec: {(i.stage, i.what): i.usd for i in e.cost.items}
             for codec, e in zip(VideoCodec, (h264, hevc), strict=True)}
    storage = [key for key in items[VideoCodec.H264] if key[0] == "storage" and "outputs" in key[1]]
    assert storage and all(items[VideoCodec.HEVC][key] < items[VideoCodec.H264][key] for key in storage)
