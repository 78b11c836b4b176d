"""The bot's DM (the app's Messages tab): what a person writes there is understood or answered
with what it understands, never met with silence. `done` answering a reminder keeps that
reminder's promise (and redraws the reminder without its buttons); when several could be meant
they are asked which; anything else gets help (bot/flows/direct.py)."""

from __future__ import annotations

import logging
from typing import Any

from bot.flows import direct
from bot.flows.direct import DirectMessage, Kept, NothingWaiting, Refused, Several
from bot.promises import Intent
from handlers.ids import Subject
from handlers.listeners.redraw import mark_resolved
from handlers.parse_replies import DmDone, parse_dm
from handlers.services import Services
from handlers.views import promises as promise_views
from handlers.views import questions, replies
from handlers.views.blocks import Message

log = logging.getLogger(__name__)


def answer(services: Services, team_id: str, event_id: str, event: dict[str, Any]) -> None:
    """Answer one message to the bot, in the DM (in its thread when it was written in one)."""
    message = DirectMessage(
        team_id=team_id,
        event_id=event_id,
        user_id=event["user"],
        channel_id=event.get("channel", ""),
        thread_ts=event.get("thread_ts"),
    )
    request = parse_dm(event.get("text") or "")
    if not isinstance(request, DmDone):
        direct.acknowledged(services, message)
        _say(services, message, replies.dm_help(request.said))
        return
    outcome = direct.done(services, message, request.case_id)
    if isinstance(outcome, Kept):
        kept = promise_views.promise_kept(outcome.case, outcome.promise)
        if outcome.reminder is not None:
            channel, ts = outcome.reminder
            where = Subject(case_id=outcome.case.id, channel_id=channel, message_ts=ts)
            mark_resolved(services, team_id, where, kept.text)
        _say(services, message, kept)
    elif isinstance(outcome, Several):
        _say(
            services,
            message,
            questions.which_promise(
                outcome.choices, Intent.KEEP, case_id=outcome.case_id, case_ref=outcome.case_ref
            ),
        )
    elif isinstance(outcome, NothingWaiting):
        _say(services, message, replies.dm_nothing_waiting())
    else:
        assert isinstance(outcome, Refused)
        _say(services, message, replies.error_message(outcome.reason))


def _say(services: Services, message: DirectMessage, reply: Message) -> None:
    """Posted after the commit: a failure here loses the answer, never what was recorded."""
    try:
        services.client_for(message.team_id).chat_postMessage(
            channel=message.channel_id,
            thread_ts=message.thread_ts,
            text=reply.text,
            blocks=reply.blocks,
        )
    except Exception:
        log.warning("direct.answer_failed channel=%s", message.channel_id, exc_info=True)
