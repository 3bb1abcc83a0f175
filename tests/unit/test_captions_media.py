"""caption_media end to end on real audio: accuracy, one timeline, graceful silence, bounded memory."""
from __future__ import annotations

import json
import subprocess
import tracemalloc
from pathlib import Path

import pytest
import srt
import webvtt

from functions.core.captions import (
    EngineUnavailable,
    LanguageUnsupported,
    NoWords,
    UnknownEngine,
    Word,
    caption_media,
    get_engine,
)
from functions.core.captions.audio import BYTES_PER_SECOND, pcm_blocks
from functions.core.captions.engines import StreamingEngine
from functions.core.captions.vad import VadSettings, speech_segments
from functions.core.ffmpeg import MediaError, ffmpeg_exe
from tests.wer import word_error_rate

SPEECH = Path(__file__).parents[1] / "fixtures" / "speech"
TEXT = (SPEECH / "speech.txt").read_text().strip()


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *args], check=True)


def words_of(out_dir: Path) -> list[dict]:
    return json.loads((out_dir / "transcript.json").read_text())["words"]


@pytest.fixture(scope="module")
def captioned(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("speech")
    return out, caption_media(SPEECH / "speech.wav", out, engine="pocketsphinx", language="en-US", has_audio=True)


def test_pocketsphinx_transcribes_the_fixture_accurately(captioned) -> None:
    out, outcome = captioned
    hypothesis = " ".join(w["text"] for w in words_of(out))
    assert word_error_rate(TEXT, hypothesis) <= 0.10, hypothesis
    assert outcome.note is None
    assert outcome.summary.engine == "pocketsphinx" and outcome.summary.language == "en-US"
    assert outcome.summary.word_count == len(words_of(out))
    keywords = outcome.summary.keywords
    assert len(keywords) == 10 and {"weather", "morning", "river"} <= set(keywords)
    assert not {"the", "and", "was", "this"} & set(keywords)


def test_caption_files_carry_every_transcribed_word(captioned) -> None:
    out, outcome = captioned
    spoken = [w["text"] for w in words_of(out)]
    vtt = webvtt.read(out / outcome.outputs["captions_vtt"])
    subs = list(srt.parse((out / outcome.outputs["captions_srt"]).read_text()))
    assert " ".join(c.text.replace("\n", " ") for c in vtt.captions).split() == spoken
    assert " ".join(s.content.replace("\n", " ") for s in subs).split() == spoken
    assert outcome.cue_count == len(subs) >= 2


def test_words_from_separate_speech_chunks_share_one_timeline(tmp_path: Path, captioned) -> None:
    """3 s of silence, the fixture, 2 s of silence, the fixture again: two chunks, each offset correctly."""
    media = tmp_path / "twice.wav"
    ffmpeg("-i", str(SPEECH / "speech.wav"), "-i", str(SPEECH / "speech.wav"), "-filter_complex",
           "[0]adelay=3000:all=1,apad=pad_dur=2[a];[a][1]concat=n=2:v=0:a=1", str(media))
    outcome = caption_media(media, tmp_path / "out", engine="pocketsphinx", language="en-US", has_audio=True)
    got = words_of(tmp_path / "out")
    alone = words_of(captioned[0])
    transcript = json.loads((tmp_path / "out" / "transcript.json").read_text())

    assert word_error_rate(f"{TEXT} {TEXT}", " ".join(w["text"] for w in got)) <= 0.10
    assert len(transcript["segments"]) == 2
    fixture_seconds = (SPEECH / "speech.wav").stat().st_size / BYTES_PER_SECOND
    second_start = next(w["start"] for w in got if w["start"] > 3 + fixture_seconds)
    assert got[0]["start"] == pytest.approx(alone[0]["start"] + 3, abs=0.15)
    assert second_start == pytest.approx(alone[0]["start"] + 3 + fixture_seconds + 2, abs=0.2)
    assert outcome.summary.word_count == len(got)


def test_media_without_audio_gets_empty_captions_and_a_note(tmp_path: Path) -> None:
    video = tmp_path / "silent_film.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=1", "-c:v", "libx264", "-preset", "ultrafast",
           str(video))
    for has_audio in (False, True):  # the probe may be wrong; the file decides
        out = tmp_path / f"out_{has_audio}"
        outcome = caption_media(video, out, engine="pocketsphinx", language="en-US", has_audio=has_audio)
        assert outcome.no_words == NoWords.NO_AUDIO and outcome.note
        assert (out / "captions" / "en.vtt").read_text() == "WEBVTT\n"
        assert (out / "captions" / "en.srt").read_text() == ""
        assert outcome.summary.word_count == 0 and outcome.summary.keywords == []


def test_silence_gets_empty_captions_and_a_note(tmp_path: Path) -> None:
    silence = tmp_path / "silence.m4a"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "3", "-c:a", "aac", str(silence))
    outcome = caption_media(silence, tmp_path / "out", engine="pocketsphinx", language="en-US", has_audio=True)
    assert outcome.no_words == NoWords.NO_SPEECH and outcome.note
    assert webvtt.read(tmp_path / "out" / "captions" / "en.vtt").captions == []
    assert json.loads((tmp_path / "out" / "transcript.json").read_text())["words"] == []


@pytest.fixture(scope="module")
def three_minutes(tmp_path_factory) -> Path:
    """Three minutes of unbroken speech: the fixture looped, with no pause long enough to end a chunk."""
    media = tmp_path_factory.mktemp("long") / "long.wav"
    ffmpeg("-stream_loop", "16", "-i", str(SPEECH / "speech.wav"), "-c:a", "pcm_s16le", str(media))
    return media


def _chunks_and_peak(path: Path, settings: VadSettings) -> tuple[list[tuple[float, float]], int]:
    tracemalloc.start()
    try:
        chunks = [(c.start, c.duration) for c in speech_segments(pcm_blocks(path, filters=None), settings)]
        return chunks, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_long_speech_is_cut_into_bounded_chunks_with_bounded_memory(three_minutes: Path) -> None:
    # Measured in a forked process: tracemalloc counts every thread's allocations, and a test worker may still
    # run other tests' threads (servers, pollers); a fork has only this one.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        chunks, peak = pool.submit(_chunks_and_peak, three_minutes, VadSettings(max_seconds=10)).result()
    whole = three_minutes.stat().st_size
    assert len(chunks) >= 17 and all(d <= 10 + 1e-9 for _, d in chunks)
    assert all(a_start + a_len <= b_start + 1e-9
               for (a_start, a_len), (b_start, _) in zip(chunks, chunks[1:], strict=False))
    assert sum(d for _, d in chunks) == pytest.approx(whole / BYTES_PER_SECOND, abs=1.0)  # nothing skipped
    assert peak < whole / 3, f"held {peak} bytes of a {whole}-byte stream"


def test_the_engine_is_fed_one_bounded_chunk_at_a_time(three_minutes: Path, tmp_path: Path) -> None:
    class Recorder:
        sizes: list[int] = []

        def decode(self, pcm: bytes) -> list[Word]:
            self.sizes.append(len(pcm))
            return [Word(text=f"chunk{len(self.sizes)}", start=0.5, end=0.9)]

    recorder = Recorder()
    engine = StreamingEngine("recorder", lambda language: recorder)
    progress: list[float] = []
    outcome = caption_media(
        three_minutes, tmp_path, engine=engine, language="en-US", has_audio=True, on_progress=progress.append
    )
    transcript = json.loads((tmp_path / "transcript.json").read_text())

    assert max(recorder.sizes) <= 30 * BYTES_PER_SECOND and len(recorder.sizes) >= 6
    starts = [w["start"] for w in transcript["words"]]
    assert starts == sorted(starts) and starts[-1] > 150  # offset by each chunk's start, not from zero
    assert transcript["duration"] == pytest.approx(three_minutes.stat().st_size / BYTES_PER_SECOND, abs=0.1)
    assert outcome.cue_count == len(recorder.sizes)
    assert len(progress) > 10 and progress == sorted(progress) and progress[-1] == 1.0


def test_unknown_engine_names_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownEngine, match="pocketsphinx, transcribe, whisper"):
        caption_media(SPEECH / "speech.wav", tmp_path, engine="sphinx3", language="en-US", has_audio=True)


def test_whisper_without_its_extra_or_model_says_what_is_missing(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REELFLOW_WHISPER_MODEL", str(tmp_path / "nowhere"))
    with pytest.raises(EngineUnavailable, match=r"reelflow\[whisper\]|REELFLOW_WHISPER_MODEL"):
        get_engine("whisper")


def test_pocketsphinx_refuses_languages_it_has_no_model_for(tmp_path: Path) -> None:
    with pytest.raises(LanguageUnsupported):
        caption_media(SPEECH / "speech.wav", tmp_path, engine="pocketsphinx", language="de-DE", has_audio=True)


def test_unreadable_media_is_a_media_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not really a movie")
    with pytest.raises(MediaError, match="audio extraction failed"):
        caption_media(broken, tmp_path / "out", engine="pocketsphinx", language="en-US", has_audio=True)
