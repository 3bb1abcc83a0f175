"""Turning a word stream into broadcast-style caption cues.

The rules (see `CueStyle`) pull against each other, so they are ranked:

1. Hard, always true: every word appears in exactly one cue, in order; at most 2 lines of at most
   42 characters; cues never overlap; no cue is longer than 7 s; a cue never spans a pause longer
   than 0.7 s (nobody wants a caption sitting on screen through silence) nor a change of speaker. A
   cue with a speaker keeps room on its first line for the SRT speaker mark (`speaker_prefix`).
2. A cue starts on its first word (never late), and ends on its last word.
3. A cue lasts at least 1 s. When its words are shorter than that, its end is pushed later, up to the
   next cue's start; it may then end more than 0.3 s after its last word (reading time wins over the
   0.3 s end rule). If the next cue is too close, its start is pulled earlier, by at most 0.3 s and
   never before the previous cue's end. Only when both neighbours are that close is a cue left
   shorter than 1 s, because overlap is worse than a short cue.

Where to break is chosen by dynamic programming over break points: ending a cue at a sentence end or
a long pause is free, at a comma cheap, at a short pause dearer and mid-phrase dearest (more so after
"the", "of", ...), while a speaker change is as free as a sentence end; each cue and each too-short cue costs extra, so short sentences share a cue when
they fit. Times are computed in whole milliseconds, so what the writers print is exactly what was
checked.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .models import Cue, Word

_SENTENCE_END = re.compile(r"[.!?…]['\"”’)\]]*$")
_CLAUSE_END = re.compile(r"[,;:–—]['\"”’)\]]*$")
# Words a line or cue should not end on: breaking after them splits a phrase in two.
_DANGLING = frozenset(
    "a an the of to in on at by for from with and or but nor so if as than that this these those "
    "my your his her its our their is are was were be been will would can could should i we you he she they".split()
)


@dataclass(frozen=True)
class CueStyle:
    max_line_chars: int = 42
    max_lines: int = 2
    min_duration: float = 1.0
    max_duration: float = 7.0
    pause: float = 0.7  # a silence at least this long always ends a cue
    sync: float = 0.3  # how far a cue may start before its first word (and, normally, end after its last)


BROADCAST = CueStyle()

# Costs of the break planner (dimensionless; only their order matters much).
_COST_CUE = 1.0
_COST_SHORT_CUE = 3.0
_COST_SENTENCE_INSIDE = 0.5
_COST_BREAK = {"end": 0.0, "sentence": 0.0, "pause": 0.0, "clause": 1.0, "breath": 2.0, "phrase": 6.0}
_COST_DANGLING = 3.0
_BREATH = 0.25  # a gap this long is a natural, if weak, place to break
_TRANSCRIBE_SPEAKER = re.compile(r"^spk_(\d+)$")


def speaker_name(label: str) -> str:
    """What a reader sees for a speaker label: Transcribe's `spk_0` is "Speaker 1"; other labels stay as given."""
    match = _TRANSCRIBE_SPEAKER.match(label)
    return f"Speaker {int(match.group(1)) + 1}" if match else label


def speaker_prefix(speaker: str | None) -> str:
    """The mark before a cue's first line in SRT ("[Speaker 1] "), which has no voice tag; "" without a speaker.
    The cue builder keeps this much room on the first line, so the SRT line also fits the line length."""
    return f"[{speaker_name(speaker)}] " if speaker else ""


def build_cues(words: Sequence[Word], style: CueStyle = BROADCAST) -> list[Cue]:
    """Group `words` (any order; sorted by start here) into timed caption cues."""
    ordered = [piece for w in sorted(words, key=lambda w: (w.start, w.end)) for piece in _fit_word(w, style)]
    if not ordered:
        return []
    starts = [_ms(w.start) for w in ordered]
    ends = [max(_ms(w.end), s) for w, s in zip(ordered, starts, strict=True)]
    groups = _plan_breaks(ordered, starts, ends, style)
    timings = _time_cues(groups, starts, ends, style)
    return [
        Cue(start=s / 1000, end=e / 1000, words=ordered[i:j],
            lines=layout_lines(ordered[i:j], style, reserve=len(speaker_prefix(ordered[i].speaker))))
        for (i, j), (s, e) in zip(groups, timings, strict=True)
    ]


def layout_lines(words: Sequence[Word], style: CueStyle = BROADCAST, reserve: int = 0) -> list[str]:
    """Split a cue's words into at most two lines, preferring a break after punctuation, then balance.
    `reserve` characters of the first line are kept free (for a speaker mark)."""
    texts = [w.text for w in words]
    whole = " ".join(texts)
    if len(whole) + reserve <= style.max_line_chars or len(texts) == 1:
        return [whole]
    best: tuple[float, int] | None = None
    for m in range(1, len(texts)):
        top, bottom = " ".join(texts[:m]), " ".join(texts[m:])
        if len(top) + reserve > style.max_line_chars or len(bottom) > style.max_line_chars:
            continue
        score = abs(len(top) - len(bottom)) + _break_penalty(texts[m - 1]) * 4
        if best is None or score < best[0]:
            best = (score, m)
    if best is None:  # cannot happen for groups made by build_cues; keep the text whole rather than lose it
        return [whole]
    return [" ".join(texts[: best[1]]), " ".join(texts[best[1] :])]


def _fit_word(word: Word, style: CueStyle) -> list[Word]:
    """A word longer than a line is cut into line-sized pieces sharing its time span (the first line's size:
    what the speaker mark leaves)."""
    text = word.text.strip()
    if not text:
        return []
    size = style.max_line_chars - len(speaker_prefix(word.speaker))
    if len(text) <= size:
        return [word if text == word.text else word.model_copy(update={"text": text})]
    chunks = [text[k : k + size] for k in range(0, len(text), size)]
    span = (word.end - word.start) / len(chunks)
    return [
        word.model_copy(update={"text": c, "start": word.start + k * span, "end": word.start + (k + 1) * span})
        for k, c in enumerate(chunks)
    ]


def _plan_breaks(words: list[Word], starts: list[int], ends: list[int], style: CueStyle) -> list[tuple[int, int]]:
    """Choose cue boundaries (as [i, j) word ranges) with the least total cost."""
    n = len(words)
    best = [math.inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    max_span, pause = _ms(style.max_duration), _ms(style.pause)
    min_span = _ms(style.min_duration)
    for i in range(n):
        if best[i] == math.inf:
            continue
        line, used, empty, sentences_inside = 1, len(speaker_prefix(words[i].speaker)), True, 0
        for j in range(i, n):
            if j > i:
                if starts[j] - ends[j - 1] > pause or ends[j] - starts[i] > max_span:
                    break
                if words[j].speaker != words[i].speaker:
                    break
                if _SENTENCE_END.search(words[j - 1].text):
                    sentences_inside += 1
            width = len(words[j].text)
            if empty:
                used, empty = used + width, False
            elif used + 1 + width <= style.max_line_chars:
                used += 1 + width
            elif line < style.max_lines:
                line, used = line + 1, width
            else:
                break
            cost = _COST_CUE + sentences_inside * _COST_SENTENCE_INSIDE + _break_cost(words, starts, ends, j, style)
            if ends[j] - starts[i] < min_span:
                cost += _COST_SHORT_CUE
            if j + 1 < n and starts[j + 1] <= starts[i]:
                cost += 1000.0  # the next cue would have to start when this one does
            if best[i] + cost < best[j + 1]:
                best[j + 1], back[j + 1] = best[i] + cost, i
    groups: list[tuple[int, int]] = []
    j = n
    while j > 0:
        groups.append((back[j], j))
        j = back[j]
    return groups[::-1]


def _break_cost(words: list[Word], starts: list[int], ends: list[int], j: int, style: CueStyle) -> float:
    """What it costs to end a cue after word j."""
    if j == len(words) - 1:
        return _COST_BREAK["end"]
    gap = starts[j + 1] - ends[j]
    if gap > _ms(style.pause) or words[j + 1].speaker != words[j].speaker:
        return _COST_BREAK["pause"]
    return _break_penalty(words[j].text, gap_ms=gap)


def _break_penalty(text: str, gap_ms: int = 0) -> float:
    if _SENTENCE_END.search(text):
        return _COST_BREAK["sentence"]
    if _CLAUSE_END.search(text):
        return _COST_BREAK["clause"]
    cost = _COST_BREAK["breath"] if gap_ms >= _ms(_BREATH) else _COST_BREAK["phrase"]
    if text.lower() in _DANGLING:
        cost += _COST_DANGLING
    return cost


def _time_cues(
    groups: list[tuple[int, int]], starts: list[int], ends: list[int], style: CueStyle
) -> list[tuple[int, int]]:
    min_span, max_span, sync = _ms(style.min_duration), _ms(style.max_duration), _ms(style.sync)
    timings: list[tuple[int, int]] = []
    prev_end = 0
    for k, (i, j) in enumerate(groups):
        start = starts[i]
        nxt = starts[groups[k + 1][0]] if k + 1 < len(groups) else math.inf
        end = int(min(max(ends[i:j]), nxt, start + max_span))
        if end - start < min_span:
            end = int(min(start + min_span, nxt))
        if end - start < min_span:
            start = max(end - min_span, starts[i] - sync, prev_end)
        timings.append((start, end))
        prev_end = end
    return timings


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
