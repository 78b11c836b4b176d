"""The one source of "now". Everything that cares about time takes a Clock, so tests and the
demo move time instead of sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, `make demo`)."""

    def __init__(self, start: datetime | None = None):
        start = start or datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._now += step
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(UTC)


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone, or UTC when Slack gave none we know."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    # OSError: a name that is a directory of the tz database ("America") or too long for a path.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")
