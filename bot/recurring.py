"""Recurring problems: single events don't need fixing at the root, problems that keep coming
back do. When THRESHOLD cases of one category have been closed as recurring within WINDOW, the
managers of their owners are told, once, with the cases listed; the same category is flagged
again only after WINDOW has passed since its last flag (and the count is reached again).

Who hears it: the manager of each owner (as set with `/case manager`), each once. When none of
the owners has a manager, ESCALATION_CHANNEL hears it, or else the channel of the case that
tipped the count."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import audit, notifications
from bot.audit import Action
from bot.cases import category_key
from bot.policy import Policy
from storage import recurring as stored
from storage.models import Case, NotificationKind, Recurrence, RecurringFlag

THRESHOLD = 3
WINDOW = timedelta(days=14)


def check(session: Session, case: Case, now: datetime, policy: Policy) -> list[str]:
    """After `case` was closed: flag its category if it just reached the threshold. Returns the
    outbox keys of the flags, to send straight away."""
    if case.recurrence is not Recurrence.RECURRING or not case.category:
        return []
    key = category_key(case.category)
    stored.lock_category(session, case.team_id, key)
    earlier = stored.last_flag(session, case.team_id, key)
    if earlier is not None and now - earlier.flagged_at < WINDOW:
        return []
    cases = stored.recurring_cases_since(session, case.team_id, key, now - WINDOW)
    if len(cases) < THRESHOLD:
        return []
    flag = RecurringFlag(
        team_id=case.team_id,
        category_key=key,
        category=cases[0].category or case.category,
        case_ids=[c.id for c in cases],
        flagged_at=now,
    )
    session.add(flag)
    session.flush()
    owners = sorted({c.owner_id for c in cases})
    managers = sorted(set(stored.managers_of(session, case.team_id, owners).values()))
    recipients = managers or [policy.escalation_channel or case.channel_id]
    for flagged in cases:
        # On each case's own record, so its audit export shows it was part of the flag.
        audit.record(
            session,
            Action.RECURRING_FLAGGED,
            team_id=case.team_id,
            at=now,
            actor_id=None,
            case=flagged,
            flag_id=flag.id,
            category=flag.category,
            cases=flag.case_ids,
            told=recipients,
        )
    return [
        notifications.enqueue(
            session,
            team_id=case.team_id,
            kind=NotificationKind.RECURRING_FLAG,
            recipient=to,
            run_at=now,
            now=now,
            case_id=case.id,
            payload={"flag_id": flag.id},
            dedupe_key=f"recurring:{flag.id}:{to}",
        )
        for to in recipients
    ]


def flagged_cases(session: Session, flag_id: int) -> tuple[RecurringFlag | None, list[Case]]:
    """A flag and its cases, for telling it."""
    flag = session.get(RecurringFlag, flag_id)
    if flag is None:
        return None, []
    return flag, stored.cases_by_ids(session, flag.case_ids)
