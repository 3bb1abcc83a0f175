"""Frontal-face detection with OpenCV's Haar cascade, on a few frames per scene (it costs ~20 ms a frame)."""
from __future__ import annotations

from dataclasses import dataclass
import threading

import cv2
import numpy as np

MIN_FACE_FRACTION = 0.1  # smallest face box side, as a fraction of the frame height
SKIP_BELOW_BRIGHTNESS = 0.08  # Haar fires on noise in near-black frames and finds nothing real there


@dataclass(frozen=True)
class FaceHits:
    count: int
    largest_share: float  # largest box area / frame area


_per_thread = threading.local()


def frontal_face_cascade() -> cv2.CascadeClassifier:
    """OpenCV's frontal-face Haar cascade (opencv-python-headless < 5 ships it), loaded once per thread: the
    scenes' detections run on several threads (records.build_scenes), and OpenCV does not promise that one
    classifier object may detect on two at once."""
    cascade = getattr(_per_thread, "cascade", None)
    if cascade is None:
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        if cascade.empty():
            raise RuntimeError("OpenCV's frontal-face Haar cascade is missing")
        _per_thread.cascade = cascade
    return cascade


def detect_faces(frame_bgr: np.ndarray) -> FaceHits:
    gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    if gray.mean() / 255 < SKIP_BELOW_BRIGHTNESS:
        return FaceHits(0, 0.0)
    side = max(16, round(MIN_FACE_FRACTION * h))
    boxes = frontal_face_cascade().detectMultiScale(gray, scaleFactor=1.2, minNeighbors=5, minSize=(side, side))
    if len(boxes) == 0:
        return FaceHits(0, 0.0)
    largest = max(int(bw) * int(bh) for _, _, bw, bh in boxes)
    return FaceHits(len(boxes), largest / (w * h))
