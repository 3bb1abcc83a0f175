"""Load: N uploads at once through `reelflow serve` (the whole local stack behind the Studio API).

Every upload goes the way a studio's would (POST /uploads, then the presigned form POST). While the jobs run,
a client keeps listing jobs and the benchmark records the API's latency. At the end: every job ended (none lost,
none duplicated: one execution per upload), the ingest dead-letter queue is empty, jobs per minute, and the
API's p50/p95 latency under that load. `python -m bench.bench_load --uploads 20` (the issue's load case; the
test suite runs five).
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import requests

from tests.media import make_clip

KEY = "bench-load-key-0123456789abcdef"
TERMINAL = {"COMPLETED", "PARTIAL", "FAILED", "CANCELLED"}


def start_server() -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen([sys.executable, "-m", "reelflow.cli", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=os.environ | {"REELFLOW_API_KEYS": f"bench:{KEY}", "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Ctrl-C stops"):
            break
    text = "".join(lines)
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # keep the pipe drained
    url = re.search(r"Studio API:\s+(\S+)", text)[1]
    moto = re.search(r"S3 \(moto\):\s+(\S+)", text)[1]
    return proc, url, moto


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each generated clip")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    clips = [make_clip(work / f"take {n:02d}.mp4", seconds=args.seconds + n * 0.04) for n in range(args.uploads)]
    proc, url, moto = start_server()
    session = requests.Session()
    session.headers["x-api-key"] = KEY
    latencies: list[float] = []
    stop = threading.Event()

    def poll_api() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            session.get(f"{url}/jobs", params={"limit": 50}, timeout=60).raise_for_status()
            latencies.append(time.perf_counter() - started)
            stop.wait(0.25)

    try:
        started = time.monotonic()
        assets = []
        for clip in clips:
            created = session.post(f"{url}/uploads", json={"filename": clip.name, "content_type": "video/mp4"},
                                   timeout=60)
            created.raise_for_status()
            upload = created.json()
            sent = requests.post(upload["upload_url"], data=upload["upload_fields"],
                                 files={"file": (clip.name, clip.read_bytes())}, timeout=60)
            assert sent.status_code == 204, sent.text
            assets.append(upload["asset_id"])
        uploaded = time.monotonic() - started
        poller = threading.Thread(target=poll_api, daemon=True)
        poller.start()
        statuses: dict[str, str] = {}
        while len(statuses) < len(assets):
            for asset_id in assets:
                if asset_id not in statuses:
                    status = session.get(f"{url}/assets/{asset_id}", timeout=60).json().get("status")
                    if status in TERMINAL:
                        statuses[asset_id] = status
            time.sleep(1)
        elapsed = time.monotonic() - started
        stop.set()
        poller.join()
        jobs = session.get(f"{url}/jobs", params={"limit": 100}, timeout=60).json()["items"]
        sqs = boto3.client("sqs", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        dlq = next(u for u in sqs.list_queues()["QueueUrls"] if "dlq" in u.lower())
        dead = int(sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
                   ["Attributes"]["ApproximateNumberOfMessages"])
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)

    counts = {s: list(statuses.values()).count(s) for s in sorted(set(statuses.values()))}
    print(f"Load: {args.uploads} uploads of {args.seconds:.0f}-{args.seconds + args.uploads * 0.04:.1f} s clips "
          f"through reelflow serve (uploads took {uploaded:.1f} s)")
    print(f"  jobs ended: {len(statuses)}/{len(assets)} {counts}; jobs listed: {len(jobs)} "
          f"(one per upload: {'yes' if len(jobs) == len(assets) else 'NO'}); ingest DLQ messages: {dead}")
    print(f"  all done in {elapsed:.0f} s: {len(assets) / elapsed * 60:.1f} jobs per minute on this machine")
    print(f"  API under load: {len(latencies)} GET /jobs, p50 {percentile(latencies, 50) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 95) * 1000:.0f} ms")
    if len(statuses) != len(assets) or len(jobs) != len(assets) or dead:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
