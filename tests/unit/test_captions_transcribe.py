"""Amazon Transcribe: the request we send and the result we read, without calling AWS."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from functions.core.captions import build_transcribe_request, get_engine, parse_transcribe_result
from functions.core.captions.engines import EngineUnavailable

FIXTURES = Path(__file__).parents[1] / "fixtures" / "speech"


def _result() -> dict:
    return json.loads((FIXTURES / "transcribe_result.json").read_text())


def test_request_has_what_start_transcription_job_needs() -> None:
    request = build_transcribe_request(
        "job 42/asset:7", "s3://media/in/talk.mp4", "en-US", "results", "jobs/42/transcribe.json"
    )
    assert request == {
        "TranscriptionJobName": "job-42-asset-7",
        "LanguageCode": "en-US",
        "Media": {"MediaFileUri": "s3://media/in/talk.mp4"},
        "OutputBucketName": "results",
        "OutputKey": "jobs/42/transcribe.json",
    }


@pytest.mark.parametrize(
    ("uri", "language"), [("https://example.com/a.mp4", "en-US"), ("s3://b/a.mp4", "english")]
)
def test_request_rejects_what_transcribe_would(uri: str, language: str) -> None:
    with pytest.raises(ValueError):
        build_transcribe_request("job", uri, language, "bucket", "key.json")


def test_result_words_carry_times_confidence_and_punctuation() -> None:
    transcript = parse_transcribe_result(_result(), language="en-US")
    texts = [w.text for w in transcript.words]
    assert texts[:3] == ["The", "weather", "was"]
    assert "morning." in texts and "bridge," in texts and "." not in texts
    assert transcript.text == (FIXTURES / "speech.txt").read_text().strip()
    first = transcript.words[0]
    assert (first.start, first.end, first.confidence) == (0.19, 0.27, 0.9467)
    assert [w.text for w in transcript.words if w.confidence < 0.9] == ["stopped"]
    assert all(a.start <= b.start for a, b in zip(transcript.words, transcript.words[1:]))


def test_result_segments_follow_transcribe_audio_segments() -> None:
    transcript = parse_transcribe_result(_result())
    assert [s.text for s in transcript.segments] == [
        s["transcript"] for s in _result()["results"]["audio_segments"]
    ]
    assert transcript.language == "und"  # the document does not say; the caller should
    assert transcript.duration == transcript.words[-1].end


def test_result_without_audio_segments_is_split_into_sentences() -> None:
    doc = _result()
    del doc["results"]["audio_segments"]
    assert len(parse_transcribe_result(doc).segments) == 3


def test_empty_result_is_an_empty_transcript() -> None:
    doc = {"jobName": "j", "status": "COMPLETED", "results": {"transcripts": [{"transcript": ""}], "items": []}}
    transcript = parse_transcribe_result(doc, language="en-US")
    assert transcript.words == [] and transcript.segments == [] and transcript.duration == 0


def test_transcribe_is_not_an_in_process_engine() -> None:
    with pytest.raises(EngineUnavailable, match="state machine"):
        get_engine("transcribe")
