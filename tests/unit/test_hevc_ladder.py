"""A two-chunk source through the chunk encode and PackageHls's join, in each codec, decoded end to end as a player
would: every frame and sample of the source, timestamps that run on across the chunk join without a gap. HEVC's
ladder is fMP4 (Apple's HLS authoring spec carries HEVC in fMP4 only): each chunk's init section, named for the
chunk, mapped before its segments, and the CODECS the master names are those the bitstream signals."""
import pytest

from functions.core.ladder import plan_transcode
from functions.core.models import Chunk, VideoCodec
from functions.core.probe import probe_media
from functions.core.transcode import (
    MPEGTS_CLOCK,
    chunk_prefix,
    encode_chunk,
    join_chunk_playlists,
    join_rung_stats,
    master_playlist,
    media_zero_pts,
    parse_media_playlist,
    rung_stats,
)
from tests import media
from tests.hls import decode_errors, frame_times, hevc_sample_entry

SECONDS, CHUNK_SECONDS, FPS = 8.0, 4.0, 25


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = media.make_clip(tmp_path_factory.mktemp("two-chunks") / "two chunks.mp4", seconds=SECONDS, width=426,
                           height=240, fps=FPS)
    return path, probe_media(str(path))


@pytest.fixture(scope="module", params=list(VideoCodec))
def ladder(request, source, tmp_path_factory):
    """The 240p rung of `source` in two chunks, each encoded as its own EncodeChunk would (into the one folder their
    segments are uploaded to), joined as PackageHls joins them."""
    path, info = source
    plan = plan_transcode(info, [240], CHUNK_SECONDS, request.param)
    out = tmp_path_factory.mktemp(f"ladder-{request.param}")
    stats = [rung_stats(encode_chunk(str(path), info, plan, chunk, out)["240p"]) for chunk in plan.chunks]
    (rung,) = plan.renditions
    folder = out / "hls" / rung.name
    chunk_playlists = [(folder / f"{chunk_prefix(chunk)}.m3u8").read_text() for chunk in plan.chunks]
    (folder / "index.m3u8").write_text(join_chunk_playlists(chunk_playlists))
    master = master_playlist(info, [(rung, join_rung_stats(stats))], plan.video_codec)
    (out / "hls" / "master.m3u8").write_text(master)
    return plan, folder


def test_the_source_is_two_chunks(ladder):
    plan, _ = ladder
    assert [(c.start, c.duration) for c in plan.chunks] == [(0.0, CHUNK_SECONDS), (CHUNK_SECONDS, CHUNK_SECONDS)]


@pytest.mark.parametrize("kind", ["video", "audio"])
def test_the_joined_rung_plays_every_frame_on_one_unbroken_timeline(ladder, source, kind):
    plan, folder = ladder
    playlist = folder / "index.m3u8"
    assert decode_errors(playlist) == ""
    played, original = frame_times(playlist, kind), frame_times(source[0], kind)
    assert len(played) == len(original)
    if kind == "audio":
        assert sum(d for _, d in played) == pytest.approx(sum(d for _, d in original), abs=1e-6)
    gaps = [later[0] - (earlier[0] + earlier[1]) for earlier, later in zip(played, played[1:], strict=False)]
    assert max(map(abs, gaps)) < 1e-3  # no gap, no overlap: at the chunk join too
    # Media time 0 is where subtitles' X-TIMESTAMP-MAP puts it.
    assert played[0][0] == pytest.approx(media_zero_pts(plan.video_codec) / MPEGTS_CLOCK, abs=1e-3)


def test_h264_segments_stay_mpegts_and_hevc_ones_are_fmp4_after_their_own_chunks_init_section(ladder, tmp_path):
    plan, folder = ladder
    text = (folder / "index.m3u8").read_text()
    lines = text.splitlines()
    segments = parse_media_playlist(text)
    assert not any("DISCONTINUITY" in line for line in lines)
    if plan.video_codec == VideoCodec.H264:
        assert [(s.uri, s.init) for s in segments] == [("c0000-00000.ts", None), ("c0001-00000.ts", None)]
        assert "#EXT-X-VERSION:3" in lines
        return
    assert "#EXT-X-VERSION:7" in lines
    assert [(s.uri, s.init) for s in segments] == [("c0000-00000.m4s", "c0000-240p-init.mp4"),
                                                    ("c0001-00000.m4s", "c0001-240p-init.mp4")]
    assert sum(line.startswith("#EXT-X-MAP") for line in lines) == len(plan.chunks)
    # No discontinuity is needed: the chunks' init sections describe the same tracks, byte for byte.
    inits = [(folder / s.init).read_bytes() for s in segments]
    assert inits[0] == inits[1] and inits[0][4:8] == b"ftyp"
    for segment in segments:  # each segment plays from its init alone, starting on a keyframe
        alone = tmp_path / f"{segment.uri}.mp4"
        alone.write_bytes((folder / segment.init).read_bytes() + (folder / segment.uri).read_bytes())
        assert (folder / segment.uri).read_bytes()[4:8] == b"styp" and decode_errors(alone) == ""
        assert len(frame_times(alone, "video")) == CHUNK_SECONDS * FPS


def test_hevc_master_names_the_codecs_the_bitstream_signals(ladder):
    plan, folder = ladder
    master = (folder.parent / "master.m3u8").read_text()
    codecs = master.split('CODECS="')[1].split('"')[0].split(",")
    if plan.video_codec != VideoCodec.HEVC:
        assert codecs[0].startswith("avc1.") and "#EXT-X-VERSION:3" in master.splitlines()
        return
    entry, signalled = hevc_sample_entry(folder / "c0000-240p-init.mp4")
    assert entry == "hvc1"  # parameter sets in the sample entry only, as Apple's players require
    assert codecs == [signalled, "mp4a.40.2"] and signalled.startswith("hvc1.1.6.L")


def test_chunks_of_a_video_that_starts_late_end_where_the_next_begins(tmp_path):
    # ffmpeg's input -t counts from a stream's first frame: a chunk whose video starts 0.5 s after its seek point
    # would run 0.5 s into the next chunk, and the ladder would play those frames twice.
    path = media.make_late_vfr_cut(tmp_path / "late.mkv", seconds=3, gop=12)
    info = probe_media(str(path))
    chunked = plan_transcode(info, [240], CHUNK_SECONDS)
    whole = chunked.model_copy(update={"chunks": [Chunk(index=0, start=0.0, duration=info.duration)]})

    def frames(plan, out):
        for chunk in plan.chunks:
            encode_chunk(str(path), info, plan, chunk, out)
        rung = plan.renditions[0].name
        return sum(len(frame_times(out / "hls" / rung / f"{chunk_prefix(chunk)}.m3u8", "video"))
                   for chunk in plan.chunks)

    assert len(chunked.chunks) == 2
    assert frames(chunked, tmp_path / "chunked") == frames(whole, tmp_path / "whole")
