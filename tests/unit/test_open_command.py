"""`reelflow open`: serves an asset folder on 127.0.0.1 and names (or opens) its review page; no browser here."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import requests

from reelflow.cli import main
from tests.conftest import INTERRUPTIBLE_CLI, REPO

PAGE = b"<!doctype html><title>review</title><video src='../proxy.mp4'></video>"


def asset(out, asset_id: str) -> None:
    folder = out / asset_id
    (folder / "review").mkdir(parents=True)
    (folder / "review" / "index.html").write_bytes(PAGE)
    (folder / "proxy.mp4").write_bytes(bytes(range(256)) * 40)
    (folder / "manifest.json").write_text(json.dumps({"asset_id": asset_id, "outputs": {"review": "review/index.html"}}))


def test_open_prints_the_url_that_serves_the_page_with_byte_ranges_until_ctrl_c(tmp_path):
    asset(tmp_path, "a1")
    proc = subprocess.Popen([sys.executable, *INTERRUPTIBLE_CLI, "open", "a1", "--out", str(tmp_path),
                             "--no-browser"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=os.environ | {"PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Review page: http://127.0.0.1:"), line + (proc.stderr.read() if proc.poll() else "")
        url = line.split()[2]
        assert url.endswith("/review/index.html")
        page = requests.get(url, timeout=10)
        assert page.status_code == 200 and page.content == PAGE
        assert page.headers["Content-Type"].startswith("text/html")
        ranged = requests.get(url.replace("review/index.html", "proxy.mp4"), headers={"Range": "bytes=10-19"},
                              timeout=10)
        assert ranged.status_code == 206 and ranged.content == bytes(range(10, 20))
        assert requests.get(url.replace("review/index.html", "../etc/passwd"), timeout=10).status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0


def test_open_finds_a_folder_by_path_by_id_or_the_newest_and_refuses_one_without_a_page(tmp_path):
    from reelflow.cli import asset_folder

    asset(tmp_path, "older")
    asset(tmp_path, "newer")
    os.utime(tmp_path / "older" / "manifest.json", (1, 1))
    assert asset_folder(None, tmp_path) == tmp_path / "newer"
    assert asset_folder("older", tmp_path) == tmp_path / "older"
    assert asset_folder(str(tmp_path / "older"), tmp_path / "elsewhere") == tmp_path / "older"
    (tmp_path / "bare").mkdir()
    assert main(["open", "bare", "--out", str(tmp_path), "--no-browser"]) == 2
    assert main(["open", "--out", str(tmp_path / "empty"), "--no-browser"]) == 2


def test_open_review_serves_until_stopped_and_opens_nothing_without_a_browser(tmp_path):
    from reelflow.cli import open_review

    asset(tmp_path, "a2")
    lines: list[str] = []
    stop = threading.Event()
    served = threading.Thread(target=open_review, args=(tmp_path / "a2",),
                              kwargs={"browser": False, "out": lines.append, "stop": stop})
    served.start()
    try:
        for _ in range(100):
            if lines:
                break
            stop.wait(0.05)
        url = lines[0].split()[2]
        assert lines[0].endswith("(open it in a browser)")
        assert requests.get(url, timeout=10).content == PAGE
    finally:
        stop.set()
        served.join(timeout=10)
    assert not served.is_alive()
