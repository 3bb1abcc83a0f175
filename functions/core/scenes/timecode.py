"""Timecodes and frame rates for the editor exports: one nominal rate per timeline."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from functions.core.models import FALLBACK_FPS

# Broadcast rates written as exact fractions; anything else is rounded to a whole number.
_NTSC = {23.976: Fraction(24000, 1001), 29.97: Fraction(30000, 1001), 59.94: Fraction(60000, 1001),
         47.952: Fraction(48000, 1001), 119.88: Fraction(120000, 1001)}


@dataclass(frozen=True)
class Rate:
    """A timeline rate: `exact` frames per second and the whole-number `base` that timecodes count in."""

    exact: Fraction

    @classmethod
    def from_fps(cls, fps: float) -> Rate:
        if fps <= 0:
            return cls(Fraction(FALLBACK_FPS))
        for nominal, exact in _NTSC.items():
            if abs(fps - nominal) < 0.01:
                return cls(exact)
        return cls(Fraction(round(fps)) if abs(fps - round(fps)) < 0.01 else Fraction(fps).limit_denominator(1001))

    @property
    def base(self) -> int:
        return max(1, round(self.exact))

    @property
    def frame_duration(self) -> Fraction:
        return 1 / self.exact

    def frames(self, seconds: float) -> int:
        return max(0, round(Fraction(seconds) * self.exact))

    def timecode(self, frames: int) -> str:
        """Non-drop-frame HH:MM:SS:FF counting `base` frames a second."""
        base = self.base
        ff = frames % base
        s = frames // base
        return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{ff:02d}"
