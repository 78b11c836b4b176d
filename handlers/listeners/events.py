"""Events, as the web process answers them: every Events API delivery is answered here, in
middleware, and never reaches Bolt's listener executor, where the commands, clicks and forms
that must ack wait their turn. Nothing here waits on Slack or handles anything.

- What the bot must act on is written to the durable inbox, then Slack gets its 200; a worker
  takes it from there (handlers/listeners/event_lane.py): a message that can touch a case (a
  thread reply, its edit or deletion, a DM to the bot), the App Home being opened, someone
  joining or leaving a channel, a channel made private, the bot itself invited into a channel.
- Everything else (top-level chatter, other bots' messages) is answered 200 at once and costs
  nothing more.
- A workspace removing the app goes on to Bolt's listeners (handlers/listeners/uninstall.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.flows import inbox
from handlers.listeners.event_lane import BOT_JOINED, CHANNEL_EVENTS
from handlers.listeners.threads import worth_recording
from handlers.services import Services

log = logging.getLogger(__name__)

# Events that still go to Bolt's listeners.
FOR_BOLT = {"app_uninstalled", "tokens_revoked"}


def _bot_joined(event: dict[str, Any], context: BoltContext) -> bool:
    return (
        event.get("subtype") == "channel_join"
        and bool(event.get("user"))
        and event.get("user") == context.bot_user_id
    )


def register(app: App, services: Services, wake: Callable[[], None]) -> None:
    """`wake` tells whoever handles events (a worker: bot/app/worker.py) that one was recorded."""

    @app.middleware
    def answer_events_at_once(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> Any:
        if body.get("type") != "event_callback":
            return next()
        event = body.get("event") or {}
        kind = event.get("type")
        if kind in FOR_BOLT:
            return next()
        team_id = context.team_id or body.get("team_id", "")
        kept = _worth_keeping(event, context)
        if kept is None:
            return BoltResponse(status=200, body="")
        event_id = body.get("event_id", "")
        # Bolt deduplicates nothing: Slack's retries (same event id) arrive as new requests.
        if inbox.record_event(services, team_id=team_id, event_id=event_id, event=kept):
            wake()
        else:
            log.info("event.duplicate team_id=%s event_id=%s", team_id, event_id)
        return BoltResponse(status=200, body="")


def _worth_keeping(event: dict[str, Any], context: BoltContext) -> dict[str, Any] | None:
    """The event as it is kept in the inbox, or None when there is nothing to do for it."""
    kind = event.get("type")
    if kind == "message" and worth_recording(event):
        return event
    if kind == "message" and _bot_joined(event, context):
        # Invited into a channel whose cases' cards it could not post: the worker posts them.
        return {**event, BOT_JOINED: True}
    if kind in CHANNEL_EVENTS or (kind == "message" and event.get("subtype") in CHANNEL_EVENTS):
        return event
    if kind == "app_home_opened" and event.get("tab") == "home" and event.get("user"):
        # The Messages tab sends this event too: nothing to draw there.
        return event
    return None
