"""`make bench-long`: an hour of generated footage through the local pipeline, as `reelflow run` runs it.

    python -m bench.bench_long [--minutes 60] [--size 320x180] [--out DIR]

The source is small frames (to keep it quick) with a hard cut every few seconds between moving test patterns, and
real speech (../shared/eval/speech, looped with pauses) on the soundtrack. It reports each stage's time, every
function's peak resident memory against its configured size, the chunks and parts, the measured cost report, and
a projection of the AWS wall time: each function's measured times scaled to its vCPUs in AWS
(functions.core.cost.rates), with the chunk Maps running as wide as the state machine runs them. Not a test: it
takes tens of minutes on two cores.
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from functions.core.cost import rates  # noqa: E402
from functions.core.cost.estimate import MAP_CONCURRENCY, estimate_job, synthetic_source  # noqa: E402
from functions.core.cost.lambdas import FUNCTION_MEMORY_MB, FUNCTION_STAGES  # noqa: E402
from functions.core.ffmpeg import run_ffmpeg  # noqa: E402
from functions.core.models import JobOptions  # noqa: E402
from reelflow.costs import cost_lines  # noqa: E402
from reelflow.local.cloud import Faults, Invocation, LocalCloud, construct_name  # noqa: E402
from reelflow.local.jobs import expected_job, upload_source, wait_for_job  # noqa: E402
from reelflow.local.template import stack_template  # noqa: E402
from tests.media import EVAL_SPEECH  # noqa: E402

SHOT_SECONDS = 7  # a hard cut this often
PATTERNS = ("testsrc2", "testsrc", "gradients", "cellauto")  # lavfi sources, moving, each unlike the others
PAUSE_SECONDS = 2.0
PARTS = {"TranscodeChunk", "CaptionPart", "ScenePart"}  # the chunk Maps' functions


def make_long_source(path: Path, seconds: float, width: int, height: int) -> Path:
    """Moving patterns cut every SHOT_SECONDS (one cycle of PATTERNS, encoded once and repeated without
    re-encoding), over real speech clips with pauses, repeated to the length."""
    work = path.parent
    speech = work / "speech.wav"
    clips = sorted(EVAL_SPEECH.glob("*.flac"))
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    graph = "".join(f"[{i}:a]aresample=16000,apad=pad_dur={PAUSE_SECONDS}[a{i}];" for i in range(len(clips)))
    graph += "".join(f"[a{i}]" for i in range(len(clips))) + f"concat=n={len(clips)}:v=0:a=1[a]"
    run_ffmpeg([*inputs, "-filter_complex", graph, "-map", "[a]", "-ac", "1", str(speech)])
    cycle = work / "cycle.mp4"
    n = len(PATTERNS)
    video_inputs = [arg for p in PATTERNS for arg in ("-f", "lavfi", "-i", f"{p}=s={width}x{height}:r=25")]
    # Each pattern shows during its own shots: overlaying them in turn gives a hard cut at every shot boundary.
    chain = "[0:v]format=yuv420p,setsar=1[v0];"
    for i in range(1, n):
        chain += (f"[{i}:v]format=yuv420p,setsar=1[p{i}];[v{i - 1}][p{i}]overlay=enable="
                  f"'eq(mod(floor(t/{SHOT_SECONDS}),{n}),{i})'[v{i}];")
    run_ffmpeg([*video_inputs, "-filter_complex", chain.rstrip(";"), "-map", f"[v{n - 1}]",
                "-t", str(n * SHOT_SECONDS), "-c:v", "libx264", "-preset", "veryfast", "-g", "50",
                "-pix_fmt", "yuv420p", str(cycle)])
    run_ffmpeg(["-stream_loop", "-1", "-i", str(cycle), "-stream_loop", "-1", "-i", str(speech),
                "-map", "0:v", "-map", "1:a", "-t", str(seconds), "-c:v", "copy",
                "-c:a", "aac", "-b:a", "64k", "-ar", "48000", str(path)], duration=seconds, what="Making the source")
    speech.unlink(missing_ok=True)
    cycle.unlink(missing_ok=True)
    return path


def quiet_seconds(name: str, call: Invocation) -> float | None:
    """The invocation's time on this machine with nothing else running, from its CPU time: work that uses every
    core (rates.PARALLEL) spreads over LOCAL_CORES; the rest runs on one."""
    if call.cpu_seconds is None:
        return None
    return call.cpu_seconds / (rates.LOCAL_CORES if name in rates.PARALLEL else 1)


def project_aws_seconds(calls: list[Invocation], *, from_cpu: bool = False) -> tuple[float, dict[str, float]]:
    """The AWS wall time the measured invocations project to: each scaled to its function's vCPUs; the three
    branches side by side, each Map MAP_CONCURRENCY wide; then the steps after them. `from_cpu` measures each
    invocation by its CPU time (`quiet_seconds`) instead of its wall time, which other work on a shared machine
    stretches."""
    scaled: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        name = construct_name(call.function.logical_id).removeprefix("Functions")
        local = quiet_seconds(name, call) if from_cpu else call.seconds
        if name in FUNCTION_MEMORY_MB and local is not None:
            scaled[name].append(rates.aws_seconds(name, local, FUNCTION_MEMORY_MB[name]))

    def map_wall(name: str) -> float:
        times = scaled.get(name, [])
        return sum(max(times[i:i + MAP_CONCURRENCY]) for i in range(0, len(times), MAP_CONCURRENCY))

    def one(name: str) -> float:
        return max(scaled.get(name, [0.0]))

    branches = {
        "transcode": map_wall("TranscodeChunk") + one("TranscodePackage"),
        "captions": map_wall("CaptionPart") + one("Captions"),
        "scenes": map_wall("ScenePart") + one("Scenes"),
    }
    total = one("Probe") + max(branches.values()) + one("SceneSpeech") + one("Trailer") + one("Finalize")
    return total, branches


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="footage length (default: 60)")
    parser.add_argument("--size", default="320x180", help="frame size, WxH (default: 320x180)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "reelflow-bench-long")
    parser.add_argument("--shared-machine", action="store_true",
                        help="lift the local timeouts (other work stretches wall time); judge by CPU time instead")
    args = parser.parse_args(argv)
    for name in ("moto", "werkzeug", "botocore", "urllib3"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    width, height = (int(v) for v in args.size.split("x"))
    seconds = args.minutes * 60
    args.out.mkdir(parents=True, exist_ok=True)
    source = args.out / f"long-{int(seconds)}s-{args.size}.mp4"
    if not source.exists():
        started = time.monotonic()
        make_long_source(source, seconds, width, height)
        print(f"source: {source} ({source.stat().st_size:,} bytes) in {time.monotonic() - started:.0f} s", flush=True)

    calls: list[Invocation] = []
    template = stack_template()
    faults = Faults.from_env()
    if args.shared_machine:
        faults.timeouts |= {name: 24 * 3600.0 for name in FUNCTION_MEMORY_MB}
    cloud = LocalCloud(template, args.out / "cloud", faults=faults).start()
    timeouts = {construct_name(fn.logical_id).removeprefix("Functions"): fn.timeout_s for fn in cloud.functions.values()}
    cloud.listeners.append(lambda call: calls.append(call) if call.ok is not None else None)
    try:
        started = time.monotonic()
        ref = upload_source(cloud, source, key=source.name, options=JobOptions())
        job_id, asset_id = expected_job(ref)
        outcome = wait_for_job(cloud, job_id, asset_id, timeout=6 * 3600)
        elapsed = time.monotonic() - started
    finally:
        cloud.stop()

    print(f"\nJob {job_id}: {outcome.status} in {elapsed:.0f} s locally ({cloud.concurrency} handlers at once), "
          f"{seconds / 60:.0f} min of {args.size} footage")
    for name, stage in (outcome.job.get("stages") or {}).items():
        print(f"  {name:<13} {stage['status']:<9} {stage.get('seconds', 0):8.1f} s  {stage.get('note') or ''}")
    counts = defaultdict(int)
    peaks: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    wall: dict[str, float] = defaultdict(float)
    longest: dict[str, float] = defaultdict(float)  # the longest invocation, quiet-machine seconds from CPU time
    for call in calls:
        name = construct_name(call.function.logical_id).removeprefix("Functions")
        counts[name] += 1
        peaks[name] = max(peaks[name], call.peak_rss_mb or 0.0)
        cpu[name] += call.cpu_seconds or 0.0
        wall[name] += call.seconds or 0.0
        longest[name] = max(longest[name], quiet_seconds(name, call) or 0.0)
    scene_parts = (outcome.job.get("stages") or {}).get("scenes", {}).get("details") or {}
    print(f"\nChunks: {counts['TranscodeChunk']} encoded, {counts['CaptionPart']} caption parts, "
          f"{scene_parts.get('parts', 0)} scene parts ({scene_parts.get('parts_on_chunks', 0)} measured on the "
          f"transcode's decode, {counts['ScenePart']} by ScenePart)")
    print("Per function: invocations, wall and CPU seconds in all, the longest invocation on a quiet machine (from "
          "its CPU time) / timeout, peak resident memory (largest invocation, with the ffmpeg it started) / configured:")
    over = []
    for name in sorted(peaks, key=lambda n: list(FUNCTION_STAGES).index(n) if n in FUNCTION_STAGES else 99):
        configured = FUNCTION_MEMORY_MB.get(name)
        print(f"  {name:<17} {counts[name]:4d} x  {wall[name]:8.1f} s wall  {cpu[name]:8.1f} s CPU  "
              f"{longest[name]:7.1f} s / {timeouts.get(name, '-')} s  {peaks[name]:8.0f} MB / {configured or '-'} MB")
        if configured and peaks[name] > configured:
            over.append(name)
    if outcome.job.get("cost"):
        print("\n" + "\n".join(cost_lines(outcome.job["cost"], title="Measured cost (local times)")))
    estimate = estimate_job(synthetic_source(seconds, height), JobOptions())
    for basis, from_cpu in (("wall", False), ("CPU", True)):
        projected, branches = project_aws_seconds(calls, from_cpu=from_cpu)
        print(f"\nProjected AWS wall time from each invocation's {basis} time: {projected / 60:.1f} min (branches: "
              + ", ".join(f"{k} {v / 60:.1f} min" for k, v in branches.items()) + ")")
    print(f"The estimate for the same footage says {estimate.wall_seconds / 60:.1f} min, "
          f"${estimate.cost.total_usd:.4f}")
    hd = estimate_job(synthetic_source(seconds, 1080), JobOptions())
    print(f"The same length of 1080p, estimated: {hd.wall_seconds / 60:.1f} min, ${hd.cost.total_usd:.4f} "
          f"(goal for an hour: 5 min or less)")
    if over:
        print(f"Over their configured memory: {', '.join(over)}")
    sys.exit(0 if outcome.status == "COMPLETED" and not over else 1)


if __name__ == "__main__":
    main()
