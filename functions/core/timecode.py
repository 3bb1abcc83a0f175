"""Timecodes and frame rates for scenes and the editor exports: one nominal rate per timeline.

The convention (the one editing tools apply to a file, and OpenTimelineIO's adapters map media time with): the
first decoded frame of the video carries the source's start timecode (its `tmcd` track or timecode metadata,
00:00:00:00 without one), and each later frame counts on from it at the nominal rate, whatever presentation time
the container gives the first frame. A scene that starts at decoded frame N starts at start timecode + N, so on a
video that starts a frame or two late (a B-frame delay without an edit list) frame numbers and timecodes agree;
scenes' `start`/`end` seconds stay presentation times, which is what players and ffmpeg seek by.

29.97 and 59.94 fps count in drop-frame timecode (HH:MM:SS;FF) unless the source's own timecode says otherwise:
two (four) frame numbers are skipped at the start of every minute except every tenth, so the timecode keeps to the
clock.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from functions.core.models import FALLBACK_FPS

# Broadcast rates written as exact fractions; anything else is rounded to a whole number.
_NTSC = {23.976: Fraction(24000, 1001), 29.97: Fraction(30000, 1001), 59.94: Fraction(60000, 1001),
         47.952: Fraction(48000, 1001), 119.88: Fraction(120000, 1001)}
DROP_FRAME_RATES = (Fraction(30000, 1001), Fraction(60000, 1001))
ZERO = "00:00:00:00"
RECORD_START = "01:00:00:00"  # where an edited programme conventionally starts (EDL record side, FCPXML tcStart)
_TIMECODE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


class TimecodeError(ValueError):
    """Raised when a text is not an HH:MM:SS:FF (or HH:MM:SS;FF drop-frame) timecode valid at the rate."""


@dataclass(frozen=True)
class Rate:
    """A timeline rate: `exact` frames per second, the whole-number `base` that timecodes count in, and whether
    they count in drop-frame."""

    exact: Fraction
    drop_frame: bool = False

    @classmethod
    def from_fps(cls, fps: float, drop_frame: bool | None = None) -> Rate:
        """The nominal rate of `fps`. `drop_frame` None: drop-frame for 29.97 and 59.94, as broadcast counts them;
        False or True as the source's own timecode says (only 29.97 and 59.94 can drop frames)."""
        exact = _exact(fps)
        droppable = exact in DROP_FRAME_RATES
        return cls(exact, droppable if drop_frame is None else drop_frame and droppable)

    @property
    def base(self) -> int:
        return max(1, round(self.exact))

    @property
    def frame_duration(self) -> Fraction:
        return 1 / self.exact

    def frames(self, seconds: float) -> int:
        return max(0, round(Fraction(seconds) * self.exact))

    def timecode(self, frames: int) -> str:
        """HH:MM:SS:FF (HH:MM:SS;FF in drop-frame) of a frame count from 00:00:00:00, wrapping at 24 hours."""
        base = self.base
        frames %= self._day
        if self.drop_frame:
            drop = self._drop
            ten_minutes, rest = divmod(frames, base * 600 - 9 * drop)
            frames += 9 * drop * ten_minutes
            if rest >= drop:
                frames += drop * ((rest - drop) // (base * 60 - drop))
        ff = frames % base
        s = frames // base
        sep = ";" if self.drop_frame else ":"
        return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{sep}{ff:02d}"

    def count(self, timecode: str) -> int:
        """Frames from 00:00:00:00 to `timecode` (either separator is read at this rate's drop-frame setting).
        Raises TimecodeError for a text that is no timecode, or names a frame this rate has not."""
        match = _TIMECODE.match(timecode.strip())
        if not match:
            raise TimecodeError(f"not a timecode: {timecode!r}")
        hh, mm, ss, _, ff = (int(g) if g.isdigit() else g for g in match.groups())
        if mm > 59 or ss > 59 or ff >= self.base:
            raise TimecodeError(f"{timecode!r} is out of range at {float(self.exact):.3f} fps")
        minutes = 60 * hh + mm
        dropped = 0
        if self.drop_frame:
            if ss == 0 and ff < self._drop and mm % 10:
                raise TimecodeError(f"{timecode!r} is a frame number drop-frame timecode skips")
            dropped = self._drop * (minutes - minutes // 10)
        return (minutes * 60 + ss) * self.base + ff - dropped

    def span(self, start_timecode: str, end_timecode: str) -> tuple[int, int]:
        """Frame counts (first, end) from one timecode to another (exclusive), across midnight if need be, at
        least one frame apart."""
        first, end = self.count(start_timecode), self.count(end_timecode)
        if end < first:
            end += self._day
        return first, max(end, first + 1)

    @property
    def _drop(self) -> int:
        return 2 * round(self.base / 30)

    @property
    def _day(self) -> int:
        return 24 * 6 * (self.base * 600 - 9 * self._drop) if self.drop_frame else 24 * 3600 * self.base


def source_timeline(fps: float, timecode: str | None) -> tuple[Rate, str]:
    """The rate a source's timecodes count at and the timecode of its first frame (its own, else zero; also zero
    when its own names no frame at `fps`, e.g. a variable frame rate measured lower than the probed one)."""
    rate = Rate.from_fps(fps, drop_frame=is_drop_frame(timecode))
    try:
        return rate, rate.timecode(rate.count(timecode)) if timecode else rate.timecode(0)
    except TimecodeError:
        return rate, rate.timecode(0)


def is_drop_frame(timecode: str | None) -> bool | None:
    """Whether a timecode as stored in a file is drop-frame (`;` or `.` before the frames); None for no timecode."""
    match = _TIMECODE.match(timecode.strip()) if timecode else None
    return None if match is None else match.group(4) in ";."


def _exact(fps: float) -> Fraction:
    if fps <= 0:
        return Fraction(FALLBACK_FPS)
    for nominal, exact in _NTSC.items():
        if abs(fps - nominal) < 0.01:
            return exact
    return Fraction(round(fps)) if abs(fps - round(fps)) < 0.01 else Fraction(fps).limit_denominator(1001)
