"""Who may read and who may change a case (README → "Who may do what").

Anyone in the workspace may open a case, log a contact by replying in its thread, and read
cases (`show`, `find`): the record belongs to the team. Changing what the customer was
promised, or who answers for it, is for the case's owner, anyone above the owner in the
manager chain (`/case manager`), and the admins of the case's workspace (ADMIN_USERS, read with
Policy.admins.of): recording a promise, marking it done, closing the case, handing it to
someone else.

A case opened in a private channel (Case.private) is readable only by that channel's members,
and by those who may change it (the owner, the chain above them, admins): its details never
reach anyone else, in a reply, a search, a card's list of earlier cases or a message sent on
its own. Who is in a channel is Slack's to say: callers look it up outside any transaction
(bot/channels.py keeps what Slack said) and pass it in, in two steps: `plan_reading` says which
channels' members matter, `readable` decides with them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from bot.errors import CaseError
from storage import insights, queries
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
    if may_change(session, case, actor_id, admins):
        return
    if case.private:
        # Someone outside its private channel learns no more than that it exists.
        raise CaseError(f"Only {case.ref}'s owner, a manager above them, or an admin can {doing} it.")
    raise CaseError(
        f"Only <@{case.owner_id}> (the owner), a manager above them, or an admin can {doing}"
        f" {case.ref}. Ask one of them, or `/case show {case.ref}` to see it."
    )


# ---- reading -----------------------------------------------------------------------------------


class CaseLike(Protocol):
    """What deciding about a case reads of it (a Case, or a search candidate)."""

    private: bool
    channel_id: str
    owner_id: str


@dataclass(frozen=True)
class Readable:
    """Which of a workspace's cases an audience may read: every case not private, and the
    private ones in `channels` (they are members) or owned by one of `owners` (themselves and
    the people below them in the manager chain). An admin reads `everything`."""

    everything: bool = False
    channels: frozenset[str] = frozenset()
    owners: frozenset[str] = frozenset()
    # Private channels whose members Slack could not tell: said so in a refusal.
    unknown: frozenset[str] = frozenset()

    def allows(self, case: CaseLike) -> bool:
        return (
            self.everything
            or not case.private
            or case.channel_id in self.channels
            or (case.owner_id in self.owners)
        )

    @classmethod
    def channel(cls, channel_id: str) -> Readable:
        """What may be shown in a channel: its own private cases and no other channel's (each
        of its members reads it)."""
        return cls(channels=frozenset({channel_id}))


@dataclass(frozen=True)
class ReadingPlan:
    """Step one of deciding what someone may read: what their role gives them, and the private
    channels whose members the caller must ask Slack about."""

    reader_id: str
    everything: bool
    owners: frozenset[str]
    ask_about: tuple[str, ...]


def plan_reading(
    session: Session, team_id: str, reader_id: str, admins: Collection[str], channels: Iterable[str]
) -> ReadingPlan:
    """`channels`: the private channels that matter (one case's, or all a search may touch)."""
    if reader_id in admins:
        return ReadingPlan(reader_id, True, frozenset(), ())
    owners = frozenset({reader_id, *people_below(session, team_id, reader_id)})
    return ReadingPlan(reader_id, False, owners, tuple(sorted(set(channels))))


def readable(plan: ReadingPlan, members: Mapping[str, Collection[str] | None]) -> Readable:
    """Step two: with each asked channel's members as Slack said them (None: Slack couldn't)."""
    if plan.everything:
        return Readable(everything=True)
    inside = {c for c in plan.ask_about if plan.reader_id in (members.get(c) or ())}
    unknown = {c for c in plan.ask_about if members.get(c) is None}
    return Readable(channels=frozenset(inside), owners=plan.owners, unknown=frozenset(unknown))


def require_readable(case: Case, allowed: Readable) -> None:
    """Someone who may not read the case is told why, and nothing of it. Not "there is no such
    case": case numbers are in order and on every card, so pretending hides nothing, and a
    colleague given the number should know to ask to be let in."""
    if allowed.allows(case):
        return
    if case.channel_id in allowed.unknown:
        raise CaseError(
            f"{case.ref} is in a private channel, and Slack didn't tell me who is in it just now."
            " Try again in a minute."
        )
    raise CaseError(
        f"{case.ref} is in a private channel you're not in: only its members, the owner's"
        " managers and admins can read it. Ask someone in the channel to add you."
    )


def people_below(session: Session, team_id: str, manager_id: str) -> set[str]:
    """Everyone whose manager chain reaches `manager_id`: direct reports, theirs, and so on, as
    deep as manager_chain walks up (a loop ends the walk), so that "may change my cases" and
    "may read my private cases" agree."""
    below: set[str] = set()
    frontier = {manager_id}
    for _ in range(MAX_CHAIN):
        found = set(insights.direct_reports(session, team_id, frontier)) - below - {manager_id}
        if not found:
            break
        below |= found
        frontier = found
    return below
