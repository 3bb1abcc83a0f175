"""Scenes: shots, per-scene features and tags, thumbnails and editor exports (functions/core/scenes).

    python examples/scenes.py [MEDIA] [--out DIR]

Probes the media (`probe_media`, as the Probe stage does) and calls `analyse_scenes(media, source, out_dir)`:
one decode pass, cuts and gradual transitions, then scenes.json, thumbs/, contact_sheet.jpg and the EDL,
OTIO and FCPXML exports. Prints the outputs and one line per scene:

    outputs: {"scenes": "scenes.json", "contact_sheet": "contact_sheet.jpg", "edl": "scenes.edl", ...}
    note: 6 scenes in 500 frames (4 cuts, 1 gradual transition)
      1  00:00:00:00-00:00:04:00  start     colourful
      2  00:00:04:00-00:00:07:15  cut       colourful
      3  00:00:07:15-00:00:11:05  cut
      4  00:00:11:05-00:00:14:10  dissolve  dark, static
      ...
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from functions.core.probe import probe_media
from functions.core.scenes import analyse_scenes

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "sample.mp4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("media", nargs="?", default=str(SAMPLE), help="a media file (default: the built-in sample)")
    parser.add_argument("--out", type=Path, help="output folder (default: a new temporary folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="reelflow-scenes-"))
    out.mkdir(parents=True, exist_ok=True)

    source = probe_media(args.media)
    outcome = analyse_scenes(args.media, source, out)

    print(f"outputs: {json.dumps(outcome.outputs)}")
    print(f"note: {outcome.note}")
    for scene in outcome.scenes:
        print(f"  {scene.index}  {scene.start_timecode}-{scene.end_timecode}  {scene.transition_in:<9} "
              f"{', '.join(scene.tags)}")
    print(f"Files in {out}")


if __name__ == "__main__":
    main()
