"""Reads for team reports (bot/reports.py). Each section is one or two statements whatever the
number of cases or agents, and each starts from a report index: promises by due time
(ix_promises_due_at), cases by when they were opened (ix_cases_team_opened) and closed
(ix_cases_team_closed), open cases by owner and state (ix_cases_owner_state).

`owner_ids` None means everyone in the workspace; otherwise only those owners. Promises carry
no team_id: they are kept to one workspace through their case."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from storage.models import Case, CaseState, Promise, Recurrence


def _owned_by(column: ColumnElement[str], owner_ids: Collection[str] | None) -> list[ColumnElement[bool]]:
    return [] if owner_ids is None else [column.in_(sorted(owner_ids))]


def promises_due(
    session: Session, team_id: str, owner_ids: Collection[str] | None, since: datetime, until: datetime
) -> list[tuple[Any, ...]]:
    """(owner_id, state, due_at, kept_at, remind_at, rescheduled_at, customer_told, cancelled_at)
    of every promise due in [since, until]: only the columns bot/insights.outcome() reads, so the
    definitions stay in one place."""
    # The promises due in the window come first, by ix_promises_due_at, and only then their
    # cases by primary key. Left to itself SQLite walks every case of the workspace instead
    # (100x slower at 100k cases); MATERIALIZED (PostgreSQL 12+, SQLite 3.35+) fixes the order.
    due = (
        select(
            Promise.case_id,
            Promise.owner_id,
            Promise.state,
            Promise.due_at,
            Promise.kept_at,
            Promise.remind_at,
            Promise.rescheduled_at,
            Promise.customer_told,
            Promise.cancelled_at,
        )
        .where(Promise.due_at >= since, Promise.due_at <= until, *_owned_by(Promise.owner_id, owner_ids))
        .cte("due")
        .prefix_with("MATERIALIZED")
    )
    rows = session.execute(
        select(
            due.c.owner_id,
            due.c.state,
            due.c.due_at,
            due.c.kept_at,
            due.c.remind_at,
            due.c.rescheduled_at,
            due.c.customer_told,
            due.c.cancelled_at,
        )
        .join(Case, Case.id == due.c.case_id)
        .where(Case.team_id == team_id)
    ).all()
    return [tuple(row) for row in rows]


def first_contacts(
    session: Session, team_id: str, owner_ids: Collection[str] | None, since: datetime, until: datetime
) -> list[tuple[str, int, datetime, datetime | None]]:
    """(owner_id, case_id, opened_at, first contact's posted_at or None) for every case opened
    in [since, until]; the first contact as bot/cases.reached keeps it on the case."""
    rows = session.execute(
        select(Case.owner_id, Case.id, Case.opened_at, Case.first_contact_at).where(
            Case.team_id == team_id,
            Case.opened_at >= since,
            Case.opened_at <= until,
            *_owned_by(Case.owner_id, owner_ids),
        )
    ).all()
    return [(owner, case_id, opened_at, first_at) for owner, case_id, opened_at, first_at in rows]


def stale_open_cases(
    session: Session, team_id: str, owner_ids: Collection[str] | None, opened_before: datetime, limit: int
) -> tuple[int, list[tuple[int, str, datetime]], dict[str, int]]:
    """Open cases opened before `opened_before`: how many, the oldest `limit` of them as
    (case_id, owner_id, opened_at), and how many each owner has."""
    where = (
        Case.team_id == team_id,
        Case.state == CaseState.OPEN,
        Case.opened_at < opened_before,
        *_owned_by(Case.owner_id, owner_ids),
    )
    per_owner = dict(
        session.execute(select(Case.owner_id, func.count()).where(*where).group_by(Case.owner_id)).all()
    )
    total = sum(per_owner.values())
    if not total:
        return 0, [], {}
    oldest = session.execute(
        select(Case.id, Case.owner_id, Case.opened_at)
        .where(*where)
        .order_by(Case.opened_at, Case.id)
        .limit(limit)
    ).all()
    return total, [(case_id, owner, opened_at) for case_id, owner, opened_at in oldest], per_owner


def recurring_categories(
    session: Session,
    team_id: str,
    owner_ids: Collection[str] | None,
    since: datetime,
    until: datetime,
    limit: int,
) -> tuple[int, list[tuple[str, str, int, list[int]]]]:
    """Cases closed as recurring in [since, until], by category (compared by
    cases.category_key): how many categories, and the `limit` biggest as (key, category as
    first written, count, case ids)."""
    key = Case.category_key
    where = (
        Case.team_id == team_id,
        Case.closed_at >= since,
        Case.closed_at <= until,
        Case.recurrence == Recurrence.RECURRING,
        Case.category_key.is_not(None),
        *_owned_by(Case.owner_id, owner_ids),
    )
    counted = session.execute(
        select(key, func.count()).where(*where).group_by(key).order_by(func.count().desc(), key)
    ).all()
    shown = [(category_key, count) for category_key, count in counted[:limit]]
    if not shown:
        return len(counted), []
    members: dict[str, list[tuple[int, str]]] = {k: [] for k, _ in shown}
    for category_key, case_id, written in session.execute(
        select(key, Case.id, Case.category)
        .where(*where, key.in_(list(members)))
        .order_by(Case.closed_at, Case.id)
    ).all():
        members[category_key].append((case_id, written))
    return len(counted), [
        (k, members[k][0][1], count, [case_id for case_id, _ in members[k]]) for k, count in shown
    ]


def workspaces_with_cases(session: Session) -> list[str]:
    return list(session.execute(select(Case.team_id).distinct().order_by(Case.team_id)).scalars())
