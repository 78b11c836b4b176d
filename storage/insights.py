"""Reads for the App Home (bot/insights.py): a person's open cases, promises due, their team and
how its promises ended. Each is one or two statements, whatever the number of rows: never a
query per case or per promise.

Promises carry no team_id; they are kept to one workspace through their case (Slack user ids
can repeat across the workspaces of an Enterprise Grid)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Case, CaseState, ManagerLink, Promise, PromiseState


def open_cases_with_next_promise(
    session: Session, team_id: str, owner_id: str, limit: int
) -> tuple[int, list[tuple[Case, Promise | None]]]:
    """How many open cases the owner has, and up to `limit` of them with their next open
    promise: the case whose promise is due soonest first, cases without one after (oldest
    first). Served by ix_cases_owner_state and the promises' case_id index."""
    mine = (Case.team_id == team_id, Case.owner_id == owner_id, Case.state == CaseState.OPEN)
    total = session.execute(select(func.count()).select_from(Case).where(*mine)).scalar_one()
    if not total:
        return 0, []
    next_due = (
        select(Promise.case_id, func.min(Promise.due_at).label("next_due"))
        .join(Case, Case.id == Promise.case_id)
        .where(*mine, Promise.state == PromiseState.OPEN)
        .group_by(Promise.case_id)
        .subquery()
    )
    # NULLS LAST spelled portably: cases with nothing promised go after those with a due time.
    cases = list(
        session.execute(
            select(Case)
            .outerjoin(next_due, next_due.c.case_id == Case.id)
            .where(*mine)
            .order_by(sql_case((next_due.c.next_due.is_(None), 1), else_=0), next_due.c.next_due, Case.id)
            .limit(limit)
        ).scalars()
    )
    first_open: dict[int, Promise] = {}
    for promise in session.execute(
        select(Promise)
        .where(Promise.case_id.in_([c.id for c in cases]), Promise.state == PromiseState.OPEN)
        .order_by(Promise.due_at, Promise.id)
    ).scalars():
        first_open.setdefault(promise.case_id, promise)
    return total, [(c, first_open.get(c.id)) for c in cases]


def open_promises_due_before(
    session: Session, team_id: str, owner_ids: Sequence[str], before: datetime, limit: int
) -> tuple[int, list[tuple[Promise, Case]]]:
    """How many open promises of these owners are due before `before`, and up to `limit` of
    them with their case, the longest overdue first. Served by ix_promises_owner_state."""
    if not owner_ids:
        return 0, []
    where = (
        Promise.owner_id.in_(owner_ids),
        Promise.state == PromiseState.OPEN,
        Promise.due_at < before,
        Case.team_id == team_id,
    )
    total = session.execute(
        select(func.count()).select_from(Promise).join(Case, Case.id == Promise.case_id).where(*where)
    ).scalar_one()
    if not total:
        return 0, []
    rows = session.execute(
        select(Promise, Case)
        .join(Case, Case.id == Promise.case_id)
        .where(*where)
        .order_by(Promise.due_at, Promise.id)
        .limit(limit)
    ).all()
    return total, [(promise, owner_case) for promise, owner_case in rows]


def direct_reports(session: Session, team_id: str, manager_ids: Collection[str]) -> list[str]:
    """Everyone whose manager is one of these people."""
    if not manager_ids:
        return []
    return list(
        session.execute(
            select(ManagerLink.user_id).where(
                ManagerLink.team_id == team_id, ManagerLink.manager_id.in_(list(manager_ids))
            )
        ).scalars()
    )


def promise_outcomes(
    session: Session, team_id: str, owner_ids: Sequence[str], since: datetime, until: datetime
) -> list[tuple[Any, ...]]:
    """(state, due_at, kept_at, remind_at, rescheduled_at, customer_told, cancelled_at) of every
    promise of these owners due in [since, until]: only the columns the tally needs."""
    if not owner_ids:
        return []
    rows = session.execute(
        select(
            Promise.state,
            Promise.due_at,
            Promise.kept_at,
            Promise.remind_at,
            Promise.rescheduled_at,
            Promise.customer_told,
            Promise.cancelled_at,
        )
        .join(Case, Case.id == Promise.case_id)
        .where(
            Promise.owner_id.in_(owner_ids),
            Promise.due_at >= since,
            Promise.due_at <= until,
            Case.team_id == team_id,
        )
    ).all()
    return [tuple(row) for row in rows]
