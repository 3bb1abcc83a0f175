"""Per-frame measurements, computed while frames stream in from the decoder.

`FrameAnalyser.push` sees each frame once (as the decoder's I420) and keeps only small per-frame numbers (plus a short
ring buffer of histograms and 16x9 colour layouts), so memory grows by a few hundred bytes per frame whatever
the resolution. `FrameAnalyser.finish` returns the series the shot detector and the scene
features read.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import get_type_hints

import cv2
import numpy as np

from functions.core.scenes.colours import HIST_BINS, HIST_RANGES, PALETTE_SIZE, bin_to_palette

SMALL_SIZE = (160, 90)  # (w, h) frame on which statistics are measured
TINY_SIZE = (80, 45)  # colourfulness needs colour statistics, not detail
LAYOUT_SIZE = (16, 9)  # block-mean grid compared across frames


@dataclass(frozen=True)
class FrameSeries:
    """One value (or row) per decoded frame. Distances are on 0..1.

    - `layout_distance[i]`: mean absolute difference of the 16x9 colour layouts of frames i-1 and i.
    - `hist_distance[i]`: half the L1 distance between the HSV histograms of frames i-1 and i.
    - `wide_hist_distance[k][i]`: histogram distance between frames i-k and i+k, for each k in
      `windows`, NaN near the ends: whether the picture before and after a slow change really differs.
    - `flash_distance[i]`: layout distance between frames i-1 and i+2, to tell a flash from a cut.
    """

    brightness: np.ndarray
    contrast: np.ndarray
    colourfulness: np.ndarray
    motion: np.ndarray
    palette: np.ndarray  # (n, PALETTE_SIZE) share of pixels per named colour
    layout_distance: np.ndarray
    hist_distance: np.ndarray
    wide_hist_distance: dict[int, np.ndarray]
    flash_distance: np.ndarray

    def __len__(self) -> int:
        return len(self.brightness)


# The series with one value (or row) per frame, derived from the fields (as PySceneDetect derives METRIC_KEYS from
# its Components): what parts store, join and load besides the per-window `wide_hist_distance`.
PER_FRAME: tuple[str, ...] = tuple(name for name, kind in get_type_hints(FrameSeries).items() if kind is np.ndarray)


class FrameAnalyser:
    """Streams frames in; `finish()` gives the FrameSeries."""

    def __init__(self, windows: tuple[int, ...]) -> None:
        self.windows = tuple(sorted({max(1, k) for k in windows}))
        self._scalars: list[tuple[float, float, float, float, float, float]] = []
        self._palettes: list[np.ndarray] = []
        self._layouts: deque[np.ndarray] = deque(maxlen=4)
        self._hists: deque[np.ndarray] = deque(maxlen=2 * max(self.windows) + 1)
        self._wide: dict[int, list[float]] = {k: [] for k in self.windows}  # k -> values from frame k on
        self._flash: list[float] = []  # values from frame 1 on
        self._prev_gray: np.ndarray | None = None
        self._prev_hist: np.ndarray | None = None
        self._to_palette = bin_to_palette()
        w, h = SMALL_SIZE
        self._small_i420 = np.empty(w * h * 3 // 2, np.uint8)
        luma, chroma = w * h, (w // 2) * (h // 2)
        self._small_planes = (self._small_i420[:luma].reshape(h, w),
                              self._small_i420[luma:luma + chroma].reshape(h // 2, w // 2),
                              self._small_i420[luma + chroma:].reshape(h // 2, w // 2))

    def push(self, frame_i420: np.ndarray) -> None:
        """One (h * 3 / 2, w) I420 frame, as decode hands it over."""
        # Each plane is shrunk before the colour conversion, which then runs on a quarter of the pixels.
        for plane, small_plane in zip(i420_planes(frame_i420), self._small_planes, strict=True):
            cv2.resize(plane, small_plane.shape[::-1], dst=small_plane, interpolation=cv2.INTER_AREA)
        small = cv2.cvtColor(self._small_i420.reshape(-1, SMALL_SIZE[0]), cv2.COLOR_YUV2BGR_I420)
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        mean, std = cv2.meanStdDev(gray)
        hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
        hist = cv2.calcHist([hsv], [0, 1, 2], None, list(HIST_BINS), HIST_RANGES).ravel()
        hist /= max(1.0, float(hist.sum()))
        tiny = cv2.resize(small, TINY_SIZE, interpolation=cv2.INTER_AREA)
        layout = cv2.resize(tiny, LAYOUT_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)

        if self._prev_gray is None:
            motion = layout_distance = hist_distance = 0.0
        else:
            motion = float(cv2.norm(gray, self._prev_gray, cv2.NORM_L1)) / gray.size / 255
            layout_distance = _distance(layout, self._layouts[-1])
            hist_distance = 0.5 * cv2.norm(hist, self._prev_hist, cv2.NORM_L1)
        self._scalars.append((float(mean[0, 0]) / 255, float(std[0, 0]) / 255, colourfulness(tiny),
                              motion, layout_distance, hist_distance))
        self._palettes.append(np.bincount(self._to_palette, weights=hist, minlength=PALETTE_SIZE))
        self._layouts.append(layout)
        self._hists.append(hist)
        self._prev_gray, self._prev_hist = gray, hist
        self._update_windows()

    def _update_windows(self) -> None:
        n = len(self._scalars)  # frames seen; the newest is n - 1
        buf = self._layouts
        if n >= 4:  # flash check for the frame 2 back: compare its predecessor with the newest
            self._flash.append(_distance(buf[-4], buf[-1]))
        for k in self.windows:
            if n >= 2 * k + 1:
                self._wide[k].append(0.5 * cv2.norm(self._hists[-1 - 2 * k], self._hists[-1], cv2.NORM_L1))

    def finish(self) -> FrameSeries:
        n = len(self._scalars)
        s = np.asarray(self._scalars, dtype=np.float64).reshape(n, 6)
        wide = {}
        for k, values in self._wide.items():
            wide[k] = np.full(n, np.nan)
            wide[k][k:k + len(values)] = values
        flash = np.full(n, np.nan)
        flash[1:1 + len(self._flash)] = self._flash
        palette = np.asarray(self._palettes, dtype=np.float32).reshape(n, PALETTE_SIZE)
        return FrameSeries(
            brightness=s[:, 0], contrast=s[:, 1], colourfulness=s[:, 2], motion=s[:, 3], palette=palette,
            layout_distance=s[:, 4], hist_distance=s[:, 5], wide_hist_distance=wide,
            flash_distance=flash,
        )


def i420_planes(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Y, U and V planes of a (h * 3 / 2, w) I420 frame, as views."""
    w = frame.shape[1]
    h = frame.shape[0] * 2 // 3
    flat = frame.reshape(-1)
    luma, chroma = w * h, (w // 2) * (h // 2)
    return (flat[:luma].reshape(h, w), flat[luma:luma + chroma].reshape(h // 2, w // 2),
            flat[luma + chroma:luma + 2 * chroma].reshape(h // 2, w // 2))


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.norm(a, b, cv2.NORM_L1)) / a.size / 255


# B, G, R -> (rg, yb) opponent channels: rg = R - G, yb = (R + G) / 2 - B.
_OPPONENT = np.array([[0.0, -1.0, 1.0], [-1.0, 0.5, 0.5]], np.float32)


def colourfulness(bgr: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) colourfulness M: 0 for grey, about 100+ for extremely colourful."""
    mean, std = cv2.meanStdDev(cv2.transform(bgr.astype(np.float32), _OPPONENT))
    return float(np.hypot(std[0, 0], std[1, 0]) + 0.3 * np.hypot(mean[0, 0], mean[1, 0]))
