"""What the bot owes people, recorded in the outbox in the caller's transaction.

Nothing here talks to Slack: a row says who gets what kind of message about which case or
promise, and when. handlers/outbound/ renders and sends it; bot/delivery/ decides when.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from storage import outbox, plans
from storage.models import Case, CaseState, NotificationKind, NotificationState, Promise, PromiseState


class NoteEvent(StrEnum):
    """What happened, in a note to the case thread or to the owner (CASE_NOTE and PERSON_NOTE
    rows carry it as payload["event"]). Stored as these strings: renaming a member must never
    change what an old row says."""

    ACKNOWLEDGED = "acknowledged"
    RESCHEDULED = "rescheduled"
    EXTENDED = "extended"
    SAFER_TIME = "safer_time"
    CONTACT = "contact"
    CANCELLED = "cancelled"
    REOPENED = "reopened"
    EDITED = "edited"
    # The case went to someone else: told to the owner it was taken from.
    HANDED_OVER = "handed_over"


# Messages about a promise that mean nothing once it is kept or its case is closed.
PROMISE_BOUND = frozenset(
    {
        NotificationKind.REMINDER.value,
        NotificationKind.ESCALATION.value,
        NotificationKind.ESCALATION_NOTE.value,
        NotificationKind.MANAGER_MISSING.value,
        NotificationKind.ESCALATION_WAITING.value,
    }
)


def enqueue(
    session: Session,
    *,
    team_id: str,
    kind: NotificationKind,
    recipient: str,
    run_at: datetime,
    now: datetime,
    dedupe_key: str,
    promise: Promise | None = None,
    case_id: int | None = None,
    level: int = 0,
    thread_ts: str | None = None,
    payload: dict[str, Any] | None = None,
) -> str:
    """Record a message to send at `run_at`; a second call with the same key changes nothing.
    Returns the dedupe key, by which the caller can ask for it to be sent right away."""
    outbox.insert_once(
        session,
        message_row(
            team_id=team_id,
            kind=kind,
            recipient=recipient,
            run_at=run_at,
            now=now,
            dedupe_key=dedupe_key,
            promise=promise,
            case_id=case_id,
            level=level,
            thread_ts=thread_ts,
            payload=payload,
        ),
    )
    return dedupe_key


def enqueue_all(session: Session, rows: list[dict[str, Any]]) -> list[str]:
    """enqueue() for several messages at once (rows made by message_row). Returns their keys."""
    outbox.insert_all_once(session, rows)
    return [row["dedupe_key"] for row in rows]


def message_row(
    *,
    team_id: str,
    kind: NotificationKind,
    recipient: str,
    run_at: datetime,
    now: datetime,
    dedupe_key: str,
    promise: Promise | None = None,
    case_id: int | None = None,
    level: int = 0,
    thread_ts: str | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One outbox row, as enqueue() records it."""
    return {
        "team_id": team_id,
        "kind": kind,
        "promise_id": promise.id if promise is not None else None,
        "case_id": case_id if case_id is not None else (promise.case_id if promise else None),
        "level": level,
        "dedupe_key": dedupe_key,
        "recipient": recipient,
        "thread_ts": thread_ts,
        "payload": payload or {},
        "run_at": run_at,
        "state": NotificationState.PENDING,
        "attempts": 0,
        "maybe_delivered": False,
        "created_at": now,
    }


def promise_key(promise: Promise, kind: NotificationKind, level: int = 0) -> str:
    return f"promise:{promise.id}:{kind.value}:{level}"


def goes_after(kind: str, promise_id: int | None, level: int) -> str | None:
    """The key of the row a row must follow when both are being sent, if any: an escalation's
    note in the case thread says the escalation went out, so it goes once that has."""
    if kind == NotificationKind.ESCALATION_NOTE.value and promise_id is not None:
        return f"promise:{promise_id}:{NotificationKind.ESCALATION.value}:{level}"
    return None


def cancel_for(session: Session, promise: Promise, reason: str, now: datetime) -> int:
    """The promise is no longer open (kept, cancelled, rescheduled): nothing more is sent about
    it, and whoever its escalation already reached hears how it ended."""
    cancelled = plans.cancel_pending(session, promise.id, reason)
    settle_escalations(session, promise, now)
    return cancelled


def settle_escalations(session: Session, promise: Promise, now: datetime) -> list[str]:
    """One row per person (or channel) an escalation of this promise reached or is reaching:
    their escalation messages are redrawn without buttons, saying how it ended, and a person
    is told once, however many levels or messages reached them. Returns the keys."""
    # A row being sent this moment counts: if it reaches them, so does how it ended.
    reached: dict[str, tuple[str, int]] = {}
    for row in plans.planned(session, promise.id, (NotificationKind.ESCALATION,)):
        if row.state in (NotificationState.SENT, NotificationState.CLAIMED):
            reached.setdefault(row.recipient, (row.team_id, row.level))
    return [
        enqueue(
            session,
            team_id=team_id,
            kind=NotificationKind.ESCALATION_SETTLED,
            recipient=recipient,
            run_at=now,
            now=now,
            promise=promise,
            level=level,
            dedupe_key=promise_key(promise, NotificationKind.ESCALATION_SETTLED, level),
        )
        for recipient, (team_id, level) in reached.items()
    ]


def cancel_waiting(session: Session, case_ids: list[int], kind: NotificationKind, reason: str) -> int:
    """Call off these cases' messages of `kind` not yet being sent."""
    return plans.cancel_pending_of_cases(session, case_ids, kind, reason)


def say_now(
    session: Session,
    *,
    case: Case,
    now: datetime,
    payload: dict[str, Any],
    stamp: str,
    targets: list[tuple[NotificationKind, str, str | None]],
) -> list[str]:
    """Messages about something that just happened to a case, one per (kind, recipient,
    thread): due now, keyed by `stamp` so the same happening is said once. Returns the keys."""
    return [
        enqueue(
            session,
            team_id=case.team_id,
            kind=kind,
            recipient=recipient,
            thread_ts=thread_ts,
            run_at=now,
            now=now,
            case_id=case.id,
            payload=payload,
            dedupe_key=f"{kind.value}:{stamp}",
        )
        for kind, recipient, thread_ts in targets
    ]


def no_longer_needed(kind: str, case: Case, promise: Promise | None) -> str | None:
    """Why a message about this promise need not go any more (it was kept or moved on, or its
    case closed), or None while it is still wanted."""
    if kind not in PROMISE_BOUND or promise is None:
        return None
    if promise.state is not PromiseState.OPEN:
        return f"promise {promise.state.value}"
    if case.state is not CaseState.OPEN:
        return "case closed"
    return None


def stale_card_update(case: Case, payload: dict[str, Any]) -> str | None:
    """Why a card redraw need not go: a newer one follows (each draws everything), or the card
    isn't posted yet (when it is, it shows the latest). None when it should go."""
    if payload.get("version", 0) < case.version:
        return "a newer card update follows"
    if not case.card_ts:
        return "the card isn't posted yet; it will show the latest"
    return None
