"""Sends what the outbox says is due: claim with a lease, send, mark sent fenced by the claim.

The database is the only schedule. A restart needs nothing special: whatever fell due while
the process was down is simply due now and goes out once; a claim abandoned by a dead
process returns when its lease expires and is re-sent only after the sender has looked for
the message in Slack (Outcome.Sent from a found message)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.delivery import catch_up
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


def _slack_failing(outcome: Outcome | None) -> bool:
    return isinstance(outcome, Retry) and (outcome.outage or outcome.rate_limited)


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
        catch_up_after: timedelta | None = None,
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
        # Slack is failing (5xx, unreachable, 429): nothing is sent until the pause ends, and
        # the due rows keep their times, so after an outage they go out in due order.
        self._pause = Pause()
        # Rows being sent by deliver_newest, by group: None while one is out, or the key of
        # the newest row asked for meanwhile, which goes next.
        self._newest_lock = threading.Lock()
        self._newest: dict[str, str | None] = {}
        # After downtime, one summary per person instead of a burst (bot/delivery/catch_up.py).
        self.catch_up = (
            catch_up.CatchUp(catch_up_after)
            if catch_up_after and catch_up_after > timedelta(0) and isinstance(sender, SummarySender)
            else None
        )

    # -- one pass ----------------------------------------------------------------------

    def paused(self) -> bool:
        return self._pause.remaining(self.clock.now()) is not None

    def tick(self) -> int:
        """Send everything due now. Returns how many rows were handled."""
        handled = 0
        if self.catch_up is not None:
            self.catch_up.look(self.clock.now())
        while not self._stop.is_set() and not self.paused():
            with self.db.transaction() as session:
                claims = outbox.claim_due(session, self.clock.now(), self.lease, self.batch)
            if not claims:
                break
            handled += self._deliver_units(self._gather(claims))
            if len(claims) < self.batch:
                break
        return handled

    def deliver_now(self, keys: list[str]) -> dict[str, Outcome]:
        """Send specific rows right away (the card after `/case open`), by outbox key.
        Rows another dispatcher already took are left to it; while Slack is failing they wait
        for the dispatcher like everything else. Never raises: the rows are committed, and
        whatever is not sent now is sent by the dispatcher."""
        waiting = self._pause.remaining(self.clock.now())
        if waiting is not None:
            return dict.fromkeys(keys, Retry(error="Slack is failing; holding back", after=waiting))
        try:
            with self.db.transaction() as session:
                ids = outbox.ids_by_keys(session, keys)
                claims = outbox.claim_ids(session, ids, self.clock.now(), self.lease) if ids else []
            outcomes: dict[str, Outcome] = {}
            self._deliver_all(claims, outcomes)
            return outcomes
        except Exception:
            log.exception("notification.deliver_now_failed keys=%s", len(keys))
            return {}

    def deliver_newest(self, group: str, key: str) -> None:
        """Send row `key` right away, unless a row of the same group (a case card's redraws)
        is being sent by this process now: then only the newest asked for meanwhile goes, as
        soon as that one is out. For rows where each draws everything the last one would, so a
        storm of replies to one case costs a redraw or two, not one per reply. Rows passed
        over stay in the outbox for the dispatcher (their producer cancels the superseded)."""
        with self._newest_lock:
            if group in self._newest:
                self._newest[group] = key
                return
            self._newest[group] = None
        next_key: str | None = key
        while next_key is not None:
            self.deliver_now([next_key])
            with self._newest_lock:
                next_key = self._newest[group]
                if next_key is None:
                    del self._newest[group]
                else:
                    self._newest[group] = None

    def _gather(self, claims: list[Claim]) -> list[list[Claim]]:
        """Each row on its own, except that whoever has two or more rows missed while this
        process was away gets everything due for them as one unit (a catch-up summary), in
        the place of their first row."""
        if self.catch_up is None:
            return [[claim] for claim in claims]
        groups: dict[catch_up.Person, list[Claim]] = {}
        for person in self.catch_up.people(claims):
            mine = [claim for claim in claims if catch_up.person_of(claim) == person]
            extra: list[Claim] = []
            room = catch_up.MOST_ROWS - len(mine)
            if room > 0:
                with self.db.transaction() as session:
                    extra = outbox.claim_due_for(
                        session, *person, catch_up.KINDS, self.clock.now(), self.lease, room
                    )
            rows = sorted(mine + extra, key=lambda c: (c.run_at, c.id))
            if sum(1 for row in rows if self.catch_up.missed(row)) >= 2:
                groups[person] = rows
            else:
                self._give_back(extra)
        units: list[list[Claim]] = []
        for claim in claims:
            person = catch_up.person_of(claim)
            if person is None or person not in groups:
                units.append([claim])
            elif groups[person]:
                units.append(groups[person])
                groups[person] = []
        return units

    def _deliver_all(self, claims: list[Claim], outcomes: dict[str, Outcome] | None = None) -> int:
        return self._deliver_units([[claim] for claim in claims], outcomes)

    def _deliver_units(self, units: list[list[Claim]], outcomes: dict[str, Outcome] | None = None) -> int:
        """Send each unit in turn: one row, or one person's rows as one catch-up summary. The
        outage rules apply to a unit as to one message: its rows keep their due times, and it
        steps aside once it has failed SUSPECT_AFTER_ATTEMPTS times."""
        suspects: list[Claim] = []
        queue = list(units)
        handled = 0
        position = 0
        while position < len(queue):
            if self._stop.is_set():
                self._give_back([claim for unit in queue[position:] for claim in unit])
                return handled
            unit = queue[position]
            position += 1
            results = self._send(unit)
            # Rows a summary left out (the last one remaining, or a summary Slack refused for a
            # reason of its own) go next, each as its own message.
            queue[position:position] = [[claim] for claim in unit if claim.id not in results]
            now = self.clock.now()
            settled, halt = self._settle(unit, results, now, suspects, outcomes)
            handled += settled
            if halt is not None:
                self._hold_everything(halt, now, suspects)
                self._give_back([claim for unit in queue[position:] for claim in unit])
                return handled
        return handled

    def _settle(
        self,
        unit: list[Claim],
        results: dict[int, Outcome],
        now: datetime,
        suspects: list[Claim],
        outcomes: dict[str, Outcome] | None,
    ) -> tuple[int, Retry | None]:
        """Record how each row of a unit went. Returns how many were settled, and the failure
        that says Slack itself is failing (everything then waits), if any."""
        failing = [c for c in unit if _slack_failing(results.get(c.id))]
        attempts = max((c.attempts for c in failing), default=0)
        halt: Retry | None = None
        handled = 0
        for claim in unit:
            outcome = results.get(claim.id)
            if outcome is None:
                continue
            handled += 1
            if isinstance(outcome, Retry) and outcome.outage and attempts >= SUSPECT_AFTER_ATTEMPTS:
                # Maybe only this message fails: step it aside and let the next one probe.
                self._record(claim, outcome, retry_at=now + outcome.after)
                suspects.append(claim)
            elif isinstance(outcome, Retry) and (outcome.outage or outcome.rate_limited):
                self._record(claim, outcome, retry_at=claim.run_at)
                halt = outcome
            else:
                if isinstance(outcome, Retry) and claim.attempts >= MAX_ROW_ATTEMPTS:
                    outcome = Dead(f"gave up after {claim.attempts} attempts: {outcome.error}")
                self._record(
                    claim, outcome, retry_at=now + outcome.after if isinstance(outcome, Retry) else None
                )
                if isinstance(outcome, Sent):
                    self._pause.succeeded(claim.claimed_at)
            if outcomes is not None:
                outcomes[claim.key] = outcome
        return handled, halt

    def _hold_everything(self, halt: Retry, now: datetime, suspects: list[Claim]) -> None:
        if halt.outage and suspects:
            # The next one failed too: Slack is down, not those messages.
            with self.db.transaction() as session:
                outbox.restore_run_at(session, [(s.id, s.run_at) for s in suspects])
        pause, failures = self._pause.failed(now, halt)
        log.warning(
            "dispatcher.paused seconds=%s failures=%s error=%s",
            int(pause.total_seconds()),
            failures,
            halt.error,
        )

    def _give_back(self, claims: list[Claim]) -> None:
        if claims:
            with self.db.transaction() as session:
                outbox.release(session, claims)

    def _send(self, unit: list[Claim]) -> dict[int, Outcome]:
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

    def _record(self, claim: Claim, outcome: Outcome, *, retry_at: datetime | None) -> None:
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
        if isinstance(outcome, Dead) and self.on_dead is not None:
            self.on_dead(claim, outcome.error)

    # -- running -----------------------------------------------------------------------

    def wake(self) -> None:
        """Something new may be due: don't wait for the next poll."""
        self._wake.set()

    def seconds_until_next(self) -> float:
        with self.db.transaction() as session:
            next_at = outbox.next_run_at(session)
        limit = self.poll.total_seconds()
        now = self.clock.now()
        paused_for = self._pause.remaining(now)
        if paused_for is not None:
            # Nothing goes out before the pause ends, whatever is due.
            next_at = max(next_at or now, now + paused_for)
        if next_at is None:
            return limit
        return max(0.0, min(limit, (next_at - now).total_seconds()))

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
