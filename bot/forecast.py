"""When each level of a promise's escalation will really go: the plan shown on every promise.

Level 1 is planned at the escalation time and each next level ESCALATION_REPEAT after the one
before. A person outside their working hours hears of it at their next working hour, and every
later level moves with it: exactly what bot/escalation.decide_level does when each level falls
due, worked out ahead from the recipients' hours and time zones as they are now. (Someone who
changes their hours or zone later moves what really happens, not this forecast.)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.escalation import hold_until, needs_working_hours
from bot.workhours import WorkingHours
from storage.models import Case, Promise


@dataclass(frozen=True)
class Step:
    level: int
    # A person's or a channel's id.
    to: str
    # When it goes (UTC).
    at: datetime
    # It waits for the recipient's next working hour (it would be due earlier).
    waits: bool
    # The recipient's time zone, when their working hours were read on it.
    tz: str | None = None


@dataclass(frozen=True)
class Forecast:
    steps: tuple[Step, ...]
    # The manager the owner named who hasn't accepted yet: until they do, the owner's promises
    # escalate as if no manager were set.
    unaccepted_manager: str | None = None

    @property
    def waits(self) -> bool:
        return any(step.waits for step in self.steps)


def forecast(
    case: Case,
    promise: Promise,
    chain: list[str],
    quiet: Mapping[str, tuple[WorkingHours | None, str]],
    repeat: timedelta,
) -> tuple[Step, ...]:
    """Each level of `chain` and when it goes. `quiet`: each person's working hours (None: none)
    and time zone; someone missing from it is never held back."""
    steps: list[Step] = []
    planned = promise.escalate_at
    for level, to in enumerate(chain, start=1):
        held, tz = None, None
        if needs_working_hours(case, to) and to in quiet:
            hours, tz = quiet[to]
            held = hold_until(hours, moment=planned, tz=tz, priority=case.priority)
        at = held or planned
        steps.append(Step(level=level, to=to, at=at, waits=held is not None, tz=tz))
        planned = at + repeat
    return tuple(steps)
