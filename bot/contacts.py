"""The contacts logged on a case: thread replies (one per Slack message) and contacts told through
the card's form. Nothing is hard-deleted: an edited or deleted reply keeps its history."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit, notifications
from bot.audit import Action
from bot.cases import reached, require_open, touch, touch_all
from bot.errors import CaseError
from bot.notifications import NoteEvent
from bot.validation import clean_text, quoted, scrub
from storage import queries, rows
from storage.models import Case, Contact, ContactKind, ContactRevision, NotificationKind

log = logging.getLogger(__name__)

CONTACT_MEDIA = ("phone", "email", "chat", "social", "in person", "other")
# The reaction on a reply kept as an internal note (a contact gets the sender's ✅).
NOTE_REACTION = "memo"
# The reaction on a reply that asked for something not done (a promise it could not record):
# it is kept as a contact, but a ✅ would tell its author, and the thread, that all went well.
REFUSED_REACTION = "warning"


def as_recorded(text: str, *, case_id: int, ts: str) -> tuple[str, int]:
    """What a contact keeps of `text`: all of it but control characters (bot/validation.py says
    why a contact is cleaned, never refused), and how many were left out, logged when any."""
    said, removed = scrub(text)
    if removed:
        log.warning("contact.cleaned case_id=%s ts=%s control_characters=%s", case_id, ts, removed)
    return said.strip(), removed


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
    kind: ContactKind = ContactKind.CONTACT,
    react: bool = True,
) -> tuple[Contact | None, str | None]:
    """Log one thread reply as a contact (or, `kind` NOTE, as an internal note: kept on the
    case, never counted as a contact), once per Slack message. Returns (contact, key of the
    acknowledgement reaction), or (None, None) when that message was already logged. With
    `react` False the caller reacts (react_to) once it knows whether the reply did all it
    asked for."""
    if queries.contact_at(session, channel_id, ts) is not None:
        return None, None
    # No length check either: Slack bounds a message (40,000 characters), and what it took is
    # the record.
    said, removed = as_recorded(text, case_id=case.id, ts=ts)
    contact = Contact(
        case_id=case.id,
        channel_id=channel_id,
        ts=ts,
        author_id=author_id,
        text=said,
        posted_at=posted_at,
        logged_at=now,
        kind=kind,
    )
    try:
        with session.begin_nested():
            session.add(contact)
    except IntegrityError:
        # Another worker logged the same message between our check and insert.
        return None, None
    action = Action.NOTE_LOGGED if kind is ContactKind.NOTE else Action.CONTACT_LOGGED
    cleaned = {"control_characters_removed": removed} if removed else {}
    audit.record(
        session, action, team_id=case.team_id, at=now, actor_id=author_id, case=case, ts=ts, **cleaned
    )
    if kind is ContactKind.CONTACT:
        reached(session, [(case, posted_at)])
        # The card counts contacts; a note changes nothing it shows.
        touch(session, case, now)
    if not react:
        return contact, None
    return contact, react_to(session, case=case, channel_id=channel_id, ts=ts, now=now, kind=kind)


def react_to(
    session: Session,
    *,
    case: Case,
    channel_id: str,
    ts: str,
    now: datetime,
    kind: ContactKind = ContactKind.CONTACT,
    refused: bool = False,
) -> str:
    """The reaction on a logged reply (its outbox key): ✅ a contact, 📝 a note, ⚠️ a reply
    whose request was `refused` (kept as a contact all the same)."""
    [key] = notifications.enqueue_all(session, [_reaction(case, channel_id, ts, now, kind, refused)])
    return key


@dataclass(frozen=True)
class ThreadMessage:
    """A reply in a case thread, to log as a contact."""

    case: Case
    channel_id: str
    ts: str
    author_id: str
    text: str
    posted_at: datetime


def log_contacts(
    session: Session, messages: list[ThreadMessage], now: datetime
) -> tuple[list[str], list[Case]]:
    """log_contact() for several replies at once (contacts only: a note is logged alone): each
    message once, each case's card redrawn once for all its new contacts, every table written
    in one statement (a storm of replies costs a few statements per batch, not a dozen per
    reply). Returns the keys of the
    acknowledgement reactions, and the cases whose card changed (card_update_key is the redraw).
    A message logged already, or by another process at the same moment, is left as it is."""
    unique: dict[tuple[str, str], ThreadMessage] = {}
    for message in messages:
        # The same Slack message twice in one batch (two deliveries of it) is one contact.
        unique.setdefault((message.channel_id, message.ts), message)
    recorded = {where: as_recorded(m.text, case_id=m.case.id, ts=m.ts) for where, m in unique.items()}
    inserted = rows.insert_new(
        session,
        Contact,
        [
            {
                "case_id": m.case.id,
                "channel_id": m.channel_id,
                "ts": m.ts,
                "author_id": m.author_id,
                "text": recorded[where][0],
                "posted_at": m.posted_at,
                "logged_at": now,
            }
            for where, m in unique.items()
        ],
        returning=("channel_id", "ts"),
    )
    new = [m for where, m in unique.items() if where in inserted]
    reached(session, [(message.case, message.posted_at) for message in new])
    audit.record_all(
        session,
        [
            audit.entry(
                Action.CONTACT_LOGGED,
                team_id=m.case.team_id,
                at=now,
                actor_id=m.author_id,
                case=m.case,
                ts=m.ts,
                **({"control_characters_removed": recorded[where][1]} if recorded[where][1] else {}),
            )
            for where, m in unique.items()
            if where in inserted
        ],
    )
    touched = list({m.case.id: m.case for m in new}.values())
    if touched:
        touch_all(session, touched, now)
    keys = notifications.enqueue_all(session, [_reaction(m.case, m.channel_id, m.ts, now) for m in new])
    return keys, touched


def _reaction(
    case: Case,
    channel_id: str,
    ts: str,
    now: datetime,
    kind: ContactKind = ContactKind.CONTACT,
    refused: bool = False,
) -> dict[str, Any]:
    """The outbox row of the reaction that tells the author their reply was logged."""
    # A note is marked apart, so everyone in the thread sees it wasn't counted as a contact.
    emoji = REFUSED_REACTION if refused else NOTE_REACTION if kind is ContactKind.NOTE else None
    return notifications.message_row(
        team_id=case.team_id,
        kind=NotificationKind.CONTACT_REACTION,
        recipient=channel_id,
        run_at=now,
        now=now,
        dedupe_key=f"reaction:{channel_id}:{ts}",
        case_id=case.id,
        payload={"ts": ts, "emoji": emoji} if emoji else {"ts": ts},
    )


def log_contact_from_form(
    session: Session, *, case: Case, key: str, author_id: str, text: str, via: str | None, now: datetime
) -> list[str]:
    """A contact logged with the card's button rather than a thread reply. It has no Slack
    message of its own until the bot says it in the thread, so `key` (the modal's view id)
    stands in for the message ts and keeps a double submission from logging it twice.
    Returns the outbox keys to send straight away (the note in the thread, the card)."""
    require_open(case)
    said = clean_text(as_recorded(text, case_id=case.id, ts=key)[0], "contact")
    if via is not None and via not in CONTACT_MEDIA:
        raise CaseError(f"“{quoted(via, 30)}” is not a way customers get in touch; pick one from the list.")
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
    reached(session, [(case, now)])
    audit.record(
        session, Action.CONTACT_LOGGED, team_id=case.team_id, at=now, actor_id=author_id, case=case, via=via
    )
    note_keys = notifications.say_now(
        session,
        case=case,
        now=now,
        payload={"event": NoteEvent.CONTACT.value, "by": author_id, "via": via, "text": said},
        stamp=f"contact:{case.channel_id}:{key}",
        targets=[(NotificationKind.CASE_NOTE, case.channel_id, case.card_ts)],
    )
    return [*note_keys, touch(session, case, now)]


def edit_contact(
    session: Session, *, channel_id: str, ts: str, new_text: str, now: datetime
) -> Contact | None:
    contact = queries.contact_at(session, channel_id, ts)
    if contact is None:
        return None
    said, _ = as_recorded(new_text, case_id=contact.case_id, ts=ts)
    if contact.text == said:
        return None
    _keep_revision(session, contact, "edited", Action.CONTACT_EDITED, now)
    contact.text = said
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
