"""The dashboard's sign-ins (bot/sign_in.py): one-time links and browser sessions. Only hashes of
their secrets are stored, so a copy of the database (a backup, `copy-db`) signs nobody in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, delete, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base, UTCDateTime


class SignInLink(Base):
    """A link `/case dashboard` gave someone: good once, until `expires_at`."""

    __tablename__ = "sign_in_links"

    # sha256 of the token in the link, hex.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_sign_in_links_expires_at", "expires_at"),)


class WebSession(Base):
    """A browser signed in as a Slack user of a workspace, until `expires_at` or sign-out."""

    __tablename__ = "web_sessions"

    # sha256 of the cookie's value, hex.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    # "link" (a /case dashboard link) or "slack" (Sign in with Slack).
    via: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_web_sessions_expires_at", "expires_at"),
        Index("ix_web_sessions_user", "team_id", "user_id"),
    )


def add_link(session: Session, link: SignInLink) -> None:
    session.add(link)
    session.flush()


def link(session: Session, token_hash: str) -> SignInLink | None:
    return session.get(SignInLink, token_hash)


def use_link(session: Session, token_hash: str, now: datetime) -> bool:
    """Marks the link used, if it still can be: one statement, so of two browsers posting the
    same link at once only one gets True (the row counts say which)."""
    used = session.execute(
        update(SignInLink)
        .where(SignInLink.token_hash == token_hash, SignInLink.used_at.is_(None), SignInLink.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return used.rowcount == 1


def add_session(session: Session, web_session: WebSession) -> None:
    session.add(web_session)
    session.flush()


def live_session(session: Session, token_hash: str, now: datetime) -> WebSession | None:
    return session.execute(
        select(WebSession).where(
            WebSession.token_hash == token_hash, WebSession.ended_at.is_(None), WebSession.expires_at > now
        )
    ).scalar_one_or_none()


def end_session(session: Session, token_hash: str, now: datetime) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == token_hash, WebSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )


def end_sessions_of(session: Session, team_id: str, user_id: str | None, now: datetime) -> int:
    """Signs out everyone of a workspace (user_id None: an uninstall), or one person."""
    where = [WebSession.team_id == team_id, WebSession.ended_at.is_(None)]
    if user_id is not None:
        where.append(WebSession.user_id == user_id)
    ended = session.execute(
        update(WebSession).where(*where).values(ended_at=now).execution_options(synchronize_session=False)
    )
    return ended.rowcount or 0


def purge(session: Session, before: datetime, limit: int) -> int:
    """Deletes up to `limit` links and sessions that expired or ended before `before`."""
    gone = 0
    links = select(SignInLink.token_hash).where(SignInLink.expires_at < before).limit(limit)
    gone += session.execute(delete(SignInLink).where(SignInLink.token_hash.in_(links))).rowcount or 0
    sessions = (
        select(WebSession.token_hash)
        .where(or_(WebSession.expires_at < before, WebSession.ended_at < before))
        .limit(limit)
    )
    gone += session.execute(delete(WebSession).where(WebSession.token_hash.in_(sessions))).rowcount or 0
    return gone


def delete_workspace(session: Session, team_id: str) -> None:
    session.execute(delete(SignInLink).where(SignInLink.team_id == team_id))
    session.execute(delete(WebSession).where(WebSession.team_id == team_id))
