"""What a job will take before it runs: its plan (chunks, invocations), the AWS wall time, the cost and the largest
state payload its execution carries. Probe plans with the same code (functions.core.ladder), the budget guard
refuses a job on this estimate, and `reelflow estimate` prints it.

Each invocation's time comes from the measured speeds in rates.py, scaled to the function's memory; the cost is
priced by the same code as the measured report (report.price_job), from usage modelled on the plan."""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, replace

from pydantic import BaseModel, Field

from functions.core.cost import rates
from functions.core.captions.spans import span_job_name, span_result_key, transcribe_spans
from functions.core.cost.lambdas import FUNCTION_EPHEMERAL_MB, FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_SECONDS
from functions.core.cost.metering import ExecutionUse, InvocationUse, billed_ms
from functions.core.cost.models import CostReport
from functions.core.cost.prices import PriceTable, price_table
from functions.core.cost.report import price_job
from functions.core.cost.storage import StorageUse, StoredObject
from functions.core.s3io import UPLOAD_WORKERS
from functions.core.ladder import DEFAULT_CHUNK_SECONDS, SEGMENT_SECONDS, plan_transcode
from functions.core.models import (
    OPTIONAL_STAGES,
    CaptionPartResult,
    ChunkInput,
    ChunkResult,
    JobInput,
    JobOptions,
    ObjectRef,
    ProbeResult,
    RungStats,
    ScenePartResult,
    SourceInfo,
    StageResult,
    StageStatus,
    TranscodePlan,
    TranscribeJob,
    TranscribeSpanResult,
)
from functions.core.transcode import MAX_OUTPUT_FPS, SEGMENT_FORMATS, proxy_size, scenes_on_chunks

# infra/pipeline.CHUNK_CONCURRENCY: how many chunks each Map runs at once (a test keeps them equal).
MAP_CONCURRENCY = 40
# A caption part reads this far past each boundary with a neighbour (functions.core.captions.parts.PART_OVERLAP).
CAPTION_OVERLAP_SECONDS = 10.0
# The proxy's and the trailers' bitrates, for the bytes stored (CRF encodes: typical figures, not limits).
PROXY_KBPS, TRAILER_KBPS = 1500, 3000
# The files a scene leaves (a thumbnail; its line in each of scenes.json and the four editor exports), the contact
# sheet and the poster: the sizes _storage prices.
THUMBNAIL_BYTES, SCENE_RECORD_BYTES, CONTACT_SHEET_BYTES, POSTER_BYTES = 20_000, 500, 200_000, 50_000
INIT_SECTION_BYTES = 4_000  # an fMP4 init section, one per chunk and rung (3.8 KB measured at 240p)
DEFAULT_TRAILER_SECONDS, SHORT_FOOTAGE_SECONDS = 30.0, 90.0
# Step Functions' limits: the state a transition carries, a Standard execution's history.
STATE_LIMIT_BYTES = 256 * 1024
HISTORY_LIMIT_EVENTS = 25_000
# The state machine's timeout (infra/pipeline.py uses this): twelve hours, so the longest source (12 h) with
# Amazon Transcribe at the assumed turnaround fits; Probe refuses a job estimated to take longer (budget.py).
EXECUTION_TIMEOUT_SECONDS = 12 * 3600
EVENTS_PER_VISIT = {"task": 5, "choice": 2, "pass": 2, "wait": 2, "end": 2, "map": 4, "parallel": 4}
# The most of TranscodeChunk's timeout one chunk's modelled encode may take (plan_job shortens the chunks to fit):
# the quarter left is room for footage the measured speeds underrate (the same margin tests/ keep on the limits).
CHUNK_TIMEOUT_SHARE = 0.75


class JobEstimate(BaseModel):
    source_seconds: float
    chunks: int
    chunk_seconds: float = Field(description="Footage per chunk (the last may be longer or shorter)")
    invocations: dict[str, int] = Field(description="Lambda invocations per function")
    transitions: int
    history_events: int = Field(description="Events in the execution's history, without retries")
    longest_invocation_seconds: dict[str, float] = Field(
        description="Per function, its longest invocation in AWS (to hold against the function's timeout)")
    over_timeout: dict[str, float] = Field(
        default_factory=dict, description="The functions whose longest invocation exceeds their timeout")
    largest_tmp_bytes: dict[str, int] = Field(
        default_factory=dict, description="Per function that writes files, the most /tmp one invocation fills")
    over_tmp: dict[str, int] = Field(
        default_factory=dict, description="The functions whose files exceed their ephemeral storage")
    wall_seconds: float = Field(description="From Probe's start to Finalize's end, in AWS")
    cost: CostReport
    largest_state_bytes: int
    largest_state: str = Field(description="The state that carries it")


@dataclass(frozen=True)
class Work:
    """One invocation's modelled work: local seconds on the development machine, and paid calls."""

    function: str
    local_seconds: float
    paid_calls: dict[str, int] | None = None
    parallel_seconds: float = 0.0  # of them, work on every core whatever the function's kind (rates.PARALLEL)
    io_seconds: float = 0.0  # round trips and transfers, which no vCPU shortens
    tmp_bytes: int = 0  # the most the invocation holds in /tmp at once

    @property
    def aws_seconds(self) -> float:
        memory = FUNCTION_MEMORY_MB[self.function]
        cpu = rates.aws_seconds(self.function, self.local_seconds - self.parallel_seconds, memory)
        cpu += self.parallel_seconds * rates.LOCAL_CORES / rates.vcpus(memory)
        return cpu + self.io_seconds + rates.COLD_START_SECONDS

    def use(self) -> InvocationUse:
        return InvocationUse(self.function, billed_ms(self.aws_seconds), FUNCTION_MEMORY_MB[self.function],
                             self.paid_calls or {})


def synthetic_source(duration: float, height: int, *, has_audio: bool = True, fps: float = 25.0) -> SourceInfo:
    """A 16:9 source of `height` lines (0: audio only), for estimating without a file."""
    width = int(round(height * 16 / 9 / 2)) * 2
    return SourceInfo(duration=duration, container="mov,mp4,m4a,3gp,3g2,mj2", has_video=height > 0,
                      has_audio=has_audio, width=width, height=height, coded_width=width, coded_height=height,
                      display_aspect=round(width / height, 4) if height else 0.0, fps=fps if height else 0.0)


def trailer_seconds(options: JobOptions, duration: float) -> float:
    if options.trailer_seconds:
        return min(options.trailer_seconds, duration)
    return DEFAULT_TRAILER_SECONDS if duration >= SHORT_FOOTAGE_SECONDS else duration / 3


def _megapixels(width: int, height: int) -> float:
    return width * height / 1e6


def plan_job(info: SourceInfo, options: JobOptions, chunk_seconds: float = DEFAULT_CHUNK_SECONDS) -> TranscodePlan:
    """Probe's plan (and so the estimate's): the job's rungs in its codec, in chunks of `chunk_seconds`, shortened by
    whole segments while one chunk's modelled encode would take more than CHUNK_TIMEOUT_SHARE of TranscodeChunk's
    timeout. HEVC on UHD rungs needs it (its encoder costs ENCODE_COST_FACTORS times x264's); H.264 chunks of the
    default length stay far below it (a 2160p source's take 313 s of the 900)."""
    budget = CHUNK_TIMEOUT_SHARE * FUNCTION_TIMEOUT_SECONDS["TranscodeChunk"]
    plan = plan_transcode(info, options.renditions, chunk_seconds, options.video_codec)
    encodes = options.stages is None or "transcode" in options.stages

    def too_slow(plan: TranscodePlan) -> bool:
        return max(work.aws_seconds for work in _chunk_works(info, plan)) > budget

    while encodes and chunk_seconds > SEGMENT_SECONDS and too_slow(plan):
        chunk_seconds = (math.ceil(chunk_seconds / SEGMENT_SECONDS) - 1) * SEGMENT_SECONDS
        plan = plan_transcode(info, options.renditions, chunk_seconds, options.video_codec)
    return plan


def _chunk_works(info: SourceInfo, plan: TranscodePlan) -> list[Work]:
    """Each TranscodeChunk's modelled work: decoding its stretch of the source, encoding every rung (at its codec's
    cost) and the x264 proxy, at the ladder's frame rate when that is above the benchmark's."""
    source_mp = _megapixels(info.width, info.height) if info.has_video else 0.0
    rungs_mp = sum(_megapixels(r.width, r.height) for r in plan.renditions)
    output_mp = rungs_mp * rates.ENCODE_COST_FACTORS[plan.video_codec]
    if info.has_video:
        output_mp += _megapixels(*proxy_size(info))
        output_mp *= max(1.0, min(info.nominal_fps, MAX_OUTPUT_FPS) / rates.TRANSCODE_BENCH_FPS)
    return [Work("TranscodeChunk", rates.TRANSCODE_FIXED + c.duration * (
        rates.TRANSCODE_DECODE_PER_SOURCE_MP * source_mp + rates.TRANSCODE_ENCODE_PER_OUTPUT_MP * output_mp))
        for c in plan.chunks]


def estimate_job(info: SourceInfo, options: JobOptions, *, chunk_seconds: float = DEFAULT_CHUNK_SECONDS,
                 default_caption_engine: str = "whisper", default_label_engine: str = "none",
                 prices: PriceTable | None = None, source: ObjectRef | None = None) -> JobEstimate:
    plan = plan_job(info, options, chunk_seconds)
    run = {stage: options.stages is None or stage in options.stages for stage in OPTIONAL_STAGES}
    engine = options.caption_engine or default_caption_engine
    labels = options.label_engine or default_label_engine
    chunks = plan.chunks
    source_mp = _megapixels(info.width, info.height) if info.has_video else 0.0

    branches: dict[str, float] = {}
    works: list[Work] = [Work("Probe", rates.PROBE_SECONDS)]
    # The states the execution enters, by kind (infra/pipeline.py), and the iterations of its Maps.
    visits = Counter({"task": 1, "parallel": 1})  # Probe, Stages
    iterations = 0
    on_chunks = scenes_on_chunks(run, info)
    fps = (info.fps or 25.0) / 25.0
    # A part's per-frame features, and its decode unless EncodeChunk's decode is shared (scenes/chunk.py).
    measure = [c.duration * (rates.SCENE_PART_PER_SECOND * fps
                             + rates.SCENE_DECODE_PER_SOURCE_MP * source_mp * (not on_chunks)) * info.has_video
               for c in chunks]
    scenes = math.ceil(rates.SCENES_PER_MINUTE * info.duration / 60) if run["scenes"] and info.has_video else 0
    scenes_join = _scenes_join(info, scenes, labels)
    if run["transcode"]:
        parts = _chunk_works(info, plan)
        if on_chunks:
            parts = [replace(p, local_seconds=p.local_seconds + m) for p, m in zip(parts, measure, strict=True)]
        playlists = len(chunks) * len(plan.renditions)
        proxy_mb = PROXY_KBPS * 125 * info.duration / 1e6
        # Each playlist is a GET; ffmpeg streams the proxy's parts from S3 (a GET each) and the joined proxy, the
        # only large file in /tmp, goes up. A chunk holds its rungs' segments and its proxy part until uploaded.
        join = Work("TranscodePackage", rates.PACKAGE_FIXED + rates.PACKAGE_PER_PLAYLIST * playlists
                    + proxy_mb / rates.CONCAT_MB_PER_SECOND,
                    io_seconds=(playlists + len(chunks)) * rates.S3_REQUEST_SECONDS
                    + 2 * proxy_mb / rates.S3_MB_PER_SECOND, tmp_bytes=int(proxy_mb * 1e6) + POSTER_BYTES)
        chunk_kbps = sum(r.video_kbps + r.audio_kbps for r in plan.renditions) + PROXY_KBPS
        parts = [replace(p, tmp_bytes=int(chunk_kbps * 125 * c.duration)) for p, c in zip(parts, chunks, strict=True)]
        iterations += len(chunks)
        if on_chunks:  # Scenes joins the parts the chunks measured, beside PackageHls
            branches["transcode"] = _map_wall(parts) + max(join.aws_seconds, scenes_join.aws_seconds)
            works += [*parts, join, scenes_join]
            # Requested, EncodeChunks, each, ChunksMeasuredScenes, PackageBesideScenes, PackageHls, ScenesFromChunks
            visits.update({"choice": 2, "map": 1, "task": len(chunks) + 2, "parallel": 1})
        else:
            branches["transcode"] = _map_wall(parts) + join.aws_seconds
            works += [*parts, join]
            # Requested, EncodeChunks, each, ChunksMeasuredScenes, PackageHls
            visits.update({"choice": 2, "map": 1, "task": len(chunks) + 1})
    else:
        visits.update({"choice": 1, "pass": 1})  # Requested, NotRequested
    if run["captions"] and engine == "transcribe" and info.has_audio:
        # Each chunk's audio comes out of its stretch of the source as FLAC (CaptionPart); each span's parts are
        # joined and sent to Transcribe (TranscribeStart), the spans' jobs polled side by side; Captions joins them.
        source_mb = (info.bit_rate or rates.SOURCE_KBPS * 1000) / 8e6
        parts = [Work("CaptionPart", rates.CAPTION_FIXED + rates.TRANSCRIBE_EXTRACT_PER_SECOND * c.duration,
                      io_seconds=2 * rates.S3_REQUEST_SECONDS
                      + c.duration * (source_mb + rates.FLAC_MB_PER_SECOND) / rates.S3_MB_PER_SECOND,
                      tmp_bytes=int(c.duration * rates.FLAC_MB_PER_SECOND * 1e6)) for c in chunks]
        spans = transcribe_spans(chunks)
        starts = [Work("TranscribeStart", rates.CAPTION_FIXED + rates.TRANSCRIBE_JOIN_PER_SECOND * span.duration,
                       {"transcribe.StartTranscriptionJob": 1},
                       io_seconds=(span.chunk_count + 2) * rates.S3_REQUEST_SECONDS
                       + 2 * span.duration * rates.FLAC_MB_PER_SECOND / rates.S3_MB_PER_SECOND,
                       tmp_bytes=int(span.duration * rates.FLAC_MB_PER_SECOND * 1e6)) for span in spans]
        polls = [max(1, math.ceil(span.duration * rates.TRANSCRIBE_TURNAROUND / span.poll_seconds)) for span in spans]
        join = Work("Captions", rates.CAPTIONS_JOIN_FIXED + rates.CAPTIONS_JOIN_PER_SECOND * info.duration)
        branches["captions"] = (_map_wall(parts) + max(w.aws_seconds + n * span.poll_seconds
                                                       for w, n, span in zip(starts, polls, spans, strict=True))
                                + join.aws_seconds)
        works += [*parts, *starts, join]
        # Requested, CaptionEngine, ExtractAudioParts and each part, TranscribeSpans; in each span TranscribeStart,
        # (Wait, Poll, TranscribeDone) each poll, TranscribeEnded; then CaptionsFromTranscribe.
        visits.update({"choice": 2 + sum(polls), "map": 2, "task": len(chunks) + len(spans) + sum(polls) + 1,
                       "wait": sum(polls), "pass": len(spans)})
        iterations += len(chunks) + len(spans)
    elif run["captions"]:
        rtf = rates.CAPTION_RTF.get(engine, max(rates.CAPTION_RTF.values())) if info.has_audio else 0.0
        parts = [Work("CaptionPart", rates.CAPTION_FIXED + rtf * (c.duration + 2 * CAPTION_OVERLAP_SECONDS))
                 for c in chunks]
        join = Work("Captions", rates.CAPTIONS_JOIN_FIXED + rates.CAPTIONS_JOIN_PER_SECOND * info.duration)
        branches["captions"] = _map_wall(parts) + join.aws_seconds
        works += [*parts, join]
        visits.update({"choice": 2, "map": 1, "task": len(chunks) + 1})  # Requested, Engine, Map, each, Captions
        iterations += len(chunks)
    else:
        visits.update({"choice": 1, "pass": 1})
    if run["scenes"] and on_chunks:
        visits.update({"choice": 2, "pass": 1})  # Requested, ScenesOnChunks, ScenesWithTranscode
    elif run["scenes"]:
        parts = [Work("ScenePart", rates.SCENE_PART_FIXED + m) for m in measure]
        branches["scenes"] = _map_wall(parts) + scenes_join.aws_seconds
        works += [*parts, scenes_join]
        visits.update({"choice": 2, "map": 1, "task": len(chunks) + 1})  # Requested, OnChunks, Map, each, Scenes
        iterations += len(chunks)
    else:
        visits.update({"choice": 1, "pass": 1})
    # ScenesJoinedWithTranscode; with the chunks' scenes, ChunkScenesApart, ChunkScenesIntoStages, ChunkScenesInStages
    visits.update({"choice": 1, "pass": 3 * on_chunks})
    if run["scenes"] and run["captions"]:
        after = [Work("SceneSpeech", rates.SCENE_SPEECH_SECONDS)]
        visits.update({"choice": 1, "task": 1})  # SceneSpeechNeeded, SceneSpeech
    else:
        after = []
        visits.update({"choice": 1, "pass": 1})  # SceneSpeechNeeded, SceneSpeechWithout...
    visits.update({"choice": 1})  # TrailerRequested
    trailer = trailer_seconds(options, info.duration) if run["trailer"] and run["scenes"] and info.has_video else 0.0
    if run["trailer"]:
        scale = max(1.0, source_mp / rates.MEGAPIXELS_360P)
        after.append(Work("Trailer", rates.TRAILER_FIXED + trailer * rates.TRAILER_PER_OUTPUT_SECOND_AT_360P * scale,
                          tmp_bytes=int(2 * TRAILER_KBPS * 125 * trailer)))
        visits["task"] += 1
    else:
        visits["pass"] += 1
    visits.update({"task": 1, "choice": 1, "end": 1})  # Finalize, Outcome, JobDone (or JobFailed)
    segments = math.ceil(info.duration / SEGMENT_SECONDS)
    subtitles = segments if run["captions"] and run["transcode"] and info.has_audio else 0
    objects = segments * (len(plan.renditions) + 1) + 2 * scenes + 50
    finalize_requests = (subtitles / UPLOAD_WORKERS + math.ceil(objects / rates.LIST_KEYS_PER_PAGE)
                         + math.ceil(history_events(visits, iterations) / rates.HISTORY_EVENTS_PER_PAGE) + 10)
    after.append(Work("Finalize", rates.FINALIZE_FIXED, io_seconds=finalize_requests * rates.S3_REQUEST_SECONDS))
    works += after
    transitions = sum(visits.values())

    wall = (works[0].aws_seconds + max(branches.values(), default=0.0) + sum(w.aws_seconds for w in after)
            + transitions * rates.TRANSITION_SECONDS)
    use = ExecutionUse(invocations=[w.use() for w in works], transitions=transitions)
    storage = _storage(info, plan, run, scenes, trailer, transcribe=run["captions"] and engine == "transcribe")
    cost = price_job(use, storage, info.duration, prices or price_table(), later_puts=0)
    invocations: dict[str, int] = {}
    longest: dict[str, float] = {}
    tmp: dict[str, int] = {}
    for work in works:
        invocations[work.function] = invocations.get(work.function, 0) + 1
        longest[work.function] = round(max(longest.get(work.function, 0.0), work.aws_seconds), 1)
        if work.tmp_bytes:
            tmp[work.function] = max(tmp.get(work.function, 0), work.tmp_bytes)
    name, size = largest_state(info, plan, options, source)
    return JobEstimate(source_seconds=info.duration, chunks=len(chunks), chunk_seconds=chunks[0].duration,
                       invocations=invocations,
                       transitions=transitions, history_events=history_events(visits, iterations),
                       longest_invocation_seconds=longest,
                       over_timeout={f: t for f, t in longest.items() if t > FUNCTION_TIMEOUT_SECONDS[f]},
                       largest_tmp_bytes=tmp,
                       over_tmp={f: b for f, b in tmp.items() if b > FUNCTION_EPHEMERAL_MB[f] * 2**20},
                       wall_seconds=round(wall, 1), cost=cost,
                       largest_state_bytes=size, largest_state=name)


def history_events(visits: Counter[str], iterations: int) -> int:
    """The events a successful execution's history holds: each state's own (entered and exited; a task's
    scheduled, started and succeeded too; a Map's or Parallel's started and succeeded), each Map iteration's
    started and succeeded, and the execution's started and succeeded. Retries add events and are not counted."""
    return sum(count * EVENTS_PER_VISIT[kind] for kind, count in visits.items()) + 2 * iterations + 2


def _label_rate() -> float:
    """DetectLabels calls a second, as label_scenes paces them. Imported here, not at the top: the scenes package
    loads OpenCV and NumPy, which Probe (whose budget guard runs this estimate) never needs otherwise."""
    from functions.core.scenes.labels import LABEL_TPS, LABEL_WORKERS

    return min(LABEL_TPS, LABEL_WORKERS / rates.REKOGNITION_SECONDS)


def _scenes_join(info: SourceInfo, scenes: int, labels: str) -> Work:
    """Scenes' modelled work: joining the parts, shots, records, faces, labels, exports and thumbnails."""
    paid = {"rekognition.DetectLabels": scenes} if labels == "rekognition" and scenes else None
    faces = rates.SCENES_FACES_PER_SCENE * scenes
    frames = info.duration * (info.fps or 25.0) * info.has_video
    # Thumbnails go UPLOAD_WORKERS at a time, labels LABEL_WORKERS at a time no faster than LABEL_TPS a second;
    # the catalog writes 25 items a batch.
    label_wait = scenes / _label_rate() if paid else 0.0
    requests = scenes / UPLOAD_WORKERS + scenes / 25
    return Work("Scenes", rates.SCENES_JOIN_FIXED + rates.SCENES_JOIN_PER_FRAME * frames
                + rates.SCENES_JOIN_PER_SCENE * scenes + faces, paid, parallel_seconds=faces,
                io_seconds=requests * rates.S3_REQUEST_SECONDS + label_wait,
                tmp_bytes=scenes * (THUMBNAIL_BYTES + 5 * SCENE_RECORD_BYTES) + CONTACT_SHEET_BYTES)


def _map_wall(parts: list[Work]) -> float:
    """A Map runs MAP_CONCURRENCY items at once: each wave takes as long as its longest item."""
    waves = [parts[i:i + MAP_CONCURRENCY] for i in range(0, len(parts), MAP_CONCURRENCY)]
    return sum(max(w.aws_seconds for w in wave) for wave in waves)


def _storage(info: SourceInfo, plan: TranscodePlan, run: dict[str, bool], scenes: int, trailer: float,
             transcribe: bool = False) -> StorageUse:
    """The objects the plan writes: each rung's segments and playlist, the proxy, captions, scene files and
    thumbnails, the trailers; and the work files of each chunk."""
    duration = info.duration
    segments = math.ceil(duration / SEGMENT_SECONDS)
    outputs: list[StoredObject] = []
    work: list[StoredObject] = []
    if run["transcode"]:
        inits = len(plan.chunks) if SEGMENT_FORMATS[plan.video_codec].segment_type == "fmp4" else 0
        for rung in plan.renditions:
            size = int((rung.video_kbps + rung.audio_kbps) * 125 * SEGMENT_SECONDS)
            outputs += [StoredObject(f"hls/{rung.name}/seg", size)] * segments
            outputs += [StoredObject(f"hls/{rung.name}/init", INIT_SECTION_BYTES)] * inits
            outputs.append(StoredObject(f"hls/{rung.name}/index.m3u8", 100 * segments))
        outputs += [StoredObject("master.m3u8", 1000), StoredObject("poster.jpg", POSTER_BYTES),
                    StoredObject("proxy", int(PROXY_KBPS * 125 * duration))]
        work += [StoredObject("work/chunk", 100 * segments)] * (len(plan.renditions) * len(plan.chunks))
        work += [StoredObject("work/proxy-part", int(PROXY_KBPS * 125 * c.duration)) for c in plan.chunks]
    if run["captions"] and info.has_audio:
        outputs += [StoredObject("captions", int(40 * duration))] * 3  # transcript, VTT, SRT
        outputs += [StoredObject("hls/subs/seg.vtt", 200)] * (segments + 1) if run["transcode"] else []
        work += [StoredObject("work/caption-part", int(60 * c.duration)) for c in plan.chunks]
        if transcribe:  # each chunk's FLAC, then each span's joined FLAC
            work += [StoredObject("work/audio-part", int(rates.FLAC_MB_PER_SECOND * 1e6 * c.duration))
                     for c in plan.chunks] * 2
    if run["scenes"] and info.has_video:
        outputs += [StoredObject("thumbs/scene.jpg", THUMBNAIL_BYTES)] * scenes
        outputs += [StoredObject("scenes.*", SCENE_RECORD_BYTES * scenes)] * 5
        outputs.append(StoredObject("contact_sheet.jpg", CONTACT_SHEET_BYTES))
        work += [StoredObject("work/scene-part", int(2_000 * c.duration)) for c in plan.chunks]
    if trailer:
        outputs += [StoredObject("trailer", int(TRAILER_KBPS * 125 * trailer))] * 2
        outputs.append(StoredObject("trailer.json", 5_000))
    outputs.append(StoredObject("manifest.json", 10_000))
    return StorageUse(outputs=outputs, work=work, listings=2)


def largest_state(info: SourceInfo, plan: TranscodePlan, options: JobOptions,
                  source: ObjectRef | None = None) -> tuple[str, int]:
    """The largest state the execution carries, built from the models with the widest values each field takes,
    and its size in bytes as Step Functions counts it (compact JSON, UTF-8). The chunk Maps' results are the
    big ones: each branch keeps its Map's results beside the job until its join reads them."""
    sizes = state_sizes(info, plan, options, source)
    name = max(sizes, key=sizes.__getitem__)
    return name, sizes[name]


def state_sizes(info: SourceInfo, plan: TranscodePlan, options: JobOptions,
                source: ObjectRef | None = None) -> dict[str, int]:
    """The size of each state the execution carries that grows with the plan (see largest_state)."""
    job = JobInput(
        job_id="j" + "f" * 23, asset_id="a" + "f" * 15,
        source=source or ObjectRef(bucket="reelflow-storageingest-" + "x" * 40, key="k" * 1024,
                                   version_id="v" * 32, etag="e" * 34, size=100 * 1024**3),
        options=options, execution_arn="arn:aws:states:us-east-1:123456789012:execution:" + "m" * 80 + ":j" + "f" * 23)
    spans = transcribe_spans(plan.chunks) if options.caption_engine == "transcribe" and info.has_audio else []
    probe = ProbeResult(source=info, plan=plan, seconds=99999.999, billed_ms=120000, memory_mb=10240,
                        transcribe_spans=spans)
    state = json.loads(job.model_dump_json()) | {"probe": json.loads(probe.model_dump_json())}
    work = f"work/{job.asset_id}/{job.job_id}"
    billing = {"seconds": 99999.999, "billed_ms": 900000, "memory_mb": 10240}
    rungs = {r.name: RungStats(bytes=10**10, seconds=99.999, peak_bps=1e8 + 0.5) for r in plan.renditions}
    chunk_results = [ChunkResult(index=c.index, rungs=rungs, proxy_key=f"{work}/proxy/chunk-{c.index:05d}.mp4",
                                 **billing) for c in plan.chunks]
    caption_parts = [CaptionPartResult(index=c.index, start=c.start + 0.123, words=99999,
                                       key=f"{work}/captions/part-{c.index:04d}.json", **billing) for c in plan.chunks]
    scene_parts = [ScenePartResult(index=c.index, key=f"{work}/scenes/part-{c.index:04d}.npz", frames=999999,
                                   **billing) for c in plan.chunks]
    span_results = [TranscribeSpanResult(span=span, status="COMPLETED", transcribe=TranscribeJob(
        job_name=span_job_name(job.job_id, span.index), output_key=span_result_key(work, span.index), **billing))
        for span in spans]
    chunk_input = ChunkInput(**job.model_dump(), probe=probe, chunk=plan.chunks[-1])
    stage = StageResult(stage="captions", status=StageStatus.SUCCEEDED, seconds=99999.999, billed_ms=900000,
                        memory_mb=10240, note="n" * 200, outputs={f"output_{i}": "p" * 40 for i in range(8)},
                        details={"keywords": ["k" * 12] * 20, "tags": ["t" * 14] * 30, "word_count": 10**6})

    def size(value: object) -> int:
        return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())

    def dump(models: list) -> list:
        return [json.loads(m.model_dump_json(exclude={"paid_calls"})) for m in models]

    stages = [json.loads(stage.model_dump_json())] * 3
    return {
        "EncodeChunk (one chunk's input)": size(json.loads(chunk_input.model_dump_json())),
        "PackageHls (the transcode Map's results)": size(state | {"chunks": dump(chunk_results)}),
        "Captions (the caption parts)": size(state | {"caption_parts": dump(caption_parts)}),
        "CaptionsFromTranscribe (the audio parts and the spans' jobs)": size(
            state | {"caption_parts": dump(caption_parts), "transcribe_spans": dump(span_results)}),
        "Scenes (the scene parts)": size(state | {"scene_parts": dump(scene_parts)}),
        "Finalize (every stage's result)": size(state | {"stages": stages, "scene_speech": stages[0],
                                                         "trailer": stages[0]}),
    }
