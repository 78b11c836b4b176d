"""Whether a dispatcher is holding back because Slack is failing."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from bot.delivery.outcomes import Retry, backoff

# After Slack last answered 429, sending stays one at a time this long. While Slack's limit is
# what holds messages back, sending side by side gains nothing: it only earns more 429s, and
# lets a later message take the turn an earlier one was waiting for (bench/: side by side
# under the workspace's limit, 17 times the 429s and p99 lateness 2.3 s over the floor's,
# against 0.7 s one at a time).
RATE_LIMITED_FOR = timedelta(seconds=10)


class Pause:
    """Whether this dispatcher is holding back because Slack is failing. Read and written by
    the sender threads and by listener threads (deliver_now), so behind a lock.

    Sends run side by side, so what one proves depends on when it began: each send takes a
    ticket first. A failure or a success of a send that began before the latest pause was set
    was in flight when Slack was already known to fail: it neither lengthens the backoff (ten
    sends failing at once are one failure, not ten) nor lifts the pause."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.until: datetime | None = None
        self.failures = 0
        # Bumped each time a pause is set: a ticket is the number when its send began.
        self._pauses = 0
        self.limited_at: datetime | None = None
        # Why the latest pause was set: "rate_limited" (429) or "slack_failing" (5xx, unreachable).
        self.reason: str | None = None

    def ticket(self) -> int:
        with self._lock:
            return self._pauses

    def remaining(self, now: datetime) -> timedelta | None:
        with self._lock:
            until = self.until
        return until - now if until is not None and now < until else None

    def why(self, now: datetime) -> str | None:
        """Why sending is held back now ("rate_limited", "slack_failing"); None if it isn't."""
        with self._lock:
            held = self.until is not None and now < self.until
            return (self.reason or "slack_failing") if held else None

    def one_at_a_time(self, now: datetime) -> bool:
        """Slack failed and nothing has gone out since (the next message is a probe), or it
        answered 429 lately (RATE_LIMITED_FOR)."""
        with self._lock:
            limited = self.limited_at is not None and now - self.limited_at < RATE_LIMITED_FOR
            return self.failures > 0 or limited

    def failed(self, now: datetime, retry: Retry, ticket: int) -> tuple[timedelta, int] | None:
        """Pause from `now`; returns how long, and how many failures in a row. None when the
        send began before the latest pause (it proves nothing new)."""
        with self._lock:
            if retry.rate_limited:
                self.limited_at = now
            if ticket != self._pauses:
                if retry.rate_limited:
                    # Slack asked for this long now, whatever held us back before.
                    self.until = max(self.until or now, now + retry.after)
                    self.reason = "rate_limited"
                return None
            self.failures += 1
            self.reason = "rate_limited" if retry.rate_limited else "slack_failing"
            # 429: exactly Retry-After. Otherwise probe again after a growing pause.
            pause = retry.after if retry.rate_limited else backoff(self.failures)
            self.until = now + pause
            self._pauses += 1
            return pause, self.failures

    def succeeded(self, ticket: int) -> None:
        with self._lock:
            # A send that began before the pause was set proves nothing about Slack now.
            if ticket == self._pauses:
                self.until, self.failures = None, 0
