"""The people on a team as the domain knows them: who each person's manager is, and when
escalations may reach them (their own working hours, or the deployment's)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot import audit, workhours
from bot.audit import Action
from bot.errors import CaseError
from bot.workhours import WorkingHours
from storage import queries
from storage.models import ManagerLink, Person

log = logging.getLogger(__name__)

# How long a person's time zone, as Slack last told it, is used before asking again.
TZ_FRESH_FOR = timedelta(hours=24)


def set_manager(
    session: Session, *, team_id: str, user_id: str, manager_id: str, now: datetime, by: str | None = None
) -> ManagerLink:
    """Put a manager link in force (who may is bot/managers.py's to say). `by`: who set it
    (None: the person themself, as links were set before managers had to accept)."""
    if manager_id == user_id:
        raise CaseError("You can't be your own manager: escalations must reach someone else.")
    link = queries.manager_of(session, team_id, user_id)
    if link is None:
        link = ManagerLink(team_id=team_id, user_id=user_id, manager_id=manager_id, set_at=now)
        session.add(link)
    else:
        link.manager_id = manager_id
        link.set_at = now
    audit.record(
        session,
        Action.MANAGER_SET,
        team_id=team_id,
        at=now,
        actor_id=by or user_id,
        manager_id=manager_id,
        user_id=user_id,
    )
    return link


def set_working_hours(
    session: Session, *, team_id: str, user_id: str, hours: str | None, now: datetime
) -> None:
    """Someone's own working hours (None: back to the deployment's)."""
    person = queries.person(session, team_id, user_id)
    if person is None:
        # Their time zone isn't known yet: an old fetched_at makes the next lookup ask Slack.
        person = Person(team_id=team_id, user_id=user_id, tz="UTC", fetched_at=datetime.fromtimestamp(0, UTC))
        session.add(person)
    person.working_hours = hours
    audit.record(session, Action.WORKING_HOURS_SET, team_id=team_id, at=now, actor_id=user_id, hours=hours)


def working_hours_of(
    session: Session, team_id: str, user_id: str, default: WorkingHours | None
) -> WorkingHours | None:
    """Their own (`/case hours`), or the deployment's WORKING_HOURS; None: no quiet hours, an
    escalation reaches them whenever it is due."""
    known = queries.person(session, team_id, user_id)
    if known is not None and known.working_hours:
        try:
            return workhours.parse(known.working_hours)
        except workhours.WorkingHoursError:
            log.warning("people.bad_working_hours user=%s", user_id)
    return default


def known_time_zone(session: Session, team_id: str, user_id: str, now: datetime) -> tuple[bool, str | None]:
    """The time zone we last heard for them, and whether it is fresh enough to use without
    asking Slack again."""
    known = queries.person(session, team_id, user_id)
    if known is None:
        return False, None
    return now - known.fetched_at < TZ_FRESH_FOR, known.tz


def remember_time_zone(
    session: Session,
    team_id: str,
    user_id: str,
    tz: str,
    now: datetime,
    *,
    name: str | None = None,
    avatar_url: str | None = None,
) -> None:
    """What Slack said of them (users.info): their zone, and their name and picture when given."""
    person = queries.person(session, team_id, user_id)
    if person is None:
        person = Person(team_id=team_id, user_id=user_id, tz=tz, fetched_at=now)
        session.add(person)
    person.tz = tz
    person.fetched_at = now
    if name:
        person.name = name
    if avatar_url:
        person.avatar_url = avatar_url


@dataclass(frozen=True)
class Profile:
    """How the dashboard shows someone: Slack's name and picture for them, and their zone."""

    user_id: str
    name: str | None
    avatar_url: str | None
    tz: str | None

    @property
    def label(self) -> str:
        # Slack couldn't say (yet): the id is all there is, marked as such.
        return self.name or f"someone ({self.user_id})"


def known_profiles(
    session: Session, team_id: str, user_ids: Collection[str], now: datetime
) -> tuple[dict[str, Profile], set[str]]:
    """What is known of these people, and which of them to ask Slack about again (never asked,
    no name yet, or asked over a day ago)."""
    known = {person.user_id: person for person in queries.people(session, team_id, user_ids)}
    profiles = {
        user_id: Profile(user_id, person.name, person.avatar_url, person.tz)
        for user_id, person in known.items()
    }
    stale = {
        user_id
        for user_id in user_ids
        if user_id not in known or not known[user_id].name or now - known[user_id].fetched_at >= TZ_FRESH_FOR
    }
    return profiles, stale
