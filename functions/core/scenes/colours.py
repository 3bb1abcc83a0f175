"""Named colours: each bin of the per-frame HSV histogram is given the name of the colour at its centre.

The histogram is the one the shot detector already compares, so naming the dominant colours of a
scene costs one weighted bincount per frame.
"""
from __future__ import annotations

from functools import cache

import numpy as np

HIST_BINS = (16, 4, 4)  # hue, saturation, value
HIST_RANGES = [0, 180, 0, 256, 0, 256]  # OpenCV 8-bit HSV: hue is degrees / 2

PALETTE = (
    "black", "grey", "white", "red", "orange", "brown", "yellow", "green", "cyan", "blue", "purple", "pink",
)
PALETTE_SIZE = len(PALETTE)

# Hue (degrees) where each chromatic name ends, in order around the wheel.
_HUES = ((15, "red"), (45, "orange"), (70, "yellow"), (165, "green"), (195, "cyan"), (255, "blue"),
         (290, "purple"), (340, "pink"), (360, "red"))


def name_of(hue_deg: float, saturation: float, value: float) -> str:
    """Colour name of an HSV colour (saturation and value on 0..1)."""
    if value < 0.25:
        return "black"
    if saturation < 0.25:
        return "white" if value >= 0.75 else "grey"
    hue = next(name for end, name in _HUES if hue_deg % 360 < end)
    if hue in ("orange", "red") and value < 0.5:
        return "brown"
    return hue


@cache
def bin_to_palette() -> np.ndarray:
    """Palette index of each histogram bin, in calcHist's flattening order (hue-major)."""
    nh, ns, nv = HIST_BINS
    out = np.empty(nh * ns * nv, dtype=np.intp)
    for h in range(nh):
        for s in range(ns):
            for v in range(nv):
                name = name_of((h + 0.5) * 360 / nh, (s + 0.5) / ns, (v + 0.5) / nv)
                out[(h * ns + s) * nv + v] = PALETTE.index(name)
    return out


def dominant_colours(palette_shares: np.ndarray, *, top: int = 3, min_share: float = 0.1) -> list[tuple[str, float]]:
    """Up to `top` (name, share) pairs with at least `min_share` of the pixels, largest first."""
    total = float(palette_shares.sum())
    if total <= 0:
        return []
    shares = palette_shares / total
    order = np.argsort(shares)[::-1][:top]
    return [(PALETTE[i], round(float(shares[i]), 3)) for i in order if shares[i] >= min_share]
