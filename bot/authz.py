"""Who may change a case (README → "Who may do what").

Anyone in the workspace may open a case, log a contact by replying in its thread, and read
cases (`show`, `list`): the record belongs to the team. Changing what the customer was
promised, or who answers for it, is for the case's owner, anyone above the owner in the
manager chain (`/case manager`), and the admins of the case's workspace (ADMIN_USERS, read with
Policy.admins.of): recording a promise, marking it done, closing the case, handing it to
someone else."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from bot.errors import CaseError
from storage import queries
from storage.models import Case

# A chain longer than any real org chart means a loop someone set by mistake (a → b → a).
MAX_CHAIN = 12


def manager_chain(session: Session, team_id: str, user_id: str) -> list[str]:
    """The user's manager, their manager, and so on up; stops at a loop."""
    chain: list[str] = []
    current = user_id
    while len(chain) < MAX_CHAIN:
        link = queries.manager_of(session, team_id, current)
        if link is None or link.manager_id == user_id or link.manager_id in chain:
            break
        chain.append(link.manager_id)
        current = link.manager_id
    return chain


def may_change(session: Session, case: Case, actor_id: str, admins: Collection[str]) -> bool:
    if actor_id == case.owner_id or actor_id in admins:
        return True
    return actor_id in manager_chain(session, case.team_id, case.owner_id)


def require_may_change(
    session: Session, case: Case, actor_id: str, doing: str, admins: Collection[str]
) -> None:
    if not may_change(session, case, actor_id, admins):
        raise CaseError(
            f"Only <@{case.owner_id}> (the owner), a manager above them, or an admin can {doing}"
            f" {case.ref}. Ask one of them, or `/case show {case.ref}` to see it."
        )
