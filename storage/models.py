"""The schema: SQLAlchemy 2.x typed models. Constraints are named so migrations can refer to
them, enums are stored as their string values, and every time is an aware UTC datetime."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores UTC, hands back aware UTC datetimes on every backend (SQLite has no zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _str_enum(enum_class: type[StrEnum]) -> Enum:
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda members: [m.value for m in members],
    )


# Integer ids that are BIGINT on PostgreSQL but still SQLite's rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CaseState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CasePriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    # Urgent cases escalate at any hour; the others wait for the recipient's working hours.
    URGENT = "urgent"


class Recurrence(StrEnum):
    """Closing a case says whether its problem was a one-off or keeps coming back."""

    SINGLE = "single"
    RECURRING = "recurring"


class PromiseState(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    # Replaced by a new promise with a new time, the customer told: not a miss.
    RESCHEDULED = "rescheduled"
    # Called off with a reason, the customer told: no reminder or escalation afterwards.
    # Neither kept nor missed (unless it was called off only after its due time).
    CANCELLED = "cancelled"


class ContactKind(StrEnum):
    """What a reply in a case thread is on the record."""

    # A contact with the customer: counted on the card, in reports, as "last contact".
    CONTACT = "contact"
    # An internal note (a reply starting `note:`): kept on the case, never counted as a contact.
    NOTE = "note"


class NotificationKind(StrEnum):
    CASE_CARD = "case_card"
    CONTACT_REACTION = "contact_reaction"
    PROMISE_NOTE = "promise_note"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    ESCALATION_NOTE = "escalation_note"
    MANAGER_MISSING = "manager_missing"
    HANDOVER = "handover"
    HANDOVER_NOTE = "handover_note"
    # The case card redrawn in place (chat.update) after the case changed.
    CARD_UPDATE = "card_update"
    # Something that happened to the case, said in its thread (payload["event"] says what).
    CASE_NOTE = "case_note"
    # The same, told to one person by DM (the owner hears that their manager took it).
    PERSON_NOTE = "person_note"
    # A manager's weekly digest of their team's promises (no case, no promise).
    DIGEST = "digest"
    # A recurring category reached the threshold: told to the team's managers once.
    RECURRING_FLAG = "recurring_flag"
    # The owner hears that a level of their escalation waits for its recipient's working hours
    # (once per promise and level).
    ESCALATION_WAITING = "escalation_waiting"
    # Someone named a manager: that manager is asked to accept (no case, no promise).
    MANAGER_REQUEST = "manager_request"
    # What became of a manager link, told by DM (payload["event"] says what; no case).
    TEAM_NOTE = "team_note"
    # A promise escalated to someone was settled afterwards (kept, cancelled, rescheduled, its
    # case closed): their escalation messages are redrawn to say so, and they are told once
    # (one row per promise and recipient; level: the first level that reached them).
    ESCALATION_SETTLED = "escalation_settled"
    # A reminder or escalation Slack refused for good, told to its owner and the admins
    # (bot/dead_letters.py; payload: what died and why; level 0, no promise).
    DEAD_LETTER = "dead_letter"


class NotificationState(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    CANCELLED = "cancelled"
    DEAD = "dead"


class EventState(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str] = mapped_column(String(32))
    customer: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    state: Mapped[CaseState] = mapped_column(_str_enum(CaseState), default=CaseState.OPEN)
    # The ts of the case card: the case thread. Set when the card is posted.
    card_ts: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(32))
    # The resolution, said when closing.
    close_note: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[CasePriority] = mapped_column(
        _str_enum(CasePriority), default=CasePriority.NORMAL, server_default=CasePriority.NORMAL.value
    )
    account_ref: Mapped[str | None] = mapped_column(String(100))
    order_ref: Mapped[str | None] = mapped_column(String(100))
    tracking_ref: Mapped[str | None] = mapped_column(String(100))
    # How the customer first got in touch: phone, email, chat, …
    first_contact_via: Mapped[str | None] = mapped_column(String(24))
    # When the customer was first reached: the earliest contact logged (not an internal note;
    # one deleted later still counts). Kept here so reports and the dashboard read one column
    # per case rather than a case's contacts (bot/cases.reached).
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recurrence: Mapped[Recurrence | None] = mapped_column(_str_enum(Recurrence))
    category: Mapped[str | None] = mapped_column(String(80))
    # The category as compared (bot/cases.category_key): kept apart because SQLite's lower()
    # folds only ASCII, so "Überweisung" and "überweisung" would not meet in SQL.
    category_key: Mapped[str | None] = mapped_column(String(80))
    # Bumped by every change the case card shows: a card update renders only the newest.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The customer's IANA time zone ("Europe/Berlin"): promises are then shown on both clocks.
    customer_tz: Mapped[str | None] = mapped_column(String(64))
    # Opened in a private channel (or its channel made private since): only the channel's
    # members, the owner's manager chain and admins may read it (bot/authz.py). Never unset.
    # Set when the case is opened; only the server default otherwise, so inserts written for an
    # older schema (tests that seed a migration step) still work.
    private: Mapped[bool] = mapped_column(server_default=false())

    contacts: Mapped[list[Contact]] = relationship(back_populates="case", order_by="Contact.ts")
    promises: Mapped[list[Promise]] = relationship(back_populates="case", order_by="Promise.due_at")

    __table_args__ = (
        Index("ix_cases_thread", "channel_id", "card_ts"),
        Index("ix_cases_owner_state", "team_id", "owner_id", "state"),
        # Reports read cases by when they were opened and closed (bot/reports.py).
        Index("ix_cases_team_opened", "team_id", "opened_at"),
        Index("ix_cases_team_closed", "team_id", "closed_at"),
        # Recurring closes by week and category (the dashboard's team page), from the index alone.
        Index(
            "ix_cases_recurring_closed",
            "team_id",
            "closed_at",
            "category_key",
            "owner_id",
            "category",
            sqlite_where=text("recurrence = 'recurring'"),
            postgresql_where=text("recurrence = 'recurring'"),
        ),
        # The private channels a workspace has cases in: few rows, read by `/case find`.
        Index(
            "ix_cases_private_channel",
            "team_id",
            "channel_id",
            sqlite_where=text("private"),
            postgresql_where=text("private"),
        ),
        # Open cases, counted at every /metrics scrape (storage/monitoring.py).
        Index("ix_cases_state", "state"),
    )

    @property
    def ref(self) -> str:
        return f"CASE-{self.id}"


class Contact(Base):
    """One customer contact, logged from one human reply in the case thread."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Phone, email, chat …: said when the contact is logged with the card's button.
    via: Mapped[str | None] = mapped_column(String(24))
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A contact, or an internal note (decided when it is posted; an edit doesn't change it).
    kind: Mapped[ContactKind] = mapped_column(
        _str_enum(ContactKind), default=ContactKind.CONTACT, server_default=ContactKind.CONTACT.value
    )

    case: Mapped[Case] = relationship(back_populates="contacts")
    revisions: Mapped[list[ContactRevision]] = relationship(order_by="ContactRevision.id")

    __table_args__ = (
        UniqueConstraint("channel_id", "ts"),
        # A case's contacts: its card count, /case show, first contact in reports, the export.
        Index("ix_contacts_case_id", "case_id"),
        # A case's first contact in one seek (time to first contact on the dashboard).
        Index("ix_contacts_first", "case_id", "kind", "posted_at"),
    )


class ContactRevision(Base):
    """The text a contact had before an edit or deletion: nothing is lost."""

    __tablename__ = "contact_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    change: Mapped[str] = mapped_column(String(16))  # "edited" | "deleted"
    previous_text: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Promise(Base):
    """A commitment made to the customer, with its plan frozen when it was made."""

    __tablename__ = "promises"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    owner_id: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime())
    escalate_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # None: nobody was set as the owner's manager, so escalation goes to the case channel.
    escalate_to: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[PromiseState] = mapped_column(_str_enum(PromiseState), default=PromiseState.OPEN)
    made_by: Mapped[str] = mapped_column(String(32))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_ts: Mapped[str | None] = mapped_column(String(32))
    kept_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    kept_by: Mapped[str | None] = mapped_column(String(32))
    # Who hears of a miss, level by level (user ids, then a channel id), frozen when the
    # promise is made and changed only by a reassign.
    escalation_chain: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    # A promise given a new time is kept as it was (state rescheduled) and replaced by a new one.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("promises.id"))
    rescheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rescheduled_by: Mapped[str | None] = mapped_column(String(32))
    reschedule_note: Mapped[str | None] = mapped_column(Text)
    # Whether the customer was told of the change: a reschedule's new time, or a cancellation.
    customer_told: Mapped[bool | None] = mapped_column()
    # Called off (state cancelled): when, by whom, and why.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[str | None] = mapped_column(String(32))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # A safer time the bot suggested when the promise looked tight (bot/hygiene.py); the
    # owner may switch to it with one click shortly after making the promise.
    suggested_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(back_populates="promises")

    __table_args__ = (
        Index("ix_promises_owner_state", "owner_id", "state"),
        # Reports count promises by their due time.
        Index("ix_promises_due_at", "due_at"),
        # Weekly outcomes on the dashboard read every column outcome() needs from the index alone.
        Index(
            "ix_promises_due_outcome",
            "due_at",
            "case_id",
            "owner_id",
            "state",
            "kept_at",
            "remind_at",
            "rescheduled_at",
            "customer_told",
            "cancelled_at",
        ),
        # Open promises, and those of them past due, counted at every /metrics scrape.
        Index(
            "ix_promises_open_due_at",
            "due_at",
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )


class ManagerLink(Base):
    """Who someone's manager is, in force: their missed promises escalate to them, and they may
    change the person's cases. Set by an admin or a team lead, or named by the person and
    accepted by that manager (a link waiting for acceptance is a ManagerRequest, not this)."""

    __tablename__ = "manager_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    manager_id: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("team_id", "user_id"),)


class ManagerRequest(Base):
    """Someone named their own manager (`/case manager @maria`): it waits here until that
    manager accepts, and gives nothing meanwhile (no escalations to them, no power over the
    person's cases). Kept apart from ManagerLink so that nothing reading the links in force can
    mistake a request for one. One per person; a newer request replaces it."""

    __tablename__ = "manager_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    manager_id: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("team_id", "user_id"),
        # "Who asked me?" on the manager's side.
        Index("ix_manager_requests_manager", "team_id", "manager_id"),
    )


class Person(Base):
    """What we know of a Slack user: their time zone for the domain, and for the dashboard the
    name and picture Slack shows for them (users.info, refreshed with the zone)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    tz: Mapped[str] = mapped_column(String(64))
    # Their own working hours ("mon-fri 08:00-16:00"); unset, the deployment's WORKING_HOURS.
    working_hours: Mapped[str | None] = mapped_column(String(60))
    # When their weekly digest comes ("fri 16:00" on their own clock, or "off"); unset,
    # the deployment's DIGEST_SCHEDULE.
    digest_schedule: Mapped[str | None] = mapped_column(String(40))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Unset for people last asked about before the dashboard (the next lookup fills them).
    name: Mapped[str | None] = mapped_column(String(200))
    avatar_url: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("team_id", "user_id"),)


class Channel(Base):
    """What Slack last told us about a channel the bot keeps cases in: whether it is private
    (conversations.info) and who is in it (conversations.members, kept up to date between asks
    by member_joined_channel / member_left_channel). None: not asked yet. See bot/channels.py."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    private: Mapped[bool | None] = mapped_column()
    private_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # User ids.
    members: Mapped[list[str] | None] = mapped_column(JSON)
    members_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)


class Notification(Base):
    """The outbox: one row per message the bot owes someone, written in the same transaction
    as the change that makes it owed. The dispatcher claims due rows with a lease."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[NotificationKind] = mapped_column(_str_enum(NotificationKind))
    # Idempotency: one row per (promise, kind, level); for rows without a promise the
    # dedupe_key says what the row is about (for example the Slack message reacted to).
    promise_id: Mapped[int | None] = mapped_column(ForeignKey("promises.id"))
    level: Mapped[int] = mapped_column(Integer, default=0)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # A user id (DM), or a channel id; thread_ts when it belongs in a thread.
    recipient: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[NotificationState] = mapped_column(
        _str_enum(NotificationState), default=NotificationState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(40))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # True when an earlier attempt may have reached Slack (lease expired, timeout):
    # the sender must look for the message before posting again.
    maybe_delivered: Mapped[bool] = mapped_column(default=False)
    # Where the message went (the DM channel for a user) and its ts, once sent.
    delivered_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("promise_id", "kind", "level"),
        UniqueConstraint("dedupe_key"),
        # The dispatcher's poll reads only pending rows by run_at: a partial index keeps it
        # proportional to the due rows, not to everything ever sent.
        Index(
            "ix_notifications_pending_run_at",
            "run_at",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        # A case's messages (the audit export) without reading the whole outbox.
        Index("ix_notifications_case_id", "case_id"),
        Index(
            "ix_notifications_claimed_until",
            "claimed_until",
            sqlite_where=text("state = 'claimed'"),
            postgresql_where=text("state = 'claimed'"),
        ),
        # /metrics counts the rows waiting and those given up, by kind, at every scrape
        # (storage/monitoring.py): read from these alone, never from the whole outbox.
        Index(
            "ix_notifications_pending_kind",
            "kind",
            "run_at",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        # The escalations that went out in a window, and when each promise's first went out
        # (the dashboard's team page), read from the indexes alone.
        Index(
            "ix_notifications_escalation_sent",
            "team_id",
            "sent_at",
            "promise_id",
            sqlite_where=text("kind = 'escalation'"),
            postgresql_where=text("kind = 'escalation'"),
        ),
        Index(
            "ix_notifications_escalation_promise",
            "promise_id",
            "sent_at",
            sqlite_where=text("kind = 'escalation'"),
            postgresql_where=text("kind = 'escalation'"),
        ),
        Index(
            "ix_notifications_dead_kind",
            "kind",
            sqlite_where=text("state = 'dead'"),
            postgresql_where=text("state = 'dead'"),
        ),
    )


class InboundEvent(Base):
    """Every Events API delivery we must act on, recorded before Slack gets its 200: a retry
    (same event_id) is recognised, and an event whose processing died is re-driven."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(64))
    # What Slack sent; cleared (NULL) once handled and older than RETENTION's payloads
    # (storage/retention.py), the row kept a while longer to recognise Slack's retries.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    state: Mapped[EventState] = mapped_column(_str_enum(EventState), default=EventState.RECEIVED)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A worker handling it holds it until then; unset or past, any worker may take it.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("team_id", "event_id"),
        Index(
            "ix_inbound_events_received",
            "received_at",
            sqlite_where=text("state = 'received'"),
            postgresql_where=text("state = 'received'"),
        ),
        # The payloads still kept, oldest first: the purge clears them without reading the
        # rows it cleared before.
        Index(
            "ix_inbound_events_payload_kept",
            "received_at",
            sqlite_where=text("payload IS NOT NULL"),
            postgresql_where=text("payload IS NOT NULL"),
        ),
    )


class RecurringFlag(Base):
    """A category of recurring problems that reached the threshold (bot/recurring.py). One row
    per flag: the team's managers are told once, and not again for the same category until
    the window has passed."""

    __tablename__ = "recurring_flags"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    # The category as matched (lower case, spaces squeezed) and as first written.
    category_key: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(80))
    case_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_recurring_flags_category", "team_id", "category_key", "flagged_at"),)


class AuditEntry(Base):
    """Append-only log of what happened to a case, by whom."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    promise_id: Mapped[int | None] = mapped_column(ForeignKey("promises.id"))
    actor_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Interaction(Base):
    """A request from a person that changed something (a submitted form, a click, a command), by
    a key Slack gives it (the view id, the message and button clicked) or by its words: the same
    again within its window changes nothing twice (bot/flows/context.py: Once)."""

    __tablename__ = "interactions"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_interactions_seen_at", "seen_at"),)


class WorkspaceDeletion(Base):
    """A workspace removed the app (`app_uninstalled`): its data goes once `delete_after` has
    passed, unless it installed the app again meanwhile (storage/retention.py)."""

    __tablename__ = "workspace_deletions"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    uninstalled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delete_after: Mapped[datetime] = mapped_column(UTCDateTime())
class Heartbeat(Base):
    """When a process of a role (the worker) was last seen working on this database: a web
    process started alone looks for one, so a web with no worker beside it says so instead of
    silently sending nothing (bot/app/sharing.py). One row per role, the latest beat wins."""

    __tablename__ = "heartbeats"

    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --------------------------------------------------------------------------------------------
# slack_sdk's OAuth stores (bot/app/workspaces.py): installations, bots and OAuth states live in this
# database too. Their tables are built by slack_sdk's own builders, so they are exactly what
# SQLAlchemyInstallationStore and SQLAlchemyOAuthStateStore query; they are created by our
# migration (0002), never by the stores' create_tables() at run time.
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, SQLAlchemyInstallationStore.default_installations_table_name
)
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(
    Base.metadata, SQLAlchemyInstallationStore.default_bots_table_name
)
# Tokens are stored encrypted (bot/app/token_keys.py), longer than Slack's 200 characters allow
# for: migration 0014 widens these columns to text.
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
for _table in (SLACK_INSTALLATIONS, SLACK_BOTS):
    for _name in TOKEN_COLUMNS:
        if _name in _table.c:
            _table.c[_name].type = Text()
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, SQLAlchemyOAuthStateStore.default_table_name
)
