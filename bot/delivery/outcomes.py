"""What became of one attempt to send an outbox row, as the sender reports it to the dispatcher,
and the sender's side of that contract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from storage.outbox import Claim


@dataclass(frozen=True)
class Sent:
    channel: str | None
    ts: str | None


@dataclass(frozen=True)
class Skipped:
    """Nothing to send any more (the promise was kept meanwhile)."""

    reason: str


@dataclass(frozen=True)
class Retry:
    error: str
    after: timedelta
    # The attempt may have reached Slack (a timeout): look before re-sending.
    uncertain: bool = False
    # Slack itself is failing (5xx, unreachable, timing out): any message would fail now.
    outage: bool = False
    # Slack said 429: hold back everything for `after`.
    rate_limited: bool = False


@dataclass(frozen=True)
class Deferred:
    """Not now, for a reason of the message's own (the recipient is off work): back in line
    at `until`, not counted as an attempt."""

    until: datetime
    reason: str


@dataclass(frozen=True)
class Dead:
    """Slack refused for good (no such channel, bot removed): reported, never retried."""

    error: str


Outcome = Sent | Skipped | Retry | Deferred | Dead


class Sender(Protocol):
    def deliver(self, claim: Claim) -> Outcome: ...


@runtime_checkable
class SummarySender(Sender, Protocol):
    def deliver_summary(self, claims: list[Claim]) -> dict[int, Outcome]:
        """One person's rows as one catch-up message: the outcome of each row it settled (sent
        in it, found sent earlier, skipped, deferred). Rows left out go on their own."""
        ...


def backoff(attempts: int) -> timedelta:
    """5s, 10s, 20s ... capped at 5 minutes: a Slack outage is waited out, never given up on."""
    return timedelta(seconds=min(300, 5 * 2 ** max(0, attempts - 1)))
