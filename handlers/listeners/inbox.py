"""Global middleware: record each Events API delivery we must act on before Slack gets its 200.

Bolt deduplicates nothing: Slack's retries (X-Slack-Retry-Num, same event_id) arrive as fresh
requests. The unique (team_id, event_id) row makes the second one a no-op answered 200, and
it holds across restarts and processes because it is in the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.flows import inbox
from handlers.listeners.threads import worth_recording
from handlers.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.middleware
    def record_inbound_event(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        if body.get("type") != "event_callback" or not worth_recording(body.get("event") or {}):
            return next()
        team_id, event_id = body.get("team_id", ""), body.get("event_id", "")
        first_time = inbox.record_event(services, team_id=team_id, event_id=event_id, event=body["event"])
        if not first_time:
            log.info("event.duplicate team_id=%s event_id=%s", team_id, event_id)
            return BoltResponse(status=200, body="")
        return next()
