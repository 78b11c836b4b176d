"""The roster an admin reads (App Home, `python -m bot team export`): everyone the bot knows in
a workspace, with their manager chain in force, who has no manager, and whose named manager
hasn't accepted yet. "Known": owns or owned a case, or is on either side of a manager link or
a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.authz import MAX_CHAIN
from storage import team as stored


@dataclass(frozen=True)
class Waiting:
    user_id: str
    manager_id: str
    since: datetime


@dataclass(frozen=True)
class Roster:
    # (person, their chain upward: manager, manager's manager, …), grouped by chain.
    chains: list[tuple[str, list[str]]]
    # No manager and nobody reporting to them: their missed promises go straight to a channel.
    without: list[str]
    # No manager, but people report to them: the top of a chain.
    tops: list[str]
    waiting: list[Waiting]
    # Every link in force: person -> manager.
    links: dict[str, str]


def roster(session: Session, team_id: str) -> Roster:
    links = stored.links(session, team_id)
    waiting = [
        Waiting(user_id=r.user_id, manager_id=r.manager_id, since=r.requested_at)
        for r in stored.requests(session, team_id)
    ]
    known = stored.case_owners(session, team_id) | set(links) | set(links.values())
    known |= {w.user_id for w in waiting}
    chains = sorted(
        ((person, chain_in(links, person)) for person in known if person in links),
        key=lambda item: ([*reversed(item[1]), item[0]]),
    )
    managers = set(links.values())
    lone = sorted(person for person in known if person not in links)
    return Roster(
        chains=chains,
        without=[person for person in lone if person not in managers],
        tops=[person for person in lone if person in managers],
        waiting=waiting,
        links=links,
    )


def chain_in(links: dict[str, str], person: str) -> list[str]:
    """Their manager, that manager's, and so on (as bot/authz.manager_chain walks it, stopping
    at a loop)."""
    chain: list[str] = []
    current = person
    while len(chain) < MAX_CHAIN:
        manager = links.get(current)
        if manager is None or manager == person or manager in chain:
            break
        chain.append(manager)
        current = manager
    return chain
