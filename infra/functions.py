"""The Lambda functions: one container image (ffmpeg, pocketsphinx and OpenCV exceed a layer), one handler each."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aws_cdk import Duration, Size
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

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


@dataclass(frozen=True)
class FunctionSpec:
    """How one handler runs: the module path inside the image, memory, timeout and storage."""

    name: str
    handler: str
    memory_mb: int = 1024
    timeout_s: int = 60
    ephemeral_mb: int = 512
    description: str = ""
    environment: dict[str, str] = field(default_factory=dict)


class MediaFunctions(Construct):
    """Builds each FunctionSpec as a DockerImageFunction from the shared image."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        environment: dict[str, str],
        reserved_concurrency: dict[str, int] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._environment = environment
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
        return fn

