"""A warm parent for handler processes: imports the heavy libraries once, then forks one child
per invocation. Each child gets the function's environment and imports the handler itself, so
isolation is that of a fresh process while start-up costs milliseconds instead of seconds.

Protocol (one JSON object per line): requests on stdin
`{"id", "handler", "env", "event_file", "result_file", "log_file"}`, or `{"kill": id}` to stop an invocation
(with everything it started) the way Lambda stops one at its timeout; replies on stdout `{"ready": true}` once,
then `{"done": id, "exit": code, "maxrss_kb": n, "cpu_seconds": s}` per invocation, where n is the largest resident
set of the child or any process it started and waited for (ffmpeg), and s the CPU time (user and system) of them all,
from wait4.
"""
from __future__ import annotations

import importlib
import itertools
import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import NamedTuple, NoReturn

# Handlers (and the ffmpeg they start) yield the machine to the API, moto and the state machine's interpreter:
# Lambda runs them elsewhere, and a local stack busy encoding should still answer `GET /jobs` promptly.
HANDLER_NICENESS = 10
# Imported before forking: nothing here reads a function's environment at import time.
PRELOAD = (
    "boto3",
    "botocore.session",
    "pydantic",
    "aws_xray_sdk.core",
    "aws_lambda_powertools",
    "aws_lambda_powertools.utilities.parser",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.event_handler",
    "av",
    "ffmpeg",
    "imageio_ffmpeg",
)


class ChildUsage(NamedTuple):
    """How one invocation's process (and everything it started and waited for) ended and what it used."""

    exit: int
    maxrss_kb: int  # 0 if unknown
    cpu_seconds: float  # user + system: unlike wall time, not stretched by other work on the machine


class InvocationTimedOut(Exception):
    """Raised by `Zygote.run` when an invocation ran past its timeout and was killed (args: the timeout)."""


class Zygote:
    """The runtime's side: start the warm parent once, then `run` invocations from any thread."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "reelflow.local.zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )
        assert self._process.stdout is not None
        if json.loads(self._process.stdout.readline() or b"{}").get("ready") is not True:
            raise RuntimeError("The local Lambda runtime (reelflow.local.zygote) failed to start")
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[threading.Event, list]] = {}  # [exit code, peak RSS KB, CPU seconds]
        threading.Thread(target=self._read_replies, name="zygote-replies", daemon=True).start()

    def run(self, handler: str, env: dict[str, str], event_file: Path, result_file: Path, log_file: Path,
            timeout: float | None = None) -> ChildUsage:
        """Run one invocation in a forked child; blocks until it exits and returns its exit code, peak resident
        memory and CPU time. After `timeout` seconds the child and its own children are killed and
        InvocationTimedOut is raised."""
        request_id = str(next(self._ids))
        done, code = threading.Event(), [1, 0, 0.0]
        request = {"id": request_id, "handler": handler, "env": env, "event_file": str(event_file),
                   "result_file": str(result_file), "log_file": str(log_file)}
        with self._lock:
            self._waiting[request_id] = (done, code)
            self._send(request)
        if done.wait(timeout):
            return ChildUsage(*code)
        with self._lock:
            self._send({"kill": request_id})
        done.wait()
        raise InvocationTimedOut(timeout)

    def _send(self, message: dict) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(message).encode() + b"\n")
        self._process.stdin.flush()

    def _read_replies(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            reply = json.loads(line)
            with self._lock:
                done, code = self._waiting.pop(reply["done"])
            code[:] = reply["exit"], reply.get("maxrss_kb", 0), reply.get("cpu_seconds", 0.0)
            done.set()
        with self._lock:  # the parent died: release every waiter
            for done, _ in self._waiting.values():
                done.set()
            self._waiting.clear()

    def stop(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()


def _reply(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _child(request: dict) -> None:
    log = os.open(request["log_file"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.clear()
    os.environ.update(request["env"])
    from reelflow.local.invoke import run_invocation

    run_invocation(request["handler"], Path(request["event_file"]), Path(request["result_file"]))


def main() -> None:
    for module in PRELOAD:
        try:
            importlib.import_module(module)
        except ImportError:
            pass
    _reply({"ready": True})
    running: dict[int, str] = {}
    buffer = b""
    stdin = sys.stdin.fileno()
    while True:
        readable, _, _ = select.select([stdin], [], [], 0.05)
        if readable:
            chunk = os.read(stdin, 65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                if "kill" in request:
                    _kill([pid for pid, rid in running.items() if rid == request["kill"]])
                    continue
                pid = os.fork()
                if pid == 0:
                    os.setpgid(0, 0)  # its own group, so stopping it also stops the ffmpeg it started
                    os.nice(HANDLER_NICENESS)
                    code = 0
                    try:
                        _child(request)
                    except BaseException:  # noqa: BLE001 - the parent reports a dead child
                        code = 1
                    finally:
                        for stream in (sys.stdout, sys.stderr):
                            try:
                                stream.flush()
                            except Exception:  # noqa: BLE001
                                pass
                        os._exit(code)
                try:
                    os.setpgid(pid, pid)  # also here, so a kill that comes first still finds the group
                except OSError:
                    pass
                running[pid] = request["id"]
        while running:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
            if pid == 0:
                break
            _reply({"done": running.pop(pid), "exit": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
                    "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3)})
    _stop(running)


def _kill(pids: list[int]) -> None:
    """Kill each child's process group: the handler and whatever it started (ffmpeg)."""
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _stop(running: dict[int, str]) -> NoReturn:
    """The parent closed stdin (the local cloud is stopping): invocations still running are abandoned, as
    Lambda abandons them when a deployment goes away, rather than left orphaned. Then exit at once: the
    interpreter's final garbage collection of the preloaded libraries took seconds here and nothing needs it."""
    _kill(list(running))
    for pid in running:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
