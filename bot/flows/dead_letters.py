"""A notification died (the dispatcher's on_dead hook): the people it concerns are told, by
notices that are outbox rows themselves (bot/dead_letters.py). Operators' retry and drop are
bot/ops/dead_cli.py's."""

from __future__ import annotations

import logging

from bot import dead_letters
from bot.flows.context import Context
from storage.outbox import Claim

log = logging.getLogger(__name__)


def report_dead(
    ctx: Context, died: Claim, error: str, *, recipient_gone: bool, workspace_gone: bool = False
) -> None:
    """Called on the sender's thread once the row is recorded dead. Never raises: the rest of
    the dispatcher's work must not stop for a notice (the row stays dead, and listed).
    `workspace_gone`: the bot's access to the workspace is gone, so no notice could arrive."""
    if dead_letters.is_notice(died.kind):
        # No notice of a notice: that could go round for ever. The operator's list shows it.
        log.error(
            "dead_letter.undeliverable id=%s about=%s to=%s error=%s",
            died.id,
            died.payload.get("notification_id"),
            died.recipient,
            error,
        )
        return
    try:
        with ctx.unit() as unit:
            keys = dead_letters.tell(
                unit.session,
                died,
                error,
                recipient_gone=recipient_gone,
                workspace_gone=workspace_gone,
                admins=ctx.policy.admins.of(died.team_id),
                now=unit.now,
            )
            # Due now: the dispatcher looks again at once rather than at its next poll (not
            # sent from here, which is a sender thread in the middle of its lane).
            if keys:
                unit.wake()
        if keys:
            log.info("dead_letter.told id=%s kind=%s notices=%s", died.id, died.kind, len(keys))
    except Exception:
        log.exception("dead_letter.report_failed id=%s kind=%s", died.id, died.kind)
