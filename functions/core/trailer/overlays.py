"""Text drawn on the trailer: the font to draw with, the title card's text, and captions moved onto the trailer's
timeline (an ASS file per output size, so the style needs no `force_style` escaping in the filter graph).
"""
from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from functions.core.trailer.models import TrailerPlan

FONT_ENV = "REELFLOW_FONT"  # a TTF/OTF to use instead of searching
# (path, family) in order of preference: Debian/Ubuntu paths, then Amazon Linux / Fedora packages.
KNOWN_FONTS = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "DejaVu Sans"),
    ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf", "DejaVu Sans"),
    ("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf", "DejaVu Sans"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf", "Liberation Sans"),
    ("/usr/share/fonts/liberation-sans/LiberationSans-Bold.ttf", "Liberation Sans"),
)
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
MIN_CAPTION_SECONDS = 0.3  # shorter caption pieces left at a segment edge flash by unread: drop them


@dataclass(frozen=True)
class Font:
    path: Path
    family: str

    @property
    def directory(self) -> Path:
        return self.path.parent


@dataclass(frozen=True)
class Caption:
    start: float
    end: float
    text: str


def find_font() -> Font | None:
    """A font for drawtext and libass: $REELFLOW_FONT, a known sans, else any TTF under the system font folders."""
    if os.environ.get(FONT_ENV) and Path(os.environ[FONT_ENV]).is_file():
        path = Path(os.environ[FONT_ENV])
        return Font(path, _family_guess(path))
    for path, family in KNOWN_FONTS:
        if Path(path).is_file():
            return Font(Path(path), family)
    for folder in FONT_DIRS:
        for path in sorted(Path(folder).rglob("*.ttf")) if Path(folder).is_dir() else ():
            return Font(path, _family_guess(path))
    return None


def title_lines(title: str, width_chars: int, max_lines: int = 3) -> str:
    """The title wrapped for the card, at most `max_lines` lines (the last one ellipsised when cut)."""
    lines = textwrap.wrap(" ".join(title.split()), width_chars, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width_chars - 1].rstrip() + "…"
    return "\n".join(lines)


# --- captions -------------------------------------------------------------------------------------------------

_TIMING = re.compile(
    r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})\s*-->\s*(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
)
_TAGS = re.compile(r"<[^>]+>|\{\\[^}]*\}")


def read_captions(text: str) -> list[Caption]:
    """Cues of an SRT or WebVTT document (markup stripped; NOTE/STYLE blocks and cue settings ignored)."""
    out = []
    for block in re.split(r"\r?\n\s*\r?\n", text.replace("\ufeff", "")):
        lines = block.strip().splitlines()
        for i, line in enumerate(lines):
            m = _TIMING.search(line)
            if m:
                start, end = _seconds(*m.groups()[:4]), _seconds(*m.groups()[4:])
                body = "\n".join(_TAGS.sub("", t).strip() for t in lines[i + 1:]).strip()
                if body and end > start:
                    out.append(Caption(start, end, body))
                break
    return out


def retime_captions(captions: Sequence[Caption], plan: TrailerPlan) -> list[Caption]:
    """The captions as they fall on the trailer's timeline: each segment shows the cues of its source window.

    Inside a crossfade the outgoing segment's captions give way at the midpoint.
    """
    out: list[Caption] = []
    offset, half_fade = 0.0, plan.fade_seconds / 2
    last = len(plan.segments) - 1
    for i, seg in enumerate(plan.segments):
        shown_from = offset + (half_fade if i > 0 else 0.0)
        shown_to = offset + seg.duration - (half_fade if i < last else 0.0)
        for c in captions:
            start = max(c.start - seg.source_start + offset, shown_from)
            end = min(c.end - seg.source_start + offset, shown_to)
            if end - start >= MIN_CAPTION_SECONDS:
                out.append(Caption(round(start, 3), round(end, 3), c.text))
        offset += seg.duration - plan.fade_seconds
    return out


def ass_document(captions: Sequence[Caption], size: tuple[int, int], font: Font) -> str:
    """An ASS script drawing `captions` bottom-centre on a frame of `size`, with a readable outline."""
    width, height = size
    font_size = max(12, round(min(width, height) * 0.065))
    margin_v = round(height * (0.12 if height > width else 0.06))
    margin_h = round(width * 0.05)
    outline = max(1, font_size // 12)
    events = "\n".join(
        f"Dialogue: 0,{_ass_time(c.start)},{_ass_time(c.end)},Default,,0,0,0,,{_ass_text(c.text)}" for c in captions
    )
    return f"""[Script Info]
ScriptType: v4.00+
PlayResX: {width}
PlayResY: {height}
WrapStyle: 0
ScaledBorderAndShadow: yes

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Default,{font.family},{font_size},&H00FFFFFF,&H000000FF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,\
{outline},1,2,{margin_h},{margin_h},{margin_v},1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
{events}
"""


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def _ass_time(t: float) -> str:
    cs = max(0, round(t * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def _ass_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("\n", "\\N")


def _family_guess(path: Path) -> str:
    # "DejaVuSans-Bold" -> "DejaVu Sans": libass falls back to another font in fontsdir when this misses.
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", path.stem.split("-")[0])
