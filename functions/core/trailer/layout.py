"""Output geometry: the 16:9 and 9:16 frame sizes, the frame rate, and where the vertical crop sits."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from functions.core.models import Conversion, SourceInfo
from functions.core.transcode import source_conversions

MAX_HEIGHT = 720  # of the 16:9 output; the 9:16 output is as wide as this is tall
MAX_FPS = 30
DEFAULT_FPS = 25
_NTSC = (Fraction(24000, 1001), Fraction(30000, 1001), Fraction(60000, 1001))


@dataclass(frozen=True)
class Layout:
    """Both outputs are exact 16:9 / 9:16 with even sides: (16u x 9u) and (9u x 16u) for an even u."""

    unit: int
    fps: Fraction
    source_width: int  # display size, square pixels
    source_height: int
    conversions: tuple[Conversion, ...] = ()  # what the ladder does to the source's picture, done here too

    @property
    def landscape(self) -> tuple[int, int]:
        return 16 * self.unit, 9 * self.unit

    @property
    def vertical(self) -> tuple[int, int]:
        return 9 * self.unit, 16 * self.unit

    def vertical_crop(self, centre: float) -> tuple[int, int, int, int]:
        """(w, h, x, y) of the largest 9:16 region of the source frame centred on `centre` (fraction of width)."""
        if self.source_width * 16 >= self.source_height * 9:  # wider than 9:16: full height
            w, h = self.source_height * 9 // 16 // 2 * 2, self.source_height
        else:
            w, h = self.source_width, self.source_width * 16 // 9 // 2 * 2
        x = round(centre * self.source_width - w / 2)
        x = min(max(0, x), self.source_width - w)
        return w, h, x, (self.source_height - h) // 2


def layout_for(source: SourceInfo) -> Layout:
    height = min(MAX_HEIGHT, source.height or MAX_HEIGHT)
    unit = max(2, height // 9 // 2 * 2)
    return Layout(unit=unit, fps=output_fps(source.fps), source_width=_even(source.width),
                  source_height=_even(source.height), conversions=tuple(source_conversions(source)))


def output_fps(source_fps: float) -> Fraction:
    """The source rate up to MAX_FPS (60 fps halves to 30), as an exact fraction (29.97 is 30000/1001)."""
    if source_fps <= 0:
        return Fraction(DEFAULT_FPS)
    # Probed rates are rounded (29.97): snap to the NTSC fraction they stand for, else to the nearest integer.
    rate = next((r for r in _NTSC if abs(source_fps - r) < 0.01), None) or Fraction(round(source_fps * 1000), 1000)
    if abs(rate - round(rate)) < 0.01:
        rate = Fraction(round(rate))
    while rate > MAX_FPS:
        rate /= 2
    return rate


def _even(n: int) -> int:
    return max(2, n // 2 * 2)
