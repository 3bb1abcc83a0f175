"""Shot boundaries from the per-frame distance series: hard cuts and gradual transitions.

Hard cuts use an adaptive threshold, as PySceneDetect's AdaptiveDetector does: a frame's change
score must stand out from the frames around it, so a pan or a busy shot (high scores everywhere)
does not fire, and must also pass an absolute floor, so sensor noise in near-black footage (tiny
scores that can still be "3x their neighbours") does not fire either. The score is the geometric
mean of a colour-histogram distance and a 16x9 layout distance: a real cut changes both, while
motion changes mostly the layout and flicker or bin jitter mostly the histogram.

Gradual transitions (dissolves, fades) change the picture a little on every frame for half a
second or more. A twin-comparison style test looks at the histogram distance summed over a
window: a transition is where that sum clearly exceeds the sums just before and after, AND the
frames either side of the window really differ (so a camera move over similar content, which
keeps the colour histogram, does not count).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from functions.core.scenes.features import FrameSeries


@dataclass(frozen=True)
class DetectorSettings:
    """Tuning of the boundary detector. Seconds are converted to frames with the clip's frame rate."""

    cut_min_score: float = 0.12  # absolute floor of the cut score (0..1)
    cut_ratio: float = 3.0  # cut score / mean score of the frames around it
    cut_window_seconds: float = 0.25  # frames either side that form the "around it"
    flash_keep: float = 0.5  # a cut whose picture returns within 2 frames (a flash) is dropped
    gradual_window_seconds: tuple[float, ...] = (0.4, 1.0)  # half-widths of the windows transitions are summed over
    gradual_ratio: float = 2.0  # window mean / mean of the windows either side
    gradual_min_mean: float = 0.05  # mean histogram distance per frame inside the window (less for long windows)
    gradual_min_change: float = 0.35  # histogram distance between the frames either side of the window
    min_scene_seconds: float = 0.6


DEFAULT_SETTINGS = DetectorSettings()


@dataclass(frozen=True)
class Boundary:
    """The first frame of a new shot. For a gradual transition, the frame in its middle."""

    frame: int
    kind: Literal["cut", "dissolve"]
    score: float
    span: tuple[int, int]  # first and last frame of the transition (equal for a hard cut)


def cut_scores(series: FrameSeries) -> np.ndarray:
    """Per-frame cut score on 0..1: high only when both the colours and their layout change."""
    return np.sqrt(series.hist_distance * series.layout_distance)


def detect_boundaries(series: FrameSeries, fps: float, settings: DetectorSettings = DEFAULT_SETTINGS) -> list[Boundary]:
    """All shot boundaries, in frame order, at least `min_scene_seconds` apart and from the ends."""
    found = detect_cuts(series, fps, settings)
    cut_frames = [c.frame for c in found]
    for window in sorted(series.wide_hist_distance):  # shortest first: it places transitions best
        for b in detect_gradual(series, window, cut_frames, settings):
            if not any(b.span[0] <= k.span[1] and k.span[0] <= b.span[1] for k in found):
                found.append(b)
    return enforce_min_length(found, len(series), max(1, round(settings.min_scene_seconds * fps)))


def gradual_windows(fps: float, settings: DetectorSettings = DEFAULT_SETTINGS) -> tuple[int, ...]:
    """The frame offsets k whose i-k/i+k histogram distances the detector needs (FrameAnalyser's windows)."""
    return tuple(max(3, round(s * fps)) + 1 for s in settings.gradual_window_seconds)


def detect_cuts(series: FrameSeries, fps: float, settings: DetectorSettings = DEFAULT_SETTINGS) -> list[Boundary]:
    score = cut_scores(series)
    n = len(score)
    w = max(2, round(settings.cut_window_seconds * fps))
    cuts = []
    for i in range(1, n):
        if score[i] < settings.cut_min_score:
            continue
        around = np.concatenate([score[max(1, i - w):i], score[i + 1:i + 1 + w]])
        if around.size and score[i] < settings.cut_ratio * around.mean():
            continue
        flash = series.flash_distance[i]
        if np.isfinite(flash) and flash < settings.flash_keep * series.layout_distance[i]:
            continue
        cuts.append(Boundary(i, "cut", float(score[i]), (i, i)))
    return cuts


def detect_gradual(series: FrameSeries, window: int, cut_frames: list[int],
                   settings: DetectorSettings = DEFAULT_SETTINGS) -> list[Boundary]:
    """Gradual transitions found with one window: sums over 2h+1 frames, h = window - 1."""
    h = window - 1  # wide_hist_distance[window] compares frames i-h-1 and i+h+1
    n = len(series)
    if n < 6 * h + 3:
        return []
    d = series.hist_distance.copy()
    d[0] = 0.0
    for c in cut_frames:  # a hard cut's jump is not part of any gradual change
        d[c] = np.median(d[max(1, c - h):c + h + 1])
    width = 2 * h + 1
    inside = np.full(n, np.nan)  # only where the whole window fits: zero padding would fake a quiet start
    inside[h:n - h] = np.convolve(d, np.ones(width) / width, mode="valid")
    before = np.full(n, np.nan)
    after = np.full(n, np.nan)
    before[width:] = inside[:-width]
    after[:-width] = inside[width:]
    around = (before + after) / 2  # NaN unless both sides are known: one calm side alone proves nothing
    change = series.wide_hist_distance[window]
    cut_near = np.zeros(n, dtype=bool)
    for c in cut_frames:
        cut_near[max(0, c - h - 1):c + h + 2] = True

    min_mean = min(settings.gradual_min_mean, settings.gradual_min_change / width)
    with np.errstate(invalid="ignore"):
        ok = ((inside >= min_mean)
              & (inside >= settings.gradual_ratio * np.maximum(around, min_mean / 4))
              & (change >= settings.gradual_min_change)
              & ~cut_near)
    found = []
    for i in np.flatnonzero(ok):
        lo, hi = max(0, i - h), min(n, i + h + 1)
        if inside[i] >= np.nanmax(inside[lo:hi]):  # the middle of the transition: the peak of the window sum
            found.append(Boundary(int(i), "dissolve", float(inside[i]), (int(lo), int(hi - 1))))
    return found


def enforce_min_length(boundaries: list[Boundary], frames: int, min_frames: int) -> list[Boundary]:
    """Keep the strongest boundaries such that every scene has at least `min_frames` frames."""
    kept: list[Boundary] = []
    for b in sorted(boundaries, key=lambda b: (b.kind != "cut", -b.score)):
        if b.frame < min_frames or frames - b.frame < min_frames:
            continue
        if all(abs(b.frame - k.frame) >= min_frames for k in kept):
            kept.append(b)
    return sorted(kept, key=lambda b: b.frame)
