"""Word error rate for tests and benchmarks, scored the same way for every system: jiwer's WER after Whisper's
English normaliser (case, punctuation, spelling variants, numbers written as words or digits, fillers)."""
from __future__ import annotations

from functools import cache

import jiwer


@cache
def _normaliser():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def normalise(text: str) -> str:
    return " ".join(_normaliser()(text).split())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of `hypothesis` against `reference` after `normalise`; an empty reference scores 0.0 against an empty
    hypothesis and 1.0 against anything else."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return jiwer.wer(ref, hyp) if hyp else 1.0


def corpus_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Errors over all reference words (a long clip weighs more than a short one)."""
    refs = [normalise(r) for r in references]
    hyps = [normalise(h) for h in hypotheses]
    pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r]
    out = jiwer.process_words([r for r, _ in pairs], [h or "<empty>" for _, h in pairs])
    return out.wer
