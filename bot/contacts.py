"""The contacts logged on a case: thread replies (one per Slack message) and contacts told through
the card's form. Nothing is hard-deleted: an edited or deleted reply keeps its history."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit, notifications
from bot.audit import Action
from bot.cases import require_open, touch
from bot.errors import CaseError
from bot.notifications import NoteEvent
from bot.validation import clean_text, quoted, scrub
from storage import queries
from storage.models import Case, Contact, ContactRevision, NotificationKind

log = logging.getLogger(__name__)

CONTACT_MEDIA = ("phone", "email", "chat", "social", "in person", "other")


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
) -> tuple[Contact | None, str | None]:
    """Log one thread reply as a contact, once per Slack message. Returns (contact, key of the
    acknowledgement reaction), or (None, None) when that message was already logged."""
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
    )
    try:
        with session.begin_nested():
            session.add(contact)
    except IntegrityError:
        # Another worker logged the same message between our check and insert.
        return None, None
    cleaned = {"control_characters_removed": removed} if removed else {}
    audit.record(
        session,
        Action.CONTACT_LOGGED,
        team_id=case.team_id,
        at=now,
        actor_id=author_id,
        case=case,
        ts=ts,
        **cleaned,
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
