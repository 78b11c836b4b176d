"""Buttons: on the case card, on reminders, on escalations, and paging through a contact log.

Every click is acked at once (Bolt answers Slack with the ack), then handled. Past the ack
nothing may escape into Bolt: a refusal or a failure is told to the person ephemerally where
they clicked. A button that opens a modal does so straight after the ack, since a trigger_id
lives only 3 seconds. A message whose question is answered (a reminder kept, an escalation
acknowledged) is redrawn without its buttons, saying who did what, so nobody clicks twice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from bot import cases, escalation, promises
from handlers.ids import ActionId, BlockId, Subject
from handlers.listeners import commands, errors
from handlers.listeners import submissions as modals
from handlers.outbound import catch_up
from handlers.services import Services
from handlers.views import blocks as render
from storage import queries
from storage.models import Case, Promise

log = logging.getLogger(__name__)

# Blocks of a message that ask for a decision, dropped when it is redrawn as decided.
NOTE_BLOCK = "last_done"
QUESTION_BLOCKS = {
    BlockId.REMINDER_ACTIONS.value,
    BlockId.ESCALATION_ACTIONS.value,
    BlockId.CARD_ACTIONS.value,
}


def subject_of(body: dict[str, Any]) -> Subject:
    """The button's subject, plus where it was clicked."""
    action = body["actions"][0]
    subject = Subject.decode(action.get("value"))
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return Subject(
        case_id=subject.case_id,
        promise_id=subject.promise_id,
        channel_id=channel,
        message_ts=container.get("message_ts"),
        page=subject.page,
        item=catch_up.item_of(action.get("block_id")),
    )


def tell_privately(
    services: Services, team_id: str, channel_id: str, user_id: str, reply: render.Message
) -> None:
    """An answer only the person sees, where they were."""
    try:
        services.client_for(team_id).chat_postEphemeral(
            channel=channel_id, user=user_id, text=reply.text, blocks=reply.blocks
        )
    except Exception:
        log.warning("action.reply_failed channel=%s", channel_id, exc_info=True)


def mark_resolved(
    services: Services,
    team_id: str,
    subject: Subject,
    note: str,
    original: dict[str, Any] | None = None,
    *,
    keep_buttons: bool = False,
) -> None:
    """Redraw the reminder or escalation that was answered, without its buttons, saying who
    did what. `original` is the message as the click carried it; after a modal it is read back
    from the conversation."""
    if not subject.channel_id or not subject.message_ts:
        return
    client = services.client_for(team_id)
    try:
        if original is None:
            found = (
                client.conversations_history(
                    channel=subject.channel_id,
                    latest=subject.message_ts,
                    oldest=subject.message_ts,
                    inclusive=True,
                    limit=1,
                ).get("messages")
                or []
            )
            if not found:
                return
            original = found[0]
        blocks = original.get("blocks") or []
        if subject.item is not None:
            # One item of a catch-up summary: the others keep their buttons.
            redrawn = catch_up.redraw_item(
                blocks, subject.item, lambda own: decided(own, note, keep_buttons=keep_buttons)
            )
        else:
            redrawn = decided(blocks, note, keep_buttons=keep_buttons)
        client.chat_update(
            channel=subject.channel_id,
            ts=subject.message_ts,
            text=original.get("text") or note,
            blocks=redrawn,
        )
    except Exception:
        # The decision is recorded; a message still showing buttons answers a later click with
        # "already done".
        log.warning(
            "action.redraw_failed channel=%s ts=%s", subject.channel_id, subject.message_ts, exc_info=True
        )


def decided(blocks: list[dict[str, Any]], note: str, *, keep_buttons: bool = False) -> list[dict[str, Any]]:
    """The blocks without the buttons and the hint under them, plus what was decided (or, with
    keep_buttons, everything as it was and what was done last)."""
    note_block = render.context(f":white_check_mark: {note}").to_dict()
    if keep_buttons:
        # One note at a time: a second snooze replaces the first one's line.
        earlier = [b for b in blocks if b.get("block_id") != NOTE_BLOCK]
        return [*earlier, {**note_block, "block_id": NOTE_BLOCK}]
    kept: list[dict[str, Any]] = []
    after_buttons = False
    for block in blocks:
        if block.get("type") == "actions" or block.get("block_id") in QUESTION_BLOCKS:
            after_buttons = True
            continue
        if after_buttons and block.get("type") == "context":
            continue
        after_buttons = False
        kept.append(block)
    return [*kept, note_block]


@contextmanager
def promise_at_hand(
    services: Services, team_id: str, subject: Subject
) -> Iterator[tuple[Session, Case, Promise]]:
    """The case and the still-open promise a button or form names, in one transaction."""
    assert subject.promise_id is not None
    with services.db.transaction() as session:
        case = cases.find_case(session, team_id, subject.case_id)
        yield session, case, promises.open_promise(session, case, subject.promise_id)


def hand_over(
    services: Services, team_id: str, actor_id: str, subject: Subject, new_owner: str
) -> tuple[render.Message, list[str]]:
    """From an escalation: whoever reassigns has dealt with it (the chain stops), then the
    case and its promises move to the new owner and their manager."""
    settings = services.settings
    now = services.clock.now()
    with services.db.transaction() as session:
        case = cases.find_case(session, team_id, subject.case_id)
        send_now: list[str] = []
        if subject.promise_id is not None:
            promise = promises.open_promise(session, case, subject.promise_id)
            if promise.acknowledged_by is None and actor_id != promise.owner_id:
                send_now += escalation.acknowledge(
                    session, case=case, promise=promise, actor_id=actor_id, now=now, admins=settings.admins
                )
        allowed = set(settings.admins)
        if subject.promise_id is not None:
            allowed |= escalation.deciders(promise, case, settings.admins)
        previous = case.owner_id
        send_now += promises.reassign_case(
            session,
            case=case,
            actor_id=actor_id,
            new_owner_id=new_owner,
            now=now,
            admins=allowed,
            repeat=settings.escalation_repeat,
            escalation_channel=settings.escalation_channel,
        )
        reply = render.case_reassigned(case, previous, len(queries.open_promises(session, case.id)))
    return reply, send_now


def register(app: App, services: Services) -> None:
    settings = services.settings

    def on(action: ActionId) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """Ack, then run `work(body, subject, user_id, client, respond)`; refusals and failures
        are told to the person, never raised into Bolt."""

        def wrap(work: Callable[..., None]) -> Callable[..., None]:
            @app.action(action.value)
            def listener(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
                ack()
                try:
                    work(body, subject_of(body), body["user"]["id"], client, respond)
                except Exception as error:
                    reply = render.error_message(errors.message_for(error))
                    try:
                        respond(
                            response_type="ephemeral",
                            replace_original=False,
                            text=reply.text,
                            blocks=reply.blocks,
                        )
                    except Exception:
                        log.warning("action.error_reply_failed action=%s", action.value, exc_info=True)

            return work

        return wrap

    def team(body: dict[str, Any]) -> str:
        return body["team"]["id"]

    def say(respond: Respond, reply: render.Message) -> None:
        respond(response_type="ephemeral", replace_original=False, text=reply.text, blocks=reply.blocks)

    def open_modal(client: Any, body: dict[str, Any], build: Callable[..., Any]) -> None:
        client.views_open(trigger_id=body["trigger_id"], view=build())

    def load(team_id: str, subject: Subject, *, need_promise: bool = False) -> tuple[Any, Any]:
        with services.db.transaction() as session:
            case = cases.find_case(session, team_id, subject.case_id)
            cases.require_open(case)
            promise = None
            if need_promise or subject.promise_id is not None:
                assert subject.promise_id is not None
                promise = promises.open_promise(session, case, subject.promise_id)
            return case, promise

    # -- the case card -------------------------------------------------------------------

    @on(ActionId.CARD_LOG_CONTACT)
    def log_contact(body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond) -> None:
        case, _ = load(team(body), subject)
        open_modal(client, body, lambda: modals.log_contact_view(case, subject))

    @on(ActionId.CARD_PROMISE)
    def make_promise(
        body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond
    ) -> None:
        case, _ = load(team(body), subject)
        open_modal(client, body, lambda: modals.promise_view(case, subject))

    @on(ActionId.CARD_CLOSE)
    def close(body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond) -> None:
        case, _ = load(team(body), subject)
        open_modal(client, body, lambda: modals.close_view(case, subject))

    @on(ActionId.CARD_DONE)
    def card_done(body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond) -> None:
        reply = commands.keep(
            services,
            team_id=team(body),
            actor_id=user,
            case_id=subject.case_id,
            promise_id=subject.promise_id,
        )
        say(respond, reply)

    # -- reminders -------------------------------------------------------------------------

    @on(ActionId.REMINDER_DONE)
    def reminder_done(
        body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond
    ) -> None:
        reply = commands.keep(
            services,
            team_id=team(body),
            actor_id=user,
            case_id=subject.case_id,
            promise_id=subject.promise_id,
        )
        mark_resolved(services, team(body), subject, reply.text, body.get("message"))

    @on(ActionId.REMINDER_RESCHEDULE)
    def reschedule(body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond) -> None:
        case, promise = load(team(body), subject, need_promise=True)
        open_modal(client, body, lambda: modals.reschedule_view(case, promise, subject, extension=False))

    @on(ActionId.REMINDER_SNOOZE)
    def snooze(body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond) -> None:
        with promise_at_hand(services, team(body), subject) as (session, case, promise):
            again = promises.snooze_reminder(
                session,
                case=case,
                promise=promise,
                actor_id=user,
                now=services.clock.now(),
                admins=settings.admins,
            )
        services.dispatcher.wake()
        note = f"Snoozed: I'll remind you again at {render.when(again, '{time}')}."
        mark_resolved(services, team(body), subject, note, body.get("message"), keep_buttons=True)

    @on(ActionId.REMINDER_ESCALATE)
    def escalate_now(
        body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond
    ) -> None:
        with promise_at_hand(services, team(body), subject) as (session, case, promise):
            keys, to = escalation.escalate_now(
                session,
                case=case,
                promise=promise,
                actor_id=user,
                now=services.clock.now(),
                repeat=settings.escalation_repeat,
                admins=settings.admins,
            )
            reply = render.escalated_now(case, render.recipient(to, case))
        services.dispatcher.deliver_now(keys)
        services.dispatcher.wake()
        say(respond, reply)

    # -- a promise that looked tight -------------------------------------------------------

    @on(ActionId.USE_SAFER_TIME)
    def use_safer_time(
        body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond
    ) -> None:
        with promise_at_hand(services, team(body), subject) as (session, case, promise):
            keys = promises.use_safer_time(
                session,
                case=case,
                promise=promise,
                actor_id=user,
                now=services.clock.now(),
                lead=settings.reminder_lead,
                grace=settings.escalation_grace,
                repeat=settings.escalation_repeat,
                admins=settings.admins,
            )
            reply = render.promise_confirmation(case, promise, settings.escalation_repeat)
            taken = render.safer_time_taken(case, promise)
        services.dispatcher.deliver_now(keys)
        services.dispatcher.wake()
        # The confirmation is redrawn with the new plan, and no longer asks.
        respond(
            response_type="ephemeral",
            replace_original=True,
            text=f"{taken.text} {reply.text}",
            blocks=[*taken.blocks, *reply.blocks],
        )

    # -- escalations -----------------------------------------------------------------------

    @on(ActionId.ESCALATION_ACKNOWLEDGE)
    def acknowledge(body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond) -> None:
        with promise_at_hand(services, team(body), subject) as (session, case, promise):
            keys = escalation.acknowledge(
                session,
                case=case,
                promise=promise,
                actor_id=user,
                now=services.clock.now(),
                admins=settings.admins,
            )
            owner = promise.owner_id
        services.dispatcher.deliver_now(keys)
        mark_resolved(
            services,
            team(body),
            subject,
            f"Acknowledged by <@{user}> at {render.when(services.clock.now(), '{time}')};"
            f" <@{owner}> was told.",
            body.get("message"),
        )

    @on(ActionId.ESCALATION_TAKE_OVER)
    def take_over(body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond) -> None:
        reply, keys = hand_over(services, team(body), user, subject, user)
        services.dispatcher.deliver_now(keys)
        mark_resolved(services, team(body), subject, f"Taken over by <@{user}>.", body.get("message"))
        say(respond, reply)

    @on(ActionId.ESCALATION_REASSIGN)
    def reassign(body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond) -> None:
        case, _ = load(team(body), subject)
        open_modal(client, body, lambda: modals.reassign_view(case, subject))

    @on(ActionId.ESCALATION_EXTEND)
    def extend(body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond) -> None:
        case, promise = load(team(body), subject, need_promise=True)
        open_modal(client, body, lambda: modals.reschedule_view(case, promise, subject, extension=True))

    # -- paging ----------------------------------------------------------------------------

    @on(ActionId.CONTACTS_NEWER)
    @on(ActionId.CONTACTS_OLDER)
    def page(body: dict[str, Any], subject: Subject, user: str, client: Any, respond: Respond) -> None:
        with services.db.transaction() as session:
            cases.find_case(session, team(body), subject.case_id)
            detailed = queries.case_with_history(session, team(body), subject.case_id)
            assert detailed is not None
            reply = render.case_details(detailed, services.clock.now(), page=subject.page or 0)
        respond(response_type="ephemeral", replace_original=True, text=reply.text, blocks=reply.blocks)
