"""Handling the events the web process recorded (handlers/listeners/events.py): the worker's
side of the durable inbox.

The web process only records an event and answers Slack, so an ack never waits for the
interpreter behind event work (measured: bench/RESULTS.md). Here the feed claims unfinished
events from the inbox for a while (a lease, so several workers can share one inbox and a crashed
worker's events are taken up when its claims run out) and hands them to a bounded pool:

- thread replies, edits and deletions (handlers/listeners/threads.py), a storm of plain replies
  logged a batch per transaction;
- the App Home being opened, drawn again;
- someone joining or leaving a channel, or a channel made private (bot/channels.py);
- the bot invited into a channel whose cases' cards it could not post: posted now.

What the pool has no room for stays in the inbox, unclaimed, until it has."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.flows import cases, channels, inbox
from bot.flows.contacts import ReplyEvent, ThreadReply
from bot.flows.inbox import Unfinished
from handlers.listeners.home import publish_home
from handlers.listeners.threads import apply, log_together, plain_reply
from handlers.pools import BoundedPool
from handlers.services import Services

log = logging.getLogger(__name__)

# Enough threads to keep SQLite's one writer (or PostgreSQL) busy while others wait on Slack.
EVENT_THREADS = 4
# Events waiting in memory; beyond this they wait in the inbox, not in memory.
EVENT_CAPACITY = 500
# At most this many replies waiting in the lane are logged in one transaction. A batch holds
# SQLite's one writer while it is written, so an inbox row written before an ack may wait for
# it (measured: see bench/cpu_per_reply_notes.md).
EVENT_BATCH = 50
# How long a worker holds the events it took; a worker that died lets them go after this.
# Taking them again while still queued here extends the hold.
EVENT_LEASE = timedelta(seconds=60)
# How often the inbox is looked at when nobody says there is something new (another process
# recorded it): the most a reply waits before it is taken up.
POLL_EVERY = 0.1
# Set by the web process (handlers/listeners/events.py) on an event it keeps for a reason only
# it can see: the bot itself joined the channel (it knows the bot's user id).
BOT_JOINED = "casekeeper_bot_joined"
# Who is in a channel, and whether it is private (the conversion is a message subtype).
CHANNEL_EVENTS = {"member_joined_channel", "member_left_channel", "channel_convert_to_private"}


class EventLane:
    """A bounded pool for events, and the events it holds (queued or running), by key."""

    def __init__(self, services: Services, *, threads: int = EVENT_THREADS, capacity: int = EVENT_CAPACITY):
        self.services = services
        self.pool = BoundedPool("events", threads=threads, capacity=capacity)
        self._held: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def start(self) -> EventLane:
        self.pool.start()
        return self

    def offer(self, event: Unfinished) -> bool | None:
        """Handle a claimed event soon: True when queued, None when it is held here already
        (queued or running), False when there is no room."""
        key = (event.team_id, event.event_id)
        with self._lock:
            if key in self._held:
                return None
            self._held.add(key)
        if self.pool.submit(_Queued(self, key, event.event)):
            return True
        with self._lock:
            self._held.discard(key)
        return False

    def room(self) -> int:
        return self.pool.room()

    @property
    def depth(self) -> int:
        return self.pool.depth

    def _handle(self, first: _Queued) -> None:
        """An event, with the events queued right behind it: under a storm of replies each
        transaction and each claim of reactions is shared by a batch (a run of plain replies
        logged together), not paid per reply. In order: a run ends at an event that goes on
        its own (a promise, an edit, a deletion)."""
        batch = [first, *self.pool.take_more(self._is_mine, EVENT_BATCH - 1)]
        run: list[tuple[_Queued, ThreadReply]] = []
        for queued in batch:
            reply = plain_reply(queued.event)
            if reply is not None:
                run.append((queued, reply))
                continue
            self._log_together(run)
            run = []
            self._handle_one(queued)
        self._log_together(run)

    def _is_mine(self, work: Any) -> bool:
        return isinstance(work, _Queued) and work.lane is self

    def _log_together(self, run: list[tuple[_Queued, ThreadReply]]) -> None:
        if len(run) == 1:
            self._handle_one(run[0][0])
            return
        if not run:
            return
        queued = {item.key: item for item, _ in run}
        replies = [ReplyEvent(item.key[0], item.key[1], reply) for item, reply in run]
        try:
            left = log_together(self.services, replies)
            log.info("event.batched count=%s one_by_one=%s", len(run), len(left))
        except Exception:
            # Nothing of the batch was kept: each on its own now, so a reply that fails holds
            # back no other (and is counted failed alone).
            log.exception("event.batch_failed count=%s", len(run))
            left = replies
        left_keys = {(reply.team_id, reply.event_id) for reply in left}
        self._release([key for key in queued if key not in left_keys])
        for key in left_keys:
            self._handle_one(queued[key])

    def _handle_one(self, queued: _Queued) -> None:
        key = queued.key
        try:
            handle(self.services, key[0], key[1], queued.event)
        except Exception:
            # Left unfinished in the inbox: tried again a little later, and given up in the end.
            log.exception("event.failed team_id=%s event_id=%s", *key)
            if inbox.failed(self.services, team_id=key[0], event_id=key[1]):
                log.error("event.given_up team_id=%s event_id=%s", *key)
        finally:
            self._release([key])

    def _release(self, keys: list[tuple[str, str]]) -> None:
        with self._lock:
            self._held.difference_update(keys)

    def wait_idle(self, timeout: float) -> bool:
        return self.pool.wait_idle(timeout)

    def stop(self, timeout: float) -> None:
        """Finish the events being handled; those still queued go back to the inbox for any
        worker, at once rather than when their claim runs out."""
        self.pool.shutdown(wait=True, timeout=timeout, drop_queued=True)
        with self._lock:
            left = list(self._held)
            self._held.clear()
        try:
            inbox.release(self.services, left)
        except Exception:
            log.exception("event.release_failed count=%s", len(left))


def handle(services: Services, team_id: str, event_id: str, event: dict[str, Any]) -> None:
    """One recorded event, whatever its kind; its inbox row is finished with its effects (a
    message) or once done (the rest, which can simply be done again)."""
    kind = event.get("subtype") or event.get("type")
    if event.get(BOT_JOINED):
        cases.post_waiting_cards(services, team_id=team_id, channel_id=event.get("channel", ""))
    elif kind in CHANNEL_EVENTS:
        _channel_changed(services, team_id, event)
    elif event.get("type") == "app_home_opened":
        publish_home(services, team_id, event.get("user", ""))
    else:
        apply(services, team_id, event_id, event)
        return
    inbox.done(services, team_id=team_id, event_id=event_id)


def _channel_changed(services: Services, team_id: str, event: dict[str, Any]) -> None:
    kind = event.get("subtype") or event.get("type")
    channel_id, user_id = event.get("channel") or "", event.get("user") or ""
    if not channel_id:
        return
    if kind == "member_joined_channel" and user_id:
        channels.member_joined(services, team_id=team_id, channel_id=channel_id, user_id=user_id)
    elif kind == "member_left_channel" and user_id:
        channels.member_left(services, team_id=team_id, channel_id=channel_id, user_id=user_id)
    elif kind == "channel_convert_to_private":
        channels.made_private(services, team_id=team_id, channel_id=channel_id)


class EventFeed:
    """Claims events from the inbox and hands them to the lane: at once when told there is
    something new (`wake`), otherwise every POLL_EVERY."""

    def __init__(self, services: Services, lane: EventLane, *, every: float = POLL_EVERY):
        self.services = services
        self.lane = lane
        self.every = every
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._polling = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> EventFeed:
        if self._thread is None:
            self.lane.start()
            self._thread = threading.Thread(target=self._loop, name="events-feed", daemon=True)
            self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def poll(self) -> int:
        """Take as many waiting events as the lane has room for; how many it took."""
        with self._polling:
            room = self.lane.room()
            if room <= 0:
                return 0
            claimed = inbox.claim(self.services, limit=room, lease=EVENT_LEASE)
            taken, no_room = 0, []
            for event in claimed:
                queued = self.lane.offer(event)
                if queued:
                    taken += 1
                elif queued is False:
                    no_room.append((event.team_id, event.event_id))
            inbox.release(self.services, no_room)
            if taken:
                log.debug("event.taken count=%s", taken)
            return taken

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.every)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.poll()
            except Exception:
                # The database is away: the events wait in the inbox; try again next time.
                log.exception("event.poll_failed")
                self._stopping.wait(1.0)

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is waiting in the inbox that this feed could take, and the lane is
        idle (tests, and a graceful stop)."""
        deadline = time.monotonic() + timeout
        while True:
            # Idle first: then the lane has room, and a poll that takes nothing means nothing
            # is waiting. Idle again after it: the feed's own poll may have just handed over
            # what this one found gone.
            if not self.lane.wait_idle(max(0.0, deadline - time.monotonic())):
                return False
            if self.poll() == 0 and self.lane.pool.idle():
                return True

    def stop(self, timeout: float) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(max(0.0, min(timeout, 2.0)))
        self.lane.stop(timeout)


@dataclass(frozen=True, eq=False)
class _Queued:
    """An event waiting in the lane's pool: work the lane can recognise there, and take
    several of at once."""

    lane: EventLane
    key: tuple[str, str]
    event: dict[str, Any]

    def __call__(self) -> None:
        self.lane._handle(self)
