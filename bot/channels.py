"""What the bot knows of the Slack channels it keeps cases in: whether a channel is private, and
who is in it, for deciding who may read a private channel's cases (bot/authz.py).

Slack is asked (handlers/outbound/channels.py), never while a request waits for its ack, and the
answer is kept here for a while:
- privacy: a channel rarely changes, and a public one made private says so (its conversion
  message, and the `channel_type` of every thread reply), so a day;
- members: member_joined_channel / member_left_channel keep the list current between asks, and
  a list older than MEMBERS_FRESH_FOR is asked again, in case one of those events was missed.
When Slack can't answer, the last known answer stands; with none, nobody is let in by
membership (the owner, the manager chain and admins still are)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from storage import channels as stored

PRIVACY_FRESH_FOR = timedelta(days=1)
MEMBERS_FRESH_FOR = timedelta(minutes=10)


@dataclass(frozen=True)
class Known:
    """What we last heard, and whether it is recent enough to use without asking again."""

    fresh: bool
    private: bool | None = None
    members: frozenset[str] | None = None


def known_privacy(session: Session, team_id: str, channel_id: str, now: datetime) -> Known:
    row = stored.channel(session, team_id, channel_id)
    if row is None or row.private is None or row.private_checked_at is None:
        return Known(fresh=False)
    return Known(fresh=now - row.private_checked_at < PRIVACY_FRESH_FOR, private=row.private)


def remember_privacy(session: Session, team_id: str, channel_id: str, private: bool, now: datetime) -> None:
    """What conversations.info said. A private channel's cases are all private from now on."""
    if private:
        became_private(session, team_id, channel_id, now)
        return
    row = stored.channel_for_update(session, team_id, channel_id)
    row.private = False
    row.private_checked_at = now


def known_members(session: Session, team_id: str, channel_id: str, now: datetime) -> Known:
    row = stored.channel(session, team_id, channel_id)
    if row is None or row.members is None or row.members_checked_at is None:
        return Known(fresh=False)
    return Known(fresh=now - row.members_checked_at < MEMBERS_FRESH_FOR, members=frozenset(row.members))


def remember_members(
    session: Session, team_id: str, channel_id: str, members: frozenset[str], now: datetime
) -> None:
    row = stored.channel_for_update(session, team_id, channel_id)
    row.members = sorted(members)
    row.members_checked_at = now


def member_joined(session: Session, team_id: str, channel_id: str, user_id: str) -> None:
    """Slack said so (member_joined_channel): the known list gains them at once."""
    row = stored.channel(session, team_id, channel_id)
    if row is not None and row.members is not None and user_id not in row.members:
        row.members = sorted({*row.members, user_id})


def member_left(session: Session, team_id: str, channel_id: str, user_id: str) -> None:
    """Slack said so (member_left_channel): they can no longer read the channel's private
    cases, from now, not from the next ask."""
    row = stored.channel(session, team_id, channel_id)
    if row is not None and row.members is not None and user_id in row.members:
        row.members = sorted(set(row.members) - {user_id})


def became_private(session: Session, team_id: str, channel_id: str, now: datetime) -> int:
    """The channel is private now (its conversion, or a thread reply's channel_type): so are
    its cases, from now on. Returns how many cases that changed."""
    row = stored.channel_for_update(session, team_id, channel_id)
    row.private = True
    row.private_checked_at = now
    return stored.mark_cases_private(session, team_id, channel_id)
