"""Waiting for Ctrl-C in a process whose other threads serve requests."""
from __future__ import annotations

import threading

POLL_SECONDS = 0.25


def wait_until_stopped(stop: threading.Event | None = None) -> None:
    """Block until `stop` is set or Ctrl-C (KeyboardInterrupt) arrives.

    Linux hands a process's SIGINT to whichever thread is running; Python only acts on it in the main thread, and a
    main thread asleep in an unbounded `Event.wait()` is not woken when a server thread took the signal. Waking a
    few times a second lets the interpreter raise KeyboardInterrupt promptly, whoever received the signal."""
    stop = stop or threading.Event()
    while not stop.wait(POLL_SECONDS):
        pass
