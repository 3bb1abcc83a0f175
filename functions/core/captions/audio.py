"""Speech audio for recognisers: ffmpeg decodes to 16 kHz mono PCM, which is read from a pipe in blocks.

Nothing here holds more than a block of the stream, and `vad.speech_segments` holds at most one
bounded segment, so an hour of audio costs the same memory as a minute.
"""
from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..ffmpeg import ProgressCallback, ffmpeg_exe, ffmpeg_failure, source_input, source_options

SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2  # s16le mono
BLOCK_BYTES = 64 * 1024

# Whisper's chain, chosen on real speech (../shared/eval/speech, `make bench`): spectral denoising against a fixed
# noise floor. Corpus WER 3.9% against 4.5% for plain 16 kHz mono; tracking the noise floor (tn=1) and dynamic
# loudnorm scored 4.2%, and both carry state across the whole stream, so a part that starts later would hear the
# same words differently. pocketsphinx gets no chain at all (see engines/__init__.py).
SPEECH_FILTERS = "afftdn=nr=20:nf=-40"


def pcm_blocks(
    media: Path | str,
    *,
    filters: str | None = SPEECH_FILTERS,
    block_bytes: int = BLOCK_BYTES,
    duration: float | None = None,
    window: tuple[float, float | None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> Iterator[bytes]:
    """Yield the first audio stream of `media` as 16 kHz mono s16le, `block_bytes` at a time.

    `window` = (start, end) seconds reads only that stretch (end None: to the end); the stream then starts at
    `start`. ffmpeg seeks the input first (range requests on a URL), then trims to the exact sample.
    Raises MediaError if ffmpeg fails. Closing the generator early stops ffmpeg.
    """
    seek: list[str] = []
    if window is not None:
        start, end = window
        # No seek at all from 0: a seek, even to 0, changes how the codec's priming is trimmed, and that is
        # enough for a recogniser to hear some words differently from a plain read of the file.
        seek = (["-ss", f"{start:.3f}"] if start > 0 else []) + (["-t", f"{end - start:.3f}"] if end is not None else [])
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *seek, *source_input(str(media)),
            "-map", "0:a:0", "-vn", "-sn", "-dn"]
    if filters:
        args += ["-af", filters]
    args += ["-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "pipe:1"]
    # stderr goes to a file: a pipe nobody reads could fill up and stall ffmpeg.
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        done, finished = 0, False
        try:
            while block := proc.stdout.read(block_bytes):
                done += len(block)
                yield block
                if on_progress and duration:
                    on_progress(min(1.0, done / BYTES_PER_SECOND / duration))
            finished = True
        finally:
            if not finished:
                proc.kill()  # the consumer stopped early
            proc.stdout.close()
            code = proc.wait()
        if code != 0:
            err.seek(0)
            raise ffmpeg_failure("audio extraction", err.read(), code)

def media_duration(media: Path | str) -> float | None:
    """Container duration in seconds, or None if unknown (used only for progress)."""
    import av

    try:
        with av.open(str(media), options=source_options(str(media))) as container:
            return container.duration / 1_000_000 if container.duration else None
    except (av.error.FFmpegError, OSError):
        return None


def has_audio_stream(media: Path | str) -> bool | None:
    """Whether `media` has an audio stream; None if it cannot be opened (ffmpeg will say why)."""
    import av

    try:
        with av.open(str(media), options=source_options(str(media))) as container:
            return bool(container.streams.audio)
    except (av.error.FFmpegError, OSError):
        return None
