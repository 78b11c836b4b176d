"""Cases: opening, the card that shows them, the customer's time zone, closing. Plain values in,
models out; no Slack here. The contacts logged on a case are bot/contacts.py; editing and
reopening a case, bot/case_changes.py; closing one with promises still open, bot/closing.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot import audit, notifications
from bot.audit import Action
from bot.authz import require_may_change
from bot.errors import CaseError
from bot.plurals import counted
from bot.policy import Policy
from bot.timeparse import find_zone
from bot.validation import clean_text, quoted
from storage import plans, queries
from storage.models import (
    Case,
    CasePriority,
    CaseState,
    NotificationKind,
    Recurrence,
)


def open_case(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    owner_id: str,
    customer: str | None,
    summary: str,
    now: datetime,
    details: CaseDetails | None = None,
    private: bool = False,
) -> tuple[Case, str]:
    """Open a case owned by `owner_id`; `private`: its channel is (bot/authz.py says who may
    read it). Returns the case and the outbox key of its card."""
    details = details or CaseDetails()
    case = Case(
        team_id=team_id,
        channel_id=channel_id,
        owner_id=owner_id,
        customer=clean_text(customer, "customer") if customer else None,
        summary=clean_text(summary, "summary"),
        state=CaseState.OPEN,
        opened_at=now,
        priority=details.priority,
        account_ref=clean_ref(details.account_ref, "account number"),
        order_ref=clean_ref(details.order_ref, "order number"),
        tracking_ref=clean_ref(details.tracking_ref, "tracking number"),
        first_contact_via=details.first_contact_via,
        customer_tz=find_zone(details.customer_tz) if details.customer_tz else None,
        version=0,
        private=private,
    )
    session.add(case)
    session.flush()
    audit.record(session, Action.CASE_OPENED, team_id=team_id, at=now, actor_id=owner_id, case=case)
    key = notifications.enqueue(
        session,
        team_id=team_id,
        kind=NotificationKind.CASE_CARD,
        recipient=channel_id,
        run_at=now,
        now=now,
        dedupe_key=card_key(case.id),
        case_id=case.id,
    )
    return case, key


@dataclass(frozen=True)
class CaseDetails:
    """What the open-case form asks for besides the customer and the summary."""

    priority: CasePriority = CasePriority.NORMAL
    account_ref: str | None = None
    order_ref: str | None = None
    tracking_ref: str | None = None
    first_contact_via: str | None = None
    # As typed ("Berlin", "Europe/Berlin"); read with timeparse.find_zone.
    customer_tz: str | None = None


def clean_ref(value: str | None, what: str) -> str | None:
    """An account, order or tracking number as stored: one line, or None when empty."""
    if not value or not value.strip():
        return None
    if "\n" in value.strip():
        raise CaseError(f"The {what} should be one line.")
    return clean_text(value, what) or None


def card_update_key(case: Case) -> str:
    """The outbox key of the newest card update (after touch()), to send it straight away."""
    return f"case:{case.id}:card:v{case.version}"


def reached(session: Session, contacts: list[tuple[Case, datetime]]) -> None:
    """Contacts with the customer were logged, each (case, posted_at): each case's first contact
    is its earliest one, whatever order replies are logged in, by however many workers."""
    earliest: dict[int, datetime] = {}
    for case, posted_at in contacts:
        earliest[case.id] = min(posted_at, earliest.get(case.id, posted_at))
    queries.note_first_contacts(session, earliest)


def touch(session: Session, case: Case, now: datetime) -> str:
    """The case changed in a way its card shows: redraw the card (chat.update). Each change
    gets a version; the sender draws only the newest, so a burst of changes costs one update."""
    [key] = touch_all(session, [case], now)
    return key


def touch_all(session: Session, cases: list[Case], now: datetime) -> list[str]:
    """touch() for several cases at once (a batch of thread replies), in three statements."""
    queries.bump_case_versions(session, cases)
    # Still-waiting redraws would draw an older card: the new one draws everything they would.
    notifications.cancel_waiting(
        session, [case.id for case in cases], NotificationKind.CARD_UPDATE, "a newer update follows"
    )
    return notifications.enqueue_all(
        session,
        [
            notifications.message_row(
                team_id=case.team_id,
                kind=NotificationKind.CARD_UPDATE,
                recipient=case.channel_id,
                run_at=now,
                now=now,
                dedupe_key=card_update_key(case),
                case_id=case.id,
                payload={"version": case.version},
            )
            for case in cases
        ],
    )


def set_customer_zone(
    session: Session,
    *,
    case: Case,
    zone_text: str,
    actor_id: str,
    now: datetime,
    policy: Policy,
) -> str:
    """The customer's time zone: promises on the case are then shown on both clocks and may be
    given on the customer's ("3pm customer time"). Returns the zone's IANA name."""
    require_open(case)
    require_may_change(
        session, case, actor_id, "set the customer's time zone on", policy.admins.of(case.team_id)
    )
    name = find_zone(zone_text)
    case.customer_tz = name
    audit.record(
        session, Action.CUSTOMER_TZ_SET, team_id=case.team_id, at=now, actor_id=actor_id, case=case, tz=name
    )
    touch(session, case, now)
    return name


def card_key(case_id: int) -> str:
    """The outbox key of a case's card (posted once; its redraws have keys of their own)."""
    return f"case:{case_id}:card"


def cards_owed(session: Session, team_id: str, channel_id: str, now: datetime) -> list[str]:
    """The bot has just joined this channel: the cards of its cases that Slack refused (the bot
    was not in it) are owed again. Returns their outbox keys."""
    keys = [card_key(case.id) for case in queries.cases_without_card(session, team_id, channel_id)]
    return plans.owe_again(session, keys, now) if keys else []


def card_posted(session: Session, case_id: int, ts: str) -> None:
    """Slack took the case card: its ts is the case thread from now on. Only the first one
    counts; a re-post after a lost answer must not move the thread."""
    stored = session.get(Case, case_id)
    if stored is not None and stored.card_ts is None:
        stored.card_ts = ts


def find_case(session: Session, team_id: str, case_id: int) -> Case:
    case = queries.case_by_id(session, team_id, case_id)
    if case is None:
        raise CaseError(f"There is no CASE-{case_id} in this workspace. `/case list` shows your open cases.")
    return case


def require_open(case: Case) -> None:
    if case.state is not CaseState.OPEN:
        raise CaseError(f"{case.ref} is closed already; open a new case if the customer needs more.")


def category_key(category: str) -> str:
    """What makes two categories the same: case and spacing don't count ("Late  delivery" is
    "late delivery", in any script). Stored as cases.category_key, which SQL compares."""
    return " ".join(category.split()).casefold()


def close_case(
    session: Session,
    *,
    case: Case,
    actor_id: str,
    note: str,
    now: datetime,
    policy: Policy,
    recurrence: Recurrence | None = None,
    category: str | None = None,
) -> Case:
    """Close the case with its resolution, and whether its problem was a one-off or keeps
    coming back (and under which category), so recurring problems can be fixed at the root."""
    require_open(case)
    require_may_change(session, case, actor_id, "close", policy.admins.of(case.team_id))
    cleaned_note = clean_text(note, "note", required=False) or None
    category = " ".join((clean_text(category or "", "category", required=False) or "").split()) or None
    if recurrence is Recurrence.RECURRING and not category:
        raise CaseError(
            "Say which category the recurring problem belongs to, so its cases can be counted together."
        )
    still_open = queries.open_promises(session, case.id)
    if still_open:
        # bot/closing.py ends each open promise first; nothing closes a case with one hanging.
        raise CaseError(
            f"{case.ref} still has {counted(len(still_open), 'open promise')},"
            f" first “{quoted(still_open[0].description, 120)}”:"
            " say what became of each (kept, or cancelled with the customer told) before it closes."
        )
    case.state = CaseState.CLOSED
    case.closed_at = now
    case.closed_by = actor_id
    case.close_note = cleaned_note
    case.recurrence = recurrence
    case.category = category
    case.category_key = category_key(category) if category else None
    audit.record(
        session,
        Action.CASE_CLOSED,
        team_id=case.team_id,
        at=now,
        actor_id=actor_id,
        case=case,
        note=cleaned_note,
        recurrence=recurrence.value if recurrence else None,
        category=category,
    )
    touch(session, case, now)
    return case
