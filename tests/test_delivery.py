"""Nothing lost, nothing sent twice: Slack failures, rate limits and a dispatcher that died
mid-send. The crash cases are replayed with the real outbox and sender, stopping exactly
where a killed process would have stopped."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import outbox
from storage.models import Notification, NotificationKind, NotificationState
from tests.conftest import link_manager


def promise_due_in_30_minutes(agent):
    link_manager(agent.bot, agent.user_id, "UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    return case


def reminder_row(bot):
    with bot.db.transaction() as session:
        return session.execute(
            select(Notification).where(Notification.kind == NotificationKind.REMINDER)
        ).scalar_one()


def notification_of(call):
    """The outbox row a chat.postMessage stood for (its id travels as message metadata)."""
    return ((call.params.get("metadata") or {}).get("event_payload") or {}).get("notification_id")


def test_slack_down_at_due_time_delivers_once_after_it_recovers(agent, manager, slack, bot, clock):
    case = promise_due_in_30_minutes(agent)
    slack.fail("chat.postMessage", status=500)
    clock.advance(minutes=31)
    bot.tick()
    assert agent.dms() == [] and manager.dms() == []
    assert reminder_row(bot).state is NotificationState.PENDING  # waiting, not lost
    slack.clear_faults()
    clock.advance(minutes=10)
    bot.tick()
    bot.tick()
    assert len(agent.dms()) == 1 and len(manager.dms()) == 1
    # Delivered in due order: the reminder (due first) before the escalation.
    order = [c.params["channel"] for c in slack.calls("chat.postMessage") if c.status == 200]
    assert order.index("UAGENT") < order.index("UMGR")
    assert case.ref in manager.dms()[0].all_text()


def test_connection_reset_is_retried_without_duplicating(agent, slack, bot, clock):
    promise_due_in_30_minutes(agent)
    slack.go_down()
    clock.advance(minutes=15)
    bot.tick()
    slack.come_back()
    assert reminder_row(bot).maybe_delivered
    clock.advance(minutes=5)
    bot.tick()
    assert len(agent.dms()) == 1


def test_rate_limit_retry_after_is_obeyed(agent, slack, bot, clock):
    promise_due_in_30_minutes(agent)
    slack.fail("chat.postMessage", status=429, retry_after=30, times=1)
    clock.advance(minutes=15)
    bot.tick()
    assert agent.dms() == []
    clock.advance(seconds=29)
    bot.tick()
    assert agent.dms() == [], "retried before Retry-After elapsed"
    clock.advance(seconds=1)
    bot.tick()
    assert len(agent.dms()) == 1


def test_dispatcher_died_after_slack_took_the_message_is_not_resent(agent, slack, bot, clock):
    promise_due_in_30_minutes(agent)
    clock.advance(minutes=15)
    dispatcher = bot.services.dispatcher
    with bot.db.transaction() as session:
        claims = outbox.claim_due(session, clock.now(), dispatcher.lease, 10)
    assert [c.kind for c in claims] == ["reminder"]
    # The dying process got its message to Slack, then was killed before recording it.
    dispatcher.sender.deliver(claims[0])
    assert len(agent.dms()) == 1
    clock.advance(dispatcher.lease + timedelta(seconds=1))
    bot.tick()
    assert len(agent.dms()) == 1, "re-sent a message Slack already had"
    assert reminder_row(bot).state is NotificationState.SENT
    assert slack.calls("conversations.history"), "the earlier message was looked for"


def test_dispatcher_died_after_claiming_sends_once_when_the_lease_expires(agent, slack, bot, clock):
    promise_due_in_30_minutes(agent)
    clock.advance(minutes=15)
    dispatcher = bot.services.dispatcher
    with bot.db.transaction() as session:
        outbox.claim_due(session, clock.now(), dispatcher.lease, 10)  # then the process died
    bot.tick()
    assert agent.dms() == [], "a live claim must not be taken by another dispatcher"
    clock.advance(dispatcher.lease + timedelta(seconds=1))
    bot.tick()
    bot.tick()
    assert len(agent.dms()) == 1


def test_permanent_refusal_is_reported_dead_not_retried_forever(agent, slack, bot, clock, caplog):
    promise_due_in_30_minutes(agent)
    slack.fail("chat.postMessage", status=200, error="account_inactive")
    clock.advance(minutes=15)
    bot.tick()
    row = reminder_row(bot)
    assert row.state is NotificationState.DEAD and row.last_error == "account_inactive"
    assert "notification.dead" in caplog.text

    def reminder_posts():
        # The reminder's own posts (the owner may also be told of other messages that died).
        return [c for c in slack.calls("chat.postMessage") if notification_of(c) == row.id]

    assert len(reminder_posts()) == 1
    clock.advance(hours=1)
    bot.tick()
    assert len(reminder_posts()) == 1


@pytest.mark.parametrize(("outage_minutes", "most_probes"), [(2, 8), (30, 30)])
def test_a_slack_outage_then_everything_due_goes_out_once_in_due_order(
    outage_minutes, most_probes, agent, manager, slack, bot, clock
):
    link_manager(agent.bot, agent.user_id, "UMGR")
    case = agent.open_case("Acme: refund")
    # Each promise owes a reminder, an escalation and its note, all due within the outage.
    for when in ("1 minute", "90 seconds", "2 minutes"):
        agent.command(f"promise {case.ref} in {when}: call back")
    bot.tick()
    sent_before = {c.params.get("channel") for c in slack.calls("chat.postMessage") if c.status == 200}
    assert "UAGENT" not in sent_before  # nothing of the plan went out yet

    slack.fail("chat.postMessage", status=500)
    outage_end = clock.now() + timedelta(minutes=outage_minutes)
    while clock.now() < outage_end:
        clock.advance(seconds=5)
        bot.tick()
    failed = [c for c in slack.calls("chat.postMessage") if c.status == 500]
    # The dispatcher probes with a growing pause instead of hammering Slack with every row.
    assert 3 <= len(failed) <= most_probes, len(failed)
    with bot.db.transaction() as session:
        owed = (
            session.execute(
                select(Notification).where(
                    Notification.state == NotificationState.PENDING, Notification.run_at <= clock.now()
                )
            )
            .scalars()
            .all()
        )
    assert len(owed) == 9  # everything due during the outage is waiting, none lost

    slack.clear_faults()
    for _ in range(40):
        clock.advance(seconds=5)
        bot.tick()
    with bot.db.transaction() as session:
        rows = session.execute(
            select(Notification).where(Notification.id.in_([r.id for r in owed]))
        ).scalars()
        due_order = [r.id for r in sorted(rows, key=lambda r: (r.run_at, r.id))]
        states = {r.id: r.state for r in session.execute(select(Notification)).scalars()}
    assert {states[i] for i in due_order} == {NotificationState.SENT}
    posts = [c for c in slack.calls("chat.postMessage") if c.status == 200]
    delivered = [c.params["metadata"]["event_payload"]["notification_id"] for c in posts]
    assert len(delivered) == len(set(delivered)), "something was sent twice"
    # Different conversations go side by side; each one gets its messages in due order.
    conversation = {
        c.params["metadata"]["event_payload"]["notification_id"]: c.params["channel"] for c in posts
    }
    for channel in ("UAGENT", "UMGR", "C1"):
        after_outage = [i for i in delivered if i in set(due_order) and conversation[i] == channel]
        in_due_order = [i for i in due_order if conversation[i] == channel]
        assert after_outage == in_due_order, f"not sent to {channel} in due order after the outage"
    assert len(agent.dms()) == 3 and len(manager.dms()) == 3


def test_retry_after_holds_back_every_message_not_just_the_one_refused(agent, slack, bot, clock):
    link_manager(agent.bot, agent.user_id, "UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 20 minutes: call back")
    agent.command(f"promise {case.ref} in 21 minutes: email the receipt")
    slack.fail("chat.postMessage", status=429, retry_after=30, times=1)
    clock.advance(minutes=10)
    bot.tick()
    calls = len(slack.calls("chat.postMessage"))
    clock.advance(seconds=29)
    bot.tick()
    assert len(slack.calls("chat.postMessage")) == calls, "Slack was called before Retry-After elapsed"
    clock.advance(seconds=1)
    bot.tick()
    assert len(agent.dms()) == 2


def test_a_message_slack_refuses_alone_does_not_hold_up_the_others(agent, manager, slack, bot, clock):
    """An error about one message (not Slack failing) is retried on its own and finally
    reported dead; everyone else's messages go out on time meanwhile."""
    link_manager(agent.bot, agent.user_id, "UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    slack.fail("chat.postMessage", status=200, error="some_new_error", only={"channel": "UAGENT"})
    clock.advance(minutes=31)
    bot.tick()
    bot.tick()
    assert len(manager.dms()) == 1, "the escalation waited behind the failing reminder"
    for _ in range(60):
        clock.advance(minutes=1)
        bot.tick()
    row = reminder_row(bot)
    assert row.state is NotificationState.DEAD
    attempts = [c for c in slack.calls("chat.postMessage") if notification_of(c) == row.id]
    assert len(attempts) == 6


def test_a_message_that_fails_with_5xx_alone_is_stepped_aside_once_slack_proves_fine(
    agent, manager, slack, bot, clock
):
    link_manager(agent.bot, agent.user_id, "UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    slack.fail("chat.postMessage", status=500, only={"channel": "UAGENT"})
    clock.advance(minutes=31)
    for _ in range(30):
        clock.advance(minutes=1)
        bot.tick()
    # After 8 failures it stepped aside, the escalation behind it went out.
    assert len(manager.dms()) == 1
    assert reminder_row(bot).state is NotificationState.PENDING  # still owed, never given up


def test_a_case_opened_while_slack_is_failing_is_saved_and_its_card_follows(agent, slack, bot, clock):
    link_manager(agent.bot, agent.user_id, "UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    slack.fail("chat.postMessage", status=500)
    clock.advance(minutes=16)
    bot.tick()  # the reminder fails: the dispatcher pauses
    calls = len(slack.calls("chat.postMessage"))
    opened = agent.command("open Globex: wrong invoice")
    assert "CASE-2 is saved" in opened.text and "I'll keep trying" in opened.text
    assert len(slack.calls("chat.postMessage")) == calls, "the pause was not respected"
    slack.clear_faults()
    for _ in range(10):
        clock.advance(seconds=30)
        bot.tick()
    cards = [m for m in slack.messages("C1") if m.thread_ts is None and "CASE-2" in m.all_text()]
    assert len(cards) == 1 and len(agent.dms()) == 1
