"""Shared fixtures: small media made once per session, the stack template synthesized once per session."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests import media

# Handlers are imported as Lambda would: with a region set (some create clients at import).
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "sample.mp4"
SAMPLE_TRUTH = json.loads((REPO / "samples" / "sample_truth.json").read_text())
# `reelflow` as a subprocess that a test stops with SIGINT, as Ctrl-C would. A shell starts background jobs with SIGINT
# ignored and Python keeps it ignored, so a suite run as `make test &` would otherwise never stop them.
INTERRUPTIBLE_CLI = ("-c", "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                           "from reelflow.cli import entry; entry()")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clips(media_dir: Path) -> dict[str, Path]:
    """One of each kind of input the pipeline must handle, a second or two long."""
    plain = media.make_clip(media_dir / "plain.mp4", seconds=2)
    return {
        "plain": plain,
        "no_audio": media.make_clip(media_dir / "no audio.mp4", seconds=2, audio=False),
        "rotated": media.make_clip(media_dir / "rotated.mp4", seconds=2, rotation=90),
        "anamorphic": media.make_clip(media_dir / "anamorphic.mp4", seconds=2, sar="4:3"),
        "vfr": media.make_clip(media_dir / "vfr.mkv", seconds=2, vfr=True, container="mkv"),
        "audio_only": media.make_audio_only(media_dir / "voice memo.m4a", seconds=2),
        "non_media": media.make_non_media(media_dir / "notes.mp4"),
        "zero_byte": media.make_zero_byte(media_dir / "empty.mp4"),
        "truncated": media.make_truncated(media_dir / "truncated.mp4", plain),
        "corrupt": media.make_corrupt(media_dir / "corrupt.mp4", plain),
    }


@pytest.fixture(scope="session")
def template() -> dict:
    """The synthesized stack template (cdk-nag checked), synthesized once and cached by content."""
    from reelflow.local.template import stack_template

    return stack_template()
