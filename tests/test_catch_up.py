"""After downtime, one catch-up DM per person instead of a burst: the dispatcher doesn't run
while the clock moves past many due times (the bot was down), then it runs. Each notification
is still recorded as delivered exactly once, with the summary's ts, across crashes and Slack
outages; each item keeps its own buttons, and a click redraws only that item."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.new_times import Snooze
from handlers.ids import ActionId, BlockId, CallbackId
from handlers.views import catch_up, redraw
from handlers.views.snooze import LABELS
from storage import outbox
from storage.models import Notification, NotificationKind, NotificationState, Promise, PromiseState
from tests.conftest import RunningBot, link_manager, make_settings

CUSTOMERS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli")


def five_promises(agent, minutes=(30, 40, 50, 60, 70)) -> list:
    """Five cases, each with a promise: five reminders to the agent, five escalations to the
    manager."""
    link_manager(agent.bot, agent.user_id, "UMGR")
    cases = []
    for customer, due in zip(CUSTOMERS, minutes, strict=True):
        case = agent.open_case(f"{customer}: refund not received")
        agent.command(f"promise {case.ref} in {due} minutes: call {customer} back")
        cases.append(case)
    return cases


def rows(bot, kind: NotificationKind, recipient: str | None = None) -> list[Notification]:
    with bot.db.transaction() as session:
        query = select(Notification).where(Notification.kind == kind).order_by(Notification.id)
        if recipient is not None:
            query = query.where(Notification.recipient == recipient)
        return list(session.execute(query).scalars())


def posts_to(slack, user: str, status: int | None = 200) -> list:
    return [
        c
        for c in slack.calls("chat.postMessage")
        if c.params.get("channel") == user and (status is None or c.status == status)
    ]


def item_blocks(message, row_id: int) -> list[dict]:
    prefix = f"{catch_up.ITEM_PREFIX}{row_id}."
    return [b for b in message.blocks if str(b.get("block_id", "")).startswith(prefix)]


def buttons_of(blocks: list[dict]) -> set[str]:
    return {e["action_id"] for b in blocks if b.get("type") == "actions" for e in b.get("elements", [])}


def test_after_downtime_each_person_gets_one_summary_of_what_came_due(
    agent, manager, other, person, slack, bot, clock
):
    cases = five_promises(agent)
    # Olga has one promise: one reminder overdue, which goes out as the normal reminder.
    person("USAM", "sam")
    link_manager(other.bot, other.user_id, "USAM")
    olga_case = other.open_case("Soylent: wrong size")
    other.command(f"promise {olga_case.ref} in 30 minutes: send the label")
    clock.advance(minutes=85)  # the bot was down through every reminder and escalation
    bot.tick()
    bot.tick()

    summaries = agent.dms()
    assert len(summaries) == 1, [m.text for m in summaries]
    summary = summaries[0]
    text = summary.all_text()
    assert "While casekeeper was away, 5 things for you came due" in text
    for case, customer in zip(cases, CUSTOMERS, strict=True):
        assert case.ref in text and f"call {customer} back" in text
    reminders = rows(bot, NotificationKind.REMINDER, "UAGENT")
    assert len(reminders) == 5
    assert {(r.state, r.slack_ts) for r in reminders} == {(NotificationState.SENT, summary.ts)}
    assert summary.metadata["event_payload"]["notification_ids"] == [r.id for r in reminders]
    for reminder, promise_due in zip(reminders, (30, 40, 50, 60, 70), strict=True):
        # Its own buttons, and when it was due in the reader's own time. No snooze: it is due
        # already, and a snooze never lands after the due time.
        blocks = item_blocks(summary, reminder.id)
        assert buttons_of(blocks) == {
            ActionId.REMINDER_DONE,
            ActionId.REMINDER_RESCHEDULE,
            ActionId.REMINDER_ESCALATE,
        }
        assert f"{85 - promise_due}m late" in str(blocks) and "<!date^" in str(blocks)

    # The manager's five escalations: one summary, and each level-1 escalation's side effects.
    escalations = rows(bot, NotificationKind.ESCALATION, "UMGR")
    assert len(manager.dms()) == 1 and len(escalations) == 5
    assert {r.slack_ts for r in escalations} == {manager.dms()[0].ts}
    assert "5 things for you came due" in manager.dms()[0].all_text()
    later = [r for r in rows(bot, NotificationKind.ESCALATION) if r.level == 2]
    waiting = [r for r in later if r.state is NotificationState.PENDING]
    assert waiting, "every level 2 was due already; the test no longer shows levels being moved"
    assert all(r.run_at == clock.now() + timedelta(minutes=30) for r in waiting)
    # The thread notes that wait for their escalation followed it.
    for case in cases:
        assert any("overdue" in m.text and "<@UMGR>" in m.text for m in slack.thread("C1", case.card_ts))

    # Olga's single overdue reminder is her normal reminder.
    assert len(other.dms()) == 1
    assert "Reminder for" in other.dms()[0].all_text() and "came due" not in other.dms()[0].all_text()
    assert other.dms()[0].metadata["event_payload"].get("notification_id") is not None

    # Nothing is sent twice.
    clock.advance(minutes=5)
    bot.tick()
    assert len(agent.dms()) == 1 and len(manager.dms()) == 1 and len(other.dms()) == 1


def test_nothing_overdue_means_the_normal_messages(agent, manager, slack, bot, clock):
    five_promises(agent, minutes=(30, 31, 32, 33, 34))
    clock.advance(minutes=24)  # every reminder due, the oldest 9 minutes ago: not a catch-up
    bot.tick()
    reminders = agent.dms()
    assert len(reminders) == 5
    assert all("Reminder for" in m.all_text() and "came due" not in m.all_text() for m in reminders)
    assert len({m.ts for m in reminders}) == 5


def test_a_running_bot_held_back_by_slack_sends_the_normal_messages(agent, manager, slack, bot, clock):
    """Overdue because Slack failed while the bot was running: no summary, due order kept."""
    five_promises(agent, minutes=(30, 31, 32, 33, 34))
    slack.fail("chat.postMessage", status=500)
    for _ in range(40):
        clock.advance(minutes=1)
        bot.tick()
    slack.clear_faults()
    for _ in range(10):
        clock.advance(minutes=1)
        bot.tick()
    assert len(agent.dms()) == 5 and len(manager.dms()) == 5
    assert not any("came due" in m.all_text() for m in agent.dms() + manager.dms())


def test_a_burst_beyond_one_batch_is_one_summary(agent, slack, bot, clock):
    link_manager(agent.bot, agent.user_id, "UMGR")
    case = agent.open_case("Acme: a bad week")
    for n in range(120):
        agent.command(f"promise {case.ref} in {30 + n} minutes: call back #{n}")
    assert bot.services.dispatcher.batch < 120
    clock.advance(hours=4)
    bot.tick()
    assert len(agent.dms()) == 1
    summary = agent.dms()[0]
    assert "120 things for you came due" in summary.all_text()
    for n in range(120):
        assert f"call back #{n}”" in summary.all_text()
    reminders = rows(bot, NotificationKind.REMINDER, "UAGENT")
    assert {(r.state, r.slack_ts) for r in reminders} == {(NotificationState.SENT, summary.ts)}
    assert len(summary.blocks) <= 50


def test_a_click_on_one_item_acts_on_it_and_redraws_only_it(agent, manager, slack, bot, clock):
    five_promises(agent)
    clock.advance(minutes=85)
    bot.tick()
    summary = agent.dms()[0]
    reminders = rows(bot, NotificationKind.REMINDER, "UAGENT")
    first, second, third = reminders[0].id, reminders[1].id, reminders[2].id

    agent.click(summary, ActionId.REMINDER_DONE.value, block_id=f"catch_up.{second}.actions")
    redrawn = slack.message(summary.channel, summary.ts)
    assert buttons_of(item_blocks(redrawn, second)) == set()
    assert "Kept" in str(item_blocks(redrawn, second))
    for untouched in (r.id for r in reminders if r.id != second):
        assert item_blocks(redrawn, untouched) == item_blocks(summary, untouched)
    with bot.db.transaction() as session:
        kept = session.get(Promise, reminders[1].promise_id)
        assert kept is not None and kept.state is PromiseState.KEPT
        others = [session.get(Promise, r.promise_id) for r in reminders if r.id != second]
        assert all(p is not None and p.state is PromiseState.OPEN for p in others)

    # A modal in between: Reschedule on the third, submitted; only the third is redrawn.
    agent.click(redrawn, ActionId.REMINDER_RESCHEDULE.value, block_id=f"catch_up.{third}.actions")
    agent.submit(
        agent.modal(CallbackId.RESCHEDULE.value),
        {BlockId.WHEN_TEXT.value: "in 3 hours", BlockId.NOTE.value: "Courier", BlockId.TOLD.value: ["told"]},
    )
    after = slack.message(summary.channel, summary.ts)
    assert buttons_of(item_blocks(after, third)) == set() and "Rescheduled" in str(item_blocks(after, third))
    assert ActionId.REMINDER_DONE in buttons_of(item_blocks(after, first))
    assert ActionId.REMINDER_DONE in buttons_of(item_blocks(after, reminders[3].id))


class TestRemindedAnHourAhead:
    """A reminder caught up on more than CATCH_UP_AFTER late is still before its due time only
    when reminders come well ahead of it."""

    @pytest.fixture
    def bot_settings(self, slack, database_url):
        return make_settings(slack, database_url, reminder_lead=timedelta(hours=1))

    def test_snoozing_one_reminder_in_a_summary_twice_shows_only_the_latest(self, agent, slack, bot, clock):
        # Due in 100-104 minutes, reminded at 40-44: the bot was down through all five reminders.
        five_promises(agent, minutes=(100, 101, 102, 103, 104))
        clock.advance(minutes=60)
        bot.tick()
        [summary] = agent.dms()
        reminders = rows(bot, NotificationKind.REMINDER, "UAGENT")
        first, second = reminders[0].id, reminders[1].id
        agent.click(summary, ActionId.REMINDER_DONE.value, block_id=f"catch_up.{second}.actions")
        redrawn = slack.message(summary.channel, summary.ts)
        for _ in range(2):
            agent.click(
                redrawn,
                ActionId.REMINDER_SNOOZE.value,
                option=LABELS[Snooze.MINUTES_15],
                block_id=f"catch_up.{first}.actions",
            )
            redrawn = slack.message(summary.channel, summary.ts)
        snoozed = item_blocks(redrawn, first)
        assert ActionId.REMINDER_DONE in buttons_of(snoozed)
        assert str(snoozed).count("Snoozed") == 1
        assert "Kept" in str(item_blocks(redrawn, second))
        # Snoozed twice, reminded once more.
        clock.advance(minutes=15)
        bot.tick()
        clock.advance(minutes=15)
        bot.tick()
        assert len(agent.dms()) == 2


def test_acknowledging_one_escalation_in_a_summary(agent, manager, slack, bot, clock):
    five_promises(agent)
    clock.advance(minutes=85)
    bot.tick()
    summary = manager.dms()[0]
    escalations = rows(bot, NotificationKind.ESCALATION, "UMGR")
    chosen = escalations[2]
    manager.click(summary, ActionId.ESCALATION_ACKNOWLEDGE.value, block_id=f"catch_up.{chosen.id}.actions")
    redrawn = slack.message(summary.channel, summary.ts)
    assert "Acknowledged by <@UMGR>" in str(item_blocks(redrawn, chosen.id))
    assert buttons_of(item_blocks(redrawn, chosen.id)) == set()
    assert all(
        ActionId.ESCALATION_ACKNOWLEDGE in buttons_of(item_blocks(redrawn, e.id))
        for e in escalations
        if e.id != chosen.id
    )
    with bot.db.transaction() as session:
        acknowledged = session.get(Promise, chosen.promise_id)
        assert acknowledged is not None and acknowledged.acknowledged_by == "UMGR"


def test_dying_after_slack_took_the_summary_sends_no_second_one(agent, manager, slack, bot, clock):
    five_promises(agent)
    clock.advance(minutes=85)
    dispatcher = bot.services.dispatcher
    with bot.db.transaction() as session:
        claims = outbox.claim_due(session, clock.now(), dispatcher.lease, 100)
    mine = [c for c in claims if c.recipient == "UAGENT" and c.kind == NotificationKind.REMINDER.value]
    assert len(mine) == 5
    # The dying process got the summary to Slack, then was killed before recording it.
    dispatcher.sender.deliver_summary(mine)
    assert len(agent.dms()) == 1
    clock.advance(dispatcher.lease + timedelta(seconds=1))
    bot.tick()
    bot.tick()
    assert len(agent.dms()) == 1, "a second summary: the first was not found"
    reminders = rows(bot, NotificationKind.REMINDER, "UAGENT")
    assert {(r.state, r.slack_ts) for r in reminders} == {(NotificationState.SENT, agent.dms()[0].ts)}
    assert slack.calls("conversations.history"), "the earlier summary was looked for"
    assert len(manager.dms()) == 1


def test_a_row_re_sent_on_its_own_finds_itself_in_the_summary(
    agent, manager, slack, bot, bot_settings, clock
):
    """The restarted process doesn't summarise (CATCH_UP_AFTER raised meanwhile): each row,
    re-sent alone, still finds the summary that carried it."""
    five_promises(agent)
    clock.advance(minutes=85)
    dispatcher = bot.services.dispatcher
    with bot.db.transaction() as session:
        claims = outbox.claim_due(session, clock.now(), dispatcher.lease, 100)
    dispatcher.sender.deliver_summary([c for c in claims if c.recipient == "UAGENT"])
    bot.stop()
    clock.advance(dispatcher.lease + timedelta(seconds=1))
    restarted = RunningBot(replace(bot_settings, catch_up_after=timedelta(days=30)), clock)
    try:
        restarted.tick()
        restarted.tick()
    finally:
        restarted.stop()
    assert len(agent.dms()) == 1
    reminders = rows(restarted, NotificationKind.REMINDER, "UAGENT")
    assert {(r.state, r.slack_ts) for r in reminders} == {(NotificationState.SENT, agent.dms()[0].ts)}


def test_a_summary_during_a_slack_outage_goes_out_once_after_it(agent, manager, slack, bot, clock):
    five_promises(agent)
    clock.advance(minutes=85)
    slack.fail("chat.postMessage", status=500)
    for _ in range(24):
        clock.advance(seconds=5)
        bot.tick()
    failed = posts_to(slack, "UAGENT", status=500)
    assert 1 <= len(failed) <= 5, len(failed)  # probes with a growing pause, not a burst
    assert all("notification_ids" in c.params["metadata"]["event_payload"] for c in failed)
    reminders = rows(bot, NotificationKind.REMINDER, "UAGENT")
    assert {r.state for r in reminders} == {NotificationState.PENDING}
    assert all(r.maybe_delivered for r in reminders)

    slack.clear_faults()
    for _ in range(30):
        clock.advance(seconds=5)
        bot.tick()
    assert len(agent.dms()) == 1 and len(posts_to(slack, "UAGENT")) == 1
    assert "5 things for you came due" in agent.dms()[0].all_text()
    reminders = rows(bot, NotificationKind.REMINDER, "UAGENT")
    assert {(r.state, r.slack_ts) for r in reminders} == {(NotificationState.SENT, agent.dms()[0].ts)}
    assert len(manager.dms()) == 1


def test_retry_after_holds_back_the_summary(agent, manager, slack, bot, clock):
    five_promises(agent)
    clock.advance(minutes=85)
    slack.fail("chat.postMessage", status=429, retry_after=30, times=1)
    bot.tick()
    calls = len(slack.calls("chat.postMessage"))
    clock.advance(seconds=29)
    bot.tick()
    assert len(slack.calls("chat.postMessage")) == calls, "Slack was called before Retry-After elapsed"
    clock.advance(seconds=1)
    bot.tick()
    assert len(agent.dms()) == 1 and len(manager.dms()) == 1


def test_a_summary_slack_refuses_for_itself_goes_out_as_the_normal_messages(agent, slack, bot, clock):
    five_promises(agent)
    clock.advance(minutes=85)
    slack.fail("chat.postMessage", status=200, error="some_new_error", times=1, only={"channel": "UAGENT"})
    bot.tick()
    assert len(agent.dms()) == 5
    assert all("Reminder for" in m.all_text() for m in agent.dms())
    assert {r.state for r in rows(bot, NotificationKind.REMINDER, "UAGENT")} == {NotificationState.SENT}


def test_a_kept_promise_is_left_out_of_the_summary(agent, manager, slack, bot, clock):
    cases = five_promises(agent)
    clock.advance(minutes=85)
    # Kept while the bot was still down: its reminder and escalation are no longer owed.
    agent.command(f"done {cases[0].ref}")
    bot.tick()
    text = agent.dms()[0].all_text()
    assert "4 things for you came due" in text and "call Acme back" not in text


@pytest.mark.backend_independent
def test_redrawing_an_item_keeps_the_others_and_unique_block_ids():
    blocks = [
        {"type": "section", "block_id": "head", "text": {"type": "mrkdwn", "text": "x"}},
        {"type": "section", "block_id": "catch_up.7.text", "text": {"type": "mrkdwn", "text": "a"}},
        {"type": "actions", "block_id": "catch_up.7.actions", "elements": []},
        {"type": "section", "block_id": "catch_up.8.text", "text": {"type": "mrkdwn", "text": "b"}},
        {"type": "actions", "block_id": "catch_up.8.actions", "elements": []},
    ]
    assert redraw.item_of("catch_up.8.actions") == "catch_up.8"
    assert redraw.item_of("reminder_actions") is None and redraw.item_of(None) is None
    note = {"type": "context", "elements": []}
    redrawn = redraw.redraw_item(
        blocks, "catch_up.8", lambda own: [b for b in own if b["type"] != "actions"] + [note]
    )
    assert [b["block_id"] for b in redrawn] == [
        "head",
        "catch_up.7.text",
        "catch_up.7.actions",
        "catch_up.8.text",
        "catch_up.8.note1",
    ]


def test_an_escalation_outside_its_recipients_hours_waits_and_is_not_in_a_summary(
    agent, other, slack, bot, clock
):
    # Olga (Tokyo, where it is 23:00) manages Alex and takes escalations in office hours only.
    other.command("hours mon-fri 09:00-17:00")
    link_manager(agent.bot, agent.user_id, "UOTHER")
    for customer, due in zip(CUSTOMERS, (30, 40, 50, 60, 70), strict=True):
        case = agent.open_case(f"{customer}: refund not received")
        agent.command(f"promise {case.ref} in {due} minutes: call {customer} back")
    clock.advance(minutes=85)
    bot.tick()
    assert other.dms() == []
    escalations = rows(bot, NotificationKind.ESCALATION, "UOTHER")
    assert len(escalations) == 5 and {r.state for r in escalations} == {NotificationState.PENDING}
    assert all(r.run_at > clock.now() for r in escalations)  # moved to her next working hour
    summaries = [m for m in agent.dms() if "things for you came due" in m.all_text()]
    assert len(summaries) == 1 and "5 things for you came due" in summaries[0].all_text()
    # Besides the one summary, Alex hears once per promise that its escalation waits for Olga.
    waiting = [m for m in agent.dms() if m not in summaries]
    assert len(waiting) == 5 and all("will reach <@UOTHER>" in m.all_text() for m in waiting)
