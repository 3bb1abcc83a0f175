"""Transcode benchmark: the pipeline's transcode stage vs the same ffmpeg command run directly.

Both run in this process's run on the same generated input, so the ratio is meaningful on a
noisy machine even when the absolute seconds are not. Target: ratio <= 1.10.
"""
from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from functions.core.ffmpeg import run_ffmpeg
from functions.core.ladder import plan_transcode
from functions.core.models import JobOptions
from functions.core.probe import probe_media
from functions.core.transcode import encode_chunk_args
from reelflow.local.cloud import Invocation, LocalCloud, construct_name
from reelflow.local.jobs import expected_job, upload_source, wait_for_job
from reelflow.local.template import stack_template


def make_input(path: Path, seconds: float, height: int, mbps: float) -> Path:
    """Phone-like footage: moving pattern with sensor noise at a camera's bitrate."""
    width = height * 16 // 9
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r=30:d={seconds}",
        "-f", "lavfi", "-i", f"sine=f=330:d={seconds}",
        "-vf", "noise=alls=6:allf=t", "-c:v", "libx264", "-preset", "veryfast",
        "-b:v", f"{mbps}M", "-maxrate", f"{mbps * 1.25}M", "-bufsize", f"{mbps * 2}M",
        "-c:a", "aac", "-shortest", str(path),
    ], what="Making the benchmark input")
    return path


def direct_seconds(source: Path, out: Path) -> float:
    """The exact ffmpeg command the EncodeChunk handler runs, on a local file."""
    info = probe_media(str(source))
    plan = plan_transcode(info)
    args = encode_chunk_args(str(source), info, plan, plan.chunks[0], out)
    started = time.monotonic()
    run_ffmpeg(args, what="Direct ffmpeg")
    return time.monotonic() - started


def pipeline_seconds(source: Path, workdir: Path) -> tuple[float, dict[str, float]]:
    """Wall time of the transcode stage in the local pipeline: first EncodeChunk start to PackageHls end.

    The job asks for the transcode stage only: otherwise captions and scenes run beside it in the
    Parallel state and share the same cores, which measures the machine, not the stage."""
    marks: dict[str, float] = {}
    parts: dict[str, float] = {}

    def listen(inv: Invocation) -> None:
        name = construct_name(inv.function.logical_id).removeprefix("Functions")
        if name == "TranscodeChunk" and inv.ok is None:
            marks.setdefault("start", inv.started)
        if name in ("TranscodeChunk", "TranscodePackage") and inv.ok is not None:
            parts[name] = max(parts.get(name, 0.0), inv.seconds)
            if name == "TranscodePackage":
                marks["end"] = inv.started + inv.seconds

    with LocalCloud(stack_template(), workdir) as cloud:
        cloud.listeners.append(listen)
        ref = upload_source(cloud, source, options=JobOptions(stages=["transcode"]))
        job_id, asset_id = expected_job(ref)
        outcome = wait_for_job(cloud, job_id, asset_id, timeout=3600)
    if outcome.status != "COMPLETED":
        raise SystemExit(f"pipeline run ended {outcome.status}: {outcome.error}")
    return marks["end"] - marks["start"], parts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="length of the generated input (default 30)")
    parser.add_argument("--height", type=int, default=1080, help="input height (default 1080)")
    parser.add_argument("--mbps", type=float, default=20, help="input video bitrate (default 20, like a phone)")
    args = parser.parse_args(argv)
    for name in ("moto", "werkzeug"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as tmp:
        work = Path(tmp)
        source = make_input(work / "input.mp4", args.seconds, args.height, args.mbps)
        direct = direct_seconds(source, work / "direct")
        pipeline, parts = pipeline_seconds(source, work / "cloud")
    print(f"transcode  input {args.seconds:.0f}s {args.height}p {args.mbps:.0f} Mbps, ladder per plan_transcode")
    print(f"  direct ffmpeg      {direct:7.2f}s  ({args.seconds / direct:.2f}x real time)")
    print(f"  reelflow pipeline  {pipeline:7.2f}s  ({args.seconds / pipeline:.2f}x real time)")
    print(f"    of which: encode (slowest chunk) {parts['TranscodeChunk']:.2f}s, "
          f"package (playlists, proxy join, poster) {parts['TranscodePackage']:.2f}s")
    print(f"  ratio pipeline/direct = {pipeline / direct:.3f}  (target <= 1.10)")


if __name__ == "__main__":
    main()
