"""The Lambda functions: one container image (ffmpeg, pocketsphinx and OpenCV exceed a layer), one handler each,
and each function's grants beside it: its rows of the grants table (infra/grants.py), the job table if it keeps
records, and the service actions only it uses."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

from aws_cdk import Duration, Size, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.core.metrics import NAMESPACE, SERVICE
from infra.nag import LAMBDA_BASIC_EXECUTION, TRANSCRIPTION_JOBS, acknowledge, default_policy
from infra.storage import Storage

REPO_ROOT = Path(__file__).resolve().parent.parent

# Everything the image build does not need; synth copies the rest of the repo as the build context.
BUILD_CONTEXT_EXCLUDES = [
    ".git",
    ".venv",
    "node_modules",
    "cdk.out",
    "reelflow-out",
    ".reelflow",
    "bench-out",
    "tests",
    "bench",
    "events",
    "samples",
    "**/__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".hypothesis",
]


MINUTES_15 = 900


@dataclass(frozen=True)
class FunctionSpec:
    """How one handler runs: the module path inside the image, memory, timeout and storage (its S3 and table
    grants are its rows in infra/grants.py); `unscoped`: why its role holds actions on "*" beyond X-Ray's (they name no resource)."""

    name: str
    handler: str
    memory_mb: int = 1024
    timeout_s: int = 60
    ephemeral_mb: int = 512
    description: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    unscoped: str = ""


class MediaFunctions(Construct):
    """Builds each FunctionSpec as a DockerImageFunction from the shared image, with the environment every
    function shares, and grants it what its name and spec say (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        reserved_concurrency: dict[str, int] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.storage = storage
        self._environment = {
            "TABLE_NAME": storage.table.table_name,
            "OUTPUT_BUCKET": storage.output.bucket_name,
            "POWERTOOLS_SERVICE_NAME": SERVICE,
            "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        # By function name (infra.config.RESERVED_CONCURRENCY); a name without an entry reserves nothing.
        self.reserved_concurrency = reserved_concurrency or {}
        self.functions: dict[str, lambda_.Function] = {}

    def add(self, spec: FunctionSpec) -> lambda_.Function:
        code = lambda_.DockerImageCode.from_image_asset(
            str(REPO_ROOT),
            file="functions/Dockerfile",
            cmd=[spec.handler],
            exclude=BUILD_CONTEXT_EXCLUDES,
        )
        log_group = logs.LogGroup(
            self, f"{spec.name}Logs", retention=logs.RetentionDays.ONE_MONTH
        )
        fn = lambda_.DockerImageFunction(
            self,
            spec.name,
            code=code,
            description=spec.description,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            ephemeral_storage_size=Size.mebibytes(spec.ephemeral_mb),
            architecture=lambda_.Architecture.X86_64,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            environment={**self._environment, **spec.environment},
            reserved_concurrent_executions=self.reserved_concurrency.get(spec.name),
        )
        self.functions[spec.name] = fn
        # S3: the actions and key prefixes it uses (infra/grants.py, listed in the README). No stage writes or
        # deletes a source; only the API deletes outputs or sources.
        self.storage.grant_s3(fn, spec.name)
        self.storage.grant_tables(fn, spec.name)
        assert fn.role is not None
        acknowledge(fn.role, LAMBDA_BASIC_EXECUTION,
                    "The AWS-managed minimum for Lambda: it grants only CloudWatch Logs writes.")
        acknowledge(default_policy(fn.role), "AwsSolutions-IAM5[Resource::*]",
                    "X-Ray PutTraceSegments/PutTelemetryRecords accept no resource ARN"
                    + (f", nor does {spec.unscoped}." if spec.unscoped else "."))
        return fn


@dataclass(frozen=True)
class StageFunctions:
    """The functions the state machine invokes, one per task (infra/pipeline.py)."""

    probe: lambda_.Function
    transcode_chunk: lambda_.Function
    transcode_package: lambda_.Function
    caption_part: lambda_.Function
    captions: lambda_.Function
    transcribe_start: lambda_.Function
    scene_part: lambda_.Function
    scenes: lambda_.Function
    scene_speech: lambda_.Function
    trailer: lambda_.Function
    finalize: lambda_.Function

    def __iter__(self) -> Iterator[lambda_.Function]:
        return (getattr(self, f.name) for f in fields(self))

    @classmethod
    def add_to(cls, functions: MediaFunctions, *, caption_engine: str, label_engine: str,
               budget: dict[str, str] | None = None) -> StageFunctions:
        """Every stage's function, with the grants beyond its S3 rows that it alone needs. Probe estimates each
        job with the stack's default engines and refuses it over the `budget` defaults (StackConfig)."""
        stack = Stack.of(functions)
        add = functions.add
        probe = add(FunctionSpec(
            "Probe", "functions.probe.handler.handler", memory_mb=1024, timeout_s=120,
            description="Probe and validate the source; plan the ladder, chunks and engines",
            environment={"DEFAULT_CAPTION_ENGINE": caption_engine, "DEFAULT_LABEL_ENGINE": label_engine,
                         **(budget or {})}))
        transcode_chunk = add(FunctionSpec(
            "TranscodeChunk", "functions.transcode_chunk.handler.handler",
            memory_mb=10240, timeout_s=MINUTES_15, ephemeral_mb=10240,
            description="Encode one chunk of the source into every HLS rung"))
        transcode_package = add(FunctionSpec(
            "TranscodePackage", "functions.transcode_package.handler.handler",
            memory_mb=3008, timeout_s=MINUTES_15, ephemeral_mb=10240,
            description="Join chunk playlists into the HLS ladder; proxy and poster"))
        # Whisper's int8 matrix work uses every vCPU it gets (cpu_threads = vCPUs); 4 GB brings about 2.3.
        caption_part = add(FunctionSpec(
            "CaptionPart", "functions.caption_part.handler.handler",
            memory_mb=4096, timeout_s=MINUTES_15, ephemeral_mb=512,
            description="Speech recognition on one part of the soundtrack (a chunk plus overlaps), or its audio for "
                        "Transcribe"))
        captions = add(FunctionSpec(
            "Captions", "functions.captions.handler.handler",
            memory_mb=3008, timeout_s=MINUTES_15, ephemeral_mb=1024,
            description="Join the caption parts (or read Transcribe's result); transcript, WebVTT, SRT"))
        # Transcribe reads the extracted audio and writes its result as the caller (no service role).
        captions.add_to_role_policy(iam.PolicyStatement(
            actions=["transcribe:GetTranscriptionJob"],
            resources=[stack.format_arn(service="transcribe", resource="transcription-job", resource_name="*")]))
        transcribe_start = add(FunctionSpec(
            "TranscribeStart", "functions.transcribe_start.handler.handler",
            memory_mb=1024, timeout_s=MINUTES_15, ephemeral_mb=4096,
            description="Join one span's audio parts and start its Amazon Transcribe job",
            unscoped="transcribe:StartTranscriptionJob (IAM defines no resource type for it)"))
        # StartTranscriptionJob has no resource type in IAM (a job-ARN grant never matches, and the vocabulary it
        # names is not authorised separately), so it is granted on "*"; GetVocabulary tells TranscribeStart a
        # vocabulary's language for automatic language identification.
        transcribe_start.add_to_role_policy(iam.PolicyStatement(
            actions=["transcribe:StartTranscriptionJob"], resources=["*"]))
        transcribe_start.add_to_role_policy(iam.PolicyStatement(
            actions=["transcribe:GetVocabulary"],
            resources=[stack.format_arn(service="transcribe", resource="vocabulary", resource_name="*")]))
        acknowledge(default_policy(transcribe_start.role),
                    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:transcribe:<AWS::Region>:<AWS::AccountId>:"
                    "vocabulary/*]",
                    "The custom vocabulary is a job option chosen at run time; the action is GetVocabulary only.")
        for fn in (transcribe_start, captions):
            acknowledge(default_policy(fn.role), f"AwsSolutions-IAM5[Resource::{TRANSCRIPTION_JOBS}]",
                        "Transcription job names are derived from job ids at run time; the action is start or "
                        "get only.")
        # Decoding every frame is most of the cost; ffmpeg's frame threads use the 6 vCPUs 10 GB brings.
        scene_part = add(FunctionSpec(
            "ScenePart", "functions.scene_part.handler.handler",
            memory_mb=10240, timeout_s=MINUTES_15, ephemeral_mb=1024,
            description="Decode one part of the footage and measure every frame for scene detection"))
        # Face detection runs on every vCPU (records.build_scenes): 10 GB brings six, for a 12 h source's 13,000 scenes.
        scenes = add(FunctionSpec(
            "Scenes", "functions.scenes.handler.handler",
            memory_mb=10240, timeout_s=MINUTES_15, ephemeral_mb=1024,
            description="Join the parts; shots, per-scene features and tags, thumbnails, exports",
            environment={"DEFAULT_LABEL_ENGINE": label_engine},
            unscoped="rekognition:DetectLabels on image bytes"))
        # DetectLabels on image bytes names no resource, so it can only be granted on "*".
        scenes.add_to_role_policy(iam.PolicyStatement(actions=["rekognition:DetectLabels"], resources=["*"]))
        scene_speech = add(FunctionSpec(
            "SceneSpeech", "functions.scene_speech.handler.handler", memory_mb=512, timeout_s=120,
            description="Speech share and dialogue tags per scene, once scenes and captions are done"))
        trailer = add(FunctionSpec(
            "Trailer", "functions.trailer.handler.handler",
            memory_mb=3008, timeout_s=MINUTES_15, ephemeral_mb=2048,
            description="Highlight reel from scenes and words, 16:9 and 9:16"))
        finalize = add(FunctionSpec(
            # A 12 h source's manifest step writes 7,200 subtitle segments and reads a long history: one vCPU
            # (1,769 MB) and Lambda's longest timeout (rates.py models it).
            "Finalize", "functions.finalize.handler.handler", memory_mb=1769, timeout_s=MINUTES_15,
            description="Write the manifest and the job's final status"))
        # The "Job ..." outcome events.
        events.EventBus.from_event_bus_name(functions, "DefaultBus", "default").grant_put_events_to(finalize)
        return cls(probe=probe, transcode_chunk=transcode_chunk, transcode_package=transcode_package,
                   caption_part=caption_part, captions=captions, transcribe_start=transcribe_start,
                   scene_part=scene_part, scenes=scenes, scene_speech=scene_speech, trailer=trailer,
                   finalize=finalize)
