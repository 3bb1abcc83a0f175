"""Scene parts measured on the transcode chunks' decode (scenes/chunk.py): joined, they equal one pass over the file
at the chunks' decoding quality, and the chunk's encode is the one encode_chunk makes."""
from __future__ import annotations

import pytest

from functions.core.ladder import plan_transcode
from functions.core.models import Chunk, Hdr, SourceInfo
from functions.core.probe import keyframe_seek, probe_media
from functions.core.scenes.analyse import measure_frames
from functions.core.scenes.chunk import encode_and_measure
from functions.core.scenes.parts import from_bytes, join_parts, to_bytes
from functions.core.transcode import chunk_lead, encode_chunk, scenes_on_chunks
from tests import media
from tests.fixtures.scenes import scene_clips
from tests.unit.test_scenes_parts import assert_same_frames, assert_same_loudness_and_scenes

FULL_QUALITY = ()  # the chunk's decoder options: none, as the ladder must see every deblocked frame


def chunked(path, starts):
    source = probe_media(str(path))
    plan = plan_transcode(source, heights=[180])
    ends = [*starts[1:], source.duration]
    return source, plan.model_copy(update={"chunks": [
        Chunk(index=i, start=s, duration=round(e - s, 3)) for i, (s, e) in enumerate(zip(starts, ends, strict=True))]})


def measured_in_chunks(path, starts, out):
    source, plan = chunked(path, starts)
    parts = [encode_and_measure(str(path), source, plan, chunk, out / str(chunk.index)) for chunk in plan.chunks]
    return source, plan, parts


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chunk-scenes")
    clip = scene_clips.build_clip(scene_clips.MIXED, tmp / "mixed.mp4")
    # Chunks are whole HLS segments (ladder.plan_chunks), so they start on loudness's 100 ms grid.
    return (clip, *measured_in_chunks(clip.path, [0.0, 4.0, 12.0], tmp))


def test_chunk_parts_joined_equal_one_pass_and_find_the_same_scenes(mixed, tmp_path):
    clip, source, _, parts = mixed
    whole = measure_frames(clip.path, source, decoder_options=FULL_QUALITY)
    joined = join_parts([from_bytes(to_bytes(frames)) for _, frames in parts])
    assert_same_frames(whole, joined)
    assert_same_loudness_and_scenes(whole, joined, source, tmp_path)


def test_the_chunk_is_encoded_as_encode_chunk_encodes_it(mixed, tmp_path):
    clip, source, plan, parts = mixed
    segments, _ = parts[1]
    alone = encode_chunk(str(clip.path), source, plan, plan.chunks[1], tmp_path)
    assert {rung: [s.duration for s in segs] for rung, segs in segments.items()} == \
        {rung: [s.duration for s in segs] for rung, segs in alone.items()}


def test_chunk_parts_of_footage_whose_audio_starts_off_the_loudness_grid(mixed, tmp_path):
    # The chunks start on the video's 100 ms grid; the audio's blocks (one pass's) fall 16 ms after it.
    late = media.delay_audio(mixed[0].path, tmp_path / "late.mp4", 0.037)
    source, _, parts = measured_in_chunks(late, [0.0, 4.0, 12.0], tmp_path)
    whole = measure_frames(late, source, decoder_options=FULL_QUALITY)
    joined = join_parts([frames for _, frames in parts])
    assert_same_frames(whole, joined)
    assert_same_loudness_and_scenes(whole, joined, source, tmp_path)


def test_chunks_of_a_source_without_a_keyframe_index_start_at_their_start(mixed, tmp_path):
    # ffmpeg seeks MPEG-TS to a packet before the time, and the picture starts at the next keyframe: up to a GOP
    # late (1.6 s for the chunk at 11 s here), which the ladder showed as a frozen picture.
    ts = media.remux(mixed[0].path, tmp_path / "mixed.ts")
    source, plan, parts = measured_in_chunks(ts, [0.0, 3.0, 11.0], tmp_path)
    assert chunk_lead(str(ts), source, plan, plan.chunks[2]) > 0
    # MP4 seeks by its keyframe index: no check needed, and none would move the seek.
    mp4 = mixed[1]
    assert chunk_lead(str(mixed[0].path), mp4, plan, plan.chunks[2]) == 0
    assert keyframe_seek(str(mixed[0].path), 11.0) == 11.0
    assert_same_frames(measure_frames(ts, source, decoder_options=FULL_QUALITY),
                       join_parts([frames for _, frames in parts]))


def test_chunk_parts_of_variable_frame_rate_footage_with_a_late_start(tmp_path):
    clip = media.make_late_vfr_cut(tmp_path / "vfr.mkv", seconds=3, gop=12)
    source, _, parts = measured_in_chunks(clip, [0.0, 2.0, 4.4], tmp_path)
    assert_same_frames(measure_frames(clip, source, decoder_options=FULL_QUALITY),
                       join_parts([frames for _, frames in parts]))


@pytest.mark.parametrize("kind", ["interlaced", "hdr"])
def test_chunk_parts_of_a_picture_the_ladder_converts_read_it_as_decoded(kind, tmp_path):
    """The ladder deinterlaces and tone-maps at full size; the scene branch leaves the decode before that, so the parts
    read what one pass of their own reads (tone-mapped after shrinking, fields averaged by the shrink)."""
    clip = (media.make_av(tmp_path / "50i.mp4", interlaced=True, seconds=2.4) if kind == "interlaced"
            else media.make_av(tmp_path / "hdr10.mp4", video="hevc", hdr=True, seconds=2.4))
    source, plan, parts = measured_in_chunks(clip, [0.0, 1.2], tmp_path)
    assert {"interlaced": source.interlaced, "hdr": source.hdr is not None}[kind]
    assert scenes_on_chunks({"transcode": True, "scenes": True}, source)
    assert_same_frames(measure_frames(clip, source, decoder_options=FULL_QUALITY),
                       join_parts([frames for _, frames in parts]))
    assert [len(segs) for segs in parts[1][0].values()] == [len(segs) for segs in encode_chunk(
        str(clip), source, plan, plan.chunks[1], tmp_path / "alone").values()]


@pytest.mark.parametrize(("change", "stages", "shares"), [
    ({}, ("transcode", "scenes"), True), ({"interlaced": True}, ("transcode", "scenes"), True),
    ({"hdr": Hdr.PQ}, ("transcode", "scenes"), True), ({"has_video": False}, ("transcode", "scenes"), False),
    ({}, ("scenes",), False), ({}, ("transcode",), False)])
def test_scenes_ride_on_the_chunks_whenever_the_job_transcodes_a_picture(change, stages, shares):
    source = SourceInfo(duration=10, container="mp4", has_video=True, has_audio=True, fps=25, width=640, height=360)
    run = {stage: stage in stages for stage in ("transcode", "captions", "scenes", "trailer")}
    assert scenes_on_chunks(run, source.model_copy(update=change)) is shares
