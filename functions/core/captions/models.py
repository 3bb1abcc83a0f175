"""Caption payloads: the transcript (saved as `transcript.json`), cues, and what a captions run reports."""
from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

OUTPUT_TRANSCRIPT = "transcript"
OUTPUT_VTT = "captions_vtt"
OUTPUT_SRT = "captions_srt"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class NoWords(StrEnum):
    """Why a transcript has no words. Not an error: its caption files are valid and empty, and its note says the
    same for people."""

    NO_AUDIO = "NO_AUDIO"  # the media has no audio stream (the probe said so, or the file did)
    NO_SPEECH = "NO_SPEECH"  # the audio was transcribed and the engine heard no speech in it


class Word(_Model):
    """One spoken word on the media timeline, in seconds. `text` may carry attached punctuation ("Hello,").
    `speaker` is the engine's label for who said it (Transcribe's `spk_0`, ...), when the engine tells speakers apart."""

    text: str = Field(min_length=1)
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    confidence: float = Field(default=1.0, ge=0, le=1)
    speaker: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Word:
        if self.end < self.start:
            raise ValueError(f"word {self.text!r} ends ({self.end}) before it starts ({self.start})")
        return self

    def shifted(self, offset: float) -> Word:
        return self.model_copy(update={"start": self.start + offset, "end": self.end + offset})


class TranscriptSegment(_Model):
    """A stretch of speech the engine decoded as one unit (a VAD segment, or a Transcribe audio segment)."""

    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str


class Transcript(_Model):
    """What was said and when. Serialised as `transcript.json`."""

    language: str
    engine: str
    duration: float = Field(default=0.0, ge=0)
    segments: list[TranscriptSegment] = Field(default_factory=list)
    words: list[Word] = Field(default_factory=list)
    no_words: NoWords | None = Field(None, description="Why there are no words; None when there are some")
    note: str | None = None

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, data: str | bytes) -> Transcript:
        return cls.model_validate_json(data)


class Cue(_Model):
    """One caption on screen: up to two lines shown from `start` to `end` (seconds, millisecond precision)."""

    start: float
    end: float
    lines: list[str]
    words: list[Word]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def speaker(self) -> str | None:
        """Who speaks the cue (the cue builder never mixes speakers in one cue); None when unknown."""
        return self.words[0].speaker if self.words else None


class CaptionSummary(_Model):
    """The short description of a transcript that goes on the asset record."""

    language: str
    engine: str
    word_count: int
    keywords: list[str]


class CaptionOutcome(_Model):
    """What `caption_media` produced. `outputs` maps manifest names to paths relative to the output folder."""

    outputs: dict[str, str]
    summary: CaptionSummary
    cue_count: int
    no_words: NoWords | None = None
    note: str | None = None
