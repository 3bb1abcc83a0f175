"""Scene parts measured on a transcode chunk's own decode, so a job that transcodes and detects scenes decodes once.

EncodeChunk's ffmpeg already decodes every frame of its chunk; one more branch of its picture, shrunk to the analysis
size, goes to the same per-frame measurements a ScenePart makes (and its first audio stream to the same loudness
filter). A decode of a separate ScenePart costs about as much as PySceneDetect's whole run; this branch costs a
fraction of that (bench/bench_scenes.py times both).

A part still needs the frames before its chunk (the preroll, see parts.py) and 0.3 s of audio after its first
loudness block: ebur128's first three momentary values of a stream look back before it. Both come from a short decode
of their own, made at full quality like the chunk's, so the seam between the two decodes is invisible to the measures.
The blocks count from the audio's first sample, as one pass's do: chunks are whole HLS segments on the picture's
timeline, so when the audio starts off their 100 ms grid the chunk's loudness starts at its first block. The result is a
FramePass like ScenePart's, and the parts join the same way: the state machine's transcode branch runs Scenes on
them beside PackageHls (transcode.scenes_on_chunks says which jobs do this).
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from functions.core.ffmpeg import Filter, ProgressCallback, ffmpeg_command, with_filters
from functions.core.models import Chunk, SourceInfo, TranscodePlan
from functions.core.scenes.boundaries import DEFAULT_SETTINGS, DetectorSettings, gradual_windows
from functions.core.scenes.decode import (
    FRAME_OUTPUT, LOUDNESS_BLOCK, LOUDNESS_FILTERS, LoudnessTrack, Window, analysis_filters, analysis_size,
    block_start, decode, read_frame_times, read_loudness, stream_frames,
)
from functions.core.scenes.features import FrameAnalyser
from functions.core.scenes.keyframes import KeyframeSampler, candidate_stride
from functions.core.scenes.parts import FramePass, chunk_window
from functions.core.transcode import Segment, chunk_lead, chunk_segments, encode_chunk_args, tone_maps

# ebur128's momentary loudness spans four 100 ms blocks: a stream's first three values look back before its start.
_PARTIAL_BLOCKS = 3
_EPSILON = 1e-3


def encode_and_measure(
    source_url: str,
    info: SourceInfo,
    plan: TranscodePlan,
    chunk: Chunk,
    out_dir: Path,
    *,
    settings: DetectorSettings = DEFAULT_SETTINGS,
    on_progress: ProgressCallback | None = None,
) -> tuple[dict[str, list[Segment]], FramePass]:
    """encode_chunk's outputs (each rung's segments) and the chunk's scene part, from one decode of the chunk.

    The scene branch leaves the chunk's decode before the ladder deinterlaces or tone-maps it, so it reads what a
    ScenePart's own decode reads."""
    fps = info.nominal_fps
    size, tone_map = analysis_size(info), tone_maps(info)
    analyser = FrameAnalyser(gradual_windows(fps, settings))
    sampler = KeyframeSampler(candidate_stride(fps, info.duration))

    def on_frame(frame: np.ndarray) -> None:
        analyser.push(frame)
        sampler.push(frame)

    window = chunk_window(plan, chunk, info, settings)
    # The chunk's loudness starts on the audio's block grid (one pass's); an audio stream that starts off the 100 ms
    # grid of the chunks' starts has its first block after the chunk's start.
    last_block = block_start(chunk.start, info.audio_start)
    first_block = last_block if last_block > chunk.start - _EPSILON else last_block + LOUDNESS_BLOCK
    seam = first_block + (_PARTIAL_BLOCKS - 1) * LOUDNESS_BLOCK  # the first full momentary value's time
    times, tracks = [], []
    if window.preroll:
        # The previous chunk's audio ends at this chunk's start, one block short of its last full momentary value.
        first_value = last_block - LOUDNESS_BLOCK
        before = decode(source_url, size, on_frame, with_audio=info.has_audio, window=Window(
            start=first_value, end=chunk.start, preroll=window.preroll - (chunk.start - first_value),
            audio_end=seam + 2 * LOUDNESS_BLOCK), start_time=info.start_time, audio_start=info.audio_start,
            container=info.container, tone_map=tone_map, decoder_options=())
        times.append(before.timestamps)
        if before.loudness is not None:
            tracks.append(_between(before.loudness, first_value, seam))
    preroll = sum(len(t) for t in times)
    with tempfile.TemporaryDirectory(prefix="reelflow-chunk-scenes-") as tmp:
        args = encode_chunk_args(source_url, info, plan, chunk, out_dir,
                                 also=_scene_outputs(analysis_filters(size, tone_map), first_block - chunk.start),
                                 lead=chunk_lead(source_url, info, plan, chunk))
        count = stream_frames(ffmpeg_command(args), Path(tmp), size, on_frame, what=f"Encoding chunk {chunk.index}",
                              expected_frames=round(chunk.duration * fps), on_progress=on_progress)
        # ffmpeg counts the chunk's times from its seek point (the chunk's start, in media time).
        times.append(read_frame_times(Path(tmp), count) + chunk.start)
        loudness = read_loudness(Path(tmp), -chunk.start) if info.has_audio else None
        if loudness is not None:
            tracks.append(_between(loudness, seam if chunk.index else -np.inf, np.inf))
    track = LoudnessTrack(np.concatenate([t.times for t in tracks]),
                          np.concatenate([t.momentary for t in tracks])) if tracks else None
    frames = FramePass(analyser.finish(), np.concatenate(times), track, sampler.candidates, preroll)
    return chunk_segments(plan, chunk, out_dir), frames


def _scene_outputs(filters: tuple[Filter, ...], audio_skip: float) -> Callable[[Any, Any], list[Any]]:
    """encode_chunk_args' `also`: the picture through the analysis `filters` to stdout, the audio's loudness from
    `audio_skip` seconds after the chunk's start to a file."""
    skip = (("atrim", {"start": f"{audio_skip:.6f}"}),) if audio_skip > _EPSILON else ()
    loudness = (*skip, *LOUDNESS_FILTERS)

    def outputs(picture: Any, audio: Any) -> list[Any]:
        out = [ffmpeg.output(with_filters(picture, filters), "pipe:1", **FRAME_OUTPUT)]
        if audio is not None:
            out.append(ffmpeg.output(with_filters(audio, loudness), "-", f="null"))
        return out
    return outputs


def _between(track: LoudnessTrack, first: float, end: float) -> LoudnessTrack:
    keep = (track.times >= first - _EPSILON) & (track.times < end - _EPSILON)
    return LoudnessTrack(track.times[keep], track.momentary[keep])
