"""Trailer: the sample's best moments cut into a 16:9 trailer and a 9:16 one (functions/core/trailer).

    python examples/trailer.py [MEDIA] [--scenes scenes.json] [--seconds N] [--title T] [--out DIR]

A trailer is cut from scenes: give the scenes.json that examples/scenes.py wrote, or let this example
analyse them first (`analyse_scenes`). Then `make_trailer(media, source, scenes, out_dir)` scores the scenes,
plans the cuts and renders trailer/trailer.mp4, trailer/trailer_vertical.mp4 and trailer.json (the plan).
Prints the plan:

    target 6.0 s, expected 6.0 s, 3 segments, loudness -17.9 LUFS brought to -16.0 (linear)
        4.64-  6.96  scene 2  score 0.45  opening, colourful, high contrast
        8.24- 10.56  scene 3  score 0.43  middle, high motion, loud
       14.64- 16.96  scene 5  score 0.52  top score, high motion
    outputs: {"trailer": "trailer/trailer.mp4", "trailer_vertical": "trailer/trailer_vertical.mp4", ...}
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from functions.core.probe import probe_media
from functions.core.scenes import ScenesDocument, analyse_scenes
from functions.core.trailer import make_trailer

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "sample.mp4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("media", nargs="?", default=str(SAMPLE), help="a media file (default: the built-in sample)")
    parser.add_argument("--scenes", type=Path, help="scenes.json of the same media (default: analyse the scenes)")
    parser.add_argument("--seconds", type=float, default=6.0, help="trailer length (default: 6)")
    parser.add_argument("--title", help="a title card at the start")
    parser.add_argument("--out", type=Path, help="output folder (default: a new temporary folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="reelflow-trailer-"))
    out.mkdir(parents=True, exist_ok=True)

    source = probe_media(args.media)
    if args.scenes:
        scenes = ScenesDocument.model_validate_json(args.scenes.read_text()).scenes
    else:
        scenes = analyse_scenes(args.media, source, out / "scenes").scenes
    outcome = make_trailer(args.media, source, scenes, out, target_seconds=args.seconds, title=args.title)

    if outcome.skipped:
        parser.exit(1, f"No trailer: {outcome.skipped.reason}\n")
    plan = outcome.plan
    level = outcome.loudness
    loudness = f"{level.input_lufs} LUFS brought to {level.target_lufs} ({level.normalisation})" if level else "none"
    print(f"target {plan.target_seconds:.1f} s, expected {plan.expected_duration:.1f} s, "
          f"{len(plan.segments)} segments, loudness {loudness}")
    for segment in plan.segments:
        scenes_cut = ",".join(map(str, segment.scene_indexes))
        print(f"  {segment.source_start:6.2f}-{segment.source_end:6.2f}  scene {scenes_cut}  "
              f"score {segment.score:.2f}  {', '.join(segment.reasons)}")
    print(f"outputs: {json.dumps(outcome.outputs)}")
    print(f"Files in {out}")


if __name__ == "__main__":
    main()
