#!/usr/bin/env python3
"""Regenerate Reelflow's built-in sample footage: samples/sample.mp4 and its ground truth.

The sample is 20 s of 640x360 / 25 fps H.264 + AAC made from ffmpeg's lavfi sources: six shots
joined with hard cuts at known frames and one 1-second dissolve, one dark shot and one fast-panning
(high-motion) shot, over spoken English synthesised with Debian's `flite`.

Outputs (all deterministic for a given ffmpeg/flite build):
  sample.mp4           the clip (faststart)
  sample_script.txt    the exact spoken text
  sample_truth.json    cuts, dissolve, shots, speech timing and per-shot statistics

Only regenerating needs `flite` (apt-get install flite); the generated files are committed, so the
tests never do. By default the finished file is checked: container facts are read back with PyAV and
the soundtrack is transcribed with pocketsphinx to report the word error rate.

Usage:  .venv/bin/python samples/make_sample.py [--out-dir DIR] [--voice slt] [--skip-asr]
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from anywhere without installing the package

from functions.core.ffmpeg import MediaError, run_ffmpeg  # noqa: E402

WIDTH, HEIGHT, FPS = 640, 360, 25
DISSOLVE_FRAMES = 25  # exactly 1 s
SPEECH_RATE = 16000  # flite's slt/awb/rms voices and pocketsphinx's model rate
LEAD_IN_S = 1.0  # silence before the first sentence
GAP_S = 0.5  # silence between sentences

# Each sentence was chosen because the slt voice decodes without error in pocketsphinx's en-US model.
SENTENCES = [
    "Welcome to the sample video for the media pipeline.",
    "This video has six short scenes joined together.",
    "The first picture is a test pattern.",
    "Later the picture becomes very dark.",
    "The computer must find where each scene begins.",
    "That is the end of the sample video.",
]

# Shots in order. `frames` is the length of the segment fed to the edit; the one marked
# dissolve_into_next overlaps the next shot by DISSOLVE_FRAMES. Every other join is a hard cut.
# `graph` is a lavfi chain producing WIDTHxHEIGHT frames at FPS (before trimming/normalising).
SHOTS = [
    {
        "name": "test_pattern",
        "source": "testsrc2",
        "frames": 100,
        "tags": ["bright", "pattern"],
        "description": "testsrc2 colour pattern with moving elements and temporal grain",
        "graph": "testsrc2=s={W}x{H}:r={FPS},noise=alls=10:allf=t+u:all_seed=11",
    },
    {
        "name": "fractal_zoom",
        "source": "mandelbrot",
        "frames": 90,
        "tags": ["zoom"],
        "description": "Mandelbrot set, continuous zoom-in (camera-zoom-like motion)",
        "graph": "mandelbrot=s={W}x{H}:r={FPS}:end_pts=90:end_scale=0.05:maxiter=512,format=yuv420p",
    },
    {
        "name": "cellular_life",
        "source": "life",
        "frames": 100,
        "tags": ["texture"],
        "dissolve_into_next": True,
        "description": "Conway's life with mould colours, upscaled; dissolves into the next shot",
        "graph": (
            "life=s=320x180:r={FPS}:seed=42:ratio=0.25:mold=8:life_color=#33ffaa:"
            "death_color=#802010:mold_color=#103050,scale={W}:{H}:flags=neighbor"
        ),
    },
    {
        "name": "dark_room",
        "source": "gradients+color overlay",
        "frames": 95,
        "tags": ["dark", "low_light"],
        "description": "drifting colour gradients with a slowly moving box, crushed to low light with sensor noise",
        "graph": (
            "gradients=s={W}x{H}:r={FPS}:seed=5:speed=0.02:nb_colors=3:c0=0x2050A0:c1=0xA06030:c2=0x30804A[g];"
            "color=c=0xE0A040:s=90x90:r={FPS}[box];"
            "[g][box]overlay=x='60+t*90':y='130+40*sin(t*1.7)':shortest=1,"
            "eq=brightness=-0.31:contrast=0.5:saturation=0.6,noise=alls=7:allf=t+u:all_seed=13"
        ),
    },
    {
        "name": "fast_pan",
        "source": "cellauto+color overlay",
        "frames": 70,
        "tags": ["high_motion", "pan"],
        "description": "rule-110 cellular texture whip-panning ~26 px/frame with a fast bouncing box",
        "graph": (
            "cellauto=s={W}x{H}:rule=110:r={FPS}:seed=9:random_fill_ratio=0.5:full=1,"
            "scroll=horizontal=0.04:vertical=0.01,format=rgb24,"
            "colorchannelmixer=rr=0.9:gg=0.6:bb=0.3:rb=0.1:bg=0.3[c];"
            "color=c=0x2060FF:s=120x120:r={FPS}[box];"
            "[c][box]overlay=x='(W-w)/2+(W-w)/2*sin(t*9)':y='(H-h)/2+(H-h)/2*cos(t*7)':shortest=1"
        ),
    },
    {
        "name": "bars_zoom",
        "source": "smptehdbars",
        "frames": 70,
        "tags": ["bright", "zoom"],
        "description": "SMPTE HD colour bars with a slow centre zoom (zoompan) and grain",
        "graph": (
            "smptehdbars=s={W}x{H}:r={FPS},"
            "zoompan=z='1+0.006*on':d=1:s={W}x{H}:fps={FPS}:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)',"
            "noise=alls=9:allf=t+u:all_seed=17"
        ),
    },
]


# --------------------------------------------------------------------------- timeline


def timeline() -> dict:
    """Frame layout of the edit: shot spans, hard cuts and the dissolve (half-open [start, end) ranges)."""
    shots, cuts, dissolve = [], [], None
    pos = 0
    for i, shot in enumerate(SHOTS):
        start = pos
        end = start + shot["frames"]
        shots.append({"start_frame": start, "end_frame": end})
        if shot.get("dissolve_into_next"):
            dissolve = {"start_frame": end - DISSOLVE_FRAMES, "end_frame": end, "from_shot": i, "to_shot": i + 1}
            pos = end - DISSOLVE_FRAMES
        else:
            pos = end
            if i + 1 < len(SHOTS):
                cuts.append(end)
    return {"shots": shots, "cuts": cuts, "dissolve": dissolve, "frames": pos}


def video_graph() -> str:
    """One filter_complex: every shot trimmed and normalised (xfade needs equal tb/fps/format), joined."""
    norm = "settb=AVTB,fps={FPS},format=yuv420p,setsar=1".format(FPS=FPS)
    chains, labels = [], []
    for i, shot in enumerate(SHOTS):
        body = shot["graph"].format(W=WIDTH, H=HEIGHT, FPS=FPS)
        chains.append(f"{body},trim=end_frame={shot['frames']},setpts=PTS-STARTPTS,{norm}[s{i}]")
        labels.append(f"[s{i}]")
    joined: list[str] = []
    i = 0
    while i < len(SHOTS):
        if SHOTS[i].get("dissolve_into_next"):
            offset = (SHOTS[i]["frames"] - DISSOLVE_FRAMES) / FPS
            chains.append(
                f"{labels[i]}{labels[i + 1]}xfade=transition=fade:duration={DISSOLVE_FRAMES / FPS}:"
                f"offset={offset},{norm}[x{i}]"
            )
            joined.append(f"[x{i}]")
            i += 2
        else:
            joined.append(labels[i])
            i += 1
    chains.append(f"{''.join(joined)}concat=n={len(joined)}:v=1:a=0[v]")
    return ";".join(chains)


# --------------------------------------------------------------------------- speech


def flite_voices() -> list[str]:
    out = subprocess.run(["flite", "-lv"], capture_output=True, text=True, check=True).stdout
    return out.split(":", 1)[-1].split()


def synth_sentence(text: str, voice: str, tmp: Path) -> np.ndarray:
    """flite → int16 mono at SPEECH_RATE, with flite's own leading/trailing silence trimmed."""
    wav = tmp / "sentence.wav"
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(wav)], check=True)
    with wave.open(str(wav)) as w:
        rate, data = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), np.int16)
    if rate != SPEECH_RATE:  # kal is 8 kHz: linear resampling is plenty for a test signal
        n = round(len(data) * SPEECH_RATE / rate)
        data = np.interp(np.linspace(0, len(data) - 1, n), np.arange(len(data)), data).astype(np.int16)
    voiced = np.flatnonzero(np.abs(data.astype(np.int32)) > 64)
    return data[voiced[0] : voiced[-1] + 1]


def build_soundtrack(voice: str, duration_s: float, tmp: Path) -> tuple[Path, list[dict]]:
    track = np.zeros(round(duration_s * SPEECH_RATE), np.int16)
    pos = round(LEAD_IN_S * SPEECH_RATE)
    segments = []
    for text in SENTENCES:
        pcm = synth_sentence(text, voice, tmp)
        if pos + len(pcm) > len(track):
            raise SystemExit(f"speech does not fit in {duration_s} s: shorten SENTENCES or the gaps")
        track[pos : pos + len(pcm)] = pcm
        segments.append(
            {"text": text, "start_s": round(pos / SPEECH_RATE, 3), "end_s": round((pos + len(pcm)) / SPEECH_RATE, 3)}
        )
        pos += len(pcm) + round(GAP_S * SPEECH_RATE)
    path = tmp / "speech.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SPEECH_RATE)
        w.writeframes(track.tobytes())
    return path, segments


# --------------------------------------------------------------------------- checks


def normalise_words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


def wer(ref: list[str], hyp: list[str]) -> float:
    d = np.arange(len(hyp) + 1)
    for i, r in enumerate(ref, 1):
        prev, d = d, np.empty_like(d)
        d[0] = i
        for j, h in enumerate(hyp, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r != h))
    return float(d[-1]) / max(1, len(ref))


def transcribe(mp4: Path, tmp: Path) -> tuple[list[str], list[tuple[str, float, float]]]:
    """pocketsphinx on the audio of the finished mp4 (16 kHz mono s16le): words and (word, start, end)."""
    from pocketsphinx import Decoder

    raw = tmp / "asr.raw"
    run_ffmpeg(["-i", str(mp4), "-vn", "-ac", "1", "-ar", "16000", "-f", "s16le", str(raw)], what="extract audio")
    decoder = Decoder(samprate=16000, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(raw.read_bytes(), full_utt=True)
    decoder.end_utt()
    words = []
    for seg in decoder.seg():
        if seg.word in ("<s>", "</s>", "<sil>") or seg.word.startswith("["):
            continue
        words.append((re.sub(r"\(\d+\)$", "", seg.word), seg.start_frame / 100, (seg.end_frame + 1) / 100))
    return [w for w, _, _ in words], words


def analyse(mp4: Path, tl: dict) -> dict:
    """Read the file back with PyAV: stream facts plus per-frame luma and motion (mean |ΔY|)."""
    import av

    with av.open(str(mp4)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        info = {
            "duration_s": round(c.duration / 1e6, 3),
            "video": {"codec": v.codec_context.name, "width": v.width, "height": v.height,
                      "pix_fmt": v.codec_context.pix_fmt, "fps": str(v.average_rate)},
            "audio": {"codec": a.codec_context.name, "sample_rate": a.rate, "channels": a.channels},
        }
        luma, motion, prev = [], [], None
        for frame in c.decode(v):
            plane = frame.planes[0]
            y = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)[:, : frame.width]
            y = y[::2, ::2].astype(np.int16)
            luma.append(float(y.mean()))
            motion.append(0.0 if prev is None else float(np.abs(y - prev).mean()))
            prev = y
    info["frames"] = len(luma)
    if len(luma) != tl["frames"]:
        raise SystemExit(f"expected {tl['frames']} frames, decoded {len(luma)}")
    stats = []
    diss = tl["dissolve"]
    for span in tl["shots"]:
        idx = [f for f in range(span["start_frame"], span["end_frame"])
               if not diss["start_frame"] <= f < diss["end_frame"]]
        mot = [motion[f] for f in idx if f not in tl["cuts"] and f != span["start_frame"]]
        stats.append({"mean_luma": round(float(np.mean([luma[f] for f in idx])), 1),
                      "mean_abs_frame_diff": round(float(np.mean(mot)), 2)})
    info["cut_frame_diffs"] = [round(motion[f], 1) for f in tl["cuts"]]
    info["shot_stats"] = stats
    return info


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Writes sample.mp4, sample_script.txt and sample_truth.json into --out-dir.")
    ap.add_argument("--out-dir", type=Path, default=HERE, help="where to write the files (default: %(default)s)")
    ap.add_argument("--voice", default="slt", help="flite voice (default: %(default)s; see `flite -lv`)")
    ap.add_argument("--skip-asr", action="store_true", help="don't transcribe the result with pocketsphinx")
    args = ap.parse_args(argv)

    if not shutil.which("flite"):
        ap.error("flite is not installed (apt-get install flite); it is only needed to regenerate the sample")
    if args.voice not in flite_voices():
        ap.error(f"flite has no voice {args.voice!r}; it has: {' '.join(flite_voices())}")

    t0 = time.monotonic()
    tl = timeline()
    duration = tl["frames"] / FPS
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    mp4 = out / "sample.mp4"

    with tempfile.TemporaryDirectory(prefix="reelflow-sample-") as tmpdir:
        tmp = Path(tmpdir)
        speech_wav, segments = build_soundtrack(args.voice, duration, tmp)
        partial = tmp / "sample.mp4"
        try:
            run_ffmpeg(
                [
                    "-i", str(speech_wav),
                    "-filter_complex", video_graph(),
                    "-map", "[v]", "-map", "0:a",
                    "-c:v", "libx264", "-preset", "medium", "-profile:v", "high", "-pix_fmt", "yuv420p",
                    "-crf", "24", "-maxrate", "1100k", "-bufsize", "2200k", "-g", "50", "-threads", "1",
                    "-af", "aresample=48000", "-c:a", "aac", "-b:a", "80k", "-ac", "1", "-ar", "48000",
                    "-frames:v", str(tl["frames"]), "-t", f"{duration}",
                    "-movflags", "+faststart", "-map_metadata", "-1",
                    "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
                    str(partial),
                ],
                what="render sample",
            )
        except MediaError as exc:
            raise SystemExit(str(exc)) from exc
        info = analyse(partial, tl)
        shutil.move(partial, mp4)
        render_s = time.monotonic() - t0

        script = " ".join(SENTENCES)
        (out / "sample_script.txt").write_text(script + "\n")
        shots = []
        for i, (shot, span) in enumerate(zip(SHOTS, tl["shots"], strict=True)):
            shots.append({
                "index": i, "name": shot["name"], "source": shot["source"], "tags": shot["tags"],
                "description": shot["description"],
                "start_frame": span["start_frame"], "end_frame": span["end_frame"],
                "start_s": span["start_frame"] / FPS, "end_s": span["end_frame"] / FPS,
                **info["shot_stats"][i],
            })
        diss = tl["dissolve"]
        truth = {
            "file": "sample.mp4",
            "conventions": ("frame numbers are 0-based; ranges are half-open [start_frame, end_frame); "
                            "a hard cut frame is the first frame of the new shot; shots that take part in "
                            "the dissolve overlap by its span; times are seconds from the start of the file"),
            "fps": FPS, "frame_count": tl["frames"], "duration_s": duration,
            "width": WIDTH, "height": HEIGHT,
            "video": info["video"], "audio": info["audio"],
            "hard_cuts": tl["cuts"],
            "hard_cut_times_s": [c / FPS for c in tl["cuts"]],
            "dissolve": {
                "transition": "xfade=fade", "start_frame": diss["start_frame"], "end_frame": diss["end_frame"],
                "span": [diss["start_frame"], diss["end_frame"]],
                "start_s": diss["start_frame"] / FPS, "end_s": diss["end_frame"] / FPS,
                "from_shot": diss["from_shot"], "to_shot": diss["to_shot"],
            },
            "dark_shot": next(i for i, s in enumerate(SHOTS) if "dark" in s["tags"]),
            "high_motion_shot": next(i for i, s in enumerate(SHOTS) if "high_motion" in s["tags"]),
            "shots": shots,
            "speech": {
                "engine": f"flite -voice {args.voice}", "language": "en",
                "text": script, "word_count": len(normalise_words(script)),
                "start_s": segments[0]["start_s"], "end_s": segments[-1]["end_s"],
                "sentences": segments,
            },
        }
        (out / "sample_truth.json").write_text(json.dumps(truth, indent=2) + "\n")

        size = mp4.stat().st_size
        print(f"wrote {mp4} ({size / 1e6:.2f} MB, {info['frames']} frames, {info['duration_s']} s) in {render_s:.1f} s")
        print(f"  hard cuts {tl['cuts']} (|dY| there {info['cut_frame_diffs']}), dissolve {truth['dissolve']['span']}")
        for s in shots:
            print(f"  shot {s['index']} {s['name']:<14} [{s['start_frame']:>3},{s['end_frame']:>3})"
                  f" luma {s['mean_luma']:>5}  motion {s['mean_abs_frame_diff']:>5}")
        if size >= 5_000_000:
            raise SystemExit("sample.mp4 is over 5 MB")
        dark = shots[truth["dark_shot"]]
        if dark["mean_luma"] > 40 or dark["mean_luma"] != min(s["mean_luma"] for s in shots):
            raise SystemExit("the dark shot is not clearly the darkest")
        fast = shots[truth["high_motion_shot"]]
        if fast["mean_abs_frame_diff"] != max(s["mean_abs_frame_diff"] for s in shots):
            raise SystemExit("the high-motion shot is not the one with most motion")

        if not args.skip_asr:
            t1 = time.monotonic()
            hyp, timed = transcribe(mp4, tmp)
            score = wer(normalise_words(script), hyp)
            print(f"pocketsphinx ({time.monotonic() - t1:.1f} s): WER {score:.1%} on {len(normalise_words(script))} words;"
                  f" speech {timed[0][1]:.2f}-{timed[-1][2]:.2f} s (truth {segments[0]['start_s']}-{segments[-1]['end_s']})")
            print(f"  heard: {' '.join(hyp)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
