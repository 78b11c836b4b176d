"""Changing a promise where people work: calling it off, giving it a new time, and saying which
one was kept when several are open. A new time or a cancellation asked for in words is a
question first ("does the customer know?"); nothing changes until it is answered, and a promise
called off sends nothing more."""

from datetime import timedelta

from sqlalchemy import select

from bot.audit import Action
from handlers.ids import ActionId
from storage.models import (
    AuditEntry,
    Notification,
    NotificationKind,
    NotificationState,
    Promise,
    PromiseState,
)


def promises_of(bot):
    with bot.db.transaction() as session:
        return [
            (p.id, p.description, p.state, p.due_at)
            for p in session.execute(select(Promise).order_by(Promise.id)).scalars()
        ]


def thread_texts(slack, case):
    return [m.all_text() for m in slack.thread(case.channel, case.card_ts)]


def last_answer(slack, response):
    """What the person sees now where `response` was shown (after replace_original)."""
    return slack.current_response(response)


def test_cancel_asks_whether_the_customer_knows_then_nothing_more_is_sent(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back with the bank's answer")
    asked = agent.command(f"cancel {case.ref} the customer got a refund from the shop instead")
    assert asked.ephemeral
    assert "Call off “call back with the bank's answer”" in asked.text
    assert "Does the customer know it's off?" in asked.text
    assert "Why: the customer got a refund from the shop instead" in asked.text
    assert [p[2] for p in promises_of(bot)] == [PromiseState.OPEN]

    # Not yet: nothing changes, and the answer stays one click away.
    question = asked.responses[-1]
    agent.click(question, ActionId.CANCEL_NOT_YET.value)
    waiting = last_answer(slack, question)
    assert "Nothing changed: the promise stands" in waiting.all_text()
    assert [p[2] for p in promises_of(bot)] == [PromiseState.OPEN]

    agent.click(waiting, ActionId.CANCEL_TOLD.value)
    assert "Cancelled: CASE-1 “call back with the bank's answer”" in last_answer(slack, question).all_text()
    assert [p[2] for p in promises_of(bot)] == [PromiseState.CANCELLED]
    # On the record and in the thread, with who and why.
    assert any(
        "cancelled the promise “call back with the bank's answer”" in t and "got a refund from the shop" in t
        for t in thread_texts(slack, case)
    )
    with bot.db.transaction() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == Action.PROMISE_CANCELLED.value)
        ).scalar_one()
        assert entry.actor_id == "UAGENT" and entry.detail["customer_told"] is True
        assert entry.detail["reason"] == "the customer got a refund from the shop instead"
    card = slack.message(case.channel, case.card_ts).all_text()
    assert "None open" in card
    # Its reminder and every escalation level are called off at once, not left to be skipped.
    with bot.db.transaction() as session:
        planned = session.execute(
            select(Notification).where(
                Notification.promise_id.is_not(None), Notification.kind != NotificationKind.PROMISE_NOTE
            )
        ).scalars()
        # (The thread's note that the promise was made went out when it was made.)
        assert {(n.state, n.last_error) for n in planned} == {(NotificationState.CANCELLED, "cancelled")}

    # No reminder, no escalation afterwards: every planned message was called off.
    clock.advance(hours=3)
    bot.tick()
    assert agent.dms() == [] and manager.dms() == []
    with bot.db.transaction() as session:
        states = {n.state for n in session.execute(select(Notification)).scalars() if n.promise_id}
        assert NotificationState.PENDING not in states
    shown = agent.command(f"show {case.ref}").text
    assert "cancelled by <@UAGENT>" in shown and "the customer told" in shown


def test_cancel_needs_a_reason_and_someone_allowed(agent, other, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    assert "Say why, so it stays on the record" in agent.command(f"cancel {case.ref}").text
    refused = other.command(f"cancel {case.ref} not needed")
    assert "<@UAGENT>" in refused.text and "Call off" not in refused.text
    assert [p[2] for p in promises_of(bot)] == [PromiseState.OPEN]


def test_a_stale_question_changes_nothing_once_the_promise_was_kept(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    asked = agent.command(f"cancel {case.ref} not needed any more")
    agent.command(f"done {case.ref}")
    agent.click(asked.responses[-1], ActionId.CANCEL_TOLD.value)
    assert "isn't open any more: it was kept by <@UAGENT>" in slack.responses[-1].body["text"]
    assert [p[2] for p in promises_of(bot)] == [PromiseState.KEPT]


def test_reschedule_by_command_asks_then_moves_the_promise_and_its_reminder(
    agent, manager, slack, bot, clock
):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: parcel")
    agent.command(f"promise {case.ref} in 1 hour: send the tracking number")
    ((old_id, _, _, old_due),) = promises_of(bot)
    asked = agent.command(f"reschedule {case.ref} in 3 hours: courier delayed, customer is fine with it")
    new_due = clock.now() + timedelta(hours=3)
    assert (
        f"<!date^{int(new_due.timestamp())}^" in asked.text
        and "Does the customer know the new time?" in asked.text
    )
    assert "The customer knows the new time" in asked.text and "Not yet" in asked.text
    assert promises_of(bot)[0][2] is PromiseState.OPEN  # asked, nothing changed

    agent.click(asked.responses[-1], ActionId.RESCHEDULE_TOLD.value)
    (_, _, old_state, _), (_, what, state, due) = promises_of(bot)
    assert (old_state, what, state, due) == (
        PromiseState.RESCHEDULED,
        "send the tracking number",
        PromiseState.OPEN,
        new_due,
    )
    assert "Rescheduled: CASE-1 “send the tracking number”" in slack.responses[-1].body["text"]
    assert any(
        "rescheduled “send the tracking number”" in t and "courier delayed" in t
        for t in thread_texts(slack, case)
    )
    with bot.db.transaction() as session:
        old = session.get(Promise, old_id)
        assert (
            old.customer_told is True and old.reschedule_note == "courier delayed, customer is fine with it"
        )

    # The old time passes quietly; the new one is reminded.
    clock.advance(hours=1, minutes=5)
    bot.tick()
    assert manager.dms() == [] and agent.dms() == []
    clock.advance(hours=1, minutes=45)
    bot.tick()
    assert len(agent.dms()) == 1 and "send the tracking number" in agent.dms()[0].all_text()
    assert old_due < new_due


def test_reschedule_not_yet_keeps_the_time_and_bad_times_are_refused(agent, slack, bot):
    case = agent.open_case("Acme: parcel")
    agent.command(f"promise {case.ref} in 1 hour: send the tracking number")
    before = promises_of(bot)
    asked = agent.command(f"reschedule {case.ref} tomorrow 10am: courier delayed")
    agent.click(asked.responses[-1], ActionId.RESCHEDULE_NOT_YET.value)
    assert "Nothing changed: the promise keeps its time" in last_answer(slack, asked.responses[-1]).all_text()
    assert promises_of(bot) == before
    for text, why in (
        (f"reschedule {case.ref} someday: later", "I can't read “someday” as a time"),
        (f"reschedule {case.ref} tomorrow 10am", "Say when and what"),
        (f"reschedule {case.ref} yesterday 10am: oops", "is in the past"),
        (f"reschedule {case.ref} in 1 hour: same again", "That is the time it already has"),
    ):
        answer = agent.command(text)
        assert answer.ephemeral and why in answer.text, (text, answer.text)
    assert promises_of(bot) == before


def test_reschedule_from_the_thread_asks_its_author_alone(agent, slack, bot, clock):
    case = agent.open_case("Acme: parcel")
    agent.command(f"promise {case.ref} in 1 hour: send the tracking number")
    agent.reply(case, "reschedule in 4 hours: courier delayed, told the customer by phone")
    questions = [e for e in slack.ephemerals if "Does the customer know the new time?" in e.all_text()]
    assert len(questions) == 1 and questions[0].user == "UAGENT" and questions[0].thread_ts == case.card_ts
    assert promises_of(bot)[0][2] is PromiseState.OPEN
    agent.click(questions[0], ActionId.RESCHEDULE_TOLD.value)
    assert [p[2] for p in promises_of(bot)] == [PromiseState.RESCHEDULED, PromiseState.OPEN]
    assert promises_of(bot)[1][3] == clock.now() + timedelta(hours=4)


def test_cancel_from_the_thread_needs_its_colon_and_asks(agent, slack, bot):
    case = agent.open_case("Acme: parcel")
    agent.command(f"promise {case.ref} in 1 hour: send the tracking number")
    # A contact that happens to start with "Cancel" is just a contact.
    agent.reply(case, "Cancel the order, the customer asked on the phone")
    assert not [e for e in slack.ephemerals if "Call off" in e.all_text()]
    agent.reply(case, "cancel: the customer picked the parcel up at the depot")
    asked = [e for e in slack.ephemerals if "Call off" in e.all_text()]
    assert len(asked) == 1 and "picked the parcel up at the depot" in asked[0].all_text()
    agent.click(asked[0], ActionId.CANCEL_TOLD.value)
    assert [p[2] for p in promises_of(bot)] == [PromiseState.CANCELLED]


def test_with_several_promises_open_each_change_asks_which(agent, slack, bot):
    case = agent.open_case("Acme: two things")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    agent.command(f"promise {case.ref} in 2 hours: send the invoice")
    call_back, invoice = (p[0] for p in promises_of(bot))

    kept = agent.command(f"done {case.ref}")
    assert "2 promises are open on CASE-1. Which promise was kept?" in kept.text
    agent.click(kept.responses[-1], ActionId.PICK_TO_KEEP.value, block_id=f"choice.{invoice}")
    assert "Kept: CASE-1 “send the invoice”" in last_answer(slack, kept.responses[-1]).all_text()
    assert [p[2] for p in promises_of(bot)] == [PromiseState.OPEN, PromiseState.KEPT]

    agent.command(f"promise {case.ref} in 3 hours: refund the postage")
    asked = agent.command(f"reschedule {case.ref} in 5 hours: the bank is slow")
    assert "Which promise gets the new time?" in asked.text
    agent.click(asked.responses[-1], ActionId.PICK_TO_RESCHEDULE.value, block_id=f"choice.{call_back}")
    question = last_answer(slack, asked.responses[-1])
    assert "New time for “call back”" in question.all_text()
    agent.click(question, ActionId.RESCHEDULE_TOLD.value)
    states = {p[1]: p[2] for p in promises_of(bot) if p[2] is not PromiseState.RESCHEDULED}
    assert states == {
        "call back": PromiseState.OPEN,
        "send the invoice": PromiseState.KEPT,
        "refund the postage": PromiseState.OPEN,
    }


def test_a_promise_called_off_counts_as_cancelled_unless_it_was_already_missed(agent, slack, bot, clock):
    case = agent.open_case("Acme: parcel")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    agent.command(f"promise {case.ref} in 2 hours: send the label")
    call_back, label = (p[0] for p in promises_of(bot))
    asked = agent.command(f"cancel {case.ref} the customer no longer needs a call")
    agent.click(asked.responses[-1], ActionId.PICK_TO_CANCEL.value, block_id=f"choice.{call_back}")
    agent.click(last_answer(slack, asked.responses[-1]), ActionId.CANCEL_TOLD.value)
    # The label is called off only after it was due: it was missed first.
    clock.advance(hours=2, minutes=10)
    late = agent.command(f"cancel {case.ref} sent by post instead")
    agent.click(late.responses[-1], ActionId.CANCEL_TOLD.value)
    report = agent.command("report 1d").text
    assert "0 of 1 kept on time (0%)" in report and "1 missed" in report and "1 cancelled" in report
    assert label
