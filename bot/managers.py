"""Who manages whom, set by the people who own the chain (README → "Managers").

A manager link in force is authority: the person's missed promises escalate to that manager
(and on up), and everyone above them may change the person's cases (bot/authz.py). So only
someone who holds that authority already puts one in force:

- an admin (ADMIN_USERS) sets anyone's manager;
- a team lead, anyone with at least one report whose link is in force, moves people within
  their own team: someone below them, or a newcomer (no manager, nobody reporting to them), may
  be given the lead or anyone below the lead;
- someone who names their own manager only asks. The manager gets a DM with Accept / Decline;
  until they accept, the request gives nothing: the person keeps the manager they had (or has
  none, and their promises escalate as if none were set). Otherwise anyone could put themself
  out of their manager's reach, or into someone's escalations, unasked.

Whoever a change concerns hears of it by DM: the person, the manager they get, the one they
leave. Nothing here talks to Slack."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot import audit, notifications, reports, team
from bot.audit import Action
from bot.authz import manager_chain
from bot.errors import CaseError
from storage import queries
from storage import team as stored
from storage.models import ManagerRequest, NotificationKind

# The actor the audit trail records for a change made by `python -m bot team import`.
IMPORTED = "import"


class TeamEvent(StrEnum):
    """What a TEAM_NOTE says (payload["event"]); stored as these strings."""

    # To the person: the manager they named accepted / declined.
    ACCEPTED = "accepted"
    DECLINED = "declined"
    # To the person: an admin or their lead set (or removed) their manager.
    SET = "set"
    CLEARED = "cleared"
    # To a manager: someone now reports to them / no longer does.
    JOINED = "joined"
    LEFT = "left"


@dataclass(frozen=True)
class Change:
    """How someone's manager stands after a change, and the DMs to send about it."""

    user_id: str
    # The manager in force now (None: none).
    manager_id: str | None
    # Whom they asked, waiting for that manager's acceptance.
    requested_id: str | None = None
    keys: list[str] = field(default_factory=list)


def standing(session: Session, team_id: str, user_id: str) -> Change:
    link = queries.manager_of(session, team_id, user_id)
    request = stored.request_of(session, team_id, user_id)
    return Change(
        user_id=user_id,
        manager_id=link.manager_id if link else None,
        requested_id=request.manager_id if request else None,
    )


def unaccepted_manager(session: Session, team_id: str, user_id: str) -> str | None:
    request = stored.request_of(session, team_id, user_id)
    return request.manager_id if request else None


def request_open(session: Session, request_id: int, user_id: str) -> bool:
    """Whether a request is still waiting for its manager (a DM about one answered or replaced
    meanwhile need not go)."""
    request = stored.request_by_id(session, request_id)
    return request is not None and request.user_id == user_id


def is_lead(session: Session, team_id: str, user_id: str) -> bool:
    return stored.manages_anyone(session, team_id, user_id)


# -- someone names their own manager --------------------------------------------------------------


def request_manager(
    session: Session, *, team_id: str, user_id: str, manager_id: str, admins: Collection[str], now: datetime
) -> Change:
    """`/case manager @maria`: ask Maria to be the caller's manager. An admin's own choice is
    in force at once (admins set anyone's manager)."""
    if user_id in admins:
        return assign_manager(
            session,
            team_id=team_id,
            actor_id=user_id,
            user_id=user_id,
            manager_id=manager_id,
            admins=admins,
            now=now,
        )
    _require_no_loop(session, team_id, user_id, manager_id, own=True)
    current = queries.manager_of(session, team_id, user_id)
    if current is not None and current.manager_id == manager_id:
        raise CaseError(f"<@{manager_id}> is your manager already.")
    waiting = stored.request_of(session, team_id, user_id)
    if waiting is not None and waiting.manager_id == manager_id:
        raise CaseError(
            f"You asked <@{manager_id}> already; they haven't answered yet. Their DM from me has"
            " Accept and Decline."
        )
    request = stored.add_request(
        session, ManagerRequest(team_id=team_id, user_id=user_id, manager_id=manager_id, requested_at=now)
    )
    audit.record(
        session, Action.MANAGER_REQUESTED, team_id=team_id, at=now, actor_id=user_id, manager_id=manager_id
    )
    key = notifications.enqueue(
        session,
        team_id=team_id,
        kind=NotificationKind.MANAGER_REQUEST,
        recipient=manager_id,
        run_at=now,
        now=now,
        payload={"request_id": request.id, "user_id": user_id},
        # Not the id alone: SQLite hands a deleted row's id out again.
        dedupe_key=f"manager_request:{team_id}:{user_id}:{manager_id}:{now.isoformat()}",
    )
    return Change(
        user_id=user_id,
        manager_id=current.manager_id if current else None,
        requested_id=manager_id,
        keys=[key],
    )


def answer_request(
    session: Session,
    *,
    team_id: str,
    request_id: int,
    user_id: str,
    actor_id: str,
    accept: bool,
    now: datetime,
) -> Change:
    """The named manager accepts (the link is in force from now) or declines (nothing changes).
    `user_id`: whose request the button was about (SQLite may give a new request an old id)."""
    request = stored.request_by_id(session, request_id, for_update=True)
    if request is None or request.team_id != team_id or request.user_id != user_id:
        raise CaseError(
            "That request isn't open any more: it was answered already, or replaced by a newer one"
            " (which has its own DM)."
        )
    if actor_id != request.manager_id:
        raise CaseError(f"Only <@{request.manager_id}> can answer <@{request.user_id}>'s request.")
    stored.drop_request(session, team_id, user_id)
    if not accept:
        audit.record(
            session, Action.MANAGER_DECLINED, team_id=team_id, at=now, actor_id=actor_id, user_id=user_id
        )
        keys = _tell(session, team_id, now, user_id, TeamEvent.DECLINED, manager=actor_id, by=actor_id)
        return Change(user_id=user_id, manager_id=_manager_id(session, team_id, user_id), keys=keys)
    _require_no_loop(session, team_id, user_id, actor_id, own=False)
    previous = _manager_id(session, team_id, user_id)
    team.set_manager(session, team_id=team_id, user_id=user_id, manager_id=actor_id, now=now, by=actor_id)
    audit.record(
        session, Action.MANAGER_ACCEPTED, team_id=team_id, at=now, actor_id=actor_id, user_id=user_id
    )
    keys = _tell(session, team_id, now, user_id, TeamEvent.ACCEPTED, manager=actor_id, by=actor_id)
    if previous is not None and previous != actor_id:
        keys += _tell(
            session, team_id, now, previous, TeamEvent.LEFT, user=user_id, manager=actor_id, by=actor_id
        )
    return Change(user_id=user_id, manager_id=actor_id, keys=keys)


# -- an admin or a lead sets it ---------------------------------------------------------------------


def assign_manager(
    session: Session,
    *,
    team_id: str,
    actor_id: str,
    user_id: str,
    manager_id: str | None,
    admins: Collection[str],
    now: datetime,
) -> Change:
    """`/case team @alex manager @maria` (or `none`): in force at once, for an admin or a lead
    moving people within their team. Someone naming their own manager only asks."""
    if user_id == actor_id and actor_id not in admins:
        if manager_id is None:
            raise CaseError("You can't remove your own manager: ask them, a lead above them, or an admin.")
        return request_manager(
            session, team_id=team_id, user_id=user_id, manager_id=manager_id, admins=admins, now=now
        )
    require_may_assign(session, team_id, actor_id, user_id, manager_id, admins)
    return put(session, team_id=team_id, user_id=user_id, manager_id=manager_id, by=actor_id, now=now)


def require_may_assign(
    session: Session,
    team_id: str,
    actor_id: str,
    user_id: str,
    manager_id: str | None,
    admins: Collection[str],
) -> None:
    if actor_id in admins:
        return
    if not is_lead(session, team_id, actor_id):
        raise CaseError(
            "Only admins and team leads (anyone with someone reporting to them) can set someone"
            f" else's manager. <@{user_id}> can ask for one with `/case manager @…`, and that"
            " manager accepts."
        )
    mine = reports.team_of_manager(session, team_id, actor_id)
    current = _manager_id(session, team_id, user_id)
    if user_id not in mine and current is not None:
        raise CaseError(
            f"<@{user_id}> is in <@{current}>'s team, not yours: an admin, or a lead both teams"
            " report to, can move them."
        )
    if user_id not in mine and is_lead(session, team_id, user_id):
        # A newcomer may join a lead's team; someone at the top of a team of their own may not
        # be brought under another lead (and their whole team with them) by that lead alone.
        raise CaseError(f"<@{user_id}> leads a team of their own: an admin can set their manager.")
    if manager_id is not None and manager_id != actor_id and manager_id not in mine:
        raise CaseError(
            f"<@{manager_id}> isn't in your team: as a lead you can give people yourself or someone"
            f" below you as manager. An admin can do this, or <@{user_id}> can ask <@{manager_id}>"
            " with `/case manager`."
        )


def put(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    manager_id: str | None,
    by: str | None,
    now: datetime,
    tell: bool = True,
    loops_checked: bool = False,
) -> Change:
    """Put the link in force (or remove it), withdraw any request the person had waiting, and
    (with `tell`) tell the person and both managers. `by` None: an operator's import, which
    checked for loops on the whole file (`loops_checked`: one line alone may pass through a
    loop that the next undoes)."""
    previous = _manager_id(session, team_id, user_id)
    if manager_id == previous:
        if manager_id is None:
            raise CaseError(f"<@{user_id}> has no manager already.")
        raise CaseError(f"<@{user_id}>'s manager is <@{manager_id}> already.")
    if manager_id is not None:
        if not loops_checked:
            _require_no_loop(session, team_id, user_id, manager_id, own=False)
        team.set_manager(
            session, team_id=team_id, user_id=user_id, manager_id=manager_id, now=now, by=by or IMPORTED
        )
    else:
        stored.drop_link(session, team_id, user_id)
        audit.record(
            session, Action.MANAGER_CLEARED, team_id=team_id, at=now, actor_id=by or IMPORTED, user_id=user_id
        )
    stored.drop_request(session, team_id, user_id)
    if not tell:
        return Change(user_id=user_id, manager_id=manager_id)
    keys: list[str] = []
    if user_id != by:
        event = TeamEvent.SET if manager_id else TeamEvent.CLEARED
        keys += _tell(session, team_id, now, user_id, event, manager=manager_id, by=by)
    if manager_id is not None and manager_id != by:
        keys += _tell(session, team_id, now, manager_id, TeamEvent.JOINED, user=user_id, by=by)
    if previous is not None and previous != by:
        keys += _tell(
            session, team_id, now, previous, TeamEvent.LEFT, user=user_id, manager=manager_id, by=by
        )
    return Change(user_id=user_id, manager_id=manager_id, keys=keys)


def would_loop(session: Session, team_id: str, user_id: str, manager_id: str) -> bool:
    return manager_id == user_id or user_id in manager_chain(session, team_id, manager_id)


def _require_no_loop(session: Session, team_id: str, user_id: str, manager_id: str, *, own: bool) -> None:
    if manager_id == user_id:
        raise CaseError(
            "You can't be your own manager: escalations must reach someone else."
            if own
            else f"<@{user_id}> can't be their own manager: escalations must reach someone else."
        )
    if would_loop(session, team_id, user_id, manager_id):
        whom = "you" if own else f"<@{user_id}>"
        raise CaseError(
            f"<@{manager_id}> reports to {whom} (directly or not), so that would make a loop in which"
            " escalations go round. Change their manager first."
        )


def _manager_id(session: Session, team_id: str, user_id: str) -> str | None:
    link = queries.manager_of(session, team_id, user_id)
    return link.manager_id if link else None


def _tell(
    session: Session, team_id: str, now: datetime, to: str, event: TeamEvent, **detail: str | None
) -> list[str]:
    stamp = ":".join(f"{k}={v}" for k, v in sorted(detail.items()))
    return [
        notifications.enqueue(
            session,
            team_id=team_id,
            kind=NotificationKind.TEAM_NOTE,
            recipient=to,
            run_at=now,
            now=now,
            payload={"event": event.value, **detail},
            dedupe_key=f"team_note:{team_id}:{to}:{event.value}:{stamp}:{now.isoformat()}",
        )
    ]
