"""A whole team's managers from a CSV file (`python -m bot team import team.csv`): read, checked
line by line against the links in force, then applied in one transaction, or not at all.

The file: one `agent,manager` pair of Slack user ids a line (Profile → ⋮ → Copy member ID). A
first line `agent,manager` is a header; blank lines and lines starting with `#` are skipped; an
empty manager removes the agent's manager. Agents not in the file keep theirs. An operator's
import is an admin's act: the links are in force at once, and any request the agent had
waiting for a manager's acceptance is withdrawn."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot import managers
from bot.roster import chain_in
from storage import team as stored

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
HEADER = ("agent", "manager")


@dataclass(frozen=True)
class Line:
    number: int
    user_id: str
    # None: remove their manager.
    manager_id: str | None


@dataclass(frozen=True)
class Change:
    number: int
    user_id: str
    before: str | None
    after: str | None


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    unchanged: list[Line] = field(default_factory=list)
    # "line 4: …", in line order.
    errors: list[str] = field(default_factory=list)


def read(text: str) -> tuple[list[Line], list[str]]:
    """The file's lines, and what is wrong with any of them."""
    lines: list[Line] = []
    errors: list[str] = []
    first_seen: dict[str, int] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and tuple(c.lower() for c in cells) == HEADER:
            continue
        line, problem = _line(number, cells)
        if problem is None and line is not None and line.user_id in first_seen:
            problem = f"{line.user_id} is on line {first_seen[line.user_id]} already; one line per agent"
        if problem is not None:
            errors.append(f"line {number}: {problem}")
            continue
        assert line is not None
        first_seen[line.user_id] = number
        lines.append(line)
    return lines, errors


def _line(number: int, cells: list[str]) -> tuple[Line | None, str | None]:
    if len(cells) != 2:
        return None, f"expected 2 columns (agent,manager), found {len(cells)}"
    agent, manager = cells
    for label, value in (("agent", agent), ("manager", manager)):
        if value and not USER_ID.match(value):
            return (
                None,
                f"{label} {value[:40]!r} is not a Slack user id (U… or W…: Profile → ⋮ → Copy member ID)",
            )
    if not agent:
        return None, "the agent is missing"
    if agent == manager:
        return None, f"{agent} can't be their own manager"
    return Line(number=number, user_id=agent, manager_id=manager or None), None


def plan(session: Session, team_id: str, lines: list[Line], errors: list[str]) -> Plan:
    """What the file would change, checked against the links in force: no loops once every
    line is applied (a → b in the file and b → a in force, or both in the file)."""
    result = Plan(errors=list(errors))
    current = stored.links(session, team_id)
    final = dict(current)
    for line in lines:
        if line.manager_id is None:
            final.pop(line.user_id, None)
        else:
            final[line.user_id] = line.manager_id
    for line in lines:
        loop = _loop_from(final, line.user_id)
        if loop:
            result.errors.append(f"line {line.number}: that makes a loop: {' → '.join(loop)}")
        elif current.get(line.user_id) == line.manager_id:
            result.unchanged.append(line)
        else:
            result.changes.append(
                Change(line.number, line.user_id, before=current.get(line.user_id), after=line.manager_id)
            )
    result.errors.sort(key=lambda text: int(text.split(":", 1)[0].removeprefix("line ")))
    return result


def _loop_from(links: dict[str, str], person: str) -> list[str]:
    """The loop someone's chain runs into ([a, b, a]), or []."""
    chain = chain_in(links, person)
    top = chain[-1] if chain else person
    if links.get(top) in [person, *chain]:
        return [person, *chain, links[top]]
    return []


def apply(session: Session, team_id: str, planned: Plan, now: datetime, *, tell: bool) -> int:
    """Every change, in the caller's transaction. Returns how many were made."""
    assert not planned.errors, "a file with errors is applied not at all"
    for change in planned.changes:
        managers.put(
            session,
            team_id=team_id,
            user_id=change.user_id,
            manager_id=change.after,
            by=None,
            now=now,
            tell=tell,
            loops_checked=True,
        )
    return len(planned.changes)
