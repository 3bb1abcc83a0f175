"""WebVTT and SRT files parse with standard readers and carry the same words at the same times."""
from __future__ import annotations

import html
import json
from datetime import timedelta
from pathlib import Path

import srt
import webvtt

from functions.core.captions import (
    NoWords,
    Transcript,
    Word,
    build_cues,
    parse_transcribe_result,
    to_srt,
    to_webvtt,
    write_captions,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "speech"


def _vtt_ms(stamp: str) -> int:
    h, m, s = stamp.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)


def _transcribed_words() -> list[Word]:
    return parse_transcribe_result(json.loads((FIXTURES / "transcribe_result.json").read_text())).words


def test_vtt_and_srt_show_the_same_words_at_the_same_times() -> None:
    cues = build_cues(_transcribed_words())
    vtt = webvtt.from_string(to_webvtt(cues))
    subs = list(srt.parse(to_srt(cues)))

    vtt_view = [(_vtt_ms(c.start), _vtt_ms(c.end), html.unescape(c.text)) for c in vtt.captions]
    srt_view = [(s.start // timedelta(milliseconds=1), s.end // timedelta(milliseconds=1), s.content) for s in subs]
    assert vtt_view == srt_view
    assert len(vtt_view) == len(cues) > 1
    shown = " ".join(text.replace("\n", " ") for _, _, text in vtt_view)
    assert shown == " ".join(w.text for w in _transcribed_words())


def test_special_characters_survive_webvtt() -> None:
    cues = build_cues([Word(text="R&D", start=0, end=0.4), Word(text="<3", start=0.5, end=0.9)])
    caption, = webvtt.from_string(to_webvtt(cues)).captions
    assert html.unescape(caption.text) == "R&D <3"


def test_empty_transcript_gives_valid_empty_files(tmp_path: Path) -> None:
    outcome = write_captions(Transcript(language="en-US", engine="pocketsphinx"), tmp_path)
    vtt, srt_text = (tmp_path / outcome.outputs["captions_vtt"]), (tmp_path / outcome.outputs["captions_srt"])
    assert vtt.read_text() == "WEBVTT\n"
    assert webvtt.from_string(vtt.read_text()).captions == []
    assert list(srt.parse(srt_text.read_text())) == []
    assert outcome.no_words == NoWords.NO_SPEECH and outcome.note


def test_outputs_are_named_for_the_manifest(tmp_path: Path) -> None:
    transcript = parse_transcribe_result(json.loads((FIXTURES / "transcribe_result.json").read_text()), language="en-GB")
    outcome = write_captions(transcript, tmp_path)
    assert outcome.outputs == {
        "transcript": "transcript.json",
        "captions_vtt": "captions/en.vtt",
        "captions_srt": "captions/en.srt",
    }
    assert all((tmp_path / path).is_file() for path in outcome.outputs.values())
    saved = json.loads((tmp_path / "transcript.json").read_text())
    assert saved["language"] == "en-GB" and saved["engine"] == "transcribe"
    assert set(saved["words"][0]) >= {"text", "start", "end", "confidence"}
    assert Transcript.from_json((tmp_path / "transcript.json").read_text()) == transcript


def test_joined_parts_keep_why_they_have_no_words(tmp_path: Path) -> None:
    from functions.core.captions.parts import join_transcripts

    mute = [Transcript(language="en-US", engine="whisper", no_words=NoWords.NO_AUDIO, note="no audio track")] * 2
    assert write_captions(join_transcripts(mute, [0.0, 120.0]), tmp_path / "mute").no_words == NoWords.NO_AUDIO
    quiet = [Transcript(language="en-US", engine="whisper")] * 2
    assert write_captions(join_transcripts(quiet, [0.0, 120.0]), tmp_path / "quiet").no_words == NoWords.NO_SPEECH
