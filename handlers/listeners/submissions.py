"""Modal submissions: open a case, record a promise, close, reschedule or extend, reassign, log a
contact (the modals themselves are handlers/views/modals.py).

A submission is checked before it is acknowledged, so a mistake shows next to the field it is
about (`response_action: errors`) and the modal stays open with what was typed; only a valid
submission closes it. The flow is a short transaction, well inside Slack's 3 seconds; the
messages it implies, and the answer to the person, go out after the ack."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

from bot.cases import CaseDetails
from bot.closing import Fate
from bot.errors import CaseError
from bot.flows import cases, contacts, escalations, outlook, promises
from bot.flows.context import AlreadyDone, Once
from bot.validation import clean_text
from handlers.ids import FATE_PREFIX, BlockId, CallbackId, Subject
from handlers.listeners.commands import card_outcome
from handlers.listeners.errors import message_for
from handlers.listeners.form_values import FieldError, FieldErrorAt, Submitted, customer_zone, due_from
from handlers.listeners.redraw import mark_resolved, tell_privately
from handlers.services import Services
from handlers.views import promises as promise_views
from handlers.views import replies
from handlers.views.blocks import Message, when
from storage.models import CasePriority, Recurrence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """One submitted modal: who, in which workspace, what they entered, what it is about."""

    services: Services
    body: dict[str, Any]
    values: Submitted
    subject: Subject
    team_id: str
    user_id: str
    # The form's view: submitted again (a double click, Slack retrying a slow ack), it is one.
    once: Once

    def tell(self, reply: Message, channel_id: str | None = None) -> None:
        """Privately, in the channel the modal was opened from."""
        channel = channel_id or self.subject.channel_id
        if channel:
            tell_privately(self.services, self.team_id, channel, self.user_id, reply)

    def resolved(self, note: str) -> None:
        """Redraw the message whose button opened the modal, saying what was done."""
        mark_resolved(self.services, self.team_id, self.subject, note)


# What a form does before its ack (raising FieldError for a field to fix), returning what it
# does after the ack.
Work = Callable[[Submission], Callable[[], None]]
_FORMS: dict[CallbackId, tuple[BlockId, Work]] = {}


def form(callback: CallbackId, first_field: BlockId) -> Callable[[Work], Work]:
    """Register `work` for a modal; a refusal that is about no one field shows at `first_field`."""

    def wrap(work: Work) -> Work:
        _FORMS[callback] = (first_field, work)
        return work

    return wrap


def register(app: App, services: Services) -> None:
    for callback, (first_field, work) in _FORMS.items():
        _listen(app, services, callback, first_field, work)


def _listen(app: App, services: Services, callback: CallbackId, first_field: BlockId, work: Work) -> None:
    @app.view(callback.value)
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        metadata = view.get("private_metadata")
        submission = Submission(
            services=services,
            body=body,
            values=Submitted.of(view),
            # The open-case modal is about no case yet: it carries the channel instead.
            subject=Subject(case_id=0) if callback is CallbackId.OPEN_CASE else Subject.decode(metadata),
            team_id=body["team"]["id"],
            user_id=body["user"]["id"],
            once=Once(f"view:{body['view']['id']}"),
        )
        run = FormRun(submission, callback, first_field, work)
        if not services.run_after_ack(run.carry_out, callback.value, urgent=True):
            ack(response_action="errors", errors={first_field.value: replies.busy().text})
            return
        refusal = run.outcome_by(FORM_DEADLINE)
        if refusal:
            ack(response_action="errors", errors=refusal)
        else:
            ack()
        run.acked.set()


# How long a form's ack waits for its work. Within it, a mistake shows under its field and the
# modal stays open; past it (Slack slow to tell a time zone, the database busy) the modal
# closes, the work goes on, and its outcome, or what to fix, comes as a private message.
# Bolt gives up on an ack 3 seconds after the request arrived.
FORM_DEADLINE = 2.0
# How long the work waits for the ack before sending what it left to send anyway.
ACK_WAIT = 5.0


class FormRun:
    """One submission's work, on the after-ack pool, and what the ack learns of it."""

    def __init__(self, submission: Submission, callback: CallbackId, first_field: BlockId, work: Work):
        self.submission = submission
        self.callback = callback
        self.first_field = first_field
        self.work = work
        self.acked = threading.Event()
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._late = False
        self._refusal: dict[str, str] | None = None

    def outcome_by(self, seconds: float) -> dict[str, str] | None:
        """The fields to fix if the work refused in time; None to close the modal (the work is
        done, or still going and will tell its outcome itself)."""
        self._finished.wait(seconds)
        with self._lock:
            if not self._finished.is_set():
                self._late = True
            return self._refusal

    def carry_out(self) -> None:
        services = self.submission.services
        after_ack: Callable[[], None] | None = None
        refusal: dict[str, str] | None = None
        with services.holding_sends() as held:
            try:
                after_ack = self.work(self.submission)
            except FieldError as error:
                refusal = {error.block_id: error.message}
            except AlreadyDone:
                pass  # the same form twice: the first one's outcome stands
            except Exception as error:  # a domain refusal or a failure: nothing changed
                refusal = {self.first_field.value: message_for(error)}
        with self._lock:
            self._refusal = refusal
            late = self._late
            self._finished.set()
        if refusal is not None:
            if late:
                fix = " ".join(refusal.values())
                self.submission.tell(
                    replies.error_message(f"That form wasn't saved: {fix} Open it again to fix it.")
                )
            return
        self.acked.wait(ACK_WAIT)
        held.release()
        if after_ack is not None:
            after_ack()


@form(CallbackId.OPEN_CASE, BlockId.SUMMARY)
def open_case(submission: Submission) -> Callable[[], None]:
    values = submission.values
    summary = values.text(BlockId.SUMMARY)
    if not summary:
        raise FieldError(BlockId.SUMMARY, "Say what the case is about.")
    _check_texts(values, OPEN_CASE_TEXTS)
    opened_from = json.loads(submission.body["view"].get("private_metadata") or "{}")
    channel_id, private = opened_from.get("channel_id", ""), bool(opened_from.get("private"))
    details = CaseDetails(
        priority=CasePriority(values.option(BlockId.PRIORITY) or CasePriority.NORMAL.value),
        account_ref=values.text(BlockId.ACCOUNT) or None,
        order_ref=values.text(BlockId.ORDER) or None,
        tracking_ref=values.text(BlockId.TRACKING) or None,
        first_contact_via=values.option(BlockId.VIA),
        customer_tz=customer_zone(values.text(BlockId.CUSTOMER_TZ)),
    )

    def after() -> None:
        try:
            opened = cases.open_case(
                submission.services,
                team_id=submission.team_id,
                owner_id=submission.user_id,
                channel_id=channel_id,
                customer=values.text(BlockId.CUSTOMER) or None,
                summary=summary,
                details=details,
                once=submission.once,
                private=private,
            )
            reply = card_outcome(opened)
        except Exception as error:  # after ack(): answer the person, never re-raise into Bolt
            reply = replies.error_message(message_for(error))
        submission.tell(reply, channel_id)

    return after


# The open-case form's free text, checked before the ack so a mistake shows under its field
# with everything typed still there (the case itself is opened after the ack).
OPEN_CASE_TEXTS = (
    (BlockId.CUSTOMER, "customer"),
    (BlockId.SUMMARY, "summary"),
    (BlockId.ACCOUNT, "account number"),
    (BlockId.ORDER, "order number"),
    (BlockId.TRACKING, "tracking number"),
)


def _check_texts(values: Submitted, fields: tuple[tuple[BlockId, str], ...]) -> None:
    for block, what in fields:
        try:
            clean_text(values.text(block), what, required=False)
        except CaseError as error:
            raise FieldError(block, str(error)) from None


@form(CallbackId.MAKE_PROMISE, BlockId.WHAT)
def make_promise(submission: Submission) -> Callable[[], None]:
    services, subject = submission.services, submission.subject
    what = submission.values.text(BlockId.WHAT)
    if not what:
        raise FieldError(BlockId.WHAT, "Say what you promised the customer.")
    zones = promises.zones(services, team_id=submission.team_id, case_id=subject.case_id)
    due_at = due_from(submission.values, zones, services.clock.now())
    made = promises.make_at(
        services,
        team_id=submission.team_id,
        actor_id=submission.user_id,
        case_id=subject.case_id,
        due_at=due_at,
        what=what,
        once=submission.once,
    )

    def after() -> None:
        # The recipients' time zones may take a Slack call: after the ack.
        forecast = outlook.escalation_forecast(services, made.case, made.promise)
        repeat = services.policy.escalation_repeat
        submission.tell(
            promise_views.promise_confirmation(made.case, made.promise, repeat, forecast, made.advice)
        )

    return after


@form(CallbackId.CLOSE_CASE, BlockId.RESOLUTION)
def close(submission: Submission) -> Callable[[], None]:
    values = submission.values
    kind = values.option(BlockId.RECURRENCE)
    if kind is None:
        raise FieldError(BlockId.RECURRENCE, "Was it a one-off, or does it keep coming back?")
    recurrence = Recurrence(kind)
    category = values.text(BlockId.CATEGORY) or None
    if recurrence is Recurrence.RECURRING and not category:
        raise FieldError(BlockId.CATEGORY, "Name the category, so cases of the same problem add up.")
    closed = cases.close(
        submission.services,
        team_id=submission.team_id,
        actor_id=submission.user_id,
        case_id=submission.subject.case_id,
        note=values.text(BlockId.RESOLUTION),
        fates=_fates(values),
        recurrence=recurrence,
        category=category,
        once=submission.once,
    )
    reply = replies.case_closed(closed)
    return lambda: submission.tell(reply)


def _fates(values: Submitted) -> dict[int, Fate]:
    """What became of each promise still open, as the close form asked (FATE_PREFIX blocks)."""
    fates: dict[int, Fate] = {}
    for promise_id, chosen in values.by_prefix(FATE_PREFIX).items():
        if chosen is None:
            raise FieldErrorAt(f"{FATE_PREFIX}{promise_id}", "Say what became of this promise.")
        fates[int(promise_id)] = Fate(chosen)
    return fates


def _new_time(submission: Submission, *, extension: bool) -> Callable[[], None]:
    services, subject, values = submission.services, submission.subject, submission.values
    assert subject.promise_id is not None
    note, told = values.text(BlockId.NOTE), values.checked(BlockId.TOLD)
    if not extension and not told:
        raise FieldError(
            BlockId.TOLD, "Tell the customer the new time first: then it is a reschedule, not a miss."
        )
    if not note:
        raise FieldError(BlockId.NOTE, "Say why." if extension else "Say what you told the customer.")
    zones = promises.zones(services, team_id=submission.team_id, case_id=subject.case_id)
    changed = promises.reschedule(
        services,
        team_id=submission.team_id,
        actor_id=submission.user_id,
        case_id=subject.case_id,
        promise_id=subject.promise_id,
        due_at=due_from(values, zones, services.clock.now()),
        note=note,
        customer_told=told,
        extension=extension,
        once=submission.once,
    )
    verb = "Extended" if extension else "Rescheduled"
    done = f"{verb} by <@{submission.user_id}> to {when(changed.promise.due_at)}."

    def after() -> None:
        submission.resolved(done)
        forecast = outlook.escalation_forecast(services, changed.case, changed.promise)
        repeat = services.policy.escalation_repeat
        submission.tell(promise_views.promise_confirmation(changed.case, changed.promise, repeat, forecast))

    return after


@form(CallbackId.RESCHEDULE, BlockId.NOTE)
def reschedule(submission: Submission) -> Callable[[], None]:
    return _new_time(submission, extension=False)


@form(CallbackId.EXTEND, BlockId.NOTE)
def extend(submission: Submission) -> Callable[[], None]:
    return _new_time(submission, extension=True)


@form(CallbackId.REASSIGN, BlockId.NEW_OWNER)
def reassign(submission: Submission) -> Callable[[], None]:
    new_owner = submission.values.user(BlockId.NEW_OWNER)
    if not new_owner:
        raise FieldError(BlockId.NEW_OWNER, "Pick who takes the case over.")
    moved = escalations.hand_over(
        submission.services,
        team_id=submission.team_id,
        actor_id=submission.user_id,
        case_id=submission.subject.case_id,
        promise_id=submission.subject.promise_id,
        new_owner_id=new_owner,
        once=submission.once,
    )
    reply = replies.case_reassigned(moved.case, moved.previous_owner, moved.open_promises)

    def after() -> None:
        submission.resolved(f"Reassigned by <@{submission.user_id}> to <@{new_owner}>.")
        submission.tell(reply)

    return after


@form(CallbackId.LOG_CONTACT, BlockId.CONTACT)
def log_contact(submission: Submission) -> Callable[[], None]:
    said = submission.values.text(BlockId.CONTACT)
    if not said:
        raise FieldError(BlockId.CONTACT, "Say what happened in the contact.")
    case = contacts.log_from_form(
        submission.services,
        team_id=submission.team_id,
        actor_id=submission.user_id,
        case_id=submission.subject.case_id,
        form_id=submission.body["view"]["id"],
        text=said,
        via=submission.values.option(BlockId.VIA),
        once=submission.once,
    )
    reply = replies.contact_logged(case)
    return lambda: submission.tell(reply)
