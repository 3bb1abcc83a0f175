"""The stage functions as the cost code sees them: which stage each serves, its configured memory, which Task
state of the state machine invokes it, and which stream the source. infra/functions.py configures the functions
and infra/pipeline.py names the states; tests/infra keeps these tables equal to the synthesized template."""
from __future__ import annotations

from functions.core.models import StageName

FUNCTION_STAGES: dict[str, StageName] = {
    "Probe": "probe",
    "TranscodeChunk": "transcode",
    "TranscodePackage": "transcode",
    "CaptionPart": "captions",
    "Captions": "captions",
    "TranscribeStart": "captions",
    "ScenePart": "scenes",
    "Scenes": "scenes",
    "SceneSpeech": "scene_speech",
    "Trailer": "trailer",
    "Finalize": "finalize",
}
# MemorySize in the template; used where an invocation's own result cannot say (it failed), and by the estimate.
FUNCTION_MEMORY_MB: dict[str, int] = {
    "Probe": 1024,
    "TranscodeChunk": 10240,
    "TranscodePackage": 3008,
    "CaptionPart": 4096,
    "Captions": 3008,
    "TranscribeStart": 1024,
    "ScenePart": 10240,
    "Scenes": 10240,
    "SceneSpeech": 512,
    "Trailer": 3008,
    "Finalize": 1769,
}
# Timeout in the template (seconds); the estimate holds each function's longest invocation against it.
FUNCTION_TIMEOUT_SECONDS: dict[str, int] = {name: 900 for name in FUNCTION_MEMORY_MB} | {
    "Probe": 120, "SceneSpeech": 120}
# EphemeralStorage in the template (MB of /tmp); the estimate holds each invocation's files against it.
FUNCTION_EPHEMERAL_MB: dict[str, int] = {name: 512 for name in FUNCTION_MEMORY_MB} | {
    "TranscodeChunk": 10240, "TranscodePackage": 10240, "Captions": 1024, "TranscribeStart": 4096,
    "ScenePart": 1024, "Scenes": 1024, "Trailer": 2048}
# Task state name -> the function it invokes.
STATE_FUNCTIONS: dict[str, str] = {
    "Probe": "Probe",
    "EncodeChunk": "TranscodeChunk",
    "PackageHls": "TranscodePackage",
    "PackageHlsBesideScenes": "TranscodePackage",
    "TranscribePart": "CaptionPart",
    "ExtractAudioPart": "CaptionPart",
    "Captions": "Captions",
    "CaptionsFromTranscribe": "Captions",
    "TranscribeStart": "TranscribeStart",
    "MeasureScenePart": "ScenePart",
    "MeasureScenePartAfterTranscode": "ScenePart",
    "Scenes": "Scenes",
    "ScenesFromChunks": "Scenes",
    "ScenesAfterTranscode": "Scenes",
    "SceneSpeech": "SceneSpeech",
    "Trailer": "Trailer",
    "Finalize": "Finalize",
}
# Functions that stream the source through a presigned URL: at least one ranged GET each.
SOURCE_READERS = frozenset({"Probe", "TranscodeChunk", "CaptionPart", "ScenePart", "Trailer"})
