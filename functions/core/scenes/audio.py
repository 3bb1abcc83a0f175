"""Per-scene sound: loudness and silence from the momentary-loudness track, speech from transcript words."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from functions.core.scenes.decode import LoudnessTrack
from functions.core.scenes.models import TimedWord

SILENCE_LUFS = -50.0  # momentary loudness below this counts as silence
FLOOR_LUFS = -70.0  # EBU R128's absolute gate: quieter blocks are reported as this


def scene_loudness(track: LoudnessTrack, start: float, end: float) -> tuple[float, float]:
    """(energy-mean momentary loudness in LUFS, share of the scene that is silent) over [start, end).

    Each momentary value covers 400 ms, so values centred within 200 ms of a boundary partly hear
    the neighbouring scene; they are left out when the scene is long enough to spare them.
    """
    trim = min(0.2, (end - start) / 4)
    inside = (track.times >= start + trim) & (track.times < end - trim)
    values = track.momentary[inside]
    if values.size == 0:  # a scene shorter than one 100 ms block: take the nearest block
        values = track.momentary[[int(np.argmin(np.abs(track.times - (start + end) / 2)))]]
    values = np.fmax(values, FLOOR_LUFS)  # fmax, not maximum: ebur128 prints M=nan for its first blocks
    loudness = 10 * np.log10(np.mean(10 ** (values / 10)))
    return round(float(loudness), 1), round(float(np.mean(values < SILENCE_LUFS)), 3)


def speech_share(words: Iterable[TimedWord], start: float, end: float) -> float:
    """Fraction of [start, end) covered by at least one word."""
    spans = sorted((max(start, w.start), min(end, w.end)) for w in words if w.end > start and w.start < end)
    covered, reach = 0.0, start
    for a, b in spans:
        a = max(a, reach)
        if b > a:
            covered += b - a
            reach = b
    return round(covered / (end - start), 3) if end > start else 0.0
