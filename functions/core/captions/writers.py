"""WebVTT and SRT text from one cue list, so both files carry the same words at the same times.

A cue's speaker is a voice span in WebVTT (`<v Speaker 1>`, which players can style or show) and, as SRT has no
markup for it, a leading "[Speaker 1] " on the first line, the usual closed-caption speaker mark."""
from __future__ import annotations

from collections.abc import Sequence

from .cues import speaker_name, speaker_prefix
from .models import Cue


def to_webvtt(cues: Sequence[Cue]) -> str:
    """A WebVTT document; with no cues it is just the header, which players accept."""
    blocks = ["WEBVTT\n"]
    for n, cue in enumerate(cues, 1):
        text = "\n".join(_vtt_escape(line) for line in cue.lines)
        if cue.speaker:
            text = f"<v {_vtt_escape(speaker_name(cue.speaker))}>{text}"
        blocks.append(f"{n}\n{timestamp(cue.start, '.')} --> {timestamp(cue.end, '.')}\n{text}\n")
    return "\n".join(blocks)


def to_srt(cues: Sequence[Cue]) -> str:
    """An SubRip document; with no cues it is empty."""
    return "\n".join(
        f"{n}\n{timestamp(cue.start, ',')} --> {timestamp(cue.end, ',')}\n{speaker_prefix(cue.speaker)}"
        + "\n".join(cue.lines) + "\n"
        for n, cue in enumerate(cues, 1)
    )


def timestamp(seconds: float, separator: str) -> str:
    """HH:MM:SS.mmm (WebVTT, separator '.') or HH:MM:SS,mmm (SRT, ',')."""
    ms = round(seconds * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def _vtt_escape(line: str) -> str:
    # "-->" would end the cue text early in some parsers; & and < start entities and tags.
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
