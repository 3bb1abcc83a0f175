"""The HLS subtitle rendition: segments that cover the media, cues where they show, a master that offers them."""
from __future__ import annotations

import math

import boto3
import pytest
import webvtt
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from functions.core.captions import Cue, to_webvtt
from functions.core.hls_subtitles import (
    add_subtitle_group,
    parse_webvtt,
    publish_hls_subtitles,
    segment_cues,
    subtitle_rendition,
)
from functions.core.manifest import build_manifest
from functions.core.models import (
    FinalizeInput,
    HlsSubtitlesStatus,
    ProbeResult,
    SourceInfo,
    StageResult,
    StageStatus,
    TranscodePlan,
)
from functions.core.transcode import parse_media_playlist

MPEGTS = 216000
MASTER = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=1241552,AVERAGE-BANDWIDTH=833216,CODECS="avc1.64002a,mp4a.40.2",RESOLUTION=640x360
360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=682816,AVERAGE-BANDWIDTH=484212,CODECS="avc1.64002a,mp4a.40.2",RESOLUTION=426x240
240p/index.m3u8
"""


def cue(start: float, end: float, text: str = "words") -> Cue:
    return Cue(start=start, end=end, lines=[text], words=[])


def seconds(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_segments_cover_the_duration_and_the_last_is_short() -> None:
    rendition = subtitle_rendition([cue(1, 2)], "en", duration=10.5, segment_seconds=4, mpegts=MPEGTS)
    assert [s.duration for s in rendition.segments] == [4, 4, 2.5]
    listed = parse_media_playlist(rendition.playlist)
    assert [s.uri for s in listed] == ["seg_00000.vtt", "seg_00001.vtt", "seg_00002.vtt"]
    assert sum(s.duration for s in listed) == pytest.approx(10.5)
    assert "#EXT-X-TARGETDURATION:4" in rendition.playlist.splitlines()
    assert rendition.playlist.rstrip().endswith("#EXT-X-ENDLIST")


def test_a_cue_across_a_boundary_is_in_both_segments() -> None:
    crossing = cue(3.5, 5.0, "across")
    parts = segment_cues([cue(0.5, 1.5), crossing, cue(9, 10)], duration=12, segment_seconds=4)
    assert [[c.text for c in part] for part in parts] == [["words", "across"], ["across"], ["words"]]


def test_a_cue_ending_on_a_boundary_stays_in_its_segment() -> None:
    assert [len(p) for p in segment_cues([cue(2, 4)], duration=8, segment_seconds=4)] == [1, 0]


def test_every_segment_is_webvtt_with_the_timestamp_map_and_media_times() -> None:
    cues = [cue(0.5, 2.0, "one"), cue(3.5, 6.25, "two & <three>")]
    rendition = subtitle_rendition(cues, "en", duration=8, segment_seconds=4, mpegts=MPEGTS)
    seen = []
    for segment in rendition.segments:
        assert segment.text.splitlines()[:2] == ["WEBVTT", f"X-TIMESTAMP-MAP=MPEGTS:{MPEGTS},LOCAL:00:00:00.000"]
        parsed = webvtt.from_string(segment.text).captions
        seen += [(seconds(c.start), seconds(c.end), c.raw_text) for c in parsed]
    assert seen == [(0.5, 2.0, "one"), (3.5, 6.25, "two &amp; &lt;three&gt;"), (3.5, 6.25, "two &amp; &lt;three&gt;")]


def test_no_speech_gives_header_only_segments_that_still_parse() -> None:
    rendition = subtitle_rendition([], "en", duration=6, segment_seconds=4, mpegts=MPEGTS)
    assert len(rendition.segments) == 2 and rendition.cue_count == 0
    for segment in rendition.segments:
        assert webvtt.from_string(segment.text).captions == []
        assert f"X-TIMESTAMP-MAP=MPEGTS:{MPEGTS}" in segment.text


@given(
    starts=st.lists(st.integers(min_value=0, max_value=6000), max_size=20, unique=True),
    length=st.integers(min_value=100, max_value=7000),
    segment=st.sampled_from([2, 4, 6]),
)
def test_each_cue_is_in_exactly_the_segments_it_overlaps(starts: list[int], length: int, segment: int) -> None:
    cues = [cue(s / 100, (s + length) / 100) for s in sorted(starts)]
    duration = max([c.end for c in cues], default=1.0)
    parts = segment_cues(cues, duration, segment)
    assert len(parts) == max(1, math.ceil(duration / segment))
    for c in cues:
        holding = {i for i, part in enumerate(parts) if c in part}
        overlapped = {i for i in range(len(parts)) if c.start < (i + 1) * segment and c.end > i * segment}
        assert holding == overlapped


def test_our_webvtt_reads_back_into_the_same_document() -> None:
    cues = [Cue(start=0.25, end=1.5, lines=["R&D <3", "-->"], words=[]), cue(2, 3.125, "then")]
    assert to_webvtt(parse_webvtt(to_webvtt(cues))) == to_webvtt(cues)


def test_the_master_lists_the_group_once_and_every_variant_uses_it() -> None:
    once = add_subtitle_group(MASTER, "en", "subs/en/index.m3u8")
    lines = once.splitlines()
    media = [line for line in lines if line.startswith("#EXT-X-MEDIA:")]
    assert media == ['#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=YES,'
                     'AUTOSELECT=YES,URI="subs/en/index.m3u8"']
    variants = [line for line in lines if line.startswith("#EXT-X-STREAM-INF:")]
    assert len(variants) == 2 and all(v.endswith(',SUBTITLES="subs"') for v in variants)
    assert lines.index(media[0]) < lines.index(variants[0])
    original = [line for line in MASTER.splitlines() if line.startswith("#EXT-X-STREAM-INF:")]
    assert [v.removesuffix(',SUBTITLES="subs"') for v in variants] == original  # CODECS and the rest unchanged
    assert add_subtitle_group(once, "en", "subs/en/index.m3u8") == once


def test_a_second_language_joins_the_group_without_a_second_default() -> None:
    both = add_subtitle_group(add_subtitle_group(MASTER, "en", "subs/en/index.m3u8"), "fr", "subs/fr/index.m3u8")
    media = [line for line in both.splitlines() if line.startswith("#EXT-X-MEDIA:")]
    assert [("DEFAULT=YES" in m, 'LANGUAGE="fr"' in m) for m in media] == [(True, False), (False, True)]
    assert both.count('SUBTITLES="subs"') == 2


BUCKET = "out"
PREFIX = "assets/a1"


def finalize_input(captions: StageStatus, vtt: str | None) -> FinalizeInput:
    info = SourceInfo(duration=9.0, container="mov", has_video=True, has_audio=True)
    plan = TranscodePlan(renditions=[], chunks=[], segment_seconds=4)
    outputs = {"captions_vtt": "captions/en.vtt"} if vtt is not None else {}
    return FinalizeInput(
        job_id="j1", asset_id="a1", source={"bucket": "in", "key": "clip.mp4"},
        probe=ProbeResult(source=info, plan=plan),
        stages=[
            StageResult(stage="transcode", status=StageStatus.SUCCEEDED, outputs={"hls_master": "hls/master.m3u8"}),
            StageResult(stage="captions", status=captions, outputs=outputs),
        ],
    )


def publish(run: FinalizeInput, vtt: str | None):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/hls/master.m3u8", Body=MASTER.encode())
    if vtt is not None:
        s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/captions/en.vtt", Body=vtt.encode())
    manifest = publish_hls_subtitles(run, build_manifest(run, "now", 0.1), BUCKET, PREFIX)

    def read(key: str) -> str:
        return s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}")["Body"].read().decode()

    return manifest, read


@mock_aws
def test_finalize_writes_the_rendition_and_the_manifest_says_so() -> None:
    vtt = to_webvtt([cue(1, 5, "hello there")])
    run = finalize_input(StageStatus.SUCCEEDED, vtt)
    manifest, read = publish(run, vtt)
    assert manifest.hls_subtitles.status == HlsSubtitlesStatus.WRITTEN
    assert (manifest.hls_subtitles.cues, manifest.hls_subtitles.segments) == (1, 3)
    assert manifest.outputs["hls_subtitles"] == "hls/subs/en/index.m3u8"
    assert [s.uri for s in parse_media_playlist(read("hls/subs/en/index.m3u8"))] == [
        "seg_00000.vtt", "seg_00001.vtt", "seg_00002.vtt"]
    assert [len(webvtt.from_string(read(f"hls/subs/en/seg_0000{i}.vtt")).captions) for i in range(3)] == [1, 1, 0]
    assert read("hls/master.m3u8") == add_subtitle_group(MASTER, "en", "subs/en/index.m3u8")
    again = publish_hls_subtitles(run, build_manifest(run, "now", 0.1), BUCKET, PREFIX)  # a retried Finalize
    assert again.hls_subtitles == manifest.hls_subtitles
    assert read("hls/master.m3u8").count("#EXT-X-MEDIA:") == 1


@mock_aws
def test_no_speech_is_an_empty_rendition() -> None:
    run = finalize_input(StageStatus.SUCCEEDED, "WEBVTT\n")
    manifest, read = publish(run, "WEBVTT\n")
    assert manifest.hls_subtitles.status == HlsSubtitlesStatus.EMPTY
    assert (manifest.hls_subtitles.cues, manifest.hls_subtitles.segments) == (0, 3)
    assert webvtt.from_string(read("hls/subs/en/seg_00000.vtt")).captions == []
    assert 'SUBTITLES="subs"' in read("hls/master.m3u8")


@pytest.mark.parametrize("status", [StageStatus.FAILED, StageStatus.SKIPPED])
@mock_aws
def test_without_captions_the_master_is_the_transcoders(status: StageStatus) -> None:
    manifest, read = publish(finalize_input(status, None), None)
    assert manifest.hls_subtitles.status == HlsSubtitlesStatus.NONE
    assert manifest.hls_subtitles.reason == f"captions {status.value}"
    assert "hls_subtitles" not in manifest.outputs
    assert read("hls/master.m3u8") == MASTER


@mock_aws
def test_unreadable_captions_leave_the_master_alone() -> None:
    manifest, read = publish(finalize_input(StageStatus.SUCCEEDED, "not a caption file"), "not a caption file")
    assert manifest.hls_subtitles.status == HlsSubtitlesStatus.NONE
    assert read("hls/master.m3u8") == MASTER
