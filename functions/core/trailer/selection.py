"""Choosing the trailer's segments from scored scenes. Pure: scene records and words in, a TrailerPlan out.

1. Every scene is scored (`scoring`). Scenes too short to show alone are grouped into runs ("quick cuts").
2. Candidates are the usable stretch of each scene or run, clear of the frames around its cuts; long scenes
   are split into parts so a single-shot video still yields several moments.
3. Picks, in this order: the top-scoring candidate; the best candidate in each third of the timeline not yet
   covered; then the best remaining ones (ties go to the moment farthest from what is already picked) until
   the target is filled. Near-duplicates (the same look, or neighbouring parts of one shot) are avoided
   unless nothing else is left.
4. Lengths are shared out so that sum(lengths) - (n - 1) * fade hits the target, each within
   MIN_SEGMENT..MAX_SEGMENT; each window is then placed in its candidate, with its cuts between words.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from functions.core.models import SkipCode
from functions.core.scenes.models import Scene, TimedWord
from functions.core.trailer.models import (
    SceneScore,
    SegmentReason,
    TrailerFallback,
    TrailerPlan,
    TrailerSegment,
    TrailerSkip,
)
from functions.core.trailer.scoring import FULL_MOTION, score_scene
from functions.core.trailer.windows import fit_window
from functions.core.wording import counted

DEFAULT_TARGET: Final = 30.0
SHORT_SOURCE: Final = 90.0  # sources shorter than this get a trailer a third of their length...
MIN_TARGET: Final = 6.0  # ...but never shorter than this
FADE_SECONDS: Final = 0.5
MIN_SEGMENT: Final = 2.0
MAX_SEGMENT: Final = 5.0
PREFERRED_SEGMENT: Final = 3.5
EDGE_MARGIN: Final = 0.12  # keep clear of the frames next to a cut: dissolve blends, flash frames
DUPLICATE_LOOK: Final = 0.06  # feature distance below which two scenes look the same...
DUPLICATE_COLOURS: Final = 0.3  # ...when their dominant colours also differ by less than this (L1 of shares)

THIRDS: Final = (SegmentReason.OPENING, SegmentReason.MIDDLE, SegmentReason.ENDING)


def target_length(source_duration: float, requested: float | None = None) -> float:
    """The trailer length: as requested, else a third of a short source (at least MIN_TARGET), else 30 s."""
    if requested:
        return float(requested)
    if source_duration < SHORT_SOURCE:
        return max(MIN_TARGET, source_duration / 3)
    return DEFAULT_TARGET


def plan_trailer(
    scenes: Sequence[Scene],
    source_duration: float,
    *,
    fps: float,
    words: Sequence[TimedWord] | None = None,
    target_seconds: float | None = None,
    fade_seconds: float = FADE_SECONDS,
) -> TrailerPlan | TrailerSkip:
    """Pick the trailer's segments. `fps` is the output frame rate: segment edges land on its frame grid."""
    if not scenes:
        return TrailerSkip(code=SkipCode.NO_SCENES, reason="there are no scenes to choose highlights from")
    if source_duration <= 0 or fps <= 0:
        return TrailerSkip(code=SkipCode.NO_DURATION, reason="the source has no duration")
    words = sorted(words or (), key=lambda w: w.start)
    target = target_length(source_duration, target_seconds)
    scores = [score_scene(s, words) for s in scenes]
    total_frames = math.floor(source_duration * fps + 1e-6)
    # A middle segment blends into both neighbours, so a fade must stay under half the shortest segment.
    fade = max(0, min(round(fade_seconds * fps), round(MIN_SEGMENT * fps) // 2 - 1))

    if total_frames <= round(target * fps):
        return _whole_clip(scores, total_frames, fps, fade, source_duration, target)

    candidates = build_candidates(scenes, scores, fps, total_frames)
    if not candidates:
        return TrailerSkip(code=SkipCode.TOO_SHORT, reason="no scene is long enough to show")
    picks = sorted(choose(candidates, round(target * fps), fade, total_frames), key=lambda p: p.candidate.lo)
    lengths = share_lengths(picks, round(target * fps), fade)
    segments, cut_words = _place(picks, lengths, fps, words)
    expected = (sum(round(s.duration * fps) for s in segments) - (len(segments) - 1) * fade) / fps
    fallbacks, note = _note(segments, len(scenes), expected, target, cut_words)
    return TrailerPlan(
        source_duration=source_duration, target_seconds=round(target, 3), fade_seconds=fade / fps,
        fps=fps, expected_duration=round(expected, 3), segments=segments, scores=scores,
        fallbacks=fallbacks, note=note,
    )


@dataclass(frozen=True)
class Candidate:
    """A stretch of footage a segment may come from: frames [lo, hi), one scene (or part of it) or a run."""

    members: tuple[tuple[int, int, int], ...]  # (scene index, first frame, end frame) of the scenes in the stretch
    lo: int
    hi: int
    focus: int  # the frame the window should centre on: the middle of the best-scoring member
    score: SceneScore
    look: tuple[float, ...]
    colours: dict[str, float] = field(hash=False)
    part: int = 0
    reasons: tuple[SegmentReason, ...] = ()
    shortest: int = 0  # the segment length bounds, in frames (MIN_SEGMENT..MAX_SEGMENT, within the stretch)
    longest: int = 0
    preferred: int = 0

    @property
    def scenes(self) -> tuple[int, ...]:
        return tuple(index for index, _, _ in self.members)

    @property
    def length(self) -> int:
        return self.hi - self.lo

    @property
    def middle(self) -> float:
        return (self.lo + self.hi) / 2


@dataclass
class Pick:
    candidate: Candidate
    roles: list[SegmentReason] = field(default_factory=list)


def build_candidates(scenes: Sequence[Scene], scores: Sequence[SceneScore], fps: float,
                     total_frames: int) -> list[Candidate]:
    """Stretches to pick from, in source order: scenes long enough to show, split into parts when very long,
    and runs of shorter scenes ("quick cuts") up to MAX_SEGMENT long."""
    margin = round(EDGE_MARGIN * fps)
    shortest, longest = round(MIN_SEGMENT * fps), round(MAX_SEGMENT * fps)
    spans = [(min(total_frames, max(0, round(s.start * fps))), min(total_frames, round(s.end * fps))) for s in scenes]
    out: list[Candidate] = []
    run: list[int] = []  # positions of consecutive scenes too short to stand alone

    def flush_run() -> None:
        if not run:
            return
        lo, hi = spans[run[0]][0], spans[run[-1]][1]
        if hi - lo < shortest:  # pad out into the neighbouring footage, evenly where the source allows
            lo = max(0, min(lo - (shortest - (hi - lo)) // 2, total_frames - shortest))
            hi = min(total_frames, lo + shortest)
        if hi - lo >= shortest:
            best = max(run, key=lambda i: scores[i].score)
            quick = (SegmentReason.QUICK_CUTS,) if len(run) > 1 else ()
            out.append(_candidate([scenes[i] for i in run], [spans[i] for i in run], scores[best], lo, hi,
                                  sum(spans[best]) // 2, fps, reasons=quick))
        run.clear()

    for i, scene in enumerate(scenes):
        lo, hi = spans[i][0] + margin, spans[i][1] - margin
        if hi - lo < shortest:
            run.append(i)
            if spans[i][1] - spans[run[0]][0] >= longest:
                flush_run()
            continue
        flush_run()
        parts = max(1, (hi - lo) * 2 // (3 * longest))  # parts 1.5x the longest window: gaps between moments
        for p in range(parts):
            a, b = lo + (hi - lo) * p // parts, lo + (hi - lo) * (p + 1) // parts
            out.append(_candidate([scene], [spans[i]], scores[i], a, b, (a + b) // 2, fps, part=p))
    flush_run()
    return out


def choose(candidates: Sequence[Candidate], target: int, fade: int, total_frames: int) -> list[Pick]:
    """The candidates to use, in the order they were chosen (all lengths in frames)."""
    top = max(candidates, key=lambda c: (c.score.score, -c.lo))
    picks = [Pick(top, [SegmentReason.TOP_SCORE])]
    for third, role in enumerate(THIRDS):
        if any(_third(p.candidate, total_frames) == third for p in picks):
            continue
        options = [c for c in candidates if _third(c, total_frames) == third and _fits_beside(c, picks, strict=True)]
        if options:
            picks.append(Pick(max(options, key=lambda c: c.score.score), [role]))
    while len(picks) > 1 and _shortest_total(picks, fade) > target:
        picks.remove(min(picks[1:], key=lambda p: p.candidate.score.score))
    for strict in (True, False):
        while _preferred_total(picks, fade) < target:
            options = [c for c in candidates if _fits_beside(c, picks, strict)]
            if not options:
                break
            best = max(options, key=lambda c: (c.score.score, _distance(c, picks)))
            if _shortest_total([*picks, Pick(best)], fade) > target:
                break
            picks.append(Pick(best))
    return picks


def share_lengths(picks: Sequence[Pick], target: int, fade: int) -> list[int]:
    """Frames for each pick so that sum - (n - 1) * fade == target, as even as each pick's bounds allow."""
    bounds = [(p.candidate.shortest, p.candidate.longest) for p in picks]
    lengths = [lo for lo, _ in bounds]
    missing = target + (len(picks) - 1) * fade - sum(lengths)
    while missing > 0:
        room = [i for i, (_, hi) in enumerate(bounds) if lengths[i] < hi]
        if not room:
            break
        level = min(lengths[i] for i in room)
        for i in room:
            if lengths[i] == level and missing > 0:
                lengths[i] += 1
                missing -= 1
    return lengths


def _place(picks: Sequence[Pick], lengths: Sequence[int], fps: float,
           words: Sequence[TimedWord]) -> tuple[list[TrailerSegment], int]:
    """Segments in source order; a window that had to change length passes the difference to the next one."""
    segments, carry, cut_words = [], 0, 0
    for pick, length in zip(picks, lengths, strict=True):
        c = pick.candidate
        want = min(c.longest, max(c.shortest, length + carry))
        window = fit_window(c.lo, c.hi, want, fps=fps, words=words, min_length=c.shortest, max_length=c.longest,
                            focus=c.focus)
        carry = length + carry - window.length
        cut_words += not window.clear_of_words
        segments.append(TrailerSegment(
            source_start=round(window.start / fps, 4), source_end=round(window.end / fps, 4),
            scene_indexes=[i for i, a, b in c.members if a < window.end and b > window.start],
            score=c.score.score, breakdown=c.score.breakdown,
            reasons=[*pick.roles, *c.score.reasons, *c.reasons],
        ))
    return segments, cut_words


def _whole_clip(scores: list[SceneScore], frames: int, fps: float, fade: int, duration: float,
                target: float) -> TrailerPlan:
    best = max(scores, key=lambda s: s.score)
    fade = min(fade, frames // 4)
    segment = TrailerSegment(source_start=0.0, source_end=round(frames / fps, 4),
                             scene_indexes=[s.scene_index for s in scores], score=best.score,
                             breakdown=best.breakdown, reasons=[SegmentReason.WHOLE_CLIP])
    return TrailerPlan(
        source_duration=duration, target_seconds=round(target, 3), fade_seconds=fade / fps, fps=fps,
        expected_duration=round(frames / fps, 3), segments=[segment], scores=scores,
        fallbacks=[TrailerFallback.WHOLE_CLIP],
        note=(f"the source ({duration:.1f} s) is not longer than the {target:.1f} s target, "
              "so the trailer is the whole clip with fades"),
    )


def _candidate(scenes: Sequence[Scene], spans: Sequence[tuple[int, int]], score: SceneScore, lo: int, hi: int,
               focus: int, fps: float, *, part: int = 0, reasons: tuple[SegmentReason, ...] = ()) -> Candidate:
    f = max(scenes, key=lambda s: s.duration).features
    look = (f.brightness, f.contrast, min(1.0, f.colourfulness / 150), min(1.0, f.motion / FULL_MOTION) / 2)
    colours = {c.name: c.share for c in f.dominant_colours}
    length = hi - lo
    members = tuple((s.index, a, b) for s, (a, b) in zip(scenes, spans, strict=True))
    return Candidate(
        members, lo, hi, focus, score, look, colours, part, reasons,
        shortest=min(length, round(MIN_SEGMENT * fps)), longest=min(length, round(MAX_SEGMENT * fps)),
        preferred=min(length, round(PREFERRED_SEGMENT * fps)),
    )


def near_duplicates(a: Candidate, b: Candidate) -> bool:
    """Neighbouring parts of one shot, or two shots with the same look and the same colours."""
    if a.scenes == b.scenes:
        return abs(a.part - b.part) <= 1
    colour_gap = sum(abs(a.colours.get(n, 0.0) - b.colours.get(n, 0.0)) for n in a.colours.keys() | b.colours.keys())
    return math.dist(a.look, b.look) < DUPLICATE_LOOK and colour_gap < DUPLICATE_COLOURS


def _fits_beside(c: Candidate, picks: Sequence[Pick], strict: bool) -> bool:
    for p in picks:
        o = p.candidate
        if c is o or (c.lo < o.hi and o.lo < c.hi) or (strict and near_duplicates(c, o)):
            return False
    return True


def _third(c: Candidate, total_frames: int) -> int:
    return min(2, int(3 * c.middle / total_frames))


def _shortest_total(picks: Sequence[Pick], fade: int) -> int:
    return sum(p.candidate.shortest for p in picks) - (len(picks) - 1) * fade


def _preferred_total(picks: Sequence[Pick], fade: int) -> int:
    return sum(p.candidate.preferred for p in picks) - (len(picks) - 1) * fade


def _distance(c: Candidate, picks: Sequence[Pick]) -> float:
    return min(abs(c.middle - p.candidate.middle) for p in picks)


def _note(segments: list[TrailerSegment], scene_count: int, expected: float, target: float,
          cut_words: int) -> tuple[list[TrailerFallback], str]:
    """The plan's fallbacks, and its note: a summary, then a sentence for each fallback."""
    fallbacks: list[TrailerFallback] = []
    parts = [f"{counted(len(segments), 'highlight')} from {counted(scene_count, 'scene')}"]
    if expected < target - 0.5:
        fallbacks.append(TrailerFallback.SHORT_OF_TARGET)
        parts.append(f"only {expected:.1f} s of distinct footage for the {target:.1f} s target")
    if cut_words:
        fallbacks.append(TrailerFallback.CUT_IN_WORD)
        parts.append(f"{counted(cut_words, 'cut')} could not avoid a word (continuous speech)")
    return fallbacks, "; ".join(parts)
