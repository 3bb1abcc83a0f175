"""Motion and loudness over the whole media, in equal bins: what the review page's timeline draws.

The per-frame series is far too long to ship (an hour at 25 fps is 90,000 frames); a few hundred bins
are as many as a page's width can show, so the bin is as long as it must be for that and never shorter
than half a second.
"""
from __future__ import annotations

import math

import numpy as np

from functions.core.scenes.audio import FLOOR_LUFS
from functions.core.scenes.decode import LoudnessTrack
from functions.core.scenes.models import ActivityTimeline

MAX_BINS = 600
MIN_STEP = 0.5


def bin_step(duration: float, max_bins: int = MAX_BINS) -> float:
    """Seconds per bin: the shortest multiple of 0.1 s that covers `duration` in at most `max_bins`, ≥ MIN_STEP."""
    return max(MIN_STEP, math.ceil(duration / max_bins * 10) / 10)


def activity_timeline(timestamps: np.ndarray, motion: np.ndarray, loudness: LoudnessTrack | None,
                      duration: float, max_bins: int = MAX_BINS) -> ActivityTimeline:
    """Mean motion per bin from the frames' timestamps, energy-mean momentary loudness per bin."""
    step = bin_step(duration, max_bins)
    count = max(1, math.ceil(round(duration / step, 6)))
    return ActivityTimeline(
        step=step,
        motion=[None if v is None else round(v, 5) for v in _bin_means(timestamps, motion, step, count)],
        loudness=[] if loudness is None else [
            None if v is None else round(10 * math.log10(v), 1)
            for v in _bin_means(loudness.times, 10 ** (np.fmax(loudness.momentary, FLOOR_LUFS) / 10), step, count)],
    )


def _bin_means(times: np.ndarray, values: np.ndarray, step: float, count: int) -> list[float | None]:
    """The mean of the finite values in each bin; None for a bin without one."""
    keep = np.isfinite(values) & np.isfinite(times)
    index = np.clip((times[keep] // step).astype(np.int64), 0, count - 1)
    sums = np.bincount(index, weights=values[keep], minlength=count)
    counts = np.bincount(index, minlength=count)
    return [float(s / n) if n else None for s, n in zip(sums, counts, strict=True)]
