"""What every speech engine offers, and the streaming engine that local decoders share."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from ...ffmpeg import ProgressCallback
from ..audio import BYTES_PER_SECOND, SPEECH_FILTERS, media_duration, pcm_blocks
from ..models import Transcript, TranscriptSegment, Word
from ..vad import VadSettings, speech_segments


class EngineUnavailable(RuntimeError):
    """The engine cannot run here (missing extra, model or configuration); the message says what to do."""


class LanguageUnsupported(EngineUnavailable):
    """Raised when a job asks an engine whose model is English-only (pocketsphinx, Whisper's `.en` models) for
    another language.

    The message names the model and how to get the language: a multilingual Whisper model folder in
    REELFLOW_WHISPER_MODEL, or the transcribe engine."""


@runtime_checkable
class SpeechEngine(Protocol):
    """Turns the speech in a media file into a timed transcript."""

    name: str

    def transcribe(
        self,
        media: Path | str,
        *,
        language: str,
        window: tuple[float, float | None] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Transcript:
        """The words of `media` (only `window` = (start, end) seconds of it, when given) on the media's timeline."""
        ...


class SegmentDecoder(Protocol):
    """A local recogniser: decodes one bounded chunk of 16 kHz mono s16le, timing words from its start."""

    def decode(self, pcm: bytes) -> list[Word]: ...


class StreamingEngine:
    """Runs a local decoder over a media file one VAD chunk at a time and stitches words on one timeline."""

    def __init__(
        self,
        name: str,
        make_decoder: Callable[[str], SegmentDecoder],
        *,
        filters: str | None = SPEECH_FILTERS,
        vad: VadSettings = VadSettings(),
    ) -> None:
        self.name = name
        self._make_decoder = make_decoder
        self._filters = filters
        self._vad = vad

    def transcribe(
        self,
        media: Path | str,
        *,
        language: str,
        window: tuple[float, float | None] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Transcript:
        decoder = self._make_decoder(language)
        offset = window[0] if window else 0.0
        length = (window[1] - offset if window[1] is not None else None) if window else media_duration(media)
        stream = _Counted(pcm_blocks(media, filters=self._filters, duration=length, window=window,
                                     on_progress=on_progress))
        segments: list[TranscriptSegment] = []
        words: list[Word] = []
        for chunk in speech_segments(stream, self._vad):
            found = [w.shifted(offset + chunk.start) for w in decoder.decode(chunk.pcm)]
            if found:
                words += found
                segments.append(
                    TranscriptSegment(start=found[0].start, end=found[-1].end, text=" ".join(w.text for w in found))
                )
        return Transcript(
            language=getattr(decoder, "language", None) or language,
            engine=self.name,
            duration=offset + stream.bytes / BYTES_PER_SECOND,
            segments=segments,
            words=words,
        )


class _Counted:
    """Passes PCM blocks through, counting bytes (the stream's duration is known only at its end)."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks
        self.bytes = 0

    def __iter__(self) -> Iterator[bytes]:
        for block in self._blocks:
            self.bytes += len(block)
            yield block
