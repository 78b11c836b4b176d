"""Every action_id / callback_id / block_id, as stable strings: renaming a Python name must never
break a button or modal on a message Slack still shows. Buttons and modals carry their subject
(the case, and the promise when there is one) in `value` / `private_metadata` as `Subject`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class CallbackId(StrEnum):
    OPEN_CASE = "casekeeper.open_case"
    MAKE_PROMISE = "casekeeper.make_promise"
    CLOSE_CASE = "casekeeper.close_case"
    RESCHEDULE = "casekeeper.reschedule"
    EXTEND = "casekeeper.extend"
    REASSIGN = "casekeeper.reassign"
    LOG_CONTACT = "casekeeper.log_contact"
    EDIT_CASE = "casekeeper.edit_case"


class BlockId(StrEnum):
    CUSTOMER = "customer"
    SUMMARY = "summary"
    ACCOUNT = "account"
    ORDER = "order"
    TRACKING = "tracking"
    CUSTOMER_TZ = "customer_tz"
    PRIORITY = "priority"
    VIA = "via"
    WHEN_DATE = "when_date"
    WHEN_TIME = "when_time"
    WHEN_TEXT = "when_text"
    WHAT = "what"
    RESOLUTION = "resolution"
    RECURRENCE = "recurrence"
    CATEGORY = "category"
    NOTE = "note"
    TOLD = "told"
    NEW_OWNER = "new_owner"
    CONTACT = "contact"
    # Blocks that carry buttons.
    CARD_ACTIONS = "case_actions"
    REMINDER_ACTIONS = "reminder_actions"
    ESCALATION_ACTIONS = "escalation_actions"
    PAGE_ACTIONS = "page_actions"
    ADVICE_ACTIONS = "advice_actions"
    MANAGER_REQUEST_ACTIONS = "manager_request_actions"
    # A question about a promise: which one, did the customer hear of it.
    QUESTION_ACTIONS = "question_actions"
    # A thread reply that reads like a promise: record it?
    PROMISE_OFFER_ACTIONS = "promise_offer_actions"


# The close form's question about each open promise: FATE_PREFIX + the promise id.
FATE_PREFIX = "fate."
# The chooser's row for each promise: CHOICE_PREFIX + the promise id.
CHOICE_PREFIX = "choice."


class ActionId(StrEnum):
    # Inputs inside modals.
    CUSTOMER = "customer_input"
    SUMMARY = "summary_input"
    ACCOUNT = "account_input"
    ORDER = "order_input"
    TRACKING = "tracking_input"
    CUSTOMER_TZ = "customer_tz_input"
    PRIORITY = "priority_input"
    VIA = "via_input"
    WHEN_DATE = "when_date_input"
    WHEN_TIME = "when_time_input"
    WHEN_TEXT = "when_text_input"
    WHAT = "what_input"
    RESOLUTION = "resolution_input"
    RECURRENCE = "recurrence_input"
    CATEGORY = "category_input"
    NOTE = "note_input"
    TOLD = "told_input"
    NEW_OWNER = "new_owner_input"
    CONTACT = "contact_input"
    FATE = "fate_input"
    # Buttons on the case card.
    CARD_LOG_CONTACT = "case.log_contact"
    CARD_PROMISE = "case.promise"
    CARD_DONE = "case.done"
    CARD_CLOSE = "case.close"
    CARD_EDIT = "case.edit"
    # Buttons on a reminder.
    REMINDER_DONE = "reminder.done"
    REMINDER_RESCHEDULE = "reminder.reschedule"
    REMINDER_SNOOZE = "reminder.snooze"
    REMINDER_ESCALATE = "reminder.escalate_now"
    # Buttons on an escalation.
    ESCALATION_ACKNOWLEDGE = "escalation.acknowledge"
    ESCALATION_TAKE_OVER = "escalation.take_over"
    ESCALATION_REASSIGN = "escalation.reassign"
    ESCALATION_EXTEND = "escalation.extend"
    # Paging through a long contact log (`/case show`).
    # (Two ids: action_ids must be unique within their block.)
    CONTACTS_OLDER = "case.contacts_older"
    CONTACTS_NEWER = "case.contacts_newer"

    # The confirmation of a promise that looks tight (bot/hygiene.py).
    USE_SAFER_TIME = "promise.use_safer_time"

    # The DM asking someone to be a person's manager (bot/managers.py); the value is the
    # request's id, not a Subject: it is about no case.
    MANAGER_ACCEPT = "manager.accept"
    MANAGER_DECLINE = "manager.decline"

    # Several promises open and the request didn't say which: one button per promise.
    PICK_TO_KEEP = "promise.pick_to_keep"
    PICK_TO_CANCEL = "promise.pick_to_cancel"
    PICK_TO_RESCHEDULE = "promise.pick_to_reschedule"
    # Does the customer know? A new time or a cancellation goes ahead only once they do.
    RESCHEDULE_TOLD = "promise.reschedule_told"
    RESCHEDULE_NOT_YET = "promise.reschedule_not_yet"
    CANCEL_TOLD = "promise.cancel_told"
    CANCEL_NOT_YET = "promise.cancel_not_yet"
    # Closing a case with open promises from the command: opens the close form.
    CLOSE_WITH_PROMISES = "case.close_with_promises"
    # A thread reply that reads like a promise ("I'll call you back by 3pm"): opens the promise
    # form with what and when as read (Subject.note, Subject.said_when).
    RECORD_OFFERED_PROMISE = "reply.record_as_promise"


@dataclass(frozen=True)
class Subject:
    """What a button or modal is about, and where to answer."""

    case_id: int
    promise_id: int | None = None
    # Where the person clicked (to answer them there), and the message to redraw, if any.
    channel_id: str | None = None
    message_ts: str | None = None
    page: int | None = None
    # Which item of a catch-up summary was clicked (handlers/views/catch_up.py), so only it is redrawn.
    item: str | None = None
    # A request waiting for an answer (a new time, a reason), carried on its buttons: the new
    # due time (epoch seconds) and the note or reason as typed.
    due: int | None = None
    note: str | None = None
    # A time as someone wrote it ("tomorrow 3pm"), to fill in a form with.
    said_when: str | None = None

    def encode(self) -> str:
        # Not ASCII-escaped: Slack counts characters, and a note in Greek would be six times longer.
        return json.dumps(
            {k: v for k, v in asdict(self).items() if v is not None},
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @classmethod
    def decode(cls, raw: str | None) -> Subject:
        data: dict[str, Any] = json.loads(raw or "{}")
        return cls(
            case_id=int(data["case_id"]),
            promise_id=int(data["promise_id"]) if data.get("promise_id") is not None else None,
            channel_id=data.get("channel_id"),
            message_ts=data.get("message_ts"),
            page=int(data["page"]) if data.get("page") is not None else None,
            item=data.get("item"),
            due=int(data["due"]) if data.get("due") is not None else None,
            note=str(data["note"]) if data.get("note") is not None else None,
            said_when=str(data["said_when"]) if data.get("said_when") is not None else None,
        )
