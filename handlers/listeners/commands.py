"""`/case …`: parse, ack at once, then call a flow and answer ephemerally.

Bolt returns the HTTP response as soon as ack() is called, so everything after it (the
database, users.info, posting the card) is outside Slack's 3 seconds, on the after-ack pool.
Syntax errors and help are answered in the ack itself: instant and ephemeral."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, BoltRequest, Respond

from bot.closing import OpenPromises
from bot.delivery.outcomes import Dead, Retry, Sent
from bot.errors import CaseError
from bot.flows import cases, dashboard, outlook, promises, reports, team
from bot.flows.context import Once
from bot.promises import WhichPromise
from handlers.ids import Subject
from handlers.listeners.asked import Asked, in_private_channel
from handlers.listeners.errors import answer, ephemeral, message_for
from handlers.listeners.questions import ask_cancel, ask_reschedule
from handlers.parse import (
    CancelPromise,
    CaseRequest,
    CloseCase,
    EditCase,
    FindCases,
    Help,
    KeepPromise,
    ListCases,
    MakePromise,
    OpenCase,
    OpenCaseModal,
    OpenDashboard,
    ReassignCase,
    ReopenCase,
    ReschedulePromise,
    SetCustomerZone,
    SetDigest,
    SetHours,
    SetManager,
    SetTeamManager,
    ShowCase,
    ShowReport,
    parse_case_command,
)
from handlers.services import Services
from handlers.views import case_forms, modals, questions, replies, report, search
from handlers.views import cases as case_views
from handlers.views import promises as promise_views
from handlers.views import team as team_views
from handlers.views.blocks import Message
from handlers.views.dashboard_link import NO_ADDRESS, link_reply, site_address
from handlers.views.modals import open_case_view

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.command("/case")
    def case_command(
        ack: Ack, command: dict[str, Any], respond: Respond, client: Any, request: BoltRequest
    ) -> None:
        try:
            parsed = parse_case_command(command.get("text", ""))
        except CaseError as error:
            ack(**ephemeral(replies.error_message(str(error))))
            return
        if isinstance(parsed, Help):
            ack(**ephemeral(replies.help_message()))
            return
        if isinstance(parsed, OpenCaseModal):
            # Ahead of other queued work: the trigger_id is good for 3 seconds only.
            queued = services.run_after_ack(lambda: _open_form(client, command, respond), "form", urgent=True)
        else:
            asked = Asked(
                services, command, once=_once(parsed, command), client=client, headers=request.headers
            )
            what = type(parsed).__name__
            queued = services.run_after_ack(
                lambda: answer(respond, lambda: run(parsed, asked), what),
                what,
                # These may open a form, whose trigger_id is good for 3 seconds only.
                urgent=isinstance(parsed, MAY_OPEN_A_FORM),
            )
        # The work may start a moment before Slack has the ack: it answers through response_url,
        # which Slack takes from the moment the command was sent.
        if queued:
            ack()
        else:
            ack(**ephemeral(replies.busy()))


# Commands that make something new, which a person might send again after an error they saw:
# the same words from the same person in the same channel within this window are done once.
# The others are safe to repeat (a second `done` finds nothing open, a second `close` a closed
# case) or read only.
REPEATS = (OpenCase, MakePromise)
REPEAT_WINDOW = timedelta(minutes=2)


def _once(request: CaseRequest, command: dict[str, Any]) -> Once | None:
    if not isinstance(request, REPEATS):
        return None
    words = hashlib.sha256(" ".join(command.get("text", "").split()).encode()).hexdigest()[:24]
    who = f"{command['team_id']}:{command['user_id']}:{command['channel_id']}"
    return Once(f"command:{who}:{words}", REPEAT_WINDOW)


def _open_form(client: Any, command: dict[str, Any], respond: Respond) -> None:
    try:
        view = open_case_view(command["channel_id"], private=in_private_channel(command))
        client.views_open(trigger_id=command["trigger_id"], view=view)
    except Exception as error:
        refusal = replies.error_message(message_for(error))
        answer(respond, lambda: refusal, "OpenCaseModal")


# Subcommands that may answer with a form (edit; close with promises open).
MAY_OPEN_A_FORM = (EditCase, CloseCase)


def run(request: CaseRequest, asked: Asked) -> Message | None:
    """Carry out one subcommand: its flow, then its reply."""
    handler = _SUBCOMMANDS.get(type(request))
    if handler is None:
        raise AssertionError(f"unhandled request {request!r}")
    return handler(request, asked)


def _open(request: OpenCase, asked: Asked) -> Message:
    opened = cases.open_case(
        asked.services,
        team_id=asked.team_id,
        owner_id=asked.actor_id,
        channel_id=asked.channel_id,
        customer=request.customer,
        summary=request.summary,
        once=asked.once,
        private=asked.private_channel,
    )
    return card_outcome(opened)


def card_outcome(opened: cases.Opened) -> Message:
    """What became of the case card, said to whoever opened the case."""
    if isinstance(opened.card, Dead):
        return replies.card_refused(opened.case, opened.card.error)
    if isinstance(opened.card, Retry):
        return replies.card_delayed(opened.case)
    if not isinstance(opened.card, Sent):
        # Another dispatcher took the card first; it will post it.
        log.info("case.card_left_to_dispatcher case_id=%s", opened.case.id)
    return replies.case_opened(opened.case)


def _promise(request: MakePromise, asked: Asked) -> Message:
    made = promises.make(
        asked.services,
        team_id=asked.team_id,
        actor_id=asked.actor_id,
        case_id=request.case_id,
        when=request.when,
        what=request.what,
        once=asked.once,
    )
    repeat = asked.services.policy.escalation_repeat
    forecast = outlook.escalation_forecast(asked.services, made.case, made.promise)
    return promise_views.promise_confirmation(made.case, made.promise, repeat, forecast, made.advice)


def _keep(request: KeepPromise, asked: Asked) -> Message:
    try:
        kept = promises.keep(
            asked.services, team_id=asked.team_id, actor_id=asked.actor_id, case_id=request.case_id
        )
    except WhichPromise as which:
        return questions.which_promise(
            which.choices, which.intent, case_id=which.case_id, case_ref=which.case_ref
        )
    return promise_views.promise_kept(kept.case, kept.promise)


def _cancel(request: CancelPromise, asked: Asked) -> Message:
    return ask_cancel(asked.services, asked.team_id, asked.actor_id, request.case_id, request.reason)


def _reschedule(request: ReschedulePromise, asked: Asked) -> Message:
    return ask_reschedule(
        asked.services, asked.team_id, asked.actor_id, request.case_id, request.when, request.note
    )


def _close(request: CloseCase, asked: Asked) -> Message | None:
    try:
        closed = cases.close(
            asked.services,
            team_id=asked.team_id,
            actor_id=asked.actor_id,
            case_id=request.case_id,
            note=request.note,
        )
    except OpenPromises as still_open:
        # Ask what became of each promise, in the close form (with the note typed already).
        case, open_now = cases.closing_form(
            asked.services, team_id=asked.team_id, actor_id=asked.actor_id, case_id=request.case_id
        )
        too_many = case_forms.too_many_open(case, open_now)
        if too_many:
            raise CaseError(too_many) from None
        subject = Subject(case_id=case.id, channel_id=asked.channel_id)
        view = modals.close_view(case, subject, case_forms.fate_blocks(open_now), note=request.note)
        if asked.open_form(view):
            return None
        return replies.close_asks(still_open.case_ref, still_open.case_id, len(still_open.choices))
    return replies.case_closed(closed)


def _edit(request: EditCase, asked: Asked) -> Message | None:
    case = cases.for_edit(
        asked.services, team_id=asked.team_id, actor_id=asked.actor_id, case_id=request.case_id
    )
    if asked.open_form(case_forms.edit_view(case, Subject(case_id=case.id, channel_id=asked.channel_id))):
        return None
    raise CaseError(
        f"Slack didn't open the form in time; try again, or use the Edit button on {case.ref}'s card."
    )


def _reopen(request: ReopenCase, asked: Asked) -> Message:
    case = cases.reopen(
        asked.services,
        team_id=asked.team_id,
        actor_id=asked.actor_id,
        case_id=request.case_id,
        why=request.why,
    )
    return replies.case_reopened(case)


def _reassign(request: ReassignCase, asked: Asked) -> Message:
    moved = cases.reassign(
        asked.services,
        team_id=asked.team_id,
        actor_id=asked.actor_id,
        case_id=request.case_id,
        new_owner_id=request.new_owner_id,
    )
    return replies.case_reassigned(moved.case, moved.previous_owner, moved.open_promises)


def _show(request: ShowCase, asked: Asked) -> Message:
    shown = cases.show(
        asked.services, team_id=asked.team_id, case_id=request.case_id, viewer_id=asked.actor_id
    )
    return search.with_history(case_views.case_details(shown.case, asked.services.clock.now()), shown.earlier)


def _find(request: FindCases, asked: Asked) -> Message:
    found = cases.find(asked.services, team_id=asked.team_id, text=request.text, viewer_id=asked.actor_id)
    return search.results(found)


def _list(_request: ListCases, asked: Asked) -> Message:
    mine = cases.open_cases_of(asked.services, team_id=asked.team_id, owner_id=asked.actor_id)
    return case_views.case_list(mine, asked.services.clock.now())


def _manager(request: SetManager, asked: Asked) -> Message:
    if request.manager_id is None:
        return team_views.manager_is(
            team.manager_of(asked.services, team_id=asked.team_id, user_id=asked.actor_id)
        )
    change = team.set_manager(
        asked.services, team_id=asked.team_id, user_id=asked.actor_id, manager_id=request.manager_id
    )
    if change.requested_id is None:
        # An admin's own choice is in force at once.
        return team_views.manager_assigned(change, asked.actor_id)
    return team_views.manager_requested(change)


def _team_manager(request: SetTeamManager, asked: Asked) -> Message:
    change = team.assign_manager(
        asked.services,
        team_id=asked.team_id,
        actor_id=asked.actor_id,
        user_id=request.user_id,
        manager_id=request.manager_id,
    )
    return team_views.manager_assigned(change, asked.actor_id)


def _hours(request: SetHours, asked: Asked) -> Message:
    if request.hours is None:
        now = team.working_hours(asked.services, team_id=asked.team_id, user_id=asked.actor_id)
        return replies.working_hours_are(now.hours, own=now.own)
    chosen = team.set_working_hours(
        asked.services, team_id=asked.team_id, user_id=asked.actor_id, hours=request.hours
    )
    return replies.working_hours_set(chosen.hours, own=chosen.own)


def _customer_zone(request: SetCustomerZone, asked: Asked) -> Message:
    case = cases.customer_zone(
        asked.services,
        team_id=asked.team_id,
        actor_id=asked.actor_id,
        case_id=request.case_id,
        zone=request.zone,
    )
    return replies.customer_zone_is(case, asked.services.clock.now())


def _report(request: ShowReport, asked: Asked) -> Message:
    built, window = reports.report_for(
        asked.services, team_id=asked.team_id, viewer_id=asked.actor_id, period=request.period
    )
    return report.report_message(built, viewer=asked.actor_id, title=f"Report, {window}")


def _digest(request: SetDigest, asked: Asked) -> Message:
    if request.schedule is None:
        current = team.digest(asked.services, team_id=asked.team_id, user_id=asked.actor_id)
        return report.digest_is(current.schedule, own=current.own, manages=current.manages)
    chosen = team.set_digest(
        asked.services, team_id=asked.team_id, user_id=asked.actor_id, schedule=request.schedule
    )
    return report.digest_set(chosen.schedule, own=chosen.own)


def _dashboard(_request: OpenDashboard, asked: Asked) -> Message:
    address = site_address(asked.headers, asked.services.public_url)
    if address is None:
        raise CaseError(NO_ADDRESS)
    token = dashboard.new_link(asked.services, team_id=asked.team_id, user_id=asked.actor_id)
    return link_reply(address, token)


_SUBCOMMANDS: dict[type, Callable[[Any, Asked], Message | None]] = {
    OpenCase: _open,
    MakePromise: _promise,
    KeepPromise: _keep,
    CancelPromise: _cancel,
    ReschedulePromise: _reschedule,
    EditCase: _edit,
    ReopenCase: _reopen,
    CloseCase: _close,
    ReassignCase: _reassign,
    ShowCase: _show,
    FindCases: _find,
    ListCases: _list,
    SetManager: _manager,
    SetTeamManager: _team_manager,
    SetHours: _hours,
    SetCustomerZone: _customer_zone,
    ShowReport: _report,
    SetDigest: _digest,
    OpenDashboard: _dashboard,
}
