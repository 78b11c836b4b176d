"""Catching up after downtime: which claimed rows go out as one summary per person.

A row is caught up on when it fell due while no dispatcher of this process was looking (the
process was down, or frozen) and is now overdue by more than CATCH_UP_AFTER. Rows that were
due while the dispatcher was running and held back by Slack failing are not: they keep going
out one by one, in due order. Once a person has two or more such rows, everything due for
them (of the kinds below) goes out as one message."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from bot import escalation
from storage.models import NotificationKind
from storage.outbox import Claim

# Messages to one person that make sense side by side; thread notes, cards and reactions
# belong to their conversation and never wait for a summary.
KINDS = (
    NotificationKind.REMINDER,
    NotificationKind.ESCALATION,
    NotificationKind.PERSON_NOTE,
    NotificationKind.HANDOVER,
    NotificationKind.MANAGER_MISSING,
)
_KIND_VALUES = frozenset(kind.value for kind in KINDS)
# The most rows one summary holds (Slack takes 50 blocks and 40,000 characters a message); a
# person owed more gets the rest in the next summary.
MOST_ROWS = 150

Person = tuple[str, str]


def person_of(claim: Claim) -> Person | None:
    """(team, user) for a DM that may go in a summary, None for anything else."""
    if claim.kind not in _KIND_VALUES or escalation.is_channel(claim.recipient):
        return None
    return claim.team_id, claim.recipient


class CatchUp:
    """Remembers when this process's dispatcher last looked, to tell rows missed while it was
    away from rows it saw fall due. Read and written by the dispatcher thread; a lock because
    tests and housekeeping may tick from other threads."""

    def __init__(self, after: timedelta):
        self.after = after
        self._lock = threading.Lock()
        self._looked_at: datetime | None = None
        # The latest stretch nobody looked: rows due after start and before end were missed. Kept after the
        # pass that found it, so rows whose summary met a Slack outage still go out as one.
        self._missed: tuple[datetime | None, datetime] | None = None

    def look(self, now: datetime) -> None:
        """A pass begins at `now`."""
        with self._lock:
            cutoff = now - self.after
            if self._looked_at is None or self._looked_at < cutoff:
                self._missed = (self._looked_at, cutoff)
            self._looked_at = now

    def missed(self, claim: Claim) -> bool:
        with self._lock:
            window = self._missed
        if window is None or person_of(claim) is None:
            return False
        start, end = window
        return (start is None or claim.run_at > start) and claim.run_at < end

    def people(self, claims: list[Claim]) -> list[Person]:
        """Whoever has a missed row among these, in the order of their first one."""
        found: dict[Person, None] = {}
        for claim in claims:
            person = person_of(claim)
            if person is not None and self.missed(claim):
                found.setdefault(person)
        return list(found)
