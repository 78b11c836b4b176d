"""`/case …` text and `promise …` thread replies -> typed requests, or a CaseError that says
exactly what is wrong. Pure functions: no Slack calls, no database.

Slack sends command text escaped, with tokens for the people, channels and links picked in it
(handlers/slack_text.py): the requests hold what the person typed, as plain text, and the ids
of the people they named."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from bot import moments, weekly
from bot.errors import CaseError
from bot.validation import quoted
from handlers.slack_text import as_text, escape, typed
from handlers.usage import USAGE

MAX_COMMAND_TEXT = 2000

_CASE_REF = re.compile(r"^(?:case-?)?#?(\d{1,12})$", re.I)
_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$")
# "<when>: <what>", split at the first colon followed by a space, so "friday 10:00: call"
# keeps its clock time.
_WHEN_WHAT = re.compile(r"^(?P<when>.+?):\s+(?P<what>.+)$", re.S)
_PROMISE_REPLY = re.compile(r"^\s*promise\b[\s:]*(?P<rest>.*)$", re.I | re.S)

@dataclass(frozen=True)
class OpenCase:
    customer: str | None
    summary: str


@dataclass(frozen=True)
class OpenCaseModal:
    """`/case open` with nothing after it."""


@dataclass(frozen=True)
class MakePromise:
    case_id: int
    when: str
    what: str


@dataclass(frozen=True)
class KeepPromise:
    case_id: int


@dataclass(frozen=True)
class CancelPromise:
    case_id: int
    reason: str


@dataclass(frozen=True)
class ReschedulePromise:
    case_id: int
    when: str
    note: str


@dataclass(frozen=True)
class EditCase:
    """Opens the edit form."""

    case_id: int


@dataclass(frozen=True)
class ReopenCase:
    case_id: int
    why: str


@dataclass(frozen=True)
class ShowCase:
    case_id: int


@dataclass(frozen=True)
class SetManager:
    manager_id: str | None  # None: show who it is now


@dataclass(frozen=True)
class SetTeamManager:
    """`/case team @alex manager @maria`: an admin or a team lead sets someone's manager."""

    user_id: str
    manager_id: str | None  # None: `manager none`, they have no manager


@dataclass(frozen=True)
class SetHours:
    hours: str | None  # None: show them; "default": back to the deployment's


@dataclass(frozen=True)
class SetCustomerZone:
    case_id: int
    zone: str | None  # None: show it


@dataclass(frozen=True)
class ShowReport:
    # As typed, read on the viewer's clock (bot/moments.py): "7d", "2 weeks", "since monday"…;
    # "" is the last 7 days.
    period: str


@dataclass(frozen=True)
class SetDigest:
    schedule: str | None  # None: show it; "default": back to the deployment's; "off"; "fri 16:30"


@dataclass(frozen=True)
class CloseCase:
    case_id: int
    note: str


@dataclass(frozen=True)
class ReassignCase:
    case_id: int
    new_owner_id: str


@dataclass(frozen=True)
class ListCases:
    pass


@dataclass(frozen=True)
class FindCases:
    text: str  # as typed: the domain reads the terms (bot/customers.py)


@dataclass(frozen=True)
class OpenDashboard:
    pass


@dataclass(frozen=True)
class Help:
    pass


CaseRequest = (
    OpenCase
    | OpenCaseModal
    | MakePromise
    | KeepPromise
    | CancelPromise
    | ReschedulePromise
    | EditCase
    | ReopenCase
    | ShowCase
    | SetManager
    | SetTeamManager
    | CloseCase
    | ReassignCase
    | ListCases
    | SetHours
    | SetCustomerZone
    | ShowReport
    | SetDigest
    | FindCases
    | OpenDashboard
    | Help
)


@dataclass(frozen=True)
class PromiseReply:
    when: str
    what: str


def parse_case_command(text: str) -> CaseRequest:
    """`text` as Slack sends it. Free text in the request is as the person typed it: a person
    picked with @ in a summary reads `@alex` there, and is an id only where a person is asked
    for (`/case manager`, `/case reassign`)."""
    request = _parse(typed(text).strip())
    plain = {f.name: as_text(v) for f in fields(request) if isinstance(v := getattr(request, f.name), str)}
    return replace(request, **plain) if plain else request


def _parse(text: str) -> CaseRequest:
    if len(text) > MAX_COMMAND_TEXT:
        raise CaseError(
            f"That command is {len(text):,} characters long; /case takes at most {MAX_COMMAND_TEXT:,}."
            " Put the details in the case thread instead."
        )
    if not text:
        return Help()
    verb, rest = _first_word(text)
    verb = verb.lower()
    if verb == "open":
        return _open(rest)
    if verb == "promise":
        case_id, tail = _case_and_rest(rest, "promise")
        when, what = split_when_what(tail, USAGE["promise"])
        return MakePromise(case_id=case_id, when=when, what=what)
    if verb in ("done", "kept"):
        case_id, tail = _case_and_rest(rest, "done")
        _nothing_more(tail, "done")
        return KeepPromise(case_id=case_id)
    if verb in ("cancel", "reschedule", "edit", "reopen"):
        return _change(verb, rest)
    if verb == "show":
        case_id, tail = _case_and_rest(rest, "show")
        _nothing_more(tail, "show")
        return ShowCase(case_id=case_id)
    if verb == "manager":
        return _manager(rest)
    if verb == "team":
        return _team(rest)
    if verb == "close":
        case_id, tail = _case_and_rest(rest, "close")
        return CloseCase(case_id=case_id, note=tail)
    if verb in ("reassign", "handover"):
        case_id, tail = _case_and_rest(rest, "reassign")
        return ReassignCase(case_id=case_id, new_owner_id=_one_mention(tail, "reassign"))
    if verb == "hours":
        return SetHours(hours=rest or None)
    if verb in ("tz", "timezone"):
        case_id, tail = _case_and_rest(rest, "tz")
        return SetCustomerZone(case_id=case_id, zone=tail or None)
    if verb == "report":
        return _report(rest)
    if verb == "digest":
        return _digest(rest)
    if verb == "list":
        _nothing_more(rest, "list")
        return ListCases()
    if verb in ("find", "search"):
        return FindCases(text=rest)
    if verb == "dashboard":
        _nothing_more(rest, "dashboard")
        return OpenDashboard()
    if verb == "help":
        return Help()
    raise CaseError(f"I don't know `/case {quoted(verb, 30)}`. Try `/case help` for what I can do.")


def _change(verb: str, rest: str) -> CancelPromise | ReschedulePromise | EditCase | ReopenCase:
    """The subcommands that change a promise or a case after the fact."""
    case_id, tail = _case_and_rest(rest, verb)
    if verb == "cancel":
        return CancelPromise(case_id=case_id, reason=_reason(tail, "cancel"))
    if verb == "reschedule":
        when, note = split_when_what(tail, USAGE["reschedule"])
        return ReschedulePromise(case_id=case_id, when=when, note=short_note(note))
    if verb == "edit":
        _nothing_more(tail, "edit")
        return EditCase(case_id=case_id)
    return ReopenCase(case_id=case_id, why=tail)


def parse_promise_reply(text: str) -> PromiseReply | None:
    """A thread reply that starts with `promise` records a promise; anything else is a contact.
    Returns None when the reply is not a promise at all. `text` is the reply as text
    (slack_text.as_text of what Slack sent)."""
    match = _PROMISE_REPLY.match(text or "")
    if not match:
        return None
    when, what = split_when_what(
        match.group("rest").strip(),
        escape("`promise <when>: <what>`, for example `promise in 2 hours: email the refund receipt`"),
    )
    return PromiseReply(when=when, what=what)


def parse_case_ref(word: str) -> int | None:
    match = _CASE_REF.match(word.strip())
    return int(match.group(1)) if match else None


def _open(rest: str) -> OpenCase | OpenCaseModal:
    if not rest:
        return OpenCaseModal()
    customer, sep, summary = rest.partition(":")
    if sep and customer.strip() and summary.strip():
        return OpenCase(customer=customer.strip(), summary=summary.strip())
    if sep and not summary.strip():
        raise CaseError(f"What is the case about? Add a summary after the colon: {USAGE['open']}.")
    return OpenCase(customer=None, summary=rest)


def _case_and_rest(rest: str, verb: str) -> tuple[int, str]:
    first, tail = _first_word(rest)
    if not first:
        raise CaseError(f"Which case? Use {USAGE[verb]}.")
    case_id = parse_case_ref(first)
    if case_id is None:
        raise CaseError(f"“{quoted(first, 30)}” is not a case reference like CASE-7. Use {USAGE[verb]}.")
    return case_id, tail


def _first_word(text: str) -> tuple[str, str]:
    """Split at the first run of any whitespace, not just a space: Slack keeps the tab or
    newline someone typed, and a Japanese keyboard types a full-width space (U+3000)."""
    words = text.split(maxsplit=1) + ["", ""]
    return words[0], words[1].strip()


def split_when_what(tail: str, usage: str) -> tuple[str, str]:
    """ "<when>: <what>" (see _WHEN_WHAT), or a CaseError showing `usage`."""
    match = _WHEN_WHAT.match(tail)
    if not match or not match.group("when").strip() or not match.group("what").strip():
        raise CaseError(f"Say when and what, separated by a colon: {usage}.")
    return match.group("when").strip(), match.group("what").strip()


# A note carried on a button until the person answers (handlers/ids.py Subject): at most this
# long, so the button's value stays within Slack's 2,000 characters whatever the note says.
MAX_CARRIED_NOTE = 500


def _reason(tail: str, verb: str) -> str:
    reason = tail.lstrip(":").strip()
    if not reason:
        raise CaseError(f"Say why, so it stays on the record: {USAGE[verb]}.")
    return short_note(reason)


def short_note(note: str) -> str:
    if len(note) > MAX_CARRIED_NOTE:
        raise CaseError(
            f"That note is {len(note):,} characters long; keep it under {MAX_CARRIED_NOTE}"
            " (the details belong in the case thread)."
        )
    return note


def _nothing_more(tail: str, verb: str) -> None:
    if tail:
        # `/case list` has no case to be after; "after the case" would send people looking for one.
        after = "it" if verb in ("list", "dashboard") else "the case"
        raise CaseError(f"`/case {verb}` takes nothing after {after}: {USAGE[verb]}.")


def _manager(rest: str) -> SetManager:
    if not rest:
        return SetManager(manager_id=None)
    return SetManager(manager_id=_one_mention(rest, "manager"))


def _team(rest: str) -> SetTeamManager:
    words = rest.split()
    person = _MENTION.match(words[0]) if words else None
    if person is None or len(words) != 3 or words[1].lower() != "manager":
        raise CaseError(
            f"Say whose manager, then who: {USAGE['team']} (or `manager none` to remove it)."
            " Type @ and pick each person so Slack sends their ID."
        )
    if words[2].lower() == "none":
        return SetTeamManager(user_id=person.group(1), manager_id=None)
    manager = _MENTION.match(words[2])
    if manager is None:
        raise CaseError(f"Mention the new manager: {USAGE['team']}, or `manager none` to remove it.")
    return SetTeamManager(user_id=person.group(1), manager_id=manager.group(1))


def _one_mention(rest: str, verb: str) -> str:
    words = rest.split()
    match = _MENTION.match(words[0]) if words else None
    if not match or len(words) > 1:
        raise CaseError(f"Mention one person: {USAGE[verb]}. (Type @ and pick them so Slack sends their ID.)")
    return match.group(1)


def _report(rest: str) -> ShowReport:
    try:
        moments.check(rest)
    except moments.MomentError as error:
        raise CaseError(f"`/case report` looks back over a window: {error}. {USAGE['report']}.") from None
    return ShowReport(period=rest)


def _digest(rest: str) -> SetDigest:
    if not rest:
        return SetDigest(schedule=None)
    if rest.lower() == "default":
        return SetDigest(schedule="default")
    try:
        schedule = weekly.parse(rest)
    except weekly.WeeklyError as error:
        raise CaseError(f"`/case digest`: {escape(str(error))}.") from None
    return SetDigest(schedule=str(schedule) if schedule is not None else weekly.OFF)
