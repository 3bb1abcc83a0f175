"""Finalize's step: gather what the job produced, render the review page, write it beside the outputs.

`gather_inputs` reads through a callable (asset-relative path -> bytes), so the same code reads the output
bucket in Finalize and a copied asset folder in tests and tools.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources

from botocore.exceptions import ClientError
from pydantic import BaseModel, ValidationError

from functions.core.captions.models import OUTPUT_TRANSCRIPT, OUTPUT_VTT, Cue, Transcript
from functions.core.hls_subtitles import UnreadableCaptions, parse_webvtt
from functions.core.models import Manifest, StageStatus
from functions.core.observability import logger
from functions.core.review.models import OUTPUT_REVIEW, REVIEW_PATH, SECTION_STAGES, Missing, ReviewInputs, Section
from functions.core.review.page import render_review_page
from functions.core.s3io import get_bytes, put_bytes
from functions.core.scenes.models import ScenesDocument
from functions.core.trailer.models import TrailerPlan

PLAYER_FILE = "hls.light.min.js"
_SOURCE_MAP = re.compile(r"\n//# sourceMappingURL=\S+\s*$")

Reader = Callable[[str], bytes]


class Unreadable(Exception):
    """Raised (inside `gather_inputs`, which records it as missing) when an output the manifest names cannot be
    read or does not parse with its model."""


@cache
def player_script() -> str:
    """The vendored hls.js light build, without its source-map comment (the map is not shipped: a browser's
    developer tools would otherwise ask for it)."""
    text = (resources.files("functions.core.review") / "vendor" / PLAYER_FILE).read_text(encoding="utf-8")
    return _SOURCE_MAP.sub("\n", text)


def _missing_for(manifest: Manifest, section: Section) -> Missing | None:
    """Why `section` has nothing, if its stage did not succeed."""
    stage = SECTION_STAGES[section]
    result = manifest.stages.get(stage)
    if result is None:
        probe = manifest.stages.get("probe")
        if probe is not None and probe.status == StageStatus.FAILED:
            return Missing(section, stage, "NOT_RUN", f"the job stopped at probe: {probe.error or 'no reason given'}")
        return Missing(section, stage, "NOT_RUN", "the job did not run this stage")
    if result.status != StageStatus.SUCCEEDED:
        return Missing(section, stage, result.status.value, result.error or result.note or "no reason recorded")
    return None


def gather_inputs(manifest: Manifest, read: Reader) -> ReviewInputs:
    """The documents the manifest's outputs name, parsed with their models; everything absent is in `missing`."""
    missing: list[Missing] = []

    def document(section: Section, output: str, parse: Callable[[bytes], object]):
        if (why := _missing_for(manifest, section)) is not None:
            missing.append(why)
            return None
        path = manifest.outputs.get(output)
        if path is None:
            missing.append(Missing(section, SECTION_STAGES[section], StageStatus.SUCCEEDED.value,
                                   f"the stage succeeded but wrote no {output}"))
            return None
        try:
            return parse(_read(read, path))
        except Unreadable as exc:
            missing.append(Missing(section, SECTION_STAGES[section], "UNREADABLE", str(exc)))
            return None

    def model(cls: type[BaseModel]) -> Callable[[bytes], BaseModel]:
        def parse(raw: bytes) -> BaseModel:
            try:
                return cls.model_validate_json(raw)
            except ValidationError as exc:
                raise Unreadable(f"does not match {cls.__name__} ({exc.error_count()} errors)") from exc
        return parse

    def cues(raw: bytes) -> list[Cue]:
        try:
            return parse_webvtt(raw.decode("utf-8"))
        except (UnicodeDecodeError, UnreadableCaptions) as exc:
            raise Unreadable(f"the WebVTT does not parse: {exc}") from exc

    if not any(k in manifest.outputs for k in ("hls_master", "proxy")):
        missing.append(_missing_for(manifest, "video") or Missing(
            "video", SECTION_STAGES["video"], StageStatus.SUCCEEDED.value, "the stage wrote no playable media"))
    scenes = document("scenes", "scenes", model(ScenesDocument))
    if scenes is not None and scenes.timeline is None:
        missing.append(Missing("timeline", "scenes", StageStatus.SUCCEEDED.value,
                               "scenes.json has no motion and loudness timeline (written before it was measured)"))
    return ReviewInputs(
        manifest=manifest,
        scenes=scenes,
        transcript=document("transcript", OUTPUT_TRANSCRIPT, model(Transcript)),
        cues=document("captions", OUTPUT_VTT, cues) or [],
        trailer=document("trailer", "trailer_plan", model(TrailerPlan)),
        missing=missing,
    )


def _read(read: Reader, path: str) -> bytes:
    try:
        return read(path)
    except (ClientError, OSError) as exc:
        raise Unreadable(f"{path} could not be read ({type(exc).__name__})") from exc


def review_manifest(manifest: Manifest) -> Manifest:
    """The manifest naming the review page among its outputs (the page lists itself with the rest)."""
    return manifest.model_copy(update={"outputs": manifest.outputs | {OUTPUT_REVIEW: REVIEW_PATH}})


def publish_review(manifest: Manifest, bucket: str, prefix: str) -> Manifest:
    """Write `<prefix>/review/index.html` and return the manifest with the `review` output. If the page cannot
    be written the manifest is returned unchanged: the job's results never depend on its page."""
    with_page = review_manifest(manifest)
    inputs = gather_inputs(with_page, lambda path: get_bytes(bucket, f"{prefix}/{path}"))
    page = render_review_page(inputs, player_script())
    try:
        put_bytes(bucket, f"{prefix}/{REVIEW_PATH}", page.encode("utf-8"))
    except ClientError as exc:
        logger.warning("Review page not written", extra={"error": str(exc)})
        return manifest
    logger.info("Review page written", extra={"bytes": len(page), "missing": [m.section for m in inputs.missing]})
    return with_page
