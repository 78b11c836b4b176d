"""Answering where the person is, outside a response_url: a private reply in the channel they
were in, and redrawing the message they answered (a reminder, an escalation) without its
buttons, saying who did what."""

from __future__ import annotations

import logging
from typing import Any

from handlers.ids import Subject
from handlers.services import Services
from handlers.views.blocks import Message
from handlers.views.redraw import decided, redraw_item

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
    client = services.client_for(team_id)
    try:
        if original is None:
            found = (
                client.conversations_history(
                    channel=subject.channel_id,
                    latest=subject.message_ts,
                    oldest=subject.message_ts,
                    inclusive=True,
                    limit=1,
                ).get("messages")
                or []
            )
            if not found:
                return
            original = found[0]
        blocks = original.get("blocks") or []
        if subject.item is not None:
            # One item of a catch-up summary: the others keep their buttons.
            redrawn = redraw_item(
                blocks, subject.item, lambda own: decided(own, note, keep_buttons=keep_buttons)
            )
        else:
            redrawn = decided(blocks, note, keep_buttons=keep_buttons)
        client.chat_update(
            channel=subject.channel_id,
            ts=subject.message_ts,
            text=original.get("text") or note,
            blocks=redrawn,
        )
    except Exception:
        # The decision is recorded; a message still showing buttons answers a later click with
        # "already done".
        log.warning(
            "action.redraw_failed channel=%s ts=%s", subject.channel_id, subject.message_ts, exc_info=True
        )
