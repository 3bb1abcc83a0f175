"""Word error rate, for tests and benchmarks: (substitutions + deletions + insertions) / reference words."""
from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^\w']+")


def normalise_words(text: str) -> list[str]:
    """Lower-case words with punctuation removed ("Hello, world!" -> ["hello", "world"]); hyphens split words."""
    return [w.strip("'") for w in _NOT_WORD.split(text.lower().replace("_", " ")) if w.strip("'")]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of `hypothesis` against `reference`, ignoring case and punctuation. An empty reference
    scores 0.0 against an empty hypothesis and 1.0 against anything else."""
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / len(ref)
