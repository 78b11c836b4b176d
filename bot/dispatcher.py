"""Sends what the outbox says is due: claim with a lease, send, mark sent fenced by the claim.

The database is the only schedule. A restart needs nothing special: whatever fell due while
the process was down is simply due now and goes out once; a claim abandoned by a dead
process returns when its lease expires and is re-sent only after the sender has looked for
the message in Slack (Outcome.Sent from a found message)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from storage import outbox
from storage.db import Database
from storage.outbox import Claim

log = logging.getLogger(__name__)


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
    # Slack said 429: hold back everything else for `after` too.
    rate_limited: bool = False


@dataclass(frozen=True)
class Dead:
    """Slack refused for good (no such channel, bot removed): reported, never retried."""

    error: str


Outcome = Sent | Skipped | Retry | Dead


class Sender(Protocol):
    def deliver(self, claim: Claim) -> Outcome: ...


# A row that has failed this often while others wait behind it gets its own backoff instead of
# holding everything back: one message Slack keeps refusing must not stall the rest forever.
HOLD_ALL_UP_TO_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """5s, 10s, 20s ... capped at 5 minutes: a Slack outage is waited out, never given up on."""
    return timedelta(seconds=min(300, 5 * 2 ** max(0, attempts - 1)))


class Dispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sender: Sender,
        *,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 50,
        poll: timedelta = timedelta(seconds=2),
    ):
        self.db = db
        self.clock = clock
        self.sender = sender
        self.lease = lease
        self.batch = batch
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_dead: Callable[[Claim, str], None] | None = None
        # Slack is failing (5xx, unreachable, 429): nothing is sent until then, and the due
        # rows keep their times, so after an outage they go out in due order.
        self._paused_until: datetime | None = None
        self._failures = 0

    # -- one pass ----------------------------------------------------------------------

    def paused(self) -> bool:
        return self._paused_until is not None and self.clock.now() < self._paused_until

    def tick(self) -> int:
        """Send everything due now. Returns how many rows were handled."""
        handled = 0
        while not self._stop.is_set() and not self.paused():
            with self.db.transaction() as session:
                claims = outbox.claim_due(session, self.clock.now(), self.lease, self.batch)
            if not claims:
                break
            handled += self._deliver_all(claims)
            if len(claims) < self.batch:
                break
        return handled

    def deliver_now(self, keys: list[str]) -> dict[str, Outcome]:
        """Send specific rows right away (the card after `/case open`), by outbox key.
        Rows another dispatcher already took are left to it; while Slack is failing they wait
        for the next tick like everything else."""
        if self.paused():
            assert self._paused_until is not None
            waiting = Retry(
                error="Slack is failing; holding back", after=self._paused_until - self.clock.now()
            )
            return dict.fromkeys(keys, waiting)
        with self.db.transaction() as session:
            ids = outbox.ids_by_keys(session, keys)
            claims = outbox.claim_ids(session, ids, self.clock.now(), self.lease) if ids else []
        outcomes: dict[str, Outcome] = {}
        self._deliver_all(claims, outcomes)
        return outcomes

    def _deliver_all(self, claims: list[Claim], outcomes: dict[str, Outcome] | None = None) -> int:
        for position, claim in enumerate(claims):
            if self._stop.is_set():
                with self.db.transaction() as session:
                    outbox.release(session, claims[position:])
                return position
            outcome = self._deliver_one(claim)
            if outcomes is not None:
                outcomes[claim.key] = outcome
            if self.paused():
                # Slack is failing or asked us to wait: the rest of the batch goes back as it was.
                with self.db.transaction() as session:
                    outbox.release(session, claims[position + 1 :])
                return position + 1
        return len(claims)

    def _deliver_one(self, claim: Claim) -> Outcome:
        try:
            outcome = self.sender.deliver(claim)
        except Exception as error:  # a bug or an unexpected failure must not stop the others
            log.exception("notification.send_crashed id=%s kind=%s", claim.id, claim.kind)
            outcome = Retry(
                error=f"{type(error).__name__}: {error}", after=backoff(claim.attempts), uncertain=True
            )
        now = self.clock.now()
        with self.db.transaction() as session:
            if isinstance(outcome, Sent):
                if not outbox.mark_sent(session, claim, outcome.channel, outcome.ts, now):
                    log.warning("notification.claim_lost id=%s", claim.id)
                else:
                    lateness_ms = int((now - claim.run_at).total_seconds() * 1000)
                    log.info(
                        "notification.sent id=%s kind=%s lateness_ms=%s", claim.id, claim.kind, lateness_ms
                    )
            elif isinstance(outcome, Skipped):
                outbox.mark_cancelled(session, claim, outcome.reason)
            elif isinstance(outcome, Retry):
                log.warning("notification.retry id=%s kind=%s error=%s", claim.id, claim.kind, outcome.error)
                if claim.attempts < HOLD_ALL_UP_TO_ATTEMPTS or outcome.rate_limited:
                    # Keep its place in line (its due time) and hold everything back instead.
                    outbox.mark_retry(session, claim, outcome.error, claim.run_at, outcome.uncertain)
                else:
                    outbox.mark_retry(session, claim, outcome.error, now + outcome.after, outcome.uncertain)
            else:
                log.error("notification.dead id=%s kind=%s error=%s", claim.id, claim.kind, outcome.error)
                outbox.mark_dead(session, claim, outcome.error)
        if isinstance(outcome, Retry):
            self._failures += 1
            # 429: exactly Retry-After. Otherwise probe again after a growing pause.
            pause = outcome.after if outcome.rate_limited else backoff(self._failures)
            self._paused_until = now + pause
            log.warning(
                "dispatcher.paused seconds=%s failures=%s", int(pause.total_seconds()), self._failures
            )
        elif isinstance(outcome, Sent):
            self._failures = 0
            self._paused_until = None
        if isinstance(outcome, Dead) and self.on_dead is not None:
            self.on_dead(claim, outcome.error)
        return outcome

    # -- running -----------------------------------------------------------------------

    def wake(self) -> None:
        """Something new may be due: don't wait for the next poll."""
        self._wake.set()

    def seconds_until_next(self) -> float:
        with self.db.transaction() as session:
            next_at = outbox.next_run_at(session)
        limit = self.poll.total_seconds()
        if self._paused_until is not None:
            next_at = max(next_at or self._paused_until, self._paused_until)
        if next_at is None:
            return limit
        return max(0.0, min(limit, (next_at - self.clock.now()).total_seconds()))

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        log.info("dispatcher.started")
        while not self._stop.is_set():
            try:
                self.tick()
                wait = self.seconds_until_next()
            except Exception:  # the database may be briefly away; keep the loop alive
                log.exception("dispatcher.tick_failed")
                wait = self.poll.total_seconds()
            self._wake.wait(wait)
            self._wake.clear()
        log.info("dispatcher.stopped")
