"""Changing a case after it was opened: correcting what the case says (customer, numbers,
priority, the customer's time zone) and reopening a closed one. Each change is on the audit
trail with what it was before, said in the case thread, and redrawn on the card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import audit, cases, notifications
from bot.audit import Action
from bot.authz import require_may_change
from bot.cases import require_open
from bot.errors import CaseError
from bot.notifications import NoteEvent
from bot.policy import Policy
from bot.timeparse import find_zone
from bot.validation import clean_text
from storage.models import Case, CasePriority, CaseState, NotificationKind


@dataclass(frozen=True)
class CaseEdit:
    """What the edit form holds, as typed: every field, changed or not. An empty optional field
    clears it."""

    customer: str | None
    summary: str
    account_ref: str | None
    order_ref: str | None
    tracking_ref: str | None
    priority: CasePriority
    # As typed ("Berlin", "Europe/Berlin"); read with timeparse.find_zone.
    customer_tz: str | None


# How each field reads in the thread note and the reply ("order number SO-1 → SO-2").
FIELD_NAMES = {
    "customer": "customer",
    "summary": "summary",
    "account_ref": "account number",
    "order_ref": "order number",
    "tracking_ref": "tracking number",
    "priority": "priority",
    "customer_tz": "customer's time zone",
}


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None
    after: str | None

    @property
    def name(self) -> str:
        return FIELD_NAMES[self.field]


def edit_case(
    session: Session, *, case: Case, edit: CaseEdit, actor_id: str, now: datetime, policy: Policy
) -> tuple[list[Change], list[str]]:
    """Apply the form: returns what changed (nothing: no change, no note) and the outbox keys to
    send now (the thread note and the card)."""
    require_open(case)
    require_may_change(session, case, actor_id, "edit", policy.admins.of(case.team_id))
    wanted = _cleaned(edit)
    changes = [
        Change(name, _text(getattr(case, name)), _text(value))
        for name, value in wanted.items()
        if _text(getattr(case, name)) != _text(value)
    ]
    if not changes:
        return [], []
    for name, value in wanted.items():
        setattr(case, name, value)
    recorded = {change.field: [change.before, change.after] for change in changes}
    audit.record(
        session, Action.CASE_EDITED, team_id=case.team_id, at=now, actor_id=actor_id, case=case, **recorded
    )
    keys = notifications.say_now(
        session,
        case=case,
        now=now,
        payload={"event": NoteEvent.EDITED.value, "by": actor_id, "changes": _said(changes)},
        stamp=f"{case.id}:edited:{now.isoformat()}",
        targets=[(NotificationKind.CASE_NOTE, case.channel_id, case.card_ts)],
    )
    return changes, [*keys, cases.touch(session, case, now)]


def _cleaned(edit: CaseEdit) -> dict[str, Any]:
    """Every field as the case would store it; a CaseError names the one that is wrong."""
    if not edit.summary.strip():
        raise CaseError("Say what the case is about: the summary can't be empty.")
    customer = (edit.customer or "").strip()
    return {
        "customer": clean_text(customer, "customer") if customer else None,
        "summary": clean_text(edit.summary, "summary"),
        "account_ref": cases.clean_ref(edit.account_ref, "account number"),
        "order_ref": cases.clean_ref(edit.order_ref, "order number"),
        "tracking_ref": cases.clean_ref(edit.tracking_ref, "tracking number"),
        "priority": CasePriority(edit.priority),
        "customer_tz": find_zone(edit.customer_tz) if edit.customer_tz and edit.customer_tz.strip() else None,
    }


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.value if isinstance(value, CasePriority) else value)


def _said(changes: list[Change]) -> list[dict[str, str | None]]:
    return [{"field": c.field, "before": c.before, "after": c.after} for c in changes]


def reopen_case(
    session: Session, *, case: Case, actor_id: str, why: str, now: datetime, policy: Policy
) -> list[str]:
    """A closed case is open again (the customer came back about the same problem). Its close
    is kept on the audit trail; the case reads as open, without a resolution or category, until
    it is closed again. Returns the outbox keys to send now."""
    if case.state is CaseState.OPEN:
        raise CaseError(f"{case.ref} is open already.")
    require_may_change(session, case, actor_id, "reopen", policy.admins.of(case.team_id))
    reason = clean_text(why, "note", required=False) or None
    was = {
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "closed_by": case.closed_by,
        "resolution": case.close_note,
        "recurrence": case.recurrence.value if case.recurrence else None,
        "category": case.category,
    }
    case.state = CaseState.OPEN
    for name in ("closed_at", "closed_by", "close_note", "recurrence", "category", "category_key"):
        setattr(case, name, None)
    audit.record(
        session,
        Action.CASE_REOPENED,
        team_id=case.team_id,
        at=now,
        actor_id=actor_id,
        case=case,
        note=reason,
        **was,
    )
    keys = notifications.say_now(
        session,
        case=case,
        now=now,
        payload={"event": NoteEvent.REOPENED.value, "by": actor_id, "note": reason},
        stamp=f"{case.id}:reopened:{now.isoformat()}",
        targets=[(NotificationKind.CASE_NOTE, case.channel_id, case.card_ts)],
    )
    return [*keys, cases.touch(session, case, now)]
