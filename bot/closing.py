"""Closing a case that still has open promises: each must end first, as what it really was
(kept, or called off with the customer told), so the on-time rate stays honest. Nothing here
closes a case with a promise left hanging: the caller asks what became of each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot import cases, promises
from bot.authz import require_may_change
from bot.cases import require_open
from bot.errors import CaseError
from bot.plurals import counted
from bot.policy import Policy
from bot.promises import PromiseChoice
from storage import queries
from storage.models import Case, Promise, Recurrence


class Fate(StrEnum):
    """What became of an open promise when its case closes. Stored nowhere as such: a kept
    promise is kept, a cancelled one cancelled, like any other."""

    KEPT = "kept"
    # Called off, and the customer knows.
    CANCELLED = "cancelled"


class OpenPromises(CaseError):
    """The case has open promises and the request didn't say what became of each: the caller
    asks (plain values: the transaction is gone by then)."""

    def __init__(self, case: Case, open_now: list[Promise]):
        self.case_id = case.id
        self.case_ref = case.ref
        self.choices = tuple(PromiseChoice.of(p) for p in open_now)
        first = open_now[0].description
        super().__init__(
            f"{case.ref} still has {counted(len(open_now), 'open promise')}, first “{first}”: say what"
            " became of each (kept, or cancelled with the customer told) before it closes."
        )


def close(
    session: Session,
    *,
    case: Case,
    actor_id: str,
    note: str,
    now: datetime,
    policy: Policy,
    fates: Mapping[int, Fate] | None = None,
    recurrence: Recurrence | None = None,
    category: str | None = None,
) -> list[str]:
    """Close the case, first ending each open promise as `fates` says. Without a fate for every
    open promise, OpenPromises and nothing changes. Returns the outbox keys to send now (the
    thread notes of cancelled promises)."""
    require_open(case)
    require_may_change(session, case, actor_id, "close", policy.admins.of(case.team_id))
    still_open = queries.open_promises(session, case.id)
    fates = fates or {}
    if any(promise.id not in fates for promise in still_open):
        raise OpenPromises(case, still_open)
    send: list[str] = []
    for promise in still_open:
        if fates[promise.id] is Fate.KEPT:
            promises.keep_promise(
                session, case=case, actor_id=actor_id, now=now, policy=policy, promise_id=promise.id
            )
        else:
            send += promises.cancel_promise(
                session,
                case=case,
                promise=promise,
                reason=_why_called_off(note),
                customer_told=True,
                actor_id=actor_id,
                now=now,
                policy=policy,
            )
    cases.close_case(
        session,
        case=case,
        actor_id=actor_id,
        note=note,
        now=now,
        policy=policy,
        recurrence=recurrence,
        category=category,
    )
    return send


def _why_called_off(note: str) -> str:
    resolution = " ".join(note.split())
    reason = f"the case was closed: {resolution}" if resolution else "the case was closed"
    # The reason holds at most a note's length; the resolution itself is on the case whole.
    return reason if len(reason) <= 1000 else reason[:999] + "…"
