"""Amazon Transcribe: the request we send and the result we read, without calling AWS."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import srt
import webvtt

from functions.core.captions import build_transcribe_request, get_engine, parse_transcribe_result, write_captions
from functions.core.captions.engines import EngineUnavailable
from functions.core.captions.engines.transcribe import DEFAULT_MAX_SPEAKERS, InvalidTranscribeRequest

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
    assert all(a.start <= b.start for a, b in zip(transcript.words, transcript.words[1:], strict=False))


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


def _dialogue() -> dict:
    """Two speakers, in Spanish, from a job that asked Transcribe to identify the language."""
    return json.loads((FIXTURES / "transcribe_result_speakers.json").read_text())


def _request(language: str = "en-US", **options) -> dict:
    return build_transcribe_request("job", "s3://b/a.flac", language, "out", "t.json", **options)


def test_request_carries_a_vocabulary_and_speaker_settings() -> None:
    request = _request(vocabulary="acme-names.v2", speaker_labels=True, max_speakers=4)
    assert request["LanguageCode"] == "en-US"
    assert request["Settings"] == {"VocabularyName": "acme-names.v2", "ShowSpeakerLabels": True, "MaxSpeakerLabels": 4}


def test_max_speakers_alone_turns_speaker_labels_on_and_labels_alone_get_a_ceiling() -> None:
    assert _request(max_speakers=3)["Settings"] == {"ShowSpeakerLabels": True, "MaxSpeakerLabels": 3}
    assert _request(speaker_labels=True)["Settings"]["MaxSpeakerLabels"] == DEFAULT_MAX_SPEAKERS


def test_auto_language_identifies_instead_of_naming_a_language() -> None:
    request = _request("auto", language_options=["en-US", "es-US"])
    assert request["IdentifyLanguage"] is True and request["LanguageOptions"] == ["en-US", "es-US"]
    assert "LanguageCode" not in request and "Settings" not in request
    assert "LanguageOptions" not in _request("auto")


def test_with_auto_language_a_vocabulary_goes_under_its_own_language() -> None:
    request = _request("auto", vocabulary="marcas", vocabulary_language="es-US", language_options=["en-US", "es-US"])
    assert request["LanguageIdSettings"] == {"es-US": {"VocabularyName": "marcas"}}
    assert "Settings" not in request
    with pytest.raises(InvalidTranscribeRequest):
        _request("auto", vocabulary="marcas", vocabulary_language="fr-FR", language_options=["en-US", "es-US"])


def test_each_word_keeps_its_speaker() -> None:
    transcript = parse_transcribe_result(_dialogue())
    turns = [(w.speaker, w.text) for w in transcript.words]
    assert turns[:2] == [("spk_0", "Buenos"), ("spk_0", "días.")]
    assert [w.text for w in transcript.words if w.speaker == "spk_1"][0] == "Sí."
    assert "¿Has" in [w.text for w in transcript.words]  # opening punctuation belongs to the next word
    assert {w.speaker for w in transcript.words} == {"spk_0", "spk_1"}


def test_older_documents_give_speakers_through_their_speaker_labels_section() -> None:
    doc = _dialogue()
    for item in doc["results"]["items"]:
        del item["speaker_label"]
    assert parse_transcribe_result(doc).words == parse_transcribe_result(_dialogue()).words


def test_identified_language_is_recorded_when_the_job_asked_for_auto() -> None:
    assert parse_transcribe_result(_dialogue(), language="auto").language == "es-US"
    doc = _dialogue()
    del doc["results"]["language_code"]  # only the scored list
    assert parse_transcribe_result(doc, language="auto").language == "es-US"
    assert parse_transcribe_result(_dialogue(), language="es-MX").language == "es-MX"  # what the job asked for


def test_speaker_aware_captions_from_a_dialogue(tmp_path: Path) -> None:
    outcome = write_captions(parse_transcribe_result(_dialogue(), language="auto"), tmp_path)
    assert outcome.outputs["captions_vtt"] == "captions/es.vtt" and outcome.summary.language == "es-US"
    captions = webvtt.read(tmp_path / outcome.outputs["captions_vtt"]).captions
    # Turns follow each other within 0.24 s, and "Sí." would share a cue with the question around it.
    assert [c.voice for c in captions] == ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2", "Speaker 2"]
    srt_first = [s.content.split("\n")[0] for s in srt.parse((tmp_path / outcome.outputs["captions_srt"]).read_text())]
    assert [line.split("]")[0] + "]" for line in srt_first] == [f"[{c.voice}]" for c in captions]
    saved = json.loads((tmp_path / "transcript.json").read_text())
    assert [w["speaker"] for w in saved["words"]] == [w.speaker for w in parse_transcribe_result(_dialogue()).words]
