"""Turns one claimed outbox row into one Slack message (or reaction, or card redraw), exactly once.

Whether a row goes now is the domain's to say (bot/notifications.py, bot/escalation.py): the
sender gathers what that needs from Slack (a recipient's time zone) and asks. Posting so that
nothing is sent twice is handlers/outbound/posting.py."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import cases, digests, escalation, managers, notifications, team
from bot.authz import Readable
from bot.clock import Clock
from bot.delivery.outcomes import Dead, Deferred, Outcome, Sent, Skipped
from bot.escalation import Decision, Drop, Wait
from bot.flows import outlook
from bot.flows.context import Directory
from bot.flows.reading import readable_with
from bot.policy import Policy
from handlers.clients import SlackClients
from handlers.outbound import posting
from handlers.outbound import scene as scenes
from handlers.outbound.people import local_time_and_status
from handlers.outbound.posting import Target
from handlers.outbound.redraw import redraw
from handlers.outbound.scene import Scene
from handlers.outbound.slack_errors import classify, unreachable
from handlers.views import dead_letters as dead_letter_views
from handlers.views import settled as settled_views
from handlers.views import team as team_views
from handlers.views.blocks import Message
from handlers.views.card import case_card
from handlers.views.notices import EscalationFacts
from handlers.views.redraw import settled
from handlers.views.report import report_message
from storage.db import Database
from storage.models import Case, NotificationKind
from storage.outbox import Claim

log = logging.getLogger(__name__)

CONTACT_REACTION = "white_check_mark"
# DMs about who manages whom: no case, no promise.
TEAM_KINDS = frozenset({NotificationKind.MANAGER_REQUEST.value, NotificationKind.TEAM_NOTE.value})


class SlackSender:
    """Sends each row with the bot token of the row's workspace (one deployment may serve
    several: bot/app/workspaces.py)."""

    def __init__(
        self, clients: SlackClients, db: Database, clock: Clock, policy: Policy, directory: Directory
    ):
        self.clients = clients
        self.db = db
        self.clock = clock
        self.policy = policy
        self.directory = directory

    def deliver(self, claim: Claim) -> Outcome:
        if claim.kind == NotificationKind.DIGEST.value:
            # About a team, not a case.
            return self._deliver_digest(claim)
        if claim.kind in TEAM_KINDS:
            return self._deliver_team(claim)
        if claim.kind == NotificationKind.DEAD_LETTER.value:
            # Says everything from its payload, written when the message died: nothing to read.
            return self._post_to_person(claim, dead_letter_views.notice(claim.payload, claim.case_id or 0))
        if claim.kind == NotificationKind.CONTACT_REACTION.value:
            # One per logged reply: nothing to read first, and adding it twice is harmless.
            return self._deliver_reaction(claim)
        with self.db.transaction() as session:
            scene = scenes.load(session, claim, self.clock.now())
        if scene is None:
            return Dead(f"case {claim.case_id} not found")
        gone = notifications.no_longer_needed(claim.kind, scene.case, scene.promise)
        if gone is not None:
            return Skipped(gone)
        client = self.clients.notification(claim.team_id)
        if client is None:
            # The workspace removed the app (or never installed it): nobody there can get it.
            return Dead(f"app_not_installed team_id={claim.team_id}")
        try:
            waiting = self.hold_back(claim, scene)
            if waiting is not None:
                return waiting
            if claim.kind == NotificationKind.CARD_UPDATE.value:
                return self._update_card(client, scene)
            if claim.kind == NotificationKind.ESCALATION_SETTLED.value:
                return self._settle(client, claim, scene)
            if claim.kind == NotificationKind.ESCALATION.value:
                scene.escalation = self._escalation_facts(claim, scene)
            if claim.kind == NotificationKind.PROMISE_NOTE.value and scene.promise is not None:
                # The plan as the confirmation showed it: the same forecast.
                scene.forecast = outlook.escalation_forecast(self, scene.case, scene.promise)
            if claim.kind == NotificationKind.RECURRING_FLAG.value:
                scene.readable = self._readable_by(claim.team_id, claim.recipient, scene.flagged)
            target, message = scenes.compose(claim, scene, self.clock.now(), self.policy.escalation_repeat)
            return self._send(client, claim, target, message)
        except SlackApiError as error:
            return classify(error, claim)
        except (OSError, TimeoutError) as error:  # connection refused/reset, read timeout
            return unreachable(error, claim.attempts)

    def hold_back(self, claim: Claim, scene: Scene) -> Outcome | None:
        """Rows that must wait, or are no longer needed, for reasons of their own; None: it goes."""
        kind = NotificationKind(claim.kind)
        if kind is NotificationKind.CARD_UPDATE:
            stale = notifications.stale_card_update(scene.case, claim.payload)
            return Skipped(stale) if stale is not None else None
        if kind is NotificationKind.ESCALATION and scene.promise is not None:
            return _outcome_of(self._decide_level(claim, scene))
        if kind is NotificationKind.ESCALATION_NOTE:
            return _outcome_of(escalation.decide_note(scene.promise, scene.sibling, self.clock.now()))
        return None

    def _decide_level(self, claim: Claim, scene: Scene) -> Decision:
        assert scene.promise is not None
        quiet = None
        if escalation.needs_working_hours(scene.case, claim.recipient):
            team_id, person = claim.team_id, claim.recipient
            with self.db.transaction() as session:
                hours = team.working_hours_of(session, team_id, person, self.policy.working_hours)
            # Their zone matters only when their hours hold anything back (none by default): a
            # Slack call at most once a day per person, outside any transaction.
            tz = self.directory.time_zone(team_id, person) if hours is not None else "UTC"
            quiet = (hours, tz)
        with self.db.transaction() as session:
            return escalation.decide_level(
                session,
                case=scene.case,
                promise=scene.promise,
                level=claim.level,
                recipient=claim.recipient,
                now=self.clock.now(),
                policy=self.policy,
                quiet=quiet,
            )

    def _deliver_team(self, claim: Claim) -> Outcome:
        """Who manages whom: the DM asking a manager to accept, and what changed."""
        if claim.kind == NotificationKind.MANAGER_REQUEST.value:
            request_id = int(claim.payload["request_id"])
            with self.db.transaction() as session:
                still_open = managers.request_open(session, request_id, claim.payload["user_id"])
            if not still_open:
                return Skipped("the request was answered or replaced meanwhile")
            message = team_views.manager_request(request_id, claim.payload["user_id"])
        else:
            message = team_views.team_note(claim.payload)
        return self._post_to_person(claim, message)

    def _deliver_digest(self, claim: Claim) -> Outcome:
        with self.db.transaction() as session:
            report = digests.report(
                session,
                team_id=claim.team_id,
                manager_id=claim.recipient,
                occurrence=datetime.fromisoformat(claim.payload["occurrence"]),
                now=self.clock.now(),
                stale_age=self.policy.stale_case_age,
            )
        if report is None:
            return Skipped("manages nobody any more")
        message = report_message(report, viewer=claim.recipient, title="Your weekly digest")
        return self._post_to_person(claim, message)

    def _post_to_person(self, claim: Claim, message: Message) -> Outcome:
        """A DM about no case."""
        client = self.clients.notification(claim.team_id)
        if client is None:
            return Dead(f"app_not_installed team_id={claim.team_id}")
        try:
            return self._send(client, claim, Target(claim.recipient), message)
        except SlackApiError as error:
            return classify(error, claim)
        except (OSError, TimeoutError) as error:
            return unreachable(error, claim.attempts)

    def _deliver_reaction(self, claim: Claim) -> Outcome:
        client = self.clients.notification(claim.team_id)
        if client is None:
            return Dead(f"app_not_installed team_id={claim.team_id}")
        try:
            return self._react(client, claim)
        except SlackApiError as error:
            return classify(error, claim)
        except (OSError, TimeoutError) as error:
            return unreachable(error, claim.attempts)

    def _escalation_facts(self, claim: Claim, scene: Scene) -> EscalationFacts | None:
        facts = scene.escalation
        if facts is None or scene.promise is None:
            return facts
        local, status = local_time_and_status(
            self.clients.interactive(claim.team_id), scene.promise.owner_id, self.clock.now()
        )
        return replace(facts, owner_local_time=local, owner_status=status)

    def _readable_by(self, team_id: str, recipient: str, flagged: list[Case]) -> Readable:
        """Which of these cases the recipient may read: a channel, its own private cases; a
        person, as bot/authz.py says (their role, and the channels they're in)."""
        if recipient.startswith(("C", "G")):
            return Readable.channel(recipient)
        private = {case.channel_id for case in flagged if case.private}
        admins = self.policy.admins.of(team_id)
        return readable_with(
            self.db, admins, self.directory, team_id=team_id, reader_id=recipient, channels=private
        )

    # -- Slack calls -------------------------------------------------------------------

    def _send(self, client: WebClient, claim: Claim, target: Target, message: Message) -> Outcome:
        if claim.maybe_delivered:
            found = posting.find_earlier(client, claim, target)
            if found is not None:
                log.info("notification.found_earlier id=%s ts=%s", claim.id, found[1])
                self._after_sent(claim, found[1])
                return Sent(channel=found[0], ts=found[1])
        channel, ts = posting.post(client, [claim.id], target, message)
        self._after_sent(claim, ts)
        return Sent(channel=channel, ts=ts)

    def _update_card(self, client: WebClient, scene: Scene) -> Outcome:
        assert scene.card is not None and scene.case.card_ts
        card = case_card(scene.case, scene.card, self.clock.now())
        # chat.update is idempotent: a repeat after a timeout draws the same card again.
        client.chat_update(
            channel=scene.case.channel_id, ts=scene.case.card_ts, text=card.text, blocks=card.blocks
        )
        return Sent(channel=scene.case.channel_id, ts=scene.case.card_ts)

    def _settle(self, client: WebClient, claim: Claim, scene: Scene) -> Outcome:
        """An escalation whose promise ended afterwards: each of its messages to this recipient
        is redrawn without buttons, saying how it ended; then a person is told once (not the
        one who ended it, nor a channel: its thread has the card)."""
        assert scene.promise is not None
        if not scene.reached:
            return Skipped("the escalation never reached them")
        line = settled_views.outcome(scene.case, scene.promise, scene.successor)
        for row_id, channel, ts in scene.reached:
            redraw(client, channel, ts, None, lambda blocks, row_id=row_id: settled(blocks, row_id, line))
        if escalation.is_channel(claim.recipient) or claim.recipient == settled_views.ended_by(scene.promise):
            return Sent(channel=scene.reached[0][1], ts=scene.reached[0][2])
        message = settled_views.escalation_settled(scene.case, scene.promise, line)
        return self._send(client, claim, Target(claim.recipient), message)

    def _react(self, client: WebClient, claim: Claim) -> Outcome:
        try:
            client.reactions_add(
                channel=claim.recipient,
                timestamp=claim.payload["ts"],
                name=claim.payload.get("emoji") or CONTACT_REACTION,
            )
        except SlackApiError as error:
            code = error.response.get("error")
            if code == "already_reacted":
                return Sent(channel=claim.recipient, ts=None)
            if code in ("message_not_found", "no_item_specified"):
                return Skipped("the reply is gone")
            raise
        return Sent(channel=claim.recipient, ts=None)

    def _after_sent(self, claim: Claim, ts: str) -> None:
        if claim.kind == NotificationKind.CASE_CARD.value and claim.case_id is not None:
            with self.db.transaction() as session:
                cases.card_posted(session, claim.case_id, ts)


def _outcome_of(decision: Decision) -> Outcome | None:
    if isinstance(decision, Wait):
        return Deferred(until=decision.until, reason=decision.reason)
    if isinstance(decision, Drop):
        return Skipped(decision.reason)
    return None
