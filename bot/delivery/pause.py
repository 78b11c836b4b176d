"""Whether a dispatcher is holding back because Slack is failing."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from bot.delivery.outcomes import Retry, backoff


class Pause:
    """Whether this dispatcher is holding back because Slack is failing. Read and written by
    the dispatcher thread and by listener threads (deliver_now), so behind a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.until: datetime | None = None
        self.set_at: datetime | None = None
        self.failures = 0

    def remaining(self, now: datetime) -> timedelta | None:
        with self._lock:
            until = self.until
        return until - now if until is not None and now < until else None

    def failed(self, now: datetime, retry: Retry) -> tuple[timedelta, int]:
        """Pause from `now`; returns how long, and how many failures in a row."""
        with self._lock:
            self.failures += 1
            # 429: exactly Retry-After. Otherwise probe again after a growing pause.
            pause = retry.after if retry.rate_limited else backoff(self.failures)
            self.until, self.set_at = now + pause, now
            return pause, self.failures

    def succeeded(self, claimed_at: datetime) -> None:
        with self._lock:
            # A send that started before the pause was set proves nothing about Slack now.
            if self.set_at is None or claimed_at >= self.set_at:
                self.until, self.set_at, self.failures = None, None, 0
