"""`reelflow serve` and `reelflow open` stop on Ctrl-C even when the signal lands on one of their server threads."""
import subprocess
import sys
import threading

from reelflow.local.waiting import wait_until_stopped
from tests.conftest import REPO

# SIGINT sent to a sleeping server thread, not the main thread: Linux may deliver a process's signal to either.
SCRIPT = """
import signal, threading, time
from reelflow.local.waiting import wait_until_stopped
server = threading.Thread(target=time.sleep, args=(60,), daemon=True)
server.start()
threading.Timer(0.2, signal.pthread_kill, (server.ident, signal.SIGINT)).start()
started = time.monotonic()
try:
    wait_until_stopped()
except KeyboardInterrupt:
    print(round(time.monotonic() - started, 3))
"""


def test_ctrl_c_taken_by_another_thread_still_stops_the_wait_promptly():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 2.0  # an unbounded Event.wait() never wakes for it


def test_the_wait_ends_when_stop_is_set():
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    wait_until_stopped(stop)
    assert stop.is_set()
