"""Reads of slack_sdk's installation tables that its store doesn't offer.

SQLAlchemyInstallationStore.find_bot wants the enterprise id too (a workspace inside an
Enterprise Grid org is stored with one), but an outbox row only knows its team: team ids are
unique across Slack, so the latest bot of the team is the one, whichever org it belongs to."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS


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


TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


def any_sealed_token(session: Session) -> str | None:
    """One stored bot token that was encrypted, to check the keys against at start."""
    bots = SLACK_BOTS.c
    return session.execute(
        select(bots.bot_token).where(bots.bot_token.like("fernet:%")).order_by(bots.id.desc()).limit(1)
    ).scalar()


def stored_tokens(session: Session) -> list[tuple[str, int, dict[str, str | None]]]:
    """Every stored token, by table and row: (table name, row id, {column: value})."""
    found = []
    for table in (SLACK_INSTALLATIONS, SLACK_BOTS):
        columns = [c for c in TOKEN_COLUMNS if c in table.c]
        for row in session.execute(select(table.c.id, *(table.c[c] for c in columns))).all():
            found.append((table.name, row.id, {c: getattr(row, c) for c in columns}))
    return found


def set_tokens(session: Session, table_name: str, row_id: int, values: dict[str, str | None]) -> None:
    table = SLACK_INSTALLATIONS if table_name == SLACK_INSTALLATIONS.name else SLACK_BOTS
    session.execute(update(table).where(table.c.id == row_id).values(**values))
