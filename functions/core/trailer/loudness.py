"""Two-pass loudness normalisation to TARGET_LUFS: measure with ebur128, then normalise with loudnorm.

Pass one meters the assembled trailer audio with ffmpeg's EBU R128 meter (`ebur128`, the same meter the result
is checked with; loudnorm's own first-pass figure can differ from it by a few tenths of an LU). Pass two gives
the figures to loudnorm, which applies one linear gain when the true-peak ceiling allows it and falls back to
its dynamic mode when it does not.
"""
from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from functions.core.ffmpeg import MediaError, run_ffmpeg, source_input

TARGET_LUFS = -16.0
TRUE_PEAK = -1.0  # dBTP ceiling; loudnorm stays linear while measured peak + gain fits under it
LOUDNESS_RANGE = 11.0
SILENCE_BELOW = -70.0  # the R128 absolute gate: quieter than this has no integrated loudness
RELATIVE_GATE = 10.0  # LU below the integrated loudness


@dataclass(frozen=True)
class Measurement:
    """EBU R128 figures: integrated loudness (LUFS), loudness range (LU), true peak (dBTP)."""

    integrated: float
    lra: float
    true_peak: float

    @property
    def silent(self) -> bool:
        return not math.isfinite(self.integrated) or self.integrated <= SILENCE_BELOW


def meter_options() -> dict[str, object]:
    """ebur128's options for metering; follow it with `ametadata=mode=print:file=...` and read that file."""
    return dict(metadata=1, peak="true")


def read_meter(log: Path) -> Measurement:
    """The final figures from an `ametadata` print of ebur128's per-frame metadata."""
    values: dict[str, float] = {}
    peak = 0.0
    try:
        lines = log.read_text().splitlines()
    except OSError as exc:
        raise MediaError(f"loudness measurement missing: {exc}") from None
    for line in lines:
        key, _, value = line.partition("=")
        if key.startswith("lavfi.r128."):
            if key == "lavfi.r128.true_peak":
                peak = max(peak, float(value))
            else:
                values[key] = float(value)
    if "lavfi.r128.I" not in values:
        raise MediaError("the loudness meter reported nothing (no audio?)")
    return Measurement(
        integrated=values["lavfi.r128.I"], lra=values.get("lavfi.r128.LRA", 0.0),
        true_peak=20 * math.log10(peak) if peak > 0 else -99.0,
    )


def normalising_filter(m: Measurement, stats_file: Path | None = None) -> dict[str, object]:
    """loudnorm's options for the second pass, given the first pass's measurement."""
    options: dict[str, object] = dict(
        I=TARGET_LUFS, TP=TRUE_PEAK, LRA=min(50.0, max(LOUDNESS_RANGE, math.ceil(m.lra))),
        measured_I=round(m.integrated, 2), measured_TP=round(max(-99.0, min(99.0, m.true_peak)), 2),
        measured_LRA=round(m.lra, 2), measured_thresh=round(max(-99.0, m.integrated - RELATIVE_GATE), 2),
        linear="true",
    )
    if stats_file is not None:
        options |= dict(print_format="json", stats_file=str(stats_file))
    return options


def normalisation_type(stats_file: Path) -> str:
    """'linear' or 'dynamic', as loudnorm reports what its second pass did."""
    try:
        return str(json.loads(stats_file.read_text()).get("normalization_type", "dynamic"))
    except (OSError, ValueError):
        return "dynamic"


def measure_file(media: Path) -> Measurement:
    """EBU R128 figures of a file's first audio stream."""
    with tempfile.TemporaryDirectory(prefix="reelflow-r128-") as tmp:
        log = Path(tmp) / "r128.txt"
        run_ffmpeg([*source_input(str(media)), "-map", "0:a:0", "-af",
                    f"ebur128=metadata=1:peak=true,ametadata=mode=print:file={log}", "-f", "null", "-"],
                   what="loudness meter")
        return read_meter(log)
