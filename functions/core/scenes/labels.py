"""What is in a scene: object and setting labels for its keyframe, by engine, like the caption engines.

- `none` (the default): no labels; everything else about a scene is still measured offline.
- `rekognition`: Amazon Rekognition DetectLabels on the keyframe JPEG (sent as bytes, so nothing
  is staged in S3). One call per scene; at list price about $1 per 1,000 scenes.

Each label also becomes a tag named as editors search for it: lowercase, words joined by `-`
("Mobile Phone" -> `mobile-phone`), so the tag index finds scenes by what they show.
"""
from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from botocore.exceptions import BotoCoreError, ClientError

from functions.core.aws import client
from functions.core.scenes.models import Scene, SceneLabel

DEFAULT_LABEL_ENGINE = "none"
MAX_LABELS = 10
MIN_CONFIDENCE = 75.0
# A 12 h source has about 13,000 scenes, one call each, which one at a time would take an hour of round trips.
# DetectLabels' default quota in us-east-1 is 50 transactions per second per account (AWS General Reference,
# "Amazon Rekognition endpoints and quotas", docs.aws.amazon.com/general/latest/gr/rekognition.html; 5 in most
# other Regions, where the stack's context should lower it): calls start at most LABEL_TPS a second, leaving a
# fifth of the quota to other work in the account, with botocore retrying a throttled call. LABEL_WORKERS calls
# in flight keep that pace at about half a second a call with room for slower answers (the Rekognition client gets
# as many pooled connections: functions.core.aws.client).
LABEL_TPS = 40.0
LABEL_WORKERS = 25


class LabelEngine(Protocol):
    name: str

    def labels(self, jpeg: bytes) -> list[SceneLabel]: ...


class RekognitionLabels:
    name = "rekognition"

    def __init__(self, max_labels: int = MAX_LABELS, min_confidence: float = MIN_CONFIDENCE) -> None:
        self.max_labels = max_labels
        self.min_confidence = min_confidence

    def labels(self, jpeg: bytes) -> list[SceneLabel]:
        answer = client("rekognition", pool=LABEL_WORKERS).detect_labels(
            Image={"Bytes": jpeg}, MaxLabels=self.max_labels, MinConfidence=self.min_confidence
        )
        return [SceneLabel(name=label["Name"], confidence=round(float(label["Confidence"]), 1))
                for label in answer.get("Labels", [])]


LABEL_ENGINES: dict[str, Callable[[], LabelEngine | None]] = {
    "none": lambda: None,
    "rekognition": RekognitionLabels,
}


class UnknownLabelEngine(ValueError):
    pass


def get_label_engine(name: str | None = None) -> LabelEngine | None:
    """The engine called `name` (default `none`, which is no engine)."""
    key = (name or DEFAULT_LABEL_ENGINE).strip().lower()
    if key not in LABEL_ENGINES:
        raise UnknownLabelEngine(f"unknown label engine {name!r}; valid engines: {', '.join(sorted(LABEL_ENGINES))}")
    return LABEL_ENGINES[key]()


def label_tag(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


@dataclass(frozen=True)
class Labelled:
    scenes: list[Scene]
    error: str | None = None  # why labelling stopped; the scenes keep everything else
    error_code: str | None = None  # the engine's code for it (AWS's error code, else the exception's type)
    failed_at: int | None = None  # the index of the scene whose keyframe the engine refused


class Pace:
    """Spaces the starts of calls made from many threads at least 1/`per_second` apart."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._interval, self._clock, self._sleep = 1.0 / per_second, clock, sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Return when the next call may start."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            self._sleep(start - now)


def label_scenes(scenes: Sequence[Scene], keyframes: Sequence[bytes | None], engine: LabelEngine,
                 per_second: float = LABEL_TPS) -> Labelled:
    """Scenes with `labels` and label tags added from their keyframe JPEGs.

    A failing engine (no permission, throttled past botocore's retries, unreachable) stops labelling and says why
    in `error`, rather than losing the shots, features and tags already measured. Calls run LABEL_WORKERS at once,
    starting at most `per_second` a second; after a failure the calls not yet started are cancelled and the answers
    of later scenes are dropped, so the scenes labelled are always the ones before the first failure.
    """
    pace = Pace(per_second)

    def paced(jpeg: bytes) -> list[SceneLabel]:
        pace.wait()
        return engine.labels(jpeg)

    out: list[Scene] = []
    with ThreadPoolExecutor(max_workers=LABEL_WORKERS) as pool:
        futures = [pool.submit(paced, jpeg) if jpeg else None for jpeg in keyframes]
        for i, (scene, future) in enumerate(zip(scenes, futures, strict=True)):
            try:
                labels = future.result() if future else []
            except (ClientError, BotoCoreError) as exc:
                for later in futures[i + 1:]:
                    if later:
                        later.cancel()
                code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None
                return Labelled(out + list(scenes[i:]), f"{engine.name} labels failed at scene {scene.index}: {exc}",
                                error_code=code or type(exc).__name__, failed_at=scene.index)
            tags = [*scene.tags, *(t for t in dict.fromkeys(label_tag(x.name) for x in labels) if t not in scene.tags)]
            out.append(scene.model_copy(update={"labels": labels, "tags": tags}))
    return Labelled(out)
