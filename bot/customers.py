"""Customer memory: finding a workspace's cases by who or what they are about, and the earlier
cases of the customer a case is for. Plain values in, results out; no Slack here.

Definitions (README → Finding cases, Customer history):
- Search terms are the runs of letters and digits in what was typed, lower-cased; everything
  else separates them ("SO-100" is `so` and `100`). A case matches when every term starts one
  of the words of its customer, account / order / tracking number or summary.
- The same customer: the same account number when both cases have one (spaces and case
  don't count); otherwise the same customer name, compared the same way. Two "John Smith"s
  with different account numbers are two customers; "ACME Corp" and "Acme Corporation" with
  one account number are one.
- An earlier case is one opened before this one (a lower case number), in the same workspace.
- Neither lists a case its reader may not read (a private channel's case: bot/authz.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.authz import Readable
from bot.errors import CaseError
from bot.outcomes import Outcome, outcome_of
from bot.validation import quoted
from storage import search
from storage.models import Case, CaseState

MIN_TEXT = 2
MAX_TERMS = 12
MAX_SHOWN = 10
EARLIER_SHOWN = 3
# How many same-looking cases (sharing the name's words) are looked at to find the earlier ones
# of the very same customer. Past this many a customer's oldest cases are not recalled.
EARLIER_LOOKED_AT = 500

# Longer words are searched by their first MAX_TERM characters (still a prefix): no stored
# word is longer than a summary, and PostgreSQL refuses tsquery words past 2 KB.
MAX_TERM = 100

_WORD = re.compile(r"[^\W_]+")
# Stored numbers never hold control characters (bot/validation.py), and PostgreSQL refuses NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# Slack mrkdwn, like every message the domain words: the angle brackets escaped, or Slack would
# read `<customer, …>` as a link and show nothing of it.
USAGE = (
    "`/case find &lt;customer, number or words&gt;`, for example `/case find SO-10042` or `/case find acme`"
)


def terms_of(text: str, *, prefix: bool = True) -> search.Terms | None:
    """The search terms in `text`, or None when it holds no letter or digit at all."""
    words = tuple(dict.fromkeys(word[:MAX_TERM] for word in _WORD.findall(text.lower())))
    return search.Terms(words=words, prefix=prefix) if words else None


def same_key(value: str | None) -> str:
    """What makes two names or numbers the same: case and spacing don't count."""
    return " ".join((value or "").split()).casefold()


@dataclass(frozen=True)
class Found:
    text: str
    hits: list[search.Hit]
    total: int

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.hits))


def find(
    session: Session, team_id: str, text: str, readable: Readable, *, owners: frozenset[str] | None = None
) -> Found:
    """The workspace's cases matching `text` that the reader may read: exact account / order /
    tracking numbers first, then the best matches (customer and numbers weigh more than the
    summary), then newest. The count is of those they may read. With `owners`, only the cases
    they own (the dashboard's narrower scope), whatever `readable` allows besides."""
    text = text.strip()
    if not text:
        raise CaseError(f"What should I look for? Use {USAGE}.")
    if len(text) < MIN_TEXT:
        raise CaseError(
            f"“{quoted(text, 10)}” is too short to search for: type at least {MIN_TEXT} characters of a name,"
            " a number or a word."
        )
    terms = terms_of(text)
    if terms is None:
        return Found(text=text, hits=[], total=0)
    if len(terms.words) > MAX_TERMS:
        raise CaseError(
            f"That's {len(terms.words)} words; search with at most {MAX_TERMS}:"
            " a name, a number or a few words of the summary."
        )
    visible = None if readable.everything else search.Visible(readable.channels, readable.owners)
    if owners is not None:
        visible = search.Visible(frozenset(), owners, owned_only=True)
    total, hits = search.find_cases(session, team_id, terms, _CONTROL.sub("", text), MAX_SHOWN, visible)
    return Found(text=text, hits=hits, total=total)


@dataclass(frozen=True)
class PromiseCounts:
    """How an earlier case's promises ended (bot/outcomes.py): kept on time (early ones
    included), kept late, missed (still open past due). Rescheduled ones are not counted (their
    replacements are), nor cancelled ones (called off in time, the customer told)."""

    kept: int = 0
    late: int = 0
    missed: int = 0

    @property
    def any(self) -> bool:
        return bool(self.kept or self.late or self.missed)


@dataclass(frozen=True)
class EarlierCase:
    case: Case
    promises: PromiseCounts

    @property
    def closed(self) -> bool:
        return self.case.state is CaseState.CLOSED


@dataclass(frozen=True)
class History:
    """The customer's latest earlier cases, newest first, and whether there are older ones."""

    earlier: list[EarlierCase]
    more: bool = False


NO_HISTORY = History(earlier=[])


def history(session: Session, case: Case, now: datetime, readable: Readable) -> History:
    """The latest EARLIER_SHOWN earlier cases of the same customer that the audience may read
    (a card's channel, or whoever asked), with how their promises ended. A fixed number of
    statements, whatever the number of cases."""
    matching = [c.id for c in _same_customer_before(session, case) if readable.allows(c)]
    shown = search.cases_with_promises(session, matching[:EARLIER_SHOWN])
    return History(
        earlier=[EarlierCase(case=c, promises=_counts(c, now)) for c in shown],
        more=len(matching) > EARLIER_SHOWN,
    )


def private_channels_of_earlier(session: Session, case: Case) -> set[str]:
    """The private channels the customer's earlier cases are in: whose members matter to what
    someone may see of them."""
    return {c.channel_id for c in _same_customer_before(session, case) if c.private}


def _same_customer_before(session: Session, case: Case) -> list[search.Candidate]:
    """The same customer's earlier cases, newest first (up to EARLIER_LOOKED_AT looked at)."""
    name = terms_of(case.customer or "", prefix=False)
    account = terms_of(case.account_ref or "", prefix=False)
    if name is None and account is None:
        return []
    candidates = search.earlier_candidates(
        session, case.team_id, case.id, name, account, limit=EARLIER_LOOKED_AT
    )
    return [c for c in candidates if _candidate_is_same(c, case)]


def _candidate_is_same(candidate: search.Candidate, case: Case) -> bool:
    if candidate.account_ref and case.account_ref:
        return same_key(candidate.account_ref) == same_key(case.account_ref)
    return bool(candidate.customer and case.customer) and same_key(candidate.customer) == same_key(
        case.customer
    )


def _counts(case: Case, now: datetime) -> PromiseCounts:
    ended = [outcome_of(p, now) for p in case.promises]
    return PromiseCounts(
        kept=sum(1 for o in ended if o in (Outcome.KEPT_EARLY, Outcome.KEPT_ON_TIME)),
        late=sum(1 for o in ended if o is Outcome.KEPT_LATE),
        missed=sum(1 for o in ended if o is Outcome.MISSED),
    )
