"""Running the bundled ffmpeg: one place that finds the binary, runs it and turns failures into MediaError,
and the one place that says what ffmpeg and PyAV may open when they read a source."""
from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import imageio_ffmpeg

from functions.core.redaction import redact

ProgressCallback = Callable[[float], None]
_TIME = re.compile(rb"out_time_us=(\d+)")


class MediaError(Exception):
    """The input cannot be processed; the message is shown to users as the reason."""


class IndirectSource(MediaError):
    """Raised at Probe when ffmpeg recognises the upload as a playlist or another format that names other
    files or URLs (HLS, DASH, concat lists, image sequences, SDP, ...). Reading one would fetch whatever
    the uploader chose, so it is refused before its header is parsed."""


class UnsupportedFormat(MediaError):
    """Raised at Probe when ffmpeg recognises the upload as a format outside SOURCE_FORMATS (an image,
    subtitles, a raw elementary stream, a text file): not a media container an editor uploads."""


# Demuxers a source may be read with: the containers cameras, editors and audio tools write. ffmpeg
# matches each name against any of a demuxer's names, so "mov" covers "mov,mp4,m4a,3gp,3g2,mj2" and
# "matroska" covers "matroska,webm".
SOURCE_FORMATS = (
    "mov", "matroska", "mpegts", "mpeg", "avi", "mxf", "gxf", "flv", "asf", "dv",
    "wav", "w64", "aiff", "caf", "mp3", "flac", "ogg", "aac", "ac3", "eac3",
)
# Demuxers that open further inputs named inside the file: refused with their own reason.
INDIRECT_FORMATS = frozenset({
    "hls", "dash", "webm_dash_manifest", "concat", "image2", "sdp", "rtsp", "rtp", "sap", "imf",
})
_NETWORK_PROTOCOLS = {"https": "https,tls,tcp", "http": "http,tcp"}


def source_options(location: str) -> dict[str, str]:
    """ffmpeg's input options that confine an open to `location` itself: the protocols that reach it (the
    local file, or HTTP(S) for a presigned URL; nothing a file could name, such as file: or data: URLs
    from a remote source) and SOURCE_FORMATS. For PyAV (`av.open(location, options=...)`) and
    ffmpeg-python (`ffmpeg.input(location, **...)`); `source_input` gives the command-line form."""
    scheme = urlsplit(location).scheme.lower()
    return {
        "protocol_whitelist": _NETWORK_PROTOCOLS.get(scheme, "file"),
        "format_whitelist": ",".join(SOURCE_FORMATS),
    }


class UnsafeConcatPart(ValueError):
    """Raised by work_concat_input when a part is not an http(s) URL (or there are none): a programming error,
    since the parts are always presigned GETs of the job's own work objects."""


def work_concat_input(urls: Sequence[str], list_file: Path, formats: str) -> list[str]:
    """`-i` for ffmpeg's concat demuxer over presigned GETs of our own work objects (proxy or audio parts), in
    order: ffmpeg streams each part from S3, so no part lands in /tmp.

    Why it is safe to leave concat's safe mode (which refuses any name with a protocol): the list is written here,
    from URLs our own code presigned for keys in the job's work area, which only the pipeline's functions write;
    nothing in it comes from an upload. The whitelists stay as narrow as the job allows: the list file itself
    (file) and the URLs' own scheme (https with tls and tcp in AWS; http locally), and the demuxers `formats`
    (concat and the parts' own container), so no part can make ffmpeg open anything else."""
    schemes = {urlsplit(url).scheme.lower() for url in urls}
    unknown = schemes - set(_NETWORK_PROTOCOLS)
    if unknown or not urls:
        raise UnsafeConcatPart(f"work parts must be presigned http(s) URLs; got schemes {sorted(unknown)} "
                               f"among {len(urls)} parts")
    list_file.write_text("".join("file '" + url.replace("'", "'\\''") + "'\n" for url in urls))
    network = (p for scheme in sorted(schemes) for p in _NETWORK_PROTOCOLS[scheme].split(","))
    protocols = ",".join(dict.fromkeys(["file", *network]))
    return ["-protocol_whitelist", protocols, "-format_whitelist", f"concat,{formats}", "-f", "concat", "-safe", "0",
            "-i", str(list_file)]


def source_input(location: str) -> list[str]:
    """`-i location` for the ffmpeg command line, preceded by `source_options`."""
    return [*flags(source_options(location)), "-i", location]


def flags(options: Mapping[str, object]) -> list[str]:
    """Options as command-line flags: {"f": "null"} -> ["-f", "null"] (what ffmpeg-python makes of keywords)."""
    return [arg for name, value in options.items() for arg in (f"-{name}", str(value))]


Filter = tuple[str, Mapping[str, object]]
"""One filter: its name and options, as ffmpeg-python's `.filter(name, **options)` takes them."""


def filter_chain(filters: Iterable[Filter]) -> str:
    """`filters` as one filter-graph chain, for commands built by hand: "name=key=value:key=value,name=..."."""
    return ",".join(f"{name}=" + ":".join(f"{key}={value}" for key, value in options.items())
                    for name, options in filters)


def with_filters(stream: Any, filters: Iterable[Filter]) -> Any:
    """An ffmpeg-python `stream` through `filters`, in order."""
    for name, options in filters:
        stream = stream.filter(name, **options)
    return stream


@cache
def ffmpeg_exe() -> str:
    """The static ffmpeg shipped by imageio-ffmpeg (the same binary locally and in the Lambda image)."""
    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_command(args: Sequence[str]) -> list[str]:
    """The command line for `args`: quiet but for errors, overwriting outputs, never reading stdin."""
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args]


def run_ffmpeg(
    args: Sequence[str],
    *,
    duration: float | None = None,
    on_progress: ProgressCallback | None = None,
    what: str = "ffmpeg",
) -> None:
    """Run ffmpeg with `args` (without the binary); report progress as a 0..1 fraction of `duration`."""
    progress = ["-progress", "pipe:1", "-nostats"] if on_progress and duration else []
    cmd = ffmpeg_command([*progress, *args])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    if on_progress and duration:
        for line in proc.stdout:
            m = _TIME.match(line)
            if m:
                on_progress(min(1.0, int(m.group(1)) / 1e6 / duration))
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise ffmpeg_failure(what, err, proc.returncode)


def ffmpeg_failure(what: str, stderr: bytes, returncode: int) -> MediaError:
    """The MediaError for a failed ffmpeg run: its last three error lines (URLs without their query
    strings: ffmpeg quotes its input, presigned credentials included), or the exit code."""
    tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
    return MediaError(redact(f"{what} failed: {' | '.join(tail) or f'exit code {returncode}'}"))

