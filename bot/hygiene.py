"""Promise hygiene: "under-promise, over-deliver". When a promise is made, look at what else
its owner has due around the same time and at how late their recent promises of the same kind
were; when it looks tight, suggest a safer time. Advice only: it never blocks a promise.

The rules, pure and in one place (README → Promise hygiene):
- Crowded: CROWDED_AT or more of the owner's other open promises are due within SAME_HOUR
  either side of it. The safer time is SAME_HOUR after the last of them.
- Usually late: over the owner's last HISTORY ended promises of the same kind (or of any
  kind, when fewer than MIN_SAMPLES are of this kind), the median lateness is LATE_ENOUGH or
  more. A missed promise counts as late by how overdue it is now; one kept on time, as 0.
  The safer time adds that median.
- The later of the two, rounded up to the quarter hour. The owner may switch to it with one
  click within SUGGESTION_GOOD_FOR of making the promise (before they've told the customer
  something else); after that a new time is a reschedule."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy.orm import Session

from storage import hygiene as stored

SAME_HOUR = timedelta(minutes=30)
CROWDED_AT = 2
HISTORY = 20
MIN_SAMPLES = 4
LATE_ENOUGH = timedelta(minutes=5)
SUGGESTION_GOOD_FOR = timedelta(minutes=15)
QUARTER = timedelta(minutes=15)

# What a promise is about, from the words it is written with. The first kind whose word starts
# a word of the description wins; the rest are "other".
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("callback", ("call", "phone", "ring")),
    ("email", ("email", "e-mail", "mail", "write", "reply")),
    ("refund", ("refund", "credit", "reimburs", "money")),
    ("delivery", ("deliver", "ship", "courier", "track", "parcel", "package", "dispatch")),
    ("fix", ("fix", "repair", "replace", "engineer", "visit", "install")),
    ("document", ("send", "invoice", "receipt", "form", "document", "quote", "contract")),
)
OTHER = "other"
_WORD = re.compile(r"[\w-]+")


def kind_of(description: str) -> str:
    words = [w.lower() for w in _WORD.findall(description)]
    for kind, stems in KINDS:
        if any(word.startswith(stem) for word in words for stem in stems):
            return kind
    return OTHER


@dataclass(frozen=True)
class Advice:
    due_at: datetime
    suggested: datetime
    # Due times of the other open promises crowding it (empty when not crowded).
    crowded_by: tuple[datetime, ...]
    kind: str
    # The median lateness of the owner's recent promises, when that was what made it tight.
    usually_late: timedelta | None
    samples: int
    # True when the history is of this kind only; False when it fell back to every kind.
    same_kind: bool


def lateness(due_at: datetime, kept_at: datetime | None, now: datetime) -> timedelta:
    """How late one ended promise was: 0 when kept on time; still open, how overdue it is."""
    end = kept_at if kept_at is not None else now
    return max(timedelta(0), end - due_at)


def advise(
    *,
    due_at: datetime,
    others_due: list[datetime],
    history: list[tuple[str, datetime, datetime | None]],
    kind: str,
    now: datetime,
) -> Advice | None:
    """The advice for a promise due at `due_at`, or None when it doesn't look tight. `others_due`
    are the owner's other open promises near it, `history` their latest ended promises
    (description, due_at, kept_at), newest first."""
    crowded = tuple(sorted(t for t in others_due if abs(t - due_at) <= SAME_HOUR))
    safer = due_at
    if len(crowded) >= CROWDED_AT:
        safer = max(safer, crowded[-1] + SAME_HOUR)
    else:
        crowded = ()
    same_kind = [h for h in history if kind_of(h[0]) == kind][:HISTORY]
    samples = same_kind if len(same_kind) >= MIN_SAMPLES else history[:HISTORY]
    usually_late = None
    if len(samples) >= MIN_SAMPLES:
        typical = median(lateness(due, kept, now) for _, due, kept in samples)
        if typical >= LATE_ENOUGH:
            usually_late = typical
            safer = max(safer, due_at + typical)
    if safer == due_at:
        return None
    return Advice(
        due_at=due_at,
        suggested=round_up(safer, QUARTER),
        crowded_by=crowded,
        kind=kind,
        usually_late=usually_late,
        samples=len(samples) if usually_late is not None else 0,
        same_kind=samples is same_kind,
    )


def round_up(moment: datetime, step: timedelta) -> datetime:
    """Up to the next whole step since the epoch (for quarter hours: :00, :15, :30, :45 in any
    zone whose offset is a whole quarter hour, which is every zone in use)."""
    seconds = moment.timestamp()
    size = step.total_seconds()
    rounded = math.ceil(seconds / size) * size
    return moment + timedelta(seconds=rounded - seconds)


def check(
    session: Session,
    *,
    team_id: str,
    owner_id: str,
    description: str,
    due_at: datetime,
    now: datetime,
    exclude_id: int | None = None,
) -> Advice | None:
    """Advice for a promise the owner is making (exclude_id: the promise itself, once stored)."""
    others = stored.open_due_between(
        session, team_id, owner_id, due_at - SAME_HOUR, due_at + SAME_HOUR, exclude_id
    )
    # Enough of the latest to find HISTORY of one kind among them, still a bounded read.
    history = stored.recent_ends(session, team_id, owner_id, now, HISTORY * 3)
    return advise(due_at=due_at, others_due=others, history=history, kind=kind_of(description), now=now)
