"""Cases, intent by intent: open, show, find, list, set the customer's time zone, edit, hand
over, close, reopen. Each is one unit of work; what it returns is for the caller to show."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot import authz, case_changes, cases, closing, customers, handover, recurring
from bot.case_changes import CaseEdit, Change
from bot.cases import CaseDetails
from bot.closing import Fate
from bot.customers import Found, History
from bot.delivery.outcomes import Outcome
from bot.flows.context import Context, Once
from bot.flows.reading import readable_by
from storage import channels as channel_rows
from storage import queries
from storage.models import Case, Promise, Recurrence


@dataclass(frozen=True)
class Opened:
    case: Case
    # How posting its card went right away: None when another dispatcher took the row (it
    # will post it).
    card: Outcome | None


@dataclass(frozen=True)
class Shown:
    """A case with its contacts and promises, and the customer's earlier cases."""

    case: Case
    earlier: History


@dataclass(frozen=True)
class Edited:
    case: Case
    # What changed, before and after; empty when the form changed nothing.
    changes: list[Change]


@dataclass(frozen=True)
class Reassigned:
    case: Case
    previous_owner: str
    open_promises: int


def open_case(
    ctx: Context,
    *,
    team_id: str,
    owner_id: str,
    channel_id: str,
    customer: str | None,
    summary: str,
    details: CaseDetails | None = None,
    once: Once | None = None,
    private: bool = False,
) -> Opened:
    """Opens a case owned by the caller; its card is posted to the channel straight away.
    `private`: Slack's request said the channel is private; when it didn't, Slack is asked
    (what it said is kept a while: bot/channels.py), and a channel it can't tell about counts
    as what the request said."""
    private = private or ctx.directory.channel_is_private(team_id, channel_id) is True
    with ctx.unit(once) as unit:
        case, card_key = cases.open_case(
            unit.session,
            team_id=team_id,
            channel_id=channel_id,
            owner_id=owner_id,
            customer=customer,
            summary=summary,
            now=unit.now,
            details=details,
            private=private,
        )
        unit.send([card_key])
    return Opened(case=case, card=unit.outcomes.get(card_key))


def post_waiting_cards(ctx: Context, *, team_id: str, channel_id: str) -> int:
    """The bot was invited into a channel: the cards of its cases that could not be posted there
    go out now. How many."""
    with ctx.unit() as unit:
        keys = cases.cards_owed(unit.session, team_id, channel_id, unit.now)
        unit.send(keys)
    return len(keys)


def show(ctx: Context, *, team_id: str, case_id: int, viewer_id: str) -> Shown:
    """The case for `viewer_id`, who must be allowed to read it, with the customer's earlier
    cases they may read."""
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        private = customers.private_channels_of_earlier(session, case)
        if case.private:
            private.add(case.channel_id)
    allowed = readable_by(ctx, team_id=team_id, reader_id=viewer_id, channels=private)
    with ctx.reading() as session:
        authz.require_readable(cases.find_case(session, team_id, case_id), allowed)
        detailed = queries.case_with_history(session, team_id, case_id)
        assert detailed is not None
        return Shown(case=detailed, earlier=customers.history(session, detailed, ctx.clock.now(), allowed))


def find(ctx: Context, *, team_id: str, text: str, viewer_id: str) -> Found:
    """The workspace's cases matching `text` that `viewer_id` may read."""
    with ctx.reading() as session:
        private = channel_rows.private_channels_with_cases(session, team_id)
    allowed = readable_by(ctx, team_id=team_id, reader_id=viewer_id, channels=private)
    with ctx.reading() as session:
        return customers.find(session, team_id, text, allowed)


def open_cases_of(ctx: Context, *, team_id: str, owner_id: str) -> list[Case]:
    with ctx.reading() as session:
        return queries.open_cases_of(session, team_id, owner_id)


def open_for_form(ctx: Context, *, team_id: str, case_id: int) -> Case:
    """The case a button opens a form about: it must still be open."""
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        cases.require_open(case)
        return case


def customer_zone(
    ctx: Context, *, team_id: str, actor_id: str, case_id: int, zone: str | None, once: Once | None = None
) -> Case:
    """The customer's time zone: set it (`zone` as typed), or just read it (None): reading it
    is for those who may read the case."""
    if zone is None:
        return show(ctx, team_id=team_id, case_id=case_id, viewer_id=actor_id).case
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        cases.set_customer_zone(
            unit.session, case=case, zone_text=zone, actor_id=actor_id, now=unit.now, policy=ctx.policy
        )
        unit.send([cases.card_update_key(case)])
    return case


def reassign(
    ctx: Context,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    new_owner_id: str,
    also_allowed: frozenset[str] = frozenset(),
    once: Once | None = None,
) -> Reassigned:
    """Hands the case and its open promises to `new_owner_id`."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        previous = case.owner_id
        unit.send(
            handover.reassign_case(
                unit.session,
                case=case,
                actor_id=actor_id,
                new_owner_id=new_owner_id,
                now=unit.now,
                policy=ctx.policy,
                also_allowed=also_allowed,
            )
        )
        still_open = len(queries.open_promises(unit.session, case.id))
    return Reassigned(case=case, previous_owner=previous, open_promises=still_open)


def close(
    ctx: Context,
    *,
    team_id: str,
    actor_id: str,
    case_id: int,
    note: str,
    fates: Mapping[int, Fate] | None = None,
    recurrence: Recurrence | None = None,
    category: str | None = None,
    once: Once | None = None,
) -> Case:
    """Closes the case, first ending each open promise as `fates` says (closing.OpenPromises
    when one has none: the caller asks); a recurring problem that reached its threshold is
    flagged to managers."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        notes = closing.close(
            unit.session,
            case=case,
            actor_id=actor_id,
            note=note,
            now=unit.now,
            policy=ctx.policy,
            fates=fates,
            recurrence=recurrence,
            category=category,
        )
        flags = recurring.check(unit.session, case, unit.now, ctx.policy)
        unit.send([*notes, cases.card_update_key(case), *flags])
    return case


def closing_form(ctx: Context, *, team_id: str, actor_id: str, case_id: int) -> tuple[Case, list[Promise]]:
    """The open case the close form is about, and its open promises (each needs an answer),
    refused up front for someone who may not close it."""
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        cases.require_open(case)
        authz.require_may_change(session, case, actor_id, "close", ctx.policy.admins.of(case.team_id))
        return case, queries.open_promises(session, case.id)


def for_edit(ctx: Context, *, team_id: str, actor_id: str, case_id: int) -> Case:
    """The open case the edit form is about, refused up front for someone who may not edit it."""
    with ctx.reading() as session:
        case = cases.find_case(session, team_id, case_id)
        cases.require_open(case)
        authz.require_may_change(session, case, actor_id, "edit", ctx.policy.admins.of(case.team_id))
        return case


def edit(
    ctx: Context, *, team_id: str, actor_id: str, case_id: int, edit: CaseEdit, once: Once | None = None
) -> Edited:
    """The edit form's values applied; nothing changed, nothing said."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        changes, keys = case_changes.edit_case(
            unit.session, case=case, edit=edit, actor_id=actor_id, now=unit.now, policy=ctx.policy
        )
        unit.send(keys)
    return Edited(case=case, changes=changes)


def reopen(
    ctx: Context, *, team_id: str, actor_id: str, case_id: int, why: str, once: Once | None = None
) -> Case:
    """A closed case is open again; its thread and card say so."""
    with ctx.unit(once) as unit:
        case = cases.find_case(unit.session, team_id, case_id)
        unit.send(
            case_changes.reopen_case(
                unit.session, case=case, actor_id=actor_id, why=why, now=unit.now, policy=ctx.policy
            )
        )
    return case
