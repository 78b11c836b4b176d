"""The audit export: everything recorded about a case, as one JSON-ready document, for the
records a complaint may later need (`python -m bot export`, bot/ops/export_cli.py).

A document holds the case's fields, its contacts with every earlier text, its promises with
every state change, the messages the bot sent about it, and the case's whole audit trail.
State changes come from the audit trail (who did what, when); what the bot actually sent
comes from the outbox rows (sent_at, where it went). Nothing is computed that wasn't recorded,
except each promise's outcome, by the one definition in bot/outcomes.py.

All times are ISO 8601 in UTC (`2026-11-23T14:00:00Z`).

The purge (RETENTION, bot/flows/housekeeping.py) deletes the outbox rows of cases closed longer
ago than its history: such a case exports without messages, and its promises without
`reminded`, `escalated` and their sent events. The record itself (case, contacts, promises,
audit trail) is never purged.

Many cases are read a page at a time (keyset by case id), and each page's contacts,
promises, messages and audit entries in one statement per table: memory stays flat and the
number of statements grows with the pages, not the cases."""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row

from bot.audit import Action
from bot.outcomes import outcome_of
from storage import export as stored
from storage.models import ContactKind, NotificationKind, NotificationState

# Cases per page: big enough that the statements per page are few, small enough that a page of
# cases with all their children stays a few megabytes.
PAGE_SIZE = 500

# Document format version: a reader of an old export can tell which shape it has.
FORMAT = 1

_CASE_REF = re.compile(r"(?:CASE-)?(\d{1,18})", re.IGNORECASE)


def parse_case_ref(text: str) -> int:
    """'CASE-7' (or 'case-7', or '7') -> 7. ValueError with the message to show otherwise."""
    match = _CASE_REF.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a case reference; use the number on the card, like CASE-7")
    return int(match.group(1))


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _value(value: Any) -> Any:
    """Enums as their stored strings, times as ISO 8601 UTC."""
    if isinstance(value, datetime):
        return iso(value)
    if hasattr(value, "value") and isinstance(value, str):
        return value.value
    return value


def _detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """An audit entry's detail, with its times (stored as isoformat strings) in the export's
    one time format."""
    cleaned: dict[str, Any] = {}
    for key, value in (detail or {}).items():
        if key.endswith("_at") and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = iso(datetime.fromisoformat(value))
        cleaned[key] = value
    return cleaned


# ---- reading ---------------------------------------------------------------------------------


def one_case(engine: Engine, case_id: int, *, team_id: str | None, now: datetime) -> dict[str, Any] | None:
    """The document of one case, or None when there is no such case (in that workspace)."""
    with stored.snapshot(engine) as connection:
        case = stored.case_row(connection, case_id, team_id)
        if case is None:
            return None
        return next(_documents(connection, [case], now))


def count_cases(engine: Engine, *, team_id: str | None, since: datetime | None) -> int:
    with stored.snapshot(engine) as connection:
        return stored.count_cases(connection, team_id=team_id, since=since)


def all_cases(
    engine: Engine,
    *,
    team_id: str | None,
    since: datetime | None,
    now: datetime,
    page_size: int = PAGE_SIZE,
) -> Iterator[dict[str, Any]]:
    """Every case opened, closed or changed since `since` (all cases without it), oldest
    first, one document at a time. Each page is read in its own short read transaction, so a
    long export never holds back the database (or its WAL checkpoints) for its whole run."""
    after_id = 0
    while True:
        with stored.snapshot(engine) as connection:
            page = stored.cases_after(
                connection, after_id=after_id, limit=page_size, team_id=team_id, since=since
            )
            if not page:
                return
            documents = list(_documents(connection, page, now))
        yield from documents
        after_id = page[-1].id


def _documents(connection: Any, cases: Sequence[Row], now: datetime) -> Iterator[dict[str, Any]]:
    ids = [case.id for case in cases]
    contacts = _by(stored.contacts_of(connection, ids), "case_id")
    revisions = _by(stored.revisions_of(connection, ids), "contact_id")
    promises = _by(stored.promises_of(connection, ids), "case_id")
    notifications = _by(stored.notifications_of(connection, ids), "case_id")
    audit = _by(stored.audit_of(connection, ids), "case_id")
    for case in cases:
        yield case_document(
            case,
            contacts=contacts.get(case.id, []),
            revisions=revisions,
            promises=promises.get(case.id, []),
            notifications=notifications.get(case.id, []),
            audit=audit.get(case.id, []),
            now=now,
        )


def _by(rows: Sequence[Row], key: str) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return grouped


# ---- the document ----------------------------------------------------------------------------


def case_document(
    case: Row,
    *,
    contacts: Sequence[Row],
    revisions: dict[int, list[Row]],
    promises: Sequence[Row],
    notifications: Sequence[Row],
    audit: Sequence[Row],
    now: datetime,
) -> dict[str, Any]:
    opened_by = next((e.actor_id for e in audit if e.action == Action.CASE_OPENED), None)
    by_promise: dict[int, list[Row]] = defaultdict(list)
    case_messages = []
    for row in notifications:
        if row.promise_id is None:
            case_messages.append(row)
        else:
            by_promise[row.promise_id].append(row)
    return {
        "format": FORMAT,
        "ref": f"CASE-{case.id}",
        "id": case.id,
        "team": case.team_id,
        "channel": case.channel_id,
        "thread_ts": case.card_ts,
        "owner": case.owner_id,
        "customer": case.customer,
        "summary": case.summary,
        "numbers": {"account": case.account_ref, "order": case.order_ref, "tracking": case.tracking_ref},
        "first_contact_via": case.first_contact_via,
        "priority": _value(case.priority),
        "state": _value(case.state),
        "opened": {"at": iso(case.opened_at), "by": opened_by or case.owner_id},
        "closed": (
            {"at": iso(case.closed_at), "by": case.closed_by, "resolution": case.close_note}
            if case.closed_at is not None
            else None
        ),
        "recurrence": _value(case.recurrence),
        "category": case.category,
        "customer_tz": case.customer_tz,
        # Customer contacts, and apart from them the team's internal notes (never contacts).
        "contacts": [
            _contact(contact, revisions.get(contact.id, [])) for contact in contacts if not _is_note(contact)
        ],
        "notes": [
            _contact(contact, revisions.get(contact.id, [])) for contact in contacts if _is_note(contact)
        ],
        "promises": _promises(promises, by_promise, audit, now),
        "messages": [_message(row) for row in case_messages],
        "audit": [_audit(entry) for entry in audit],
    }


def _is_note(contact: Row) -> bool:
    return _value(contact.kind) == ContactKind.NOTE.value


def _contact(contact: Row, revisions: Sequence[Row]) -> dict[str, Any]:
    return {
        "id": contact.id,
        "author": contact.author_id,
        "text": contact.text,
        "via": contact.via,
        "channel": contact.channel_id,
        "ts": contact.ts,
        "posted_at": iso(contact.posted_at),
        "logged_at": iso(contact.logged_at),
        "edited_at": iso(contact.edited_at),
        "deleted_at": iso(contact.deleted_at),
        # The text before each edit, and the last text before the deletion, oldest first.
        "revisions": [
            {"change": r.change, "previous_text": r.previous_text, "at": iso(r.recorded_at)}
            for r in revisions
        ],
    }


# Outbox rows that are a promise's own milestones, as they read in its timeline.
_SENT_EVENTS = {NotificationKind.REMINDER: "reminder.sent", NotificationKind.ESCALATION: "escalation.sent"}


def _promises(
    promises: Sequence[Row], messages: dict[int, list[Row]], audit: Sequence[Row], now: datetime
) -> list[dict[str, Any]]:
    replaced_by = {p.replaces_id: p.id for p in promises if p.replaces_id is not None}
    entries: dict[int, list[Row]] = defaultdict(list)
    # A promise that replaces another has no promise.made entry: its making is the old one's
    # promise.rescheduled entry, which names it (replaced_by).
    made_by_reschedule: dict[int, Row] = {}
    for entry in audit:
        if entry.promise_id is not None:
            entries[entry.promise_id].append(entry)
        if entry.action == Action.PROMISE_RESCHEDULED and (entry.detail or {}).get("replaced_by"):
            made_by_reschedule[int(entry.detail["replaced_by"])] = entry
    documents = []
    for promise in promises:
        own = messages.get(promise.id, [])
        sent = [m for m in own if m.state == NotificationState.SENT]
        documents.append(
            {
                **_promise_facts(promise, now),
                "replaced_by_id": replaced_by.get(promise.id),
                "reminded": _sent_of(sent, NotificationKind.REMINDER),
                "escalated": _sent_of(sent, NotificationKind.ESCALATION),
                "events": _timeline(promise, entries[promise.id], made_by_reschedule.get(promise.id), sent),
                "messages": [_message(row) for row in own],
            }
        )
    return documents


def _promise_facts(promise: Row, now: datetime) -> dict[str, Any]:
    """What the promise row itself says, and its outcome as of `now`."""
    result = outcome_of(promise, now)
    return {
        "id": promise.id,
        "description": promise.description,
        "owner": promise.owner_id,
        "state": _value(promise.state),
        "outcome": _value(result),
        "made": {"at": iso(promise.made_at), "by": promise.made_by},
        "due_at": iso(promise.due_at),
        "remind_at": iso(promise.remind_at),
        "escalate_at": iso(promise.escalate_at),
        "suggested_due_at": iso(promise.suggested_due_at),
        "escalation_chain": list(promise.escalation_chain or []),
        "replaces_id": promise.replaces_id,
        "rescheduled": (
            {
                "at": iso(promise.rescheduled_at),
                "by": promise.rescheduled_by,
                "note": promise.reschedule_note,
                "customer_told": promise.customer_told,
            }
            if promise.rescheduled_at is not None
            else None
        ),
        "cancelled": (
            {
                "at": iso(promise.cancelled_at),
                "by": promise.cancelled_by,
                "reason": promise.cancel_reason,
                "customer_told": promise.customer_told,
            }
            if promise.cancelled_at is not None
            else None
        ),
        "acknowledged": (
            {"at": iso(promise.acknowledged_at), "by": promise.acknowledged_by}
            if promise.acknowledged_at is not None
            else None
        ),
        "kept": {"at": iso(promise.kept_at), "by": promise.kept_by} if promise.kept_at is not None else None,
    }


def _sent_of(sent: list[Row], kind: NotificationKind) -> list[dict[str, Any]]:
    return [{"at": iso(m.sent_at), "to": m.recipient, "level": m.level} for m in sent if m.kind == kind]


def _timeline(promise: Row, entries: list[Row], made_by: Row | None, sent: list[Row]) -> list[dict[str, Any]]:
    """Every state change of one promise, in the order it happened: its audit entries, and the
    reminders and escalations that actually went out."""
    events: list[tuple[datetime, int, dict[str, Any]]] = []
    if made_by is not None:
        events.append(
            (
                made_by.at,
                0,
                {
                    "at": iso(made_by.at),
                    "event": Action.PROMISE_MADE.value,
                    "by": made_by.actor_id,
                    "replaces_id": made_by.promise_id,
                    "due_at": iso(promise.due_at),
                },
            )
        )
    # At the same instant: the making first, then what was sent, then what people did about it
    # (a reminder and the click on its Reschedule button can share a second).
    for entry in entries:
        events.append(
            (
                entry.at,
                0 if entry.action == Action.PROMISE_MADE else 2,
                {"at": iso(entry.at), "event": entry.action, "by": entry.actor_id, **_detail(entry.detail)},
            )
        )
    for message in sent:
        if message.kind in _SENT_EVENTS:
            event = {
                "at": iso(message.sent_at),
                "event": _SENT_EVENTS[NotificationKind(message.kind)],
                "to": message.recipient,
                "level": message.level,
                "notification_id": message.id,
            }
            events.append((message.sent_at, 1, event))
    events.sort(key=lambda item: (item[0], item[1]))
    return [event for _at, _order, event in events]


def _message(row: Row) -> dict[str, Any]:
    """One outbox row: what the bot owed whom, and whether and when it went out."""
    payload = row.payload or {}
    return {
        "id": row.id,
        "kind": _value(row.kind),
        "level": row.level,
        # What a thread note or DM said happened (acknowledged, rescheduled, contact…).
        "event": payload.get("event") if isinstance(payload, dict) else None,
        "recipient": row.recipient,
        "thread_ts": row.thread_ts,
        "state": _value(row.state),
        "planned_at": iso(row.created_at),
        "run_at": iso(row.run_at),
        "sent_at": iso(row.sent_at),
        "delivered_channel": row.delivered_channel,
        "slack_ts": row.slack_ts,
        "attempts": row.attempts,
        # Why it was cancelled (kept, rescheduled, acknowledged) or what last went wrong.
        "error": row.last_error,
    }


def _audit(entry: Row) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "action": entry.action,
        "actor": entry.actor_id,
        "promise_id": entry.promise_id,
        "detail": _detail(entry.detail),
    }
