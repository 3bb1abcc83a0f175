"""What the review page is built from: the job's manifest and the documents its stages wrote, each parsed with
its own model, and what could not be had, with the reason."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from functions.core.captions.models import Cue, Transcript
from functions.core.models import Manifest
from functions.core.scenes.models import ScenesDocument
from functions.core.trailer.models import TrailerPlan

OUTPUT_REVIEW = "review"
REVIEW_PATH = "review/index.html"  # relative to the asset folder; the page names every other file relative to it

# The parts of the page, each made by one stage.
Section = Literal["video", "captions", "transcript", "scenes", "timeline", "trailer"]
SECTION_STAGES: dict[Section, str] = {
    "video": "transcode",
    "captions": "captions",
    "transcript": "captions",
    "scenes": "scenes",
    "timeline": "scenes",
    "trailer": "trailer",
}


@dataclass(frozen=True)
class Missing:
    """A part of the page that has nothing to show, the stage that would have made it, and why."""

    section: Section
    stage: str
    status: str  # the stage's status (FAILED, SKIPPED, SUCCEEDED when it ran but wrote nothing), or NOT_RUN
    reason: str


@dataclass(frozen=True)
class ReviewInputs:
    """Everything the page shows. A document is None when its stage did not produce it (see `missing`)."""

    manifest: Manifest
    scenes: ScenesDocument | None = None
    transcript: Transcript | None = None
    cues: list[Cue] = field(default_factory=list)
    trailer: TrailerPlan | None = None
    missing: list[Missing] = field(default_factory=list)

    @property
    def duration(self) -> float:
        """The media's length: the probe's, else the longest any document knows."""
        if self.manifest.source is not None and self.manifest.source.duration > 0:
            return self.manifest.source.duration
        known = [self.scenes.video.duration if self.scenes else 0.0,
                 self.transcript.duration if self.transcript else 0.0,
                 self.trailer.source_duration if self.trailer else 0.0]
        return max(known)

    def missing_section(self, section: Section) -> Missing | None:
        return next((m for m in self.missing if m.section == section), None)
