"""Bounded pools of threads for the work a request leaves after its ack.

Bolt's own listener executor is one unbounded FIFO: a command that must ack in 3 seconds would
wait there behind event work acknowledged long ago, and memory would grow with every event
queued. So the request path has lanes (DESIGN.md §7), each a BoundedPool: a fixed number of
threads and a queue of fixed size. submit() never blocks; when the queue is full it says so
and the caller decides (an event stays in the durable inbox, a command is told "busy")."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class BoundedPool:
    def __init__(self, name: str, *, threads: int, capacity: int):
        self.name = name
        self.capacity = capacity
        self._threads_wanted = threads
        # (priority, order, work): urgent work (0) goes before the rest (1), each in order.
        self._queue: list[tuple[int, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._busy = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []

    def start(self) -> BoundedPool:
        for number in range(self._threads_wanted):
            thread = threading.Thread(target=self._run, name=f"{self.name}-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def submit(self, work: Callable[[], None], *, urgent: bool = False) -> bool:
        """Queue `work`; False (and nothing queued) when the pool is full or stopping."""
        with self._changed:
            if self._stopping or len(self._queue) >= self.capacity:
                return False
            heapq.heappush(self._queue, (0 if urgent else 1, next(self._order), work))
            self._changed.notify()
        return True

    def take_more(self, like: Callable[[Callable[[], None]], bool], limit: int) -> list[Callable[[], None]]:
        """For work that is cheaper done together (a storm of thread replies logged in one
        transaction): take up to `limit` more items from the head of the queue, as long as
        `like` accepts them, in order. The caller does them as part of its own run, so the
        pool counts them busy until that run ends."""
        taken: list[Callable[[], None]] = []
        with self._changed:
            while self._queue and len(taken) < limit and like(self._queue[0][2]):
                taken.append(heapq.heappop(self._queue)[2])
        return taken

    @property
    def depth(self) -> int:
        """Work queued and not yet started."""
        with self._changed:
            return len(self._queue)

    def room(self) -> int:
        with self._changed:
            return self.capacity - len(self._queue)

    def idle(self) -> bool:
        with self._changed:
            return not self._queue and not self._busy

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued or running (tests, and a graceful stop)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def shutdown(self, *, wait: bool = True, timeout: float | None = None, drop_queued: bool = False) -> None:
        """Stop taking work; finish what is queued (or, `drop_queued`, only what is running)."""
        with self._changed:
            self._stopping = True
            if drop_queued:
                self._queue.clear()
            self._changed.notify_all()
        if wait:
            deadline = None if timeout is None else time.monotonic() + timeout
            for thread in self._threads:
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self._stopping:
                    self._changed.wait()
                if not self._queue:
                    return
                _, _, work = heapq.heappop(self._queue)
                self._busy += 1
            try:
                work()
            except Exception:
                log.exception("pool.work_failed pool=%s", self.name)
            finally:
                with self._changed:
                    self._busy -= 1
                    self._changed.notify_all()
