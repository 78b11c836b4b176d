"""Channels as Slack last described them (the `channels` table), and which of a workspace's
channels hold private cases."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage import rows
from storage.models import Case, Channel


def channel(session: Session, team_id: str, channel_id: str) -> Channel | None:
    return session.execute(
        select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id)
    ).scalar_one_or_none()


def channel_for_update(session: Session, team_id: str, channel_id: str) -> Channel:
    """The row, made if there is none yet. Made with
    ON CONFLICT DO NOTHING: several commands in one new channel at once (or two processes) race
    to make it, and a plain insert would fail the loser's whole transaction, and with it the case
    it was opening."""
    if channel(session, team_id, channel_id) is None:
        rows.insert_new(session, Channel, [{"team_id": team_id, "channel_id": channel_id}], returning=("id",))
    return session.execute(
        select(Channel)
        .where(Channel.team_id == team_id, Channel.channel_id == channel_id)
        .execution_options(populate_existing=True)
    ).scalar_one()


def private_channels_with_cases(session: Session, team_id: str) -> list[str]:
    """The private channels the workspace has cases in (a partial index holds only those)."""
    statement = select(Case.channel_id).where(Case.team_id == team_id, Case.private.is_(True)).distinct()
    return sorted(session.execute(statement).scalars())


def mark_cases_private(session: Session, team_id: str, channel_id: str) -> int:
    """Every case of a channel that became private; returns how many were not marked yet."""
    result = session.execute(
        update(Case)
        .where(Case.team_id == team_id, Case.channel_id == channel_id, Case.private.is_(False))
        .values(private=True)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
