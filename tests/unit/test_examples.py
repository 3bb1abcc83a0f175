"""examples/: each runs as a user runs it (`python examples/<name>.py --out DIR` from the repo root, on the
built-in sample) and writes what its docstring promises."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE_TRUTH
from tests.hls import decode, decode_errors, master_variants

EXAMPLES = REPO / "examples"


def run_example(name: str, out: Path, *args: str) -> None:
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--out", str(out), *args],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def check_captions(out: Path) -> None:
    from tests.wer import word_error_rate

    transcript = json.loads((out / "transcript.json").read_text())
    assert transcript["engine"] == "whisper"
    spoken = " ".join(w["text"] for w in transcript["words"])
    assert word_error_rate(SAMPLE_TRUTH["speech"]["text"], spoken) <= 0.10
    assert (out / "captions" / "en.vtt").is_file() and (out / "captions" / "en.srt").is_file()


def check_scenes(out: Path) -> None:
    scenes = json.loads((out / "scenes.json").read_text())["scenes"]
    assert len(scenes) == len(SAMPLE_TRUTH["shots"])
    assert all((out / s["thumbnail"]).is_file() for s in scenes)
    assert all((out / name).is_file() for name in ("contact_sheet.jpg", "scenes.edl", "scenes.otio", "scenes.fcpxml"))


def check_trailer(out: Path) -> None:
    plan = json.loads((out / "trailer.json").read_text())
    assert plan["segments"] and plan["target_seconds"] == 4
    for name in ("trailer.mp4", "trailer_vertical.mp4"):
        assert decode_errors(out / "trailer" / name) == ""
        assert decode(out / "trailer" / name).duration == pytest.approx(plan["expected_duration"], abs=0.3)


def check_transcode(out: Path) -> None:
    variants = master_variants(out / "hls" / "master.m3u8")
    assert len(variants) == 2  # 360p source: 360p and 240p
    for playlist in variants:
        assert decode_errors(playlist) == ""
        assert decode(playlist).duration == pytest.approx(4.0, abs=0.2)
    assert (out / "proxy" / "c0000.mp4").is_file()


@pytest.mark.parametrize(("name", "args", "check"), [
    pytest.param("captions", (), check_captions, id="captions"),
    pytest.param("scenes", (), check_scenes, id="scenes"),
    pytest.param("trailer", ("--seconds", "4"), check_trailer, id="trailer"),
    pytest.param("transcode", ("--seconds", "4"), check_transcode, id="transcode"),
])
def test_example_runs_on_the_sample(name, args, check, tmp_path):
    run_example(name, tmp_path, *args)
    check(tmp_path)


def test_every_example_is_tested_and_documented():
    names = {p.stem for p in EXAMPLES.glob("*.py")}
    assert names == {"captions", "scenes", "trailer", "transcode"}
    readme = (REPO / "README.md").read_text()
    for name in names:
        assert f"examples/{name}.py" in readme, name
