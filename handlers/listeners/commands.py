"""`/case …`: parse, ack at once, then call the domain and answer ephemerally.

Bolt runs the listener on its executor and returns the HTTP response as soon as ack() is
called, so everything after ack() (database, users.info, posting the card) is outside
Slack's 3 seconds. Syntax errors are answered in the ack itself: instant and ephemeral."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from bot import authz, cases, customers, promises, recurring, workhours
from bot.delivery.dispatcher import Dead, Retry, Sent
from bot.errors import CaseError
from bot.timeparse import parse_when
from handlers.listeners import digest, errors, reports
from handlers.listeners import submissions as modals
from handlers.outbound import people
from handlers.parse import (
    CaseRequest,
    CloseCase,
    FindCases,
    Help,
    KeepPromise,
    ListCases,
    MakePromise,
    OpenCase,
    OpenCaseModal,
    ReassignCase,
    SetCustomerZone,
    SetDigest,
    SetHours,
    SetManager,
    ShowCase,
    ShowReport,
    parse_case_command,
)
from handlers.services import Services
from handlers.views import blocks as render
from handlers.views import search as search_view
from storage import queries
from storage.models import Case, Promise, Recurrence

log = logging.getLogger(__name__)


def ephemeral(message: render.Message) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": message.text, "blocks": message.blocks}


def register(app: App, services: Services) -> None:
    @app.command("/case")
    def case_command(ack: Ack, command: dict[str, Any], respond: Respond, client: Any) -> None:
        try:
            request = parse_case_command(command.get("text", ""))
        except CaseError as error:
            ack(**ephemeral(render.error_message(str(error))))
            return
        if isinstance(request, Help):
            ack(**ephemeral(render.help_message()))
            return
        ack()
        if isinstance(request, OpenCaseModal):
            # Now, not after queued work: the trigger_id is good for 3 seconds only.
            _open_form(client, command, respond)
            return
        services.run_after_ack(lambda: _carry_out(request, command, respond), "command")

    def _open_form(client: Any, command: dict[str, Any], respond: Respond) -> None:
        try:
            modals.open_case_modal(client, command["trigger_id"], command["channel_id"])
        except Exception as error:
            _answer(respond, render.error_message(errors.message_for(error)), "OpenCaseModal")

    def _carry_out(request: CaseRequest, command: dict[str, Any], respond: Respond) -> None:
        # Nothing may escape: the command is acknowledged, and the person must hear the outcome.
        try:
            reply = run(
                request,
                services,
                team_id=command["team_id"],
                actor_id=command["user_id"],
                channel_id=command["channel_id"],
            )
        except Exception as error:
            reply = render.error_message(errors.message_for(error))
        _answer(respond, reply, request.__class__.__name__)

    def _answer(respond: Respond, reply: render.Message, subcommand: str) -> None:
        try:
            respond(**ephemeral(reply), replace_original=False)
        except Exception:  # response_url expired or unreachable: the work itself is done
            log.warning("command.reply_failed subcommand=%s", subcommand, exc_info=True)


def run(
    request: CaseRequest, services: Services, *, team_id: str, actor_id: str, channel_id: str
) -> render.Message:
    if isinstance(request, OpenCase):
        return open_case(
            services,
            team_id=team_id,
            owner_id=actor_id,
            channel_id=channel_id,
            customer=request.customer,
            summary=request.summary,
        )
    if isinstance(request, MakePromise):
        return make_promise(
            services,
            team_id=team_id,
            actor_id=actor_id,
            case_id=request.case_id,
            when=request.when,
            what=request.what,
        )
    if isinstance(request, ReassignCase):
        return reassign(services, team_id=team_id, actor_id=actor_id, request=request)
    if isinstance(request, KeepPromise):
        return keep(services, team_id=team_id, actor_id=actor_id, case_id=request.case_id)
    if isinstance(request, CloseCase):
        return close(services, team_id=team_id, actor_id=actor_id, case_id=request.case_id, note=request.note)
    if isinstance(request, SetHours):
        return set_hours(services, team_id=team_id, actor_id=actor_id, hours=request.hours)
    if isinstance(request, SetCustomerZone):
        return customer_zone(services, team_id=team_id, actor_id=actor_id, request=request)
    if isinstance(request, ShowReport):
        return reports.show(services, team_id=team_id, actor_id=actor_id, period=request.period)
    if isinstance(request, SetDigest):
        return digest.setting(services, team_id=team_id, actor_id=actor_id, schedule=request.schedule)
    now = services.clock.now()
    with services.db.transaction() as session:
        if isinstance(request, ShowCase):
            cases.find_case(session, team_id, request.case_id)
            detailed = queries.case_with_history(session, team_id, request.case_id)
            assert detailed is not None
            earlier = customers.history(session, detailed, now)
            return search_view.with_history(render.case_details(detailed, now), earlier)
        if isinstance(request, FindCases):
            return search_view.results(customers.find(session, team_id, request.text))
        if isinstance(request, SetManager):
            if request.manager_id is None:
                link = queries.manager_of(session, team_id, actor_id)
                return render.manager_is(link.manager_id if link else None)
            cases.set_manager(
                session, team_id=team_id, user_id=actor_id, manager_id=request.manager_id, now=now
            )
            return render.manager_set(request.manager_id)
        if isinstance(request, ListCases):
            return render.case_list(queries.open_cases_of(session, team_id, actor_id), now)
    raise AssertionError(f"unhandled request {request!r}")


def keep(
    services: Services, *, team_id: str, actor_id: str, case_id: int, promise_id: int | None = None
) -> render.Message:
    with services.db.transaction() as session:
        case = cases.find_case(session, team_id, case_id)
        promise = promises.keep_promise(
            session,
            case=case,
            actor_id=actor_id,
            now=services.clock.now(),
            admins=services.settings.admins,
            promise_id=promise_id,
        )
        reply = render.promise_kept(case, promise)
    services.dispatcher.deliver_now([cases.card_update_key(case)])
    return reply


def close(
    services: Services,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    note: str,
    recurrence: Recurrence | None = None,
    category: str | None = None,
) -> render.Message:
    with services.db.transaction() as session:
        case = cases.find_case(session, team_id, case_id)
        cases.close_case(
            session,
            case=case,
            actor_id=actor_id,
            note=note,
            now=services.clock.now(),
            admins=services.settings.admins,
            recurrence=recurrence,
            category=category,
        )
        flags = recurring.check(
            session, case, services.clock.now(), escalation_channel=services.settings.escalation_channel
        )
        reply = render.case_closed(case)
    services.dispatcher.deliver_now([cases.card_update_key(case), *flags])
    return reply


def set_hours(services: Services, *, team_id: str, actor_id: str, hours: str | None) -> render.Message:
    default = services.settings.working_hours
    if hours is None:
        with services.db.transaction() as session:
            current = people.working_hours(session, team_id, actor_id, default)
        return render.working_hours_are(str(current), own=str(current) != str(default))
    if hours == "default":
        chosen = None
    else:
        try:
            chosen = str(workhours.parse(hours))
        except workhours.WorkingHoursError as error:
            raise CaseError(str(error)) from None
    with services.db.transaction() as session:
        cases.set_working_hours(
            session, team_id=team_id, user_id=actor_id, hours=chosen, now=services.clock.now()
        )
    return render.working_hours_set(chosen or str(default), own=chosen is not None)


def customer_zone(
    services: Services, *, team_id: str, actor_id: str, request: SetCustomerZone
) -> render.Message:
    with services.db.transaction() as session:
        case = cases.find_case(session, team_id, request.case_id)
        if request.zone is None:
            return render.customer_zone_is(case, services.clock.now())
        cases.set_customer_zone(
            session,
            case=case,
            zone_text=request.zone,
            actor_id=actor_id,
            now=services.clock.now(),
            admins=services.settings.admins,
        )
        reply = render.customer_zone_is(case, services.clock.now())
    services.dispatcher.deliver_now([cases.card_update_key(case)])
    return reply


def reassign(services: Services, *, team_id: str, actor_id: str, request: ReassignCase) -> render.Message:
    with services.db.transaction() as session:
        case = cases.find_case(session, team_id, request.case_id)
        previous = case.owner_id
        send_now = promises.reassign_case(
            session,
            case=case,
            actor_id=actor_id,
            new_owner_id=request.new_owner_id,
            now=services.clock.now(),
            admins=services.settings.admins,
            repeat=services.settings.escalation_repeat,
            escalation_channel=services.settings.escalation_channel,
        )
        reply = render.case_reassigned(case, previous, len(queries.open_promises(session, case.id)))
    services.dispatcher.deliver_now(send_now)
    return reply


def open_case(
    services: Services,
    *,
    team_id: str,
    owner_id: str,
    channel_id: str,
    customer: str | None,
    summary: str,
    details: cases.CaseDetails | None = None,
) -> render.Message:
    with services.db.transaction() as session:
        case, card_key = cases.open_case(
            session,
            team_id=team_id,
            channel_id=channel_id,
            owner_id=owner_id,
            customer=customer,
            summary=summary,
            now=services.clock.now(),
            details=details,
        )
    outcome = services.dispatcher.deliver_now([card_key]).get(card_key)
    if isinstance(outcome, Dead):
        return render.card_refused(case, outcome.error)
    if isinstance(outcome, Retry):
        return render.card_delayed(case)
    if not isinstance(outcome, Sent):
        # Another dispatcher took the card first; it will post it.
        log.info("case.card_left_to_dispatcher case_id=%s", case.id)
    return render.case_opened(case)


def make_promise(
    services: Services,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    when: str,
    what: str,
    source_ts: str | None = None,
) -> render.Message:
    with services.db.transaction() as session:
        case = cases.find_case(session, team_id, case_id)
        # Refuse before asking Slack anything on behalf of someone who may not do this.
        cases.require_open(case)
        authz.require_may_change(session, case, actor_id, "record a promise on", services.settings.admins)
        owner_id, customer_tz = case.owner_id, case.customer_tz
    # Slack call outside any transaction: the owner's zone, for reading "tomorrow 3pm".
    tz = people.time_zone(services.client_for(team_id), services.db, services.clock, team_id, owner_id)
    due_at = parse_when(when, tz, services.clock.now(), customer_tz)
    reply, send_now = promise_with_time(
        services,
        team_id=team_id,
        actor_id=actor_id,
        case_id=case_id,
        due_at=due_at,
        what=what,
        source_ts=source_ts,
    )
    services.dispatcher.deliver_now(send_now)
    services.dispatcher.wake()
    return reply


def promise_with_time(
    services: Services,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    due_at: datetime,
    what: str,
    source_ts: str | None = None,
) -> tuple[render.Message, list[str]]:
    """Record a promise whose time is already read. Returns the confirmation and the outbox
    keys to send once the person has been answered."""
    with services.db.transaction() as session:
        case = cases.find_case(session, team_id, case_id)
        promise, send_now = record_promise(
            session,
            services,
            case=case,
            what=what,
            due_at=due_at,
            made_by=actor_id,
            now=services.clock.now(),
            source_ts=source_ts,
        )
        advice = (
            promises.advice_for(session, case, promise, services.clock.now())
            if promise.suggested_due_at
            else None
        )
        reply = render.promise_confirmation(case, promise, services.settings.escalation_repeat, advice)
    return reply, send_now


def record_promise(
    session: Session,
    services: Services,
    *,
    case: Case,
    what: str,
    due_at: datetime,
    made_by: str,
    now: datetime,
    source_ts: str | None = None,
) -> tuple[Promise, list[str]]:
    """The domain's make_promise with this deployment's reminder lead and escalation grace."""
    return promises.make_promise(
        session,
        case=case,
        description=what,
        due_at=due_at,
        made_by=made_by,
        now=now,
        lead=services.settings.reminder_lead,
        grace=services.settings.escalation_grace,
        source_ts=source_ts,
        admins=services.settings.admins,
        repeat=services.settings.escalation_repeat,
        escalation_channel=services.settings.escalation_channel,
    )
