"""The deployment's rules, as the domain applies them: how early reminders go, when and to whom
escalations go, who may change any case. Read once from the settings (bot/app/settings.py) and
passed whole, so no function carries a default of its own that silently differs from what the
operator set (a `repeat=timedelta(minutes=30)` would shadow ESCALATION_REPEAT)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.retention import Retention
from bot.weekly import Weekly
from bot.workhours import WorkingHours


@dataclass(frozen=True)
class Admins:
    """Who may change any case, besides its owner and the managers above the owner (ADMIN_USERS).
    A bare user id is an admin in every workspace the bot serves (as before several workspaces
    could be named); `T123:U456` makes U456 an admin in workspace T123 only."""

    everywhere: frozenset[str] = frozenset()
    # (team_id, user_id) pairs.
    per_workspace: frozenset[tuple[str, str]] = frozenset()

    def of(self, team_id: str) -> frozenset[str]:
        """The admins of one workspace."""
        return self.everywhere | {user for team, user in self.per_workspace if team == team_id}


@dataclass(frozen=True)
class Policy:
    # How long before the due time the owner is reminded (REMINDER_LEAD).
    reminder_lead: timedelta
    # How long after the due time an unkept promise escalates (ESCALATION_GRACE).
    escalation_grace: timedelta
    # How long an unacknowledged escalation waits before the next level (ESCALATION_REPEAT).
    escalation_repeat: timedelta
    # The last level of every chain; None: the case's own channel, in its thread.
    escalation_channel: str | None
    # Who may change any case, besides its owner and the managers above the owner: ask for one
    # workspace's with admins.of(team_id).
    admins: Admins
    # When escalations may reach people who haven't set their own (`/case hours`); None: no
    # quiet hours (WORKING_HOURS unset), escalations go when due.
    working_hours: WorkingHours | None
    # When managers get their weekly digest on their own clock; None: no digests.
    digest_schedule: Weekly | None
    # Open cases older than this are listed as getting old in reports and digests.
    stale_case_age: timedelta
    # How long what is done with is kept, and a removed workspace's data (bot/retention.py).
    retention: Retention
