"""What the bot owes people, recorded in the outbox in the caller's transaction.

Nothing here talks to Slack: a row says who gets what kind of message about which case or
promise, and when. handlers/deliver.py renders and sends it; bot/dispatcher.py decides when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage import outbox
from storage.models import Case, NotificationKind, NotificationState, Promise


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
        {
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
        },
    )
    return dedupe_key


def promise_key(promise: Promise, kind: NotificationKind, level: int = 0) -> str:
    return f"promise:{promise.id}:{kind.value}:{level}"


def cancel_for(session: Session, promise: Promise, reason: str) -> int:
    return outbox.cancel_pending(session, promise.id, reason)


def cancel_waiting(session: Session, case_id: int, kind: NotificationKind, reason: str) -> int:
    """Call off a case's messages of `kind` not yet being sent."""
    return outbox.cancel_pending_of_case(session, case_id, kind, reason)


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
