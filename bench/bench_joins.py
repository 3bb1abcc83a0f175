"""What the joins' time scales with, measured on synthetic inputs for long plans (no media longer than seconds):
the figures behind the join rates in functions/core/cost/rates.py.

- Scenes: `scenes_from_frames` on a joined pass of N seconds of 25 fps frames with a cut every 3.3 s (the
  sample's 18 scenes a minute), keyframe candidates at the stride a source of that length gets, and the parts'
  join (`join_parts` of the .npz each ScenePart writes). Run for two lengths, so the fixed part and the part
  per scene separate.
- TranscodePackage: parsing and writing the media playlists of every chunk and rung, and joining proxy parts
  with ffmpeg's concat demuxer (stream copy) from local files, in MB/s.
- TranscribeStart: joining FLAC parts of the soundtrack as it does (decoded and encoded once more: stream copy
  would restart the timestamps at every part), in seconds per hour of audio.
- Finalize: pricing an execution history of the size a long job's has.

`python -m bench.bench_joins [--minutes 60 240]`; prints one JSON document. On the 2-core development machine,
measurements taken together with other work, so compare figures from one run only.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from functions.core.cost.estimate import synthetic_source
from functions.core.ffmpeg import ffmpeg_exe
from functions.core.ladder import plan_transcode
from functions.core.scenes import analyse
from functions.core.scenes.boundaries import gradual_windows
from functions.core.scenes.colours import PALETTE_SIZE
from functions.core.scenes.decode import LoudnessTrack, analysis_size
from functions.core.scenes.features import FrameSeries
from functions.core.scenes.keyframes import Candidate, candidate_stride
from functions.core.scenes.parts import FramePass, from_bytes, join_parts, to_bytes
from functions.core.transcode import join_rung_stats, media_playlist, parse_media_playlist, rung_stats

FPS = 25.0
SCENE_SECONDS = 60 / 18


def _images(size: tuple[int, int], count: int = 8) -> list[bytes]:
    """A few distinct keyframe JPEGs of the analysis size (gradients and shapes, as the bench sources show)."""
    w, h = size
    out = []
    for i in range(count):
        img = np.zeros((h, w, 3), np.uint8)
        img[:, :, i % 3] = np.linspace(40, 220, w, dtype=np.uint8)[None, :]
        cv2.circle(img, (w // 3 + 7 * i, h // 2), h // 4, (255 - 20 * i, 120, 30 * i), -1)
        out.append(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
    return out


def synthetic_pass(seconds: float, start_frame: int = 0, preroll: int = 0, total_seconds: float | None = None,
                   seed: int = 0) -> FramePass:
    """A pass over `seconds` of frames with a cut every SCENE_SECONDS, as a ScenePart of a source of
    `total_seconds` measures it (candidate stride from the whole source)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * FPS)
    frames = np.arange(start_frame, start_frame + n)
    cut = (frames % int(SCENE_SECONDS * FPS) == 0) & (frames > 0)
    noise = rng.uniform(0.0, 0.02, n)
    series = FrameSeries(
        brightness=rng.uniform(0.3, 0.6, n), contrast=rng.uniform(0.1, 0.3, n), colourfulness=rng.uniform(10, 60, n),
        motion=rng.uniform(0, 0.05, n), palette=rng.dirichlet(np.ones(PALETTE_SIZE), n),
        layout_distance=np.where(cut, 0.6, noise), hist_distance=np.where(cut, 0.7, noise),
        wide_hist_distance={k: np.where(cut, 0.7, noise) for k in gradual_windows(FPS)},
        flash_distance=np.where(cut, 0.6, noise))
    source = synthetic_source(total_seconds or seconds, 1080)
    stride = candidate_stride(FPS, source.duration)
    jpegs = _images(analysis_size(source))
    candidates = [Candidate(i, jpegs[(start_frame + i) // int(SCENE_SECONDS * FPS) % len(jpegs)])
                  for i in range(0, n, stride)]
    times = np.arange(0, seconds, 0.4) + start_frame / FPS
    loudness = LoudnessTrack(times, rng.uniform(-40, -15, len(times)))
    return FramePass(series, frames / FPS, loudness, candidates, preroll)


def time_scenes(seconds: float, part_seconds: float = 120.0) -> dict[str, float]:
    parts = []
    for i, start in enumerate(np.arange(0, seconds, part_seconds)):
        parts.append(to_bytes(synthetic_pass(min(part_seconds, seconds - start), int(start * FPS),
                                             total_seconds=seconds, seed=i)))
    source = synthetic_source(seconds, 1080)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        joined = join_parts([from_bytes(p) for p in parts])
        t1 = time.perf_counter()
        outcome = analyse.scenes_from_frames(joined, source, Path(tmp) / "out", media_name="long.mp4")
        t2 = time.perf_counter()
        files = sum(1 for p in (Path(tmp) / "out").rglob("*") if p.is_file())
    return {"seconds": seconds, "parts": len(parts), "scenes": len(outcome.scenes),
            "candidates": len(joined.candidates), "files": files, "join_parts_s": round(t1 - t0, 3),
            "scenes_from_frames_s": round(t2 - t1, 3)}


def time_playlists(seconds: float) -> dict[str, float]:
    plan = plan_transcode(synthetic_source(seconds, 1080))
    text = "\n".join(["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:6", "#EXT-X-MEDIA-SEQUENCE:0",
                      '#EXT-X-MAP:URI="init.mp4"'] + [f"#EXTINF:6.000000,\nseg-{i:05d}.m4s" for i in range(20)]
                     + ["#EXT-X-ENDLIST"])
    t0 = time.perf_counter()
    for _rung in plan.renditions:
        segments = []
        for _ in plan.chunks:
            segments += parse_media_playlist(text)
        media_playlist(segments)
        join_rung_stats([rung_stats(segments[:20])] * len(plan.chunks))
    return {"seconds": seconds, "chunks": len(plan.chunks), "rungs": len(plan.renditions),
            "playlists_s": round(time.perf_counter() - t0, 3)}


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *args], check=True)


def time_concat(workdir: Path, parts: int = 40) -> dict[str, float]:
    """Joining `parts` copies of a 30 s 540p proxy part by stream copy, as TranscodePackage joins the proxy."""
    part = workdir / "part.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=960x540:rate=25:duration=30", "-f", "lavfi", "-i",
            "sine=frequency=440:duration=30", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "1500k",
            "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", str(part))
    names = []
    for i in range(parts):
        names.append(workdir / f"p{i:03d}.mp4")
        shutil.copy(part, names[-1])
    listing = workdir / "parts.txt"
    listing.write_text("".join(f"file '{p.name}'\n" for p in names))
    t0 = time.perf_counter()
    _ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", "-movflags", "+faststart",
            str(workdir / "proxy.mp4"))
    took = time.perf_counter() - t0
    size = (workdir / "proxy.mp4").stat().st_size / 1e6
    return {"parts": parts, "megabytes": round(size, 1), "concat_s": round(took, 3),
            "megabytes_per_s": round(size / took, 1)}


def time_flac_concat(workdir: Path, parts: int = 30) -> dict[str, float]:
    """Joining `parts` 120 s FLAC parts (16 kHz mono 16-bit, as CaptionPart extracts them) as TranscribeStart does:
    concat, decoded and encoded once more (pink noise: FLAC's worst case for size)."""
    part = workdir / "part.flac"
    _ffmpeg("-f", "lavfi", "-i", "anoisesrc=d=120:c=pink:a=0.2", "-ac", "1", "-ar", "16000", "-c:a", "flac",
            "-sample_fmt", "s16", str(part))
    listing = workdir / "audio.txt"
    listing.write_text("".join(f"file '{part.name}'\n" for _ in range(parts)))
    t0 = time.perf_counter()
    _ffmpeg("-f", "concat", "-i", str(listing), "-c:a", "flac", "-sample_fmt", "s16", str(workdir / "audio.flac"))
    took = time.perf_counter() - t0
    hours = parts * 120 / 3600
    return {"parts": parts, "audio_hours": hours, "megabytes": round((workdir / "audio.flac").stat().st_size / 1e6, 1),
            "concat_s": round(took, 3), "seconds_per_audio_hour": round(took / hours, 3)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[60.0, 240.0])
    args = parser.parse_args(argv)
    report: dict[str, object] = {"scenes": [time_scenes(m * 60) for m in args.minutes],
                                 "playlists": [time_playlists(m * 60) for m in args.minutes]}
    with tempfile.TemporaryDirectory(prefix="bench-joins-") as tmp:
        report["proxy_concat"] = time_concat(Path(tmp))
        report["flac_concat"] = time_flac_concat(Path(tmp))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
