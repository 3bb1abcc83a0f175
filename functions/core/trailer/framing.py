"""Where the 9:16 crop of each segment goes: on the faces, else on the motion, else the centre.

A few small greyscale frames per segment are decoded with PyAV. Faces come from OpenCV's Haar cascade on up to
FACE_FRAMES of them; motion from the differences between consecutive samples. The crop centre is one value per
segment (a static crop, so nothing jitters): the median of the per-frame face centres, or the position where a
crop-wide window holds the most motion energy.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from functions.core.ffmpeg import MediaError, source_options
from functions.core.redaction import redact
from functions.core.scenes.faces import (
    MIN_FACE_FRACTION,
    SKIP_BELOW_BRIGHTNESS,
    frontal_face_cascade,
)
from functions.core.trailer.models import Framing, TrailerSegment

SAMPLE_STEP = 0.2  # seconds between the frames sampled in a segment
SAMPLE_WIDTH = 320
FACE_FRAMES = 5
FACE_SCALE_STEP = 1.1  # finer than the scenes stage's 1.2, which misses small faces at some positions
MOTION_NOISE = 6  # grey levels: frame differences below this are noise or compression
MOTION_GAIN = 1.15  # off-centre only when the best crop holds this much more motion than the centred one


@dataclass(frozen=True)
class CropCentre:
    centre: float  # fraction of the display width
    framing: Framing


def frame_segments(media: Path | str, segments: Sequence[TrailerSegment], crop_fraction: float, *,
                   faces_seen: Sequence[bool] | None = None) -> list[CropCentre]:
    """One crop centre per segment. `crop_fraction` is the crop's width as a fraction of the frame width.

    `faces_seen[i]` False skips face detection for segment i (the scenes stage already looked and found none).
    """
    out = []
    try:
        with av.open(str(media), options=source_options(str(media))) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            stream.codec_context.skip_frame = "NONREF"  # samples are 0.2 s apart: skipping B-frames loses nothing
            for i, seg in enumerate(segments):
                frames = _sample(container, stream, seg.source_start, seg.source_end)
                look = faces_seen is None or (i < len(faces_seen) and faces_seen[i])
                out.append(crop_centre(frames, crop_fraction, look_for_faces=look))
    except (av.error.FFmpegError, IndexError) as exc:
        raise MediaError(redact(f"could not read frames for the vertical crop: {exc}")) from None
    return out


def crop_centre(frames: Sequence[np.ndarray], crop_fraction: float, *, look_for_faces: bool = True) -> CropCentre:
    """Crop centre for greyscale frames of one segment."""
    if not frames:
        return CropCentre(0.5, "centre")
    faces = face_centre(frames) if look_for_faces else None
    if faces is not None:
        return CropCentre(faces, "faces")
    motion = motion_centre(frames, crop_fraction)
    if motion is not None:
        return CropCentre(motion, "motion")
    return CropCentre(0.5, "centre")


def face_centre(frames: Sequence[np.ndarray]) -> float | None:
    """Median over frames of the area-weighted centre of the faces found; None when no frame has a face."""
    step = max(1, len(frames) // FACE_FRAMES)
    centres = []
    for gray in frames[::step][:FACE_FRAMES]:
        h, w = gray.shape
        if gray.mean() / 255 < SKIP_BELOW_BRIGHTNESS:
            continue
        side = max(16, round(MIN_FACE_FRACTION * h))
        boxes = frontal_face_cascade().detectMultiScale(gray, scaleFactor=FACE_SCALE_STEP, minNeighbors=5, minSize=(side, side))
        if len(boxes):
            areas = np.array([bw * bh for _, _, bw, bh in boxes], dtype=float)
            xs = np.array([x + bw / 2 for x, _, bw, _ in boxes], dtype=float)
            centres.append(float((xs * areas).sum() / areas.sum() / w))
    return float(np.median(centres)) if centres else None


def motion_centre(frames: Sequence[np.ndarray], crop_fraction: float) -> float | None:
    """Centre of the crop-wide window with the most frame-difference energy; None when motion is even or absent."""
    if len(frames) < 2:
        return None
    width = frames[0].shape[1]
    energy = np.zeros(width)
    for prev, cur in zip(frames, frames[1:], strict=False):
        diff = np.abs(cur.astype(np.int16) - prev.astype(np.int16))
        energy += np.where(diff > MOTION_NOISE, diff, 0).sum(axis=0)
    if energy.sum() <= 0:
        return None
    window = max(1, round(crop_fraction * width))
    held = np.convolve(energy, np.ones(window), mode="valid")  # held[i]: energy in columns i .. i + window
    best = int(np.argmax(held))
    centred = held[(width - window) // 2]
    if held[best] <= MOTION_GAIN * centred:
        return None
    return (best + window / 2) / width


def _sample(container: av.container.InputContainer, stream: av.video.stream.VideoStream, start: float,
            end: float) -> list[np.ndarray]:
    """Greyscale frames every SAMPLE_STEP seconds of [start, end) (seconds from the first frame), upright."""
    origin = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    container.seek(int((origin + start) / stream.time_base), stream=stream, backward=True, any_frame=False)
    frames, due = [], start
    for frame in container.decode(stream):
        if frame.time is None or frame.time - origin < due:
            continue
        if frame.time - origin >= end:
            break
        height = max(2, round(SAMPLE_WIDTH * frame.height / frame.width / 2) * 2)
        gray = frame.to_ndarray(format="gray", width=SAMPLE_WIDTH, height=height)
        # PyAV leaves the display matrix to us; its rotation is counter-clockwise, as np.rot90 turns.
        frames.append(np.ascontiguousarray(np.rot90(gray, k=frame.rotation // 90 % 4)))
        due = frame.time - origin + SAMPLE_STEP
    return frames

