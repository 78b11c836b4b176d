"""Redrawing a message the bot sent, in place (chat.update), once its question is answered: by
whoever clicked it (handlers/listeners/redraw.py) or by what happened later to its promise (an
escalation whose promise was kept meanwhile: handlers/outbound/sender.py). One way for both: the
message as Slack shows it now, without its buttons, plus a line saying what happened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from handlers.views.redraw import redraw_item

Blocks = list[dict[str, Any]]


def read_back(client: WebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """The message as it is now (after any earlier redraw), or None when it is gone."""
    found = (
        client.conversations_history(channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1).get(
            "messages"
        )
        or []
    )
    return found[0] if found else None


def redraw(
    client: WebClient,
    channel: str,
    ts: str,
    item: str | None,
    decide: Callable[[Blocks], Blocks],
    *,
    original: dict[str, Any] | None = None,
    fallback_text: str = "",
) -> bool:
    """Pass the message's blocks (or only `item`'s, in a catch-up summary) through `decide` and
    redraw it. `original`: the message as a click carried it; otherwise it is read back.
    False when the message is gone. Slack errors are the caller's to handle."""
    if original is None:
        original = read_back(client, channel, ts)
        if original is None:
            return False
    blocks = original.get("blocks") or []
    redrawn = redraw_item(blocks, item, decide) if item is not None else decide(blocks)
    # chat.update is idempotent: a repeat draws the same message again.
    client.chat_update(channel=channel, ts=ts, text=original.get("text") or fallback_text, blocks=redrawn)
    return True
