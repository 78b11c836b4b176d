"""Many messages due at once go out side by side, one conversation at a time: a person whose DM
hangs in Slack, or whose messages Slack refuses for good, holds up nobody else; each person
gets their own messages in due order; and when Slack fails under many sends at once, every
message still goes out exactly once, in order, after it recovers.

Slack's slowness is the stand-in holding calls (slack.hold) until the test lets them go, so
nothing here depends on how fast anything runs: a test waits for what must happen while the
held call is still held, and that could never happen if sends went one after another."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from storage.models import Notification, NotificationKind, NotificationState


@contextmanager
def ticking(bot, *holds) -> Iterator[None]:
    """One dispatcher pass on a thread of its own, so the test can look at Slack meanwhile. On
    leaving, whatever is still held is let go and the pass must finish."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            bot.tick()
        except BaseException as error:  # shown in the test's own failure
            failed.append(error)

    thread = threading.Thread(target=run, name="test-tick", daemon=True)
    thread.start()
    try:
        yield
    finally:
        for hold in holds:
            hold.release()
        thread.join(30)
    assert not thread.is_alive(), "the dispatcher pass never finished"
    if failed:
        raise failed[0]


def promises_of(someone, customer: str, minutes: tuple[int, ...]) -> None:
    """A case of their own, and a promise due in each of `minutes` (reminded 15 minutes before)."""
    case = someone.open_case(f"{customer}: parcel lost")
    for due in minutes:
        someone.command(f"promise {case.ref} in {due} minutes: call back at minute {due}")


def reminders(bot) -> list[Notification]:
    with bot.db.transaction() as session:
        query = select(Notification).where(Notification.kind == NotificationKind.REMINDER)
        return list(session.execute(query.order_by(Notification.run_at, Notification.id)).scalars())


def reminder_posts(slack, bot, *, taken_only: bool = True) -> Counter:
    """How often Slack took each reminder (taken_only=False: was asked to). It never takes one
    twice."""
    wanted = {row.id for row in reminders(bot)}
    posted = Counter(
        notification_id
        for call in slack.calls("chat.postMessage")
        if not taken_only or (call.status == 200 and call.error is None)
        for notification_id in ids_in(call.params["metadata"]["event_payload"])
    )
    posted = Counter({key: count for key, count in posted.items() if key in wanted})
    if taken_only:
        assert set(posted.values()) <= {1}, f"sent more than once: {posted}"
    return posted


def ids_in(payload: dict) -> list[int]:
    """The notification ids a message stands for: one, or a catch-up summary's."""
    return payload.get("notification_ids") or [payload["notification_id"]]


def minutes_in(dms) -> list[str]:
    """Which promise each reminder is about, in the order the person got them."""
    return [m.all_text().split("call back at minute ")[1][:2] for m in dms]


def test_while_one_persons_dm_hangs_everyone_elses_reminders_go_out(agent, other, person, slack, bot, clock):
    sam = person("USAM", "sam")
    # The agent's reminder is the first due, so one-after-another it would hold up the rest.
    promises_of(agent, "Acme", (20,))
    promises_of(other, "Globex", (21,))
    promises_of(sam, "Initech", (21,))
    stuck = slack.hold("chat.postMessage", only={"channel": "UAGENT"})
    clock.advance(minutes=7)
    with ticking(bot, stuck):
        stuck.wait_parked(1)
        slack.wait_for(lambda: other.dms() and sam.dms(), what="the other reminders while one hangs")
        assert agent.dms() == [], "the held reminder got through"
        stuck.release()
    assert [len(p.dms()) for p in (agent, other, sam)] == [1, 1, 1]
    assert {row.state for row in reminders(bot)} == {NotificationState.SENT}
    assert len(reminder_posts(slack, bot)) == 3


def test_many_due_at_once_go_side_by_side_and_each_person_gets_theirs_in_due_order(person, slack, bot, clock):
    people = [person(f"UAGENT{n}", f"agent{n}") for n in range(6)]
    for number, someone in enumerate(people):
        promises_of(someone, f"Customer {number}", (22, 20, 21))
    slack_posts = slack.hold("chat.postMessage")
    clock.advance(minutes=8)  # everyone's three reminders are due (at 5, 6 and 7 minutes)
    with ticking(bot, slack_posts):
        # Every person's conversation has a message with Slack at the same moment...
        at_once = slack_posts.wait_parked(len(people))
        conversations = [call["channel"] for call in at_once]
        # ...and never two of one conversation: Slack's per-channel limit is one a second.
        assert len(set(conversations)) == len(conversations), conversations
        slack_posts.release()
    for someone in people:
        assert minutes_in(someone.dms()) == ["20", "21", "22"], someone.user_id
    assert len(reminder_posts(slack, bot)) == 3 * len(people)


def test_a_message_slack_refuses_for_good_stops_nobody_else(agent, other, person, slack, bot, clock, caplog):
    sam = person("USAM", "sam")
    promises_of(agent, "Acme", (20, 21))
    promises_of(other, "Globex", (21,))
    promises_of(sam, "Initech", (22,))
    # Slack takes its time, then refuses the agent's messages for good (their account is gone).
    refusing = slack.hold("chat.postMessage", only={"channel": "UAGENT"})
    slack.fail("chat.postMessage", status=200, error="account_inactive", only={"channel": "UAGENT"})
    clock.advance(minutes=8)
    with ticking(bot, refusing):
        refusing.wait_parked(1)
        slack.wait_for(lambda: other.dms() and sam.dms(), what="the others' reminders")
        refusing.release()
    states = {row.recipient: [] for row in reminders(bot)}
    for row in reminders(bot):
        states[row.recipient].append((row.state, row.attempts))
    # Both of the agent's reported dead, each tried once; everyone else's sent.
    assert states == {
        "UAGENT": [(NotificationState.DEAD, 1), (NotificationState.DEAD, 1)],
        "UOTHER": [(NotificationState.SENT, 1)],
        "USAM": [(NotificationState.SENT, 1)],
    }
    assert caplog.text.count("notification.dead") == 2
    assert len(reminder_posts(slack, bot)) == 2
    clock.advance(hours=1)
    bot.tick()
    # Dead is dead: neither of the agent's reminders was asked of Slack again.
    assert sorted(reminder_posts(slack, bot, taken_only=False).values()) == [1, 1, 1, 1]


def test_slack_failing_under_many_sends_at_once_loses_nothing_and_sends_nothing_twice(
    person, slack, bot, clock
):
    people = [person(f"UAGENT{n}", f"agent{n}") for n in range(5)]
    for number, someone in enumerate(people):
        promises_of(someone, f"Customer {number}", (20, 21))
    planned = {row.id: row.run_at for row in reminders(bot)}
    slack_posts = slack.hold("chat.postMessage")
    clock.advance(minutes=8)
    with ticking(bot, slack_posts):
        slack_posts.wait_parked(len(people))
        # Slack goes down with a message of every conversation in flight.
        slack.fail("chat.postMessage", status=500)
        slack_posts.release()
    assert all(p.dms() == [] for p in people)
    rows = reminders(bot)
    # All still owed, at their own due times (their place in line), none lost.
    assert {row.state for row in rows} == {NotificationState.PENDING}
    assert {row.id: row.run_at for row in rows} == planned
    # Five failures at once are one failure: the first pause is the shortest (5 s), not five
    # backoffs deep.
    slack.clear_faults()
    clock.advance(seconds=5)
    bot.tick()
    for someone in people:
        assert minutes_in(someone.dms()) == ["20", "21"], someone.user_id
    assert {row.state for row in reminders(bot)} == {NotificationState.SENT}
    assert len(reminder_posts(slack, bot)) == 2 * len(people)
