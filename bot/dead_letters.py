"""Dead letters: notifications Slack refused for good (bot/delivery/recording.py marks them dead).

Nobody may be left thinking a reminder or an escalation went out when it didn't: the owner of
the promise hears which message could not be delivered, to whom, and what to do; for an
escalation (and for a reminder that could not reach its owner at all) the workspace's admins
hear it too. That notice is an outbox row like any other (one per dead row and person, so it
is sent once); a notice that dies itself is only logged, never announced in turn.

Operators see the dead rows with `python -m bot dead list`, put them back in line (`retry`) or
drop them with a reason (`drop`); both leave an audit entry. Nothing here talks to Slack: what
Slack's error means is said by handlers/."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot import audit, escalation, notifications
from bot.audit import Action
from bot.errors import CaseError
from storage import dead_letters as stored
from storage import plans
from storage.dead_letters import DeadRow
from storage.models import Case, NotificationKind, NotificationState, Promise
from storage.outbox import Claim

# What people are told about when it dies: the messages that say a promise needs them. A case
# card or a thread note that dies is the operator's (`python -m bot dead list`).
TOLD_ABOUT = frozenset({NotificationKind.REMINDER.value, NotificationKind.ESCALATION.value})


def is_notice(kind: str) -> bool:
    """A dead-letter notice itself: when it dies, it is only logged (no notice of a notice)."""
    return kind == NotificationKind.DEAD_LETTER.value


def notice_key(notification_id: int, person: str) -> str:
    return f"dead_letter:{notification_id}:{person}"


def tell(
    session: Session,
    died: Claim,
    error: str,
    *,
    recipient_gone: bool,
    admins: Collection[str],
    now: datetime,
    workspace_gone: bool = False,
) -> list[str]:
    """A row just died: record it in the case's audit trail and, for a reminder or an escalation,
    leave the notices owed to the owner and the admins. `recipient_gone`: Slack said the person
    it was for can't get messages at all (deactivated, unknown); `workspace_gone`: the bot can't
    reach the workspace at all (uninstalled, token revoked), so nobody there can be told.
    Returns the notices' keys."""
    case = session.get(Case, died.case_id) if died.case_id is not None else None
    promise = session.get(Promise, died.promise_id) if died.promise_id is not None else None
    audit.record(
        session,
        Action.NOTIFICATION_DEAD,
        team_id=died.team_id,
        at=now,
        actor_id=None,
        case=case,
        promise=promise,
        notification_id=died.id,
        kind=died.kind,
        level=died.level,
        to=died.recipient,
        error=error,
    )
    if workspace_gone or is_notice(died.kind) or died.kind not in TOLD_ABOUT or case is None:
        return []
    owner = promise.owner_id if promise is not None else case.owner_id
    facts = _facts(session, died, error, case, promise, owner, recipient_gone)
    # The owner, unless the message was theirs and Slack says they can't get any.
    owner_reachable = not (recipient_gone and died.recipient == owner)
    told = {owner: "owner"} if owner_reachable else {}
    if died.kind == NotificationKind.ESCALATION.value or not owner_reachable:
        for admin in sorted(admins):
            if admin != died.recipient:
                told.setdefault(admin, "admin")
    keys = []
    for person, audience in told.items():
        keys.append(
            notifications.enqueue(
                session,
                team_id=died.team_id,
                kind=NotificationKind.DEAD_LETTER,
                recipient=person,
                run_at=now,
                now=now,
                case_id=case.id,
                dedupe_key=notice_key(died.id, person),
                payload={**facts, "audience": audience},
            )
        )
    return keys


def _facts(
    session: Session,
    died: Claim,
    error: str,
    case: Case,
    promise: Promise | None,
    owner: str,
    recipient_gone: bool,
) -> dict[str, object]:
    """What the notice says, frozen when the row died (the row may be retried or the chain
    change later; the notice tells what happened then)."""
    facts: dict[str, object] = {
        "notification_id": died.id,
        "kind": died.kind,
        "level": died.level,
        "to": died.recipient,
        "error": error,
        "recipient_gone": recipient_gone,
        "owner": owner,
        "case_channel": case.channel_id,
        "description": promise.description if promise is not None else None,
        "due_at": promise.due_at.isoformat() if promise is not None else None,
    }
    if died.kind == NotificationKind.ESCALATION.value and promise is not None:
        chain = escalation.chain_of(promise, case)
        # Whose manager the recipient is: the one who can name another (level 1: the owner).
        below = chain[died.level - 2] if 2 <= died.level <= len(chain) + 1 else owner
        facts["manager_of"] = None if escalation.is_channel(died.recipient) else below
        later = [
            row
            for row in plans.planned(session, promise.id, (NotificationKind.ESCALATION,))
            if row.level > died.level and row.state is NotificationState.PENDING
        ]
        facts["next_to"] = min(later, key=lambda row: row.level).recipient if later else None
    return facts


# -- what an operator does with them (python -m bot dead) -------------------------------------


@dataclass(frozen=True)
class Done:
    """Rows an operator acted on, by id."""

    ids: list[int]


def dead(session: Session, team_id: str | None = None) -> list[DeadRow]:
    return stored.dead(session, team_id=team_id)


def retry(session: Session, ids: Collection[int], *, by: str, now: datetime, every: bool = False) -> Done:
    """Back in line, due at once, for the running bot to send. Each is looked for in Slack first
    (as after any attempt that may have reached it), so one that got through is not posted twice.
    `every`: all dead rows but notices. Unknown ids or rows not dead: CaseError, nothing changed."""
    # Every one but the notices of dead letters: told late, they would say a message failed
    # that this very retry is sending (retry those by id if they are wanted).
    rows = (
        [row for row in stored.dead(session) if not is_notice(row.kind)]
        if every
        else _dead_ones(session, ids)
    )
    stored.put_back(session, [row.id for row in rows])
    for row in rows:
        if row.kind == NotificationKind.ESCALATION.value and row.promise_id is not None:
            # Its note in the case thread gave up when the escalation died: it is owed again
            # (and, as ever, waits until the escalation is out).
            stored.owe_note_again(session, row.promise_id, row.level, row.run_at)
        _audit(session, Action.NOTIFICATION_RETRIED, row, by=by, now=now)
    return Done([row.id for row in rows])


def drop(session: Session, ids: Collection[int], *, by: str, reason: str, now: datetime) -> Done:
    """Never to be sent: cancelled, with who dropped it and why in the row and the audit trail."""
    rows = _dead_ones(session, ids)
    stored.drop(session, [row.id for row in rows], f"dropped by {by}: {reason}")
    for row in rows:
        _audit(session, Action.NOTIFICATION_DROPPED, row, by=by, now=now, reason=reason)
    return Done([row.id for row in rows])


def _dead_ones(session: Session, ids: Collection[int]) -> list[DeadRow]:
    wanted = sorted(set(ids))
    found = {row.id: row for row in stored.dead(session, ids=wanted)}
    missing = [i for i in wanted if i not in found]
    if missing:
        states = stored.states(session, missing)
        problems = [
            f"{i} is {states[i].value}, not dead" if i in states else f"there is no notification {i}"
            for i in missing
        ]
        raise CaseError("; ".join(problems) + ". Nothing was changed.")
    return [found[i] for i in wanted]


def _audit(session: Session, action: Action, row: DeadRow, *, by: str, now: datetime, **more: str) -> None:
    entry = audit.entry(
        action,
        team_id=row.team_id,
        at=now,
        actor_id=None,
        notification_id=row.id,
        kind=row.kind,
        level=row.level,
        to=row.recipient,
        error=row.last_error,
        by=by,
        **more,
    )
    # The case's trail (python -m bot export) shows what became of its message.
    entry["case_id"], entry["promise_id"] = row.case_id, row.promise_id
    audit.record_all(session, [entry])
