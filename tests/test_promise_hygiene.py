"""Promise hygiene ("under-promise, over-deliver"): a promise that looks tight is said to be, with
a safer time and one click to take it. Never a refusal. The rules are unit-tested on their own
(bot/hygiene.py); the scenarios go through signed commands, thread replies and button clicks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import hygiene
from handlers.ids import ActionId
from storage.models import (
    AuditEntry,
    Notification,
    NotificationKind,
    NotificationState,
    Promise,
    PromiseState,
)

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
unit = pytest.mark.backend_independent


# ---- the rules ------------------------------------------------------------------------------


@unit
def test_two_other_promises_within_half_an_hour_make_it_crowded():
    due = T0 + 60 * MIN
    advice = hygiene.advise(
        due_at=due, others_due=[due - 20 * MIN, due + 10 * MIN], history=[], kind="callback", now=T0
    )
    assert advice is not None
    assert advice.crowded_by == (due - 20 * MIN, due + 10 * MIN)
    # Half an hour after the last of them, 15:10 + 30m = 15:40, up to the quarter hour.
    assert advice.suggested == due + 45 * MIN
    assert advice.usually_late is None


@unit
def test_one_other_promise_or_ones_further_away_are_not_a_crowd():
    due = T0 + 60 * MIN
    assert hygiene.advise(due_at=due, others_due=[due + 5 * MIN], history=[], kind="other", now=T0) is None
    far = [due - 31 * MIN, due + 31 * MIN]
    assert hygiene.advise(due_at=due, others_due=far, history=[], kind="other", now=T0) is None


@unit
def test_usually_late_promises_of_the_same_kind_push_the_safer_time_by_their_median():
    due = T0 + 60 * MIN
    past = T0 - timedelta(days=1)
    history = [
        ("call back with the refund", past, past + 20 * MIN),
        ("phone the customer", past, past + 40 * MIN),
        ("call about the invoice", past, past + 25 * MIN),
        ("ring them", past, past),  # in time: 0
        ("email the receipt", past, past),  # another kind: not in the sample
    ]
    advice = hygiene.advise(due_at=due, others_due=[], history=history, kind="callback", now=T0)
    assert advice is not None and advice.same_kind and advice.samples == 4
    # Median of 0, 20, 25, 40 minutes = 22.5 minutes; 15:00 + 22.5m rounds up to 15:30.
    assert advice.usually_late == timedelta(minutes=22, seconds=30)
    assert advice.suggested == due + 30 * MIN


@unit
def test_too_few_of_the_kind_falls_back_to_every_kind_and_missed_counts_as_overdue():
    due = T0 + 60 * MIN
    history = [
        ("email the receipt", T0 - 3 * 60 * MIN, None),  # still open: 3 hours late by now
        ("send the form", T0 - 5 * 60 * MIN, None),  # 5 hours
        ("call back", T0 - 6 * 60 * MIN, T0 - 4 * 60 * MIN),  # kept 2 hours late
        ("fix the router", T0 - 10 * 60 * MIN, T0 - 10 * 60 * MIN),  # in time
    ]
    advice = hygiene.advise(due_at=due, others_due=[], history=history, kind="refund", now=T0)
    assert advice is not None and not advice.same_kind and advice.samples == 4
    assert advice.usually_late == timedelta(hours=2, minutes=30)  # median of 0, 2h, 3h, 5h


@unit
def test_a_good_record_or_too_little_history_gives_no_advice():
    due = T0 + 60 * MIN
    on_time = [("call", T0 - n * 60 * MIN, T0 - n * 60 * MIN) for n in range(1, 10)]
    assert hygiene.advise(due_at=due, others_due=[], history=on_time, kind="callback", now=T0) is None
    late_but_few = [("call", T0 - 60 * MIN, T0)] * 3
    assert hygiene.advise(due_at=due, others_due=[], history=late_but_few, kind="callback", now=T0) is None


@unit
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Call back with the tracking number", "callback"),
        ("e-mail the refund receipt", "email"),
        ("Refund the shipping", "refund"),
        ("check with the courier", "delivery"),
        ("send the signed contract", "document"),
        ("sort it out", "other"),
    ],
)
def test_kind_of_a_promise_comes_from_its_words(text, kind):
    assert hygiene.kind_of(text) == kind


@unit
def test_round_up_to_the_quarter_hour_never_goes_earlier():
    assert hygiene.round_up(T0 + 1 * MIN, hygiene.QUARTER) == T0 + 15 * MIN
    assert hygiene.round_up(T0 + 15 * MIN, hygiene.QUARTER) == T0 + 15 * MIN
    assert hygiene.round_up(T0 + timedelta(seconds=1), hygiene.QUARTER) == T0 + 15 * MIN


# ---- through Slack ----------------------------------------------------------------------------


def promises_of(bot):
    with bot.db.transaction() as session:
        return [
            (p.id, p.description, p.due_at, p.state, p.suggested_due_at, p.remind_at)
            for p in session.execute(select(Promise).order_by(Promise.id)).scalars()
        ]


def test_a_crowded_hour_gets_a_safer_time_and_one_click_takes_it(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    first = agent.open_case("Acme: refund")
    second = agent.open_case("Globex: widget")
    third = agent.open_case("Initech: invoice")
    assert "tight" not in agent.command(f"promise {first.ref} in 50 minutes: call back").text
    assert "tight" not in agent.command(f"promise {second.ref} in 70 minutes: email the form").text

    result = agent.command(f"promise {third.ref} in 1 hour: send the credit note")
    assert "Promise recorded" in result.text, result.text
    assert "This looks tight" in result.text
    assert "2 other promises of yours are due within half an hour" in result.text
    *_, (promise_id, _, due_at, state, suggested, _) = promises_of(bot)
    # The promise stands as made; the safer time is half an hour after the last one (15:10),
    # up to the quarter hour.
    assert state is PromiseState.OPEN and due_at == clock.now() + 60 * MIN
    assert suggested == clock.now() + 105 * MIN

    agent.click(result.responses[-1], ActionId.USE_SAFER_TIME.value)
    *_, (_, _, due_at, state, _, remind_at) = promises_of(bot)
    assert due_at == suggested and state is PromiseState.OPEN
    assert remind_at == suggested - timedelta(minutes=15)
    redrawn = slack.responses[-1]
    assert "is now due" in str(redrawn.body) and ActionId.USE_SAFER_TIME.value not in str(redrawn.body)
    assert any("safer time" in m.all_text() for m in slack.thread("C1", third.card_ts))
    with bot.db.transaction() as session:
        planned = select(Notification).where(Notification.promise_id == promise_id)
        rows = {
            (row.kind, row.level): row.run_at
            for row in session.execute(planned).scalars()
            if row.state is NotificationState.PENDING
        }
        assert rows[(NotificationKind.REMINDER.value, 0)] == suggested - timedelta(minutes=15)
        assert rows[(NotificationKind.ESCALATION.value, 1)] == suggested
        actions = [e.action for e in session.execute(select(AuditEntry)).scalars()]
        assert "promise.safer_time" in actions and "promise.rescheduled" not in actions

    # Its old reminder time passes quietly; the new one reminds, and nothing escalates at the
    # old due time.
    clock.advance(minutes=46)
    bot.tick()
    assert not [m for m in agent.dms() if "send the credit note" in m.all_text()]
    clock.advance(minutes=15)
    bot.tick()
    assert not [m for m in manager.dms() if "send the credit note" in m.all_text()]
    clock.advance(minutes=30)
    bot.tick()
    assert [m for m in agent.dms() if "send the credit note" in m.all_text()]


def test_usually_late_callbacks_get_a_later_safer_time(agent, bot, clock):
    case = agent.open_case("Acme: refund")
    for _ in range(4):
        agent.command(f"promise {case.ref} in 30 minutes: call back about the refund")
        clock.advance(minutes=50)  # 20 minutes late each time
        agent.command(f"done {case.ref}")
    result = agent.command(f"promise {case.ref} in 2 hours: call back with the courier's answer")
    assert "your last 4 callback promises were kept a median 20m late" in result.text, result.text
    *_, (_, _, due_at, _, suggested, _) = promises_of(bot)
    assert suggested == hygiene.round_up(due_at + 20 * MIN, hygiene.QUARTER)


def test_a_comfortable_promise_gets_no_advice_and_no_button(agent, bot):
    case = agent.open_case("Acme: refund")
    result = agent.command(f"promise {case.ref} tomorrow 3pm: email the receipt")
    assert "Promise recorded" in result.text and "tight" not in result.text
    assert ActionId.USE_SAFER_TIME.value not in str([r.body for r in result.responses])
    assert promises_of(bot)[0][4] is None


def test_the_safer_time_is_only_for_the_moment_the_promise_is_made(agent, slack, bot, clock):
    cases = [agent.open_case(f"Customer {n}: issue") for n in range(3)]
    agent.command(f"promise {cases[0].ref} in 2 hours: call back")
    agent.command(f"promise {cases[1].ref} in 2 hours: call back")
    result = agent.command(f"promise {cases[2].ref} in 2 hours: call back")
    assert "This looks tight" in result.text
    before = promises_of(bot)
    clock.advance(minutes=16)
    agent.click(result.responses[-1], ActionId.USE_SAFER_TIME.value)
    assert "reschedule it" in str(slack.responses[-1].body)
    assert promises_of(bot) == before


def test_after_a_reassign_the_old_owner_cannot_take_the_safer_time(agent, slack, bot):
    cases = [agent.open_case(f"Customer {n}: issue") for n in range(3)]
    for case in cases[:2]:
        agent.command(f"promise {case.ref} in 2 hours: call back")
    result = agent.command(f"promise {cases[2].ref} in 2 hours: call back")
    agent.command(f"reassign {cases[2].ref} <@UOTHER|olga>")
    before = promises_of(bot)
    agent.click(result.responses[-1], ActionId.USE_SAFER_TIME.value)
    assert "<@UOTHER>" in str(slack.responses[-1].body)
    assert promises_of(bot) == before


def test_a_tight_promise_from_the_thread_is_told_to_its_author_alone(agent, slack, bot):
    cases = [agent.open_case(f"Customer {n}: issue") for n in range(3)]
    for case in cases[:2]:
        agent.command(f"promise {case.ref} in 2 hours: call back")
    agent.reply(cases[2], "promise in 2 hours: call back with the answer")
    advice = [e for e in slack.ephemerals if "This looks tight" in e.all_text()]
    assert len(advice) == 1 and advice[0].user == "UAGENT" and advice[0].thread_ts == cases[2].card_ts
    # The promise itself is recorded and announced in the thread as usual.
    assert len(promises_of(bot)) == 3
    assert any("call back with the answer" in m.all_text() for m in slack.thread("C1", cases[2].card_ts))
    agent.click(advice[0], ActionId.USE_SAFER_TIME.value)
    *_, (_, _, due_at, _, suggested, _) = promises_of(bot)
    assert due_at == suggested
