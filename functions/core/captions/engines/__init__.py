"""Speech engines by name. `get_engine` builds one; each needs only what it uses (models, extras, clients)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import EngineUnavailable, SegmentDecoder, SpeechEngine, StreamingEngine
from .sphinx import SphinxDecoder
from .transcribe import build_transcribe_request, parse_transcribe_result, transcribe_in_state_machine
from .whisper import WhisperDecoder
from .whisper import check_available as check_whisper

DEFAULT_ENGINE = "pocketsphinx"


def _pocketsphinx(**options: Any) -> SpeechEngine:
    return StreamingEngine("pocketsphinx", lambda language: SphinxDecoder(language, **options))


def _whisper(model_dir: str | None = None) -> SpeechEngine:
    folder = check_whisper(model_dir)  # fail before any audio work
    return StreamingEngine("whisper", lambda language: WhisperDecoder(language, folder))


ENGINES: dict[str, Callable[..., SpeechEngine]] = {
    "pocketsphinx": _pocketsphinx,
    "transcribe": transcribe_in_state_machine,
    "whisper": _whisper,
}


class UnknownEngine(ValueError):
    pass


def check_engine_name(name: str | None) -> str:
    name = (name or DEFAULT_ENGINE).strip().lower()
    if name not in ENGINES:
        raise UnknownEngine(f"unknown caption engine {name!r}; valid engines: {', '.join(sorted(ENGINES))}")
    return name


def get_engine(name: str | None = None, **options: Any) -> SpeechEngine:
    """The engine called `name` (default pocketsphinx), built with engine-specific `options`."""
    return ENGINES[check_engine_name(name)](**options)


__all__ = [
    "DEFAULT_ENGINE", "ENGINES", "EngineUnavailable", "SegmentDecoder", "SpeechEngine", "StreamingEngine",
    "UnknownEngine", "build_transcribe_request", "check_engine_name", "get_engine",
    "parse_transcribe_result",
]
