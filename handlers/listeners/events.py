"""The event lane: every Events API delivery is answered here, in middleware, and never reaches
Bolt's listener executor, where the commands, clicks and forms that must ack wait their turn.

- A message that can touch a case (a thread reply, its edit or deletion) is written to the
  durable inbox first, so nothing Slack was told we have is lost; then it is offered to a
  bounded pool. When the pool's queue is full, the event simply stays in the inbox: the lane
  takes it back once it has room (and the worker's re-drive would, after a crash).
- The App Home being opened is drawn in the same pool (nothing to keep: opening it again redraws).
- Someone joining or leaving a channel, and a channel made private, update what the bot knows
  of its channels in the same pool (bot/channels.py); nothing to keep either: a missed one is
  made good when the channel's members are next asked of Slack.
- Everything else (top-level chatter, joins, other bots' messages) is answered 200 at once and
  costs nothing more.
- A workspace removing the app goes on to Bolt's listeners (handlers/listeners/uninstall.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.flows import cases, channels, inbox
from bot.flows.contacts import ReplyEvent, ThreadReply
from handlers.listeners.home import publish_home
from handlers.listeners.threads import apply, log_together, plain_reply, worth_recording
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
# Events that still go to Bolt's listeners.
FOR_BOLT = {"app_uninstalled", "tokens_revoked"}
# Who is in a channel, and whether it is private (the conversion is a message subtype).
CHANNEL_EVENTS = {"member_joined_channel", "member_left_channel", "channel_convert_to_private"}


class EventLane:
    """A bounded pool for events, and the events it holds (queued or running), by id."""

    def __init__(self, services: Services, *, threads: int = EVENT_THREADS, capacity: int = EVENT_CAPACITY):
        self.services = services
        self.pool = BoundedPool("events", threads=threads, capacity=capacity)
        self._held: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        # Set when an event was left in the inbox for want of room; cleared once the backlog
        # is taken back.
        self._overflowed = threading.Event()
        self._refilling = threading.Lock()

    def start(self) -> EventLane:
        self.pool.start()
        # What a process that stopped (or died) left unfinished is taken back now, not only by
        # the worker's re-drive a minute later.
        self._overflowed.set()
        threading.Thread(target=self.refill, name="events-refill", daemon=True).start()
        return self

    def offer(self, team_id: str, event_id: str, event: dict[str, Any]) -> bool:
        """Handle a recorded event soon; False when it was left in the inbox (no room, or it
        is already held here)."""
        key = (team_id, event_id)
        with self._lock:
            if key in self._held:
                return False
            self._held.add(key)
        if self.pool.submit(_Queued(self, key, event)):
            return True
        with self._lock:
            self._held.discard(key)
        self._overflowed.set()
        return False

    def offer_work(self, work: Callable[[], None]) -> bool:
        """Work that needs no inbox row (drawing the App Home); dropped when the lane is full."""
        return self.pool.submit(work)

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
        if self._overflowed.is_set() and self.pool.depth == 0:
            self.refill()

    def _is_mine(self, work: Callable[[], None]) -> bool:
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
            apply(self.services, key[0], key[1], queued.event)
        except Exception:
            # Left unfinished in the inbox: the re-drive tries again, and gives up in the end.
            log.exception("event.failed team_id=%s event_id=%s", *key)
            if inbox.failed(self.services, team_id=key[0], event_id=key[1]):
                log.error("event.given_up team_id=%s event_id=%s", *key)
        finally:
            self._release([key])

    def _release(self, keys: list[tuple[str, str]]) -> None:
        with self._lock:
            self._held.difference_update(keys)

    def refill(self) -> int:
        """Take back events left in the inbox, as many as there is room for."""
        if not self._refilling.acquire(blocking=False):
            return 0
        try:
            room = self.pool.room()
            if room <= 0:
                return 0
            # Any unfinished event, oldest first. One another web process holds right now may be
            # taken too: handling is idempotent (one contact per Slack message), so the cost of
            # that rare overlap is work, never a duplicate.
            waiting = inbox.unfinished(self.services, older_than=timedelta(0), limit=room)
            taken = sum(self.offer(event.team_id, event.event_id, event.event) for event in waiting)
            if len(waiting) < room:
                self._overflowed.clear()
            if taken:
                log.info("event.refilled count=%s", taken)
            return taken
        finally:
            self._refilling.release()

    def wait_idle(self, timeout: float) -> bool:
        return self.pool.wait_idle(timeout)

    def stop(self, timeout: float) -> None:
        """Finish the events being handled; those still queued stay in the inbox for later."""
        self.pool.shutdown(wait=True, timeout=timeout, drop_queued=True)


def _bot_joined(event: dict[str, Any], context: BoltContext) -> bool:
    return (
        event.get("subtype") == "channel_join"
        and bool(event.get("user"))
        and event.get("user") == context.bot_user_id
    )


@dataclass(frozen=True, eq=False)
class _Queued:
    """An event waiting in the lane's pool: work the lane can recognise there, and take
    several of at once."""

    lane: EventLane
    key: tuple[str, str]
    event: dict[str, Any]

    def __call__(self) -> None:
        self.lane._handle(self)


def register(app: App, lane: EventLane) -> None:
    services = lane.services

    @app.middleware
    def answer_events_at_once(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> Any:
        if body.get("type") != "event_callback":
            return next()
        event = body.get("event") or {}
        kind = event.get("type")
        if kind in FOR_BOLT:
            return next()
        team_id = context.team_id or body.get("team_id", "")
        if kind == "message" and worth_recording(event):
            event_id = body.get("event_id", "")
            # Bolt deduplicates nothing: Slack's retries (same event id) arrive as new requests.
            if inbox.record_event(services, team_id=team_id, event_id=event_id, event=event):
                lane.offer(team_id, event_id, event)
            else:
                log.info("event.duplicate team_id=%s event_id=%s", team_id, event_id)
        elif kind == "message" and _bot_joined(event, context):
            # Invited into a channel whose cases' cards it could not post: post them now.
            channel = event.get("channel", "")
            lane.offer_work(lambda: cases.post_waiting_cards(services, team_id=team_id, channel_id=channel))
        elif kind in CHANNEL_EVENTS or (kind == "message" and event.get("subtype") in CHANNEL_EVENTS):
            if not lane.offer_work(lambda: _channel_changed(services, team_id, event)):
                log.warning("channel.event_dropped_busy team_id=%s kind=%s", team_id, kind)
        elif kind == "app_home_opened" and event.get("tab") == "home" and event.get("user"):
            # The Messages tab sends this event too: nothing to draw there.
            user_id = event["user"]
            if not lane.offer_work(lambda: publish_home(services, team_id, user_id)):
                log.warning("home.dropped_busy team_id=%s user_id=%s", team_id, user_id)
        return BoltResponse(status=200, body="")


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
