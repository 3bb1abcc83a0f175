"""Amazon Transcribe: pure request building and result parsing, plus a thin, injectable job runner."""
from __future__ import annotations

import re
from typing import Any

from ...models import AUTO_LANGUAGE, TRANSCRIBE_LANGUAGE_PATTERN
from ..models import Transcript, TranscriptSegment, Word
from .base import EngineUnavailable, SpeechEngine

_JOB_NAME = re.compile(r"[^0-9A-Za-z._-]+")
_LANGUAGE = re.compile(TRANSCRIBE_LANGUAGE_PATTERN)
_SENTENCE_END = (".", "?", "!")
_OPENING = frozenset("¿¡([{“‘«")  # punctuation that belongs to the word after it
# Transcribe needs a ceiling on speakers when it labels them; more speakers than this merge into one.
DEFAULT_MAX_SPEAKERS = 10


class InvalidTranscribeRequest(ValueError):
    """Raised by build_transcribe_request for a request Amazon Transcribe would refuse (a non-S3 media URI, a
    language that is not a Transcribe code, a vocabulary whose language is not among the identification options)."""


def build_transcribe_request(
    job_name: str,
    media_s3_uri: str,
    language: str,
    output_bucket: str,
    output_key: str,
    *,
    vocabulary: str | None = None,
    vocabulary_language: str | None = None,
    language_options: list[str] | None = None,
    speaker_labels: bool = False,
    max_speakers: int | None = None,
) -> dict[str, Any]:
    """Keyword arguments for `start_transcription_job`. The job name is made safe for Transcribe.

    Language `auto` asks Transcribe to identify the language (IdentifyLanguage, narrowed to `language_options`
    when given). A custom vocabulary belongs to one language, so with `auto` it goes in LanguageIdSettings under
    `vocabulary_language` (the caller reads it from GetVocabulary), which must be one of the options; with a
    known language it goes in Settings. `max_speakers` turns speaker labels on by itself.
    """
    if not media_s3_uri.startswith("s3://"):
        raise InvalidTranscribeRequest(f"Transcribe reads media from S3; got {media_s3_uri!r}")
    identify = language == AUTO_LANGUAGE
    if not identify and not _LANGUAGE.match(language):
        raise InvalidTranscribeRequest(
            f"Transcribe needs a language code such as 'en-US' or {AUTO_LANGUAGE!r}; got {language!r}")
    name = _JOB_NAME.sub("-", job_name).strip("-")[:200]
    if not name:
        raise InvalidTranscribeRequest(f"job name {job_name!r} has no usable characters")
    request: dict[str, Any] = {"TranscriptionJobName": name}
    settings: dict[str, Any] = {}
    if identify:
        request["IdentifyLanguage"] = True
        if language_options:
            request["LanguageOptions"] = list(language_options)
        if vocabulary:
            if not language_options or vocabulary_language not in language_options:
                raise InvalidTranscribeRequest(
                    f"vocabulary {vocabulary!r} is for {vocabulary_language or 'an unknown language'}, which is "
                    f"not among the language options {language_options or []}")
            request["LanguageIdSettings"] = {vocabulary_language: {"VocabularyName": vocabulary}}
    else:
        request["LanguageCode"] = language
        if vocabulary:
            settings["VocabularyName"] = vocabulary
    if speaker_labels or max_speakers is not None:
        settings |= {"ShowSpeakerLabels": True, "MaxSpeakerLabels": max_speakers or DEFAULT_MAX_SPEAKERS}
    request |= {"Media": {"MediaFileUri": media_s3_uri}, "OutputBucketName": output_bucket, "OutputKey": output_key}
    if settings:
        request["Settings"] = settings
    return request


def parse_transcribe_result(doc: dict[str, Any], *, language: str | None = None) -> Transcript:
    """Read a Transcribe result document. Punctuation is attached to the word before it.

    `language` is what the job asked for; with none (or `auto`) the transcript records the language Transcribe
    identified. Each word keeps its speaker label (`spk_0`, ...) when the job asked for speaker labels.
    """
    results = doc.get("results") or {}
    if not language or language == AUTO_LANGUAGE:
        language = identified_language(results) or "und"
    speakers = _speaker_table(results)
    words: list[Word] = []
    by_id: dict[int, int] = {}  # item id -> index of the word it belongs to
    prefix = ""  # punctuation before any word ("¿"), kept for the next word
    for position, item in enumerate(results.get("items", [])):
        best = (item.get("alternatives") or [{}])[0]
        content = (best.get("content") or "").strip()
        if not content:
            continue
        item_id = int(item.get("id", position))
        if item.get("type") == "punctuation":
            if words and not prefix and content not in _OPENING:
                last = words[-1]
                words[-1] = last.model_copy(update={"text": last.text + content})
                by_id[item_id] = len(words) - 1
            else:
                prefix += content
            continue
        start, end = float(item["start_time"]), float(item["end_time"])
        speaker = item.get("speaker_label") or speakers.get(_ms(start))
        words.append(
            Word(text=prefix + content, start=start, end=max(start, end), confidence=_confidence(best),
                 speaker=speaker)
        )
        prefix = ""
        by_id[item_id] = len(words) - 1
    segments = _segments(results.get("audio_segments"), words, by_id)
    duration = max((w.end for w in words), default=0.0)
    return Transcript(language=language, engine="transcribe", duration=duration, segments=segments, words=words)


def identified_language(results: dict[str, Any]) -> str | None:
    """The language Transcribe identified: `language_code`, else the best-scored `language_identification` entry."""
    if results.get("language_code"):
        return str(results["language_code"])
    scored = [c for c in results.get("language_identification") or [] if c.get("code")]
    if not scored:
        return None
    return str(max(scored, key=lambda c: float(c.get("score") or 0))["code"])


def _speaker_table(results: dict[str, Any]) -> dict[int, str]:
    """Word start (ms) -> speaker, from the `speaker_labels` section older result documents carry instead of a
    `speaker_label` on each item."""
    table: dict[int, str] = {}
    for segment in (results.get("speaker_labels") or {}).get("segments") or []:
        for item in segment.get("items") or []:
            label = item.get("speaker_label") or segment.get("speaker_label")
            if label and item.get("start_time") is not None:
                table[_ms(float(item["start_time"]))] = label
    return table


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _confidence(alternative: dict[str, Any]) -> float:
    try:
        return min(1.0, max(0.0, float(alternative.get("confidence", 1.0))))
    except (TypeError, ValueError):
        return 1.0


def _segments(audio_segments: list[dict] | None, words: list[Word], by_id: dict[int, int]) -> list[TranscriptSegment]:
    """Transcribe's own audio segments when present, else one segment per sentence."""
    groups: list[list[Word]] = []
    if audio_segments:
        for seg in audio_segments:
            indexes = sorted({by_id[i] for i in seg.get("items", []) if i in by_id})
            if indexes:
                groups.append(words[indexes[0] : indexes[-1] + 1])
    else:
        current: list[Word] = []
        for w in words:
            current.append(w)
            if w.text.endswith(_SENTENCE_END):
                groups.append(current)
                current = []
        if current:
            groups.append(current)
    return [TranscriptSegment(start=g[0].start, end=g[-1].end, text=" ".join(w.text for w in g)) for g in groups]


def transcribe_in_state_machine(**_options: Any) -> SpeechEngine:
    """Amazon Transcribe is not run from inside a function: the state machine starts the job
    (TranscribeStart), waits and polls it, then Captions reads the result with
    `parse_transcribe_result`. Nothing should ask for it as an in-process engine."""
    raise EngineUnavailable(
        "the transcribe engine runs in the state machine (TranscribeStart, then a Wait/poll loop), "
        "not inside the Captions function"
    )
