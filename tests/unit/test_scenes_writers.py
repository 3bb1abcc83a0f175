"""Writers: golden EDL and FCPXML, and every export loaded back by OpenTimelineIO (its own JSON, its CMX3600 and
FCPXML adapters), on documents and on generated sources with a tmcd track, drop-frame timecode and a late video."""
from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import cv2
import numpy as np
import opentimelineio as otio
import pytest

from functions.core.probe import probe_media
from functions.core.scenes import analyse_scenes
from functions.core.scenes.models import ColourShare, Faces, Scene, SceneFeatures, ScenesDocument, VideoSummary
from functions.core.scenes.writers import contact_sheet_jpeg, edl_text, fcpxml_text, otio_text, scenes_json_text
from functions.core.timecode import Rate, TimecodeError
from tests import golden, media

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "scenes"


def make_doc(fps: float = 25.0, bounds: tuple[float, ...] = (0.0, 2.0, 3.92, 7.4)) -> ScenesDocument:
    rate = Rate.from_fps(fps, drop_frame=False)
    tags = [["bright", "static", "faces", "close-up"], [], ["dark", "high-motion", "loud"]]
    faces = [Faces(count=1, largest_share=0.07, shot_size="close-up"), Faces(), Faces()]
    scenes = []
    for i, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        first, last = rate.frames(start), rate.frames(end)
        scenes.append(Scene(
            index=i + 1, start=start, end=end, duration=round(end - start, 3), start_frame=first, end_frame=last,
            start_timecode=rate.timecode(first), end_timecode=rate.timecode(last),
            transition_in="start" if i == 0 else ("dissolve" if i % 3 == 2 else "cut"),
            thumbnail=f"thumbs/scene-{i + 1:04d}.jpg", keyframe_time=round((start + end) / 2, 3),
            features=SceneFeatures(brightness=0.5, contrast=0.2, colourfulness=40.0, motion=0.01,
                                   dominant_colours=[ColourShare(name="blue", share=0.5)], faces=faces[i % 3]),
            tags=tags[i % 3],
        ))
    video = VideoSummary(fps=round(float(rate.exact), 3), frames=rate.frames(bounds[-1]), duration=bounds[-1],
                         width=1920, height=1080, media_name="My Holiday (final).mp4")
    return ScenesDocument(video=video, scenes=scenes)


def check_golden(name: str, text: str) -> None:
    assert text == golden.text(GOLDEN / name, text), golden.HOW


def test_edl_matches_golden_and_parses_back():
    doc = make_doc()
    text = edl_text(doc)
    check_golden("golden.edl", text)
    assert text.startswith("TITLE: My Holiday (final).mp4\nFCM: NON-DROP FRAME\n")
    events = re.findall(r"^(\d{3})  (\S+)\s+V\s+C\s+(\S+) (\S+) (\S+) (\S+)$", text, re.M)
    rate = Rate.from_fps(25)
    assert [(int(n), src_in, src_out) for n, _, src_in, src_out, _, _ in events] == [
        (s.index, s.start_timecode, s.end_timecode) for s in doc.scenes]
    # The record side is the programme: from 01:00:00:00, each event as long as its source.
    assert [(rec_in, rec_out) for *_, rec_in, rec_out in events] == [
        (rate.timecode(90000 + rate.count(s.start_timecode)), rate.timecode(90000 + rate.count(s.end_timecode)))
        for s in doc.scenes]
    assert events[1][2] == "00:00:02:00" and events[1][3] == "00:00:03:23"
    assert "* COMMENT: SCENE 3 TAGS: dark, high-motion, loud" in text


def _seconds(value: str) -> float:
    value = value.removesuffix("s")
    num, _, den = value.partition("/")
    return int(num) / int(den or 1)


def test_fcpxml_matches_golden_and_has_a_contiguous_spine():
    doc = make_doc()
    text = fcpxml_text(doc)
    check_golden("golden.fcpxml", text)
    root = ET.fromstring(text.split("\n", 2)[2])  # after the XML declaration and DOCTYPE
    assert root.tag == "fcpxml" and root.get("version") == "1.10"
    fmt = root.find("resources/format")
    assert fmt.get("frameDuration") == "1/25s" and (fmt.get("width"), fmt.get("height")) == ("1920", "1080")
    asset = root.find("resources/asset")
    assert asset.find("media-rep").get("src") == "My%20Holiday%20%28final%29.mp4"
    clips = root.findall("library/event/project/sequence/spine/asset-clip")
    assert [c.get("name") for c in clips] == ["Scene 1", "Scene 2", "Scene 3"]
    sequence = root.find("library/event/project/sequence")
    assert _seconds(sequence.get("tcStart")) == 3600 and sequence.get("tcFormat") == "NDF"
    assert asset.get("hasAudio") is None  # the document's source has no audio
    position = 3600.0
    for clip, scene in zip(clips, doc.scenes, strict=True):
        assert clip.get("ref") == asset.get("id")
        assert _seconds(clip.get("offset")) == pytest.approx(position)
        assert _seconds(clip.get("start")) == pytest.approx(scene.start, abs=0.02)
        position += _seconds(clip.get("duration"))
        keyword = clip.find("keyword")
        assert (keyword.get("value") if keyword is not None else "") == ", ".join(scene.tags)
        marker = _seconds(clip.find("marker").get("start"))
        assert scene.start <= marker < scene.end
    assert position - 3600 == pytest.approx(doc.video.duration)
    assert _seconds(root.find("library/event/project/sequence").get("duration")) == pytest.approx(7.4)


def test_fcpxml_uses_exact_ntsc_frame_durations():
    doc = make_doc(fps=29.97, bounds=(0.0, 1.001, 2.5))
    root = ET.fromstring(fcpxml_text(doc).split("\n", 2)[2])
    assert root.find("resources/format").get("frameDuration") == "1001/30000s"
    for clip in root.iter("asset-clip"):
        for attr in ("offset", "start", "duration"):
            value = clip.get(attr)
            assert value == "0s" or (value.endswith("/30000s") and int(value.split("/")[0]) % 1001 == 0)


def test_otio_loads_with_opentimelineio(tmp_path):
    doc = make_doc()
    path = tmp_path / "scenes.otio"
    path.write_text(otio_text(doc))
    timeline = otio.adapters.read_from_file(str(path))
    (track,) = timeline.tracks
    assert track.kind == otio.schema.TrackKind.Video
    clips = list(track)
    assert [c.name for c in clips] == ["Scene 1", "Scene 2", "Scene 3"]
    assert timeline.duration() == otio.opentime.RationalTime(185, 25)
    assert timeline.global_start_time == otio.opentime.RationalTime(90000, 25)
    for clip, scene in zip(clips, doc.scenes, strict=True):
        assert clip.source_range.start_time.to_seconds() == pytest.approx(scene.start, abs=0.02)
        assert clip.source_range.end_time_exclusive().to_seconds() == pytest.approx(scene.end, abs=0.02)
        assert clip.media_reference.target_url == "My Holiday (final).mp4"
        assert list(clip.metadata["reelflow"]["tags"]) == scene.tags
        (marker,) = clip.markers
        assert clip.source_range.contains(marker.marked_range.start_time)


def test_scenes_json_round_trips():
    doc = make_doc()
    data = json.loads(scenes_json_text(doc))
    assert [(s["start"], s["end"], s["thumbnail"]) for s in data["scenes"]] == [
        (0.0, 2.0, "thumbs/scene-0001.jpg"), (2.0, 3.92, "thumbs/scene-0002.jpg"), (3.92, 7.4, "thumbs/scene-0003.jpg")]
    assert data["scenes"][0]["tags"] == ["bright", "static", "faces", "close-up"]
    assert ScenesDocument.model_validate(data) == doc


def test_contact_sheet_is_a_grid_of_labelled_keyframes():
    doc = make_doc()
    frames = [np.full((180, 320, 3), colour, np.uint8) for colour in ((0, 0, 255), (0, 255, 0), (255, 0, 0))]
    sheet = cv2.imdecode(np.frombuffer(contact_sheet_jpeg(doc.scenes, frames, 16 / 9), np.uint8), cv2.IMREAD_COLOR)
    assert sheet.shape == (6 + 135 + 22 + 6, 6 + 3 * 246, 3)
    tiles = [sheet[60, 6 + 246 * i + 120] for i in range(3)]  # the middle of each tile keeps its colour
    assert [int(np.argmax(t)) for t in tiles] == [2, 1, 0]
    assert sheet[6 + 135 + 4:6 + 135 + 20, 6:200].max() > 200  # the label is drawn under the first tile


@pytest.mark.parametrize(("fps", "drop_frame", "frames", "timecode"), [
    (25, None, 0, "00:00:00:00"), (25, None, 90_061, "01:00:02:11"), (23.976, None, 24 * 61, "00:01:01:00"),
    (29.97, False, 30, "00:00:01:00"), (29.97, None, 1799, "00:00:59;29"), (29.97, None, 1800, "00:01:00;02"),
    (29.97, None, 17_982, "00:10:00;00"), (29.97, None, 107_892, "01:00:00;00"), (59.94, None, 3600, "00:01:00;04"),
    (25, None, 24 * 3600 * 25, "00:00:00:00"),
])
def test_timecodes_count_whole_frames_at_the_nominal_rate(fps, drop_frame, frames, timecode):
    rate = Rate.from_fps(fps, drop_frame)
    assert rate.timecode(frames) == timecode
    assert rate.count(timecode) == frames % (24 * 3600 * 25 if fps == 25 else frames + 1)


@pytest.mark.parametrize("text", ["00:01:00;00", "00:00:00:25", "1:2:3", "00:60:00:00", "01:00:00:00:00"])
def test_texts_that_name_no_frame_are_refused(text):
    with pytest.raises(TimecodeError):
        (Rate.from_fps(29.97) if ";" in text else Rate.from_fps(25)).count(text)


# Generated sources, each with a hard cut at frame 40 (45 at 29.97): a tmcd track at 01:00:00:00 with stereo
# audio; drop-frame 29.97 from 00:00:59;00, so the cut crosses a minute whose first two frame numbers are dropped;
# video one frame after the audio, without a timecode, mono audio.
SOURCES = {
    "tmcd": dict(name="tmcd.mov", timecode="01:00:00:00"),
    "drop_frame": dict(name="df2997.mov", rate="30000/1001", shot_frames=(45, 45), timecode="00:00:59;00"),
    "late": dict(name="late.mp4", late_frames=1, audio_channels=1),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, tuple[ScenesDocument, Path]]:
    root = tmp_path_factory.mktemp("timecoded")
    out = {}
    for key, spec in SOURCES.items():
        spec = dict(spec)
        path = media.make_timecoded_cut(root / spec.pop("name"), **spec)
        analyse_scenes(path, probe_media(str(path)), root / key)
        out[key] = (ScenesDocument.model_validate_json((root / key / "scenes.json").read_text()), root / key)
    return out


@pytest.mark.parametrize("key", list(SOURCES))
def test_golden_exports_of_timecoded_sources(exported, key):
    _, folder = exported[key]
    for suffix in ("edl", "fcpxml"):
        check_golden(f"golden_{key}.{suffix}", (folder / f"scenes.{suffix}").read_text())


def test_the_first_frame_carries_the_source_timecode_and_frames_count_on(exported):
    tmcd, _ = exported["tmcd"]
    assert tmcd.video.start_timecode == "01:00:00:00" and not tmcd.video.drop_frame
    assert [(s.start_frame, s.start_timecode) for s in tmcd.scenes] == [(0, "01:00:00:00"), (40, "01:00:01:15")]
    assert (tmcd.video.audio_channels, tmcd.video.audio_sample_rate) == (2, 48000)
    df, _ = exported["drop_frame"]
    assert df.video.drop_frame and df.video.fps == 29.97
    assert [(s.start_frame, s.start_timecode) for s in df.scenes] == [(0, "00:00:59;00"), (45, "00:01:00;17")]
    assert df.scenes[-1].end_timecode == "00:01:02;02"


def test_a_late_video_start_keeps_frames_and_timecodes_in_step(exported):
    late, _ = exported["late"]
    first, second = late.scenes
    assert first.start == pytest.approx(0.04) and first.start_timecode == "00:00:00:00"
    assert second.start_frame == 40 and second.start_timecode == "00:00:01:15"  # 40 frames at 25 fps
    assert second.start == pytest.approx(1.64)  # presentation time keeps the delay


def _clip_ranges(track) -> list[float]:
    """Each clip's source in and out, in seconds, one after the other."""
    return [t for c in track if isinstance(c, otio.schema.Clip)
            for t in (c.source_range.start_time.to_seconds(), c.source_range.end_time_exclusive().to_seconds())]


@pytest.mark.parametrize("key", list(SOURCES))
def test_opentimelineio_adapters_read_the_same_cuts_back(exported, key):
    doc, folder = exported[key]
    rate = Rate.from_fps(doc.video.fps, doc.video.drop_frame)
    expected = [rate.count(tc) / float(rate.exact) for s in doc.scenes for tc in (s.start_timecode, s.end_timecode)]
    frame = 1 / float(rate.exact)

    edl = otio.adapters.read_from_file(str(folder / "scenes.edl"), adapter_name="cmx_3600", rate=float(rate.exact))
    kinds = {t.name: t for t in edl.tracks}
    assert set(kinds) == ({"V", "A1", "A2"} if doc.video.audio_channels == 2 else {"V", "A1"})
    for track in kinds.values():
        assert _clip_ranges(track) == pytest.approx(expected, abs=frame / 2)
    # The record side starts at 01:00:00:00 (drop-frame keeps to the clock: one hour, within a frame).
    assert -edl.tracks[0].source_range.start_time.to_seconds() == pytest.approx(3600, abs=frame)

    timeline = otio.adapters.read_from_file(str(folder / "scenes.otio"))
    video, *audio = timeline.tracks
    assert _clip_ranges(video) == pytest.approx(expected, abs=frame / 2)
    assert len(audio) == 1 and _clip_ranges(audio[0]) == _clip_ranges(video)
    reference = next(iter(video)).media_reference
    assert reference.available_range.start_time.to_seconds() == pytest.approx(expected[0], abs=frame / 2)

    # The FCPXML adapter counts frames at a whole-number rate (29 for 29.97) and truncates: one frame of slack.
    (fcpx,) = otio.adapters.read_from_file(str(folder / "scenes.fcpxml"), adapter_name="fcpx_xml")
    clips = [c for c in fcpx.tracks[0] if isinstance(c, otio.schema.Clip)]
    assert [c.name for c in clips] == [f"Scene {s.index}" for s in doc.scenes]
    for clip, start, end in zip(clips, expected[::2], expected[1::2], strict=True):
        assert clip.source_range.start_time.to_seconds() == pytest.approx(start, abs=1.5 * frame)
        assert clip.source_range.duration.to_seconds() == pytest.approx(end - start, abs=1.5 * frame)


def test_fcpxml_declares_the_source_audio_and_drop_frame(exported):
    root = ET.fromstring((exported["drop_frame"][1] / "scenes.fcpxml").read_text().split("\n", 2)[2])
    asset = root.find("resources/asset")
    assert (asset.get("hasAudio"), asset.get("audioChannels"), asset.get("audioRate")) == ("1", "2", "48000")
    assert asset.get("start") == "1771770/30000s"  # 00:00:59;00 = 1770 frames of 1001/30000 s
    assert {c.get("tcFormat") for c in root.iter("asset-clip")} == {"DF"}
    edl = (exported["drop_frame"][1] / "scenes.edl").read_text()
    assert "FCM: DROP FRAME" in edl and " AA/V " in edl
    assert " B " in (exported["late"][1] / "scenes.edl").read_text()  # mono: V + A1


def test_more_than_999_events_number_in_six_digits_and_read_back():
    rate = Rate.from_fps(25)
    bounds = tuple(i * 0.4 for i in range(1202))
    doc = make_doc(bounds=bounds)
    text = edl_text(doc)
    numbers = re.findall(r"^(\d+)  AX ", text, re.M)
    assert len(numbers) == 1201 and {len(n) for n in numbers} == {6} and numbers[-1] == "001201"
    timeline = otio.adapters.read_from_string(text, adapter_name="cmx_3600", rate=25)
    clips = list(timeline.tracks[0])
    assert len(clips) == 1201
    assert clips[-1].source_range.start_time == otio.opentime.RationalTime(rate.frames(480.0), 25)


def test_record_start_is_an_option():
    doc = make_doc()
    text = edl_text(doc, record_start="10:00:00:00")
    assert "00:00:00:00 00:00:02:00 10:00:00:00 10:00:02:00" in text
    with pytest.raises(TimecodeError):
        edl_text(doc, record_start="10:00")
