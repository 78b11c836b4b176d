"""Reads the domain needs, by name. Writes go through the models themselves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage.models import (
    Case,
    CaseState,
    Contact,
    ManagerLink,
    Person,
    Promise,
    PromiseState,
)


def case_by_id(session: Session, team_id: str, case_id: int, *, for_update: bool = False) -> Case | None:
    statement = select(Case).where(Case.id == case_id, Case.team_id == team_id)
    if for_update:
        statement = statement.with_for_update()
    return session.execute(statement).scalar_one_or_none()


def case_by_thread(session: Session, team_id: str, channel_id: str, thread_ts: str) -> Case | None:
    return session.execute(
        select(Case).where(Case.team_id == team_id, Case.channel_id == channel_id, Case.card_ts == thread_ts)
    ).scalar_one_or_none()


def case_with_history(session: Session, team_id: str, case_id: int) -> Case | None:
    return session.execute(
        select(Case)
        .where(Case.id == case_id, Case.team_id == team_id)
        .options(
            selectinload(Case.contacts).selectinload(Contact.revisions),
            selectinload(Case.promises),
        )
    ).scalar_one_or_none()


def open_cases_of(session: Session, team_id: str, owner_id: str) -> list[Case]:
    return list(
        session.execute(
            select(Case)
            .where(Case.team_id == team_id, Case.owner_id == owner_id, Case.state == CaseState.OPEN)
            .options(selectinload(Case.promises), selectinload(Case.contacts))
            .order_by(Case.id)
        ).scalars()
    )


def open_promises(session: Session, case_id: int) -> list[Promise]:
    return list(
        session.execute(
            select(Promise)
            .where(Promise.case_id == case_id, Promise.state == PromiseState.OPEN)
            .order_by(Promise.due_at, Promise.id)
        ).scalars()
    )


def contact_at(session: Session, channel_id: str, ts: str) -> Contact | None:
    return session.execute(
        select(Contact).where(Contact.channel_id == channel_id, Contact.ts == ts)
    ).scalar_one_or_none()


def manager_of(session: Session, team_id: str, user_id: str) -> ManagerLink | None:
    return session.execute(
        select(ManagerLink).where(ManagerLink.team_id == team_id, ManagerLink.user_id == user_id)
    ).scalar_one_or_none()


def person(session: Session, team_id: str, user_id: str) -> Person | None:
    return session.execute(
        select(Person).where(Person.team_id == team_id, Person.user_id == user_id)
    ).scalar_one_or_none()
