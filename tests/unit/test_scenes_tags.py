"""Scene features and tags on shots built to have them, and the tag rules on their own."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from functions.core.probe import probe_media
from functions.core.scenes import analyse_scenes
from functions.core.scenes.audio import speech_share
from functions.core.scenes.colours import dominant_colours, name_of
from functions.core.scenes.models import Faces, SceneFeatures, ScenesDocument, VideoSummary
from functions.core.scenes.records import with_speech
from functions.core.scenes.tags import ALL_TAGS, derive_tags
from tests.fixtures.scenes import scene_clips


@dataclass
class Word:
    start: float
    end: float


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    """face close-up (silent) | black (silent) | busy cellular automaton (loud) | static colour chart (tone)."""
    root = tmp_path_factory.mktemp("scenes-tagged")
    clip = scene_clips.build_clip(scene_clips.TAGGED, root / "tagged.mp4")
    words = [Word(6.2, 6.6), Word(6.7, 7.4), Word(7.5, 7.9)]  # speech over most of the chart shot
    outcome = analyse_scenes(clip.path, probe_media(str(clip.path)), root / "out", words=words)
    assert [s.start_frame for s in outcome.scenes] == [0, 50, 100, 150]
    return {shot.look: scene for shot, scene in zip(scene_clips.TAGGED, outcome.scenes, strict=True)}


def test_a_real_face_close_up(tagged):
    face = tagged["face"]
    assert face.features.faces.count == 1
    assert face.features.faces.shot_size == "close-up"
    assert {"faces", "close-up", "static", "silent"} <= set(face.tags)
    assert "dark" not in face.tags


def test_black_is_dark_static_muted_and_silent(tagged):
    black = tagged["black"]
    assert {"dark", "static", "muted-colours", "silent"} <= set(black.tags)
    assert black.features.dominant_colours[0].name == "black"
    assert black.features.faces.count == 0


def test_busy_motion_and_loud_sound(tagged):
    life = tagged["life"]
    assert {"high-motion", "loud"} <= set(life.tags)
    assert "static" not in life.tags and "silent" not in life.tags
    assert life.features.loudness_lufs == pytest.approx(-9, abs=2)


def test_static_chart_with_a_tone_and_dialogue(tagged):
    chart = tagged["chart"]
    assert {"static", "colourful", "dialogue"} <= set(chart.tags)
    assert not {"loud", "silent", "high-motion"} & set(chart.tags)
    assert chart.features.loudness_lufs == pytest.approx(-20, abs=2)
    assert chart.features.speech_share == pytest.approx(1.5 / 2.0, abs=0.05)
    assert tagged["face"].features.speech_share == 0.0


def test_speech_added_later_tags_dialogue_and_keeps_label_tags(tagged):
    """What the pipeline's SceneSpeech step does once the transcript exists."""
    chart = tagged["chart"].model_copy(update={"tags": [*tagged["chart"].tags, "mobile-phone"]})
    chart = chart.model_copy(update={"tags": [t for t in chart.tags if t != "dialogue"],
                                     "features": chart.features.model_copy(update={"speech_share": None})})
    doc = ScenesDocument(video=VideoSummary(fps=25, frames=200, duration=8, width=320, height=180, media_name="x"),
                         scenes=[tagged["face"], chart])
    later = with_speech(doc, [Word(6.2, 6.6), Word(6.7, 7.4), Word(7.5, 7.9)])
    face, chart = later.scenes
    assert chart.features.speech_share == pytest.approx(0.75, abs=0.05)
    assert "dialogue" in chart.tags and chart.tags[-1] == "mobile-phone"
    assert face.features.speech_share == 0.0 and face.tags == tagged["face"].tags


def test_every_tag_comes_from_the_rule_table(tagged):
    for scene in tagged.values():
        assert set(scene.tags) <= set(ALL_TAGS)


def _features(**overrides) -> SceneFeatures:
    base = dict(brightness=0.5, contrast=0.2, colourfulness=30.0, motion=0.02)
    return SceneFeatures(**(base | overrides))


@pytest.mark.parametrize(("overrides", "expected", "absent"), [
    (dict(brightness=0.1), {"dark"}, {"bright"}),
    (dict(brightness=0.8), {"bright"}, {"dark"}),
    (dict(motion=0.1), {"high-motion"}, {"static"}),
    (dict(motion=0.001), {"static"}, {"high-motion"}),
    (dict(colourfulness=80.0), {"colourful"}, {"muted-colours"}),
    (dict(colourfulness=5.0), {"muted-colours"}, {"colourful"}),
    (dict(faces=Faces(count=2, largest_share=0.01, shot_size="medium")), {"faces", "medium"}, {"close-up"}),
    (dict(faces=Faces(count=1, largest_share=0.06, shot_size="close-up")), {"faces", "close-up"}, {"medium"}),
    (dict(loudness_lufs=-12.0, silence_share=0.0), {"loud"}, {"silent"}),
    (dict(loudness_lufs=-70.0, silence_share=1.0), {"silent"}, {"loud"}),
    (dict(speech_share=0.6), {"dialogue"}, set()),
    (dict(), set(), {"dark", "bright", "high-motion", "static", "faces", "dialogue", "silent", "loud"}),
])
def test_tag_rules(overrides, expected, absent):
    tags = set(derive_tags(_features(**overrides)))
    assert expected <= tags
    assert not absent & tags


def test_speech_share_merges_overlapping_words_and_clips_to_the_scene():
    words = [Word(0.5, 1.5), Word(1.0, 2.0), Word(3.5, 5.0)]
    assert speech_share(words, 0.0, 4.0) == pytest.approx((2.0 - 0.5 + 0.5) / 4.0)
    assert speech_share([], 0.0, 4.0) == 0.0


@pytest.mark.parametrize(("hsv", "name"), [
    ((0, 0.9, 0.9), "red"), ((30, 0.9, 0.9), "orange"), ((30, 0.9, 0.4), "brown"), ((60, 0.9, 0.9), "yellow"),
    ((120, 0.8, 0.8), "green"), ((180, 0.8, 0.8), "cyan"), ((220, 0.8, 0.8), "blue"), ((275, 0.8, 0.8), "purple"),
    ((320, 0.8, 0.8), "pink"), ((0, 0.0, 0.1), "black"), ((0, 0.1, 0.5), "grey"), ((0, 0.1, 0.9), "white"),
])
def test_colour_names(hsv, name):
    assert name_of(*hsv) == name


def test_dominant_colours_are_ranked_and_thresholded():
    from functions.core.scenes.colours import PALETTE
    import numpy as np

    shares = np.zeros(len(PALETTE))
    shares[PALETTE.index("blue")] = 6
    shares[PALETTE.index("white")] = 3
    shares[PALETTE.index("red")] = 0.5
    assert dominant_colours(shares) == [("blue", pytest.approx(0.632, abs=0.001)),
                                        ("white", pytest.approx(0.316, abs=0.001))]


def _face_on_a_frame(scale: float):
    """The fixture's real face photo shrunk by `scale` (its face is 52 px high at 1.0), on a grey 320x180 frame: a
    keyframe at the analysis size."""
    import cv2
    import numpy as np

    face = cv2.resize(cv2.imread(str(scene_clips.FACE_IMAGE)), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.full((180, 320, 3), 90, np.uint8)
    h, w = min(180, face.shape[0]), min(260, face.shape[1])
    frame[:h, 60:60 + w] = face[:h, :w]
    return frame


def test_a_medium_face_is_found_and_a_wide_shots_face_is_below_the_detector():
    from functions.core.scenes.faces import detect_faces
    from functions.core.scenes.tags import shot_size

    medium = detect_faces(_face_on_a_frame(0.7))  # a face about 36 px high: a fifth of the frame
    assert medium.count == 1 and shot_size(medium.largest_share) == "medium"
    # About 21 px high, share 0.0077: the size a wide shot's face would have; the cascade does not find it.
    assert detect_faces(_face_on_a_frame(0.4)).count == 0
