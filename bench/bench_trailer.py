"""Trailer benchmark: `make_trailer` against the same ffmpeg commands run directly, in the same run.

    python bench/bench_trailer.py [--source samples/sample.mp4] [--loop N] [--target SECONDS] [--repeat 3]

Scenes come from `analyse_scenes` first (the pipeline's previous stage; not timed). Then, interleaved and
each the fastest of --repeat runs:
  * Reelflow: `make_trailer` end to end (selection, vertical framing, loudness pass, the render graph);
  * ffmpeg direct: the same two ffmpeg argument lists (loudness pass and render graph) that make_trailer
    builds for that plan, run by the bundled ffmpeg binary with no Python around it.
Wall times are printed with their ratio to the trailer's length (below 1 is faster than real time), and
the ratio between the two, i.e. what selection, framing and the Python wrapper add to raw ffmpeg.
`--loop N` plays the source N times back to back to get a longer input.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions.core.ffmpeg import ffmpeg_exe, run_ffmpeg  # noqa: E402
from functions.core.probe import probe_media  # noqa: E402
from functions.core.scenes import analyse_scenes  # noqa: E402
from functions.core.trailer import make_trailer  # noqa: E402
from functions.core.trailer.graph import Audio, measuring_args, trailer_args  # noqa: E402
from functions.core.trailer.layout import layout_for  # noqa: E402
from functions.core.trailer.loudness import measure_file, read_meter  # noqa: E402


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def run_direct(args: list[str]) -> None:
    """The bundled ffmpeg on its own: same binary, same arguments, no progress pipe, no Python in the loop."""
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args], check=True)


def looped(source: Path, times: int, out: Path) -> Path:
    run_ffmpeg(["-stream_loop", str(times - 1), "-i", str(source), "-c", "copy", str(out)], what="loop source")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT / "samples" / "sample.mp4")
    parser.add_argument("--loop", type=int, default=1, help="play the source this many times back to back")
    parser.add_argument("--target", type=float, default=None, help="trailer seconds (default: the pipeline's)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest counts")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="reelflow-bench-trailer-") as tmp:
        work = Path(tmp)
        media = looped(args.source, args.loop, work / "source.mp4") if args.loop > 1 else args.source
        source = probe_media(str(media))
        scenes = analyse_scenes(media, source, work / "scenes").scenes
        print(f"source: {media.name}, {source.duration:.1f} s {source.width}x{source.height}, {len(scenes)} scenes",
              flush=True)

        outcome = make_trailer(media, source, scenes, work / "out", target_seconds=args.target)  # warm-up
        plan = outcome.plan
        length = plan.expected_duration
        layout = layout_for(source)
        meter = work / "direct-r128.txt"
        measure = measuring_args(media, plan, layout.fps, meter)
        run_direct(measure)
        audio = Audio(from_source=True, measurement=read_meter(meter), stats_file=work / "direct-loudnorm.json")
        render = trailer_args(media, plan, layout, (work / "direct.mp4", work / "direct_vertical.mp4"), audio)

        reelflow = direct = direct_render = float("inf")
        # Interleaved, fastest of each: load from other processes only ever slows a run down.
        for _ in range(max(1, args.repeat)):
            reelflow = min(reelflow, timed(
                lambda: make_trailer(media, source, scenes, work / "out", target_seconds=args.target)))
            direct = min(direct, timed(lambda: (run_direct(measure), run_direct(render))))
            direct_render = min(direct_render, timed(lambda: run_direct(render)))

        wide = work / "out" / outcome.outputs["trailer"]
        print(f"trailer: {len(plan.segments)} segments, {length:.2f} s (target {plan.target_seconds:.2f} s), "
              f"{layout.landscape[0]}x{layout.landscape[1]} + {layout.vertical[0]}x{layout.vertical[1]}, "
              f"{measure_file(wide).integrated:.2f} LUFS")
        print(f"\n{'':34s} {'seconds':>8s} {'x trailer length':>17s}")
        print(f"{'Reelflow make_trailer (all steps)':34s} {reelflow:8.2f} {reelflow / length:17.2f}")
        print(f"{'ffmpeg direct, same 2 commands':34s} {direct:8.2f} {direct / length:17.2f}")
        print(f"{'ffmpeg direct, render graph only':34s} {direct_render:8.2f} {direct_render / length:17.2f}")
        print(f"\nmake_trailer takes {reelflow / direct:.2f}x the time of the same ffmpeg commands run directly "
              f"(wall time, same run; the difference is selection, vertical framing and process overhead)")


if __name__ == "__main__":
    main()
