"""Small media fixtures for tests, made on the fly with the bundled ffmpeg (no pytest dependency).

Every maker takes a target `path` (a file path, or an existing directory to get a default file name in it)
and returns the `Path` it wrote. Clips are tiny (320x180, 1-3 s) and each takes well under a second.

    clip = make_clip(tmp_path / "a.mp4", seconds=2, rotation=90)

Conventions:
  * `rotation` is degrees counter-clockwise, as ffmpeg's `-display_rotation` takes it and as PyAV
    reports it in `VideoFrame.rotation` (a display matrix in the mp4/mov track header).
  * `sar` is "num:den"; the stored frame keeps its size, players stretch it.
  * clips have no faststart by default (moov after mdat, like most camera and ffmpeg output), which is
    what `make_truncated` needs. Pass `faststart=True` for a web-optimised file.
"""
from __future__ import annotations

import os
import random
import struct
from fractions import Fraction
from pathlib import Path

from functions.core.ffmpeg import run_ffmpeg

__all__ = [
    "make_clip",
    "make_audio_only",
    "make_silent_clip",
    "make_non_media",
    "make_zero_byte",
    "make_truncated",
    "make_corrupt",
    "top_level_boxes",
    "display_size",
    "EVAL_SPEECH",
    "eval_speech",
    "make_speech_take",
    "make_av",
    "make_image",
    "make_truncated_index",
    "make_long_claim",
    "make_frame_size_claim",
]

# Real recordings with exact reference transcripts (../shared/eval/speech, see its README); read-only.
EVAL_SPEECH = Path(__file__).resolve().parents[2] / "shared" / "eval" / "speech"


def eval_speech() -> dict[str, dict]:
    """The real-speech set's manifest records by file name."""
    import json

    return {r["file"]: r for r in json.loads((EVAL_SPEECH / "manifest.json").read_text())}

AUDIO_RATE = 48000
TONE_HZ = 440

_CONTAINERS = {  # container -> (ffmpeg muxer, video encoder args, audio encoder args)
    "mp4": ("mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], ["-c:a", "aac", "-b:a", "64k"]),
    "mov": ("mov", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], ["-c:a", "aac", "-b:a", "64k"]),
    "mkv": ("matroska", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], ["-c:a", "aac", "-b:a", "64k"]),
    "webm": (
        "webm",
        ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k", "-pix_fmt", "yuv420p"],
        ["-c:a", "libopus", "-b:a", "48k"],
    ),
}

_AUDIO_CODECS = {  # audio-only suffix -> (muxer, encoder args)
    ".m4a": ("ipod", ["-c:a", "aac", "-b:a", "64k"]),
    ".mp4": ("mp4", ["-c:a", "aac", "-b:a", "64k"]),
    ".aac": ("adts", ["-c:a", "aac", "-b:a", "64k"]),
    ".mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]),
    ".wav": ("wav", ["-c:a", "pcm_s16le"]),
    ".flac": ("flac", ["-c:a", "flac"]),
    ".ogg": ("ogg", ["-c:a", "libopus", "-b:a", "48k"]),
    ".opus": ("opus", ["-c:a", "libopus", "-b:a", "48k"]),
}


def _target(path: str | os.PathLike, default_name: str) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / default_name
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def _audio_source(seconds: float, tone: bool) -> str:
    if tone:
        return f"sine=frequency={TONE_HZ}:sample_rate={AUDIO_RATE}:duration={seconds}"
    return f"anullsrc=channel_layout=mono:sample_rate={AUDIO_RATE}"


def make_clip(
    path: str | os.PathLike,
    *,
    seconds: float = 2.0,
    width: int = 320,
    height: int = 180,
    fps: int = 25,
    audio: bool = True,
    video: bool = True,
    sar: str | None = None,
    rotation: int | None = None,
    vfr: bool = False,
    tone: bool = True,
    container: str = "mp4",
    faststart: bool = False,
) -> Path:
    """A moving testsrc2 clip with a 440 Hz tone (or digital silence when `tone=False`).

    sar="4:3" stores width x height with that sample aspect ratio (anamorphic).
    rotation=90 adds display-matrix rotation metadata (mp4/mov only): stored 320x180, shown 180x320.
    vfr=True gives truly variable frame timing: frame intervals jitter between 0.4/fps and 1.6/fps
    (1 ms timescale, passthrough), averaging `fps`.
    """
    if container not in _CONTAINERS:
        raise ValueError(f"container must be one of {sorted(_CONTAINERS)}")
    if not (audio or video):
        raise ValueError("a clip needs audio or video")
    if rotation is not None and container not in ("mp4", "mov"):
        raise ValueError("rotation metadata is only written for mp4/mov")
    muxer, venc, aenc = _CONTAINERS[container]
    out = _target(path, f"clip.{container}")

    args: list[str] = []
    if video:
        chain = f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}"
        if vfr:
            # pts(n) = (n + 0.6 * (7n mod 5) / 4) / fps: monotonic, irregular steps, average rate fps.
            chain += f",settb=1/1000,setpts='(N+0.6*mod(N*7\\,5)/4)/{fps}/TB'"
        if sar:
            num, den = (int(x) for x in sar.replace("/", ":").split(":"))
            chain += f",setsar={num}/{den}"
        args += ["-f", "lavfi", "-i", chain]
    if audio:
        args += ["-f", "lavfi", "-i", _audio_source(seconds, tone)]
    if video:
        args += venc + ["-g", str(fps)]
        if vfr:
            args += ["-fps_mode", "passthrough", "-enc_time_base:v", "1/1000"]
            if muxer in ("mp4", "mov"):
                args += ["-video_track_timescale", "1000"]
    if audio:
        args += aenc + ["-ac", "1", "-ar", str(AUDIO_RATE)]
    args += ["-t", f"{seconds}", "-threads", "1"]
    if faststart and muxer in ("mp4", "mov"):
        args += ["-movflags", "+faststart"]

    if rotation is None:
        run_ffmpeg(args + ["-f", muxer, str(out)], what="make_clip")
        return out
    tmp = out.with_name(out.name + ".norot" + out.suffix)
    try:
        run_ffmpeg(args + ["-f", muxer, str(tmp)], what="make_clip")
        remux = ["-display_rotation:v:0", str(rotation), "-i", str(tmp), "-map", "0", "-c", "copy"]
        if faststart:
            remux += ["-movflags", "+faststart"]
        run_ffmpeg(remux + ["-f", muxer, str(out)], what="make_clip rotation")
    finally:
        tmp.unlink(missing_ok=True)
    return out


def make_audio_only(path: str | os.PathLike, seconds: float = 2.0, *, tone: bool = True) -> Path:
    """Audio without video; the codec follows the suffix (.m4a AAC by default; .mp3 .wav .flac .ogg .opus .aac)."""
    out = _target(path, "audio.m4a")
    suffix = out.suffix.lower() or ".m4a"
    if suffix not in _AUDIO_CODECS:
        raise ValueError(f"unsupported audio suffix {suffix!r}; use one of {sorted(_AUDIO_CODECS)}")
    muxer, aenc = _AUDIO_CODECS[suffix]
    run_ffmpeg(
        ["-f", "lavfi", "-i", _audio_source(seconds, tone), *aenc, "-ac", "1", "-ar", str(AUDIO_RATE),
         "-t", f"{seconds}", "-vn", "-f", muxer, str(out)],
        what="make_audio_only",
    )
    return out


def make_silent_clip(path: str | os.PathLike, seconds: float = 2.0) -> Path:
    """Video with an audio track of digital silence (the 'nothing to caption' case)."""
    return make_clip(_target(path, "silent.mp4"), seconds=seconds, tone=False)


def make_late_vfr_cut(path: str | os.PathLike, seconds: float = 2.0, *, gop: int | None = None) -> Path:
    """`seconds` at 25 fps, a cut, then `seconds` at 10 fps (a variable frame rate), with the video
    starting 0.5 s after the audio: frame times that only real timestamps get right."""
    out = _target(path, "late-vfr.mkv")
    run_ffmpeg(["-itsoffset", "0.5", "-f", "lavfi", "-i",
                f"testsrc2=s=320x180:r=25:d={seconds}[a];"
                f"mandelbrot=s=320x180:r=10,trim=duration={seconds},setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0",
                "-f", "lavfi", "-i", f"sine=f=440:d={2 * seconds + 0.5}", "-fps_mode", "passthrough",
                "-c:v", "libx264", "-preset", "ultrafast", *(["-g", str(gop)] if gop else []),
                "-pix_fmt", "yuv420p", "-c:a", "aac", str(out)], what="fixture")
    return out


def remux(source: str | os.PathLike, path: str | os.PathLike) -> Path:
    """`source`'s streams copied into the container `path`'s suffix names (.ts: MPEG-TS, which has no keyframe
    index, and whose timestamps start where its first packet does)."""
    out = _target(path, "remuxed.ts")
    run_ffmpeg(["-i", str(source), "-map", "0", "-c", "copy", str(out)], what="fixture")
    return out


def delay_audio(source: str | os.PathLike, path: str | os.PathLike, seconds: float) -> Path:
    """`source` remuxed with its audio `seconds` later (less the AAC encoder's priming, which the MP4 edit list takes
    off): an audio stream that starts off the video's 100 ms grid."""
    out = _target(path, "late-audio.mp4")
    run_ffmpeg(["-i", str(source), "-itsoffset", str(seconds), "-i", str(source), "-map", "0:v", "-map", "1:a",
                "-c", "copy", str(out)], what="fixture")
    return out


def make_timecoded_cut(
    path: str | os.PathLike,
    *,
    rate: str = "25",
    shot_frames: tuple[int, int] = (40, 40),
    timecode: str | None = None,
    late_frames: int = 0,
    audio_channels: int = 2,
) -> Path:
    """Two shots (testsrc2, then a mandelbrot zoom) joined by a hard cut after `shot_frames[0]` frames, at `rate`
    (an ffmpeg rate such as "25" or "30000/1001"). `timecode` writes a start timecode (a `tmcd` track in mp4/mov;
    `;` before the frames for drop-frame); `late_frames` starts the video that many frames after the audio (as a
    B-frame delay does without an edit list); audio is a 440 Hz tone with `audio_channels` channels (0: none)."""
    out = _target(path, "timecoded.mov")
    first, second = shot_frames
    fps = Fraction(rate)
    video = (f"testsrc2=s=320x180:r={rate},trim=end_frame={first}[a];"
             f"mandelbrot=s=320x180:r={rate},trim=end_frame={second},setpts=PTS-STARTPTS[b];"
             "[a][b]concat=n=2:v=1:a=0")
    args = ["-itsoffset", f"{float(late_frames / fps):.6f}"] if late_frames else []
    args += ["-f", "lavfi", "-i", video]
    if audio_channels:
        seconds = float((first + second + late_frames) / fps)
        args += ["-f", "lavfi", "-i", f"sine=f={TONE_HZ}:r={AUDIO_RATE}:d={seconds:.6f}",
                 "-c:a", "aac", "-ac", str(audio_channels), "-ar", str(AUDIO_RATE)]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-threads", "1"]
    if timecode:
        args += ["-timecode", timecode]
    run_ffmpeg([*args, str(out)], what="make_timecoded_cut")
    return out


def make_non_media(path: str | os.PathLike) -> Path:
    """A plain text file with a media name."""
    out = _target(path, "not_media.mp4")
    out.write_text("This is not a video.\nIt is a text file pretending to be one.\n" * 20)
    return out


def make_zero_byte(path: str | os.PathLike) -> Path:
    out = _target(path, "empty.mp4")
    out.write_bytes(b"")
    return out


def top_level_boxes(path: str | os.PathLike) -> list[tuple[str, int, int]]:
    """ISO-BMFF top-level boxes as (type, offset, size) — enough to locate ftyp/moov/mdat."""
    data = Path(path).read_bytes()
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        elif size == 0:
            size = len(data) - pos
        if size < 8:
            break
        boxes.append((kind, pos, size))
        pos += size
    return boxes


def make_truncated(path: str | os.PathLike, source_clip: str | os.PathLike, fraction: float = 0.3) -> Path:
    """The first `fraction` of an mp4 whose moov is at the end: an interrupted upload, unreadable.

    The source must not be faststart (make_clip's default), or the cut file would still be playable.
    """
    src = Path(source_clip)
    kinds = [k for k, _, _ in top_level_boxes(src)]
    if "moov" not in kinds or "mdat" not in kinds or kinds.index("moov") < kinds.index("mdat"):
        raise ValueError(f"{src} must be an mp4 with moov after mdat (made without faststart)")
    data = src.read_bytes()
    out = _target(path, "truncated.mp4")
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


def make_corrupt(path: str | os.PathLike, source_clip: str | os.PathLike, *, seed: int = 0) -> Path:
    """A copy of an mp4 with the middle 40% of its media data (mdat payload) overwritten by random bytes.

    ftyp and moov stay intact, so it opens and reports its streams and duration; decoding hits garbage.
    """
    src = Path(source_clip)
    data = bytearray(src.read_bytes())
    mdat = [(off, size) for kind, off, size in top_level_boxes(src) if kind == "mdat"]
    if not mdat:
        raise ValueError(f"{src} has no mdat box")
    off, size = mdat[0]
    start, end = off + 16 + int((size - 16) * 0.3), off + 16 + int((size - 16) * 0.7)
    data[start:end] = random.Random(seed).randbytes(end - start)
    out = _target(path, "corrupt.mp4")
    out.write_bytes(bytes(data))
    return out


def display_size(width: int, height: int, sar: str | Fraction | None = None, rotation: int | None = None) -> tuple[int, int]:
    """What a player shows for a stored frame: SAR stretches the width, ±90° rotation swaps the axes."""
    ratio = Fraction(sar.replace(":", "/")) if isinstance(sar, str) else (sar or Fraction(1))
    w, h = round(width * ratio), height
    return (h, w) if rotation is not None and rotation % 180 == 90 else (w, h)


def make_speech_take(path: str | os.PathLike, placed: list[tuple[str, float]], seconds: float) -> Path:
    """A still picture `seconds` long with real-speech clips (file names in EVAL_SPEECH) starting at the given
    times, in H.264 + AAC: real speech as editors upload it, under video."""
    out = _target(path, "speech take.mp4")
    inputs, labels, graph = [], [], []
    for k, (name, at) in enumerate(placed):
        inputs += ["-i", str(EVAL_SPEECH / name)]
        graph.append(f"[{k + 1}:a]aresample={AUDIO_RATE},adelay={round(at * 1000)}:all=1[s{k}]")
        labels.append(f"[s{k}]")
    graph.append(f"{''.join(labels)}amix=inputs={len(placed)}:normalize=0:duration=longest,apad,"
                 f"atrim=0:{seconds}[a]")
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=0x3050a0:s=320x180:r=25:d={seconds}", *inputs,
                "-filter_complex", ";".join(graph), "-map", "0:v", "-map", "[a]",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k",
                "-t", str(seconds), str(out)])
    return out


# ---- the bad-input matrix's footage (tests/matrix.py): one flexible maker, a few for damaged or forged files ----
VIDEO_CODECS = {  # name -> (encoder args, pixel format)
    "h264": (["-c:v", "libx264", "-preset", "ultrafast"], "yuv420p"),
    "hevc": (["-c:v", "libx265", "-preset", "ultrafast"], "yuv420p"),
    "vp9": (["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"], "yuv420p"),
    "prores": (["-c:v", "prores_ks", "-profile:v", "0"], "yuv422p10le"),
    "dnxhd": (["-c:v", "dnxhd", "-profile:v", "dnxhr_lb"], "yuv422p"),
    "mpeg2": (["-c:v", "mpeg2video", "-b:v", "2M"], "yuv420p"),
    "mjpeg": (["-c:v", "mjpeg", "-q:v", "5"], "yuvj420p"),
}
AUDIO_ENCODERS = {
    "aac": ["-c:a", "aac", "-b:a", "64k"], "opus": ["-c:a", "libopus", "-b:a", "48k"],
    "pcm": ["-c:a", "pcm_s16le"], "mp2": ["-c:a", "mp2", "-b:a", "128k"],
}
_SUBTITLE_CODECS = {".mp4": "mov_text", ".mov": "mov_text", ".mkv": "srt"}
# HDR10 as a grading suite writes it: BT.2020 primaries, PQ transfer, mastering display and content light levels.
HDR10_X265 = ("colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:"
              "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400")


def make_av(
    path: str | os.PathLike,
    *,
    video: str | None = "h264",
    audio: str | None = "aac",
    size: str = "320x180",
    draw_size: str | None = None,
    fps: int = 25,
    seconds: float = 1.0,
    frames: int | None = None,
    pix_fmt: str | None = None,
    interlaced: bool = False,
    hdr: bool = False,
    audio_tracks: tuple[int, ...] = (1,),
    audio_seconds: float | None = None,
    video_delay: float = 0.0,
    subtitles: bool = False,
    subtitle_end: float | None = None,
    data: bool = False,
    timecode: str | None = None,
) -> Path:
    """A testsrc2 clip (drawn at `draw_size` and scaled up, which is cheaper for large frames) in the container the
    suffix names, with `video` and `audio` codecs (VIDEO_CODECS, AUDIO_ENCODERS). `audio_tracks` gives each track's
    channel count (tones at 440, 660, ... Hz, the first `eng`, the others titled); `audio_seconds` shortens the
    sound, `video_delay` starts the picture that late. `interlaced` codes top-field-first fields (from 2 x fps),
    `hdr` HDR10 (HEVC only), `frames` stops after that many; `subtitles` adds a subtitle stream (one cue, ending at
    `subtitle_end` seconds, by default inside the clip), `data` a raw data
    stream (MPEG-TS), `timecode` a start timecode."""
    out = _target(path, "av.mp4")
    suffix = out.suffix.lower()
    args: list[str] = []
    maps: list[str] = []
    if video:
        rate = fps * 2 if interlaced else fps
        chain = f"testsrc2=size={draw_size or size}:rate={rate}" + (f":duration={seconds}" if frames is None else "")
        if draw_size or any(int(side) % 2 for side in size.split("x")):  # testsrc2 rounds odd sizes down to even
            chain += f",scale={size.replace('x', ':')}:flags=neighbor"
        if interlaced:
            chain += ",interlace=scan=tff"
        args += (["-itsoffset", str(video_delay)] if video_delay else []) + ["-f", "lavfi", "-i", chain]
        maps += ["-map", f"{len(maps) // 2}:v"]
    for n, channels in enumerate(audio_tracks if audio else ()):
        layout = {1: "mono", 2: "stereo", 6: "5.1"}[channels]
        tone = (f"sine=frequency={TONE_HZ + 220 * n}:sample_rate={AUDIO_RATE}"
                f":duration={audio_seconds or seconds + video_delay}")
        args += ["-f", "lavfi", "-i", f"{tone},aformat=channel_layouts={layout}"]
        maps += ["-map", f"{len(maps) // 2}:a"]
    side = out.with_name(out.name + ".side")
    if subtitles:
        end = round((seconds * 0.8 if subtitle_end is None else subtitle_end) * 1000)  # ms
        side.write_text(f"1\n00:00:00,000 --> 00:00:{end // 1000:02d},{end % 1000:03d}\nA subtitle no stage reads.\n")
        args += ["-f", "srt", "-i", str(side)]
        maps += ["-map", f"{len(maps) // 2}:s"]
    elif data:
        side.write_bytes(random.Random(0).randbytes(4096))
        args += ["-f", "data", "-i", str(side)]
        maps += ["-map", f"{len(maps) // 2}:d"]
    args += maps
    if video:
        encoder, default_pix_fmt = VIDEO_CODECS[video]
        args += [*encoder, "-pix_fmt", pix_fmt or default_pix_fmt, "-threads", "1"]
        if video == "hevc":
            args += ["-x265-params", "log-level=error" + (f":{HDR10_X265}" if hdr else "")]
            args += ["-tag:v", "hvc1"] if suffix in (".mp4", ".mov") else []
        if hdr:
            args += ["-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc"]
        if interlaced:
            args += ["-flags", "+ildct+ilme"] + (["-x264-params", "tff=1"] if video == "h264" else [])
        if frames is not None:
            args += ["-frames:v", str(frames)]
    if audio:
        args += AUDIO_ENCODERS[audio] + ["-ar", str(AUDIO_RATE)]
        for n in range(1, len(audio_tracks)):
            args += [f"-metadata:s:a:{n}", f"title=Track {n + 1}", f"-metadata:s:a:{n}", "language=fra"]
        args += ["-metadata:s:a:0", "language=eng"]
    if subtitles:
        args += ["-c:s", _SUBTITLE_CODECS.get(suffix, "srt")]
    if data:
        args += ["-c:d", "copy"]
    if timecode:
        args += ["-timecode", timecode]
    try:
        run_ffmpeg([*args, str(out)], what="make_av")
    finally:
        side.unlink(missing_ok=True)
    return out


def make_image(path: str | os.PathLike, size: str = "320x180") -> Path:
    """A PNG still (under whatever name `path` gives it, such as `photo.mp4`)."""
    out = _target(path, "still.png")
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={size}", "-frames:v", "1", "-c:v", "png", "-f", "image2pipe",
                str(out)], what="make_image")
    return out


def make_truncated_index(path: str | os.PathLike, fraction: float = 0.5) -> Path:
    """A web-optimised mp4 (moov first) cut off `fraction` of the way into its moov: the index itself is incomplete."""
    out = _target(path, "cut index.mp4")
    whole = make_clip(out.with_name("whole-" + out.name), seconds=1, faststart=True)
    (offset, size), = [(o, s) for kind, o, s in top_level_boxes(whole) if kind == "moov"]
    out.write_bytes(whole.read_bytes()[: offset + int(size * fraction)])
    whole.unlink()
    return out


def make_long_claim(path: str | os.PathLike, hours: float = 10.0) -> Path:
    """A 1 s Matroska clip whose Segment Info claims `hours` (its Duration element rewritten): ffmpeg reports the
    claim, and nothing in the file contradicts it until one looks for data past the first second."""
    out = make_clip(_target(path, "long claim.mkv"), seconds=1, container="mkv")
    data = bytearray(out.read_bytes())
    at = data.find(b"\x44\x89\x88")  # Duration, an 8-byte float, in the timestamp scale's milliseconds
    if at < 0:
        raise ValueError(f"{out} has no 8-byte Duration element")
    data[at + 3 : at + 11] = struct.pack(">d", hours * 3600 * 1000)
    out.write_bytes(bytes(data))
    return out


def make_frame_size_claim(path: str | os.PathLike, width: int = 16000, height: int = 9000) -> Path:
    """A few 16x16 raw grey frames in AVI whose headers (avih and the stream's BITMAPINFOHEADER) claim
    `width` x `height`: raw video takes its frame size from the container, so the claim is all a reader has."""
    out = _target(path, "huge frame.avi")
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=16x16:rate=25:duration=0.2", "-c:v", "rawvideo",
                "-pix_fmt", "gray", "-f", "avi", str(out)], what="make_frame_size_claim")
    data = bytearray(out.read_bytes())
    avih, strf = data.find(b"avih"), data.find(b"strf")
    data[avih + 40 : avih + 48] = struct.pack("<II", width, height)  # dwWidth, dwHeight
    data[strf + 12 : strf + 20] = struct.pack("<ii", width, height)  # biWidth, biHeight
    out.write_bytes(bytes(data))
    return out
