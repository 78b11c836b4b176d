"""The one place errors become what people read: a CaseError is shown as is; anything else
becomes a short message with a reference that matches one log line. Bolt's error handler
covers what a listener raises before its ack; `answer` covers the work after it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, Respond
from sqlalchemy.exc import OperationalError

from bot.errors import CaseError
from handlers.views.blocks import Message
from handlers.views.replies import error_message

log = logging.getLogger(__name__)


def message_for(error: Exception) -> str:
    if isinstance(error, CaseError):
        return str(error)
    ref = uuid.uuid4().hex[:6]
    if isinstance(error, OperationalError):
        log.error("request.database_unavailable ref=%s error=%s", ref, error)
        return (
            "I couldn't reach my database, so nothing was recorded."
            f" Please try again in a minute (ref {ref})."
        )
    log.error("request.failed ref=%s", ref, exc_info=error)
    return f"Something went wrong (ref {ref}). `/case list` shows what was recorded before you try again."


def ephemeral(message: Message) -> dict[str, Any]:
    """A reply only the person sees, as response_url and ack() take it."""
    return {"response_type": "ephemeral", "text": message.text, "blocks": message.blocks}


def answer(respond: Respond, work: Callable[[], Message | None], what: str, *, replace: bool = False) -> None:
    """Run the work a request asked for, after its ack, and tell the person how it went: its
    reply, or what went wrong. Nothing escapes: the request is acknowledged already, so an
    exception here would reach nobody. `replace`: the reply takes the place of the message the
    person clicked in (an ephemeral one), rather than coming after it."""
    try:
        reply = work()
    except Exception as error:
        # A refusal comes beside what was clicked, never in its place.
        reply, replace = error_message(message_for(error)), False
    if reply is None:
        return
    try:
        respond(**ephemeral(reply), replace_original=replace)
    except Exception:  # response_url expired or unreachable: the work itself is done
        log.warning("request.reply_failed what=%s", what, exc_info=True)


def register(app: App) -> None:
    @app.error
    def on_error(error: Exception, respond: Any) -> None:
        text = message_for(error)
        if respond is None:
            return
        message = error_message(text)
        try:
            respond(**ephemeral(message), replace_original=False)
        except Exception:
            log.warning("request.error_reply_failed", exc_info=True)
