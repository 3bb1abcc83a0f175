"""`reelflow`: run the pipeline locally on moto, or invoke one function with a sample event."""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NoReturn, get_args

from functions.core.models import (
    DEFAULT_CAPTION_ENGINE,
    OPTIONAL_STAGES,
    CaptionEngineName,
    LabelEngineName,
    VideoCodec,
)
from reelflow.local.cloud import Invocation, LocalCloud, construct_name
from reelflow.local.template import REPO_ROOT, stack_template

DEFAULT_OUT = Path("reelflow-out")
VIDEO_CODEC_HELP = (
    f"video codec of the HLS ladder: {VideoCodec.H264} (H.264 in MPEG-TS segments, plays everywhere) or "
    f"{VideoCodec.HEVC} (HEVC Main in fMP4 segments at about 60%% of the bit rate, for players that decode HEVC such "
    f"as Apple's; about 3x the encode time, so UHD jobs run in shorter chunks) (default: {VideoCodec.H264})")
SAMPLE_KEY = "samples/sample.mp4"


def entry() -> NoReturn:
    """The `reelflow` command: `main`, then exit without the interpreter's final garbage collection.

    After a local stack has run, that collection walks moto's whole in-memory state and took 7-20 s here,
    so Ctrl-C on `reelflow serve` looked hung. Every file and process is already closed by then."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _quiet_libraries()
    try:
        return args.command(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - users get the reason, not a traceback
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reelflow",
        description="Reelflow media pipeline, running locally on moto: the stack's own template, "
        "state machine and handlers, with no AWS account.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and keep the work folder")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="upload a media file and run the whole pipeline on it",
        description="Upload PATH to the local ingest bucket; the upload event starts the job as it would in AWS. "
        "Shows each stage as it runs, then copies the outputs to OUT/<asset_id>/.",
    )
    run.add_argument("path", type=Path, help="the media file to process")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where outputs are copied (default: {DEFAULT_OUT})")
    run.add_argument("--key", help="object key in the ingest bucket (default: the file name)")
    run.add_argument("--caption-engine", choices=get_args(CaptionEngineName),
                     help=f"speech recognition engine (default: the stack's, {DEFAULT_CAPTION_ENGINE}, with its bundled "
                     "tiny.en model or the model folder in REELFLOW_WHISPER_MODEL; pocketsphinx is lighter and "
                     "less accurate; transcribe needs AWS)")
    run.add_argument("--label-engine", choices=get_args(LabelEngineName),
                     help="scene keyframe labels, which also become tags (default: the stack's, none; "
                     "rekognition is Amazon Rekognition DetectLabels, emulated by moto locally)")
    run.add_argument("--language", help="spoken language, e.g. en-US, or auto to identify it (default: en-US)")
    transcribe = run.add_argument_group("Amazon Transcribe (--caption-engine transcribe)")
    transcribe.add_argument("--transcribe-vocabulary", metavar="NAME", help="custom vocabulary to apply")
    transcribe.add_argument("--language-options", metavar="CODES", type=lambda v: [c for c in v.split(",") if c],
                            help="with --language auto: the languages it may be, e.g. en-US,es-US "
                            "(needed with a vocabulary)")
    transcribe.add_argument("--speaker-labels", action="store_true",
                            help="tell speakers apart: each word keeps its speaker, each cue one speaker")
    transcribe.add_argument("--max-speakers", type=int, metavar="N", help="most speakers to tell apart, 2-30 "
                            "(implies --speaker-labels; default 10)")
    run.add_argument("--stages", metavar="LIST", type=_choices_list(OPTIONAL_STAGES),
                     help=f"stages to run, comma-separated, from {','.join(OPTIONAL_STAGES)} (default: all); "
                     "probe and finalize always run")
    run.add_argument("--renditions", metavar="HEIGHTS", type=_int_list,
                     help="rung heights of the HLS ladder, comma-separated, e.g. 720,480 (default: the ladder "
                     "up to the source's size; never upscaled)")
    run.add_argument("--video-codec", choices=[c.value for c in VideoCodec], help=VIDEO_CODEC_HELP)
    run.add_argument("--trailer-seconds", type=float,
                     help="trailer length (default: 30 s, or a third of footage shorter than 90 s)")
    run.add_argument("--trailer-title", help="title card text for the trailer")
    run.add_argument("--burn-captions", action="store_true", help="burn the captions into the trailer")
    budget = run.add_argument_group("budget (Probe refuses the job on its estimate, before any encode)")
    budget.add_argument("--max-cost-usd", type=float, metavar="USD",
                        help="most the job may cost in AWS, estimated (default: the stack's, if set)")
    budget.add_argument("--max-duration", type=float, metavar="SECONDS",
                        help="longest the job may run in AWS, estimated (default: the stack's, if set)")
    run.add_argument("--timeout", type=float, default=3600, help="give up after this many seconds (default: 3600)")
    run.add_argument("--open", action="store_true",
                     help="when the job ends, serve its folder on 127.0.0.1 and open the review page (as `reelflow open`)")
    run.set_defaults(command=_run)

    open_ = sub.add_parser(
        "open",
        help="serve an asset's output folder on 127.0.0.1 and open its review page in a browser",
        description="Serves the asset folder (byte ranges, so the video seeks) on 127.0.0.1 and opens "
        "review/index.html in the default browser, or prints its URL when there is no browser. Ctrl-C stops.",
    )
    open_.add_argument("target", nargs="?", help="an asset id (its folder under --out) or an asset folder "
                       "(default: the newest asset folder under --out)")
    open_.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where `reelflow run` put outputs (default: {DEFAULT_OUT})")
    open_.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: 0, a free one)")
    open_.add_argument("--no-browser", action="store_true", help="print the URL only")
    open_.set_defaults(command=_open)
    estimate = sub.add_parser(
        "estimate",
        help="what a job would take in AWS, before anything runs: plan, wall time, cost, largest state",
        description="Plans the job as Probe would (chunks, invocations) and estimates its AWS wall time, cost and "
        "largest state payload from measured speeds (functions/core/cost/rates.py): for a media file (probed "
        "here), or for --duration and --height. The budget guard (--max-cost-usd, --max-duration) refuses jobs on "
        "this same estimate.",
    )
    estimate.add_argument("path", type=Path, nargs="?", help="a media file")
    estimate.add_argument("--duration", type=float, metavar="SECONDS", help="footage length, without a file")
    estimate.add_argument("--height", type=int, metavar="PIXELS", help="frame height, without a file (0: audio only)")
    estimate.add_argument("--caption-engine", choices=get_args(CaptionEngineName),
                          help=f"speech recognition engine (default: {DEFAULT_CAPTION_ENGINE})")
    estimate.add_argument("--label-engine", choices=get_args(LabelEngineName), help="scene labels (default: none)")
    estimate.add_argument("--video-codec", choices=[c.value for c in VideoCodec], help=VIDEO_CODEC_HELP)
    estimate.set_defaults(command=_estimate)

    invoke = sub.add_parser(
        "invoke",
        help="run one function's handler with an event file, like `sam local invoke`",
        description="Runs FUNCTION's handler (as named by the template) with its template environment, against "
        "a fresh local stack that holds the built-in sample at s3://reelflow-storageingest/samples/sample.mp4 "
        "(the object the events in events/ refer to). Steps that read earlier stages' outputs "
        "(TranscodePackage: the chunks; Scenes: the ScenePart measurements; SceneSpeech and Trailer: scenes.json "
        "and transcript.json) fail alone with a missing-object error: `reelflow run` runs the whole chain. Captions transcribes the whole source in one pass when its event "
        "lists no caption_parts.",
    )
    invoke.add_argument("function", help="function name as in the template, e.g. Probe or TranscodeChunk "
                        "(an unknown name lists them all)")
    invoke.add_argument("--event", type=Path, required=True, help="JSON event file, e.g. events/probe.json")
    invoke.set_defaults(command=_invoke)

    serve = sub.add_parser(
        "serve",
        help="serve the Studio REST API on 127.0.0.1 against a local stack",
        description="Starts the local stack and serves the API function over HTTP, the way API Gateway would "
        "(routes, x-api-key, limits). Presigned upload URLs point at the local S3, so an upload PUT to one "
        "starts a job through the normal event path. Ctrl-C stops.",
    )
    serve.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (default: 3000; 0 picks a free one)")
    serve.add_argument("--api-key", help="the default tenant's key (default: $REELFLOW_API_KEY; $REELFLOW_API_KEYS=\"tenant-a:key-a,...\" adds tenants; else generated)")
    serve.add_argument("--open-docs", action="store_true", help="serve /swagger and /openapi.json without a key")
    serve.add_argument("--cold", action="store_true", help="a fresh handler process per request (slower)")
    serve.set_defaults(command=_serve)
    return parser


def _quiet_libraries() -> None:
    # moto and werkzeug log every expected failure (404s on HEAD, conditional checks) loudly.
    for name in ("moto", "werkzeug", "botocore", "urllib3"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _start_cloud(workdir: Path) -> LocalCloud:
    print("Preparing the local stack (synthesized template, moto on 127.0.0.1)...", flush=True)
    template = stack_template()
    return LocalCloud(template, workdir).start()


def _run(args: argparse.Namespace) -> int:
    from reelflow.local.jobs import download_outputs, expected_job, upload_source, wait_for_job

    source: Path = args.path
    if not source.is_file():
        print(f"error: {source} is not a file", file=sys.stderr)
        return 2
    options = _job_options(args)  # a bad option fails before the stack starts
    workdir = Path(tempfile.mkdtemp(prefix="reelflow-run-"))
    started = time.monotonic()
    cloud = _start_cloud(workdir)
    cloud.listeners.append(_progress_printer(started))
    try:
        ref = upload_source(cloud, source, args.key, options)
        job_id, asset_id = expected_job(ref)
        print(f"Uploaded s3://{ref.bucket}/{ref.key} ({ref.size:,} bytes) -> job {job_id}", flush=True)
        outcome = wait_for_job(cloud, job_id, asset_id, timeout=args.timeout)
        out_dir = download_outputs(cloud, asset_id, args.out)
    finally:
        cloud.stop()
        if not args.debug:
            shutil.rmtree(workdir, ignore_errors=True)
    _print_summary(outcome, out_dir, time.monotonic() - started)
    code = 0 if outcome.status in ("COMPLETED", "PARTIAL") else 1
    if args.open and (out_dir / REVIEW_PAGE).is_file():
        open_review(out_dir)
    return code


REVIEW_PAGE = "review/index.html"


class NoAssetFolder(FileNotFoundError):
    """Raised by `reelflow open` when the target names no asset folder holding a review page."""


def asset_folder(target: str | None, out: Path) -> Path:
    """The folder `reelflow open` serves: TARGET as a folder, else as an asset id under OUT; without TARGET the
    asset folder under OUT written last."""
    if target is None:
        folders = sorted((p for p in out.glob("*/") if (p / "manifest.json").is_file()),
                         key=lambda p: (p / "manifest.json").stat().st_mtime)
        if not folders:
            raise NoAssetFolder(f"no asset folder under {out}/ (run `reelflow run FILE` first, or name one)")
        folder = folders[-1]
    else:
        folder = Path(target) if Path(target).is_dir() else out / target
    if not (folder / REVIEW_PAGE).is_file():
        raise NoAssetFolder(f"{folder} has no {REVIEW_PAGE} (not an asset folder, or a job from before review pages)")
    return folder


def open_review(folder: Path, *, port: int = 0, browser: bool = True, out=print,
                stop: threading.Event | None = None) -> int:
    """Serve `folder` on 127.0.0.1 and open its review page (or print the URL) until Ctrl-C or `stop`."""
    import webbrowser

    from reelflow.local.files import serve_folder

    with serve_folder(folder, port) as base:
        url = f"{base}/{REVIEW_PAGE}"
        opened = browser and webbrowser.open(url)
        out(f"Review page: {url}" + ("   (opened in your browser)" if opened else "   (open it in a browser)"))
        out(f"Serving {folder}/ on {base}. Ctrl-C stops.")
        try:
            (stop or threading.Event()).wait()
        except KeyboardInterrupt:
            pass
    return 0


def _open(args: argparse.Namespace) -> int:
    try:
        folder = asset_folder(args.target, args.out)
    except NoAssetFolder as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return open_review(folder, port=args.port, browser=not args.no_browser,
                       out=lambda line: print(line, flush=True))


def _job_options(args: argparse.Namespace):
    from functions.core.models import JobOptions

    chosen = {
        "caption_engine": args.caption_engine,
        "label_engine": args.label_engine,
        "language": args.language,
        "trailer_seconds": args.trailer_seconds,
        "trailer_title": args.trailer_title,
        "burn_captions": args.burn_captions or None,
        "transcribe_vocabulary": args.transcribe_vocabulary,
        "language_options": args.language_options,
        "speaker_labels": args.speaker_labels or None,
        "max_speakers": args.max_speakers,
        "max_cost_usd": args.max_cost_usd,
        "max_duration_seconds": args.max_duration,
        "stages": args.stages,
        "renditions": args.renditions,
        "video_codec": args.video_codec,
    }
    return JobOptions.model_validate({k: v for k, v in chosen.items() if v is not None})


def _estimate(args: argparse.Namespace) -> int:
    from functions.core.cost.estimate import estimate_job, synthetic_source
    from functions.core.models import JobOptions
    from functions.core.probe import probe_media
    from reelflow.costs import estimate_lines

    if args.path is not None:
        if args.duration is not None or args.height is not None:
            print("error: give a PATH or --duration and --height, not both", file=sys.stderr)
            return 2
        if not args.path.is_file():
            print(f"error: {args.path} is not a file", file=sys.stderr)
            return 2
        info = probe_media(str(args.path.resolve()), size=args.path.stat().st_size)
    elif args.duration is not None and args.height is not None:
        if args.duration <= 0 or args.height < 0:
            print("error: --duration must be above 0 and --height at least 0", file=sys.stderr)
            return 2
        info = synthetic_source(args.duration, args.height)
    else:
        print("error: give a PATH, or --duration and --height", file=sys.stderr)
        return 2
    options = JobOptions.model_validate({k: v for k, v in {"caption_engine": args.caption_engine,
                                                           "label_engine": args.label_engine,
                                                           "video_codec": args.video_codec}.items() if v})
    size = f"{info.width}x{info.height}" if info.has_video else "audio only"
    print(f"Footage: {info.duration:.1f} s, {size}")
    print("\n".join(estimate_lines(estimate_job(info, options))))
    return 0


def _choices_list(choices: tuple[str, ...]):
    """An argparse type: comma-separated names, each one of `choices`."""
    def parse(value: str) -> list[str]:
        names = [v.strip() for v in value.split(",") if v.strip()]
        unknown = [n for n in names if n not in choices]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"{','.join(unknown) or value!r}: choose from {','.join(choices)}")
        return list(dict.fromkeys(names))
    return parse


def _int_list(value: str) -> list[int]:
    try:
        numbers = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: whole numbers, comma-separated, e.g. 720,480") from None
    if not numbers or min(numbers) <= 0:
        raise argparse.ArgumentTypeError(f"{value!r}: one or more heights in pixels, e.g. 720,480")
    return numbers


def _register_event_api_key(cloud, event: dict) -> None:
    """An API event's key id (API Gateway puts it in the request context) belongs to the default tenant
    on this fresh stack, as an operator would have mapped it; otherwise the handler answers 403."""
    from functions.core.models import DEFAULT_TENANT
    from functions.core.repository import TenantDirectory

    identity = (event.get("requestContext") or {}).get("identity") or {} if isinstance(event, dict) else {}
    if identity.get("apiKeyId"):
        TenantDirectory(cloud.table_name).register(DEFAULT_TENANT, identity["apiKeyId"])


def _invoke(args: argparse.Namespace) -> int:
    event = json.loads(args.event.read_text())
    workdir = Path(tempfile.mkdtemp(prefix="reelflow-invoke-"))
    cloud = _start_cloud(workdir)
    try:
        from reelflow.local.jobs import upload_source

        fn = cloud.function(args.function)
        upload_source(cloud, REPO_ROOT / SAMPLE_KEY, key=SAMPLE_KEY)
        _register_event_api_key(cloud, event)
        result, errored = cloud.run_handler(fn, event)
        log = sorted((workdir / "logs").glob(f"{fn.logical_id}-*.log"))
        if log:
            sys.stderr.write(log[-1].read_text())
    finally:
        cloud.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if errored:
        print(f"{result['errorType']}: {result['errorMessage']}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from reelflow.local.serve import API_FUNCTION, serve

    workdir = Path(tempfile.mkdtemp(prefix="reelflow-serve-"))
    started = time.monotonic()
    cloud = _start_cloud(workdir)
    api = cloud.function(API_FUNCTION)
    printer = _progress_printer(started)
    cloud.listeners.append(lambda invocation: invocation.function is api or printer(invocation))
    try:
        return serve(cloud, port=args.port, api_key=args.api_key, cold=args.cold, open_docs=args.open_docs,
                     out=lambda line: print(line, flush=True))
    finally:
        cloud.stop()
        if not args.debug:
            shutil.rmtree(workdir, ignore_errors=True)


def stage_label(invocation: Invocation) -> str:
    name = construct_name(invocation.function.logical_id).removeprefix("Functions")
    event = invocation.event if isinstance(invocation.event, dict) else {}
    if "chunk" in event:
        total = len(event.get("probe", {}).get("plan", {}).get("chunks", [])) or "?"
        return f"{name} {event['chunk']['index'] + 1}/{total}"
    return name


def _progress_printer(started: float):
    lock = threading.Lock()  # invocations report from several threads (Parallel branches, Map)

    def show(invocation: Invocation) -> None:
        clock = f"[{time.monotonic() - started:6.1f}s]"
        label = stage_label(invocation)
        if invocation.ok is None:
            line = f"{clock} {label:<18} running..."
        elif invocation.ok:
            line = f"{clock} {label:<18} done in {invocation.seconds:.1f}s"
        else:
            line = f"{clock} {label:<18} failed: {(invocation.error or {}).get('errorMessage')}"
        with lock:
            print(line, flush=True)

    return show


def _print_summary(outcome, out_dir: Path, seconds: float) -> None:
    job = outcome.job
    print()
    print(f"Job {outcome.job_id}: {outcome.status} in {seconds:.1f}s")
    stages = job.get("stages") or {}
    width = max(map(len, stages), default=0)
    for name, stage in stages.items():
        line = f"  {name:<{width}} {stage['status']:<9} {stage.get('seconds', 0):6.2f}s"
        if stage.get("error"):
            line += f"  {stage['error']}"
        elif stage.get("note"):
            line += f"  ({stage['note']})"
        print(line)
    if job.get("cost"):
        from reelflow.costs import cost_lines

        print("\n".join(cost_lines(job["cost"])))
    if outcome.status == "FAILED":
        print(f"FAILED: {outcome.error or 'see ' + str(out_dir / 'manifest.json')}")
    outputs = job.get("outputs") or {}
    if "review" in outputs:
        print(f"Review page: {out_dir / outputs['review']}")
    if outputs:
        print(f"Outputs in {out_dir}/:")
        width = max(map(len, outputs))
        for name, rel in outputs.items():
            print(f"  {name:<{width}} {out_dir / rel}")
    if (out_dir / "manifest.json").exists():
        print(f"Manifest: {out_dir / 'manifest.json'}")


if __name__ == "__main__":
    entry()
