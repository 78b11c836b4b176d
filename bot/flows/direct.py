"""A person's message to the bot in its DM, answered: `done` keeps the promise a reminder asked
about (when only one can be meant; otherwise they are asked which), anything else gets help.
Like every event, its inbox row is finished in the same transaction as its effects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot import cases, promises
from bot.errors import CaseError
from bot.flows.context import Context
from bot.promises import PromiseChoice, WhichPromise
from storage import inbox, queries
from storage.models import Case, EventState, Promise, PromiseState


@dataclass(frozen=True)
class DirectMessage:
    """One message a person wrote to the bot, as plain values."""

    team_id: str
    event_id: str
    user_id: str
    channel_id: str
    # Set when they wrote in the thread of one of the bot's messages (a reminder).
    thread_ts: str | None


@dataclass(frozen=True)
class Kept:
    case: Case
    promise: Promise
    # The reminder it answered, to redraw without its buttons: (channel, ts).
    reminder: tuple[str, str] | None


@dataclass(frozen=True)
class Several:
    """More than one promise could be meant: the person picks."""

    choices: tuple[PromiseChoice, ...]
    # All on one case (named in the message), or each on its own.
    case_id: int | None = None
    case_ref: str | None = None


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class NothingWaiting:
    """No reminder of theirs is waiting for an answer."""


Done = Kept | Several | Refused | NothingWaiting


def done(ctx: Context, message: DirectMessage, case_id: int | None) -> Done:
    """`done` (or `done CASE-7`) in the bot's DM."""
    try:
        with ctx.unit() as unit:
            outcome = _keep_meant(ctx, unit.session, message, case_id, unit.now)
            inbox.finish(unit.session, message.team_id, message.event_id, EventState.PROCESSED, unit.now)
        return outcome
    except WhichPromise as which:
        acknowledged(ctx, message)
        return Several(which.choices, which.case_id, which.case_ref)
    except CaseError as error:
        acknowledged(ctx, message)
        return Refused(str(error))


def acknowledged(ctx: Context, message: DirectMessage) -> None:
    """The message needs nothing recorded (help, a refusal): its inbox row is finished."""
    with ctx.unit() as unit:
        inbox.finish(unit.session, message.team_id, message.event_id, EventState.PROCESSED, unit.now)


def _keep_meant(
    ctx: Context, session: Session, message: DirectMessage, case_id: int | None, now: datetime
) -> Done:
    if case_id is not None:
        case = cases.find_case(session, message.team_id, case_id)
        promise = promises.keep_promise(
            session, case=case, actor_id=message.user_id, now=now, policy=ctx.policy
        )
        return Kept(case, promise, queries.reminder_message(session, promise.id))
    meant = _meant(session, message)
    if not meant:
        return NothingWaiting()
    if len(meant) > 1:
        return Several(tuple(PromiseChoice.of(p) for p in meant))
    promise = meant[0]
    case = cases.find_case(session, message.team_id, promise.case_id)
    promises.keep_promise(
        session, case=case, actor_id=message.user_id, now=now, policy=ctx.policy, promise_id=promise.id
    )
    return Kept(case, promise, queries.reminder_message(session, promise.id))


def _meant(session: Session, message: DirectMessage) -> list[Promise]:
    """The promises a bare `done` may mean: written under a reminder, that reminder's (a
    catch-up summary holds several); otherwise every open one a reminder asked about."""
    if message.thread_ts is not None:
        answered = queries.reminded_promises(
            session,
            message.team_id,
            message.user_id,
            channel_id=message.channel_id,
            message_ts=message.thread_ts,
            open_only=False,
        )
        if answered:
            still_open = [p for p in answered if p.state is PromiseState.OPEN]
            if not still_open:
                raise CaseError(
                    f"That reminder's promise isn't open any more: {promises.fate(session, answered[0].id)}"
                )
            return still_open
    return queries.reminded_promises(session, message.team_id, message.user_id)
