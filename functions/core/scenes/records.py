"""Turning boundaries and per-frame series into Scene records (features, keyframe, faces, sound, tags)."""
from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from functions.core.scenes.audio import scene_loudness, speech_share
from functions.core.scenes.boundaries import Boundary
from functions.core.scenes.colours import dominant_colours
from functions.core.scenes.decode import LoudnessTrack
from functions.core.scenes.faces import detect_faces
from functions.core.scenes.features import FrameSeries
from functions.core.scenes.keyframes import Candidate, KeyframeSampler
from functions.core.scenes.models import ColourShare, Faces, Scene, SceneFeatures, ScenesDocument, TimedWord
from functions.core.scenes.tags import ALL_TAGS, derive_tags, shot_size
from functions.core.timecode import Rate

FACE_FRAMES_PER_SCENE = 3
# A thumbnail must show the shot: not a black frame, not a flat one (a fade's grey, a title card's plain ground),
# not a frame inside a fade (its contrast well below the shot's own).
THUMB_MIN_BRIGHTNESS = 0.1  # mean luma, 0..1
THUMB_MIN_CONTRAST = 0.04  # luma standard deviation, 0..1
THUMB_FADE_CONTRAST = 0.6  # share of the scene's best candidate contrast a frame keeps outside a fade
MOTION_REFERENCE_FPS = 25  # motion is reported per 1/25 s, so the same movement scores alike at any frame rate


@dataclass(frozen=True)
class SceneWithKeyframe:
    scene: Scene
    keyframe: Candidate | None


def thumbnail_path(index: int) -> str:
    return f"thumbs/scene-{index:04d}.jpg"


def build_scenes(
    boundaries: Sequence[Boundary],
    series: FrameSeries,
    timestamps: np.ndarray,
    rate: Rate,
    sampler: KeyframeSampler,
    loudness: LoudnessTrack | None,
    words: Sequence[TimedWord] | None,
    start_timecode: str | None = None,
) -> list[SceneWithKeyframe]:
    """Scene records; timecodes count from `start_timecode` (the source's; zero by default) at the first frame."""
    n = len(series)
    last_step = float(timestamps[-1] - timestamps[-2]) if n > 1 else 0.0
    end_time = float(timestamps[-1]) + (last_step if last_step > 0 else float(rate.frame_duration))
    origin = rate.count(start_timecode) if start_timecode else 0
    # Timeline frames from the first decoded frame: the frame index at a constant rate, and what an editor's
    # timeline shows when frames are missing or the rate varies.
    timeline = np.rint((timestamps - timestamps[0]) * float(rate.exact)).astype(np.int64)
    timeline_end = max(int(timeline[-1]) + 1, round((end_time - float(timestamps[0])) * float(rate.exact)))
    starts = [Boundary(0, "cut", 0.0, (0, 0)), *boundaries]
    picked = [_keyframe(starts, i, n, series, sampler) for i in range(len(starts))]
    # Face detection is most of a scene's time (~20 ms a frame); OpenCV releases the GIL, so the scenes'
    # detections run on every vCPU the function has.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        faces = list(pool.map(lambda p: _faces(*p), picked))
    out = []
    for i, b in enumerate(starts):
        first = b.frame
        nxt = starts[i + 1] if i + 1 < len(starts) else None
        end = nxt.frame if nxt else n
        start_s = float(timestamps[first])
        end_s = float(timestamps[end]) if end < n else end_time
        keyframe = picked[i][1]
        features = _features(series, first, end, faces[i], loudness, words, start_s, end_s,
                             motion_scale=float(rate.exact) / MOTION_REFERENCE_FPS)
        index = i + 1
        start_f = int(timeline[first])
        end_f = int(timeline[end]) if end < n else timeline_end
        scene = Scene(
            index=index, start=round(start_s, 3), end=round(end_s, 3), duration=round(end_s - start_s, 3),
            start_frame=first, end_frame=end,
            start_timecode=rate.timecode(origin + start_f),
            end_timecode=rate.timecode(origin + max(end_f, start_f + 1)),
            transition_in="start" if i == 0 else b.kind,
            thumbnail=thumbnail_path(index),
            keyframe_time=round(float(timestamps[keyframe.frame]), 3) if keyframe else round(start_s, 3),
            features=features, tags=derive_tags(features),
        )
        out.append(SceneWithKeyframe(scene, keyframe))
    return out


def _keyframe(starts: Sequence[Boundary], i: int, n: int, series: FrameSeries,
              sampler: KeyframeSampler) -> tuple[list[Candidate], Candidate | None]:
    """Scene `i`'s candidates (clear of the blends of dissolves at either end, when it has any there) and its
    thumbnail among them."""
    b, nxt = starts[i], starts[i + 1] if i + 1 < len(starts) else None
    first, end = b.frame, nxt.frame if nxt else n
    clean_first = b.span[1] + 1 if b.kind == "dissolve" else first
    clean_end = nxt.span[0] if nxt and nxt.kind == "dissolve" else end
    if clean_end <= clean_first:
        clean_first, clean_end = first, end
    middle = (clean_first + clean_end) / 2
    candidates = sampler.within(clean_first, clean_end) or sampler.within(first, end)
    return candidates, representative(candidates, sampler.within(first, end), series, middle) or sampler.nearest(middle)


def representative(preferred: list[Candidate], scene: list[Candidate], series: FrameSeries,
                   middle: float) -> Candidate | None:
    """The scene's thumbnail: of the candidates that show the shot (bright and contrasted enough, and with at
    least THUMB_FADE_CONTRAST of the scene's best contrast, so not mid-fade), the one nearest `middle`, from
    `preferred` (the scene clear of its transitions) first. Without any, the most contrasted of the brightest;
    None without candidates."""
    if not scene:
        return None
    contrast = {c.frame: float(series.contrast[c.frame]) for c in scene}
    brightness = {c.frame: float(series.brightness[c.frame]) for c in scene}
    best = max(contrast.values())

    def shows_the_shot(c: Candidate) -> bool:
        k, b = contrast[c.frame], brightness[c.frame]  # `preferred` is part of `scene`
        return b >= THUMB_MIN_BRIGHTNESS and k >= THUMB_MIN_CONTRAST and k >= THUMB_FADE_CONTRAST * best

    for pool in (preferred, scene):
        good = [c for c in pool if shows_the_shot(c)]
        if good:
            return min(good, key=lambda c: abs(c.frame - middle))
    return max(scene, key=lambda c: contrast[c.frame] * min(brightness[c.frame], 0.5))


def _features(series: FrameSeries, first: int, end: int, faces: Faces,
              loudness: LoudnessTrack | None, words: Sequence[TimedWord] | None,
              start_s: float, end_s: float, motion_scale: float) -> SceneFeatures:
    span = slice(first, end)
    motion = series.motion[first + 1:end]  # the first frame's change is the cut itself
    loud = silent = None
    if loudness is not None:
        loud, silent = scene_loudness(loudness, start_s, end_s)
    return SceneFeatures(
        brightness=round(float(series.brightness[span].mean()), 3),
        contrast=round(float(series.contrast[span].mean()), 3),
        colourfulness=round(float(series.colourfulness[span].mean()), 1),
        dominant_colours=[ColourShare(name=n, share=s) for n, s in dominant_colours(series.palette[span].sum(axis=0))],
        motion=round(float(motion.mean()) * motion_scale if motion.size else 0.0, 4),
        faces=faces,
        loudness_lufs=loud,
        silence_share=silent,
        speech_share=speech_share(words, start_s, end_s) if words is not None else None,
    )


def _faces(candidates: list[Candidate], keyframe: Candidate | None) -> Faces:
    """Faces on the keyframe; when it has any, confirmed on up to two more frames spread over the scene.

    Haar detection costs ~20 ms a frame, so a scene whose keyframe shows no face costs one call.
    With faces, the median over the sampled frames keeps a false hit on one frame from counting.
    """
    if keyframe is None:
        return Faces()
    hits = [detect_faces(keyframe.image())]
    if hits[0].count:
        others = [c for c in candidates if c.frame != keyframe.frame]
        for j in sorted({round(x) for x in np.linspace(0, len(others) - 1, FACE_FRAMES_PER_SCENE - 1)}):
            if others:
                hits.append(detect_faces(others[j].image()))
    count = int(np.median([h.count for h in hits]))
    share = float(np.median([h.largest_share for h in hits])) if count else 0.0
    return Faces(count=count, largest_share=round(share, 4), shot_size=shot_size(share) if count else None)


def with_speech(doc: ScenesDocument, words: Sequence[TimedWord]) -> ScenesDocument:
    """`doc` with each scene's speech share measured from `words` and its feature tags derived again.

    The pipeline runs scenes beside captions, so the transcript only exists afterwards; tags that
    do not come from features (labels) are kept.
    """
    scenes = []
    for scene in doc.scenes:
        features = scene.features.model_copy(update={"speech_share": speech_share(words, scene.start, scene.end)})
        other = [t for t in scene.tags if t not in ALL_TAGS]
        scenes.append(scene.model_copy(update={"features": features, "tags": derive_tags(features) + other}))
    return doc.model_copy(update={"scenes": scenes})
