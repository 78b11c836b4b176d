"""The edit form of a case (handlers/views/case_forms.py), submitted: checked before its ack so
a mistake shows under its field, then applied. Registered through handlers/listeners/
submissions.py's `@form` table."""

from __future__ import annotations

from collections.abc import Callable

from bot.case_changes import CaseEdit
from bot.cases import clean_ref
from bot.errors import CaseError
from bot.flows import cases
from bot.timeparse import find_zone
from handlers.ids import BlockId, CallbackId
from handlers.listeners.form_values import FieldError
from handlers.listeners.submissions import Submission, form
from handlers.views import replies
from storage.models import CasePriority

_NUMBERS = (
    (BlockId.ACCOUNT, "account number"),
    (BlockId.ORDER, "order number"),
    (BlockId.TRACKING, "tracking number"),
)


@form(CallbackId.EDIT_CASE, BlockId.SUMMARY)
def edit_case(submission: Submission) -> Callable[[], None]:
    values = submission.values
    summary = values.text(BlockId.SUMMARY)
    if not summary:
        raise FieldError(BlockId.SUMMARY, "Say what the case is about.")
    zone = values.text(BlockId.CUSTOMER_TZ)
    if zone:
        try:
            find_zone(zone)
        except CaseError as error:
            raise FieldError(BlockId.CUSTOMER_TZ, str(error)) from None
    for block, what in _NUMBERS:
        try:
            clean_ref(values.text(block), what)
        except CaseError as error:
            raise FieldError(block, str(error)) from None
    edit = CaseEdit(
        customer=values.text(BlockId.CUSTOMER) or None,
        summary=summary,
        account_ref=values.text(BlockId.ACCOUNT) or None,
        order_ref=values.text(BlockId.ORDER) or None,
        tracking_ref=values.text(BlockId.TRACKING) or None,
        priority=CasePriority(values.option(BlockId.PRIORITY) or CasePriority.NORMAL.value),
        customer_tz=zone or None,
    )
    edited = cases.edit(
        submission.services,
        team_id=submission.team_id,
        actor_id=submission.user_id,
        case_id=submission.subject.case_id,
        edit=edit,
        once=submission.once,
    )
    reply = replies.case_edited(edited.case, edited.changes)
    return lambda: submission.tell(reply)
