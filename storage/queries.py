"""Reads the domain needs, by name. Writes go through the models themselves, except counters
that must not lose an update between two processes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import (
    Case,
    CaseState,
    Contact,
    ContactKind,
    ManagerLink,
    Notification,
    NotificationKind,
    NotificationState,
    Person,
    Promise,
    PromiseState,
)


def case_by_id(session: Session, team_id: str, case_id: int, *, for_update: bool = False) -> Case | None:
    statement = select(Case).where(Case.id == case_id, Case.team_id == team_id)
    if for_update:
        statement = statement.with_for_update()
    return session.execute(statement).scalar_one_or_none()


def case_by_thread(session: Session, team_id: str, channel_id: str, thread_ts: str) -> Case | None:
    return session.execute(
        select(Case).where(Case.team_id == team_id, Case.channel_id == channel_id, Case.card_ts == thread_ts)
    ).scalar_one_or_none()


def cases_by_threads(
    session: Session, threads: list[tuple[str, str, str]]
) -> dict[tuple[str, str, str], Case]:
    """The cases whose threads these are, by (team, channel, thread ts); one query for a batch."""
    if not threads:
        return {}
    channels = sorted({channel for _, channel, _ in threads})
    thread_tss = sorted({thread_ts for _, _, thread_ts in threads})
    found = session.execute(
        select(Case).where(Case.channel_id.in_(channels), Case.card_ts.in_(thread_tss))
    ).scalars()
    wanted = set(threads)
    return {
        key: case for case in found if (key := (case.team_id, case.channel_id, case.card_ts or "")) in wanted
    }


def case_with_history(session: Session, team_id: str, case_id: int) -> Case | None:
    return session.execute(
        select(Case)
        .where(Case.id == case_id, Case.team_id == team_id)
        .options(
            selectinload(Case.contacts).selectinload(Contact.revisions),
            selectinload(Case.promises),
        )
    ).scalar_one_or_none()


def open_cases_of(session: Session, team_id: str, owner_id: str) -> list[Case]:
    """With their promises (`/case list` shows the next one due); not their contacts, which a
    busy case has by the hundred and the list doesn't show."""
    return list(
        session.execute(
            select(Case)
            .where(Case.team_id == team_id, Case.owner_id == owner_id, Case.state == CaseState.OPEN)
            .options(selectinload(Case.promises))
            .order_by(Case.id)
        ).scalars()
    )


def successor_of(session: Session, promise_id: int) -> Promise | None:
    """The promise that replaced a rescheduled one, if any."""
    return session.execute(select(Promise).where(Promise.replaces_id == promise_id)).scalars().first()


def open_promises(session: Session, case_id: int) -> list[Promise]:
    return list(
        session.execute(
            select(Promise)
            .where(Promise.case_id == case_id, Promise.state == PromiseState.OPEN)
            .order_by(Promise.due_at, Promise.id)
        ).scalars()
    )


def contact_at(session: Session, channel_id: str, ts: str) -> Contact | None:
    return session.execute(
        select(Contact).where(Contact.channel_id == channel_id, Contact.ts == ts)
    ).scalar_one_or_none()


def manager_of(session: Session, team_id: str, user_id: str) -> ManagerLink | None:
    return session.execute(
        select(ManagerLink).where(ManagerLink.team_id == team_id, ManagerLink.user_id == user_id)
    ).scalar_one_or_none()


def person(session: Session, team_id: str, user_id: str) -> Person | None:
    return session.execute(
        select(Person).where(Person.team_id == team_id, Person.user_id == user_id)
    ).scalar_one_or_none()


def people(session: Session, team_id: str, user_ids: Collection[str]) -> list[Person]:
    if not user_ids:
        return []
    return list(
        session.execute(
            select(Person).where(Person.team_id == team_id, Person.user_id.in_(sorted(set(user_ids))))
        ).scalars()
    )


def card_being_posted(session: Session, team_id: str, channel_id: str, since: datetime) -> bool:
    """Whether a case opened in this channel since `since` has a card not yet known to be posted."""
    waiting = select(Case.id).where(
        Case.team_id == team_id,
        Case.channel_id == channel_id,
        Case.opened_at >= since,
        Case.card_ts.is_(None),
        Case.state == CaseState.OPEN,
    )
    return session.execute(waiting.limit(1)).first() is not None


def cases_without_card(session: Session, team_id: str, channel_id: str) -> list[Case]:
    """Open cases of this channel whose card was never posted (the bot was not in it)."""
    return list(
        session.execute(
            select(Case).where(
                Case.team_id == team_id,
                Case.channel_id == channel_id,
                Case.card_ts.is_(None),
                Case.state == CaseState.OPEN,
            )
        ).scalars()
    )


def note_first_contacts(session: Session, reached: dict[int, datetime]) -> None:
    """Each case's first contact is the earlier of the one it has and the time given. In SQL, as
    bump_case_versions: two processes logging replies to one case at once must not leave the
    later of their times (a read-modify-write in Python could, on PostgreSQL)."""
    for case_id, at in reached.items():
        session.execute(
            update(Case)
            .where(Case.id == case_id, or_(Case.first_contact_at.is_(None), Case.first_contact_at > at))
            .values(first_contact_at=at)
            .execution_options(synchronize_session=False)
        )


def bump_case_versions(session: Session, cases: list[Case]) -> None:
    """One more change each case card must show. In SQL, so two processes changing the same
    case at once get two versions (a read-modify-write in Python could give both the same)."""
    bumped = session.execute(
        update(Case)
        .where(Case.id.in_([case.id for case in cases]))
        .values(version=Case.version + 1)
        .returning(Case.id, Case.version)
        .execution_options(synchronize_session=False)
    )
    versions = {case_id: version for case_id, version in bumped}
    for case in cases:
        # As loaded, not as changed: assigning it would make the flush write it back again.
        set_committed_value(case, "version", versions[case.id])


def contact_count(session: Session, case_id: int) -> int:
    """Contacts on the record (a deleted Slack message is still a contact that happened);
    internal notes are not contacts."""
    return session.execute(
        select(func.count())
        .select_from(Contact)
        .where(Contact.case_id == case_id, Contact.kind == ContactKind.CONTACT)
    ).scalar_one()


def last_contact(session: Session, case_id: int) -> Contact | None:
    """The latest contact with the customer (never an internal note)."""
    return session.execute(
        select(Contact)
        .where(Contact.case_id == case_id, Contact.kind == ContactKind.CONTACT)
        .order_by(Contact.posted_at.desc(), Contact.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def reminded_promises(
    session: Session,
    team_id: str,
    owner_id: str,
    *,
    channel_id: str | None = None,
    message_ts: str | None = None,
    open_only: bool = True,
) -> list[Promise]:
    """The owner's (open) promises whose reminder reached them (with `message_ts`: those whose
    reminder is that message), due first. From the owner's promises (ix_promises_owner_state)
    to their reminder rows (the unique (promise, kind, level) index): never a scan of the outbox."""
    reminded = select(Notification.promise_id).where(
        Notification.promise_id == Promise.id,
        Notification.kind == NotificationKind.REMINDER,
        Notification.recipient == owner_id,
        Notification.state == NotificationState.SENT,
    )
    if message_ts is not None:
        reminded = reminded.where(
            Notification.delivered_channel == channel_id, Notification.slack_ts == message_ts
        )
    return list(
        session.execute(
            select(Promise)
            .join(Case, Case.id == Promise.case_id)
            .where(
                Promise.owner_id == owner_id,
                *([Promise.state == PromiseState.OPEN] if open_only else []),
                Case.team_id == team_id,
                reminded.exists(),
            )
            .order_by(Promise.due_at, Promise.id)
        ).scalars()
    )


def reminder_message(session: Session, promise_id: int) -> tuple[str, str] | None:
    """Where the latest reminder about a promise went (channel, ts), to redraw it once answered."""
    row = session.execute(
        select(Notification.delivered_channel, Notification.slack_ts)
        .where(
            Notification.promise_id == promise_id,
            Notification.kind == NotificationKind.REMINDER,
            Notification.state == NotificationState.SENT,
            Notification.slack_ts.is_not(None),
        )
        .order_by(Notification.sent_at.desc(), Notification.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None and row[0] else None
