"""Reads of slack_sdk's installation tables that its store doesn't offer.

SQLAlchemyInstallationStore.find_bot wants the enterprise id too (a workspace inside an
Enterprise Grid org is stored with one), but an outbox row only knows its team: team ids are
unique across Slack, so the latest bot of the team is the one, whichever org it belongs to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import SLACK_BOTS


def latest_bot(session: Session, client_id: str, team_id: str) -> tuple[str, str | None, str | None] | None:
    """The workspace's latest bot token, with the bot's own ids (bot id, bot user id)."""
    bots = SLACK_BOTS.c
    row = session.execute(
        select(bots.bot_token, bots.bot_id, bots.bot_user_id)
        .where(bots.client_id == client_id, bots.team_id == team_id, bots.bot_token.is_not(None))
        .order_by(bots.installed_at.desc(), bots.id.desc())
        .limit(1)
    ).first()
    return (row.bot_token, row.bot_id, row.bot_user_id) if row is not None else None
