"""Signing in to the dashboard (README → Dashboard). No Slack, no HTTP here.

- `/case dashboard` gives the person a link holding a random token, good once, for
  LINK_LIFETIME. Opening the link shows who it signs in as; only confirming (a POST) uses it, so
  a link preview or a mail scanner fetching the address spends nothing.
- Using it opens a session: another random token, the browser's cookie, good until the session
  lifetime (DASHBOARD_SESSION) runs out or the person signs out. "Sign in with Slack" opens the
  same kind of session once Slack has said who the person is.
- Only sha256 hashes of both tokens are stored (storage/web_sessions.py): the secrets exist only
  in the person's link and browser. 32 random bytes need no slow hash: there is nothing to guess."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from storage import web_sessions as stored
from storage.web_sessions import SignInLink, WebSession

LINK_LIFETIME = timedelta(minutes=10)
DEFAULT_SESSION_LIFETIME = timedelta(hours=12)


class LinkProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


# What the person reads when a link doesn't sign them in, and what to do about it.
PROBLEMS = {
    LinkProblem.UNKNOWN: "This sign-in link isn't one I gave out (it may have been cut short when copied).",
    LinkProblem.USED: "This sign-in link has been used already: each link signs in once.",
    LinkProblem.EXPIRED: "This sign-in link has expired: links are good for 10 minutes.",
}
AGAIN = "Type /case dashboard in Slack for a new one."


class SignInError(Exception):
    def __init__(self, problem: LinkProblem):
        super().__init__(f"{PROBLEMS[problem]} {AGAIN}")
        self.problem = problem


@dataclass(frozen=True)
class Viewer:
    """Who a browser is signed in as."""

    team_id: str
    user_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Opened:
    """A new session: `token` goes in the browser's cookie and nowhere else."""

    token: str
    viewer: Viewer


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link(session: Session, *, team_id: str, user_id: str, now: datetime) -> str:
    """A fresh one-time token for `user_id`; the caller puts it in the link."""
    token = secrets.token_urlsafe(32)
    stored.add_link(
        session,
        SignInLink(
            token_hash=_hash(token),
            team_id=team_id,
            user_id=user_id,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        ),
    )
    return token


def link_holder(session: Session, token: str, now: datetime) -> tuple[str, str]:
    """(team_id, user_id) the link would sign in as; SignInError when it can't."""
    link = stored.link(session, _hash(token))
    if link is None:
        raise SignInError(LinkProblem.UNKNOWN)
    if link.used_at is not None:
        raise SignInError(LinkProblem.USED)
    if link.expires_at <= now:
        raise SignInError(LinkProblem.EXPIRED)
    return link.team_id, link.user_id


def use_link(session: Session, token: str, *, now: datetime, lifetime: timedelta) -> Opened:
    """Spends the link and opens a session for its holder."""
    team_id, user_id = link_holder(session, token, now)
    if not stored.use_link(session, _hash(token), now):
        # Another browser used it between the two statements.
        raise SignInError(LinkProblem.USED)
    return open_session(session, team_id=team_id, user_id=user_id, via="link", now=now, lifetime=lifetime)


def open_session(
    session: Session, *, team_id: str, user_id: str, via: str, now: datetime, lifetime: timedelta
) -> Opened:
    token = secrets.token_urlsafe(32)
    expires_at = now + lifetime
    stored.add_session(
        session,
        WebSession(
            token_hash=_hash(token),
            team_id=team_id,
            user_id=user_id,
            via=via,
            created_at=now,
            expires_at=expires_at,
        ),
    )
    return Opened(token=token, viewer=Viewer(team_id, user_id, expires_at))


def viewer(session: Session, token: str, now: datetime) -> Viewer | None:
    """Who the cookie's session is, or None: unknown, expired or signed out."""
    found = stored.live_session(session, _hash(token), now)
    if found is None:
        return None
    return Viewer(found.team_id, found.user_id, found.expires_at)


def sign_out(session: Session, token: str, now: datetime) -> None:
    stored.end_session(session, _hash(token), now)
