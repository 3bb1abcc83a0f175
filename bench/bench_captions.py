"""Accuracy and speed of Reelflow's caption path against plain pocketsphinx, on clean and noisy speech.

    python bench/bench_captions.py [--audio PATH --text PATH] [--snr 10 15 20] [--noise white pink]

Without --audio it uses the flite fixture in tests/fixtures/speech. Each input is also mixed with
white and pink noise (ffmpeg's anoisesrc) at each SNR. "plain" is pocketsphinx's decoder with its
defaults on the whole file as one utterance (no normalisation, no VAD); "reelflow" is `caption_media`
end to end (filters, VAD chunks, decoding, cues, files). RTF = time / audio duration, both as wall
time and as CPU time (this process plus its ffmpeg children), which is steadier on a shared machine.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions.core.captions import caption_media, word_error_rate  # noqa: E402
from functions.core.captions.audio import BYTES_PER_SECOND  # noqa: E402
from functions.core.captions.engines.sphinx import clean_token, is_filler  # noqa: E402
from functions.core.ffmpeg import ffmpeg_exe  # noqa: E402

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


def reelflow(media: Path, work: Path) -> tuple[str, tuple[float, float]]:
    import json

    clock = Clock()
    caption_media(media, work, engine="pocketsphinx", language="en-US", has_audio=True)
    elapsed = clock.read()
    words = json.loads((work / "transcript.json").read_text())["words"]
    return " ".join(w["text"] for w in words), elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=FIXTURE / "speech.wav")
    parser.add_argument("--text", type=Path, help="reference transcript (default: the fixture's, if --audio is)")
    parser.add_argument("--snr", type=float, nargs="*", default=[10.0, 15.0, 20.0])
    parser.add_argument("--noise", nargs="*", default=["white", "pink"])
    args = parser.parse_args(argv)
    text_path = args.text or (FIXTURE / "speech.txt" if args.audio == FIXTURE / "speech.wav" else None)
    reference = text_path.read_text() if text_path else None

    with tempfile.TemporaryDirectory(prefix="bench-captions-") as tmp:
        work = Path(tmp)
        inputs = [("clean", args.audio)]
        for color in args.noise:
            for snr in args.snr:
                name = f"{color} {snr:g} dB"
                inputs.append((name, add_noise(args.audio, work / f"{color}_{snr:g}.wav", snr_db=snr, color=color)))

        print(f"{'':<14} {'plain pocketsphinx':^26}   {'reelflow caption_media':^26}")
        print(f"{'input':<14} {'WER':>8} {'RTF wall':>8} {'RTF cpu':>8}   {'WER':>8} {'RTF wall':>8} {'RTF cpu':>8}")
        totals = {"plain": [], "reelflow": []}
        for k, (name, media) in enumerate(inputs):
            seconds = len(pcm_of(media)) / BYTES_PER_SECOND
            row = []
            for label, run in (("plain", plain_pocketsphinx), ("reelflow", lambda m: reelflow(m, work / f"out{k}"))):
                hypothesis, elapsed = run(media)
                wer = word_error_rate(reference, hypothesis) if reference is not None else float("nan")
                if name != "clean":
                    totals[label].append(wer)
                row.append(f"{wer:>8.1%} {elapsed[0] / seconds:>8.2f} {elapsed[1] / seconds:>8.2f}")
            print(f"{name:<14} {row[0]}   {row[1]}", flush=True)
        if reference is not None and totals["plain"]:
            mean = {label: sum(v) / len(v) for label, v in totals.items()}
            print(f"{'noisy, mean':<14} {mean['plain']:>8.1%} {'':>17}   {mean['reelflow']:>8.1%}")


if __name__ == "__main__":
    main()
