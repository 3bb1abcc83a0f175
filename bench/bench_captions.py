"""Accuracy and speed of Reelflow's caption engines against plain pocketsphinx and plain faster-whisper.

    python -m bench.bench_captions [--real-only | --flite-only] [--snr 10 15 20] [--noise white pink]

1. Real speech (../shared/eval/speech: 25 recordings of people with exact transcripts), clean and mixed with pink
   noise at 10 dB: per clip and overall, WER and real-time factor of plain pocketsphinx (its decoder with its
   defaults on the whole file), Reelflow's pocketsphinx engine, plain faster-whisper (the same tiny.en model,
   `WhisperModel(folder)` and `transcribe(path)` with their defaults) and Reelflow's whisper engine (the default:
   `caption_media` end to end: audio chain, VAD chunks, decoding, cues, files). Model loading is inside each
   system's time. Text is normalised the same way for every system (tests/wer.py).
2. The flite fixture with white and pink noise at each SNR (the original noisy-speech table).
RTF = time / audio duration, as wall time and as CPU time (this process plus its ffmpeg children).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions.core.captions import caption_media  # noqa: E402
from functions.core.captions.audio import BYTES_PER_SECOND  # noqa: E402
from functions.core.captions.engines.sphinx import clean_token, is_filler  # noqa: E402
from functions.core.captions.engines.whisper import check_available  # noqa: E402
from functions.core.ffmpeg import ffmpeg_exe  # noqa: E402
from tests.media import EVAL_SPEECH, eval_speech  # noqa: E402
from tests.wer import corpus_error_rate, word_error_rate  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "speech"


def pcm_of(media: Path) -> bytes:
    """16 kHz mono s16le, converted and nothing else."""
    return subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(media), "-ac", "1", "-ar", "16000", "-f", "s16le", "pipe:1"],
        capture_output=True, check=True,
    ).stdout


def rms(pcm: bytes) -> float:
    x = np.frombuffer(pcm, dtype=np.int16).astype(np.float64) / 32768
    return float(np.sqrt(np.mean(x**2))) if x.size else 0.0


def add_noise(clean: Path, out: Path, *, snr_db: float, color: str) -> Path:
    """Mix `color` noise into `clean` so that speech power / noise power = `snr_db` (whole-file RMS)."""
    seconds = len(pcm_of(clean)) / BYTES_PER_SECOND
    source = f"anoisesrc=color={color}:amplitude=0.5:seed=7:sample_rate=16000:duration={seconds:.3f}"
    noise = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", source, "-f", "s16le", "pipe:1"],
        capture_output=True, check=True,
    ).stdout
    gain = rms(pcm_of(clean)) / 10 ** (snr_db / 20) / rms(noise)
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-i", str(clean), "-f", "lavfi", "-i", source, "-filter_complex",
         f"[1:a]volume={gain:.6f}[n];[0:a][n]amix=inputs=2:normalize=0:duration=first",
         "-ac", "1", "-ar", "16000", str(out)],
        check=True,
    )
    return out


class Clock:
    """Wall and CPU seconds (own + finished children) since creation."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), self._cpu()

    @staticmethod
    def _cpu() -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, self._cpu() - self.cpu


def plain_pocketsphinx(media: Path) -> tuple[str, tuple[float, float]]:
    from pocketsphinx import Decoder

    clock = Clock()
    pcm = pcm_of(media)
    decoder = Decoder(samprate=16000, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    text = " ".join(clean_token(s.word) for s in decoder.seg() if not is_filler(s.word))
    return text, clock.read()


def plain_whisper_model():
    from faster_whisper import WhisperModel

    return WhisperModel(check_available())  # faster-whisper's defaults: device and compute type chosen by it


def plain_whisper(media: Path, model) -> str:
    segments, _ = model.transcribe(str(media))
    return " ".join(s.text.strip() for s in segments)


def reelflow(media: Path, work: Path, engine: str = "whisper") -> tuple[str, tuple[float, float]]:
    clock = Clock()
    caption_media(media, work, engine=engine, language="en-US", has_audio=True)
    elapsed = clock.read()
    words = json.loads((work / "transcript.json").read_text())["words"]
    return " ".join(w["text"] for w in words), elapsed


SYSTEMS = ("plain pocketsphinx", "reelflow pocketsphinx", "plain faster-whisper", "reelflow whisper")


def run_systems(clips: list[Path], work: Path) -> dict[str, tuple[list[str], float, float]]:
    """Each system over every clip: (hypotheses, wall seconds, cpu seconds), its model loading included."""
    results = {}
    for system in SYSTEMS:
        clock = Clock()
        if system == "plain pocketsphinx":
            hypotheses = [plain_pocketsphinx(clip)[0] for clip in clips]
        elif system == "plain faster-whisper":
            model = plain_whisper_model()
            hypotheses = [plain_whisper(clip, model) for clip in clips]
        else:
            engine = system.split()[-1]
            hypotheses = [reelflow(clip, work / f"{engine}-{k}", engine)[0] for k, clip in enumerate(clips)]
        results[system] = (hypotheses, *clock.read())
    return results


def ctranslate2_kernels() -> str:
    """The CPU and the kernels ctranslate2 picks for it, as its own log at model load says. Its int8 GEMM is Intel
    MKL on Intel CPUs and oneDNN on others, and the two give a few different words on these clips (CT2_USE_MKL=1 on
    an AMD CPU turned LDC93S1's "wash for" into "wash water"), so WER compares only between runs on one kind."""
    code = (f"from faster_whisper import WhisperModel; WhisperModel({check_available()!r}, device='cpu', "
            "compute_type='int8', local_files_only=True)")
    log = subprocess.run([sys.executable, "-c", code], env={**os.environ, "CT2_VERBOSE": "1"}, capture_output=True,
                         text=True).stderr
    wanted = ("CPU:", "Selected ISA:", "GEMM_S8 backend:")
    found = [line.split("] ")[-1].strip(" -") for line in log.splitlines() if any(w in line for w in wanted)]
    return "; ".join(found) or "unknown (ctranslate2 logged nothing)"


def real_speech(work: Path) -> None:
    records = list(eval_speech().values())
    print(f"ctranslate2 on this machine: {ctranslate2_kernels()}")
    clean = [EVAL_SPEECH / r["file"] for r in records]
    noisy = [add_noise(c, work / f"pink10-{c.stem}.wav", snr_db=10, color="pink") for c in clean]
    references = [r["text"] for r in records]
    seconds = sum(r["seconds"] for r in records)
    print(f"Real speech: {len(records)} recordings, {seconds:.1f} s, "
          f"{sum(len(t.split()) for t in references)} reference words")
    summary = []
    for condition, clips in (("clean", clean), ("pink noise 10 dB", noisy)):
        results = run_systems(clips, work / condition.replace(" ", "-"))
        if condition == "clean":
            print(f"\n{'clip':<38}" + "".join(f"{s:>23}" for s in SYSTEMS))
            for k, record in enumerate(records):
                row = "".join(f"{word_error_rate(references[k], results[s][0][k]):>23.1%}" for s in SYSTEMS)
                print(f"{record['file'][:37]:<38}{row}")
        for system in SYSTEMS:
            hypotheses, wall, cpu = results[system]
            mean = sum(word_error_rate(r, h) for r, h in zip(references, hypotheses, strict=True)) / len(references)
            summary.append((condition, system, corpus_error_rate(references, hypotheses), mean, wall / seconds,
                            cpu / seconds))
    print(f"\n{'condition':<18} {'system':<24} {'WER corpus':>10} {'WER mean':>9} {'RTF wall':>9} {'RTF cpu':>8}")
    for condition, system, corpus, mean, rtf_wall, rtf_cpu in summary:
        print(f"{condition:<18} {system:<24} {corpus:>10.1%} {mean:>9.1%} {rtf_wall:>9.3f} {rtf_cpu:>8.3f}")
    ours = {c: r for c, s, *r in summary if s == "reelflow whisper"}
    plain = {c: r for c, s, *r in summary if s == "plain faster-whisper"}
    clean_ours, clean_plain = ours["clean"], plain["clean"]
    print(f"\nTargets (clean real speech): default engine mean WER {clean_ours[1]:.1%} <= plain faster-whisper's "
          f"{clean_plain[1]:.1%}: {'met' if clean_ours[1] <= clean_plain[1] else 'MISSED'}; <= 10%: "
          f"{'met' if clean_ours[1] <= 0.10 else 'MISSED'}; RTF {clean_ours[2]:.3f} <= 0.25 (model loading included): "
          f"{'met' if clean_ours[2] <= 0.25 else 'MISSED'}")


def flite_noise(args: argparse.Namespace, work: Path) -> None:
    text_path = args.text or (FIXTURE / "speech.txt" if args.audio == FIXTURE / "speech.wav" else None)
    reference = text_path.read_text() if text_path else None
    inputs = [("clean", args.audio)]
    for color in args.noise:
        for snr in args.snr:
            name = f"{color} {snr:g} dB"
            inputs.append((name, add_noise(args.audio, work / f"{color}_{snr:g}.wav", snr_db=snr, color=color)))

    systems = (("plain", lambda m, k: plain_pocketsphinx(m)),
               ("pocketsphinx", lambda m, k: reelflow(m, work / f"ps{k}", "pocketsphinx")),
               ("whisper", lambda m, k: reelflow(m, work / f"wh{k}", "whisper")))
    print(f"\nFlite speech ({args.audio.name}) with noise")
    print(f"{'':<14} {'plain pocketsphinx':^26}   {'reelflow pocketsphinx':^26}   {'reelflow whisper':^26}")
    print(f"{'input':<14}" + f" {'WER':>8} {'RTF wall':>8} {'RTF cpu':>8}  " * 3)
    totals: dict[str, list[float]] = {label: [] for label, _ in systems}
    for k, (name, media) in enumerate(inputs):
        seconds = len(pcm_of(media)) / BYTES_PER_SECOND
        row = []
        for label, run in systems:
            hypothesis, elapsed = run(media, k)
            wer = word_error_rate(reference, hypothesis) if reference is not None else float("nan")
            if name != "clean":
                totals[label].append(wer)
            row.append(f"{wer:>8.1%} {elapsed[0] / seconds:>8.2f} {elapsed[1] / seconds:>8.2f}")
        print(f"{name:<14} " + "   ".join(row), flush=True)
    if reference is not None and inputs[1:]:
        print(f"{'noisy, mean':<14} " + "   ".join(f"{sum(v) / len(v):>8.1%}{'':>18}" for v in totals.values()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=FIXTURE / "speech.wav", help="speech for the noise table")
    parser.add_argument("--text", type=Path, help="reference transcript (default: the fixture's, if --audio is)")
    parser.add_argument("--snr", type=float, nargs="*", default=[10.0, 15.0, 20.0])
    parser.add_argument("--noise", nargs="*", default=["white", "pink"])
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--real-only", action="store_true", help="only the real-speech tables")
    only.add_argument("--flite-only", action="store_true", help="only the flite noise table")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-captions-") as tmp:
        if not args.flite_only:
            real_speech(Path(tmp))
        if not args.real_only:
            flite_noise(args, Path(tmp))


if __name__ == "__main__":
    main()
