"""faster-whisper: optional (extra `reelflow[whisper]`), with a local model folder; nothing is downloaded."""
from __future__ import annotations

import os
from pathlib import Path

from ..audio import SAMPLE_RATE
from ..models import Word
from .base import EngineUnavailable

MODEL_ENV = "REELFLOW_WHISPER_MODEL"


def check_available(model_dir: str | None = None) -> str:
    """The model folder to use, or EngineUnavailable saying what is missing. Imports nothing heavy."""
    import importlib.util

    if importlib.util.find_spec("faster_whisper") is None:
        raise EngineUnavailable("the whisper engine needs the optional extra: pip install 'reelflow[whisper]'")
    folder = model_dir or os.environ.get(MODEL_ENV)
    if not folder or not Path(folder).is_dir():
        raise EngineUnavailable(
            f"the whisper engine needs a local faster-whisper model folder in {MODEL_ENV}"
            + (f" ({folder!r} is not a folder)" if folder else "")
        )
    return folder


class WhisperDecoder:
    def __init__(self, language: str, model_dir: str | None = None) -> None:
        folder = check_available(model_dir)
        from faster_whisper import WhisperModel

        self._language = language.split("-")[0].lower()
        self._model = WhisperModel(folder, device="cpu", compute_type="int8", local_files_only=True)

    def decode(self, pcm: bytes) -> list[Word]:
        import numpy as np

        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        assert SAMPLE_RATE == 16000  # what faster-whisper expects for raw arrays
        segments, _ = self._model.transcribe(
            audio, language=self._language, word_timestamps=True, vad_filter=False, condition_on_previous_text=False
        )
        words = []
        for seg in segments:
            for w in seg.words or []:
                text = w.word.strip()
                if text:
                    words.append(
                        Word(text=text, start=max(0.0, w.start), end=max(w.start, w.end),
                             confidence=min(1.0, max(0.0, w.probability)))
                    )
        return words
