"""Turns one claimed outbox row into one Slack message (or reaction), exactly once.

Every message carries the notification id as Slack message metadata. When an earlier attempt
may have reached Slack (the process died holding the claim, or the call timed out), we look
for that metadata in the conversation before posting again, so the duplicate window is closed.
This client has no automatic retries: a connection-reset retry can re-post a message Slack
already accepted, and 429s are obeyed by rescheduling, not by sleeping on a claim."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import customers, escalation, promises, recurring
from bot.app.settings import Settings
from bot.app.workspaces import SlackClients
from bot.clock import Clock
from bot.delivery.dispatcher import Dead, Deferred, Outcome, Retry, Sent, Skipped, backoff
from handlers.listeners import digest
from handlers.outbound import people
from handlers.views import blocks as render
from handlers.views.card import CardFacts, case_card
from storage import outbox, queries
from storage.db import Database
from storage.models import (
    Case,
    CasePriority,
    CaseState,
    Notification,
    NotificationKind,
    NotificationState,
    Promise,
    PromiseState,
    RecurringFlag,
)
from storage.outbox import Claim

log = logging.getLogger(__name__)

METADATA_EVENT = "casekeeper_notification"
CONTACT_REACTION = "white_check_mark"

# Slack errors that no retry will fix: the message is reported dead instead.
PERMANENT_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "channel_is_archived",
    "user_not_found",
    "user_disabled",
    "account_inactive",
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "missing_scope",
    "cannot_dm_bot",
    "msg_too_long",
    "invalid_blocks",
    "no_text",
    "restricted_action",
    "invalid_arguments",
    "too_many_attachments",
    "message_not_found",
    "thread_not_found",
    "ekm_access_denied",
    "team_access_not_granted",
    "not_allowed_token_type",
}
# How far back, and through how many pages of 200, to look for an earlier delivery.
LOOK_BACK = timedelta(hours=1)
LOOK_BACK_PAGES = 10

# Answered with HTTP 200 but about Slack, not the message (api.slack.com/methods/chat.postMessage).
SLACK_SIDE_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}

# How long an escalation note waits for its escalation before looking again.
NOTE_WAIT = timedelta(seconds=5)

# Notifications about a promise that mean nothing once it is kept or its case is closed.
PROMISE_BOUND = {
    NotificationKind.REMINDER.value,
    NotificationKind.ESCALATION.value,
    NotificationKind.ESCALATION_NOTE.value,
    NotificationKind.MANAGER_MISSING.value,
}


@dataclass(frozen=True)
class Target:
    channel: str
    thread_ts: str | None = None
    broadcast: bool = False


@dataclass
class Scene:
    """Everything rendering a row reads, loaded in one transaction."""

    case: Case
    promise: Promise | None
    card: CardFacts | None = None
    escalation: render.EscalationFacts | None = None
    # For an escalation note: how its escalation went.
    sibling: Notification | None = None
    # For a recurring-problem flag: the flag and its cases.
    flag: RecurringFlag | None = None
    flagged: list[Case] = field(default_factory=list)


class SlackSender:
    """Sends each row with the bot token of the row's workspace (one deployment may serve
    several: bot/workspaces.py)."""

    def __init__(self, clients: SlackClients, db: Database, clock: Clock, settings: Settings):
        self.clients = clients
        self.db = db
        self.clock = clock
        self.settings = settings

    def deliver(self, claim: Claim) -> Outcome:
        if claim.kind == NotificationKind.DIGEST.value:
            # About a team, not a case: handlers/digest.py.
            return self._deliver_digest(claim)
        with self.db.transaction() as session:
            scene = self._scene(session, claim)
        if scene is None:
            return Dead(f"case {claim.case_id} not found")
        case = scene.case
        gone = no_longer_needed(claim, scene)
        if gone is not None:
            return gone
        client = self.clients.notification(claim.team_id)
        if client is None:
            # The workspace removed the app (or never installed it): nobody there can get it.
            return Dead(f"app_not_installed team_id={claim.team_id}")
        try:
            if claim.kind == NotificationKind.CONTACT_REACTION.value:
                return self._react(client, claim)
            not_yet = self._not_yet(claim, scene)
            if not_yet is not None:
                return not_yet
            if claim.kind == NotificationKind.CARD_UPDATE.value:
                return self._update_card(client, claim, scene)
            if claim.kind == NotificationKind.ESCALATION.value:
                scene.escalation = self._escalation_facts(claim, scene)
            target, message = self._compose(claim, scene)
            if claim.maybe_delivered:
                found = self._find_earlier(client, claim, target)
                if found is not None:
                    log.info("notification.found_earlier id=%s ts=%s", claim.id, found[1])
                    self._after_sent(claim, case, found[1])
                    return Sent(channel=found[0], ts=found[1])
            channel, ts = self._post(client, claim, target, message)
            self._after_sent(claim, case, ts)
            return Sent(channel=channel, ts=ts)
        except SlackApiError as error:
            return _classify(error, claim)
        except (OSError, TimeoutError) as error:  # connection refused/reset, read timeout
            return Retry(
                error=f"{type(error).__name__}: {error}",
                after=backoff(claim.attempts),
                uncertain=True,
                outage=True,
            )

    def _deliver_digest(self, claim: Claim) -> Outcome:
        message = digest.compose(self.db, self.settings, claim, self.clock.now())
        if message is None:
            return Skipped("manages nobody any more")
        client = self.clients.notification(claim.team_id)
        if client is None:
            return Dead(f"app_not_installed team_id={claim.team_id}")
        target = Target(claim.recipient)
        try:
            found = self._find_earlier(client, claim, target) if claim.maybe_delivered else None
            channel, ts = found or self._post(client, claim, target, message)
            return Sent(channel=channel, ts=ts)
        except SlackApiError as error:
            return _classify(error, claim)
        except (OSError, TimeoutError) as error:
            failure = f"{type(error).__name__}: {error}"
            return Retry(error=failure, after=backoff(claim.attempts), uncertain=True, outage=True)

    # -- what and where ----------------------------------------------------------------

    def _scene(self, session: Session, claim: Claim) -> Scene | None:
        case = session.get(Case, claim.case_id) if claim.case_id else None
        if case is None:
            return None
        promise_id = claim.promise_id or claim.payload.get("promise_id")
        promise = session.get(Promise, promise_id) if promise_id else None
        # Load what rendering reads while the session is open.
        _ = case.ref, case.summary
        scene = Scene(case=case, promise=promise)
        kind = NotificationKind(claim.kind)
        if kind in (NotificationKind.CASE_CARD, NotificationKind.CARD_UPDATE):
            still_open = queries.open_promises(session, case.id)
            scene.card = CardFacts(
                next_promise=still_open[0] if still_open else None,
                open_promises=len(still_open),
                contacts=queries.contact_count(session, case.id),
                history=customers.history(session, case, self.clock.now()),
            )
        if kind is NotificationKind.ESCALATION and promise is not None:
            scene.escalation = render.EscalationFacts(
                level=claim.level,
                last_contact=queries.last_contact(session, case.id),
                history=promises.history(session, promise),
                owner_local_time=None,
                owner_status=None,
            )
        if kind is NotificationKind.RECURRING_FLAG:
            scene.flag, scene.flagged = recurring.flagged_cases(session, int(claim.payload["flag_id"]))
        if kind is NotificationKind.ESCALATION_NOTE and promise is not None:
            scene.sibling = outbox.notification_of(
                session, promise.id, NotificationKind.ESCALATION, claim.level
            )
        return scene

    def _not_yet(self, claim: Claim, scene: Scene) -> Outcome | None:
        """Rows that must wait, or are no longer needed, for reasons of their own."""
        kind = NotificationKind(claim.kind)
        promise = scene.promise
        now = self.clock.now()
        if kind is NotificationKind.CARD_UPDATE:
            if claim.payload.get("version", 0) < scene.case.version:
                return Skipped("a newer card update follows")
            if not scene.case.card_ts:
                return Skipped("the card isn't posted yet; it will show the latest")
        if kind is NotificationKind.ESCALATION and promise is not None:
            if promise.acknowledged_at is not None:
                return Skipped("acknowledged")
            if not escalation.is_channel(claim.recipient):
                until = self._outside_working_hours(claim, scene)
                if until is not None:
                    with self.db.transaction() as session:
                        escalation.move_later_levels(
                            session, promise.id, claim.level, until, self.settings.escalation_repeat
                        )
                    return Deferred(until=until, reason="outside the recipient's working hours")
            with self.db.transaction() as session:
                # This level goes out now: the next gets its full ESCALATION_REPEAT from now.
                escalation.move_later_levels(
                    session, promise.id, claim.level, now, self.settings.escalation_repeat
                )
        if kind is NotificationKind.ESCALATION_NOTE:
            # Said only once its escalation went out (it may be waiting for working hours).
            sibling = scene.sibling
            if promise is not None and promise.acknowledged_at is not None:
                return Skipped("acknowledged")
            if sibling is None or sibling.state in (NotificationState.CANCELLED, NotificationState.DEAD):
                return Skipped("its escalation was not sent")
            if sibling.state is not NotificationState.SENT:
                return Deferred(
                    until=max(sibling.run_at, now + NOTE_WAIT), reason="its escalation is not out yet"
                )
        return None

    def _outside_working_hours(self, claim: Claim, scene: Scene) -> datetime | None:
        if scene.case.priority is CasePriority.URGENT:
            return None
        client = self.clients.interactive(claim.team_id)
        tz = people.time_zone(client, self.db, self.clock, claim.team_id, claim.recipient)
        with self.db.transaction() as session:
            hours = people.working_hours(session, claim.team_id, claim.recipient, self.settings.working_hours)
        return escalation.hold_until(hours, moment=self.clock.now(), tz=tz, priority=scene.case.priority)

    def _escalation_facts(self, claim: Claim, scene: Scene) -> render.EscalationFacts | None:
        facts = scene.escalation
        if facts is None or scene.promise is None:
            return facts
        local, status = people.local_time_and_status(
            self.clients.interactive(claim.team_id), scene.promise.owner_id, self.clock.now()
        )
        return replace(facts, owner_local_time=local, owner_status=status)

    def _compose(self, claim: Claim, scene: Scene) -> tuple[Target, render.Message]:
        kind = NotificationKind(claim.kind)
        case, promise = scene.case, scene.promise
        now = self.clock.now()
        repeat = self.settings.escalation_repeat
        if kind is NotificationKind.CASE_CARD:
            assert scene.card is not None
            return Target(case.channel_id), case_card(case, scene.card, now)
        if kind in (NotificationKind.HANDOVER, NotificationKind.HANDOVER_NOTE):
            by, previous = claim.payload["by"], claim.payload["previous_owner"]
            if kind is NotificationKind.HANDOVER:
                return Target(claim.recipient), render.handed_over(case, by, previous)
            return Target(case.channel_id, case.card_ts), render.handover_note(case, by, previous)
        if kind is NotificationKind.CASE_NOTE:
            return Target(case.channel_id, case.card_ts), render.case_note(case, promise, claim.payload)
        if kind is NotificationKind.PERSON_NOTE:
            return Target(claim.recipient), render.person_note(case, promise, claim.payload)
        if kind is NotificationKind.RECURRING_FLAG:
            assert scene.flag is not None, "the flag is gone"
            return Target(claim.recipient), render.recurring_flag(scene.flag, scene.flagged)
        assert promise is not None, f"{kind.value} needs a promise"
        if kind is NotificationKind.PROMISE_NOTE:
            return Target(case.channel_id, case.card_ts), render.promise_note(case, promise, repeat)
        if kind is NotificationKind.ESCALATION_NOTE:
            to = scene.sibling.recipient if scene.sibling is not None else claim.recipient
            return Target(case.channel_id, case.card_ts), render.escalation_note(case, promise, now, to)
        if kind is NotificationKind.REMINDER:
            return Target(claim.recipient), render.reminder(case, promise)
        if kind is NotificationKind.MANAGER_MISSING:
            return Target(claim.recipient), render.manager_missing(case, promise)
        if kind is NotificationKind.ESCALATION:
            assert scene.escalation is not None
            decision = render.escalation(case, promise, now, scene.escalation)
            if claim.recipient == case.channel_id:
                return Target(case.channel_id, case.card_ts, broadcast=True), decision
            return Target(claim.recipient), decision
        raise ValueError(f"unknown notification kind {claim.kind}")

    def _update_card(self, client: WebClient, claim: Claim, scene: Scene) -> Outcome:
        assert scene.card is not None and scene.case.card_ts
        card = case_card(scene.case, scene.card, self.clock.now())
        # chat.update is idempotent: a repeat after a timeout draws the same card again.
        client.chat_update(
            channel=scene.case.channel_id, ts=scene.case.card_ts, text=card.text, blocks=card.blocks
        )
        return Sent(channel=scene.case.channel_id, ts=scene.case.card_ts)

    # -- Slack calls -------------------------------------------------------------------

    def _post(
        self, client: WebClient, claim: Claim, target: Target, message: render.Message
    ) -> tuple[str, str]:
        arguments: dict[str, Any] = {
            "channel": target.channel,
            "text": message.text,
            "blocks": message.blocks,
            "metadata": {"event_type": METADATA_EVENT, "event_payload": {"notification_id": claim.id}},
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if target.thread_ts:
            arguments["thread_ts"] = target.thread_ts
            arguments["reply_broadcast"] = target.broadcast
        try:
            response = client.chat_postMessage(**arguments)
        except SlackApiError as error:
            if error.response.get("error") != "not_in_channel" or not target.channel.startswith("C"):
                raise
            # A public channel the bot was never invited to: join it (and so also receive
            # the thread's replies as contacts), then post.
            client.conversations_join(channel=target.channel)
            response = client.chat_postMessage(**arguments)
        return str(response["channel"]), str(response["ts"])

    def _react(self, client: WebClient, claim: Claim) -> Outcome:
        try:
            client.reactions_add(
                channel=claim.recipient, timestamp=claim.payload["ts"], name=CONTACT_REACTION
            )
        except SlackApiError as error:
            code = error.response.get("error")
            if code == "already_reacted":
                return Sent(channel=claim.recipient, ts=None)
            if code in ("message_not_found", "no_item_specified"):
                return Skipped("the reply is gone")
            raise
        return Sent(channel=claim.recipient, ts=None)

    def _find_earlier(self, client: WebClient, claim: Claim, target: Target) -> tuple[str, str] | None:
        """Look for a message this notification already produced (its id is in the metadata)."""
        channel = target.channel
        if channel.startswith(("U", "W")):
            channel = client.conversations_open(users=channel)["channel"]["id"]
        # run_at may have moved on since the first attempt (a message stepped aside in an
        # outage): look back well before it, and through every page in that window.
        oldest = f"{(claim.run_at - LOOK_BACK).timestamp():.6f}"
        cursor = None
        for _ in range(LOOK_BACK_PAGES):
            page = {"oldest": oldest, "include_all_metadata": True, "limit": 200, "cursor": cursor}
            if target.thread_ts:
                response = client.conversations_replies(channel=channel, ts=target.thread_ts, **page)
            else:
                response = client.conversations_history(channel=channel, **page)
            for message in response.get("messages", []):
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == METADATA_EVENT and (
                    payload.get("notification_id") == claim.id
                    # A catch-up summary carries every notification it stands for.
                    or claim.id in (payload.get("notification_ids") or [])
                ):
                    return channel, str(message["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    def _after_sent(self, claim: Claim, case: Case, ts: str) -> None:
        if claim.kind == NotificationKind.CASE_CARD.value:
            with self.db.transaction() as session:
                stored = session.get(Case, case.id)
                if stored is not None and stored.card_ts is None:
                    stored.card_ts = ts


def no_longer_needed(claim: Claim, scene: Scene) -> Skipped | None:
    """Its promise was kept or moved on, or its case closed: nothing to say any more."""
    promise = scene.promise
    if claim.kind in PROMISE_BOUND and promise is not None:
        if promise.state is not PromiseState.OPEN:
            return Skipped(f"promise {promise.state.value}")
        if scene.case.state is not CaseState.OPEN:
            return Skipped("case closed")
    return None


def _classify(error: SlackApiError, claim: Claim) -> Outcome:
    response = error.response
    status = response.status_code
    code = str(response.get("error") or f"http_{status}")
    if status == 429:
        return Retry(error="ratelimited", after=_retry_after(response.headers), rate_limited=True)
    if code in PERMANENT_ERRORS:
        return Dead(code)
    if status >= 500 or code in SLACK_SIDE_ERRORS:
        # Slack is failing, and may or may not have taken the message.
        return Retry(error=code, after=backoff(claim.attempts), uncertain=True, outage=True)
    # An error about this message we don't know: retried on its own, then reported dead.
    # Slack answered "not ok", so it did not post it.
    return Retry(error=code, after=backoff(claim.attempts))


def _retry_after(headers: Any) -> timedelta:
    raw = headers.get("Retry-After", headers.get("retry-after", "1")) or "1"
    try:
        seconds = math.ceil(float(raw))
    except ValueError:  # an HTTP date or garbage: wait a little and ask again
        seconds = 5
    return timedelta(seconds=max(1, seconds))
