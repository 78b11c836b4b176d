"""SQL for recurring-problem flags (bot/recurring.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storage.models import Case, ManagerLink, Recurrence, RecurringFlag


def lock_category(session: Session, team_id: str, category_key: str) -> None:
    """Serialise flagging one category, so two closings at once can't both flag it. On SQLite
    every writing transaction already holds the database lock (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"recurring:{team_id}:{category_key}"},
        )


def recurring_cases_since(session: Session, team_id: str, category_key: str, since: datetime) -> list[Case]:
    """Cases closed as recurring in this category since `since`, oldest closed first.
    Served by ix_cases_team_closed."""
    return list(
        session.execute(
            select(Case)
            .where(
                Case.team_id == team_id,
                Case.closed_at >= since,
                Case.recurrence == Recurrence.RECURRING,
                Case.category_key == category_key,
            )
            .order_by(Case.closed_at, Case.id)
        ).scalars()
    )


def last_flag(session: Session, team_id: str, category_key: str) -> RecurringFlag | None:
    return session.execute(
        select(RecurringFlag)
        .where(RecurringFlag.team_id == team_id, RecurringFlag.category_key == category_key)
        .order_by(RecurringFlag.flagged_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def managers_of(session: Session, team_id: str, user_ids: Sequence[str]) -> dict[str, str]:
    """user id -> their manager, for those who have one."""
    rows = session.execute(
        select(ManagerLink.user_id, ManagerLink.manager_id).where(
            ManagerLink.team_id == team_id, ManagerLink.user_id.in_(list(user_ids))
        )
    ).all()
    return {user: manager for user, manager in rows}


def cases_by_ids(session: Session, case_ids: Sequence[int]) -> list[Case]:
    """In the order they were closed."""
    chosen = select(Case).where(Case.id.in_(list(case_ids))).order_by(Case.closed_at, Case.id)
    return list(session.execute(chosen).scalars())
