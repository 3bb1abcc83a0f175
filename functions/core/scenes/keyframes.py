"""Keyframe candidates: every few frames a JPEG of the analysis-size frame is kept in memory.

Scene boundaries are only known after the whole pass, so the sampler keeps small JPEGs at a
fixed stride; afterwards each scene picks its thumbnail (and the frames it runs face detection
on) from the candidates inside it. A long video widens the stride so memory stays bounded.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import cv2
import numpy as np

from functions.core.models import FALLBACK_FPS

JPEG_QUALITY = 85
MAX_CANDIDATES = 4000  # about 40 MB of JPEGs at 320 px


@dataclass(frozen=True)
class Candidate:
    frame: int
    jpeg: bytes

    def image(self) -> np.ndarray:
        return cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), cv2.IMREAD_COLOR)


def candidate_stride(fps: float, duration: float, every_seconds: float = 0.25) -> int:
    """Frames between candidates: every `every_seconds`, widened so a long video stays under the cap."""
    seconds = max(every_seconds, duration / MAX_CANDIDATES)
    return max(1, round(seconds * (fps or FALLBACK_FPS)))


class KeyframeSampler:
    def __init__(self, stride: int) -> None:
        self.stride = stride
        self.candidates: list[Candidate] = []
        self._seen = 0

    @classmethod
    def of(cls, candidates: list[Candidate]) -> KeyframeSampler:
        """A sampler holding candidates taken earlier (e.g. joined from the parts of long footage)."""
        sampler = cls(stride=1)
        sampler.candidates = list(candidates)
        return sampler

    def push(self, frame_i420: np.ndarray) -> None:
        """One (h * 3 / 2, w) I420 frame, as decode hands it over."""
        index = self._seen
        self._seen += 1
        if index % self.stride == 0:
            bgr = cv2.cvtColor(frame_i420, cv2.COLOR_YUV2BGR_I420)
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if ok:
                self.candidates.append(Candidate(index, buf.tobytes()))

    def within(self, first: int, end: int) -> list[Candidate]:
        """Candidates whose frame is in [first, end): a bisection of the candidates (in frame order), since a long
        source asks once or twice per scene, thousands of times."""
        lo = bisect.bisect_left(self.candidates, first, key=lambda c: c.frame)
        hi = bisect.bisect_left(self.candidates, end, lo=lo, key=lambda c: c.frame)
        return self.candidates[lo:hi]

    def nearest(self, frame: float) -> Candidate | None:
        return min(self.candidates, key=lambda c: abs(c.frame - frame)) if self.candidates else None
