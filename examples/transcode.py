"""Transcode: plan the ABR ladder for the sample, then encode its first chunk into HLS (functions/core).

    python examples/transcode.py [MEDIA] [--seconds N] [--out DIR]

`plan_transcode(source)` is what Probe plans for the whole file: rungs by the source's short side (never
upscaled) and chunks of whole 4-second segments. The example then plans chunks of `--seconds` (default 4)
and encodes only the first, as one EncodeChunk invocation does (`encode_chunk`: every rung and a proxy part
in one ffmpeg graph), and joins it into playlists as PackageHls would, so hls/master.m3u8 plays those seconds:

    source: 640x360 at 25.0 fps, 20.0 s, audio: True
    ladder: [{"name": "360p", "width": 640, "height": 360, "video_kbps": 800, "audio_kbps": 128}, ...]
    chunks for the whole file: [{"index": 0, "start": 0.0, "duration": 20.0}]
    encoded chunk 0 (0.0 s + 4.0 s):
       360p  1 segments, 4.0 s, 471,128 bytes, peak 942 kb/s
       240p  1 segments, 4.0 s, 263,200 bytes, peak 526 kb/s
    Play /tmp/reelflow-transcode-.../hls/master.m3u8
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from functions.core.ladder import plan_transcode
from functions.core.probe import probe_media
from functions.core.transcode import encode_chunk, master_playlist, media_playlist, rung_stats

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "sample.mp4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("media", nargs="?", default=str(SAMPLE), help="a media file (default: the built-in sample)")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of the chunk to encode (default: 4)")
    parser.add_argument("--out", type=Path, help="output folder (default: a new temporary folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="reelflow-transcode-"))
    out.mkdir(parents=True, exist_ok=True)

    source = probe_media(args.media)
    whole = plan_transcode(source)
    print(f"source: {source.width}x{source.height} at {source.fps} fps, {source.duration} s, audio: {source.has_audio}")
    print(f"ladder: {json.dumps([r.model_dump() for r in whole.renditions])}")
    print(f"chunks for the whole file: {json.dumps([c.model_dump() for c in whole.chunks])}")

    plan = plan_transcode(source, chunk_seconds=args.seconds)
    chunk = plan.chunks[0]
    segments = encode_chunk(args.media, source, plan, chunk, out)

    print(f"encoded chunk {chunk.index} ({chunk.start} s + {chunk.duration} s):")
    ladder = []
    for rung in plan.renditions:
        stats = rung_stats(segments[rung.name])
        ladder.append((rung, stats))
        (out / "hls" / rung.name / "index.m3u8").write_text(media_playlist(segments[rung.name]))
        print(f"  {rung.name:>5}  {len(segments[rung.name])} segments, {stats.seconds} s, {stats.bytes:,} bytes, "
              f"peak {stats.peak_bps / 1000:.0f} kb/s")
    (out / "hls" / "master.m3u8").write_text(master_playlist(source, ladder))
    print(f"Play {out / 'hls' / 'master.m3u8'}")


if __name__ == "__main__":
    main()
