"""The reminder's Snooze: a choice of how long (bot/new_times.py says which are offered), and the
answer saying when it comes back, and whether the choice was cut to land before the due time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from slack_sdk.models.blocks import Option, StaticSelectElement

from bot.new_times import LAST_CALL, Snooze, Snoozed, snooze_choices
from handlers.ids import ActionId, Subject
from handlers.views.blocks import duration, when
from storage.models import Promise

LABELS = {
    Snooze.MINUTES_15: "15 min",
    Snooze.HOUR: "1 hour",
    Snooze.TOMORROW: "Until tomorrow 9:00",
    Snooze.LAST_CALL: f"Until {duration(LAST_CALL)} before it's due",
}


def snooze_menu(promise: Promise, subject: Subject, now: datetime) -> list[StaticSelectElement]:
    """ "Snooze…" with the choices that land before the due time; none when it is too close."""
    choices = snooze_choices(promise, now)
    if not choices:
        return []
    options = [
        Option(text=LABELS[choice], value=replace(subject, note=choice.value).encode()) for choice in choices
    ]
    return [
        StaticSelectElement(placeholder="Snooze…", action_id=ActionId.REMINDER_SNOOZE.value, options=options)
    ]


def snoozed(result: Snoozed) -> str:
    """The line the reminder is redrawn with: when it comes back, and why then."""
    again = f"Snoozed: I'll remind you again at {when(result.again, '{time}')}"
    if not result.last_call:
        return f"{again}."
    before = f"{again}, {duration(LAST_CALL)} before it's due at {when(result.due_at, '{time}')}"
    if result.cut:
        return f"{before}: the time you chose would have been later, so I cut it short."
    return f"{before}."
