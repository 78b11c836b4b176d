"""The manager someone named answers: Accept or Decline on the DM asking them
(handlers/views/team.py). Acked at once; the answer is a flow on the after-ack pool, then the DM
is redrawn without its buttons, saying what was decided. A refusal (a request replaced
meanwhile, someone else's button) is told ephemerally where they clicked."""

from __future__ import annotations

import threading
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.errors import CaseError
from bot.flows import team
from bot.flows.context import Once
from handlers.ids import ActionId, Subject
from handlers.listeners.actions import DOUBLE_CLICK
from handlers.listeners.errors import answer
from handlers.listeners.redraw import mark_resolved
from handlers.services import Services
from handlers.views import replies
from handlers.views import team as team_views


def register(app: App, services: Services) -> None:
    for action, accept in ((ActionId.MANAGER_ACCEPT, True), (ActionId.MANAGER_DECLINE, False)):
        _listen(app, services, action, accept)


def _listen(app: App, services: Services, action: ActionId, accept: bool) -> None:
    @app.action(action.value)
    def listener(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        queued = services.run_after_ack(
            lambda: answer(respond, lambda: _answer(services, body, accept), action.value), action.value
        )
        if not queued:
            busy = replies.busy()
            threading.Thread(target=lambda: answer(respond, lambda: busy, "busy"), daemon=True).start()


def _answer(services: Services, body: dict[str, Any], accept: bool) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    raw = str(body["actions"][0].get("value") or "")
    request_id, _, asker = raw.partition(":")
    if not request_id.isdigit() or not asker:
        raise CaseError("That button is about no request I know of.")
    container = body.get("container") or {}
    where = container.get("message_ts") or ""
    change = team.answer_request(
        services,
        team_id=team_id,
        actor_id=user_id,
        request_id=int(request_id),
        user_id=asker,
        accept=accept,
        # A double click is one answer; the other button, clicked after, finds it answered.
        once=Once(f"manager_request:{team_id}:{user_id}:{raw}:{accept}:{where}", DOUBLE_CLICK),
    )
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    message = Subject(case_id=0, channel_id=channel, message_ts=container.get("message_ts"))
    mark_resolved(
        services, team_id, message, team_views.request_answered(change, accept), body.get("message")
    )
