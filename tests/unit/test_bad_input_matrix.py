"""Every case of the bad-input matrix (tests/matrix.py) through Probe's decision, and each accepted one through
the real transcode of its first chunk at a small rung: the refusal's error code, or what Probe found, what the
ladder converts, a rung that decodes cleanly; and the source byte for byte unchanged. Whole jobs for the cases
that carry `job` options run in tests/integration/test_media_variants.py."""
import hashlib
import os
import re
from pathlib import Path

import pytest

from functions.core.ffmpeg import MediaError
from functions.core.ladder import plan_transcode
from functions.core.models import JobStatus, SourceInfo
from functions.core.probe import probe_source
from functions.core.settings import Settings
from functions.core.transcode import encode_chunk, encode_chunk_args, source_conversions
from tests.conftest import REPO
from tests.hls import decode, decode_errors
from tests.matrix import BY_NAME, CASES, README_BEGIN, README_END, readme_table

SMALL_RUNG = [90]
SETTINGS = Settings(table_name="unused", output_bucket="unused")  # the stack's default limits and chunk length
README = REPO / "README.md"


def source_facts(info: SourceInfo) -> dict[str, object]:
    """What `Case.facts` may name: SourceInfo's fields, with the track lists as a count and the kinds."""
    facts = info.model_dump(mode="json")
    facts["audio_tracks"] = len(info.audio_tracks)
    facts["other_streams"] = tuple(s.kind for s in info.other_streams)
    return facts


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_case(name, tmp_path):
    case = BY_NAME[name]
    source = case.make(tmp_path / case.file)
    before = digest(source)
    try:
        info = probe_source(str(source), source.stat().st_size, SETTINGS.max_source_bytes,
                            SETTINGS.max_duration_seconds)
    except MediaError as refused:
        assert case.status == JobStatus.FAILED, f"refused: {refused}"
        assert type(refused).__name__ == case.error_code
        assert str(refused)
    else:
        assert case.status != JobStatus.FAILED, f"accepted: {info}"
        facts = source_facts(info)
        for key, expected in case.facts.items():
            assert facts[key] == (pytest.approx(expected, abs=0.05) if isinstance(expected, float) else expected), key
        assert tuple(source_conversions(info)) == case.conversions
        if case.job is None:
            transcode_first_chunk(source, info, tmp_path / "out")
    assert digest(source) == before


def transcode_first_chunk(source: Path, info: SourceInfo, out: Path) -> None:
    """The real encode of the first chunk at SMALL_RUNG (whole-job cases get the full ladder on the local stack):
    the conversions' filters are in the graph, and the rung decodes cleanly with the streams the source has."""
    plan = plan_transcode(info, SMALL_RUNG, SETTINGS.chunk_seconds)
    args = " ".join(encode_chunk_args(str(source), info, plan, plan.chunks[0], out))
    assert ("bwdif" in args, "tonemap" in args) == (info.interlaced, info.hdr is not None)
    rungs = encode_chunk(str(source), info, plan, plan.chunks[0], out)
    (rung,) = plan.renditions
    playlist = out / "hls" / rung.name / "c0000.m3u8"
    assert rungs[rung.name] and decode_errors(playlist) == ""
    decoded = decode(playlist)
    assert (decoded.has_video, decoded.has_audio) == (info.has_video, info.has_audio)


def test_readme_table_lists_every_case():
    """The README's table is `readme_table()`; REELFLOW_REGENERATE_GOLDENS=1 rewrites it."""
    text = README.read_text()
    pattern = re.compile(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), re.S)
    if os.environ.get("REELFLOW_REGENERATE_GOLDENS"):
        README.write_text(pattern.sub(lambda _: readme_table(), text))
        text = README.read_text()
    found = pattern.search(text)
    assert found and found.group(0) == readme_table()


def test_the_matrix_covers_at_least_thirty_cases():
    assert len(CASES) >= 30 and len(BY_NAME) == len(CASES)
