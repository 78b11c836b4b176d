"""Message events, sorted by subtype (the event lane, handlers/listeners/events.py, hands them
here after their ack):

- plain replies, `thread_broadcast` and `file_share` in a case thread are contacts;
  a reply starting with `promise <when>: <what>` also records a promise (one that can't be
  recorded gets a ⚠️ and one message saying why), one that reads like a promise ("I'll call
  you back by 3pm") offers its author to record it, one starting
  `reschedule <when>: …` or `cancel: …` asks its author (privately) the question that comes
  before a new time or a cancellation, and one starting `note:` is an internal note instead;
- a person's message to the bot in its DM is answered (handlers/listeners/direct.py);
- `message_changed` / `message_deleted` update the contact, keeping its history;
- everything else (other bots, joins, top-level chatter) is ignored.

`apply` is also how an event whose handling never finished is re-driven."""

from __future__ import annotations

import logging
from typing import Any

from bot.errors import CaseError
from bot.flows import contacts
from bot.flows.contacts import ReplyEvent, ReplyLogged, ThreadReply
from handlers.listeners import direct
from handlers.listeners.errors import message_for
from handlers.listeners.questions import ask_cancel, ask_reschedule
from handlers.parse import PromiseReply
from handlers.parse_replies import (
    CancelReply,
    NoteReply,
    RescheduleReply,
    is_change_request,
    parse_thread_reply,
    promise_offer,
)
from handlers.services import Services
from handlers.slack_text import as_text, typed
from handlers.views.blocks import Message
from handlers.views.promises import promise_not_recorded, promise_offered, safer_time_advice
from handlers.views.replies import error_message
from storage.models import ContactKind

log = logging.getLogger(__name__)

CONTACT_SUBTYPES = {None, "thread_broadcast", "file_share"}
# A message event's channel_type for a private channel, a group DM, a DM (a public channel's is
# "channel").
PRIVATE_CHANNEL_TYPES = {"group", "mpim", "im"}


def is_thread_reply(event: dict[str, Any]) -> bool:
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts")


def is_direct_message(event: dict[str, Any]) -> bool:
    """A person writing to the bot in its DM (the app's Messages tab): Slack sends message.im
    only for the bot's own DMs."""
    return event.get("channel_type") == "im" and event.get("subtype") in CONTACT_SUBTYPES


def worth_recording(event: dict[str, Any]) -> bool:
    """Only events that can touch a case, or that a person wrote to the bot, are recorded in the
    inbox (cheap to decide, so the busy top-level chatter of a channel costs no database write)."""
    if event.get("type") != "message":
        return False
    subtype = event.get("subtype")
    if is_direct_message(event):
        # The bot's own posts in the DM (its reminders, its answers) come back as events too.
        return bool(event.get("user")) and not event.get("bot_id")
    if subtype in CONTACT_SUBTYPES:
        return is_thread_reply(event) and not event.get("bot_id")
    if subtype == "message_changed":
        return is_thread_reply(event.get("message") or {})
    if subtype == "message_deleted":
        return is_thread_reply(event.get("previous_message") or {})
    return False


def apply(services: Services, team_id: str, event_id: str, event: dict[str, Any]) -> None:
    """Apply one message event (its inbox row is finished with its effects)."""
    subtype = event.get("subtype")
    channel = event.get("channel", "")
    if subtype == "message_changed":
        message = event.get("message") or {}
        contacts.reply_edited(
            services,
            team_id=team_id,
            event_id=event_id,
            channel_id=channel,
            ts=message.get("ts", ""),
            text=said(message),
        )
        return
    if subtype == "message_deleted":
        contacts.reply_deleted(
            services, team_id=team_id, event_id=event_id, channel_id=channel, ts=event.get("deleted_ts", "")
        )
        return
    if not worth_recording(event):
        return  # never recorded in the inbox: nothing to finish
    if not event.get("user"):
        contacts.ignore(services, team_id=team_id, event_id=event_id)
        return
    if is_direct_message(event):
        direct.answer(services, team_id, event_id, event)
        return
    _log_reply(services, team_id, event_id, event)


def plain_reply(event: dict[str, Any]) -> ThreadReply | None:
    """The event as a reply that may be logged together with others (contacts.log_replies): a
    person's reply in a thread that asks for nothing more. A promise is read in its owner's
    time zone (maybe a Slack call, outside any transaction), a note, a new time or a
    cancellation has something to tell or ask its author, and so has a reply that reads like a
    promise (promise_offer), so those go one by one, as do edits, deletions and messages to
    the bot's DM."""
    if event.get("subtype") not in CONTACT_SUBTYPES or not worth_recording(event) or not event.get("user"):
        return None
    if is_direct_message(event):
        return None
    text = said(event)
    try:
        if parse_thread_reply(text) is not None:
            return None
    except CaseError:
        return None  # an attempt at a request: its author hears why it did nothing
    if promise_offer(text) is not None:
        return None
    return ThreadReply(
        channel_id=event["channel"],
        thread_ts=event["thread_ts"],
        ts=event["ts"],
        author_id=event["user"],
        text=text,
        private_channel=event.get("channel_type") in PRIVATE_CHANNEL_TYPES,
    )


def log_together(services: Services, replies: list[ReplyEvent]) -> list[ReplyEvent]:
    """Plain replies (plain_reply) logged in one unit of work; returns those to apply() one by one."""
    return contacts.log_replies(services, replies)


def said(message: dict[str, Any]) -> str:
    """A message's text as its author wrote it (Slack sends it escaped, with tokens for the
    people, channels and links in it: handlers/slack_text.py)."""
    return as_text(typed(message.get("text") or ""))


def _log_reply(services: Services, team_id: str, event_id: str, event: dict[str, Any]) -> None:
    text = said(event)
    problem: str | None = None
    try:
        request = parse_thread_reply(text)
    except CaseError as error:
        problem, request = str(error), None
    promise_request = request if isinstance(request, PromiseReply) else None
    # A reply that starts `promise` but can't be read is marked as not done (⚠️, not ✅).
    promise_problem = problem if problem and not is_change_request(text) else None
    reply = ThreadReply(
        channel_id=event["channel"],
        thread_ts=event["thread_ts"],
        ts=event["ts"],
        author_id=event["user"],
        text=text,
        promise_when=promise_request.when if promise_request else None,
        promise_what=promise_request.what if promise_request else None,
        promise_problem=promise_problem,
        kind=ContactKind.NOTE if isinstance(request, NoteReply) else ContactKind.CONTACT,
        private_channel=event.get("channel_type") in PRIVATE_CHANNEL_TYPES,
    )
    logged = contacts.log_reply(services, team_id=team_id, event_id=event_id, reply=reply)
    if logged.case is None:
        return
    if problem and is_change_request(text):
        _say(services, team_id, reply, error_message(f"Nothing changed: {problem}"))
    _tell_author(services, team_id, reply, logged)
    if isinstance(request, RescheduleReply | CancelReply):
        _ask_author(services, team_id, reply, logged.case.id, request)
    if request is None and problem is None:
        _offer_promise(services, team_id, reply, logged)


def _tell_author(services: Services, team_id: str, reply: ThreadReply, logged: ReplyLogged) -> None:
    """What only the reply's author sees, in the thread: one message saying the reply is logged
    as a contact but no promise was recorded, and why; or why the promise looks tight, with a
    safer time."""
    if logged.problem:
        _say(services, team_id, reply, promise_not_recorded(logged.problem))
    if logged.made is not None and logged.advice is not None and logged.case is not None:
        _say(services, team_id, reply, safer_time_advice(logged.case, logged.made, logged.advice))


def _offer_promise(services: Services, team_id: str, reply: ThreadReply, logged: ReplyLogged) -> None:
    """A plain reply that reads like a promise ("I'll call you back by 3pm"): its author alone is
    offered to record it. Guessing silently either way would be wrong: a promise nobody meant
    would escalate, one only written down would be forgotten."""
    offer = promise_offer(reply.text)
    if offer is not None and logged.case is not None and logged.case.closed_at is None:
        _say(services, team_id, reply, promise_offered(logged.case, offer.what, offer.when))


def _ask_author(
    services: Services, team_id: str, reply: ThreadReply, case_id: int, request: RescheduleReply | CancelReply
) -> None:
    """A new time or a cancellation asked for in the thread: its author alone is asked which
    promise (several open) and whether the customer knows; nothing changes until they answer."""
    try:
        if isinstance(request, RescheduleReply):
            question = ask_reschedule(services, team_id, reply.author_id, case_id, request.when, request.note)
        else:
            question = ask_cancel(services, team_id, reply.author_id, case_id, request.reason)
    except Exception as error:  # a refusal (or a failure) said to the author; the reply stays logged
        question = error_message(f"Nothing changed: {message_for(error)}")
    _say(services, team_id, reply, question)


def _say(services: Services, team_id: str, reply: ThreadReply, message: Message) -> None:
    try:
        services.client_for(team_id).chat_postEphemeral(
            channel=reply.channel_id,
            user=reply.author_id,
            thread_ts=reply.thread_ts,
            text=message.text,
            blocks=message.blocks,
        )
    except Exception:
        log.warning(
            "thread.ephemeral_failed channel=%s thread_ts=%s",
            reply.channel_id,
            reply.thread_ts,
            exc_info=True,
        )
