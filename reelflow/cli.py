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

from functions.core.models import DEFAULT_CAPTION_ENGINE, OPTIONAL_STAGES, CaptionEngineName, LabelEngineName
from reelflow.local.cloud import Invocation, LocalCloud, construct_name
from reelflow.local.template import REPO_ROOT, stack_template

DEFAULT_OUT = Path("reelflow-out")
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
    run.add_argument("--trailer-seconds", type=float,
                     help="trailer length (default: 30 s, or a third of footage shorter than 90 s)")
    run.add_argument("--trailer-title", help="title card text for the trailer")
    run.add_argument("--burn-captions", action="store_true", help="burn the captions into the trailer")
    run.add_argument("--timeout", type=float, default=3600, help="give up after this many seconds (default: 3600)")
    run.set_defaults(command=_run)

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
    invoke.add_argument("function", help="function name as in the template: Ingest, Probe, TranscodeChunk, "
                        "TranscodePackage, CaptionPart, Captions, TranscribeStart, ScenePart, Scenes, SceneSpeech, "
                        "Trailer, Finalize, Api")
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
    return 0 if outcome.status in ("COMPLETED", "PARTIAL") else 1


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
        "stages": args.stages,
        "renditions": args.renditions,
    }
    return JobOptions.model_validate({k: v for k, v in chosen.items() if v is not None})


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
    if outcome.status == "FAILED":
        print(f"FAILED: {outcome.error or 'see ' + str(out_dir / 'manifest.json')}")
    outputs = job.get("outputs") or {}
    if outputs:
        print(f"Outputs in {out_dir}/:")
        width = max(map(len, outputs))
        for name, rel in outputs.items():
            print(f"  {name:<{width}} {out_dir / rel}")
    if (out_dir / "manifest.json").exists():
        print(f"Manifest: {out_dir / 'manifest.json'}")


if __name__ == "__main__":
    entry()
