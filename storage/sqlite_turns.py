"""SQLite's one writer, taken in turn by the bot's processes on one box (the web process and its
worker), with the writes someone is waiting for first.

SQLite's own busy handler polls with growing sleeps (up to 100 ms each), so an event's inbox
row, written before Slack's ack, could wait behind the worker's transactions many times over.
Instead each process holds a lock on a file beside the database while it writes: a waiter is
woken by the kernel the moment the lock is free. And while a process has urgent writes waiting
(acks), it holds a shared lock on a second byte that a yielding process (the worker) must be
able to take before each of its transactions: the worker lets acks go first, for a moment.

POSIX record locks belong to the process, not the thread; Turns (storage/db.py) already lets one
thread of a process write at a time, so a process-wide lock is what is needed here."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

# Byte 0: the writer. Byte 1: "acks are waiting" (shared by processes with acks to write).
WRITER, ACKS = 0, 1
# The longest a yielding process waits for acks before writing anyway: under a flood of events
# acks are always waiting, and the worker must still make progress.
YIELD_AT_MOST = 0.1


class ProcessTurns:
    """The write lock across this box's processes, for one SQLite file."""

    def __init__(self, database_file: str, *, yields: bool):
        self.yields = yields
        self._fd = os.open(f"{database_file}-turn", os.O_RDWR | os.O_CREAT, 0o600)
        self._urgent = 0
        self._lock = threading.Lock()

    @classmethod
    def for_file(cls, database_file: str | None, *, yields: bool) -> ProcessTurns | None:
        """None for a database no other process can share (in memory)."""
        if not database_file or database_file == ":memory:" or "mode=memory" in database_file:
            return None
        if not Path(database_file).parent.is_dir():
            return None  # a missing folder: SQLite itself will say so
        return cls(database_file, yields=yields)

    def urgent_waiting(self) -> None:
        """A write someone waits for is queued here: yielding processes hold back."""
        with self._lock:
            self._urgent += 1
            if self._urgent == 1:
                fcntl.lockf(self._fd, fcntl.LOCK_SH, 1, ACKS)

    def urgent_done(self) -> None:
        with self._lock:
            self._urgent -= 1
            if self._urgent == 0:
                fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, ACKS)

    def acquire(self, *, urgent: bool) -> None:
        if self.yields and not urgent:
            self._let_acks_go_first()
        fcntl.lockf(self._fd, fcntl.LOCK_EX, 1, WRITER)

    def release(self) -> None:
        fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, WRITER)

    def _let_acks_go_first(self) -> None:
        deadline = time.monotonic() + YIELD_AT_MOST
        while True:
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, ACKS)
            except OSError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.001)
                continue
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, ACKS)
            return

    def close(self) -> None:
        os.close(self._fd)
