"""What every flow works with, and the unit of work that ends each one.

A flow runs one unit of work: a transaction, plus the outbox rows it leaves to send once the
transaction has committed. Sending before the commit could announce something that then rolls
back; forgetting to send leaves a card or a note to the next dispatcher poll. The unit makes
both impossible: flows say `unit.send(keys)`, and the unit delivers after the commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.outcomes import Outcome
from bot.errors import CaseError
from bot.policy import Policy
from bot.team import Profile
from storage import interactions
from storage.db import Database


@dataclass(frozen=True)
class Once:
    """What makes a person's request the same request again: a key Slack gives it (a form's view
    id, the message and button clicked) or its words, and how long the same again counts as a
    repeat (None: always). The unit records it in the same transaction as its effects, so a
    request that failed changes nothing and may be tried again."""

    key: str
    window: timedelta | None = None


class AlreadyDone(CaseError):
    """The same request was acted on a moment ago: nothing was done twice."""

    def __init__(self) -> None:
        super().__init__("That was done a moment ago already, so I didn't do it twice.")


class Directory(Protocol):
    """Who people are, as far as flows need: their time zone, for reading "tomorrow 3pm" on
    their clock and for their working hours; and the channels cases are in: private or not,
    and who is in them, for who may read a private channel's case (bot/authz.py). Slack knows
    it (handlers/outbound/people.py asks and caches); flows only ask here, outside any
    transaction."""

    def time_zone(self, team_id: str, user_id: str) -> str: ...

    def profiles(self, team_id: str, user_ids: Collection[str]) -> dict[str, Profile]:
        """Name, picture and zone of each, for the dashboard: cached, refreshed daily; someone
        Slack can't tell about still gets a Profile (with no name)."""
        ...

    def channel_is_private(self, team_id: str, channel_id: str) -> bool | None:
        """None: Slack couldn't say and nothing is known."""
        ...

    def channel_members(self, team_id: str, channel_id: str) -> frozenset[str] | None:
        """None: Slack couldn't say and nothing is known."""
        ...


@dataclass
class Unit:
    """One transaction and what it leaves to send once committed."""

    session: Session
    # One "now" for everything the unit records.
    now: datetime
    _send: list[str] = field(default_factory=list)
    _newest: dict[str, str] = field(default_factory=dict)
    _wake: bool = False
    # After the unit: how each row given to send() went (a row another process took is absent).
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def send(self, keys: Iterable[str]) -> None:
        """These outbox rows go straight after the commit, not at the next poll."""
        self._send += [key for key in keys if key not in self._send]

    def send_newest(self, group: str, key: str) -> None:
        """Like send(), for rows where the newest of a group draws everything the others would
        (a case card's redraws): while one is out, only the newest asked for meanwhile goes."""
        self._newest[group] = key

    def wake(self) -> None:
        """Rows were planned for later (a reminder): the dispatcher looks again at once rather
        than sleeping until the time it had worked out before them."""
        self._wake = True


class Held:
    """Units whose sending waits for release() (see Context.holding_sends)."""

    def __init__(self, deliver: Callable[[Unit], None]):
        self._deliver = deliver
        self.units: list[Unit] = []

    def release(self) -> None:
        for work in self.units:
            self._deliver(work)
        self.units.clear()


@dataclass
class Context:
    db: Database
    clock: Clock
    policy: Policy
    dispatcher: Dispatcher
    directory: Directory
    # Per thread: the units whose sending is held back (holding_sends), if any.
    _holding: threading.local = field(default_factory=threading.local, init=False, repr=False, compare=False)

    @contextmanager
    def unit(self, once: Once | None = None) -> Iterator[Unit]:
        """One unit of work: committed once at the end, rolled back on any exception (and then
        nothing is sent); what it asked to send goes out after the commit. `once`: raise
        AlreadyDone, changing nothing, if the same request was acted on already."""
        with self.db.transaction() as session:
            work = Unit(session=session, now=self.clock.now())
            if once is not None:
                since = work.now - once.window if once.window is not None else None
                if not interactions.first_time(session, once.key, work.now, since):
                    raise AlreadyDone()
            yield work
        self._after_commit(work)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that changes nothing (or nothing anybody needs to hear about)."""
        with self.db.transaction() as session:
            yield session

    @contextmanager
    def holding_sends(self) -> Iterator[Held]:
        """Flows run inside this commit as usual but send nothing yet: held.release() sends what
        they asked for, in order. For work done before a request's ack, whose messages must not
        hold up the ack (a form is answered in its ack, and Slack waits for nothing else)."""
        held = Held(self._deliver)
        self._holding.held = held
        try:
            yield held
        finally:
            self._holding.held = None

    def _after_commit(self, work: Unit) -> None:
        held: Held | None = getattr(self._holding, "held", None)
        if held is not None:
            held.units.append(work)
            return
        self._deliver(work)

    def _deliver(self, work: Unit) -> None:
        if work._send:
            work.outcomes = self.dispatcher.deliver_now(work._send)
        for group, key in work._newest.items():
            self.dispatcher.deliver_newest(group, key)
        if work._wake:
            self.dispatcher.wake()
