"""Buttons that answer a question about a promise (handlers/views/questions.py): which one was
meant, and whether the customer knows; and the buttons that open the case's edit and close forms
with what they need. Registered through handlers/listeners/actions.py's `@button` table."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.errors import CaseError
from bot.flows import cases, outlook, promises
from handlers.ids import ActionId, Subject
from handlers.listeners.actions import Click, button
from handlers.views import case_forms, modals, questions
from handlers.views import promises as promise_views
from handlers.views.blocks import Message


def _promise_id(click: Click) -> int:
    assert click.subject.promise_id is not None, "this button names a promise"
    return click.subject.promise_id


def _note(click: Click) -> str:
    return click.subject.note or ""


def _due(click: Click) -> datetime:
    assert click.subject.due is not None, "this button carries the new time"
    return datetime.fromtimestamp(click.subject.due, UTC)


# -- which promise --------------------------------------------------------------------------


@button(ActionId.PICK_TO_KEEP, replace=True)
def pick_to_keep(click: Click) -> Message:
    kept = promises.keep(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=_promise_id(click),
        once=click.once,
    )
    return promise_views.promise_kept(kept.case, kept.promise)


@button(ActionId.PICK_TO_CANCEL, replace=True)
def pick_to_cancel(click: Click) -> Message:
    held = promises.ask_cancel(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=_promise_id(click),
        reason=_note(click),
    )
    promise = held.promise
    return questions.cancel_question(
        held.case.id, held.case.ref, promise.id, promise.description, promise.due_at, _note(click)
    )


@button(ActionId.PICK_TO_RESCHEDULE, replace=True)
def pick_to_reschedule(click: Click) -> Message:
    asked = promises.ask_reschedule(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=_promise_id(click),
        due_at=_due(click),
        note=_note(click),
    )
    promise = asked.promise
    return questions.new_time_question(
        asked.case.id,
        asked.case.ref,
        promise.id,
        promise.description,
        promise.due_at,
        asked.due_at,
        _note(click),
    )


# -- does the customer know? ---------------------------------------------------------------------


@button(ActionId.RESCHEDULE_TOLD, replace=True)
def customer_knows_the_new_time(click: Click) -> Message:
    changed = promises.reschedule(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=_promise_id(click),
        due_at=_due(click),
        note=_note(click),
        customer_told=True,
        extension=False,
        once=click.once,
    )
    repeat = click.services.policy.escalation_repeat
    forecast = outlook.escalation_forecast(click.services, changed.case, changed.promise)
    return promise_views.promise_rescheduled(changed.case, changed.promise, repeat, forecast)


@button(ActionId.CANCEL_TOLD, replace=True)
def customer_knows_it_is_off(click: Click) -> Message:
    cancelled = promises.cancel(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=_promise_id(click),
        reason=_note(click),
        customer_told=True,
        once=click.once,
    )
    return promise_views.promise_cancelled(cancelled.case, cancelled.promise)


@button(ActionId.RESCHEDULE_NOT_YET, replace=True)
def new_time_not_told_yet(click: Click) -> Message:
    return questions.not_yet(_carried(click), cancelling=False)


@button(ActionId.CANCEL_NOT_YET, replace=True)
def cancel_not_told_yet(click: Click) -> Message:
    return questions.not_yet(_carried(click), cancelling=True)


def _carried(click: Click) -> Subject:
    """The request the question carries, without where it was clicked."""
    subject = click.subject
    return Subject(case_id=subject.case_id, promise_id=subject.promise_id, due=subject.due, note=subject.note)


# -- forms about the whole case --------------------------------------------------------------------


@button(ActionId.CARD_EDIT, opens_modal=True)
def edit(click: Click) -> None:
    case = cases.for_edit(
        click.services, team_id=click.team_id, actor_id=click.user_id, case_id=click.subject.case_id
    )
    click.open_modal(case_forms.edit_view(case, click.subject))


@button(ActionId.CARD_CLOSE, ActionId.CLOSE_WITH_PROMISES, opens_modal=True)
def close(click: Click) -> None:
    """The close form, asking what became of each promise still open."""
    case, open_now = cases.closing_form(
        click.services, team_id=click.team_id, actor_id=click.user_id, case_id=click.subject.case_id
    )
    too_many = case_forms.too_many_open(case, open_now)
    if too_many:
        raise CaseError(too_many)
    click.open_modal(modals.close_view(case, click.subject, case_forms.fate_blocks(open_now)))
