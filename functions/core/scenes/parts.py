"""Long footage in parts: what one decode pass measured, how parts are planned, stored and joined.

A part's pass also decodes `preroll` frames before its start (the end of the previous part), so its
own first frames get their differences to earlier frames, and the previous part's last frames get
the values that look ahead (the windowed histogram distances, the flash check). Joining parts keeps
each frame once and fills the previous part's look-ahead gaps from the next part's preroll, so the
joined series equals the series of one pass over the whole file.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from functions.core.models import Chunk, SourceInfo, TranscodePlan
from functions.core.scenes.boundaries import DEFAULT_SETTINGS, DetectorSettings, gradual_windows
from functions.core.scenes.decode import LoudnessTrack, Window
from functions.core.scenes.features import PER_FRAME, FrameSeries
from functions.core.scenes.keyframes import Candidate


@dataclass(frozen=True)
class FramePass:
    """What one decode pass over (part of) the media measured."""

    series: FrameSeries
    timestamps: np.ndarray  # seconds from the media's start, one per frame
    loudness: LoudnessTrack | None
    candidates: list[Candidate]  # keyframe candidates; `frame` indexes this pass's frames
    preroll: int = 0  # leading frames that belong to the previous part

    def __len__(self) -> int:
        return len(self.timestamps)

    @property
    def own_frames(self) -> int:
        """The frames that are this part's own (not the previous part's preroll)."""
        return len(self) - self.preroll


VFR_PREROLL_FACTOR = 3  # variable frame rate: stretches of a third of the nominal rate still get their frames


def part_windows(starts: Sequence[float], source: SourceInfo,
                 settings: DetectorSettings = DEFAULT_SETTINGS) -> list[Window]:
    """One window per part start (seconds, ascending), each ending where the next begins.

    The preroll holds the frames the look-ahead values need (twice the widest gradual window, and
    the flash check), at the source's frame rate, plus slack."""
    fps = source.nominal_fps
    frames = 2 * max(gradual_windows(fps, settings)) + 3
    preroll = frames / fps * (VFR_PREROLL_FACTOR if source.vfr or source.fps <= 0 else 1) + 0.5
    bounds = [*starts[1:], None]
    return [Window(start=s, end=e, preroll=preroll if i else 0.0)
            for i, (s, e) in enumerate(zip(starts, bounds, strict=True))]


def chunk_window(plan: TranscodePlan, chunk: Chunk, source: SourceInfo,
                 settings: DetectorSettings = DEFAULT_SETTINGS) -> Window:
    """The window of `chunk`'s part (one part per transcode chunk of `plan`)."""
    return part_windows(plan.starts, source, settings)[plan.position(chunk)]


def join_parts(parts: Sequence[FramePass]) -> FramePass:
    """The parts (in order) as one pass: each frame once, look-ahead gaps filled across the joins."""
    first = parts[0]
    arrays = {name: getattr(first.series, name)[first.preroll:].copy() for name in PER_FRAME}
    wide = {k: v[first.preroll:].copy() for k, v in first.series.wide_hist_distance.items()}
    times = [first.timestamps[first.preroll:]]
    candidates = [replace(c, frame=c.frame - first.preroll) for c in first.candidates if c.frame >= first.preroll]
    loudness = [first.loudness] if first.loudness is not None else []
    count = first.own_frames
    for part in parts[1:]:
        pre = min(part.preroll, count)
        aligned = pre == part.preroll and np.allclose(
            np.concatenate(times)[count - pre:], part.timestamps[:pre], atol=1e-3)
        for name in PER_FRAME:
            own = getattr(part.series, name)
            if aligned and pre:
                _fill_gaps(arrays[name][count - pre:], own[:pre])
            arrays[name] = np.concatenate([arrays[name], own[part.preroll:]])
        for k, values in part.series.wide_hist_distance.items():
            if aligned and pre:
                _fill_gaps(wide[k][count - pre:], values[:pre])
            wide[k] = np.concatenate([wide[k], values[part.preroll:]])
        times.append(part.timestamps[part.preroll:])
        candidates += [replace(c, frame=count + c.frame - part.preroll)
                       for c in part.candidates if c.frame >= part.preroll]
        if part.loudness is not None:
            loudness.append(part.loudness)
        count += part.own_frames
    series = FrameSeries(**{name: arrays[name] for name in PER_FRAME}, wide_hist_distance=wide)
    track = LoudnessTrack(np.concatenate([t.times for t in loudness]),
                          np.concatenate([t.momentary for t in loudness])) if loudness else None
    return FramePass(series, np.concatenate(times), track, candidates)


def _fill_gaps(tail: np.ndarray, from_next: np.ndarray) -> None:
    """Where the previous part could not look ahead (NaN), take the value the next part's preroll measured."""
    gaps = np.isnan(tail)
    tail[gaps] = from_next[gaps]


def to_bytes(frames: FramePass) -> bytes:
    """The pass as one .npz (no pickles), for handing a part from one Lambda to another through S3."""
    s = frames.series
    jpegs = [c.jpeg for c in frames.candidates]
    arrays = {name: getattr(s, name) for name in PER_FRAME}
    arrays |= {f"wide_{k}": v for k, v in s.wide_hist_distance.items()}
    arrays |= {
        "timestamps": frames.timestamps,
        "preroll": np.asarray(frames.preroll),
        "candidate_frames": np.asarray([c.frame for c in frames.candidates], dtype=np.int64),
        "candidate_ends": np.cumsum([len(j) for j in jpegs], dtype=np.int64),
        "candidate_bytes": np.frombuffer(b"".join(jpegs), dtype=np.uint8),
    }
    if frames.loudness is not None:
        arrays |= {"loudness_times": frames.loudness.times, "loudness_momentary": frames.loudness.momentary}
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def from_bytes(data: bytes) -> FramePass:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        wide = {int(name.removeprefix("wide_")): z[name] for name in z.files if name.startswith("wide_")}
        series = FrameSeries(**{name: z[name] for name in PER_FRAME}, wide_hist_distance=wide)
        blob, ends = z["candidate_bytes"].tobytes(), z["candidate_ends"]
        starts = np.concatenate([[0], ends[:-1]]) if len(ends) else ends
        candidates = [Candidate(int(f), blob[a:b]) for f, a, b in zip(z["candidate_frames"], starts, ends, strict=True)]
        loudness = LoudnessTrack(z["loudness_times"], z["loudness_momentary"]) if "loudness_times" in z.files else None
        return FramePass(series, z["timestamps"], loudness, candidates, preroll=int(z["preroll"]))

