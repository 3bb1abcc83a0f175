"""Amazon Transcribe on long sources: the chunks grouped into spans within Transcribe's 4 h a file, the poll interval
each span gets, and the spans' results joined on one timeline."""
import math

import pytest

from functions.core.captions import Transcript, Word
from functions.core.captions.spans import (
    MAX_POLLS,
    MIN_POLL_SECONDS,
    TRANSCRIBE_MAX_FILE_SECONDS,
    ChunkLongerThanSpan,
    join_spans,
    transcribe_spans,
)
from functions.core.cost.estimate import synthetic_source
from functions.core.cost.rates import TRANSCRIBE_TURNAROUND
from functions.core.ladder import plan_transcode
from functions.core.models import Chunk


@pytest.mark.parametrize(("seconds", "spans"), [(20, 1), (3600, 1), (4 * 3600, 2), (12 * 3600, 4)])
def test_spans_cover_every_chunk_once_in_order_within_transcribes_limit(seconds, spans):
    chunks = plan_transcode(synthetic_source(seconds, 1080)).chunks
    found = transcribe_spans(chunks)
    assert len(found) == spans
    covered = [i for span in found for i in range(span.first_chunk, span.first_chunk + span.chunk_count)]
    assert covered == [c.index for c in chunks]
    assert all(span.duration < TRANSCRIBE_MAX_FILE_SECONDS for span in found)
    assert [span.start for span in found] == [chunks[span.first_chunk].start for span in found]
    assert sum(span.duration for span in found) == pytest.approx(seconds)


@pytest.mark.parametrize("seconds", [20, 3600, 12 * 3600])
def test_the_poll_interval_keeps_each_span_to_max_polls(seconds):
    for span in transcribe_spans(plan_transcode(synthetic_source(seconds, 1080)).chunks):
        assert span.poll_seconds >= MIN_POLL_SECONDS
        assert math.ceil(span.duration * TRANSCRIBE_TURNAROUND / span.poll_seconds) <= MAX_POLLS


def test_a_chunk_longer_than_a_transcribe_file_is_refused():
    with pytest.raises(ChunkLongerThanSpan):
        transcribe_spans([Chunk(index=0, start=0.0, duration=5 * 3600.0)])


def test_joined_spans_are_on_the_sources_timeline():
    def part(*words: tuple[str, float]) -> Transcript:
        return Transcript(language="en-US", engine="transcribe", duration=100.0,
                          words=[Word(text=t, start=s, end=s + 0.5) for t, s in words])

    joined = join_spans([part(("one", 1.0)), part(("two", 2.0), ("three", 99.0))], [0.0, 100.0])
    assert [(w.text, w.start) for w in joined.words] == [("one", 1.0), ("two", 102.0), ("three", 199.0)]
    assert joined.duration == 200.0
