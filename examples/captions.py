"""Captions: the sample's speech to a word-timed transcript, WebVTT and SRT (functions/core/captions).

    python examples/captions.py [MEDIA] [--engine whisper|pocketsphinx] [--out DIR]

Calls `caption_media(media, out_dir)` with the default engine (Whisper tiny.en, bundled, offline), the
same call the captions stage makes on each part. Prints the outcome and the first cues:

    {
      "outputs": {"transcript": "transcript.json", "captions_vtt": "captions/en.vtt", ...},
      "summary": {"language": "en-US", "engine": "whisper", "word_count": 46, "keywords": ["video", "sample", ...]},
      "cue_count": 6,
      "note": null
    }
    WEBVTT

    1
    00:00:00.780 --> 00:00:03.580
    Welcome to the sample video
    for the media pipeline.
    ...
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from functions.core.captions import DEFAULT_ENGINE, EngineUnavailable, caption_media
from functions.core.captions.engines import ENGINE_NAMES

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "sample.mp4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("media", nargs="?", default=str(SAMPLE), help="a media file (default: the built-in sample)")
    parser.add_argument("--engine", default=DEFAULT_ENGINE, choices=ENGINE_NAMES,
                        help="transcribe runs only inside the state machine (it needs Amazon Transcribe)")
    parser.add_argument("--out", type=Path, help="output folder (default: a new temporary folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="reelflow-captions-"))
    out.mkdir(parents=True, exist_ok=True)

    try:
        outcome = caption_media(args.media, out, engine=args.engine)
    except EngineUnavailable as exc:  # transcribe, or a whisper model folder that is missing
        parser.exit(2, f"{exc}\n")

    print(outcome.model_dump_json(indent=2))
    vtt = (out / outcome.outputs["captions_vtt"]).read_text(encoding="utf-8")
    print("\n".join(vtt.splitlines()[:12]))
    print(f"Files in {out}")


if __name__ == "__main__":
    main()
