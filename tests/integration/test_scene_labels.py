"""The `rekognition` label engine on moto: each scene's keyframe goes to DetectLabels, the labels land in
scenes.json and become tags the tag index finds. moto answers DetectLabels with a fixed label
("Mobile Phone"), so these tests check the plumbing end to end, not Rekognition's judgement."""
import json
import time

import pytest
from botocore.exceptions import ClientError

from functions.core.models import JobOptions
from functions.core.repository import Repository
from functions.core.scenes import SceneLabel, label_tag
from functions.core.scenes.labels import LABEL_WORKERS, Pace, label_scenes
from reelflow.local.jobs import download_outputs, expected_job, upload_source, wait_for_job
from tests.fixtures.scenes import scene_clips

pytestmark = pytest.mark.xdist_group("cloud")


def test_rekognition_labels_every_scene_and_feeds_the_tag_index(cloud, media_dir, tmp_path):
    clip = scene_clips.build_clip(scene_clips.TAGGED, media_dir / "labelled shots.mp4")
    options = JobOptions(label_engine="rekognition", stages=["scenes"])
    job_id, asset_id = expected_job(upload_source(cloud, clip.path, key="labels/labelled shots.mp4", options=options))
    outcome = wait_for_job(cloud, job_id, asset_id, timeout=300)

    stage = outcome.job["stages"]["scenes"]
    assert stage["status"] == "SUCCEEDED", stage
    assert stage["details"]["label_engine"] == "rekognition" and "label_error_code" not in stage["details"]
    scenes = json.loads((download_outputs(cloud, asset_id, tmp_path) / "scenes.json").read_text())["scenes"]
    assert len(scenes) == len(scene_clips.TAGGED)
    for scene in scenes:
        assert [label["name"] for label in scene["labels"]] == ["Mobile Phone"]
        assert scene["tags"][-1] == "mobile-phone"  # after the feature tags

    repo = Repository(cloud.table_name)
    found, _ = repo.page(repo.tag_listing("mobile-phone"), limit=100)
    assert all(item["labels"][0]["name"] == "Mobile Phone" for item in found)
    assert sorted(item["index"] for item in found if item["asset_id"] == asset_id) == list(range(1, len(scenes) + 1))


def test_default_engine_adds_no_labels(cloud, clips, tmp_path):
    job_id, asset_id = expected_job(
        upload_source(cloud, clips["plain"], key="labels/plain.mp4", options=JobOptions(stages=["scenes"])))
    outcome = wait_for_job(cloud, job_id, asset_id, timeout=300)
    assert outcome.job["stages"]["scenes"]["status"] == "SUCCEEDED"
    scenes = json.loads((download_outputs(cloud, asset_id, tmp_path) / "scenes.json").read_text())["scenes"]
    assert scenes and all(scene["labels"] == [] for scene in scenes)


class _Refusing:
    name = "rekognition"

    def __init__(self, good_calls: int) -> None:
        self.good_calls = good_calls

    def labels(self, jpeg: bytes) -> list[SceneLabel]:
        if self.good_calls == 0:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "DetectLabels")
        self.good_calls -= 1
        return [SceneLabel(name="Beach Umbrella", confidence=91.0)]


def test_a_failing_engine_keeps_every_scene_and_says_why(sample_scenes):
    labelled = label_scenes(sample_scenes, [b"jpeg"] * len(sample_scenes), _Refusing(good_calls=1))
    assert [s.index for s in labelled.scenes] == [s.index for s in sample_scenes]
    assert labelled.scenes[0].tags[-1] == "beach-umbrella"
    assert labelled.scenes[1:] == list(sample_scenes[1:])
    assert (labelled.error_code, labelled.failed_at) == ("AccessDeniedException", 2) and labelled.error


class _RefusingOne:
    """Answers every keyframe but `refused` (each call holding its thread a moment, so calls overlap)."""

    name = "rekognition"

    def __init__(self, refused: bytes) -> None:
        self.refused = refused

    def labels(self, jpeg: bytes) -> list[SceneLabel]:
        time.sleep(0.002)
        if jpeg == self.refused:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "DetectLabels")
        return [SceneLabel(name="Beach Umbrella", confidence=91.0)]


def test_a_failing_call_among_parallel_calls_keeps_every_scene_and_says_why(sample_scenes):
    scenes = [sample_scenes[0].model_copy(update={"index": i}) for i in range(1, 4 * LABEL_WORKERS + 1)]
    failing = 2 * LABEL_WORKERS  # later calls are already in flight when it fails
    keyframes = [f"jpeg-{s.index}".encode() for s in scenes]
    labelled = label_scenes(scenes, keyframes, _RefusingOne(f"jpeg-{failing}".encode()), per_second=10_000)
    assert [s.index for s in labelled.scenes] == [s.index for s in scenes]
    assert all(s.labels and s.tags[-1] == "beach-umbrella" for s in labelled.scenes[:failing - 1])
    assert labelled.scenes[failing - 1:] == scenes[failing - 1:]
    assert (labelled.error_code, labelled.failed_at) == ("ThrottlingException", failing) and labelled.error


def test_calls_start_no_faster_than_the_pace():
    clock, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    pace = Pace(40.0, clock=lambda: clock[0], sleep=sleep)
    for _ in range(5):
        pace.wait()
    assert slept == pytest.approx([0.025, 0.05, 0.075, 0.1])


def test_the_outcome_names_the_engine_and_why_it_stopped(clips, tmp_path):
    from functions.core.probe import probe_media
    from functions.core.scenes import analyse_scenes

    source = probe_media(str(clips["plain"]))
    outcome = analyse_scenes(clips["plain"], source, tmp_path / "out", labeller=_Refusing(good_calls=0))
    assert outcome.scenes and outcome.skipped is None
    assert (outcome.label_engine, outcome.label_error_code) == ("rekognition", "AccessDeniedException")
    plain = analyse_scenes(clips["plain"], source, tmp_path / "plain")
    assert (plain.label_engine, plain.label_error_code) == (None, None)


@pytest.fixture
def sample_scenes():
    from functions.core.scenes import Scene, SceneFeatures

    features = SceneFeatures(brightness=0.5, contrast=0.2, colourfulness=30, motion=0.01)
    return [Scene(index=i, start=i - 1.0, end=float(i), duration=1.0, start_frame=25 * (i - 1), end_frame=25 * i,
                  start_timecode="00:00:00:00", end_timecode="00:00:01:00", thumbnail=f"thumbs/scene-{i:04d}.jpg",
                  keyframe_time=i - 0.5, features=features, tags=["static"]) for i in (1, 2, 3)]


@pytest.mark.parametrize(("name", "tag"), [("Mobile Phone", "mobile-phone"), ("T-Shirt", "t-shirt"),
                                           ("Person", "person"), ("Café  Table", "cafe-table")])
def test_label_tags_are_lowercase_and_hyphenated(name, tag):
    assert label_tag(name) == tag


def test_every_job_option_label_engine_has_an_engine():
    from typing import get_args

    from functions.core.models import LabelEngineName
    from functions.core.scenes import LABEL_ENGINES

    assert set(get_args(LabelEngineName)) == set(LABEL_ENGINES)
