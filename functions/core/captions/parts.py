"""Long audio in parts: each part transcribes its stretch of the media plus an overlap on both sides, and the
parts are joined on one timeline at a silence inside each overlap.

Why overlap and cut afterwards, instead of cutting the audio at silences first: finding the silences would mean
reading the whole soundtrack before any part starts, which for a 12-hour video file means reading the whole file
in one invocation. Each part instead reads `PART_OVERLAP` seconds past its neighbours' boundaries; within that
shared stretch both parts have decoded the same speech with context on both sides, so the join cuts in the widest
pause where neither part has a word, away from the edges where a part's audio starts or stops mid-word. Every
word is kept from exactly one part, so none is lost or doubled at a join.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .models import Transcript, TranscriptSegment, Word

PART_OVERLAP = 10.0  # seconds a part reads past each boundary with a neighbour (at most)
EDGE_MARGIN = 2.0  # words this close to where a part's audio starts or stops are never where the cut is chosen

Window = tuple[float, float | None]


def part_overlap(starts: Sequence[float], overlap: float = PART_OVERLAP) -> float:
    """The overlap for parts beginning at `starts`: at most half the shortest part, so the stretches two
    neighbours share never reach a third part and the cuts stay in order."""
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    return min([overlap, *(g / 2 for g in gaps)])


def part_windows(starts: Sequence[float], overlap: float = PART_OVERLAP) -> list[Window]:
    """The (start, end) each part reads, for parts that begin at `starts` (the last runs to the end: None)."""
    overlap = part_overlap(starts, overlap)
    return [
        (max(0.0, start - overlap) if k else 0.0, starts[k + 1] + overlap if k + 1 < len(starts) else None)
        for k, start in enumerate(starts)
    ]


def choose_cut(left: Sequence[Word], right: Sequence[Word], boundary: float, overlap: float = PART_OVERLAP) -> float:
    """Where to join two parts that share [boundary - overlap, boundary + overlap]: the middle of the widest
    stretch, away from both edges, in which neither part heard a word (the boundary itself if there is none)."""
    margin = min(EDGE_MARGIN, overlap / 2)
    lo, hi = boundary - overlap + margin, boundary + overlap - margin
    spans = sorted((w.start, w.end) for w in (*left, *right) if w.end > lo and w.start < hi)
    best, cursor = (0.0, boundary), lo
    for start, end in [*spans, (hi, hi)]:
        if start - cursor > best[0]:
            best = (start - cursor, (cursor + start) / 2)
        cursor = max(cursor, end)
    return best[1]


def join_transcripts(parts: Sequence[Transcript], starts: Sequence[float], overlap: float = PART_OVERLAP) -> Transcript:
    """One transcript from parts that began at `starts` and read `part_windows(starts, overlap)`.

    Each word (and segment) is kept from the part whose side of the cuts its middle falls on."""
    if len(parts) != len(starts) or not parts:
        raise ValueError(f"{len(parts)} transcripts for {len(starts)} part starts")
    overlap = part_overlap(starts, overlap)
    cuts = [choose_cut(parts[k].words, parts[k + 1].words, starts[k + 1], overlap) for k in range(len(parts) - 1)]
    edges = [float("-inf"), *cuts, float("inf")]
    words: list[Word] = []
    segments: list[TranscriptSegment] = []
    for k, part in enumerate(parts):
        lo, hi = edges[k], edges[k + 1]
        words += [w for w in part.words if lo <= (w.start + w.end) / 2 < hi]
        segments += [s for s in part.segments if lo <= (s.start + s.end) / 2 < hi]
    spoken = Counter(p.language for p in parts if p.words)
    language = spoken.most_common(1)[0][0] if spoken else parts[0].language
    notes = {p.note for p in parts if p.note}
    # Without words in any part, the reason is the parts' own when they agree (no audio anywhere), else no speech.
    no_words = {p.no_words for p in parts}
    return Transcript(
        language=language,
        engine=parts[0].engine,
        duration=max(p.duration for p in parts),
        segments=segments,
        words=words,
        no_words=no_words.pop() if not words and len(no_words) == 1 else None,
        note=notes.pop() if len(notes) == 1 and len(parts) == sum(1 for p in parts if p.note) else None,
    )
