"""Buttons: on the case card, on reminders, on escalations, and paging through a contact log.

Every click is acked at once (Bolt answers Slack with the ack), then handled. Past the ack
nothing may escape into Bolt: a refusal or a failure is told to the person ephemerally where
they clicked. A button that opens a modal does so straight after the ack, since a trigger_id
lives only 3 seconds. A message whose question is answered (a reminder kept, an escalation
acknowledged) is redrawn without its buttons, saying who did what, so nobody clicks twice."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.flows import cases, escalations, outlook, promises
from bot.flows.context import Once
from bot.new_times import Snooze
from handlers.ids import ActionId, Subject
from handlers.listeners.errors import answer
from handlers.listeners.redraw import mark_resolved
from handlers.services import Services
from handlers.views import cases as case_views
from handlers.views import modals, replies
from handlers.views import promises as promise_views
from handlers.views import snooze as snooze_views
from handlers.views.blocks import Message, recipient, when
from handlers.views.redraw import item_of
from storage.models import Case

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Click:
    """One click: who, in which workspace, on what, and how to answer them."""

    services: Services
    body: dict[str, Any]
    subject: Subject
    user_id: str
    team_id: str
    client: Any
    respond: Respond
    # What makes another click the same click (a double click): the button, the message it is
    # on, its value, the person.
    once: Once

    def open_modal(self, view: Any) -> None:
        self.client.views_open(trigger_id=self.body["trigger_id"], view=view)

    def warm_time_zone(self, user_id: str) -> None:
        """While the person fills in a form that asks for a time, make sure the time zone it is
        read in is known: the form is answered in its ack, which must not wait on Slack."""
        self.services.directory.time_zone(self.team_id, user_id)

    def resolved(self, note: str, *, keep_buttons: bool = False) -> None:
        """Redraw the message clicked in, without its buttons, saying who did what."""
        mark_resolved(
            self.services,
            self.team_id,
            self.subject,
            note,
            self.body.get("message"),
            keep_buttons=keep_buttons,
        )


def subject_of(body: dict[str, Any]) -> Subject:
    """The button's subject, plus where it was clicked."""
    action = body["actions"][0]
    # A button carries its subject in its value; a menu in the option chosen.
    subject = Subject.decode(action.get("value") or (action.get("selected_option") or {}).get("value"))
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return Subject(
        case_id=subject.case_id,
        promise_id=subject.promise_id,
        channel_id=channel,
        message_ts=container.get("message_ts"),
        page=subject.page,
        item=item_of(action.get("block_id")),
        due=subject.due,
        note=subject.note,
        said_when=subject.said_when,
    )


# What each button does: a function of the click that returns the reply to show, if any.
Work = Callable[[Click], Message | None]


@dataclass(frozen=True)
class Button:
    work: Work
    # Its reply takes the place of the ephemeral message clicked in.
    replace: bool
    # It opens a modal: its trigger_id lives 3 seconds, so it goes ahead of other work.
    opens_modal: bool


_BUTTONS: dict[ActionId, Button] = {}
# Two clicks on the same button of the same message this close together are one click.
DOUBLE_CLICK = timedelta(seconds=30)


def button(*actions: ActionId, replace: bool = False, opens_modal: bool = False) -> Callable[[Work], Work]:
    def wrap(work: Work) -> Work:
        for action in actions:
            _BUTTONS[action] = Button(work, replace, opens_modal)
        return work

    return wrap


def register(app: App, services: Services) -> None:
    for action, handling in _BUTTONS.items():
        _listen(app, services, action, handling)


def _listen(app: App, services: Services, action: ActionId, handling: Button) -> None:
    @app.action(action.value)
    def listener(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        # Ack at once; the work (a flow, Slack calls) goes to the after-ack pool, never here.
        ack()
        click = Click(
            services=services,
            body=body,
            subject=subject_of(body),
            user_id=body["user"]["id"],
            team_id=body["team"]["id"],
            client=client,
            respond=respond,
            once=_once(body),
        )
        queued = services.run_after_ack(
            lambda: answer(respond, lambda: handling.work(click), action.value, replace=handling.replace),
            action.value,
            urgent=handling.opens_modal,
        )
        if not queued:
            # Slack has its ack; telling the person is a Slack call, so not on this thread.
            busy = replies.busy()
            threading.Thread(target=lambda: answer(respond, lambda: busy, "busy"), daemon=True).start()


def _once(body: dict[str, Any]) -> Once:
    action = body["actions"][0]
    container = body.get("container") or {}
    where = container.get("message_ts") or container.get("view_id") or ""
    chosen = action.get("value") or (action.get("selected_option") or {}).get("value")
    value = hashlib.sha256(str(chosen).encode()).hexdigest()[:16]
    return Once(
        f"click:{body['team']['id']}:{body['user']['id']}:{action['action_id']}:{where}:{value}", DOUBLE_CLICK
    )


def _case_for_form(click: Click) -> Case:
    """The open case a form is about; when the button names a promise, that promise must still
    be open too (a stale button is refused before any form opens)."""
    if click.subject.promise_id is not None:
        return promises.open_promise(
            click.services,
            team_id=click.team_id,
            case_id=click.subject.case_id,
            promise_id=click.subject.promise_id,
        ).case
    return cases.open_for_form(click.services, team_id=click.team_id, case_id=click.subject.case_id)


def _promise_id(click: Click) -> int:
    assert click.subject.promise_id is not None, "this button names a promise"
    return click.subject.promise_id


# -- the case card -------------------------------------------------------------------------


@button(ActionId.CARD_LOG_CONTACT, opens_modal=True)
def log_contact(click: Click) -> None:
    case = _case_for_form(click)
    click.open_modal(modals.log_contact_view(case, click.subject))


@button(ActionId.CARD_PROMISE, opens_modal=True)
def make_promise(click: Click) -> None:
    case = _case_for_form(click)
    click.open_modal(modals.promise_view(case, click.subject))
    click.warm_time_zone(case.owner_id)


@button(ActionId.RECORD_OFFERED_PROMISE, opens_modal=True, replace=True)
def record_offered_promise(click: Click) -> Message:
    """A thread reply that read like a promise: the promise form, filled in with what and when
    as read, to check and record. The offer gives way to a note, so it can't open two forms."""
    what, said_when = click.subject.note or "", click.subject.said_when or ""
    case = _case_for_form(click)
    about = replace(click.subject, note=None, said_when=None)
    click.open_modal(modals.promise_view(case, about, what=what, said_when=said_when))
    click.warm_time_zone(case.owner_id)
    return promise_views.promise_form_opened(what, said_when)


@button(ActionId.CARD_DONE)
def card_done(click: Click) -> Message:
    kept = promises.keep(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=click.subject.promise_id,
        once=click.once,
    )
    return promise_views.promise_kept(kept.case, kept.promise)


# -- reminders -----------------------------------------------------------------------------


@button(ActionId.REMINDER_DONE)
def reminder_done(click: Click) -> None:
    kept = promises.keep(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=click.subject.promise_id,
        once=click.once,
    )
    click.resolved(promise_views.promise_kept(kept.case, kept.promise).text)


@button(ActionId.REMINDER_RESCHEDULE, opens_modal=True)
def reschedule(click: Click) -> None:
    held = promises.open_promise(
        click.services, team_id=click.team_id, case_id=click.subject.case_id, promise_id=_promise_id(click)
    )
    click.open_modal(modals.reschedule_view(held.case, held.promise, click.subject, extension=False))
    click.warm_time_zone(held.case.owner_id)


@button(ActionId.REMINDER_SNOOZE)
def snooze(click: Click) -> None:
    held = promises.snooze(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=_promise_id(click),
        # A menu of how long (an older message's button, 15 minutes).
        choice=Snooze(click.subject.note or Snooze.MINUTES_15.value),
        once=click.once,
    )
    click.resolved(snooze_views.snoozed(held), keep_buttons=True)


@button(ActionId.REMINDER_ESCALATE)
def escalate_now(click: Click) -> Message:
    escalated = escalations.escalate_now(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=_promise_id(click),
        once=click.once,
    )
    return replies.escalated_now(escalated.case, recipient(escalated.to, escalated.case))


# -- a promise that looked tight -------------------------------------------------------------


@button(ActionId.USE_SAFER_TIME, replace=True)
def use_safer_time(click: Click) -> Message:
    moved = promises.use_safer_time(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=_promise_id(click),
        once=click.once,
    )
    # The confirmation is redrawn with the new plan, and no longer asks.
    forecast = outlook.escalation_forecast(click.services, moved.case, moved.promise)
    plan = promise_views.promise_confirmation(
        moved.case, moved.promise, click.services.policy.escalation_repeat, forecast
    )
    taken = promise_views.safer_time_taken(moved.case, moved.promise)
    return Message(text=f"{taken.text} {plan.text}", blocks=[*taken.blocks, *plan.blocks])


# -- escalations ---------------------------------------------------------------------------


@button(ActionId.ESCALATION_ACKNOWLEDGE)
def acknowledge(click: Click) -> None:
    acknowledged = escalations.acknowledge(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=_promise_id(click),
        once=click.once,
    )
    at = when(click.services.clock.now(), "{time}")
    click.resolved(
        f"Acknowledged by <@{click.user_id}> at {at}: seen, and <@{acknowledged.owner_id}> still owns it"
        " (they were told)."
    )


@button(ActionId.ESCALATION_TAKE_OVER)
def take_over(click: Click) -> Message:
    moved = escalations.hand_over(
        click.services,
        team_id=click.team_id,
        actor_id=click.user_id,
        case_id=click.subject.case_id,
        promise_id=click.subject.promise_id,
        new_owner_id=click.user_id,
        once=click.once,
    )
    at = when(click.services.clock.now(), "{time}")
    click.resolved(
        f"Taken over by <@{click.user_id}> at {at}: {moved.case.ref} is theirs now"
        f" (<@{moved.previous_owner}> was told)."
    )
    return replies.case_reassigned(moved.case, moved.previous_owner, moved.open_promises)


@button(ActionId.ESCALATION_REASSIGN, opens_modal=True)
def reassign(click: Click) -> None:
    case = _case_for_form(click)
    click.open_modal(modals.reassign_view(case, click.subject))


@button(ActionId.ESCALATION_EXTEND, opens_modal=True)
def extend(click: Click) -> None:
    held = promises.open_to_extend(
        click.services,
        team_id=click.team_id,
        case_id=click.subject.case_id,
        promise_id=_promise_id(click),
        actor_id=click.user_id,
    )
    click.open_modal(modals.reschedule_view(held.case, held.promise, click.subject, extension=True))
    click.warm_time_zone(held.case.owner_id)


# -- paging --------------------------------------------------------------------------------


@button(ActionId.CONTACTS_OLDER, ActionId.CONTACTS_NEWER, replace=True)
def page(click: Click) -> Message:
    # Checked again at each page: whoever clicks must still be allowed to read it.
    shown = cases.show(
        click.services, team_id=click.team_id, case_id=click.subject.case_id, viewer_id=click.user_id
    )
    return case_views.case_details(shown.case, click.services.clock.now(), page=click.subject.page or 0)
