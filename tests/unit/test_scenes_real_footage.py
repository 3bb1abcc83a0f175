"""Scenes on real footage (../shared/eval/footage: film and camera clips joined by cuts, dissolves and fades to and
from black): the scene stage finds the transitions at least as well as both of PySceneDetect's detectors, on its own
(ScenePart's decode) and on the transcode chunks' decode (a job that runs both stages), with a join inside the clips."""
from __future__ import annotations

import pytest
from scenedetect import AdaptiveDetector, ContentDetector, detect

from functions.core.ladder import plan_chunks, plan_transcode
from functions.core.probe import probe_media
from functions.core.scenes import analyse_scenes
from functions.core.scenes.analyse import scenes_from_frames
from functions.core.scenes.chunk import encode_and_measure
from functions.core.scenes.parts import join_parts
from tests.fixtures.scenes import scene_clips
from tests.fixtures.scenes.real_footage import footage_clips

CLIPS = footage_clips()
PER_CLIP_F1 = 0.85  # the stage's worst clip so far: 0.89 (composite_c_fades on its own decode)


def f1(found: dict[str, list[int]]) -> float:
    """F1 over the whole set, each clip's detections matched against its own truth."""
    tp, fp, fn = (sum(x) for x in zip(*(scene_clips.match(c.transitions, found[c.name]) for c in CLIPS), strict=True))
    return scene_clips.f1(tp, fp, fn)


def clip_f1(clip, found: list[int]) -> float:
    return scene_clips.f1(*scene_clips.match(clip.transitions, found))


@pytest.fixture(scope="module")
def best_pyscenedetect() -> float:
    return max(f1({c.name: [start.frame_num for start, _ in detect(str(c.path), factory())[1:]] for c in CLIPS})
               for factory in (AdaptiveDetector, ContentDetector))


def test_the_scene_stage_finds_real_transitions_at_least_as_well_as_pyscenedetect(best_pyscenedetect, tmp_path):
    found = {c.name: [s.start_frame for s in analyse_scenes(c.path, probe_media(str(c.path)), tmp_path / c.name)
                      .scenes[1:]] for c in CLIPS}
    assert f1(found) >= best_pyscenedetect
    assert all(clip_f1(c, found[c.name]) >= PER_CLIP_F1 for c in CLIPS), found


def test_scenes_on_the_transcode_chunks_find_them_too(best_pyscenedetect, tmp_path):
    found = {}
    for clip in CLIPS:
        source = probe_media(str(clip.path))
        # One small rung keeps the encode cheap; 8 s chunks put joins inside every clip.
        plan = plan_transcode(source, heights=[180]).model_copy(update={"chunks": plan_chunks(source.duration, 8)})
        parts = [encode_and_measure(str(clip.path), source, plan, chunk, tmp_path / clip.name / str(chunk.index))[1]
                 for chunk in plan.chunks]
        outcome = scenes_from_frames(join_parts(parts), source, tmp_path / clip.name / "scenes", media_name=clip.name)
        found[clip.name] = [s.start_frame for s in outcome.scenes[1:]]
    assert f1(found) >= best_pyscenedetect
    assert all(clip_f1(c, found[c.name]) >= PER_CLIP_F1 for c in CLIPS), found
