"""A case's whole story in time order, for the dashboard's case page: contacts and notes (with
their edits), each promise from made to its outcome, the reminders and escalations sent and who
acknowledged them, and everything else the audit trail holds (reassigned, edited, reopened...).
No Slack here: people are user ids, times aware UTC; the page names and dates them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.audit import Action
from bot.outcomes import WORDS, outcome_of
from storage import timeline as stored
from storage.models import AuditEntry, Case, ContactKind, NotificationKind, NotificationState, Promise

# Audit actions the timeline already tells from the records themselves.
TOLD_BY_RECORDS = {
    Action.CASE_OPENED,
    Action.CONTACT_LOGGED,
    Action.NOTE_LOGGED,
    Action.CONTACT_EDITED,
    Action.CONTACT_DELETED,
    Action.PROMISE_MADE,
    Action.PROMISE_KEPT,
    Action.PROMISE_RESCHEDULED,
    Action.PROMISE_CANCELLED,
    Action.ESCALATION_ACKNOWLEDGED,
    Action.CASE_CLOSED,
}

# How an audit action reads on the timeline ("<actor> reassigned the case").
ACTION_WORDS = {
    Action.CASE_REASSIGNED: "handed the case over",
    Action.CASE_REOPENED: "reopened the case",
    Action.CASE_EDITED: "edited the case",
    Action.CUSTOMER_TZ_SET: "set the customer's time zone",
    Action.REMINDER_SNOOZED: "snoozed a reminder",
    Action.ESCALATED_EARLY: "escalated early",
    Action.PROMISE_SAFER_TIME: "took the suggested safer time",
    Action.RECURRING_FLAGGED: "flagged a recurring problem",
    Action.NOTIFICATION_DEAD: "had a message refused by Slack",
    Action.NOTIFICATION_RETRIED: "retried a refused message",
    Action.NOTIFICATION_DROPPED: "dropped a refused message",
}


@dataclass(frozen=True)
class Moment:
    at: datetime
    # contact | note | opened | closed | promise | kept | rescheduled | cancelled | missed |
    # reminder | escalation | acknowledged | waiting | handover | dead | audit
    kind: str
    # Who did it (None: the bot, or nobody).
    actor_id: str | None
    # What happened, in words; people named separately (actor_id, about_id).
    text: str
    # Whom it was about or sent to, when not the actor.
    about_id: str | None = None
    detail: str | None = None
    # Earlier wordings of an edited or deleted reply, oldest first.
    earlier: list[str] = field(default_factory=list)
    # A promise's due time, when the moment is its making.
    due_at: datetime | None = None


@dataclass(frozen=True)
class Timeline:
    case: Case
    moments: list[Moment]
    audit: list[AuditEntry]


def of(session: Session, case: Case, now: datetime) -> Timeline:
    moments = [Moment(case.opened_at, "opened", case.owner_id, f"opened {case.ref}: {case.summary}")]
    moments += _contacts(case)
    for promise in case.promises:
        moments += _promise(promise, now)
    moments += _sent(session, case)
    audit = stored.audit_of(session, case.id)
    moments += [_audited(entry) for entry in audit if entry.action not in TOLD_BY_RECORDS]
    if case.closed_at is not None:
        note = f": {case.close_note}" if case.close_note else ""
        moments.append(Moment(case.closed_at, "closed", case.closed_by, f"closed the case{note}"))
    # Stable: things at the same instant keep the order they were gathered in (a promise made
    # before the reminder it planned).
    moments.sort(key=lambda moment: moment.at)
    return Timeline(case=case, moments=moments, audit=audit)


def _contacts(case: Case) -> list[Moment]:
    found = []
    for contact in case.contacts:
        note = contact.kind is ContactKind.NOTE
        marks = []
        if contact.edited_at is not None:
            marks.append("edited")
        if contact.deleted_at is not None:
            marks.append("deleted in Slack, kept here")
        found.append(
            Moment(
                contact.posted_at,
                "note" if note else "contact",
                contact.author_id,
                contact.text,
                detail=", ".join(marks) or None,
                earlier=[revision.previous_text for revision in contact.revisions],
            )
        )
    return found


def _promise(promise: Promise, now: datetime) -> list[Moment]:
    """A promise from made to how it ended (bot/outcomes.py's words), and its acknowledgement."""
    made = f"promised “{promise.description}”"
    found = [Moment(promise.made_at, "promise", promise.made_by, made, due_at=promise.due_at)]
    result = outcome_of(promise, now)
    words = WORDS[result] if result is not None else None
    found += _ended(promise, words)
    if promise.acknowledged_at is not None:
        found.append(
            Moment(
                promise.acknowledged_at,
                "acknowledged",
                promise.acknowledged_by,
                "acknowledged the escalation",
            )
        )
    return found


def _ended(promise: Promise, words: str | None) -> list[Moment]:
    what = f"“{promise.description}”"
    if promise.kept_at is not None:
        return [Moment(promise.kept_at, "kept", promise.kept_by, f"kept {what}", detail=words)]
    if promise.rescheduled_at is not None:
        told = {True: "customer told", False: "customer not told"}.get(promise.customer_told)  # type: ignore[arg-type]
        note = f"“{promise.reschedule_note}”" if promise.reschedule_note else None
        detail = ", ".join(part for part in (words, told, note) if part) or None
        return [
            Moment(
                promise.rescheduled_at,
                "rescheduled",
                promise.rescheduled_by,
                f"gave {what} a new time",
                detail=detail,
            )
        ]
    if promise.cancelled_at is not None:
        detail = ", ".join(part for part in (words, promise.cancel_reason) if part) or None
        return [
            Moment(
                promise.cancelled_at, "cancelled", promise.cancelled_by, f"called off {what}", detail=detail
            )
        ]
    if words:
        # Still open past its due time.
        return [Moment(promise.due_at, "missed", promise.owner_id, f"{what} was due", detail=words)]
    return []


_SENT_WORDS = {
    NotificationKind.REMINDER: ("reminder", "reminded"),
    NotificationKind.ESCALATION: ("escalation", "escalated to"),
    NotificationKind.ESCALATION_WAITING: ("waiting", "told that the escalation waits for working hours:"),
    NotificationKind.HANDOVER: ("handover", "told of the handover:"),
    NotificationKind.DEAD_LETTER: ("dead", "told of a message Slack refused:"),
}


def _sent(session: Session, case: Case) -> list[Moment]:
    found = []
    for sent in stored.notifications_of(session, case.id):
        kind, words = _SENT_WORDS[sent.kind]
        if sent.kind is NotificationKind.ESCALATION:
            words = f"escalated (level {sent.level}) to"
        if sent.state is NotificationState.SENT and sent.sent_at is not None:
            found.append(Moment(sent.sent_at, kind, None, words, about_id=sent.recipient))
        elif sent.state is NotificationState.DEAD:
            found.append(
                Moment(
                    sent.run_at,
                    "dead",
                    None,
                    f"could not send ({words})",
                    about_id=sent.recipient,
                    detail=sent.last_error,
                )
            )
        elif sent.state in (NotificationState.PENDING, NotificationState.CLAIMED):
            found.append(
                Moment(
                    sent.run_at,
                    kind,
                    None,
                    f"will be {words}" if kind == "escalation" else f"planned: {words}",
                    about_id=sent.recipient,
                    detail="not sent yet",
                )
            )
    return found


def _audited(entry: AuditEntry) -> Moment:
    words = ACTION_WORDS.get(entry.action, entry.action)  # type: ignore[call-overload]
    about = (
        entry.detail.get("new_owner") or entry.detail.get("to") if isinstance(entry.detail, dict) else None
    )
    return Moment(
        entry.at, "audit", entry.actor_id, words, about_id=about if isinstance(about, str) else None
    )
