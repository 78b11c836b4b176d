"""A person's own settings, intent by intent: who their manager is, when escalations may reach
them, when their weekly digest comes."""

from __future__ import annotations

from dataclasses import dataclass

from bot import digests, reports, team, workhours
from bot.errors import CaseError
from bot.flows.context import Context
from bot.validation import escaped
from storage import queries


@dataclass(frozen=True)
class Hours:
    hours: str
    # Their own, rather than the deployment's WORKING_HOURS.
    own: bool


@dataclass(frozen=True)
class Digest:
    # When it comes ("mon 09:00"); None: never.
    schedule: str | None
    own: bool
    # How many people report to them, directly or not (nobody: no digest to send).
    manages: int


def manager_of(ctx: Context, *, team_id: str, user_id: str) -> str | None:
    with ctx.reading() as session:
        link = queries.manager_of(session, team_id, user_id)
        return link.manager_id if link else None


def set_manager(ctx: Context, *, team_id: str, user_id: str, manager_id: str) -> None:
    with ctx.unit() as unit:
        team.set_manager(unit.session, team_id=team_id, user_id=user_id, manager_id=manager_id, now=unit.now)


def working_hours(ctx: Context, *, team_id: str, user_id: str) -> Hours:
    default = ctx.policy.working_hours
    with ctx.reading() as session:
        current = team.working_hours_of(session, team_id, user_id, default)
    return Hours(hours=str(current), own=str(current) != str(default))


def set_working_hours(ctx: Context, *, team_id: str, user_id: str, hours: str) -> Hours:
    """Their own hours, as typed (`mon-fri 08:00-16:00`), or "default": the deployment's."""
    if hours == "default":
        chosen = None
    else:
        try:
            chosen = str(workhours.parse(hours))
        except workhours.WorkingHoursError as error:
            # It quotes what was typed: shown as text in Slack.
            raise CaseError(escaped(str(error))) from None
    with ctx.unit() as unit:
        team.set_working_hours(unit.session, team_id=team_id, user_id=user_id, hours=chosen, now=unit.now)
    return Hours(hours=chosen or str(ctx.policy.working_hours), own=chosen is not None)


def digest(ctx: Context, *, team_id: str, user_id: str) -> Digest:
    default = ctx.policy.digest_schedule
    with ctx.reading() as session:
        person = queries.person(session, team_id, user_id)
        own = person.digest_schedule if person is not None else None
        manages = len(reports.team_of_manager(session, team_id, user_id))
    current = digests.schedule_of(own, default)
    return Digest(schedule=str(current) if current else None, own=own is not None, manages=manages)


def set_digest(ctx: Context, *, team_id: str, user_id: str, schedule: str) -> Digest:
    """Their own digest time ("fri 16:30"), "off", or "default": back to the deployment's."""
    stored = None if schedule == "default" else schedule
    with ctx.unit() as unit:
        digests.set_schedule(unit.session, team_id=team_id, user_id=user_id, schedule=stored, now=unit.now)
    if stored is None:
        default = ctx.policy.digest_schedule
        return Digest(schedule=str(default) if default is not None else None, own=False, manages=0)
    return Digest(schedule=None if stored == digests.OFF else stored, own=True, manages=0)
