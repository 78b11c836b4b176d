"""A person's own settings, intent by intent: who their manager is (and, for admins and leads,
other people's), when escalations may reach them, when their weekly digest comes."""

from __future__ import annotations

from dataclasses import dataclass

from bot import digests, managers, reports, team, workhours
from bot.errors import CaseError
from bot.flows.context import Context, Once
from bot.managers import Change
from bot.roster import Roster, roster
from bot.validation import escaped
from storage import queries


@dataclass(frozen=True)
class Hours:
    # None: no quiet hours, escalations reach them whenever they are due.
    hours: str | None
    # Their own, rather than the deployment's WORKING_HOURS.
    own: bool


@dataclass(frozen=True)
class Digest:
    # When it comes ("mon 09:00"); None: never.
    schedule: str | None
    own: bool
    # How many people report to them, directly or not (nobody: no digest to send).
    manages: int


def manager_of(ctx: Context, *, team_id: str, user_id: str) -> Change:
    """Their manager in force, and whom they asked, if that manager hasn't accepted yet."""
    with ctx.reading() as session:
        return managers.standing(session, team_id, user_id)


def set_manager(ctx: Context, *, team_id: str, user_id: str, manager_id: str) -> Change:
    """`/case manager @maria`: ask Maria, who accepts or declines (an admin's is in force at once)."""
    with ctx.unit() as unit:
        change = managers.request_manager(
            unit.session,
            team_id=team_id,
            user_id=user_id,
            manager_id=manager_id,
            admins=ctx.policy.admins.of(team_id),
            now=unit.now,
        )
        unit.send(change.keys)
    return change


def assign_manager(
    ctx: Context, *, team_id: str, actor_id: str, user_id: str, manager_id: str | None
) -> Change:
    """`/case team @alex manager @maria` (or `none`), by an admin or a team lead."""
    with ctx.unit() as unit:
        change = managers.assign_manager(
            unit.session,
            team_id=team_id,
            actor_id=actor_id,
            user_id=user_id,
            manager_id=manager_id,
            admins=ctx.policy.admins.of(team_id),
            now=unit.now,
        )
        unit.send(change.keys)
    return change


def answer_request(
    ctx: Context,
    *,
    team_id: str,
    actor_id: str,
    request_id: int,
    user_id: str,
    accept: bool,
    once: Once | None = None,
) -> Change:
    """The manager someone named clicks Accept or Decline on the request of `user_id`."""
    with ctx.unit(once) as unit:
        change = managers.answer_request(
            unit.session,
            team_id=team_id,
            request_id=request_id,
            user_id=user_id,
            actor_id=actor_id,
            accept=accept,
            now=unit.now,
        )
        unit.send(change.keys)
    return change


def roster_for(ctx: Context, *, team_id: str, viewer_id: str) -> Roster | None:
    """Everyone's manager chain, for an admin; None for anyone else."""
    if viewer_id not in ctx.policy.admins.of(team_id):
        return None
    with ctx.reading() as session:
        return roster(session, team_id)


def working_hours(ctx: Context, *, team_id: str, user_id: str) -> Hours:
    default = ctx.policy.working_hours
    with ctx.reading() as session:
        current = team.working_hours_of(session, team_id, user_id, default)
    shown = str(current) if current is not None else None
    return Hours(hours=shown, own=shown != (str(default) if default is not None else None))


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
    if chosen is not None:
        return Hours(hours=chosen, own=True)
    default = ctx.policy.working_hours
    return Hours(hours=str(default) if default is not None else None, own=False)


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
