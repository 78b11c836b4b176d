"""Sending claimed rows side by side, one lane per conversation, on a bounded set of threads.

A lane is what this process has claimed for one conversation: a person's DM, or a channel
with the case threads in it (a row's recipient is that conversation). A lane sends one unit
at a time (a row, or one person's catch-up summary), in the order the units came, which is
due order; different lanes send at once, the lane whose next unit is due earliest first. A
slow or failing send holds up its own conversation only, and Slack's 1 message a second per
channel is never asked of one conversation by two threads at once.

The one order kept across lanes: an escalation's note in the case thread says the escalation
went out, so it waits while that escalation is queued or in flight here
(bot/notifications.goes_after); otherwise it would find it unsent and put itself off."""

from __future__ import annotations

import heapq
import logging
import threading
from collections import deque
from datetime import datetime
from typing import Protocol

from bot import notifications
from storage.outbox import Claim

log = logging.getLogger(__name__)

Unit = list[Claim]
# (workspace, recipient): a person's DM or a channel.
LaneKey = tuple[str, str]


def lane_of(unit: Unit) -> LaneKey:
    return unit[0].team_id, unit[0].recipient


class Owner(Protocol):
    """What the pool asks of the dispatcher."""

    def send_unit(self, unit: Unit) -> list[Unit] | None:
        """Send and record one unit. Returns the units that go next in its lane (rows a
        summary left out), or None when it was not tried (stopping, or Slack failing): the
        pool then gives back the lane's rest with it."""
        ...

    def give_back(self, claims: list[Claim]) -> None: ...

    def progress(self, lane: LaneKey) -> None:
        """A unit of `lane` is done: there may be room to claim more."""
        ...


class SendPool:
    def __init__(self, owner: Owner, *, threads: int, lane_depth: int):
        self.owner = owner
        self.threads = threads
        # Units one lane may hold (queued and in flight); a full lane's rows are left in the
        # outbox, so one busy conversation can't fill this process's claims.
        self.lane_depth = lane_depth
        self._changed = threading.Condition()
        self._lanes: dict[LaneKey, deque[Unit]] = {}
        # Lanes whose next unit may go, earliest due first: (run_at, row id, lane).
        self._ready: list[tuple[datetime, int, LaneKey]] = []
        self._sending: set[LaneKey] = set()
        # Lanes whose next unit waits for a row of another lane, by that row's outbox key.
        self._blocked: dict[str, list[LaneKey]] = {}
        self._keys: dict[str, LaneKey] = {}  # rows queued or in flight, by outbox key
        self._rows = 0
        self._workers = 0

    # -- what the dispatcher sees ---------------------------------------------------------

    def rows(self) -> int:
        """Rows queued or in flight."""
        with self._changed:
            return self._rows

    def busy(self) -> set[str]:
        """Recipients of every lane holding anything."""
        with self._changed:
            return {recipient for _, recipient in self._lanes}

    def full(self) -> set[str]:
        """Recipients of the lanes that take no more."""
        with self._changed:
            return {
                recipient
                for (team_id, recipient), lane in self._lanes.items()
                if len(lane) + ((team_id, recipient) in self._sending) >= self.lane_depth
            }

    def add(self, units: list[Unit]) -> None:
        """Queue units at the end of their lanes, in the order given."""
        with self._changed:
            for unit in units:
                key = lane_of(unit)
                lane = self._lanes.setdefault(key, deque())
                idle = not lane and key not in self._sending
                lane.append(unit)
                self._rows += len(unit)
                self._keys.update((claim.key, key) for claim in unit)
                if idle:
                    self._schedule(key)
            self._spawn()

    def drain(self) -> list[Claim]:
        """Take every unit not in flight out of the lanes (to be given back)."""
        with self._changed:
            taken = [claim for lane in self._lanes.values() for unit in lane for claim in unit]
            for key in list(self._lanes):
                self._lanes[key].clear()
                if key not in self._sending:
                    del self._lanes[key]
            self._ready.clear()
            self._blocked.clear()
            self._forget(taken)
            return taken

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Until nothing is queued or in flight; False if `timeout` ran out first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._rows == 0, timeout)

    # -- the lanes -----------------------------------------------------------------------

    def _schedule(self, key: LaneKey) -> None:
        """An idle lane: ready, or blocked behind the row its next unit follows."""
        lane = self._lanes.get(key)
        if not lane:
            self._lanes.pop(key, None)
            return
        head = lane[0]
        for claim in head:
            after = notifications.goes_after(claim.kind, claim.promise_id, claim.level)
            other = self._keys.get(after) if after is not None else None
            # Never behind a lane that waits itself: no two lanes can end up waiting for each
            # other (the note would then find its escalation unsent, and put itself off).
            if after is not None and other is not None and other != key and not self._waits(other):
                self._blocked.setdefault(after, []).append(key)
                return
        heapq.heappush(self._ready, (head[0].run_at, head[0].id, key))

    def _waits(self, key: LaneKey) -> bool:
        return any(key in lanes for lanes in self._blocked.values())

    def _forget(self, claims: list[Claim]) -> None:
        self._rows -= len(claims)
        for claim in claims:
            self._keys.pop(claim.key, None)
            for key in self._blocked.pop(claim.key, []):
                if key not in self._sending:
                    self._schedule(key)
        self._spawn()
        self._changed.notify_all()

    def _spawn(self) -> None:
        looking = self._workers - len(self._sending)
        while self._workers < self.threads and looking < len(self._ready):
            self._workers += 1
            looking += 1
            threading.Thread(target=self._work, name=f"sender-{self._workers}", daemon=True).start()

    def _work(self) -> None:
        """One sender thread: the earliest-due ready lane's next unit, until none is ready."""
        while True:
            with self._changed:
                if not self._ready:
                    self._workers -= 1
                    return
                _, _, key = heapq.heappop(self._ready)
                unit = self._lanes[key].popleft()
                self._sending.add(key)
            try:
                after = self.owner.send_unit(unit)
            except Exception:  # the database went away mid-way: the rows' lease returns them
                log.exception("dispatcher.lane_failed rows=%s", len(unit))
                after = []
            returned = self._finish(key, unit, after)
            if returned:
                try:
                    self.owner.give_back(returned)
                except Exception:  # the database is away: their lease returns them
                    log.exception("dispatcher.give_back_failed rows=%s", len(returned))
                with self._changed:
                    self._forget(returned)
            self.owner.progress(key)

    def _finish(self, key: LaneKey, unit: Unit, after: list[Unit] | None) -> list[Claim]:
        """A unit is done; returns what is to be given back (still counted until it is)."""
        with self._changed:
            self._sending.discard(key)
            lane = self._lanes.setdefault(key, deque())
            if after is None:
                returned = unit + [claim for queued in lane for claim in queued]
                lane.clear()
                self._schedule(key)
                return returned
            sent_ids = {claim.id for claim in unit} - {claim.id for next_unit in after for claim in next_unit}
            lane.extendleft(reversed(after))
            self._schedule(key)
            self._forget([claim for claim in unit if claim.id in sent_ids])
            return []
