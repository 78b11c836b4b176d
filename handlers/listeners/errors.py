"""The one error handler: a CaseError is shown to the person as is; anything else becomes a
short message with a reference that matches one log line."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App
from sqlalchemy.exc import OperationalError

from bot.errors import CaseError
from handlers.views import blocks as render

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


def register(app: App) -> None:
    @app.error
    def on_error(error: Exception, respond: Any) -> None:
        text = message_for(error)
        if respond is None:
            return
        message = render.error_message(text)
        try:
            respond(
                response_type="ephemeral", replace_original=False, text=message.text, blocks=message.blocks
            )
        except Exception:
            log.warning("request.error_reply_failed", exc_info=True)
