"""Tags derived from scene features, by the thresholds below.

| tag             | rule                                          | the feature's scale                         |
|-----------------|-----------------------------------------------|---------------------------------------------|
| `dark`          | brightness < DARK_BELOW (0.25)                | mean luma, 0 black .. 1 white               |
| `bright`        | brightness > BRIGHT_ABOVE (0.65)              |                                             |
| `high-motion`   | motion > HIGH_MOTION_ABOVE (0.04)             | mean abs luma change per 1/25 s, 0..1       |
| `static`        | motion < STATIC_BELOW (0.008)                 | noise and compression alone give ~0.002     |
| `colourful`     | colourfulness > COLOURFUL_ABOVE (55)          | Hasler-Süsstrunk M; 59-82 "quite colourful" |
| `muted-colours` | colourfulness < MUTED_BELOW (15)              | M < 15 "not colourful"                      |
| `faces`         | a frontal face on the sampled frames          | median over up to 3 frames                  |
| `close-up`      | largest face share >= CLOSE_UP_SHARE (0.05)   | face box / frame area: head and shoulders   |
| `medium`        | a smaller face                                | fill ~0.06-0.14, waist-up ~0.01             |
| `dialogue`      | speech share >= DIALOGUE_SHARE (0.3)          | fraction of the scene covered by words      |
| `silent`        | silence share >= SILENT_SHARE (0.9)           | momentary loudness below -50 LUFS           |
| `loud`          | loudness >= LOUD_LUFS (-16)                   | energy mean of momentary loudness, LUFS     |

With a label engine (labels.py), each keyframe label is a tag as well, e.g. `mobile-phone`.

Shot size comes from faces only: a scene without a detectable face gets no shot-size tag. There is no `wide`:
the Haar cascade, on keyframes at the 320 px analysis size, finds a face from about 34 px high (a fifth of a
180 px frame, share 0.02; on the test's face photo 31 px was missed), so the face of a wide shot (share under
~0.008) is never seen and such a scene has no face at all. Motion is
the per-frame change scaled to 25 fps (x2 at 50 fps), so the same movement scores alike at any
frame rate; sensor noise scales with it, so at 120 fps and above a still shot may miss `static`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Final

from functions.core.scenes.models import SceneFeatures, ShotSize

DARK_BELOW: Final = 0.25
BRIGHT_ABOVE: Final = 0.65
HIGH_MOTION_ABOVE: Final = 0.04
STATIC_BELOW: Final = 0.008
COLOURFUL_ABOVE: Final = 55.0
MUTED_BELOW: Final = 15.0
CLOSE_UP_SHARE: Final = 0.05
DIALOGUE_SHARE: Final = 0.3
SILENT_SHARE: Final = 0.9
LOUD_LUFS: Final = -16.0


def shot_size(largest_face_share: float) -> ShotSize:
    return "close-up" if largest_face_share >= CLOSE_UP_SHARE else "medium"


TAG_RULES: Final[tuple[tuple[str, Callable[[SceneFeatures], bool]], ...]] = (
    ("dark", lambda f: f.brightness < DARK_BELOW),
    ("bright", lambda f: f.brightness > BRIGHT_ABOVE),
    ("high-motion", lambda f: f.motion > HIGH_MOTION_ABOVE),
    ("static", lambda f: f.motion < STATIC_BELOW),
    ("colourful", lambda f: f.colourfulness > COLOURFUL_ABOVE),
    ("muted-colours", lambda f: f.colourfulness < MUTED_BELOW),
    ("faces", lambda f: f.faces.count > 0),
    ("close-up", lambda f: f.faces.shot_size == "close-up"),
    ("medium", lambda f: f.faces.shot_size == "medium"),
    ("dialogue", lambda f: f.speech_share is not None and f.speech_share >= DIALOGUE_SHARE),
    ("silent", lambda f: f.silence_share is not None and f.silence_share >= SILENT_SHARE),
    ("loud", lambda f: f.loudness_lufs is not None and f.loudness_lufs >= LOUD_LUFS),
)

ALL_TAGS: Final = tuple(tag for tag, _ in TAG_RULES)


def derive_tags(features: SceneFeatures) -> list[str]:
    """The tags whose rule holds, in the order of TAG_RULES."""
    return [tag for tag, rule in TAG_RULES if rule(features)]
