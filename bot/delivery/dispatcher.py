"""Sends what the outbox says is due: claim with a lease, send, mark sent fenced by the claim.

The database is the only schedule. A restart needs nothing special: whatever fell due while
the process was down is simply due now and goes out once; a claim abandoned by a dead
process returns when its lease expires and is re-sent only after the sender has looked for
the message in Slack (Outcome.Sent from a found message).

Claimed rows go out side by side, one lane per conversation (bot/delivery/lanes.py): a slow
or failing send holds up its own conversation only, and each conversation gets its messages
in due order. How each went is recorded by bot/delivery/recording.py, which also says when
Slack is failing: then nothing is claimed until the pause ends, and the rows keep their due
times. After an outage the rows go one at a time, the earliest due first, until one goes out
(the probe); after a 429, one at a time for as long as Slack keeps answering 429 (a 429 does
not say whether the channel's limit or the workspace's was met, so it pauses everything).
Side by side again from there."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.delivery import catch_up
from bot.delivery.lanes import LaneKey, SendPool, Unit
from bot.delivery.outcomes import Outcome, Retry, Sender, SummarySender
from bot.delivery.pause import Pause
from bot.delivery.recording import Recorder, Suspects
from storage import outbox
from storage.db import Database
from storage.outbox import Claim

log = logging.getLogger(__name__)

# Sender threads. Measured in bench/ (Reminder punctuality, 200 reminders due in the same
# second, every Slack call taking 100 ms; p99 lateness): 4 threads 4.8 s, 8 1.8 s, 16 0.63 s,
# 32 0.52 s, 64 0.51 s; beyond 32 the bot's own work (one SQLite writer, one GIL) is what
# remains. A send that hangs holds one thread until the Slack client gives up (10 s), so with
# 32 a few hanging conversations still leave most threads to the others.
SENDER_THREADS = 32
# Units one conversation's lane holds at most; its other due rows wait in the outbox, so one
# busy channel can't take all of this process's claims.
LANE_DEPTH = 10
# Rows claimed and not yet sent, at most: a few batches, all gone within seconds when Slack
# answers, and given back at once when it pauses us.
MOST_CLAIMED = 200
# A unit whose claim has less than this left is re-claimed before it is sent, so no send can
# outlast its lease (the Slack client gives up after 10 s) and be taken over meanwhile.
LEASE_MARGIN = timedelta(seconds=20)


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
        senders: int = SENDER_THREADS,
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
        # time.monotonic() when the loop last finished a pass (a readiness check reads it).
        self._last_pass = time.monotonic()
        # Slack is failing (5xx, unreachable, 429): nothing is sent until the pause ends, and
        # the due rows keep their times, so after an outage they go out in due order.
        self._pause = Pause()
        self._recorder = Recorder(db, clock, sender, self._pause)
        self._pool = SendPool(self, threads=senders, lane_depth=LANE_DEPTH)
        # Rows stepped aside by the lanes while Slack seemed down (recording.Suspects).
        self._suspects = Suspects()
        # The last claim stopped short for want of room (all claimed, or these lanes full):
        # a unit done in the lanes wakes the loop to claim more.
        self._starved = False
        self._skipped: set[str] = set()
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

    @property
    def on_dead(self) -> Callable[[Claim, str], None] | None:
        return self._recorder.on_dead

    @on_dead.setter
    def on_dead(self, report: Callable[[Claim, str], None] | None) -> None:
        self._recorder.on_dead = report

    def on_recorded(self, count: Callable[[Claim, Outcome, datetime], None]) -> None:
        """Tell `count` of every outcome recorded (bot/delivery/recording.py)."""
        self._recorder.on_recorded = count

    # -- what monitoring asks (bot/app/monitor.py) -------------------------------------------

    def paused_because(self) -> str | None:
        """Why sending is held back now: "rate_limited" or "slack_failing"; None if it isn't."""
        return self._pause.why(self.clock.now())

    @property
    def loop_started(self) -> bool:
        """Whether this process runs the dispatcher's loop (a worker), not only deliver_now."""
        return self._thread is not None

    def seconds_since_pass(self) -> float | None:
        """Seconds since the loop last finished a pass (claimed what was due, or looked and
        found nothing); None when the loop is not running: never started, stopped, or dead."""
        if self._thread is None or not self._thread.is_alive():
            return None
        return time.monotonic() - self._last_pass

    # -- one pass ----------------------------------------------------------------------

    def paused(self) -> bool:
        return self._pause.remaining(self.clock.now()) is not None

    def tick(self) -> int:
        """Send everything due now and wait until it is out (tests, bench/sweep.py; the running
        loop claims as it goes instead). Returns how many rows were settled."""
        settled = self._recorder.settled
        while self.pump():
            self._pool.wait_idle()
        self._pool.wait_idle()
        return self._recorder.settled - settled

    def pump(self) -> int:
        """Claim what is due, as far as there is room, and hand it to the lanes (or probe, while
        Slack is failing). Returns how many rows were claimed."""
        if self.catch_up is not None:
            self.catch_up.look(self.clock.now())
        claimed = 0
        while not self._stop.is_set() and not self.paused():
            if self._pause.one_at_a_time(self.clock.now()):
                taken = self._in_turn()
                claimed += taken
                if not taken:
                    break
                continue
            room = MOST_CLAIMED - self._pool.rows()
            self._skipped = self._pool.full()
            self._starved = room < self.batch // 2
            if self._starved:
                break
            with self.db.transaction() as session:
                claims = outbox.claim_due(
                    session, self.clock.now(), self.lease, min(self.batch, room), skip=self._skipped
                )
            if claims:
                units = self._gather(claims)
                claimed += sum(len(unit) for unit in units)
                self._pool.add(units)
            if len(claims) < min(self.batch, room):
                break
        return claimed

    def _in_turn(self) -> int:
        """Slack failed and nothing has gone out since, or it is rate limiting us: the next rows
        one at a time on this thread, the earliest due first; once sending side by side is
        right again (a probe went out, and no 429 lately), the rest go to the lanes.
        Conversations with a send still in flight are left alone, to keep their order."""
        busy = self._pool.busy()
        with self.db.transaction() as session:
            claims = outbox.claim_due(session, self.clock.now(), self.lease, self.batch, skip=busy)
        # Nothing but those conversations' rows: wait for their lanes, not the clock.
        self._skipped, self._starved = busy, not claims and bool(busy)
        units = self._gather(claims) if claims else []
        self._deliver_in_turn(units, Suspects(), hand_off=True)
        return sum(len(unit) for unit in units)

    def deliver_now(self, keys: list[str]) -> dict[str, Outcome]:
        """Send specific rows right away (the card after `/case open`), by outbox key, on the
        caller's thread. Rows another dispatcher already took are left to it; while Slack is
        failing they wait for the dispatcher like everything else. Never raises: the rows are
        committed, and whatever is not sent now is sent by the dispatcher."""
        waiting = self._pause.remaining(self.clock.now())
        if waiting is not None:
            return dict.fromkeys(keys, Retry(error="Slack is failing; holding back", after=waiting))
        try:
            with self.db.transaction() as session:
                ids = outbox.ids_by_keys(session, keys)
                claims = outbox.claim_ids(session, ids, self.clock.now(), self.lease) if ids else []
            outcomes: dict[str, Outcome] = {}
            self._deliver_in_turn([[claim] for claim in claims], Suspects(), outcomes)
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

    def _gather(self, claims: list[Claim]) -> list[Unit]:
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
                self.give_back(extra)
        units: list[Unit] = []
        for claim in claims:
            person = catch_up.person_of(claim)
            if person is None or person not in groups:
                units.append([claim])
            elif groups[person]:
                units.append(groups[person])
                groups[person] = []
        return units

    def _deliver_in_turn(
        self,
        units: list[Unit],
        suspects: Suspects,
        outcomes: dict[str, Outcome] | None = None,
        *,
        hand_off: bool = False,
    ) -> None:
        """Send each unit in turn on this thread (deliver_now, and probing while Slack is
        failing): one row, or one person's rows as one catch-up summary. The outage rules apply
        to a unit as to one message: its rows keep their due times, and it steps aside once it
        has failed SUSPECT_AFTER_ATTEMPTS times. `hand_off`: once one at a time is no longer
        needed, the rest go to the lanes."""
        queue = list(units)
        while queue:
            if self._stop.is_set():
                self.give_back([claim for unit in queue for claim in unit])
                return
            if hand_off and not self._pause.one_at_a_time(self.clock.now()):
                self._pool.add(queue)
                return
            if hand_off:
                # The loop is sending one at a time, not stuck: each send counts as progress.
                self._last_pass = time.monotonic()
            unit = queue.pop(0)
            ticket = self._pause.ticket()
            results = self._recorder.send(unit)
            # Rows a summary left out (the last one remaining, or a summary Slack refused for a
            # reason of its own) go next, each as its own message.
            queue[:0] = [[claim] for claim in unit if claim.id not in results]
            halt = self._recorder.settle(unit, results, ticket, suspects, outcomes)
            if halt is not None:
                self._recorder.hold_everything(halt, ticket, suspects)
                self.give_back([claim for unit in queue for claim in unit])
                return

    # -- what the lanes ask (lanes.Owner) --------------------------------------------------

    def send_unit(self, unit: Unit) -> list[Unit] | None:
        if self._stop.is_set() or self.paused():
            return None
        unit = self._renewed(unit)
        if not unit:
            return []
        ticket = self._pause.ticket()
        results = self._recorder.send(unit)
        halt = self._recorder.settle(unit, results, ticket, self._suspects)
        if halt is not None:
            self._recorder.hold_everything(halt, ticket, self._suspects)
            # Everything waiting in the lanes goes back, keeping its due time.
            self.give_back(self._pool.drain())
        return [[claim] for claim in unit if claim.id not in results]

    def give_back(self, claims: list[Claim]) -> None:
        self._recorder.give_back(claims)

    def progress(self, lane: LaneKey) -> None:
        if self._starved or lane[1] in self._skipped:
            self._starved = False
            self._wake.set()

    def _renewed(self, unit: Unit) -> Unit:
        """The unit with every claim good for LEASE_MARGIN more; a claim lost meanwhile (its
        lease ran out and another dispatcher took the row) is left to that one."""
        now = self.clock.now()
        if all(claim.claimed_at + self.lease - now >= LEASE_MARGIN for claim in unit):
            return unit
        with self.db.transaction() as session:
            kept = outbox.renew(session, unit, now + self.lease)
        for claim in unit:
            if claim.id not in kept:
                log.warning("notification.claim_lost id=%s", claim.id)
        return [replace(claim, claimed_at=now) for claim in unit if claim.id in kept]

    # -- running -----------------------------------------------------------------------

    def wake(self) -> None:
        """Something new may be due: don't wait for the next poll."""
        self._wake.set()

    def seconds_until_next(self) -> float:
        with self.db.transaction() as session:
            next_at = outbox.next_run_at(session, skip=self._pool.full())
        limit = self.poll.total_seconds()
        now = self.clock.now()
        paused_for = self._pause.remaining(now)
        if paused_for is not None:
            # Nothing goes out before the pause ends, whatever is due.
            next_at = max(next_at or now, now + paused_for)
        if next_at is None or self._starved:
            return limit
        return max(0.0, min(limit, (next_at - now).total_seconds()))

    def start(self) -> None:
        self._stop.clear()
        self._last_pass = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Claim nothing more; the sends in flight finish (within `timeout`) and the rows
        claimed but not yet sent are given back for any dispatcher to take at once."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.give_back(self._pool.drain())
        if not self._pool.wait_idle(max(0.0, deadline - time.monotonic())):
            log.warning("dispatcher.stopped_with_sends_in_flight rows=%s", self._pool.rows())

    def _run(self) -> None:
        log.info("dispatcher.started")
        while not self._stop.is_set():
            try:
                self.pump()
                wait = self.seconds_until_next()
                self._last_pass = time.monotonic()
            except Exception:  # the database may be briefly away; keep the loop alive
                log.exception("dispatcher.tick_failed")
                wait = self.poll.total_seconds()
            self._wake.wait(wait)
            self._wake.clear()
        log.info("dispatcher.stopped")
