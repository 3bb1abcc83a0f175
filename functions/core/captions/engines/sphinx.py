"""pocketsphinx: the default, fully offline engine (the wheel ships an en-US model)."""
from __future__ import annotations

import re

from functions.core.models import AUTO_LANGUAGE

from ..models import Word
from .base import LanguageUnsupported

FRAMES_PER_SECOND = 100
# Pruning tuned on noisy speech: without a cap on active HMMs the decoder slows to ~1.5x real time
# in noise while finding no more words; the second (flat) pass is kept, as it fixes many words.
DECODER_OPTIONS: dict[str, object] = {"maxhmmpf": 3000, "maxwpf": 5}

_ALTERNATE = re.compile(r"\(\d+\)$")  # pronunciation variants: "the(2)" is "the"


def is_filler(token: str) -> bool:
    """Sentence markers, silence and noise tokens such as <s>, </s>, <sil>, [NOISE], ++BREATH++."""
    return token.startswith(("<", "[", "+")) or not token


def clean_token(token: str) -> str:
    return _ALTERNATE.sub("", token)


class SphinxDecoder:
    """Decodes each chunk as one utterance with a decoder loaded once (about 0.25 s)."""

    def __init__(self, language: str, **options: object) -> None:
        # The model is English: "auto" can only mean English here, and the transcript says so.
        self.language = "en" if language.strip().lower() == AUTO_LANGUAGE else language
        if not self.language.lower().startswith("en"):
            raise LanguageUnsupported(
                f"pocketsphinx has only an English model; language {language!r} needs the 'transcribe' "
                "or 'whisper' engine"
            )
        from pocketsphinx import Decoder

        self._decoder = Decoder(samprate=16000, loglevel="FATAL", **{**DECODER_OPTIONS, **options})

    def decode(self, pcm: bytes) -> list[Word]:
        d = self._decoder
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        words = []
        for seg in d.seg():
            if is_filler(seg.word):
                continue
            words.append(
                Word(
                    text=clean_token(seg.word),
                    start=seg.start_frame / FRAMES_PER_SECOND,
                    end=(seg.end_frame + 1) / FRAMES_PER_SECOND,
                    confidence=min(1.0, max(0.0, seg.prob)),
                )
            )
        return words
