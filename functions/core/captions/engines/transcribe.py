"""Amazon Transcribe: pure request building and result parsing, plus a thin, injectable job runner."""
from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...ffmpeg import MediaError, ProgressCallback
from ..models import Transcript, TranscriptSegment, Word
from .base import EngineUnavailable

_JOB_NAME = re.compile(r"[^0-9A-Za-z._-]+")
_LANGUAGE = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")
_SENTENCE_END = (".", "?", "!")
BUCKET_ENV = "REELFLOW_TRANSCRIBE_BUCKET"


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


class TranscribeEngine:
    """Runs one Transcribe job for the whole file: uploads the media unless `media_uri` says where it already is.

    The clients are injectable; by default boto3's are made on first use. Polling blocks, so the caller
    must allow for Transcribe's turnaround (minutes for long media); a state machine can instead call
    `build_transcribe_request` and `parse_transcribe_result` around its own wait loop.
    """

    name = "transcribe"

    def __init__(
        self,
        *,
        bucket: str | None = None,
        prefix: str = "transcribe/",
        media_uri: str | None = None,
        transcribe_client: Any = None,
        s3_client: Any = None,
        poll_seconds: float = 5.0,
        timeout: float = 840.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import os

        self.bucket = bucket or os.environ.get(BUCKET_ENV)
        self.prefix, self.media_uri = prefix, media_uri
        self._transcribe, self._s3 = transcribe_client, s3_client
        self._poll, self._timeout, self._sleep = poll_seconds, timeout, sleep

    def transcribe(
        self, media: Path, *, language: str, on_progress: ProgressCallback | None = None
    ) -> Transcript:
        return parse_transcribe_result(self.run_job(media, language), language=language)

    def run_job(self, media: Path, language: str) -> dict[str, Any]:
        if not self.bucket:
            raise EngineUnavailable(f"the transcribe engine needs a bucket for its output: set {BUCKET_ENV}")
        transcribe, s3 = self._clients()
        job = f"reelflow-{uuid.uuid4().hex}"
        folder = f"{self.prefix.rstrip('/')}/{job}"
        media_uri = self.media_uri
        if media_uri is None:
            s3.upload_file(str(media), self.bucket, f"{folder}/media{media.suffix}")
            media_uri = f"s3://{self.bucket}/{folder}/media{media.suffix}"
        request = build_transcribe_request(job, media_uri, language, self.bucket, f"{folder}/result.json")
        transcribe.start_transcription_job(**request)
        waited = 0.0
        while True:
            status = transcribe.get_transcription_job(TranscriptionJobName=request["TranscriptionJobName"])
            state = status["TranscriptionJob"]["TranscriptionJobStatus"]
            if state == "COMPLETED":
                break
            if state == "FAILED":
                reason = status["TranscriptionJob"].get("FailureReason", "no reason given")
                raise MediaError(f"Amazon Transcribe failed: {reason}")
            if waited >= self._timeout:
                raise MediaError(f"Amazon Transcribe did not finish within {self._timeout:.0f} s")
            self._sleep(self._poll)
            waited += self._poll
        body = s3.get_object(Bucket=self.bucket, Key=request["OutputKey"])["Body"].read()
        return json.loads(body)

    def _clients(self) -> tuple[Any, Any]:
        if self._transcribe is None or self._s3 is None:
            import boto3

            self._transcribe = self._transcribe or boto3.client("transcribe")
            self._s3 = self._s3 or boto3.client("s3")
        return self._transcribe, self._s3
