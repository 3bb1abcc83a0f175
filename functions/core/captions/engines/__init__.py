"""Speech engines by name. `get_engine` builds one; each needs only what it uses (models, clients).

Each local engine gets the audio chain that measured best for it on real speech (`make bench`, the
real-speech set in ../shared/eval/speech): Whisper is helped by denoising and level, pocketsphinx is not
(its acoustic model expects the raw spectrum; the chain raised its WER from 29% to 44%).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

from functions.core.models import DEFAULT_CAPTION_ENGINE, CaptionEngineName

from ..audio import SPEECH_FILTERS
from ..vad import VadSettings
from .base import EngineUnavailable, LanguageUnsupported, SegmentDecoder, SpeechEngine, StreamingEngine
from .sphinx import SphinxDecoder
from .transcribe import build_transcribe_request, parse_transcribe_result, transcribe_in_state_machine
from .whisper import WhisperDecoder
from .whisper import check_available as check_whisper

DEFAULT_ENGINE: str = DEFAULT_CAPTION_ENGINE
# The audio chain per local engine: plain 16 kHz mono (None) or an ffmpeg filter graph.
ENGINE_FILTERS: dict[str, str | None] = {"whisper": SPEECH_FILTERS, "pocketsphinx": None}
# Where speech is cut into decoder inputs. Whisper encodes a whole 30 s window whatever the input's length, so
# it gets long windows cut only at pauses of 1.5 s or more: fewer encoder passes (real-time factor 0.26 -> 0.24
# on the short real-speech clips) and more context per window; pocketsphinx decodes utterances, cut at 0.5 s.
ENGINE_VAD: dict[str, VadSettings] = {"whisper": VadSettings(min_silence=1.5), "pocketsphinx": VadSettings()}


def _pocketsphinx(**options: Any) -> SpeechEngine:
    return StreamingEngine("pocketsphinx", lambda language: SphinxDecoder(language, **options),
                           filters=ENGINE_FILTERS["pocketsphinx"], vad=ENGINE_VAD["pocketsphinx"])


def _whisper(model_dir: str | None = None) -> SpeechEngine:
    folder = check_whisper(model_dir)  # fail before any audio work
    return StreamingEngine("whisper", lambda language: WhisperDecoder(language, folder),
                           filters=ENGINE_FILTERS["whisper"], vad=ENGINE_VAD["whisper"])


ENGINES: dict[str, Callable[..., SpeechEngine]] = {
    "whisper": _whisper,
    "pocketsphinx": _pocketsphinx,
    "transcribe": transcribe_in_state_machine,
}
ENGINE_NAMES: tuple[str, ...] = get_args(CaptionEngineName)


class UnknownEngine(ValueError):
    """Raised when a caption engine name is not one of `ENGINE_NAMES` (a typo in an option or stack context)."""


def check_engine_name(name: str | None) -> str:
    name = (name or DEFAULT_ENGINE).strip().lower()
    if name not in ENGINES:
        raise UnknownEngine(f"unknown caption engine {name!r}; valid engines: {', '.join(sorted(ENGINES))}")
    return name


def get_engine(name: str | None = None, **options: Any) -> SpeechEngine:
    """The engine called `name` (default whisper), built with engine-specific `options`."""
    return ENGINES[check_engine_name(name)](**options)


__all__ = [
    "DEFAULT_ENGINE", "ENGINES", "ENGINE_FILTERS", "ENGINE_NAMES", "EngineUnavailable", "LanguageUnsupported",
    "SegmentDecoder", "SpeechEngine", "StreamingEngine", "UnknownEngine", "build_transcribe_request",
    "check_engine_name", "get_engine", "parse_transcribe_result",
]
