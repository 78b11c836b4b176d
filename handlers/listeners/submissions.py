"""Modals: open a case, record a promise, close, reschedule or extend, reassign, log a contact.

Each is opened with the trigger_id of a button or of `/case open` with no text, and carries its
Subject in private_metadata. A submission is checked before it is acknowledged, so a mistake
shows next to the field it is about (`response_action: errors`) and the modal stays open with
what was typed; only a valid submission closes it. The domain work is a short transaction,
well inside Slack's 3 seconds; messages it implies go out after the ack."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot import cases, escalation, promises
from bot.cases import CONTACT_MEDIA, CaseDetails
from bot.errors import CaseError
from bot.timeparse import find_zone, parse_when
from bot.validation import LIMITS
from handlers.ids import ActionId, BlockId, CallbackId, Subject
from handlers.listeners import errors
from handlers.outbound import people
from handlers.services import Services
from handlers.views import blocks as render
from storage.models import Case, CasePriority, Promise, Recurrence

log = logging.getLogger(__name__)

TITLE_LIMIT = 24


class FieldError(Exception):
    """A problem with one field of a modal: shown under that field."""

    def __init__(self, block: BlockId, message: str):
        super().__init__(message)
        self.block = block
        self.message = message


# -- building blocks ---------------------------------------------------------------------


def _text_input(
    block: BlockId,
    action: ActionId,
    label: str,
    *,
    optional: bool = False,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
    initial: str | None = None,
    hint: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block.value,
        label=PlainTextObject(text=label),
        optional=optional,
        hint=PlainTextObject(text=hint) if hint else None,
        element=PlainTextInputElement(
            action_id=action.value,
            multiline=multiline,
            max_length=max_length,
            placeholder=PlainTextObject(text=placeholder) if placeholder else None,
            initial_value=initial,
        ),
    )


def _options(pairs: list[tuple[str, str]]) -> list[Option]:
    return [Option(value=value, text=PlainTextObject(text=label)) for value, label in pairs]


PRIORITIES = [
    (CasePriority.LOW.value, "Low"),
    (CasePriority.NORMAL.value, "Normal"),
    (CasePriority.HIGH.value, "High"),
    (CasePriority.URGENT.value, "Urgent: escalate at any hour"),
]
MEDIA = [(medium, medium.capitalize()) for medium in CONTACT_MEDIA]


def _when_blocks(label: str) -> list[Block]:
    return [
        InputBlock(
            block_id=BlockId.WHEN_DATE.value,
            label=PlainTextObject(text=f"{label}: day"),
            optional=True,
            element=DatePickerElement(action_id=ActionId.WHEN_DATE.value),
        ),
        InputBlock(
            block_id=BlockId.WHEN_TIME.value,
            label=PlainTextObject(text=f"{label}: time"),
            optional=True,
            element=TimePickerElement(action_id=ActionId.WHEN_TIME.value),
        ),
        _text_input(
            BlockId.WHEN_TEXT,
            ActionId.WHEN_TEXT,
            "…or say when",
            optional=True,
            max_length=100,
            placeholder="in 2 hours, tomorrow 3pm, friday 10:00",
            hint="Times are read in the case owner's Slack time zone.",
        ),
    ]


def _view(callback: CallbackId, title: str, submit: str, subject: str, blocks: list[Block]) -> View:
    return View(
        type="modal",
        callback_id=callback.value,
        title=PlainTextObject(text=render.clip(title, TITLE_LIMIT)),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        private_metadata=subject,
        blocks=blocks,
    )


def _about(case: Case) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(
            text=render.clip(f"*{case.ref}* · {render.customer_of(case)}\n{render.safe(case.summary)}", 3000)
        )
    )


# -- the modals --------------------------------------------------------------------------


def open_case_view(channel_id: str) -> View:
    return View(
        type="modal",
        callback_id=CallbackId.OPEN_CASE.value,
        title=PlainTextObject(text="Open a case"),
        submit=PlainTextObject(text="Open"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"channel_id": channel_id}),
        blocks=[
            _text_input(
                BlockId.CUSTOMER,
                ActionId.CUSTOMER,
                "Customer",
                max_length=LIMITS["customer"],
                placeholder="Acme Corp",
            ),
            _text_input(
                BlockId.SUMMARY,
                ActionId.SUMMARY,
                "What is it about?",
                multiline=True,
                max_length=LIMITS["summary"],
                placeholder="Refund not received",
            ),
            _text_input(BlockId.ACCOUNT, ActionId.ACCOUNT, "Account number", optional=True, max_length=100),
            _text_input(BlockId.ORDER, ActionId.ORDER, "Order number", optional=True, max_length=100),
            _text_input(
                BlockId.TRACKING, ActionId.TRACKING, "Tracking number", optional=True, max_length=100
            ),
            _text_input(
                BlockId.CUSTOMER_TZ,
                ActionId.CUSTOMER_TZ,
                "Customer's time zone",
                optional=True,
                max_length=60,
                placeholder="Europe/Berlin, or a city like Chicago",
            ),
            InputBlock(
                block_id=BlockId.PRIORITY.value,
                label=PlainTextObject(text="Priority"),
                element=StaticSelectElement(
                    action_id=ActionId.PRIORITY.value,
                    options=_options(PRIORITIES),
                    initial_option=_options(PRIORITIES)[1],
                ),
            ),
            InputBlock(
                block_id=BlockId.VIA.value,
                label=PlainTextObject(text="How did they get in touch?"),
                optional=True,
                element=StaticSelectElement(action_id=ActionId.VIA.value, options=_options(MEDIA)),
            ),
        ],
    )


def promise_view(case: Case, subject: Subject) -> View:
    blocks: list[Block] = [
        _about(case),
        _text_input(
            BlockId.WHAT,
            ActionId.WHAT,
            "What did you promise?",
            multiline=True,
            max_length=LIMITS["promise"],
            placeholder="Call back with the tracking number",
        ),
        *_when_blocks("By when"),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Under-promise, over-deliver: pick a time you can beat. The owner is reminded"
                    " before it is due; a miss goes to their manager."
                )
            ]
        ),
    ]
    return _view(CallbackId.MAKE_PROMISE, f"Promise on {case.ref}", "Record", subject.encode(), blocks)


def close_view(case: Case, subject: Subject) -> View:
    kinds = [(Recurrence.SINGLE.value, "A single event"), (Recurrence.RECURRING.value, "A recurring problem")]
    blocks: list[Block] = [
        _about(case),
        _text_input(
            BlockId.RESOLUTION,
            ActionId.RESOLUTION,
            "Resolution",
            multiline=True,
            max_length=LIMITS["note"],
            placeholder="Refund issued and confirmed with the customer",
        ),
        InputBlock(
            block_id=BlockId.RECURRENCE.value,
            label=PlainTextObject(text="Single event or recurring problem?"),
            element=RadioButtonsElement(action_id=ActionId.RECURRENCE.value, options=_options(kinds)),
        ),
        _text_input(
            BlockId.CATEGORY,
            ActionId.CATEGORY,
            "Category",
            optional=True,
            max_length=LIMITS["category"],
            placeholder="late deliveries",
            hint="Needed for a recurring problem: its cases are counted together so the cause gets fixed.",
        ),
    ]
    return _view(CallbackId.CLOSE_CASE, f"Close {case.ref}", "Close case", subject.encode(), blocks)


def reschedule_view(case: Case, promise: Promise, subject: Subject, *, extension: bool) -> View:
    intro = SectionBlock(
        text=MarkdownTextObject(
            text=render.clip(
                f"*{case.ref}* · “{render.safe(promise.description)}”\nnow due {render.when(promise.due_at)}",
                3000,
            )
        )
    )
    if extension:
        blocks: list[Block] = [
            intro,
            *_when_blocks("New time"),
            _text_input(BlockId.NOTE, ActionId.NOTE, "Reason", multiline=True, max_length=LIMITS["note"]),
            InputBlock(
                block_id=BlockId.TOLD.value,
                label=PlainTextObject(text="The customer"),
                optional=True,
                element=CheckboxesElement(
                    action_id=ActionId.TOLD.value, options=_options([("told", "knows the new time")])
                ),
            ),
        ]
        return _view(CallbackId.EXTEND, "Extend the promise", "Extend", subject.encode(), blocks)
    blocks = [
        intro,
        *_when_blocks("New time"),
        _text_input(
            BlockId.NOTE,
            ActionId.NOTE,
            "What did you tell the customer?",
            multiline=True,
            max_length=LIMITS["note"],
            placeholder="Called: the courier needs one more day; they're fine with Friday",
        ),
        InputBlock(
            block_id=BlockId.TOLD.value,
            label=PlainTextObject(text="The customer"),
            element=CheckboxesElement(
                action_id=ActionId.TOLD.value, options=_options([("told", "knows the new time")])
            ),
            hint=PlainTextObject(text="A new time the customer knows about is a reschedule, not a miss."),
        ),
    ]
    return _view(CallbackId.RESCHEDULE, "Reschedule", "Reschedule", subject.encode(), blocks)


def reassign_view(case: Case, subject: Subject) -> View:
    blocks: list[Block] = [
        _about(case),
        InputBlock(
            block_id=BlockId.NEW_OWNER.value,
            label=PlainTextObject(text="Hand it to"),
            element=UserSelectElement(action_id=ActionId.NEW_OWNER.value),
            hint=PlainTextObject(
                text="Their reminders and their manager's escalations take over at the same times."
            ),
        ),
    ]
    return _view(CallbackId.REASSIGN, f"Reassign {case.ref}", "Reassign", subject.encode(), blocks)


def log_contact_view(case: Case, subject: Subject) -> View:
    blocks: list[Block] = [
        _about(case),
        _text_input(
            BlockId.CONTACT,
            ActionId.CONTACT,
            "What happened?",
            multiline=True,
            max_length=2900,
            placeholder="Customer called: still no refund; promised a call back by 3pm",
        ),
        InputBlock(
            block_id=BlockId.VIA.value,
            label=PlainTextObject(text="How"),
            element=StaticSelectElement(
                action_id=ActionId.VIA.value, options=_options(MEDIA), initial_option=_options(MEDIA)[0]
            ),
        ),
    ]
    return _view(CallbackId.LOG_CONTACT, f"Contact on {case.ref}", "Log it", subject.encode(), blocks)


def open_case_modal(client: Any, trigger_id: str, channel_id: str) -> None:
    client.views_open(trigger_id=trigger_id, view=open_case_view(channel_id))


# -- reading a submission ----------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """The values of a submitted modal, by block id."""

    values: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, view: dict[str, Any]) -> Submitted:
        flat: dict[str, dict[str, Any]] = {}
        for block_id, by_action in (view.get("state") or {}).get("values", {}).items():
            # One element per input block: its state is the block's value.
            flat[block_id] = next(iter(by_action.values()), {}) or {}
        return cls(flat)

    def text(self, block: BlockId) -> str:
        return (self.values.get(block.value, {}).get("value") or "").strip()

    def option(self, block: BlockId) -> str | None:
        chosen = self.values.get(block.value, {}).get("selected_option") or {}
        return chosen.get("value")

    def checked(self, block: BlockId) -> bool:
        return bool(self.values.get(block.value, {}).get("selected_options"))

    def date(self) -> str | None:
        return self.values.get(BlockId.WHEN_DATE.value, {}).get("selected_date")

    def time(self) -> str | None:
        return self.values.get(BlockId.WHEN_TIME.value, {}).get("selected_time")

    def user(self, block: BlockId) -> str | None:
        return self.values.get(block.value, {}).get("selected_user")


def _customer_zone(typed: str | None) -> str | None:
    if not typed:
        return None
    try:
        return find_zone(typed)
    except CaseError as error:
        raise FieldError(BlockId.CUSTOMER_TZ, str(error)) from None


def due_from(submitted: Submitted, zones: tuple[str, str | None], now: datetime) -> datetime:
    """The day and time pickers, or the free text: one of the two, in the owner's zone (the
    text may say "customer time": then the customer's, `zones` being (owner's, customer's))."""
    tz, customer_tz = zones
    day, clock, said = submitted.date(), submitted.time(), submitted.text(BlockId.WHEN_TEXT)
    if said and (day or clock):
        raise FieldError(BlockId.WHEN_TEXT, "Pick a day and time, or say when here: not both.")
    if said:
        phrase, block = said, BlockId.WHEN_TEXT
    elif day and clock:
        phrase, block = f"{day} {clock}", BlockId.WHEN_TIME
    elif day:
        raise FieldError(BlockId.WHEN_TIME, "Pick the time too (or say when in words below).")
    elif clock:
        raise FieldError(BlockId.WHEN_DATE, "Pick the day too (or say when in words below).")
    else:
        raise FieldError(
            BlockId.WHEN_TEXT, "When? Pick a day and a time, or say it here, like `tomorrow 3pm`."
        )
    try:
        return parse_when(phrase, tz, now, customer_tz)
    except CaseError as error:
        raise FieldError(block, str(error)) from None


# -- the submissions ---------------------------------------------------------------------


def register(app: App, services: Services) -> None:
    from handlers.listeners import actions, commands

    def handler(
        callback: CallbackId,
        first_field: BlockId,
        work: Callable[[dict[str, Any], Submitted, Subject | None], Any],
    ) -> None:
        @app.view(callback.value)
        def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
            submitted = Submitted.of(view)
            subject = (
                None if callback is CallbackId.OPEN_CASE else Subject.decode(view.get("private_metadata"))
            )
            try:
                after_ack = work(body, submitted, subject)
            except FieldError as error:
                ack(response_action="errors", errors={error.block.value: error.message})
                return
            except Exception as error:  # a domain refusal or a failure: shown in the modal, nothing changed
                ack(response_action="errors", errors={first_field.value: errors.message_for(error)})
                return
            ack()
            try:
                after_ack()
            except Exception:
                log.exception("modal.after_ack_failed callback=%s", callback.value)

    def answer(body: dict[str, Any], channel_id: str | None, reply: render.Message) -> None:
        if not channel_id:
            return
        actions.tell_privately(services, body["team"]["id"], channel_id, body["user"]["id"], reply)

    def team_user(body: dict[str, Any]) -> tuple[str, str]:
        return body["team"]["id"], body["user"]["id"]

    def open_case_work(
        body: dict[str, Any], submitted: Submitted, _subject: Subject | None
    ) -> Callable[[], None]:
        team_id, user_id = team_user(body)
        summary = submitted.text(BlockId.SUMMARY)
        if not summary:
            raise FieldError(BlockId.SUMMARY, "Say what the case is about.")
        channel_id = json.loads(body["view"].get("private_metadata") or "{}").get("channel_id", "")
        details = CaseDetails(
            priority=CasePriority(submitted.option(BlockId.PRIORITY) or CasePriority.NORMAL.value),
            account_ref=submitted.text(BlockId.ACCOUNT) or None,
            order_ref=submitted.text(BlockId.ORDER) or None,
            tracking_ref=submitted.text(BlockId.TRACKING) or None,
            first_contact_via=submitted.option(BlockId.VIA),
            customer_tz=_customer_zone(submitted.text(BlockId.CUSTOMER_TZ)),
        )

        def after() -> None:
            try:
                reply = commands.open_case(
                    services,
                    team_id=team_id,
                    owner_id=user_id,
                    channel_id=channel_id,
                    customer=submitted.text(BlockId.CUSTOMER) or None,
                    summary=summary,
                    details=details,
                )
            except Exception as error:  # after ack(): answer the person, never re-raise into Bolt
                reply = render.error_message(errors.message_for(error))
            answer(body, channel_id, reply)

        return after

    def promise_work(
        body: dict[str, Any], submitted: Submitted, subject: Subject | None
    ) -> Callable[[], None]:
        assert subject is not None
        team_id, user_id = team_user(body)
        what = submitted.text(BlockId.WHAT)
        if not what:
            raise FieldError(BlockId.WHAT, "Say what you promised the customer.")
        due_at = due_from(submitted, _owner_zone(services, team_id, subject.case_id), services.clock.now())
        reply, send_now = commands.promise_with_time(
            services, team_id=team_id, actor_id=user_id, case_id=subject.case_id, due_at=due_at, what=what
        )

        def after() -> None:
            services.dispatcher.deliver_now(send_now)
            services.dispatcher.wake()
            answer(body, subject.channel_id, reply)

        return after

    def close_work(body: dict[str, Any], submitted: Submitted, subject: Subject | None) -> Callable[[], None]:
        assert subject is not None
        team_id, user_id = team_user(body)
        kind = submitted.option(BlockId.RECURRENCE)
        if kind is None:
            raise FieldError(BlockId.RECURRENCE, "Was it a one-off, or does it keep coming back?")
        recurrence = Recurrence(kind)
        category = submitted.text(BlockId.CATEGORY) or None
        if recurrence is Recurrence.RECURRING and not category:
            raise FieldError(BlockId.CATEGORY, "Name the category, so cases of the same problem add up.")
        reply = commands.close(
            services,
            team_id=team_id,
            actor_id=user_id,
            case_id=subject.case_id,
            note=submitted.text(BlockId.RESOLUTION),
            recurrence=recurrence,
            category=category,
        )
        return lambda: answer(body, subject.channel_id, reply)

    def reschedule_work(
        extension: bool,
    ) -> Callable[[dict[str, Any], Submitted, Subject | None], Callable[[], None]]:
        def work(body: dict[str, Any], submitted: Submitted, subject: Subject | None) -> Callable[[], None]:
            assert subject is not None and subject.promise_id is not None
            team_id, user_id = team_user(body)
            note = submitted.text(BlockId.NOTE)
            told = submitted.checked(BlockId.TOLD)
            if not extension and not told:
                raise FieldError(
                    BlockId.TOLD, "Tell the customer the new time first: then it is a reschedule, not a miss."
                )
            if not note:
                raise FieldError(BlockId.NOTE, "Say why." if extension else "Say what you told the customer.")
            now = services.clock.now()
            due_at = due_from(submitted, _owner_zone(services, team_id, subject.case_id), now)
            settings = services.settings
            with actions.promise_at_hand(services, team_id, subject) as (session, case, promise):
                allowed = (
                    escalation.deciders(promise, case, settings.admins) if extension else settings.admins
                )
                replacement, send_now = promises.reschedule_promise(
                    session,
                    case=case,
                    promise=promise,
                    new_due_at=due_at,
                    note=note,
                    customer_told=told,
                    actor_id=user_id,
                    now=now,
                    lead=settings.reminder_lead,
                    grace=settings.escalation_grace,
                    repeat=settings.escalation_repeat,
                    admins=allowed,
                    extension=extension,
                )
                verb = "Extended" if extension else "Rescheduled"
                done = f"{verb} by <@{user_id}> to {render.when(replacement.due_at)}."
                reply = render.promise_confirmation(case, replacement, settings.escalation_repeat)

            def after() -> None:
                services.dispatcher.deliver_now(send_now)
                services.dispatcher.wake()
                actions.mark_resolved(services, team_id, subject, done)
                answer(body, subject.channel_id, reply)

            return after

        return work

    def reassign_work(
        body: dict[str, Any], submitted: Submitted, subject: Subject | None
    ) -> Callable[[], None]:
        assert subject is not None
        team_id, user_id = team_user(body)
        new_owner = submitted.user(BlockId.NEW_OWNER)
        if not new_owner:
            raise FieldError(BlockId.NEW_OWNER, "Pick who takes the case over.")
        reply, send_now = actions.hand_over(services, team_id, user_id, subject, new_owner)

        def after() -> None:
            services.dispatcher.deliver_now(send_now)
            actions.mark_resolved(
                services, team_id, subject, f"Reassigned by <@{user_id}> to <@{new_owner}>."
            )
            answer(body, subject.channel_id, reply)

        return after

    def contact_work(
        body: dict[str, Any], submitted: Submitted, subject: Subject | None
    ) -> Callable[[], None]:
        assert subject is not None
        team_id, user_id = team_user(body)
        said = submitted.text(BlockId.CONTACT)
        if not said:
            raise FieldError(BlockId.CONTACT, "Say what happened in the contact.")
        via = submitted.option(BlockId.VIA)
        now = services.clock.now()
        with services.db.transaction() as session:
            case = cases.find_case(session, team_id, subject.case_id)
            send_now = cases.log_contact_from_form(
                session,
                case=case,
                # One contact per modal: a double submission of the same view logs it once.
                key=f"form-{body['view']['id']}",
                author_id=user_id,
                text=said,
                via=via,
                now=now,
            )
            reply = render.contact_logged(case)
        return lambda: (services.dispatcher.deliver_now(send_now), answer(body, subject.channel_id, reply))

    handler(CallbackId.OPEN_CASE, BlockId.SUMMARY, open_case_work)
    handler(CallbackId.MAKE_PROMISE, BlockId.WHAT, promise_work)
    handler(CallbackId.CLOSE_CASE, BlockId.RESOLUTION, close_work)
    handler(CallbackId.RESCHEDULE, BlockId.NOTE, reschedule_work(extension=False))
    handler(CallbackId.EXTEND, BlockId.NOTE, reschedule_work(extension=True))
    handler(CallbackId.REASSIGN, BlockId.NEW_OWNER, reassign_work)
    handler(CallbackId.LOG_CONTACT, BlockId.CONTACT, contact_work)


def _owner_zone(services: Services, team_id: str, case_id: int) -> tuple[str, str | None]:
    """The case owner's time zone and the customer's: a form's times are read on the owner's
    clock, as commands', or on the customer's when it says so."""
    with services.db.transaction() as session:
        case = cases.find_case(session, team_id, case_id)
        cases.require_open(case)
        owner_id, customer_tz = case.owner_id, case.customer_tz
    tz = people.time_zone(services.client_for(team_id), services.db, services.clock, team_id, owner_id)
    return tz, customer_tz
