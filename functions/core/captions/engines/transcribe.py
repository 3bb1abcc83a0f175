"""Amazon Transcribe: pure request building and result parsing, plus a thin, injectable job runner."""
from __future__ import annotations

import re
from typing import Any

from ..models import Transcript, TranscriptSegment, Word
from .base import EngineUnavailable, SpeechEngine

_JOB_NAME = re.compile(r"[^0-9A-Za-z._-]+")
_LANGUAGE = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")
_SENTENCE_END = (".", "?", "!")


def build_transcribe_request(
    job_name: str, media_s3_uri: str, language: str, output_bucket: str, output_key: str
) -> dict[str, Any]:
    """Keyword arguments for `start_transcription_job`. The job name is made safe for Transcribe."""
    if not media_s3_uri.startswith("s3://"):
        raise ValueError(f"Transcribe reads media from S3; got {media_s3_uri!r}")
    if not _LANGUAGE.match(language):
        raise ValueError(f"Transcribe needs a language code such as 'en-US'; got {language!r}")
    name = _JOB_NAME.sub("-", job_name).strip("-")[:200]
    if not name:
        raise ValueError(f"job name {job_name!r} has no usable characters")
    return {
        "TranscriptionJobName": name,
        "LanguageCode": language,
        "Media": {"MediaFileUri": media_s3_uri},
        "OutputBucketName": output_bucket,
        "OutputKey": output_key,
    }


def parse_transcribe_result(doc: dict[str, Any], *, language: str | None = None) -> Transcript:
    """Read a Transcribe result document. Punctuation is attached to the word before it."""
    results = doc.get("results") or {}
    language = language or results.get("language_code") or "und"
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
            if words and not prefix:
                last = words[-1]
                words[-1] = last.model_copy(update={"text": last.text + content})
                by_id[item_id] = len(words) - 1
            else:
                prefix += content
            continue
        start, end = float(item["start_time"]), float(item["end_time"])
        words.append(
            Word(text=prefix + content, start=start, end=max(start, end), confidence=_confidence(best))
        )
        prefix = ""
        by_id[item_id] = len(words) - 1
    segments = _segments(results.get("audio_segments"), words, by_id)
    duration = max((w.end for w in words), default=0.0)
    return Transcript(language=language, engine="transcribe", duration=duration, segments=segments, words=words)


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
