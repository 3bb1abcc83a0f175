"""How interesting a scene is: five components on 0..1 from its features, a weighted sum and the reasons.

| component | from                                                  | full marks at                          |
|-----------|-------------------------------------------------------|----------------------------------------|
| motion    | mean abs luma change per frame                        | FULL_MOTION (0.05, a fast pan)         |
| faces     | a face seen; bigger faces score more                  | largest face share >= 0.05 (close-up)  |
| loudness  | momentary loudness, LOUDNESS_FLOOR..LOUDNESS_FULL LUFS, less the silent share | -14 LUFS |
| speech    | share of the scene covered by words                   | the whole scene                        |
| visual    | colourfulness and contrast, damped below DARK_BELOW   | M >= 100 and contrast >= 0.25          |
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from functions.core.scenes.models import Scene, SceneFeatures, TimedWord
from functions.core.scenes.tags import CLOSE_UP_SHARE, DIALOGUE_SHARE
from functions.core.trailer.models import SceneScore, ScoreBreakdown, SegmentReason

WEIGHTS: Final = {"motion": 0.30, "faces": 0.20, "loudness": 0.15, "speech": 0.15, "visual": 0.20}

FULL_MOTION: Final = 0.05
LOUDNESS_FLOOR: Final = -40.0
LOUDNESS_FULL: Final = -14.0
FULL_COLOURFULNESS: Final = 100.0
FULL_CONTRAST: Final = 0.25
DARK_BELOW: Final = 0.15

# A component at or above its threshold is named in the reasons.
REASONS: Final = (
    ("motion", 0.6, SegmentReason.HIGH_MOTION),
    ("faces", 0.75, SegmentReason.CLOSE_UP_FACE),
    ("faces", 0.01, SegmentReason.FACES),
    ("speech", DIALOGUE_SHARE, SegmentReason.DIALOGUE),
    ("loudness", 0.8, SegmentReason.LOUD),
    ("visual", 0.75, SegmentReason.COLOURFUL),
)


def score_scene(scene: Scene, words: Sequence[TimedWord] | None = None) -> SceneScore:
    """Score one scene. `words` fills in the speech share when the scene was analysed without a transcript."""
    f = scene.features
    speech = f.speech_share
    if speech is None and words:
        speech = speech_share(words, scene.start, scene.end)
    breakdown = ScoreBreakdown(
        motion=_clip(f.motion / FULL_MOTION),
        faces=_faces(f),
        loudness=_loudness(f),
        speech=_clip(speech or 0.0),
        visual=_visual(f),
    )
    total = sum(WEIGHTS[name] * value for name, value in breakdown.model_dump().items())
    return SceneScore(scene_index=scene.index, start=scene.start, end=scene.end, score=round(_clip(total), 4),
                      breakdown=_rounded(breakdown), reasons=reasons_for(breakdown))


def reasons_for(breakdown: ScoreBreakdown) -> list[SegmentReason]:
    """At most one reason per component: the first entry of REASONS whose threshold it reaches."""
    values = breakdown.model_dump()
    named: dict[str, SegmentReason] = {}
    for component, threshold, reason in REASONS:
        if component not in named and values[component] >= threshold:
            named[component] = reason
    return list(named.values())


def speech_share(words: Sequence[TimedWord], start: float, end: float) -> float:
    """Fraction of [start, end) covered by words (overlapping words counted once)."""
    if end <= start:
        return 0.0
    covered, reach = 0.0, start
    for w in sorted(words, key=lambda w: w.start):
        lo, hi = max(w.start, reach), min(w.end, end)
        if hi > lo:
            covered += hi - lo
            reach = hi
    return _clip(covered / (end - start))


def _faces(f: SceneFeatures) -> float:
    if f.faces.count == 0:
        return 0.0
    return 0.5 + 0.5 * _clip(f.faces.largest_share / CLOSE_UP_SHARE)


def _loudness(f: SceneFeatures) -> float:
    lufs = f.loudness_lufs
    if lufs is None or not math.isfinite(lufs):
        return 0.0
    level = _clip((lufs - LOUDNESS_FLOOR) / (LOUDNESS_FULL - LOUDNESS_FLOOR))
    return level * (1.0 - _clip(f.silence_share or 0.0))


def _visual(f: SceneFeatures) -> float:
    interest = 0.5 * _clip(f.colourfulness / FULL_COLOURFULNESS) + 0.5 * _clip(f.contrast / FULL_CONTRAST)
    return interest * _clip(f.brightness / DARK_BELOW)


def _clip(x: float) -> float:
    return 0.0 if not math.isfinite(x) else min(1.0, max(0.0, x))


def _rounded(b: ScoreBreakdown) -> ScoreBreakdown:
    return ScoreBreakdown(**{k: round(v, 3) for k, v in b.model_dump().items()})
