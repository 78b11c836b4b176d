"""How each send went, recorded fenced by its claim token, and the rules for Slack failing: a 429
or an outage pauses everything while the rows keep their due times; a row that keeps failing
while Slack seems down steps aside for the next one to probe; a row Slack refuses for a reason
of its own is retried on its own backoff, then reported dead."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from bot.clock import Clock
from bot.delivery.outcomes import (
    Dead,
    Deferred,
    Outcome,
    Retry,
    Sender,
    Sent,
    Skipped,
    SummarySender,
    backoff,
)
from bot.delivery.pause import Pause
from storage import outbox
from storage.db import Database
from storage.outbox import Claim

log = logging.getLogger(__name__)

# During an outage the earliest due row is the probe and keeps its place in line. Once it has
# failed this often, the next row is tried too: if that one goes out, Slack is fine and only
# this row fails, so it gets its own backoff instead of holding everything back.
SUSPECT_AFTER_ATTEMPTS = 8
# A failure particular to one message (an error code we don't know, a bug in rendering) is
# retried on its own backoff this many times, then reported dead.
MAX_ROW_ATTEMPTS = 6


def slack_failing(outcome: Outcome | None) -> bool:
    return isinstance(outcome, Retry) and (outcome.outage or outcome.rate_limited)


class Suspects:
    """Rows stepped aside while Slack seemed down (SUSPECT_AFTER_ATTEMPTS). If another row then
    fails the same way, Slack is down, not those messages: they go back to their place in line.
    Once a message goes out, Slack is fine and they stay aside. Shared by the sender threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: list[Claim] = []

    def add(self, claim: Claim) -> None:
        with self._lock:
            self._rows.append(claim)

    def take(self) -> list[Claim]:
        with self._lock:
            rows, self._rows = self._rows, []
            return rows


class Recorder:
    """Sends a unit through the sender and records what became of each of its rows."""

    def __init__(self, db: Database, clock: Clock, sender: Sender, pause: Pause):
        self.db = db
        self.clock = clock
        self.sender = sender
        self.pause = pause
        self.on_dead: Callable[[Claim, str], None] | None = None
        # Told of every outcome recorded (not of a send whose claim was lost meanwhile), with
        # the time it was recorded: the process's metrics (bot/app/monitor.py) count them.
        self.on_recorded: Callable[[Claim, Outcome, datetime], None] | None = None
        self._count_lock = threading.Lock()
        # Rows settled so far (sent, skipped, deferred, retried or dead), for tick()'s count.
        self.settled = 0

    def send(self, unit: list[Claim]) -> dict[int, Outcome]:
        """One row, or one person's rows as one catch-up summary. Never raises."""
        try:
            if len(unit) == 1:
                return {unit[0].id: self.sender.deliver(unit[0])}
            assert isinstance(self.sender, SummarySender)
            return self.sender.deliver_summary(unit)
        except Exception as error:  # a bug or an unexpected failure must not stop the others
            log.exception(
                "notification.send_crashed id=%s kind=%s rows=%s", unit[0].id, unit[0].kind, len(unit)
            )
            retry = Retry(
                error=f"{type(error).__name__}: {error}",
                after=backoff(max(claim.attempts for claim in unit)),
                uncertain=True,
            )
            return dict.fromkeys((claim.id for claim in unit), retry)

    def settle(
        self,
        unit: list[Claim],
        results: dict[int, Outcome],
        ticket: int,
        suspects: Suspects,
        outcomes: dict[str, Outcome] | None = None,
    ) -> Retry | None:
        """Record how each row of a unit went (`ticket`: the pause's when the send began).
        Returns the failure that says Slack itself is failing (everything then waits), if any."""
        failing = [c for c in unit if slack_failing(results.get(c.id))]
        attempts = max((c.attempts for c in failing), default=0)
        halt: Retry | None = None
        now = self.clock.now()
        for claim in unit:
            outcome = results.get(claim.id)
            if outcome is None:
                continue
            if isinstance(outcome, Retry) and outcome.outage and attempts >= SUSPECT_AFTER_ATTEMPTS:
                # Maybe only this message fails: step it aside and let the next one probe.
                self.record(claim, outcome, retry_at=now + outcome.after)
                suspects.add(claim)
            elif slack_failing(outcome):
                assert isinstance(outcome, Retry)
                self.record(claim, outcome, retry_at=claim.run_at)
                halt = outcome
            else:
                if isinstance(outcome, Retry) and claim.attempts >= MAX_ROW_ATTEMPTS:
                    outcome = Dead(f"gave up after {claim.attempts} attempts: {outcome.error}")
                self.record(
                    claim, outcome, retry_at=now + outcome.after if isinstance(outcome, Retry) else None
                )
                if isinstance(outcome, Sent):
                    self.pause.succeeded(ticket)
                    suspects.take()
            if outcomes is not None:
                outcomes[claim.key] = outcome
        return halt

    def hold_everything(self, halt: Retry, ticket: int, suspects: Suspects) -> None:
        now = self.clock.now()
        stepped = suspects.take() if halt.outage else []
        if stepped:
            # The next one failed too: Slack is down, not those messages.
            with self.db.transaction() as session:
                outbox.restore_run_at(session, [(s.id, s.run_at) for s in stepped])
        paused = self.pause.failed(now, halt, ticket)
        if paused is not None:
            pause, failures = paused
            log.warning(
                "dispatcher.paused seconds=%s failures=%s error=%s",
                int(pause.total_seconds()),
                failures,
                halt.error,
            )

    def give_back(self, claims: list[Claim]) -> None:
        """Claims never tried (stopping, or Slack failing): pending again, not an attempt."""
        if claims:
            with self.db.transaction() as session:
                outbox.release(session, claims)

    def record(self, claim: Claim, outcome: Outcome, *, retry_at: datetime | None) -> None:
        now = self.clock.now()
        recorded = True
        with self.db.transaction() as session:
            if isinstance(outcome, Sent):
                if not outbox.mark_sent(session, claim, outcome.channel, outcome.ts, now):
                    log.warning("notification.claim_lost id=%s", claim.id)
                    recorded = False
                else:
                    lateness_ms = int((now - claim.run_at).total_seconds() * 1000)
                    log.info(
                        "notification.sent id=%s kind=%s lateness_ms=%s", claim.id, claim.kind, lateness_ms
                    )
            elif isinstance(outcome, Skipped):
                outbox.mark_cancelled(session, claim, outcome.reason)
            elif isinstance(outcome, Deferred):
                log.info(
                    "notification.deferred id=%s kind=%s until=%s reason=%s",
                    claim.id,
                    claim.kind,
                    outcome.until.isoformat(),
                    outcome.reason,
                )
                outbox.mark_deferred(session, claim, outcome.until)
            elif isinstance(outcome, Retry):
                assert retry_at is not None
                log.warning("notification.retry id=%s kind=%s error=%s", claim.id, claim.kind, outcome.error)
                outbox.mark_retry(session, claim, outcome.error, retry_at, outcome.uncertain)
            else:
                log.error("notification.dead id=%s kind=%s error=%s", claim.id, claim.kind, outcome.error)
                outbox.mark_dead(session, claim, outcome.error)
        with self._count_lock:
            self.settled += 1
        if recorded and self.on_recorded is not None:
            try:
                self.on_recorded(claim, outcome, now)
            except Exception:  # counting must never stop sending
                log.exception("notification.count_failed id=%s", claim.id)
        if isinstance(outcome, Dead) and self.on_dead is not None:
            self.on_dead(claim, outcome.error)
