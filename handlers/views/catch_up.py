"""The catch-up summary as people see it: after downtime, everything that came due for one person
in one DM ("While casekeeper was away, 3 things for you came due"), each item with the buttons
its own message would have had. Each item's blocks share a block_id prefix, so a click on one
item redraws only that item (handlers/views/redraw.py). Sending it is
handlers/outbound/catch_up.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block

from handlers.views.blocks import (
    Message,
    context,
    customer_of,
    duration,
    message,
    packed,
    safe,
    section,
    when,
)
from handlers.views.case_notes import handed_over, person_note
from handlers.views.notices import EscalationFacts, escalation, manager_missing, reminder
from storage.models import Case, NotificationKind, Promise
from storage.outbox import Claim

# Every block of an item has a block_id starting "catch_up.<notification id>.".
ITEM_PREFIX = "catch_up."
# Items shown in full with their buttons; the rest (a long downtime) are listed one line each,
# so the message stays within Slack's 50 blocks.
MOST_DETAILED = 15


@dataclass(frozen=True)
class SummaryItem:
    """One row of the summary, with what rendering it reads."""

    claim: Claim
    case: Case
    promise: Promise | None
    escalation: EscalationFacts | None = None


def summary(items: list[SummaryItem], now: datetime) -> Message:
    count = len(items)
    things = "1 thing" if count == 1 else f"{count} things"
    headline = f"While casekeeper was away, {things} for you came due"
    detailed, listed = items[:MOST_DETAILED], items[MOST_DETAILED:]
    note = "Oldest first; each has the buttons its own message would have."
    if listed:
        note = f"Oldest first; the first {len(detailed)} with their buttons, the other {len(listed)} below."
    blocks: list[Block] = [section(f":wave: *{headline}*"), context(note)]
    for item in detailed:
        blocks += _item_blocks(item, now)
    if listed:
        lines = [f"• {_one_line(item, now)}" for item in listed]
        blocks += packed(f"*And {len(listed)} more* (`/case show CASE-…` for any of them)", lines)
    fallback = "; ".join(_fallback(item) for item in items)
    return message(f"{headline}: {fallback}.", blocks)


def _item_blocks(item: SummaryItem, now: datetime) -> list[Block]:
    prefix = f"{ITEM_PREFIX}{item.claim.id}."
    label, body = _describe(item, now)
    blocks: list[Block] = [section(f"*{label}* · {body}", block_id=f"{prefix}text")]
    buttons = _buttons(item, now)
    if buttons is not None:
        blocks.append(ActionsBlock(block_id=f"{prefix}actions", elements=buttons["elements"]))
    return blocks


def _buttons(item: SummaryItem, now: datetime) -> dict[str, Any] | None:
    """The single message's own buttons (same action_ids and values), so the handlers in
    handlers/listeners/actions.py work on a summary item exactly as on its message."""
    kind, case, promise = item.claim.kind, item.case, item.promise
    if promise is None:
        return None
    if kind == NotificationKind.REMINDER.value:
        single = reminder(case, promise, now)
    elif kind == NotificationKind.ESCALATION.value and item.escalation is not None:
        single = escalation(case, promise, now, item.escalation)
    else:
        return None
    return next((b for b in single.blocks if b.get("type") == "actions"), None)


def _due(due_at: datetime, now: datetime) -> str:
    if now > due_at:
        return f"due {when(due_at)} · *{duration(now - due_at)} late*"
    return f"due {when(due_at)} · in {duration(due_at - now)}"


def _describe(item: SummaryItem, now: datetime) -> tuple[str, str]:
    """What it is, and what it says: case ref, customer, the promise and when it was due."""
    claim, case, promise = item.claim, item.case, item.promise
    kind = NotificationKind(claim.kind)
    where = f"*{case.ref}* · {customer_of(case)}"
    if kind is NotificationKind.REMINDER and promise is not None:
        return ":alarm_clock: Reminder", (
            f"{where}\nYou promised: “{safe(promise.description)}”\n{_due(promise.due_at, now)}"
        )
    if kind is NotificationKind.ESCALATION and promise is not None:
        label = ":sos: Help asked" if now < promise.due_at else ":rotating_light: Missed promise"
        level = f" · level {claim.level}" if claim.level > 1 else ""
        return label + level, (
            f"{where}\n<@{promise.owner_id}> promised: “{safe(promise.description)}”\n"
            f"{_due(promise.due_at, now)}"
        )
    if kind is NotificationKind.MANAGER_MISSING and promise is not None:
        return ":warning: Escalated to the channel", (
            f"{where}\n{manager_missing(case, promise).text}\n{_due(promise.due_at, now)}"
        )
    if kind is NotificationKind.HANDOVER:
        handed = handed_over(case, claim.payload["by"], claim.payload["previous_owner"])
        return ":inbox_tray: Yours now", f"{where}\n{handed.text}"
    return ":speech_balloon: Update", f"{where}\n{person_note(case, promise, claim.payload).text}"


def _one_line(item: SummaryItem, now: datetime) -> str:
    case, promise = item.case, item.promise
    label, _ = _describe(item, now)
    what = ""
    if promise is not None:
        what = f": “{safe(promise.description, 80)}” {_due(promise.due_at, now)}"
    customer = customer_of(case, 40)
    return f"*{label}* · {case.ref} · {customer}{what}"


_SAID_AS = {
    NotificationKind.REMINDER.value: "reminder",
    NotificationKind.ESCALATION.value: "missed promise",
    NotificationKind.MANAGER_MISSING.value: "escalated to the channel",
    NotificationKind.HANDOVER.value: "handed to you",
    NotificationKind.PERSON_NOTE.value: "update",
}


def _fallback(item: SummaryItem) -> str:
    case = item.case
    return f"{_SAID_AS.get(item.claim.kind, 'update')} on {case.ref} ({safe(case.customer or 'customer')})"
