"""Answering where the person is, outside a response_url: a private reply in the channel they
were in, and redrawing the message they answered (a reminder, an escalation) without its
buttons, saying who did what."""

from __future__ import annotations

import logging
from typing import Any

from handlers.ids import Subject
from handlers.outbound.redraw import redraw
from handlers.services import Services
from handlers.views.blocks import Message
from handlers.views.redraw import decided

log = logging.getLogger(__name__)


def tell_privately(services: Services, team_id: str, channel_id: str, user_id: str, reply: Message) -> None:
    """An answer only the person sees, where they were."""
    try:
        services.client_for(team_id).chat_postEphemeral(
            channel=channel_id, user=user_id, text=reply.text, blocks=reply.blocks
        )
    except Exception:
        log.warning("action.reply_failed channel=%s", channel_id, exc_info=True)


def mark_resolved(
    services: Services,
    team_id: str,
    subject: Subject,
    note: str,
    original: dict[str, Any] | None = None,
    *,
    keep_buttons: bool = False,
) -> None:
    """Redraw the reminder or escalation that was answered, without its buttons, saying who
    did what. `original` is the message as the click carried it; after a modal it is read back
    from the conversation."""
    if not subject.channel_id or not subject.message_ts:
        return
    try:
        redraw(
            services.client_for(team_id),
            subject.channel_id,
            subject.message_ts,
            subject.item,
            lambda blocks: decided(blocks, note, keep_buttons=keep_buttons),
            original=original,
            fallback_text=note,
        )
    except Exception:
        # The decision is recorded; a message still showing buttons answers a later click with
        # "already done".
        log.warning(
            "action.redraw_failed channel=%s ts=%s", subject.channel_id, subject.message_ts, exc_info=True
        )
