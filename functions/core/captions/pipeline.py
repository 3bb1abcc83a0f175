"""The captions stage as one call: media in, `transcript.json` and `captions/<lang>.vtt|.srt` out."""
from __future__ import annotations

from pathlib import Path

from ..ffmpeg import ProgressCallback
from .audio import has_audio_stream
from .cues import build_cues
from .engines import DEFAULT_ENGINE, SpeechEngine, check_engine_name, get_engine
from .keywords import top_keywords
from .models import OUTPUT_SRT, OUTPUT_TRANSCRIPT, OUTPUT_VTT, CaptionOutcome, CaptionSummary, NoWords, Transcript
from .writers import to_srt, to_webvtt

# The notes that go with NoWords.NO_AUDIO and NoWords.NO_SPEECH.
NO_AUDIO = "no audio track"
NO_SPEECH = "no speech detected"


def caption_media(
    media: Path | str,
    out_dir: Path,
    *,
    engine: str | SpeechEngine = DEFAULT_ENGINE,
    language: str = "en-US",
    has_audio: bool = True,
    on_progress: ProgressCallback | None = None,
) -> CaptionOutcome:
    """Transcribe `media` (a file, or a URL ffmpeg reads such as a presigned S3 GET) and write the
    transcript and caption files into `out_dir`.

    Media without audio or without speech is not an error: it gets valid empty caption files and a note.
    Raises UnknownEngine / EngineUnavailable for engine problems and MediaError for unreadable media.
    """
    transcript = transcribe_media(media, engine=engine, language=language, has_audio=has_audio,
                                  on_progress=on_progress)
    if on_progress:
        on_progress(1.0)
    return write_captions(transcript, Path(out_dir))


def transcribe_media(
    media: Path | str,
    *,
    engine: str | SpeechEngine = DEFAULT_ENGINE,
    language: str = "en-US",
    has_audio: bool = True,
    window: tuple[float, float | None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> Transcript:
    """The transcript of `media` (or of its `window` = (start, end) seconds, on the media's timeline).
    Without audio it is an empty transcript, `no_words` NO_AUDIO."""
    if has_audio and has_audio_stream(media) is False:
        has_audio = False  # the probe and the file disagree: trust the file
    if isinstance(engine, str):
        name = check_engine_name(engine)
        chosen = get_engine(name) if has_audio else None
    else:
        name, chosen = engine.name, engine
    if chosen is None:
        return Transcript(language=language, engine=name, no_words=NoWords.NO_AUDIO, note=NO_AUDIO)
    return chosen.transcribe(media, language=language, window=window, on_progress=on_progress)


def write_captions(transcript: Transcript, out_dir: Path) -> CaptionOutcome:
    """Write `transcript.json`, `captions/<lang>.vtt` and `captions/<lang>.srt` for an existing transcript."""
    if not transcript.words and transcript.no_words is None:
        transcript = transcript.model_copy(update={"no_words": NoWords.NO_SPEECH, "note": transcript.note or NO_SPEECH})
    cues = build_cues(transcript.words)
    lang = caption_language(transcript.language)
    outputs = {
        OUTPUT_TRANSCRIPT: "transcript.json",
        OUTPUT_VTT: f"captions/{lang}.vtt",
        OUTPUT_SRT: f"captions/{lang}.srt",
    }
    (out_dir / "captions").mkdir(parents=True, exist_ok=True)
    (out_dir / outputs[OUTPUT_TRANSCRIPT]).write_text(transcript.to_json(), encoding="utf-8")
    (out_dir / outputs[OUTPUT_VTT]).write_text(to_webvtt(cues), encoding="utf-8")
    (out_dir / outputs[OUTPUT_SRT]).write_text(to_srt(cues), encoding="utf-8")
    summary = CaptionSummary(
        language=transcript.language,
        engine=transcript.engine,
        word_count=len(transcript.words),
        keywords=top_keywords(w.text for w in transcript.words),
    )
    return CaptionOutcome(outputs=outputs, summary=summary, cue_count=len(cues), no_words=transcript.no_words,
                          note=transcript.note)


def caption_language(language: str) -> str:
    """The file tag for a language code: its primary subtag ("en-US" -> "en"), or "und" if unusable."""
    primary = language.replace("_", "-").split("-")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else "und"
