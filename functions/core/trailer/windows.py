"""Placing a window of a given length inside a stretch of footage without cutting a word in half.

Times are whole frames here (ints), so windows land on the frame grid the assembly cuts on.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from functions.core.scenes.models import TimedWord

WORD_PAD = 0.05  # seconds kept clear either side of a word, so a cut never clips its first or last sound


@dataclass(frozen=True)
class Window:
    start: int  # first frame
    length: int  # frames
    clear_of_words: bool  # False when no placement avoided a word, so the window was centred anyway

    @property
    def end(self) -> int:
        return self.start + self.length


def speech_spans(words: Sequence[TimedWord], lo: float, hi: float, pad: float = WORD_PAD) -> list[tuple[float, float]]:
    """Padded word intervals overlapping [lo, hi], merged where they touch: the places a cut must not land."""
    spans = sorted((w.start - pad, w.end + pad) for w in words if w.end + pad > lo and w.start - pad < hi)
    merged: list[tuple[float, float]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def fit_window(
    lo: int,
    hi: int,
    length: int,
    *,
    fps: float,
    words: Sequence[TimedWord] = (),
    min_length: int | None = None,
    max_length: int | None = None,
    focus: int | None = None,
) -> Window:
    """The window of `length` frames in [lo, hi) nearest centring on `focus` whose cuts fall between words.

    `focus` defaults to the middle of [lo, hi). When no position works at `length`, nearby lengths within
    [min_length, max_length] are tried, closest first.
    """
    length = min(length, hi - lo)
    focus = (lo + hi) // 2 if focus is None else focus
    if not words:
        return Window(_centred(lo, hi, length, focus), length, True)
    shortest = max(1, min(min_length or length, length))
    longest = min(hi - lo, max(max_length or length, length))
    lengths = sorted(range(shortest, longest + 1), key=lambda k: (abs(k - length), -k))
    for pad in (WORD_PAD, 0.0):  # fast speech leaves gaps narrower than two pads: then cut right at the edges
        spans = speech_spans(words, lo / fps, hi / fps, pad)
        for k in lengths:
            start = _place(lo, hi, k, spans, fps, focus)
            if start is not None:
                return Window(start, k, True)
    return Window(_centred(lo, hi, length, focus), length, False)


def _centred(lo: int, hi: int, length: int, focus: int) -> int:
    return min(max(lo, focus - length // 2), hi - length)


def _place(lo: int, hi: int, length: int, spans: list[tuple[float, float]], fps: float, focus: int) -> int | None:
    """The start frame closest to centring the window on `focus` whose two edges are both outside every span."""
    last = hi - length
    if last < lo:
        return None
    centre = min(max(lo, focus - length / 2), last)
    # The valid starts form intervals whose ends are span edges (or shifted by the length): test only those.
    points = {lo, last, math.floor(centre), math.ceil(centre)}
    for a, b in spans:
        for t in (a, b, a - length / fps, b - length / fps):
            points.update((math.floor(t * fps), math.ceil(t * fps)))
    valid = [p for p in points if lo <= p <= last and _clear(p, spans, fps) and _clear(p + length, spans, fps)]
    return min(valid, key=lambda p: (abs(p - centre), p)) if valid else None


def _clear(frame: int, spans: list[tuple[float, float]], fps: float) -> bool:
    t = frame / fps
    return not any(a < t < b for a, b in spans)
