"""The append-only record of who did what to a case."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from storage import rows
from storage.models import AuditEntry, Case, Promise


class Action(StrEnum):
    CASE_OPENED = "case.opened"
    CASE_CLOSED = "case.closed"
    CONTACT_LOGGED = "contact.logged"
    CONTACT_EDITED = "contact.edited"
    CONTACT_DELETED = "contact.deleted"
    PROMISE_MADE = "promise.made"
    PROMISE_KEPT = "promise.kept"
    MANAGER_SET = "manager.set"
    # Someone named their own manager; that manager accepts or declines (bot/managers.py).
    MANAGER_REQUESTED = "manager.requested"
    MANAGER_ACCEPTED = "manager.accepted"
    MANAGER_DECLINED = "manager.declined"
    MANAGER_CLEARED = "manager.cleared"
    CASE_REASSIGNED = "case.reassigned"
    PROMISE_RESCHEDULED = "promise.rescheduled"
    REMINDER_SNOOZED = "reminder.snoozed"
    ESCALATED_EARLY = "escalation.early"
    ESCALATION_ACKNOWLEDGED = "escalation.acknowledged"
    WORKING_HOURS_SET = "working_hours.set"
    # The owner took the safer time the bot suggested for a promise just made.
    PROMISE_SAFER_TIME = "promise.safer_time"
    CUSTOMER_TZ_SET = "case.customer_tz"
    RECURRING_FLAGGED = "recurring.flagged"
    DIGEST_SCHEDULE_SET = "digest_schedule.set"
    # Called off with a reason, the customer told.
    PROMISE_CANCELLED = "promise.cancelled"
    CASE_REOPENED = "case.reopened"
    # The customer, numbers, priority or customer time zone changed (detail: before and after).
    CASE_EDITED = "case.edited"
    # A reply kept as an internal note, not a contact with the customer.
    NOTE_LOGGED = "note.logged"
    # Slack refused a message for good (bot/dead_letters.py), and what an operator then did.
    NOTIFICATION_DEAD = "notification.dead"
    NOTIFICATION_RETRIED = "notification.retried"
    NOTIFICATION_DROPPED = "notification.dropped"


def record(
    session: Session,
    action: Action,
    *,
    team_id: str,
    at: datetime,
    actor_id: str | None,
    case: Case | None = None,
    promise: Promise | None = None,
    **detail: Any,
) -> None:
    session.add(
        AuditEntry(
            **entry(action, team_id=team_id, at=at, actor_id=actor_id, case=case, promise=promise, **detail)
        )
    )


def record_all(session: Session, entries: list[dict[str, Any]]) -> None:
    """record() for several entries at once (made by entry()), with no object for each."""
    rows.insert_all(session, AuditEntry, entries)


def entry(
    action: Action,
    *,
    team_id: str,
    at: datetime,
    actor_id: str | None,
    case: Case | None = None,
    promise: Promise | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """One audit entry's columns."""
    return {
        "team_id": team_id,
        "case_id": case.id if case is not None else (promise.case_id if promise else None),
        "promise_id": promise.id if promise is not None else None,
        "actor_id": actor_id,
        "action": action.value,
        "detail": detail,
        "at": at,
    }
