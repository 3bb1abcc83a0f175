"""Amazon Transcribe on long sources: the soundtrack is extracted one chunk at a time (CaptionPart, in the chunk Map)
and joined into one file per span of at most Transcribe's file length, each span its own Transcribe job.

Why spans: Transcribe refuses a batch file longer than 4 hours (14,400 s) or larger than 2 GB, a quota that cannot be
raised ("Guidelines and quotas", docs.aws.amazon.com/transcribe/latest/dg/limits-guidelines.html), so a 12 h source
takes four jobs. Why per-chunk extraction: decoding a 12 h source's audio in one invocation takes longer than
Lambda's 15 minutes; each chunk's FLAC part takes seconds, and TranscribeStart only joins a span's parts.

Why the poll interval grows with the span: every Wait, GetTranscriptionJob and Choice adds events to the execution's
history (limit 25,000), and a 12 h source's spans are polled side by side for hours; the interval keeps each span
to about MAX_POLLS polls at the assumed turnaround (rates.TRANSCRIBE_TURNAROUND), never less than MIN_POLL_SECONDS.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from functions.core.cost.rates import TRANSCRIBE_TURNAROUND
from functions.core.models import Chunk, TranscribeSpan

from .models import Transcript

# Transcribe's fixed limit on a batch file's length, less a minute so a span never meets it to the second.
TRANSCRIBE_MAX_FILE_SECONDS = 4 * 3600
SPAN_MAX_SECONDS = TRANSCRIBE_MAX_FILE_SECONDS - 60
MIN_POLL_SECONDS = 15
MAX_POLLS = 200


class ChunkLongerThanSpan(ValueError):
    """Raised by transcribe_spans when one chunk alone is longer than a Transcribe file may be (a plan with
    chunks of hours, which Probe never makes)."""


def poll_seconds(duration: float) -> int:
    """How often the state machine asks Transcribe about a span of `duration` seconds."""
    return max(MIN_POLL_SECONDS, math.ceil(duration * TRANSCRIBE_TURNAROUND / MAX_POLLS))


def transcribe_spans(chunks: Sequence[Chunk], max_seconds: float = SPAN_MAX_SECONDS) -> list[TranscribeSpan]:
    """Consecutive chunks grouped into the fewest spans of at most `max_seconds`, as even in chunks as they go (the
    spans' jobs run side by side, so the longest one sets the wait)."""
    for chunk in chunks:
        if chunk.duration > max_seconds:
            raise ChunkLongerThanSpan(f"chunk {chunk.index} is {chunk.duration:.0f} s, over {max_seconds:.0f} s")
    count = max(1, math.ceil(sum(c.duration for c in chunks) / max_seconds))
    while True:
        size = math.ceil(len(chunks) / count)
        groups = [list(chunks[i:i + size]) for i in range(0, len(chunks), size)]
        if all(sum(c.duration for c in g) <= max_seconds for g in groups):
            break
        count += 1
    spans = []
    for index, group in enumerate(groups):
        duration = sum(c.duration for c in group)
        spans.append(TranscribeSpan(index=index, start=group[0].start, duration=duration,
                                    first_chunk=group[0].index, chunk_count=len(group),
                                    poll_seconds=poll_seconds(duration)))
    return spans


def audio_part_key(work: str, chunk_index: int) -> str:
    """Where CaptionPart writes a chunk's FLAC for Transcribe, and TranscribeStart reads it."""
    return f"{work}/captions/audio-{chunk_index:04d}.flac"


def span_audio_key(work: str, span_index: int) -> str:
    """The joined FLAC of one span, which its Transcribe job reads."""
    return f"{work}/captions/audio-span-{span_index}.flac"


def span_result_key(work: str, span_index: int) -> str:
    """Where a span's Transcribe job writes its result document."""
    return f"{work}/transcribe-{span_index}.json"


def span_job_name(job_id: str, span_index: int) -> str:
    """The Transcribe job's name: the Reelflow job's id and the span, so a retried job's names are its own."""
    return f"{job_id}-{span_index}"


def join_spans(parts: Sequence[Transcript], starts: Sequence[float]) -> Transcript:
    """One transcript from the spans' Transcribe results (each timed from its span's start), in order.

    Spans meet at chunk bounds without overlap, so a word spoken across a bound is heard in part by each span;
    at most one such bound per 3 hours (spans are as long as Transcribe allows). Each job labels its own
    speakers, so a speaker's label may differ from one span to the next."""
    if len(parts) != len(starts) or not parts:
        raise ValueError(f"{len(parts)} transcripts for {len(starts)} span starts")
    words = [w.shifted(start) for part, start in zip(parts, starts, strict=True) for w in part.words]
    segments = [s.model_copy(update={"start": s.start + start, "end": s.end + start})
                for part, start in zip(parts, starts, strict=True) for s in part.segments]
    spoken = Counter(p.language for p in parts if p.words)
    return Transcript(language=spoken.most_common(1)[0][0] if spoken else parts[0].language, engine=parts[0].engine,
                      duration=max(start + p.duration for p, start in zip(parts, starts, strict=True)),
                      segments=segments, words=words)
