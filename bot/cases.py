"""Cases and the contacts logged on them. Plain values in, models out; no Slack here."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit, notifications
from bot.audit import Action
from bot.authz import require_may_change
from bot.errors import CaseError
from bot.timeparse import find_zone
from bot.validation import clean_text
from storage import queries
from storage.models import (
    Case,
    CasePriority,
    CaseState,
    Contact,
    ContactRevision,
    ManagerLink,
    NotificationKind,
    Person,
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
) -> tuple[Case, str]:
    """Open a case owned by `owner_id`. Returns the case and the outbox key of its card."""
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
        account_ref=_ref(details.account_ref, "account number"),
        order_ref=_ref(details.order_ref, "order number"),
        tracking_ref=_ref(details.tracking_ref, "tracking number"),
        first_contact_via=details.first_contact_via,
        customer_tz=find_zone(details.customer_tz) if details.customer_tz else None,
        version=0,
    )
    session.add(case)
    session.flush()
    audit.record(session, Action.CASE_OPENED, team_id=team_id, at=now, actor_id=owner_id, case=case)
    card_key = notifications.enqueue(
        session,
        team_id=team_id,
        kind=NotificationKind.CASE_CARD,
        recipient=channel_id,
        run_at=now,
        now=now,
        dedupe_key=f"case:{case.id}:card",
        case_id=case.id,
    )
    return case, card_key


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


CONTACT_MEDIA = ("phone", "email", "chat", "social", "in person", "other")


def _ref(value: str | None, what: str) -> str | None:
    if not value or not value.strip():
        return None
    if "\n" in value.strip():
        raise CaseError(f"The {what} should be one line.")
    return clean_text(value, what) or None


def card_update_key(case: Case) -> str:
    """The outbox key of the newest card update (after touch()), to send it straight away."""
    return f"case:{case.id}:card:v{case.version}"


def touch(session: Session, case: Case, now: datetime) -> str:
    """The case changed in a way its card shows: redraw the card (chat.update). Each change
    gets a version; the sender draws only the newest, so a burst of changes costs one update."""
    version = queries.bump_case_version(session, case.id)
    case.version = version
    # Still-waiting redraws would draw an older card: the new one draws everything they would.
    notifications.cancel_waiting(session, case.id, NotificationKind.CARD_UPDATE, "a newer update follows")
    return notifications.enqueue(
        session,
        team_id=case.team_id,
        kind=NotificationKind.CARD_UPDATE,
        recipient=case.channel_id,
        run_at=now,
        now=now,
        dedupe_key=card_update_key(case),
        case_id=case.id,
        payload={"version": version},
    )


def set_customer_zone(
    session: Session,
    *,
    case: Case,
    zone_text: str,
    actor_id: str,
    now: datetime,
    admins: Collection[str] = (),
) -> str:
    """The customer's time zone: promises on the case are then shown on both clocks and may be
    given on the customer's ("3pm customer time"). Returns the zone's IANA name."""
    require_open(case)
    require_may_change(session, case, actor_id, "set the customer's time zone on", admins)
    name = find_zone(zone_text)
    case.customer_tz = name
    audit.record(
        session, Action.CUSTOMER_TZ_SET, team_id=case.team_id, at=now, actor_id=actor_id, case=case, tz=name
    )
    touch(session, case, now)
    return name


def set_working_hours(
    session: Session, *, team_id: str, user_id: str, hours: str | None, now: datetime
) -> None:
    """Someone's own working hours (None: back to the deployment's)."""
    person = queries.person(session, team_id, user_id)
    if person is None:
        # Their time zone isn't known yet: an old fetched_at makes the next lookup ask Slack.
        person = Person(team_id=team_id, user_id=user_id, tz="UTC", fetched_at=datetime.fromtimestamp(0, UTC))
        session.add(person)
    person.working_hours = hours
    audit.record(session, Action.WORKING_HOURS_SET, team_id=team_id, at=now, actor_id=user_id, hours=hours)


def find_case(session: Session, team_id: str, case_id: int) -> Case:
    case = queries.case_by_id(session, team_id, case_id)
    if case is None:
        raise CaseError(f"There is no CASE-{case_id} in this workspace. `/case list` shows your open cases.")
    return case


def require_open(case: Case) -> None:
    if case.state is not CaseState.OPEN:
        raise CaseError(f"{case.ref} is closed already; open a new case if the customer needs more.")


def log_contact(
    session: Session,
    *,
    case: Case,
    channel_id: str,
    ts: str,
    author_id: str,
    text: str,
    posted_at: datetime,
    now: datetime,
) -> tuple[Contact | None, str | None]:
    """Log one thread reply as a contact, once per Slack message. Returns (contact, key of the
    acknowledgement reaction), or (None, None) when that message was already logged."""
    if queries.contact_at(session, channel_id, ts) is not None:
        return None, None
    contact = Contact(
        case_id=case.id,
        channel_id=channel_id,
        ts=ts,
        author_id=author_id,
        text=clean_text(text, "contact", required=False),
        posted_at=posted_at,
        logged_at=now,
    )
    try:
        with session.begin_nested():
            session.add(contact)
    except IntegrityError:
        # Another worker logged the same message between our check and insert.
        return None, None
    audit.record(
        session, Action.CONTACT_LOGGED, team_id=case.team_id, at=now, actor_id=author_id, case=case, ts=ts
    )
    touch(session, case, now)
    reaction_key = notifications.enqueue(
        session,
        team_id=case.team_id,
        kind=NotificationKind.CONTACT_REACTION,
        recipient=channel_id,
        run_at=now,
        now=now,
        dedupe_key=f"reaction:{channel_id}:{ts}",
        case_id=case.id,
        payload={"ts": ts},
    )
    return contact, reaction_key


def log_contact_from_form(
    session: Session, *, case: Case, key: str, author_id: str, text: str, via: str | None, now: datetime
) -> list[str]:
    """A contact logged with the card's button rather than a thread reply. It has no Slack
    message of its own until the bot says it in the thread, so `key` (the modal's view id)
    stands in for the message ts and keeps a double submission from logging it twice.
    Returns the outbox keys to send straight away (the note in the thread, the card)."""
    require_open(case)
    said = clean_text(text, "contact")
    if via is not None and via not in CONTACT_MEDIA:
        raise CaseError(f"“{via}” is not a way customers get in touch; pick one from the list.")
    if queries.contact_at(session, case.channel_id, key) is not None:
        return []
    contact = Contact(
        case_id=case.id,
        channel_id=case.channel_id,
        ts=key,
        author_id=author_id,
        text=said,
        via=via,
        posted_at=now,
        logged_at=now,
    )
    session.add(contact)
    session.flush()
    audit.record(
        session, Action.CONTACT_LOGGED, team_id=case.team_id, at=now, actor_id=author_id, case=case, via=via
    )
    note_keys = notifications.say_now(
        session,
        case=case,
        now=now,
        payload={"event": "contact", "by": author_id, "via": via, "text": said},
        stamp=f"contact:{case.channel_id}:{key}",
        targets=[(NotificationKind.CASE_NOTE, case.channel_id, case.card_ts)],
    )
    return [*note_keys, touch(session, case, now)]


def edit_contact(
    session: Session, *, channel_id: str, ts: str, new_text: str, now: datetime
) -> Contact | None:
    contact = queries.contact_at(session, channel_id, ts)
    if contact is None or contact.text == new_text:
        return None
    _keep_revision(session, contact, "edited", Action.CONTACT_EDITED, now)
    contact.text = new_text
    contact.edited_at = now
    return contact


def delete_contact(session: Session, *, channel_id: str, ts: str, now: datetime) -> Contact | None:
    """The Slack message is gone; the contact stays, marked deleted, with its text kept."""
    contact = queries.contact_at(session, channel_id, ts)
    if contact is None or contact.deleted_at is not None:
        return None
    _keep_revision(session, contact, "deleted", Action.CONTACT_DELETED, now)
    contact.deleted_at = now
    return contact


def _keep_revision(session: Session, contact: Contact, change: str, action: Action, now: datetime) -> None:
    session.add(
        ContactRevision(contact_id=contact.id, change=change, previous_text=contact.text, recorded_at=now)
    )
    audit.record(
        session,
        action,
        team_id=contact.case.team_id,
        at=now,
        actor_id=contact.author_id,
        case=contact.case,
        ts=contact.ts,
    )


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
    admins: Collection[str] = (),
    recurrence: Recurrence | None = None,
    category: str | None = None,
) -> Case:
    """Close the case with its resolution, and whether its problem was a one-off or keeps
    coming back (and under which category), so recurring problems can be fixed at the root."""
    require_open(case)
    require_may_change(session, case, actor_id, "close", admins)
    cleaned_note = clean_text(note, "note", required=False) or None
    category = " ".join((clean_text(category or "", "category", required=False) or "").split()) or None
    if recurrence is Recurrence.RECURRING and not category:
        raise CaseError(
            "Say which category the recurring problem belongs to, so its cases can be counted together."
        )
    still_open = queries.open_promises(session, case.id)
    if still_open:
        first = still_open[0]
        raise CaseError(
            f"{case.ref} still has {len(still_open)} open promise(s), first “{first.description}”."
            f" Keep it with `/case done {case.ref}` before closing: the customer is waiting on it."
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


def set_manager(
    session: Session, *, team_id: str, user_id: str, manager_id: str, now: datetime
) -> ManagerLink:
    if manager_id == user_id:
        raise CaseError("You can't be your own manager: escalations must reach someone else.")
    link = queries.manager_of(session, team_id, user_id)
    if link is None:
        link = ManagerLink(team_id=team_id, user_id=user_id, manager_id=manager_id, set_at=now)
        session.add(link)
    else:
        link.manager_id = manager_id
        link.set_at = now
    audit.record(
        session, Action.MANAGER_SET, team_id=team_id, at=now, actor_id=user_id, manager_id=manager_id
    )
    return link
