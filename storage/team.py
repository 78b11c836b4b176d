"""Reads and writes for who manages whom (bot/managers.py): the links in force, the requests
waiting for a manager's acceptance, and who the bot knows in a workspace (the roster)."""

from __future__ import annotations

from sqlalchemy import delete, exists, select, union
from sqlalchemy.orm import Session

from storage.models import Case, ManagerLink, ManagerRequest, Person


def request_of(session: Session, team_id: str, user_id: str) -> ManagerRequest | None:
    """The request someone made that waits for their named manager, if any."""
    return session.execute(
        select(ManagerRequest).where(ManagerRequest.team_id == team_id, ManagerRequest.user_id == user_id)
    ).scalar_one_or_none()


def request_by_id(session: Session, request_id: int, *, for_update: bool = False) -> ManagerRequest | None:
    statement = select(ManagerRequest).where(ManagerRequest.id == request_id)
    if for_update:
        statement = statement.with_for_update()
    return session.execute(statement).scalar_one_or_none()


def add_request(session: Session, request: ManagerRequest) -> ManagerRequest:
    """Replaces the person's earlier request: a new row (a new id), so a button on the DM about
    the old one can't accept the new one."""
    session.execute(
        delete(ManagerRequest).where(
            ManagerRequest.team_id == request.team_id, ManagerRequest.user_id == request.user_id
        )
    )
    session.add(request)
    session.flush()
    return request


def drop_request(session: Session, team_id: str, user_id: str) -> None:
    session.execute(
        delete(ManagerRequest).where(ManagerRequest.team_id == team_id, ManagerRequest.user_id == user_id)
    )


def drop_link(session: Session, team_id: str, user_id: str) -> None:
    session.execute(delete(ManagerLink).where(ManagerLink.team_id == team_id, ManagerLink.user_id == user_id))


def manages_anyone(session: Session, team_id: str, user_id: str) -> bool:
    """Whether someone has at least one report whose link is in force."""
    return bool(
        session.execute(
            select(exists().where(ManagerLink.team_id == team_id, ManagerLink.manager_id == user_id))
        ).scalar()
    )


def links(session: Session, team_id: str) -> dict[str, str]:
    """Everyone with a manager in force -> that manager."""
    rows = session.execute(
        select(ManagerLink.user_id, ManagerLink.manager_id).where(ManagerLink.team_id == team_id)
    ).all()
    return {user: manager for user, manager in rows}


def requests(session: Session, team_id: str) -> list[ManagerRequest]:
    return list(
        session.execute(
            select(ManagerRequest)
            .where(ManagerRequest.team_id == team_id)
            .order_by(ManagerRequest.requested_at, ManagerRequest.id)
        ).scalars()
    )


def case_owners(session: Session, team_id: str) -> set[str]:
    """Everyone who owns or owned a case in the workspace."""
    return set(session.execute(select(Case.owner_id).where(Case.team_id == team_id).distinct()).scalars())


def workspaces(session: Session) -> list[str]:
    """Every workspace the database knows of: by its cases, its manager links, or its people."""
    known = union(select(Case.team_id), select(ManagerLink.team_id), select(Person.team_id)).subquery()
    return sorted(session.execute(select(known.c.team_id)).scalars())
