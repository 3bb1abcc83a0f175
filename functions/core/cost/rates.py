"""Per-function speeds the estimate (and so the budget guard) works from: seconds of handler time for a given
amount of work, as measured on the development machine (2 shared cores, Python 3.11, ffmpeg n9.0.2), and how
that time scales to each function's size in AWS.

Where each figure was measured (README "Benchmarks"; docs FINDINGS; the sample run of `reelflow run`):
- TranscodeChunk: `make bench` transcode, 30 s of 1080p at 20 Mbps through the transcode stage in 60.4 s (4 rungs
  1080/720/480/360 and the 540p proxy: 4.15 output megapixels a frame); decoding 1080p alone runs at 15-23x
  real time (FINDINGS), 0.05 s per second of footage, about 0.025 s per source megapixel.
- HEVC rungs: x265 `faster` against the ladder's x264 `veryfast`, CPU seconds (user + system) of one encode at the
  rung's settings (HEVC at 0.6x the rate, VBV, 4 s GOP), video only, the better of two runs: a 6 s 720p testsrc2 clip
  (tests/media.make_clip) 5.34 s x264, 15.23 s x265 (2.85x); the sample's 20 s of 360p 7.89 s and 23.95 s (3.04x).
  x265 `veryfast` cost the same, `fast` 3.6x. ENCODE_COST_FACTORS rounds the larger ratio to 3.
- CaptionPart: `make bench` captions, real-time factor with model loading: whisper 0.263, pocketsphinx 0.46.
- ScenePart: `make bench` scenes, Reelflow's analyser at the speed of PySceneDetect's AdaptiveDetector, which ran at
  480-545 frames/s on 640x360 (FINDINGS): 0.05 s per second of 25 fps footage; a larger source costs its decoding.
- Trailer: `make bench` trailer, 2.39 s for the sample's 6.7 s trailer of 360p footage.
- Probe, Captions, SceneSpeech: the sample's run (each handler's own time), split into a fixed part and a part
  per second of footage by judgement.
- Scenes, TranscodePackage, the FLAC join: `python -m bench.bench_joins` on synthetic long plans (30 min and 2 h:
  542 and 2,169 scenes, 15 and 60 parts), with the time split by cProfile: Scenes' join of the parts and the
  detection grow with frames (19 us a frame), its records and files with scenes (8 ms a scene on one thread,
  besides faces), and the face detection (20 ms a detection, up to 3 a scene) runs on every core; the playlists
  take 5.6 ms per chunk and rung; ffmpeg's concat (stream copy) joined the proxy at 44 MB/s. TranscribeStart's
  join of a span's FLAC parts decodes and encodes them once more (stream copy makes an invalid FLAC: each part
  restarts its timestamps): 24 and 38 s per hour of 16 kHz mono audio (pink noise, FLAC's worst case), on one
  thread, in two runs under a load average near 69 on the two cores; the slower is used.
- Requests: each S3 request or Rekognition call is a round trip whatever the function's size. AWS publishes
  latencies, not a figure for Lambda: S3's first byte takes 100-200 ms for small objects (S3 performance
  guidelines), which is the figure used; DetectLabels is assumed at 0.5 s. Bytes move at S3_MB_PER_SECOND
  (assumed: AWS publishes no Lambda network bandwidth). Where a function sends them from a pool of threads
  (s3io.UPLOAD_WORKERS, labels.LABEL_WORKERS) they overlap.

Scaling to AWS: Lambda gives a function one vCPU per 1,769 MB of memory (up to 6). Work that uses every core
(ffmpeg's encoders and decoders, Whisper's matrix work) runs LOCAL_CORES / vCPUs times as long; work on one thread
runs 1 / min(1, vCPUs) times as long.
"""
from __future__ import annotations

from functions.core.models import VideoCodec

LOCAL_CORES = 2
MB_PER_VCPU = 1769
MAX_VCPUS = 6
# A container-image function's first invocation on a new instance (image pull and imports); counted for every
# invocation of the chunk Maps, which start new instances, and once for each other function.
COLD_START_SECONDS = 2.0
# The state machine's own time between states (Step Functions' scheduling of a Lambda task).
TRANSITION_SECONDS = 0.05

TRANSCODE_FIXED = 1.0
TRANSCODE_DECODE_PER_SOURCE_MP = 0.025
# (60.4 s / 30 s - 0.05 - 1.0 / 30) / 4.15 output megapixels
TRANSCODE_ENCODE_PER_OUTPUT_MP = 0.47
# A rung's encode time per output megapixel against x264's (the proxy stays x264), by codec (models.VideoCodec).
ENCODE_COST_FACTORS = {VideoCodec.H264: 1.0, VideoCodec.HEVC: 3.0}
# make bench's transcode input is 30 fps: output above it (up to the ladder's 60) is more frames to encode, in
# proportion; slower footage is counted at 30 (the figures above were never scaled down for it).
TRANSCODE_BENCH_FPS = 30.0
PACKAGE_FIXED = 1.0
PACKAGE_PER_PLAYLIST = 0.0056  # per chunk and rung: parsing its playlist and writing the joined one
CONCAT_MB_PER_SECOND = 44.0  # ffmpeg's concat demuxer, stream copy, local disk
CAPTION_FIXED = 0.5
CAPTION_RTF = {"whisper": 0.263, "pocketsphinx": 0.46}
CAPTIONS_JOIN_FIXED, CAPTIONS_JOIN_PER_SECOND = 1.0, 0.02
# Extracting a chunk's 16 kHz mono FLAC for Transcribe (CaptionPart): an audio-only decode, far faster than real
# time; the chunk's stretch of the source still comes over the network (SOURCE_KBPS when the probe found no rate).
TRANSCRIBE_EXTRACT_PER_SECOND = 0.02
# TranscribeStart's join of a span's parts (bench_joins: decode and encode FLAC), per second of audio.
TRANSCRIBE_JOIN_PER_SECOND = 38.4 / 3600
# 16 kHz mono 16-bit FLAC is at most the raw PCM's 32 kB a second (noise; speech compresses to about half).
FLAC_MB_PER_SECOND = 0.032
SOURCE_KBPS = 20_000  # make bench's 1080p source
# Amazon Transcribe's own turnaround for a batch job, in seconds per second of audio (AWS publishes none: a
# conservative half of real time); functions.core.captions.spans sets the poll interval from it.
TRANSCRIBE_TURNAROUND = 0.5
SCENE_PART_FIXED, SCENE_PART_PER_SECOND, SCENE_DECODE_PER_SOURCE_MP = 0.5, 0.05, 0.025
SCENES_JOIN_FIXED = 1.0
SCENES_JOIN_PER_FRAME = 19e-6  # joining the parts and detecting shots
SCENES_JOIN_PER_SCENE = 0.008  # records, editor exports, scenes.json, thumbnails written (one thread)
# Face detection: ~20 ms a detection on one core, up to 3 a scene, on every core (records.build_scenes).
SCENES_FACES_PER_SCENE = 3 * 0.020 / LOCAL_CORES
# The sample's analysis: 6 scenes in 20 s; Rekognition is called once per scene.
SCENES_PER_MINUTE = 18
SCENE_SPEECH_SECONDS = 0.6
TRAILER_FIXED, TRAILER_PER_OUTPUT_SECOND_AT_360P = 0.5, 0.28
PROBE_SECONDS = 0.6
FINALIZE_FIXED = 1.0
# Reading the history (1,000 events a page), listing the outputs (1,000 keys a page): requests, counted by the
# estimate with the subtitle segments Finalize writes.
HISTORY_EVENTS_PER_PAGE = LIST_KEYS_PER_PAGE = 1000
S3_REQUEST_SECONDS = 0.15
REKOGNITION_SECONDS = 0.5
S3_MB_PER_SECOND = 80.0
MEGAPIXELS_360P = 640 * 360 / 1e6


# Which functions' work uses every core.
PARALLEL = frozenset({"TranscodeChunk", "CaptionPart", "ScenePart", "Trailer"})


def vcpus(memory_mb: int) -> float:
    return min(MAX_VCPUS, memory_mb / MB_PER_VCPU)


def aws_seconds(function: str, local_seconds: float, memory_mb: int) -> float:
    """`local_seconds` of work on the development machine, on `function` in AWS at `memory_mb`."""
    cpus = vcpus(memory_mb)
    if function in PARALLEL:
        return local_seconds * LOCAL_CORES / cpus
    return local_seconds / min(1.0, cpus)
