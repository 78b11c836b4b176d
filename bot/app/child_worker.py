"""`python -m bot` (run) on one box: the HTTP server in this process, the worker (events,
reminders, escalations, housekeeping) in a child process beside it.

Why two processes: Python runs one thread at a time, so a worker logging a storm of replies in
the same process made every ack wait its turn for the interpreter (bench/RESULTS.md). Apart,
the operating system shares the machine's cores between them and an ack waits for nothing.

The child's stdin is a pipe from this process: a byte on it says "an event was recorded, look
now" (no polling delay), and its end, however this process ends (even `kill -9`), tells the
child to stop gracefully, so a worker is never left behind."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger("bot")

# Set in the child's environment: it is `run`'s worker, and reads its stdin as above.
CHILD_ENV = "CASEKEEPER_WORKER_OF_RUN"
# A child that dies is started again after this, doubling up to the most.
RESTART_FIRST, RESTART_MOST = 1.0, 30.0
# Wakes closer together than this are one (the child polls every 0.1 s besides).
WAKE_AT_MOST_EVERY = 0.005
# The child runs at a lower priority: when the box is busy the kernel serves the acks (3 s
# limit) first; events and reminders wait a moment, which nobody sees.
CHILD_NICENESS = 5


class ChildWorker:
    """The worker process `run` starts, kept running until stop()."""

    def __init__(self, env: dict[str, str] | None = None, command: list[str] | None = None):
        """`env`: what the child needs beyond this process's environment (the settings this
        process took out of its own: bot/app/environment.py read_by_settings)."""
        self.command = command or [sys.executable, "-m", "bot", "worker"]
        self.env = env or {}
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watch: threading.Thread | None = None
        self._last_wake = 0.0

    def start(self) -> None:
        self._spawn()
        self._watch = threading.Thread(target=self._keep_running, name="child-worker", daemon=True)
        self._watch.start()

    def _spawn(self) -> None:
        # Its own session: a Ctrl-C at the terminal reaches this process, which then stops the
        # child itself, in order, instead of both racing.
        process = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            env={**os.environ, **self.env, CHILD_ENV: "1"},
            start_new_session=True,
        )
        assert process.stdin is not None
        # A wake must never block a request thread: when the pipe is full, the child has a
        # wake waiting already.
        os.set_blocking(process.stdin.fileno(), False)
        with self._lock:
            self._process = process
        log.info("worker.child_started pid=%s", process.pid)

    def wake(self) -> None:
        """An event was recorded: the child looks at the inbox now. No lock: this runs before
        every event's ack, and a one-byte write to a pipe is atomic."""
        process = self._process
        if process is None or process.stdin is None:
            return
        # Under a storm one wake in a few milliseconds is plenty (the child takes everything
        # recorded when it looks), and each write costs the request a turn at the interpreter.
        now = time.monotonic()
        if now - self._last_wake < WAKE_AT_MOST_EVERY:
            return
        self._last_wake = now
        # Full: a wake is pending already. Gone: it polls anyway, or is being restarted.
        with contextlib.suppress(OSError, ValueError):
            os.write(process.stdin.fileno(), b"\n")

    def _keep_running(self) -> None:
        wait = RESTART_FIRST
        while not self._stopping.is_set():
            process = self._process
            if process is None:
                return
            status = process.wait()
            if self._stopping.is_set():
                return
            log.error("worker.child_died status=%s restarting_in=%.0fs", status, wait)
            if self._stopping.wait(wait):
                return
            wait = min(wait * 2, RESTART_MOST)
            self._spawn()

    def stop(self, deadline: float) -> None:
        """Close its stdin (it stops gracefully: the notification being sent and the events
        being handled finish), wait until `deadline`, then kill it."""
        self._stopping.set()
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(max(0.5, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("shutdown.gave_up_waiting on=worker_child pid=%s", process.pid)
            process.kill()
            process.wait(5)


def follow_parent(wake: Callable[[], None], stop: threading.Event) -> None:
    """In the child: each byte on stdin wakes the event feed; its end means `run` is gone."""
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)

    def read() -> None:
        stdin = sys.stdin.buffer
        while True:
            try:
                chunk = os.read(stdin.fileno(), 4096)
            except OSError:
                chunk = b""
            if not chunk:
                log.info("worker.parent_gone stopping")
                stop.set()
                return
            wake()

    threading.Thread(target=read, name="parent-pipe", daemon=True).start()


def is_child() -> bool:
    return os.environ.get(CHILD_ENV) == "1"
