"""The one `message` listener. Bolt runs only the first matching listener and answers 404 to
events nobody matches (which Slack retries and counts against the app), so this listener
takes every message event and sorts subtypes itself:

- plain replies, `thread_broadcast` and `file_share` in a case thread are contacts;
  a reply starting with `promise <when>: <what>` also records a promise;
- `message_changed` / `message_deleted` update the contact, keeping its history;
- everything else (other bots, joins, top-level chatter) is ignored.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import App
from sqlalchemy.orm import Session

from bot import cases, promises
from bot.errors import CaseError
from bot.timeparse import parse_when
from handlers.listeners.commands import record_promise
from handlers.outbound import people
from handlers.parse import PromiseReply, parse_promise_reply
from handlers.services import Services
from handlers.views import blocks as render
from storage import inbox, queries
from storage.models import Case, EventState, Promise

log = logging.getLogger(__name__)

CONTACT_SUBTYPES = {None, "thread_broadcast", "file_share"}


def register(app: App, services: Services) -> None:
    @app.event("message")
    def on_message(body: dict[str, Any]) -> None:
        ingest(services, body["team_id"], body["event_id"], body["event"])


def is_thread_reply(event: dict[str, Any]) -> bool:
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts")


def worth_recording(event: dict[str, Any]) -> bool:
    """Only events that can touch a case are recorded in the inbox (cheap to decide, so the
    busy top-level chatter of a channel costs no database write)."""
    if event.get("type") != "message":
        return False
    subtype = event.get("subtype")
    if subtype in CONTACT_SUBTYPES:
        return is_thread_reply(event) and not event.get("bot_id")
    if subtype == "message_changed":
        return is_thread_reply(event.get("message") or {})
    if subtype == "message_deleted":
        return is_thread_reply(event.get("previous_message") or {})
    return False


# How long a reply waits for a case card in its channel that is being posted right now.
CARD_IN_FLIGHT_WAIT = 5.0
# Only for cases opened this recently: a card Slack refused for good must not hold up every
# other reply in its channel.
CARD_IN_FLIGHT_WAIT_AFTER = timedelta(minutes=1)


def ingest(services: Services, team_id: str, event_id: str, event: dict[str, Any]) -> None:
    """Apply one message event; the inbox row is finished in the same transaction as its effects,
    so a crash part-way leaves it to be re-driven, and a re-drive changes nothing twice."""
    now = services.clock.now()
    subtype = event.get("subtype")
    channel = event.get("channel", "")
    if subtype == "message_changed":
        message = event.get("message") or {}
        with services.db.transaction() as session:
            cases.edit_contact(
                session,
                channel_id=channel,
                ts=message.get("ts", ""),
                new_text=message.get("text", ""),
                now=now,
            )
            inbox.finish(session, team_id, event_id, EventState.PROCESSED, now)
        return
    if subtype == "message_deleted":
        with services.db.transaction() as session:
            cases.delete_contact(session, channel_id=channel, ts=event.get("deleted_ts", ""), now=now)
            inbox.finish(session, team_id, event_id, EventState.PROCESSED, now)
        return
    if not worth_recording(event):
        return  # never recorded in the inbox: nothing to finish
    if not event.get("user"):
        with services.db.transaction() as session:
            inbox.finish(session, team_id, event_id, EventState.IGNORED, now)
        return
    _log_reply(services, team_id, event_id, event, now)


def _log_reply(services: Services, team_id: str, event_id: str, event: dict[str, Any], now: datetime) -> None:
    channel, author = event["channel"], event["user"]
    text = event.get("text") or ""
    problem: str | None = None
    try:
        promise_request = parse_promise_reply(text)
    except CaseError as error:
        problem, promise_request = str(error), None
    logged: _Logged | None = None
    deadline = time.monotonic() + CARD_IN_FLIGHT_WAIT
    while True:
        with services.db.transaction() as session:
            case = queries.case_by_thread(session, team_id, channel, event["thread_ts"])
            if case is not None:
                if promise_request is None:
                    # A plain reply is found and logged in one transaction: most replies are.
                    logged = _log_contact(session, services, team_id, event_id, event, now, case, None, None)
                case_id, owner_id, customer_tz = case.id, case.owner_id, case.customer_tz
                break
            # Slack has shown a new card, but its ts is written only once Slack answered the
            # post: a reply that fast would be taken for one outside any case.
            posting = queries.card_being_posted(
                session, team_id, channel, since=now - CARD_IN_FLIGHT_WAIT_AFTER
            )
            if not posting or time.monotonic() >= deadline:
                inbox.finish(session, team_id, event_id, EventState.IGNORED, now)
                return
        time.sleep(0.05)
    if logged is None:
        # The promise's time is read in its owner's time zone, which may take a Slack call:
        # outside any transaction.
        due_at = None
        try:
            assert promise_request is not None
            client = services.client_for(team_id)
            tz = people.time_zone(client, services.db, services.clock, team_id, owner_id)
            due_at = parse_when(promise_request.when, tz, now, customer_tz)
        except CaseError as error:
            problem, promise_request = str(error), None
        with services.db.transaction() as session:
            case = cases.find_case(session, team_id, case_id)
            logged = _log_contact(
                session, services, team_id, event_id, event, now, case, promise_request, due_at
            )
    problem = problem or logged.problem
    if logged.send_now:
        services.dispatcher.deliver_now(logged.send_now)
    if logged.card_key is not None:
        # A storm of replies to one case redraws its card once per round, not once per reply.
        services.dispatcher.deliver_newest(f"card:{case_id}", logged.card_key)
    if logged.made is not None:
        services.dispatcher.wake()
    if problem:
        # Only the author sees it, in the thread; the reply itself stays logged as a contact.
        refusal = render.error_message(f"No promise recorded: {problem}")
        _tell_author(services, team_id, channel, author, event["thread_ts"], refusal)
    if logged.tight is not None:
        _tell_author(services, team_id, channel, author, event["thread_ts"], logged.tight)


@dataclass
class _Logged:
    """What logging a reply left to do once its transaction is committed."""

    send_now: list[str] = field(default_factory=list)
    card_key: str | None = None
    made: Promise | None = None
    problem: str | None = None
    # The promise stands; when it looks tight its author alone hears why, with a safer time.
    tight: render.Message | None = None


def _log_contact(
    session: Session,
    services: Services,
    team_id: str,
    event_id: str,
    event: dict[str, Any],
    now: datetime,
    case: Case,
    promise_request: PromiseReply | None,
    due_at: datetime | None,
) -> _Logged:
    """The reply as a contact, the promise it makes if any, and its inbox row finished."""
    ts, author = event["ts"], event["user"]
    logged = _Logged()
    _, reaction_key = cases.log_contact(
        session,
        case=case,
        channel_id=event["channel"],
        ts=ts,
        author_id=author,
        text=event.get("text") or "",
        posted_at=datetime.fromtimestamp(float(ts), UTC),
        now=now,
    )
    if reaction_key:
        logged.send_now.append(reaction_key)
    if promise_request is not None and due_at is not None and reaction_key:
        try:
            with session.begin_nested():
                made, keys = record_promise(
                    session,
                    services,
                    case=case,
                    what=promise_request.what,
                    due_at=due_at,
                    made_by=author,
                    now=now,
                    source_ts=ts,
                )
            logged.made = made
            logged.send_now += keys
            if made.suggested_due_at is not None:
                advice = promises.advice_for(session, case, made, now)
                if advice is not None:
                    logged.tight = render.safer_time_advice(case, made, advice)
        except CaseError as error:
            logged.problem = str(error)
    inbox.finish(session, team_id, event_id, EventState.PROCESSED, now)
    # The newest redraw of the card (a promise made here redraws it again).
    logged.card_key = cases.card_update_key(case) if reaction_key else None
    return logged


def _tell_author(
    services: Services, team_id: str, channel: str, author: str, thread_ts: str, message: render.Message
) -> None:
    """Something only the reply's author sees, in the thread."""
    try:
        services.client_for(team_id).chat_postEphemeral(
            channel=channel, user=author, thread_ts=thread_ts, text=message.text, blocks=message.blocks
        )
    except Exception:
        log.warning("thread.ephemeral_failed channel=%s thread_ts=%s", channel, thread_ts, exc_info=True)
