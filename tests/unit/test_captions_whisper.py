"""The default engine (faster-whisper with the bundled tiny.en model): offline, punctuated, language rules; and
long audio in parts joined on one timeline."""
from __future__ import annotations

import socket
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.captions import DEFAULT_ENGINE, ENGINES, LanguageUnsupported, Word, caption_media
from functions.core.captions.engines.whisper import bundled_model_dir, check_available, resolve_language
from functions.core.captions.parts import PART_OVERLAP, join_transcripts, part_windows
from functions.core.captions.models import Transcript
from functions.core.models import DEFAULT_CAPTION_ENGINE, CaptionEngineName
from tests.wer import word_error_rate

SPEECH = Path(__file__).parents[1] / "fixtures" / "speech"
TEXT = (SPEECH / "speech.txt").read_text().strip()


def test_engine_names_have_one_source() -> None:
    assert set(ENGINES) == set(get_args(CaptionEngineName))
    assert DEFAULT_ENGINE == DEFAULT_CAPTION_ENGINE == "whisper"


def test_the_bundled_model_is_the_default_folder(monkeypatch) -> None:
    monkeypatch.delenv("REELFLOW_WHISPER_MODEL", raising=False)
    folder = bundled_model_dir()
    assert folder is not None and check_available() == folder
    assert {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in Path(folder).iterdir()}


@pytest.fixture
def no_network(monkeypatch, tmp_path: Path):
    """No model hub: its offline switches on, an empty cache, and any connection off this machine refused."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    monkeypatch.delenv("REELFLOW_WHISPER_MODEL", raising=False)
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("/"):
            attempts.append(address)
            raise OSError(f"network disabled in this test: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def test_default_engine_works_offline_and_keeps_punctuation_and_case(no_network, tmp_path: Path) -> None:
    outcome = caption_media(SPEECH / "speech.wav", tmp_path, language="en-US")
    transcript = Transcript.from_json((tmp_path / "transcript.json").read_text())
    assert outcome.summary.engine == "whisper" and no_network == []
    assert word_error_rate(TEXT, transcript.text) <= 0.10, transcript.text
    assert any(w.text[0].isupper() for w in transcript.words)
    assert sum(w.text.endswith(".") for w in transcript.words) >= 2  # sentence ends survive into the cues
    vtt = (tmp_path / "captions" / "en.vtt").read_text()
    assert "." in vtt and any(c.isupper() for c in vtt.replace("WEBVTT", ""))


def test_language_rules_for_english_only_and_multilingual_models() -> None:
    assert resolve_language("en-US", multilingual=False, model_name="tiny.en") == "en"
    assert resolve_language("auto", multilingual=False, model_name="tiny.en") == "en"
    assert resolve_language("auto", multilingual=True, model_name="small") is None  # detect
    assert resolve_language("fr-FR", multilingual=True, model_name="small") == "fr"
    with pytest.raises(LanguageUnsupported):
        resolve_language("fr-FR", multilingual=False, model_name="tiny.en")


def test_an_english_only_model_refuses_another_language_before_any_audio_work(tmp_path: Path) -> None:
    with pytest.raises(LanguageUnsupported):
        caption_media(SPEECH / "speech.wav", tmp_path, language="de-DE")
    assert not (tmp_path / "transcript.json").exists()


def test_auto_language_on_an_english_only_model_records_english(tmp_path: Path) -> None:
    outcome = caption_media(SPEECH / "speech.wav", tmp_path, language="auto")
    assert outcome.summary.language == "en" and outcome.outputs["captions_vtt"] == "captions/en.vtt"


def test_part_windows_overlap_their_neighbours() -> None:
    assert part_windows([0.0, 120.0, 240.0]) == [(0.0, 120.0 + PART_OVERLAP), (120.0 - PART_OVERLAP, 240.0 + PART_OVERLAP),
                                                 (240.0 - PART_OVERLAP, None)]
    assert part_windows([0.0]) == [(0.0, None)]


@st.composite
def speech_timeline(draw):
    """Words on a timeline with a pause of at least 0.3 s somewhere in every 6 s, like speech."""
    words, t = [], 0.0
    for k in range(draw(st.integers(20, 120))):
        t += draw(st.floats(0.01, 0.25)) + (draw(st.floats(0.3, 1.5)) if k % 8 == 7 else 0.0)
        length = draw(st.floats(0.1, 0.6))
        words.append(Word(text=f"w{k}", start=round(t, 3), end=round(t + length, 3)))
        t += length
    cuts = draw(st.lists(st.floats(1.0, max(1.0, t - 1.0)), min_size=1, max_size=6, unique=True))
    return words, sorted({round(c, 1) for c in cuts})


@settings(max_examples=150, deadline=None)
@given(speech_timeline())
def test_joined_parts_keep_every_word_once(case) -> None:
    """Each part hears the words wholly inside its window (edges cut words off); joined, every word is there
    exactly once, in order, whatever the part boundaries."""
    words, inner = case
    starts = [0.0]
    for s in inner:
        if s - starts[-1] >= 6.0:  # parts at least as long as the gaps between pauses (real ones: 120 s)
            starts.append(s)
    parts = []
    for start, end in part_windows(starts):
        end = float("inf") if end is None else end
        inside = [w for w in words if w.start >= start and w.end <= end]
        parts.append(Transcript(language="en", engine="test", words=inside))
    joined = join_transcripts(parts, starts)
    assert [w.text for w in joined.words] == [w.text for w in words]
