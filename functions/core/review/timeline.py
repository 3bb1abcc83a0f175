"""The review page's timeline figure: the whole asset at a glance, as inline SVG.

Rows from top to bottom: loudness (LUFS), motion, speech (where transcript words are); a line at every
scene boundary (solid for a cut, dashed for a dissolve); the trailer's picks as shaded bands across all
rows; a time axis. Every mark carries its time in a data attribute, so the page (and its tests) can map
a mark back to the media.
"""
from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

from functions.core.captions.models import Word
from functions.core.scenes.models import ActivityTimeline, Scene
from functions.core.trailer.models import TrailerSegment

WIDTH, HEIGHT = 1000, 160
X0, X1 = 78.0, 984.0  # the plot's left and right edges; the row labels sit left of X0
LOUDNESS_ROW = (8.0, 48.0)  # top, bottom
MOTION_ROW = (56.0, 96.0)
SPEECH_ROW = (106.0, 120.0)
AXIS_Y = 130.0
LUFS_RANGE = (-60.0, 0.0)
HIGH_MOTION = 0.04  # the `high-motion` tag's threshold (functions/core/scenes/tags.py): the motion row's guide
SPEECH_GAP = 0.3  # words closer than this draw as one stretch of speech
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
MAX_TICKS = 10


@dataclass(frozen=True)
class _Scale:
    duration: float

    def x(self, seconds: float) -> float:
        share = min(max(seconds / self.duration, 0.0), 1.0) if self.duration > 0 else 0.0
        return round(X0 + share * (X1 - X0), 1)


def clock(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour), for axis labels."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def tick_step(duration: float) -> int:
    return next((s for s in TICK_STEPS if duration / s <= MAX_TICKS), TICK_STEPS[-1])


def speech_spans(words: Sequence[Word], gap: float = SPEECH_GAP) -> list[tuple[float, float]]:
    """Stretches of speech: the words' spans, joined where the pause between them is shorter than `gap`."""
    spans: list[tuple[float, float]] = []
    for word in sorted(words, key=lambda w: w.start):
        if spans and word.start - spans[-1][1] < gap:
            spans[-1] = (spans[-1][0], max(spans[-1][1], word.end))
        else:
            spans.append((word.start, word.end))
    return spans


def _area(values: Sequence[float | None], step: float, scale: _Scale, row: tuple[float, float],
          level) -> str:
    """A filled path through the bins' centres, broken where a bin has no value; `level` maps a value to 0..1."""
    top, bottom = row
    paths, run = [], []
    for index, value in enumerate([*values, None]):
        if value is not None:
            centre = min((index + 0.5) * step, scale.duration)
            run.append((scale.x(centre), round(bottom - (bottom - top) * min(max(level(value), 0.0), 1.0), 1)))
            continue
        if run:
            points = " L".join(f"{x},{y}" for x, y in run)
            paths.append(f"M{run[0][0]},{bottom} L{points} L{run[-1][0]},{bottom} Z")
            run = []
    return " ".join(paths)


def timeline_svg(duration: float, activity: ActivityTimeline | None, words: Sequence[Word] | None,
                 scenes: Sequence[Scene] | None, picks: Sequence[TrailerSegment] | None) -> str:
    """The figure as an `<svg>` element. A row whose data is None says so instead of drawing nothing."""
    scale = _Scale(duration)
    out = [f'<svg id="timeline" class="timeline" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'data-duration="{duration:.3f}" data-x0="{X0}" data-x1="{X1}" aria-labelledby="timeline-title">',
           '<title id="timeline-title">Loudness, motion and speech over time, with scene boundaries and the '
           "trailer's picks</title>"]
    for label, (top, bottom) in (("Loudness", LOUDNESS_ROW), ("Motion", MOTION_ROW), ("Speech", SPEECH_ROW)):
        out.append(f'<text class="row-label" x="4" y="{(top + bottom) / 2 + 4:.1f}">{label}</text>')
        out.append(f'<rect class="row" x="{X0}" y="{top}" width="{X1 - X0:.1f}" height="{bottom - top:.1f}"/>')
    for segment in picks or []:
        a, b = scale.x(segment.source_start), scale.x(segment.source_end)
        out.append(
            f'<rect class="pick" x="{a}" y="{LOUDNESS_ROW[0] - 4}" width="{max(b - a, 1.0):.1f}" '
            f'height="{AXIS_Y - LOUDNESS_ROW[0] + 4:.1f}" data-start="{segment.source_start:.3f}" '
            f'data-end="{segment.source_end:.3f}"><title>Trailer pick {clock(segment.source_start)}–'
            f'{clock(segment.source_end)}: {html.escape(", ".join(segment.reasons) or "score")}</title></rect>')
    if activity is not None:
        if activity.loudness:
            low, high = LUFS_RANGE
            path = _area(activity.loudness, activity.step, scale, LOUDNESS_ROW, lambda v: (v - low) / (high - low))
            out.append(f'<path class="series loudness" d="{path}"/>')
        else:
            out.append(_no_data(LOUDNESS_ROW, "no audio"))
        peak = max([HIGH_MOTION * 2, *(v for v in activity.motion if v is not None)])
        out.append(f'<path class="series motion" d="{_area(activity.motion, activity.step, scale, MOTION_ROW, lambda v: v / peak)}"/>')
        guide = round(MOTION_ROW[1] - (MOTION_ROW[1] - MOTION_ROW[0]) * HIGH_MOTION / peak, 1)
        out.append(f'<line class="guide" x1="{X0}" x2="{X1}" y1="{guide}" y2="{guide}"><title>high-motion threshold'
                   "</title></line>")
    else:
        out += [_no_data(LOUDNESS_ROW, "no measurements"), _no_data(MOTION_ROW, "no measurements")]
    if words is None:
        out.append(_no_data(SPEECH_ROW, "no transcript"))
    else:
        for start, end in speech_spans(words):
            a, b = scale.x(start), scale.x(end)
            out.append(f'<rect class="speech" x="{a}" y="{SPEECH_ROW[0]}" width="{max(b - a, 0.5):.1f}" '
                       f'height="{SPEECH_ROW[1] - SPEECH_ROW[0]:.1f}" data-start="{start:.3f}" data-end="{end:.3f}"/>')
    for scene in scenes or []:
        if scene.transition_in == "start":
            continue
        x = scale.x(scene.start)
        out.append(f'<line class="boundary {scene.transition_in}" x1="{x}" x2="{x}" y1="{LOUDNESS_ROW[0] - 4}" '
                   f'y2="{AXIS_Y}" data-time="{scene.start:.3f}" data-scene="{scene.index}"><title>'
                   f'{scene.transition_in} to scene {scene.index} at {scene.start_timecode}</title></line>')
    step = tick_step(duration)
    out.append(f'<line class="axis" x1="{X0}" x2="{X1}" y1="{AXIS_Y}" y2="{AXIS_Y}"/>')
    for tick in range(0, math.floor(duration) + 1, step):
        x = scale.x(tick)
        out.append(f'<line class="tick" x1="{x}" x2="{x}" y1="{AXIS_Y}" y2="{AXIS_Y + 4}"/>'
                   f'<text class="tick-label" x="{x}" y="{AXIS_Y + 16}">{clock(tick)}</text>')
    out.append(f'<line id="playhead" class="playhead" x1="{X0}" x2="{X0}" y1="{LOUDNESS_ROW[0] - 4}" y2="{AXIS_Y}"/>')
    out.append("</svg>")
    return "\n".join(out)


def _no_data(row: tuple[float, float], why: str) -> str:
    return f'<text class="no-data" x="{(X0 + X1) / 2:.1f}" y="{(row[0] + row[1]) / 2 + 4:.1f}">{why}</text>'
