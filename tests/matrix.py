"""The bad-input matrix: every shape of upload the pipeline is held to, each with the outcome an editor expects.

`CASES` is the one list. It drives tests/unit/test_bad_input_matrix.py (every case: Probe's decision and, for
accepted footage, the first chunk's real transcode at a small rung), tests/integration/test_media_variants.py (the
cases with `job` options: whole jobs on the local stack, uploaded together) and the README's "Bad-input matrix"
table, which `readme_table()` renders and a test keeps equal (REELFLOW_REGENERATE_GOLDENS=1 rewrites it).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from functions.core.models import Conversion, JobOptions, JobStatus
from tests import media

README_BEGIN = "<!-- bad-input-matrix: generated from tests/matrix.py -->"
README_END = "<!-- /bad-input-matrix -->"


@dataclass(frozen=True)
class Case:
    """One upload. `make` writes it at the path it is given (named `file`). FAILED cases name the Probe stage's
    `error_code`; accepted ones the transcode's `conversions` and `facts` Probe must find (tests/unit's
    `source_facts` keys). `job` makes it a whole job on the local stack too, with those options (stages left out
    keep it cheap); `stages` then names each stage's expected status where it is not SUCCEEDED."""

    name: str
    file: str
    make: Callable[[Path], Path]
    status: JobStatus
    why: str
    error_code: str | None = None
    conversions: tuple[Conversion, ...] = ()
    facts: dict[str, object] = field(default_factory=dict)
    job: JobOptions | None = None
    stages: dict[str, str] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        if self.status == JobStatus.FAILED:
            return f"FAILED at probe: `{self.error_code}`"
        partial_stages = ", ".join(f"{stage} {status}" for stage, status in self.stages.items())
        return f"{self.status.value}" + (f" ({partial_stages})" if partial_stages else "")


def _av(**kwargs) -> Callable[[Path], Path]:
    """media.make_av, half a second long unless the case says otherwise: every encode and decode is cheaper."""
    return partial(media.make_av, **{"seconds": 0.5, **kwargs})


def _audio(path: Path) -> Path:
    return media.make_audio_only(path, seconds=0.5)


def _from_plain(maker: Callable[..., Path]) -> Callable[[Path], Path]:
    """A damaged copy of a 1 s camera-style mp4 (moov after mdat)."""
    def make(path: Path) -> Path:
        plain = media.make_clip(path.with_name("plain-" + path.name), seconds=1)
        try:
            return maker(path, plain)
        finally:
            plain.unlink()
    return make


DONE = JobStatus.COMPLETED
FAILED = JobStatus.FAILED
TRANSCODE_ONLY = JobOptions(stages=["transcode"])

CASES: tuple[Case, ...] = (
    # Codecs and containers cameras, editors and broadcasters deliver.
    Case("hevc_mp4", "hevc.mp4", _av(video="hevc"), DONE, "HEVC decodes; the ladder is H.264",
         facts={"video_codec": "hevc"}),
    Case("hevc_mkv", "hevc.mkv", _av(video="hevc"), DONE, "Matroska is a source container",
         facts={"video_codec": "hevc"}),
    Case("vp9_opus_webm", "vp9 opus.webm", _av(video="vp9", audio="opus"), DONE, "WebM (Matroska) with VP9 and Opus",
         facts={"video_codec": "vp9", "audio_codec": "opus"}),
    Case("prores_mov", "prores.mov", _av(video="prores", audio="pcm"), DONE, "ProRes 422 Proxy with PCM sound",
         facts={"video_codec": "prores", "pixel_format": "yuv422p10le"}),
    Case("dnxhd_mxf", "dnxhr.mxf", _av(video="dnxhd", audio="pcm"), DONE, "DNxHR LB in OP1a MXF",
         facts={"video_codec": "dnxhd"}),
    Case("mpeg2_ts", "mpeg2.ts", _av(video="mpeg2", audio="mp2"), DONE, "MPEG-2 video and MP2 sound in a transport "
         "stream (which starts at 1.4 s)", facts={"video_codec": "mpeg2video", "audio_codec": "mp2"}),
    Case("mjpeg_avi", "mjpeg.avi", _av(video="mjpeg", audio="pcm"), DONE, "Motion JPEG (full-range YUV) in AVI",
         facts={"video_codec": "mjpeg"}),
    # Picture formats.
    Case("interlaced_1080i", "1080i25.mp4",
         _av(size="1920x1080", draw_size="480x270", seconds=0.2, interlaced=True), DONE,
         "coded as top-field-first fields: deinterlaced (bwdif) before scaling",
         conversions=(Conversion.DEINTERLACED,), facts={"interlaced": True, "height": 1080}),
    Case("h264_10bit_422", "xavc 10-bit 422.mov", _av(pix_fmt="yuv422p10le"), DONE,
         "H.264 High 4:2:2 10-bit: the ladder is 8-bit 4:2:0", facts={"pixel_format": "yuv422p10le"}),
    Case("hdr_pq", "hdr10.mp4", _av(video="hevc", hdr=True, pix_fmt="yuv420p10le"), DONE,
         "HDR10 (PQ, BT.2020, mastering display): tone-mapped to SDR BT.709 (zscale + tonemap hable)",
         conversions=(Conversion.TONE_MAPPED,), facts={"hdr": "PQ", "pixel_format": "yuv420p10le"}),
    # Sound and other streams.
    Case("surround_51", "5.1.mp4", _av(audio_tracks=(6,)), DONE, "5.1 mixed down to stereo for the ladder",
         conversions=(Conversion.DOWNMIXED,), facts={"audio_channels": 6}),
    Case("two_audio_tracks", "two tracks.mp4", _av(audio_tracks=(1, 2)), DONE,
         "the ladder, captions and scenes use the first track; the manifest names both",
         conversions=(Conversion.FIRST_AUDIO_TRACK,), facts={"audio_tracks": 2}),
    Case("subtitle_stream", "subtitled.mkv", _av(subtitles=True), DONE,
         "the subtitle stream is listed in the manifest, not transcoded", facts={"other_streams": ("subtitle",)}),
    Case("timecode_track", "tmcd.mov", _av(timecode="01:00:00:00"), DONE,
         "the tmcd track's start timecode is the manifest's and the scenes'",
         facts={"timecode": "01:00:00:00", "other_streams": ("data",)}),
    Case("data_stream", "klv.ts", _av(data=True), DONE, "a raw data stream (KLV-like) is listed, not read",
         facts={"other_streams": ("data",)}),
    # Sizes and rates.
    Case("tiny_2x2", "2x2.mp4", _av(size="2x2"), DONE, "one 2x2 rung (never upscaled)",
         facts={"width": 2, "height": 2}),
    Case("odd_width", "321x181.mp4", _av(size="321x181", pix_fmt="yuv444p"), DONE,
         "odd coded sizes are rounded to even display sizes", facts={"coded_width": 321, "width": 322}),
    Case("uhd_4320p", "8k.mp4", _av(size="7680x4320", draw_size="480x270", frames=1, audio=None), DONE,
         "8K: the default ladder starts at 2160p (H.264 level 5.1)", facts={"height": 4320}),
    Case("fps_120", "120fps.mp4", _av(fps=120), DONE, "high frame rate: capped to 60 fps (1.5x bit rate)",
         conversions=(Conversion.FRAME_RATE_CAPPED,), facts={"fps": 120.0}),
    Case("single_frame", "one frame.mp4", _av(frames=1, audio=None), DONE, "one 0.04 s frame still makes a ladder",
         facts={"duration": 0.04}),
    # Timing.
    Case("short_audio", "short audio.mp4", _av(seconds=1, audio_seconds=0.1), DONE,
         "0.1 s of sound under 1 s of picture: the ladder's audio just ends"),
    Case("late_video", "late video.mov", _av(seconds=0.5, video_delay=5), DONE,
         "picture starts 5 s after the sound: kept in sync, the first 5 s show the first frame",
         facts={"duration": 5.5}, job=JobOptions()),
    # Audio files.
    Case("mp3", "voice.mp3", _audio, DONE, "audio-only ladder, waveform poster", facts={"has_video": False}),
    Case("wav", "voice.wav", _audio, DONE, "audio-only ladder, waveform poster", facts={"has_video": False}),
    # Not footage, or damaged, or lying.
    Case("png_as_mp4", "photo.mp4", media.make_image, FAILED, "a PNG still named .mp4: ffmpeg reads it as an image",
         error_code="UnsupportedFormat"),
    Case("text_file", "notes.mp4", media.make_non_media, FAILED, "text: no media format at all",
         error_code="UnknownFormat"),
    Case("zero_byte", "empty.mp4", media.make_zero_byte, FAILED, "an empty upload", error_code="EmptySource"),
    Case("mid_file_corruption", "corrupt.mp4", _from_plain(media.make_corrupt), FAILED,
         "the middle 40% of the media data overwritten: a spot check fails to decode", error_code="CorruptMedia"),
    Case("truncated_upload", "truncated.mp4", _from_plain(media.make_truncated), FAILED,
         "an interrupted upload of a camera file: its index (moov, at the end) never arrived",
         error_code="UnknownFormat"),
    Case("truncated_index", "cut index.mp4", media.make_truncated_index, FAILED,
         "a web-optimised file cut inside its index: no frame can be located", error_code="CorruptMedia"),
    Case("absurd_duration", "long claim.mkv", media.make_long_claim, FAILED,
         "1 s of footage whose header claims 10 h: a seek to 2.5 h finds only the first second",
         error_code="ImplausibleDuration"),
    Case("absurd_frame_size", "huge frame.avi", media.make_frame_size_claim, FAILED,
         "a header claiming 16000x9000 frames: refused before anything is decoded", error_code="FrameTooLarge"),
    # Whole jobs on the local stack (tests/integration/test_media_variants.py), combining features. Stages a case
    # does not need are left out (SKIPPED, NOT_REQUESTED): scenes on rotated, anamorphic and VFR footage are
    # tested in tests/unit/test_scenes_edges.py.
    Case("rotated", "rotated.mp4", partial(media.make_clip, seconds=2, rotation=90), DONE,
         "phone footage: the ladder is portrait", facts={"width": 180, "height": 320}, job=TRANSCODE_ONLY),
    Case("anamorphic", "anamorphic.mp4", partial(media.make_clip, seconds=2, sar="4:3"), DONE,
         "SAR 4:3: the ladder is at the display aspect", facts={"width": 426}, job=TRANSCODE_ONLY),
    Case("no_audio", "no audio.mp4", partial(media.make_clip, seconds=2, audio=False), DONE,
         "video-only ladder, an empty subtitle rendition", facts={"has_audio": False}, job=JobOptions()),
    Case("audio_only", "voice memo.m4a", partial(media.make_audio_only, seconds=2), DONE,
         "audio-only ladder; scenes and trailer SKIPPED (`NO_VIDEO`, `NO_SCENES`)", facts={"has_video": False},
         job=JobOptions(), stages={"scenes": "SKIPPED", "trailer": "SKIPPED"}),
    Case("vfr", "vfr.mkv", partial(media.make_clip, seconds=2, vfr=True, container="mkv"), DONE,
         "variable frame rate becomes constant 25 fps", facts={"vfr": True}, job=TRANSCODE_ONLY),
    Case("hevc_surround_tracks_subs", "hevc 5.1 two tracks subs.mkv",
         _av(video="hevc", audio_tracks=(6, 2), subtitles=True), DONE,
         "HEVC in Matroska with 5.1, a stereo second track and subtitles: first track downmixed, both named",
         conversions=(Conversion.DOWNMIXED, Conversion.FIRST_AUDIO_TRACK),
         facts={"audio_tracks": 2, "audio_channels": 6, "other_streams": ("subtitle",)},
         job=JobOptions(stages=["transcode", "captions"])),
    Case("prores_interlaced_timecode", "prores 50i tc.mov",
         _av(video="prores", audio="pcm", interlaced=True, timecode="01:00:00:00"), DONE,
         "interlaced ProRes with a tmcd track: deinterlaced, scenes timed from 01:00:00:00",
         conversions=(Conversion.DEINTERLACED,), facts={"interlaced": True, "timecode": "01:00:00:00"},
         job=JobOptions(stages=["transcode", "scenes"])),
    Case("hdr_pq_10bit_422", "hdr10 422.mp4", _av(video="hevc", hdr=True, pix_fmt="yuv422p10le"), DONE,
         "HEVC Main 4:2:2 10 with PQ: tone-mapped to SDR 8-bit 4:2:0", conversions=(Conversion.TONE_MAPPED,),
         facts={"hdr": "PQ", "pixel_format": "yuv422p10le"}, job=TRANSCODE_ONLY),
)
BY_NAME = {case.name: case for case in CASES}
JOB_CASES = tuple(case for case in CASES if case.job is not None)


def readme_table() -> str:
    """The README's matrix table, between its markers."""
    rows = ["| case | file | expected outcome | why |", "|---|---|---|---|"]
    for case in CASES:
        checked = ""
        if case.job is not None:
            checked = f" (whole job: {', '.join(case.job.stages)})" if case.job.stages else " (whole job)"
        rows.append(f"| `{case.name}` | `{case.file}` | {case.outcome}{checked} | {case.why} |")
    return "\n".join([README_BEGIN, *rows, README_END])
