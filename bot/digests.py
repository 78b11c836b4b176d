"""The weekly digest: each manager gets their team's report (bot/reports.py) by DM once a week,
at the moment of their schedule on their own clock. No Slack here.

The outbox makes it exactly once: one DIGEST row per (workspace, manager, occurrence), under a
unique dedupe key, enqueued by a housekeeping job that any number of workers may run. A digest
whose moment passed while no worker ran is still sent if that was less than CATCH_UP ago; an
older one is skipped (last week's digest a week late helps nobody)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot import audit, notifications, reports, weekly
from bot.audit import Action
from bot.clock import zone
from bot.reports import Report
from bot.weekly import Weekly
from storage import digests as stored
from storage import queries
from storage.models import NotificationKind, Person

log = logging.getLogger(__name__)

CATCH_UP = timedelta(hours=24)
# What the digest covers: the week before its moment.
WINDOW = timedelta(days=7)
# A people row made before Slack was asked for the person's zone (bot/cases.set_working_hours
# makes one like this): its tz is a stand-in, not theirs.
NOT_FETCHED = datetime.fromtimestamp(0, UTC)
# What people.digest_schedule holds for "off"; None there means the deployment's default.
OFF = weekly.OFF


@dataclass(frozen=True)
class Manager:
    team_id: str
    manager_id: str
    # Their own setting as stored ("fri 16:30", "off"), or None for the deployment's.
    own_schedule: str | None
    # Their Slack time zone as last fetched; None when never asked.
    tz: str | None


def schedule_of(own: str | None, default: Weekly | None) -> Weekly | None:
    """When someone's digest comes: their own setting, else the deployment's; None: never."""
    if own is None:
        return default
    try:
        return weekly.parse(own)
    except weekly.WeeklyError:
        log.warning("digest.bad_schedule value=%r", own)
        return default


def digest_key(team_id: str, manager_id: str, occurrence: datetime, tz: str) -> str:
    """Once per manager per week of their own calendar: moving their digest time (or the
    deployment's, or their time zone) within a week doesn't bring a second one."""
    year, week, _ = occurrence.astimezone(zone(tz)).isocalendar()
    return f"digest:{team_id}:{manager_id}:{year}-W{week:02d}"


def managers(session: Session) -> list[Manager]:
    return [
        Manager(team, manager, own, tz if tz and fetched_at and fetched_at > NOT_FETCHED else None)
        for team, manager, own, tz, fetched_at in stored.managers(session)
    ]


def due(manager: Manager, schedule: Weekly | None, tz: str, now: datetime) -> datetime | None:
    """The moment of this manager's digest to send now, if one fell due within CATCH_UP."""
    if schedule is None:
        return None
    occurrence = schedule.latest(now, tz)
    return occurrence if now - occurrence < CATCH_UP else None


def enqueue(session: Session, wanted: list[tuple[Manager, datetime, str]], now: datetime) -> list[str]:
    """One DIGEST row per manager and week not in the outbox yet, for (manager, occurrence, their
    zone). Returns the new keys. Rows already there are left alone; the unique key settles a
    race with another worker."""
    keys = {digest_key(m.team_id, m.manager_id, at, tz): (m, at) for m, at, tz in wanted}
    made = []
    for key in sorted(set(keys) - stored.existing_keys(session, list(keys))):
        manager, occurrence = keys[key]
        notifications.enqueue(
            session,
            team_id=manager.team_id,
            kind=NotificationKind.DIGEST,
            recipient=manager.manager_id,
            run_at=occurrence,
            now=now,
            dedupe_key=key,
            payload={"manager": manager.manager_id, "occurrence": occurrence.isoformat()},
        )
        made.append(key)
    return made


def set_schedule(
    session: Session, *, team_id: str, user_id: str, schedule: str | None, now: datetime
) -> None:
    """Someone's own digest time ("fri 16:30", "off"), or None: back to the deployment's."""
    person = queries.person(session, team_id, user_id)
    if person is None:
        # Their time zone isn't known yet: the placeholder makes the next lookup ask Slack.
        person = Person(team_id=team_id, user_id=user_id, tz="UTC", fetched_at=NOT_FETCHED)
        session.add(person)
    person.digest_schedule = schedule
    audit.record(
        session, Action.DIGEST_SCHEDULE_SET, team_id=team_id, at=now, actor_id=user_id, schedule=schedule
    )


def report(
    session: Session,
    *,
    team_id: str,
    manager_id: str,
    occurrence: datetime,
    now: datetime,
    stale_age: timedelta,
) -> Report | None:
    """What one digest says: the manager's team report for the week before its moment, as of
    now. None when they manage nobody any more."""
    team = reports.team_of_manager(session, team_id, manager_id)
    if not team:
        return None
    return reports.build(
        session,
        team_id=team_id,
        since=occurrence - WINDOW,
        until=occurrence,
        now=now,
        stale_age=stale_age,
        agents=team | {manager_id},
    )
