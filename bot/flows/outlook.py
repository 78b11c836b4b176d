"""What lies ahead of a promise, as its confirmation and its note in the case thread show it: when
each level of its escalation will really go (bot/forecast.py), from its recipients' working
hours and time zones, and whether the owner's named manager has yet to accept.

Used by the listeners (through their Context) and by the sender drawing the thread note (which
has the same three things), so both say the same. Time zones may take a Slack call: asked
outside any transaction, and only for people whose working hours hold anything back (with no
quiet hours, the default, nobody is asked anything)."""

from __future__ import annotations

from typing import Protocol

from bot import escalation, managers, team
from bot.flows.context import Directory
from bot.forecast import Forecast, forecast
from bot.policy import Policy
from bot.workhours import WorkingHours
from storage.db import Database
from storage.models import Case, Promise


class Sources(Protocol):
    """What the forecast reads: a Context, or the sender."""

    db: Database
    directory: Directory
    policy: Policy


def escalation_forecast(sources: Sources, case: Case, promise: Promise) -> Forecast:
    chain = escalation.chain_of(promise, case)
    people = [to for to in chain if escalation.needs_working_hours(case, to)]
    with sources.db.transaction() as session:
        hours = {
            person: team.working_hours_of(session, case.team_id, person, sources.policy.working_hours)
            for person in people
        }
        unaccepted = managers.unaccepted_manager(session, case.team_id, promise.owner_id)
    quiet: dict[str, tuple[WorkingHours | None, str]] = {
        person: (held, sources.directory.time_zone(case.team_id, person))
        for person, held in hours.items()
        if held is not None
    }
    steps = forecast(case, promise, chain, quiet, sources.policy.escalation_repeat)
    return Forecast(steps=steps, unaccepted_manager=unaccepted)
