"""Load: N uploads at once through `reelflow serve` (the whole local stack behind the Studio API).

Every upload goes the way a studio's would (POST /uploads, then the presigned form POST). While the jobs run,
a client keeps listing jobs and the benchmark records the API's latency. At the end: every job ended (none lost,
none duplicated: one job per upload), the ingest dead-letter queue is empty, jobs per minute, and the API's
p50/p95 latency under that load. `python -m bench.bench_load --uploads 20` is the issue's load case;
`tests/e2e/test_api_http.py` runs `run_load` with five uploads on the test suite's server.
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
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import requests

from tests.media import make_clip

KEY = "bench-load-key-0123456789abcdef"
TERMINAL = {"COMPLETED", "PARTIAL", "FAILED", "CANCELLED"}


@dataclass
class LoadResult:
    """What a load run left: each upload's asset and how its job ended, and what the API and the queue saw."""

    statuses: dict[str, str]  # asset id -> its job's final status (missing: never ended)
    jobs_per_asset: dict[str, int]  # asset id -> jobs the API lists for it
    dead_letters: int
    uploaded_seconds: float
    elapsed_seconds: float
    latencies: list[float] = field(default_factory=list)

    @property
    def lost(self) -> list[str]:
        return [a for a, n in self.jobs_per_asset.items() if n == 0 or a not in self.statuses]

    @property
    def duplicated(self) -> list[str]:
        return [a for a, n in self.jobs_per_asset.items() if n > 1]

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicated and not self.dead_letters

    def percentile_ms(self, q: int) -> float:
        values = self.latencies
        return 1000 * (statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0])


def dead_letters(moto_endpoint: str) -> int:
    """Messages waiting in the local stack's ingest dead-letter queue."""
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    dlq = next(u for u in sqs.list_queues()["QueueUrls"] if "dlq" in u.lower())
    return int(sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
               ["Attributes"]["ApproximateNumberOfMessages"])


def run_load(url: str, key: str, moto_endpoint: str, clips: list[Path], *, options: dict | None = None,
             timeout: float = 1800) -> LoadResult:
    """Upload every clip at once through the API, poll `GET /jobs` while the jobs run, and report how they ended.

    Works on a server other clients use too: jobs are counted per uploaded asset, not in total.
    """
    session = requests.Session()
    session.headers["x-api-key"] = key
    latencies: list[float] = []
    stop = threading.Event()

    def poll_api() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            session.get(f"{url}/jobs", params={"limit": 50}, timeout=60).raise_for_status()
            latencies.append(time.perf_counter() - started)
            stop.wait(0.25)

    started = time.monotonic()
    assets = []
    for clip in clips:
        body = {"filename": clip.name, "content_type": "video/mp4"} | ({"options": options} if options else {})
        created = session.post(f"{url}/uploads", json=body, timeout=60)
        created.raise_for_status()
        upload = created.json()
        sent = requests.post(upload["upload_url"], data=upload["upload_fields"],
                             files={"file": (clip.name, clip.read_bytes())}, timeout=60)
        if sent.status_code != 204:
            raise RuntimeError(f"upload of {clip.name} answered {sent.status_code}")
        assets.append(upload["asset_id"])
    uploaded = time.monotonic() - started
    poller = threading.Thread(target=poll_api, daemon=True)
    poller.start()
    statuses: dict[str, str] = {}
    try:
        while len(statuses) < len(assets) and time.monotonic() - started < timeout:
            for asset_id in assets:
                if asset_id not in statuses:
                    status = session.get(f"{url}/assets/{asset_id}", timeout=60).json().get("status")
                    if status in TERMINAL:
                        statuses[asset_id] = status
            time.sleep(1)
    finally:
        stop.set()
        poller.join()
    elapsed = time.monotonic() - started
    jobs: list[dict] = []
    token = None
    while True:
        page = session.get(f"{url}/jobs", params={"limit": 100} | ({"next_token": token} if token else {}),
                           timeout=60).json()
        jobs += page["items"]
        if not (token := page.get("next_token")):
            break
    per_asset = {a: sum(j["asset_id"] == a for j in jobs) for a in assets}
    return LoadResult(statuses, per_asset, dead_letters(moto_endpoint), uploaded, elapsed, latencies)


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each generated clip")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    clips = [make_clip(work / f"take {n:02d}.mp4", seconds=args.seconds + n * 0.04) for n in range(args.uploads)]
    proc, url, moto = start_server()
    try:
        result = run_load(url, KEY, moto, clips)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)

    statuses = list(result.statuses.values())
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(f"Load: {args.uploads} uploads of {args.seconds:.0f}-{args.seconds + args.uploads * 0.04:.1f} s clips "
          f"through reelflow serve (uploads took {result.uploaded_seconds:.1f} s)")
    print(f"  jobs ended: {len(result.statuses)}/{len(clips)} {counts}; lost: {len(result.lost)}, "
          f"duplicated: {len(result.duplicated)}; ingest DLQ messages: {result.dead_letters}")
    print(f"  all done in {result.elapsed_seconds:.0f} s: "
          f"{len(clips) / result.elapsed_seconds * 60:.1f} jobs per minute on this machine")
    print(f"  API under load: {len(result.latencies)} GET /jobs, p50 {result.percentile_ms(50):.0f} ms, "
          f"p95 {result.percentile_ms(95):.0f} ms")
    if not result.ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
