"""Writers: golden EDL and FCPXML, and every export loaded back (OTIO with opentimelineio)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import cv2
import numpy as np
import opentimelineio as otio
import pytest

from functions.core.scenes.models import ColourShare, Faces, Scene, SceneFeatures, ScenesDocument, VideoSummary
from functions.core.timecode import Rate
from functions.core.scenes.writers import contact_sheet_jpeg, edl_text, fcpxml_text, otio_text, scenes_json_text
from tests import golden

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "scenes"


def make_doc(fps: float = 25.0, bounds: tuple[float, ...] = (0.0, 2.0, 3.92, 7.4)) -> ScenesDocument:
    rate = Rate.from_fps(fps)
    tags = [["bright", "static", "faces", "close-up"], [], ["dark", "high-motion", "loud"]]
    faces = [Faces(count=1, largest_share=0.07, shot_size="close-up"), Faces(), Faces()]
    scenes = []
    for i, (start, end) in enumerate(zip(bounds, bounds[1:])):
        first, last = rate.frames(start), rate.frames(end)
        scenes.append(Scene(
            index=i + 1, start=start, end=end, duration=round(end - start, 3), start_frame=first, end_frame=last,
            start_timecode=rate.timecode(first), end_timecode=rate.timecode(last),
            transition_in="start" if i == 0 else ("dissolve" if i == 2 else "cut"),
            thumbnail=f"thumbs/scene-{i + 1:04d}.jpg", keyframe_time=round((start + end) / 2, 3),
            features=SceneFeatures(brightness=0.5, contrast=0.2, colourfulness=40.0, motion=0.01,
                                   dominant_colours=[ColourShare(name="blue", share=0.5)], faces=faces[i]),
            tags=tags[i],
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
        (s.index, rate.timecode(rate.frames(s.start)), rate.timecode(rate.frames(s.end))) for s in doc.scenes]
    assert all(src_in == rec_in and src_out == rec_out for _, _, src_in, src_out, rec_in, rec_out in events)
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
    position = 0.0
    for clip, scene in zip(clips, doc.scenes):
        assert clip.get("ref") == asset.get("id")
        assert _seconds(clip.get("offset")) == pytest.approx(position)
        assert _seconds(clip.get("start")) == pytest.approx(scene.start, abs=0.02)
        position += _seconds(clip.get("duration"))
        keyword = clip.find("keyword")
        assert (keyword.get("value") if keyword is not None else "") == ", ".join(scene.tags)
        marker = _seconds(clip.find("marker").get("start"))
        assert scene.start <= marker < scene.end
    assert position == pytest.approx(doc.video.duration)
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
    for clip, scene in zip(clips, doc.scenes):
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


@pytest.mark.parametrize(("fps", "frames", "timecode"), [
    (25, 0, "00:00:00:00"), (25, 90_061, "01:00:02:11"), (29.97, 30, "00:00:01:00"), (23.976, 24 * 61, "00:01:01:00"),
])
def test_timecodes_count_whole_frames_at_the_nominal_rate(fps, frames, timecode):
    assert Rate.from_fps(fps).timecode(frames) == timecode
