"""Cutting a PCM stream into bounded speech segments with pocketsphinx's voice activity detector.

pocketsphinx's own `Segmenter` has no length limit (music or crowd noise would make one segment of
the whole file), so this drives its `Vad` frame by frame and adds the bound: a segment that reaches
`max_seconds` is cut at the quietest moment of its last few seconds, most likely between words.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from pocketsphinx import Vad

from .audio import BYTES_PER_SECOND, SAMPLE_RATE


@dataclass(frozen=True)
class SpeechChunk:
    """A bounded stretch of 16 kHz mono s16le audio that contains speech, `start` seconds into the stream."""

    start: float
    pcm: bytes

    @property
    def duration(self) -> float:
        return len(self.pcm) / BYTES_PER_SECOND

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class VadSettings:
    max_seconds: float = 30.0  # no chunk is longer: bounds memory and the decoder's search
    min_silence: float = 0.5  # this much non-speech ends a chunk
    pad: float = 0.2  # silence kept on both sides so word onsets and tails are not clipped
    min_speech: float = 0.15  # chunks with less speech than this are clicks, not words
    cut_search: float = 5.0  # a forced cut looks this far back for the quietest frame
    mode: int = Vad.LOOSE


def speech_segments(blocks: Iterable[bytes], settings: VadSettings = VadSettings()) -> Iterator[SpeechChunk]:
    """Yield the speech in a stream of PCM blocks as chunks of at most `settings.max_seconds`."""
    vad = Vad(settings.mode, SAMPLE_RATE)
    frame_seconds = vad.frame_length

    def frames_for(seconds: float) -> int:
        return max(1, round(seconds / frame_seconds))

    pad, min_silence = frames_for(settings.pad), frames_for(settings.min_silence)
    max_frames, min_speech = frames_for(settings.max_seconds), frames_for(settings.min_speech)
    cut_search = min(frames_for(settings.cut_search), max_frames // 2)
    assert min_silence >= 2 * pad, "trailing and leading pads must not share frames"

    before: deque[bytes] = deque(maxlen=pad)  # recent silence, prepended when speech starts
    current: list[bytes] = []
    voiced: list[bool] = []  # the VAD's verdict on each frame of `current`
    first = 0  # index of current[0] in the stream
    silence_run = 0

    def chunk(frames: list[bytes], at: int) -> SpeechChunk:
        return SpeechChunk(start=at * frame_seconds, pcm=b"".join(frames))

    for index, frame in enumerate(_frames(blocks, vad.frame_bytes)):
        speech = vad.is_speech(frame)
        if not current:
            if speech:
                current, first = [*before, frame], index - len(before)
                voiced = [False] * len(before) + [True]
                before.clear()
                silence_run = 0
            else:
                before.append(frame)
            continue
        current.append(frame)
        voiced.append(speech)
        silence_run = 0 if speech else silence_run + 1
        if silence_run >= min_silence:
            keep = len(current) - silence_run + pad
            if sum(voiced) >= min_speech:
                yield chunk(current[:keep], first)
            before.extend(current[keep:])
            current, voiced = [], []
        elif len(current) >= max_frames:
            cut = len(current) - cut_search + _quietest(current[-cut_search:])
            yield chunk(current[:cut], first)
            current, voiced, first = current[cut:], voiced[cut:], first + cut
    if current and sum(voiced) >= min_speech:
        yield chunk(current, first)


def _frames(blocks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Re-cut blocks into whole VAD frames (a short final frame is zero-padded)."""
    pending = b""
    for block in blocks:
        pending += block
        whole = len(pending) - len(pending) % size
        for k in range(0, whole, size):
            yield pending[k : k + size]
        pending = pending[whole:]
    if pending:
        yield pending.ljust(size, b"\0")


def _quietest(frames: list[bytes]) -> int:
    """Index of the frame in the quietest 3-frame neighbourhood (never 0, so a cut always makes progress)."""
    samples = np.frombuffer(b"".join(frames), dtype=np.int16).astype(np.float32).reshape(len(frames), -1)
    energy = np.convolve((samples**2).mean(axis=1), np.ones(3) / 3, mode="same")
    return int(np.argmin(energy[1:])) + 1
