"""Step Functions' limits for 1 min, 1 h and 12 h of footage (every stage on), from the states the models build:
the state each transition carries, and the events of the execution's history."""
import pytest

from functions.core.cost.lambdas import FUNCTION_EPHEMERAL_MB, FUNCTION_TIMEOUT_SECONDS
from functions.core.cost.estimate import (
    CHUNK_TIMEOUT_SHARE,
    HISTORY_LIMIT_EVENTS,
    STATE_LIMIT_BYTES,
    estimate_job,
    plan_job,
    state_sizes,
    synthetic_source,
)
from functions.core.ladder import SEGMENT_SECONDS, plan_transcode
from functions.core.models import JobOptions, VideoCodec

LENGTHS = {"1 min": 60, "1 h": 3600, "12 h": 12 * 3600}
# Room left for what the models cannot foresee (a longer note, more keywords): a quarter of each limit.
MARGIN = 0.75


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("engine", ["whisper", "transcribe"])
def test_every_state_stays_under_256_kb_with_margin(length, engine):
    info = synthetic_source(LENGTHS[length], 1080)
    options = JobOptions(caption_engine=engine, label_engine="rekognition", trailer_title="t" * 80)
    sizes = state_sizes(info, plan_transcode(info), options)
    assert max(sizes.values()) <= MARGIN * STATE_LIMIT_BYTES, sizes


def test_the_chunk_maps_results_are_what_grows():
    sizes = {length: state_sizes(synthetic_source(s, 1080), plan_transcode(synthetic_source(s, 1080)), JobOptions())
             for length, s in LENGTHS.items()}
    grown = {name: sizes["12 h"][name] - sizes["1 min"][name] for name in sizes["1 min"]}
    assert max(grown, key=grown.__getitem__).startswith("PackageHls")
    assert grown["EncodeChunk (one chunk's input)"] < grown["PackageHls (the transcode Map's results)"] / 10


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("engine", ["whisper", "transcribe"])
def test_the_history_stays_under_25000_events_with_margin(length, engine):
    estimate = estimate_job(synthetic_source(LENGTHS[length], 1080), JobOptions(caption_engine=engine))
    assert estimate.history_events <= 0.8 * HISTORY_LIMIT_EVENTS


def test_the_history_model_counts_the_samples_execution():
    """The sample's execution on moto held 97 events (GetExecutionHistory), one chunk, every stage on."""
    assert estimate_job(synthetic_source(20, 360), JobOptions()).history_events == 97


def test_an_hour_of_1080p_is_estimated_within_five_minutes():
    assert estimate_job(synthetic_source(3600, 1080), JobOptions()).wall_seconds <= 300


@pytest.mark.parametrize("length", LENGTHS)
def test_every_invocation_stays_under_its_functions_timeout_with_local_engines(length):
    """The README's table: each function's longest modelled invocation (rates.py) against its timeout, every
    stage on, whisper captions, no paid labels."""
    estimate = estimate_job(synthetic_source(LENGTHS[length], 1080), JobOptions())
    assert estimate.over_timeout == {}, estimate.longest_invocation_seconds


@pytest.mark.parametrize("length", LENGTHS)
def test_every_invocation_stays_under_its_functions_timeout_with_paid_engines(length):
    """Amazon Transcribe (audio extracted per chunk, one job per span) and Rekognition labels (paced calls)."""
    options = JobOptions(caption_engine="transcribe", label_engine="rekognition")
    estimate = estimate_job(synthetic_source(LENGTHS[length], 1080), options)
    assert estimate.over_timeout == {}, estimate.longest_invocation_seconds


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("engine", ["whisper", "transcribe"])
def test_every_invocations_files_fit_its_functions_ephemeral_storage(length, engine):
    """The most /tmp one invocation fills (the joined proxy is the largest: its parts stream from S3) against the
    function's ephemeral storage, with the same margin as the state."""
    estimate = estimate_job(synthetic_source(LENGTHS[length], 1080), JobOptions(caption_engine=engine))
    assert {"TranscodeChunk", "TranscodePackage", "Scenes"} <= set(estimate.largest_tmp_bytes)
    assert all(size <= 0.85 * FUNCTION_EPHEMERAL_MB[name] * 2**20
               for name, size in estimate.largest_tmp_bytes.items()), estimate.largest_tmp_bytes


def test_a_12_hour_proxy_would_not_fit_with_its_parts_on_disk():
    """Why the parts stream: parts and joined proxy together are over Lambda's 10 GB of /tmp at 12 h."""
    proxy = estimate_job(synthetic_source(LENGTHS["12 h"], 1080), JobOptions()).largest_tmp_bytes["TranscodePackage"]
    assert 2 * proxy > FUNCTION_EPHEMERAL_MB["TranscodePackage"] * 2**20 >= proxy


@pytest.mark.parametrize("height", [1080, 2160])
@pytest.mark.parametrize("length", LENGTHS)
def test_hevc_chunks_encode_within_their_share_of_the_timeout_and_the_state_stays_under_its_limit(length, height):
    """x265 costs about 3x x264 (rates.ENCODE_COST_FACTORS), so plan_job shortens a UHD source's HEVC chunks until
    one encodes within CHUNK_TIMEOUT_SHARE of TranscodeChunk's timeout. More chunks make a larger transcode Map
    result: at 12 h of 2160p it is still under the limit, though not with the quarter's margin the H.264 job has."""
    options = JobOptions(video_codec=VideoCodec.HEVC, caption_engine="transcribe", label_engine="rekognition",
                         trailer_title="t" * 80)
    estimate = estimate_job(synthetic_source(LENGTHS[length], height), options)
    timeout = FUNCTION_TIMEOUT_SECONDS["TranscodeChunk"]
    assert estimate.longest_invocation_seconds["TranscodeChunk"] <= CHUNK_TIMEOUT_SHARE * timeout
    assert estimate.over_timeout == {} and estimate.over_tmp == {}
    assert estimate.largest_state_bytes <= STATE_LIMIT_BYTES
    assert estimate.history_events <= 0.8 * HISTORY_LIMIT_EVENTS


def test_frames_above_the_benchmarks_rate_cost_their_encode_so_uhd_hevc_at_60_fps_runs_shorter_chunks_still():
    hevc = JobOptions(video_codec=VideoCodec.HEVC)
    at_25, at_60 = (synthetic_source(3600, 2160, fps=fps) for fps in (25, 60))
    assert plan_job(at_60, hevc).chunks[0].duration < plan_job(at_25, hevc).chunks[0].duration
    timeout = FUNCTION_TIMEOUT_SECONDS["TranscodeChunk"]
    assert estimate_job(at_60, hevc).longest_invocation_seconds["TranscodeChunk"] <= CHUNK_TIMEOUT_SHARE * timeout
    eight_k_60 = synthetic_source(12 * 3600, 4320, fps=60)
    assert plan_job(eight_k_60, JobOptions()).chunks == plan_transcode(eight_k_60).chunks  # H.264 keeps its chunks


def test_only_uhd_hevc_chunks_are_shortened():
    uhd, hd = synthetic_source(12 * 3600, 2160), synthetic_source(12 * 3600, 1080)
    assert plan_job(uhd, JobOptions()).chunks == plan_transcode(uhd).chunks
    assert plan_job(hd, JobOptions(video_codec=VideoCodec.HEVC)).chunks == plan_transcode(hd).chunks
    shortened = plan_job(uhd, JobOptions(video_codec=VideoCodec.HEVC)).chunks
    assert shortened[0].duration < plan_transcode(uhd).chunks[0].duration
    assert shortened[0].duration % SEGMENT_SECONDS == 0
    assert sum(c.duration for c in shortened) == pytest.approx(12 * 3600)
    no_encode = JobOptions(video_codec=VideoCodec.HEVC, stages=["captions"])
    assert plan_job(uhd, no_encode).chunks == plan_transcode(uhd).chunks
