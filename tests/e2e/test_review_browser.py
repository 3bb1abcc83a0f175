"""The review page of `reelflow run`'s sample job in a real headless Chromium (Debian's `chromium`, driven by
Playwright's Python package), served from 127.0.0.1 with byte ranges as CloudFront or `reelflow serve` would.

Without the browser the tests skip on a developer's machine (`make test` installs it where it can) and fail in
CI (`CI=true`), so a machine that cannot run them never passes silently.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from functions.core.ladder import plan_transcode
from functions.core.models import JobStatus, Manifest, ManifestStage, StageStatus, VideoCodec
from functions.core.probe import probe_media
from functions.core.review import gather_inputs, player_script, render_review_page
from functions.core.transcode import chunk_prefix, encode_chunk, join_chunk_playlists, master_playlist, rung_stats
from reelflow.local.files import serve_folder
from tests.conftest import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("run-sample")]  # shares the sample run

CHROMIUM = os.environ.get("REELFLOW_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("REELFLOW_TEST_ARTIFACTS", REPO / ".artifacts"))
SCRIPT_WORD = "computer"  # from samples/sample_script.txt: "The computer must find where each scene begins."


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
    if sync_api is None or not Path(CHROMIUM).is_file():
        message = (f"needs Playwright's Python package and a Chromium at {CHROMIUM}: `make test` installs both "
                   "(Debian's chromium as root with apt-get)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--autoplay-policy=no-user-gesture-required"])
        yield launched
        launched.close()


class Visit:
    """One page load: every request's URL and every console error or uncaught exception."""

    def __init__(self, browser, url: str, init_script: str | None = None) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        if init_script:
            self.page.add_init_script(init_script)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(url, wait_until="load")

    def current_time(self) -> float:
        return self.page.evaluate("() => document.getElementById('player').currentTime")

    def seeks_to(self, action, seconds: float, tolerance: float) -> None:
        """`action` makes the player seek to `seconds`: checked at the player's own `seeking` events, where
        currentTime is the seek's target (the page then plays on, so polling currentTime races playback)."""
        self.page.evaluate("""() => { window.__seeks = [];
            document.getElementById('player').addEventListener('seeking', e => window.__seeks.push(e.target.currentTime)); }""")
        action()
        self.page.wait_for_function(
            f"() => window.__seeks.some(t => Math.abs(t - {seconds}) <= {tolerance})", timeout=10_000)


@pytest.fixture(scope="module")
def served(run):
    _, asset = run
    assert asset is not None and (asset / "review" / "index.html").is_file()
    with serve_folder(asset.parent) as base:
        yield asset, base


@pytest.fixture(scope="module")
def visit(browser, served):
    asset, base = served
    visit = Visit(browser, f"{base}/{asset.name}/review/index.html")
    visit.page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; return v.play(); }")
    yield visit
    visit.page.close()


def test_page_loads_without_errors_or_other_hosts(visit, served):
    _, base = served
    visit.page.wait_for_function("() => document.getElementById('player').currentTime > 0.5", timeout=15_000)
    origin = urlsplit(base).netloc
    assert visit.errors == []
    assert visit.requests and {urlsplit(url).netloc for url in visit.requests if not url.startswith(("blob:", "data:"))} == {origin}
    assert any(url.endswith(".ts") for url in visit.requests)  # the ladder itself, not only the proxy
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=str(ARTIFACTS / "review_page.png"), full_page=True)
    assert (ARTIFACTS / "review_page.png").stat().st_size > 10_000


def test_video_plays_the_ladder_with_captions_showing(visit):
    before = visit.current_time()
    visit.page.wait_for_function(f"() => document.getElementById('player').currentTime > {before + 0.5}",
                                 timeout=15_000)
    state = visit.page.evaluate("""() => { const v = document.getElementById('player');
        const shown = Array.from(v.textTracks).filter(t => t.mode === 'showing');
        return {mode: v.dataset.mode, error: v.error && v.error.code, showing: shown.length,
                cues: shown.length ? shown[0].cues.length : 0}; }""")
    assert state["mode"] in ("hls.js", "native-hls") and state["error"] is None
    assert state["showing"] == 1 and state["cues"] > 0


def test_clicking_the_third_scene_seeks_to_its_start(visit, served):
    asset, _ = served
    scenes = json.loads((asset / "scenes.json").read_text())
    items = visit.page.locator("#scenes > .scene")
    assert items.count() == len(scenes["scenes"])
    visit.seeks_to(items.nth(2).locator("button.seek").click, scenes["scenes"][2]["start"], 1 / scenes["video"]["fps"])


def test_transcript_search_finds_a_scripted_word_and_seeks_to_it(visit, served):
    asset, _ = served
    word = next(w for w in json.loads((asset / "transcript.json").read_text())["words"]
                if SCRIPT_WORD in w["text"].lower())
    search = visit.page.locator("#transcript-search")
    search.fill(SCRIPT_WORD)
    assert visit.page.locator("#transcript .word.hit").count() >= 1
    visit.seeks_to(lambda: search.press("Enter"), word["start"], 0.05)
    assert visit.page.locator("#transcript .word.at").get_attribute("data-start") == f"{word['start']:.3f}"


def test_tag_filter_shows_only_the_scenes_with_that_tag(visit, served):
    asset, _ = served
    scenes = json.loads((asset / "scenes.json").read_text())["scenes"]
    tag = "dialogue"
    visit.page.select_option("#tag-filter", tag)
    assert visit.page.locator("#scenes > .scene:visible").count() == sum(tag in s["tags"] for s in scenes) < len(scenes)
    visit.page.select_option("#tag-filter", "")
    assert visit.page.locator("#scenes > .scene:visible").count() == len(scenes)


def test_timeline_marks_every_boundary_and_pick(visit, served):
    asset, _ = served
    scenes = json.loads((asset / "scenes.json").read_text())["scenes"]
    plan = json.loads((asset / "trailer.json").read_text())
    marks = visit.page.eval_on_selector_all("#timeline .boundary", "ls => ls.map(l => [l.classList[1], +l.dataset.time])")
    assert marks == [[s["transition_in"], pytest.approx(s["start"], abs=1e-3)] for s in scenes[1:]]
    assert visit.page.locator("#timeline rect.pick").count() == len(plan["segments"])
    assert visit.page.locator("#timeline path.motion").count() == 1


def test_partial_job_page_lists_what_is_missing(browser, run, tmp_path):
    """The sample's outputs as a job whose captions failed and whose trailer was skipped would leave them."""
    _, asset = run
    full = Manifest.model_validate_json((asset / "manifest.json").read_text())
    kept = {k: v for k, v in full.outputs.items() if k in ("hls_master", "proxy", "poster", "scenes", "review")}
    partial = full.model_copy(update={"status": JobStatus.PARTIAL, "outputs": kept, "hls_subtitles": None,
                                      "stages": full.stages | {
                                          "captions": ManifestStage(status=StageStatus.FAILED, error="engine crashed",
                                                                    error_code="MediaError"),
                                          "trailer": ManifestStage(status=StageStatus.SKIPPED, note="no trailer")}})
    folder = tmp_path / asset.name
    shutil.copytree(asset, folder, ignore=shutil.ignore_patterns("transcript.json", "captions", "trailer*"))
    page = render_review_page(gather_inputs(partial, lambda path: (folder / path).read_bytes()), player_script())
    (folder / "review" / "index.html").write_text(page)
    with serve_folder(tmp_path) as base:
        visit = Visit(browser, f"{base}/{asset.name}/review/index.html")
        missing = visit.page.eval_on_selector_all(
            "#missing li", "ls => ls.map(l => [l.dataset.section, l.dataset.stage, l.dataset.stageStatus])")
        assert sorted(missing) == [["captions", "captions", "FAILED"], ["trailer", "trailer", "SKIPPED"],
                                   ["transcript", "captions", "FAILED"]]
        assert visit.page.locator("#scenes > .scene").count() > 0
        visit.page.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=10_000)
        assert visit.errors == []
        visit.page.close()


def test_page_opened_as_a_file_plays_the_proxy(browser, run):
    _, asset = run
    visit = Visit(browser, (asset / "review" / "index.html").as_uri())
    visit.page.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=10_000)
    assert visit.page.eval_on_selector("#player", "v => v.dataset.mode") == "proxy"
    assert {urlsplit(u).scheme for u in visit.requests} <= {"file", "data", "blob"}
    visit.page.close()


def test_an_hevc_ladder_plays_where_the_browser_decodes_hevc_and_the_proxy_where_it_does_not(browser, run, tmp_path):
    """The sample's page over an HEVC ladder (video_codec=hevc, one 240p rung): a browser whose Media Source takes
    the master's CODECS plays the ladder with hls.js, one that cannot (this Chromium, as Debian builds it) falls
    back to the H.264 proxy through hls.js's fatal error; either way the video plays."""
    _, asset = run
    folder = tmp_path / asset.name
    shutil.copytree(asset, folder, ignore=shutil.ignore_patterns("hls"))
    source = REPO / "samples" / "sample.mp4"
    info = probe_media(str(source))
    plan = plan_transcode(info, [240], codec=VideoCodec.HEVC)
    stats = [rung_stats(encode_chunk(str(source), info, plan, chunk, tmp_path / "encode")["240p"])
             for chunk in plan.chunks]
    shutil.copytree(tmp_path / "encode" / "hls" / "240p", folder / "hls" / "240p")
    rung_folder = folder / "hls" / "240p"
    rung_folder.joinpath("index.m3u8").write_text(join_chunk_playlists(
        [(rung_folder / f"{chunk_prefix(chunk)}.m3u8").read_text() for chunk in plan.chunks]))
    master = master_playlist(info, [(plan.renditions[0], stats[0])], VideoCodec.HEVC)
    (folder / "hls" / "master.m3u8").write_text(master)
    manifest = Manifest.model_validate_json((asset / "manifest.json").read_text())
    page = render_review_page(gather_inputs(manifest.model_copy(update={"hls_subtitles": None}),
                                            lambda path: (folder / path).read_bytes()), player_script())
    (folder / "review" / "index.html").write_text(page)
    codecs = master.split('CODECS="')[1].split('"')[0]
    with serve_folder(tmp_path) as base:
        visit = Visit(browser, f"{base}/{asset.name}/review/index.html")
        decodes_hevc = visit.page.evaluate(f"() => MediaSource.isTypeSupported('video/mp4; codecs=\"{codecs}\"')")
        visit.page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; v.play(); }")
        visit.page.wait_for_function("() => document.getElementById('player').currentTime > 0.5", timeout=15_000)
        mode = visit.page.eval_on_selector("#player", "v => v.dataset.mode")
        assert mode == ("hls.js" if decodes_hevc else "proxy")
        if not decodes_hevc:
            assert not any(url.endswith(".m4s") for url in visit.requests)  # no segment fetched in vain
        visit.page.close()


def test_a_viewer_who_pressed_play_keeps_watching_when_the_ladder_fails(browser, run, tmp_path):
    """The manifest names a ladder the host does not have (its playlist answers 404). The viewer presses play as
    the page loads, before hls.js hears back and gives up: the proxy takes over and plays on."""
    _, asset = run
    shutil.copytree(asset, tmp_path / asset.name, ignore=shutil.ignore_patterns("hls"))
    press_play = ("document.addEventListener('DOMContentLoaded', () => {"
                  " const v = document.getElementById('player'); v.muted = true; v.play().catch(() => {}); })")
    with serve_folder(tmp_path) as base:
        visit = Visit(browser, f"{base}/{asset.name}/review/index.html", init_script=press_play)
        visit.page.wait_for_function("() => document.getElementById('player').dataset.mode === 'proxy'",
                                     timeout=30_000)
        visit.page.wait_for_function("() => document.getElementById('player').currentTime > 0.5", timeout=15_000)
        assert "the HLS ladder failed" in visit.page.inner_text("#playing")
        visit.page.close()
