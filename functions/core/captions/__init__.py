"""Captions: speech to a timed transcript, then broadcast-style WebVTT and SRT.

    caption_media(media, out_dir, engine="whisper", language="en-US", has_audio=True)

runs the whole stage; the pieces are usable alone:
- `audio` / `vad`: ffmpeg to 16 kHz mono PCM through a pipe, cut into bounded speech chunks;
- `engines`: whisper (default, offline, bundled tiny.en model), pocketsphinx (light), Amazon Transcribe;
- `cues`: the cue builder and its rules; `writers`: WebVTT and SRT;
- `keywords`: summary keywords; `parts`: long audio transcribed in parts and joined on one timeline.
"""
from .cues import BROADCAST, CueStyle, build_cues
from .engines import (
    DEFAULT_ENGINE,
    ENGINES,
    EngineUnavailable,
    LanguageUnsupported,
    SpeechEngine,
    UnknownEngine,
    build_transcribe_request,
    get_engine,
    parse_transcribe_result,
)
from .keywords import top_keywords
from .models import CaptionOutcome, CaptionSummary, Cue, NoWords, Transcript, TranscriptSegment, Word
from .pipeline import NO_AUDIO, NO_SPEECH, caption_language, caption_media, transcribe_media, write_captions
from .writers import to_srt, to_webvtt

__all__ = [
    "BROADCAST", "DEFAULT_ENGINE", "ENGINES", "NO_AUDIO", "NO_SPEECH", "CaptionOutcome", "CaptionSummary", "Cue",
    "CueStyle", "EngineUnavailable", "LanguageUnsupported", "NoWords", "SpeechEngine", "Transcript",
    "TranscriptSegment", "UnknownEngine", "Word", "build_cues", "build_transcribe_request", "caption_language",
    "caption_media", "get_engine", "parse_transcribe_result", "to_srt", "to_webvtt", "top_keywords",
    "transcribe_media", "write_captions",
]
