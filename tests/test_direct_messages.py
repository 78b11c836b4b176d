"""Writing to the bot in its DM (the app's Messages tab): answering a reminder with "done" keeps
the promise it was about, when only one can be meant; otherwise the person picks; anything else
gets help on what the DM understands. Never silence."""

from sqlalchemy import select

from handlers.ids import ActionId, BlockId
from handlers.listeners.threads import worth_recording
from storage.models import InboundEvent, Promise, PromiseState


def states(bot):
    with bot.db.transaction() as session:
        return {p.description: p.state for p in session.execute(select(Promise)).scalars()}


def bot_answers(agent):
    """The bot's answers in the DM: its messages there that are not reminders."""
    return [m for m in agent.dms() if "Reminder for" not in m.all_text()]


def test_done_answering_the_only_reminder_keeps_its_promise(agent, slack, bot, clock):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    clock.advance(minutes=16)
    bot.tick()
    (reminder,) = agent.dms()
    agent.write_to_bot("Done!")
    assert states(bot) == {"call back": PromiseState.KEPT}
    answers = bot_answers(agent)
    assert len(answers) == 1 and "Kept: CASE-1 “call back”" in answers[-1].all_text()
    # The reminder is redrawn without its buttons, saying what was done.
    redrawn = slack.message(reminder.channel, reminder.ts)
    assert BlockId.REMINDER_ACTIONS.value not in str(redrawn.blocks) and "Kept" in redrawn.all_text()
    with bot.db.transaction() as session:
        assert {e.state.value for e in session.execute(select(InboundEvent)).scalars()} == {"processed"}


def test_done_with_several_reminders_waiting_asks_which(agent, slack, bot, clock):
    first = agent.open_case("Acme: refund")
    second = agent.open_case("Globex: parcel")
    agent.command(f"promise {first.ref} in 30 minutes: call back")
    agent.command(f"promise {second.ref} in 40 minutes: send the label")
    clock.advance(minutes=26)
    bot.tick()
    reminders = agent.dms()
    assert len(reminders) == 2
    agent.write_to_bot("done")
    assert set(states(bot).values()) == {PromiseState.OPEN}
    (question,) = bot_answers(agent)
    assert "2 promises are open. Which promise was kept?" in question.all_text()
    assert "CASE-1" in question.all_text() and "CASE-2" in question.all_text()
    with bot.db.transaction() as session:
        label = session.execute(
            select(Promise.id).where(Promise.description == "send the label")
        ).scalar_one()
    agent.click(question, ActionId.PICK_TO_KEEP.value, block_id=f"choice.{label}")
    assert states(bot) == {"call back": PromiseState.OPEN, "send the label": PromiseState.KEPT}
    assert "Kept: CASE-2 “send the label”" in slack.message(question.channel, question.ts).all_text()

    # Written in a reminder's own thread, "done" means that reminder's promise.
    call_back_reminder = next(m for m in reminders if "call back" in m.all_text())
    agent.write_to_bot("done", thread_ts=call_back_reminder.ts)
    assert states(bot) == {"call back": PromiseState.KEPT, "send the label": PromiseState.KEPT}
    answer = [
        m for m in agent.dms() if m.thread_ts == call_back_reminder.ts and m.ts != call_back_reminder.ts
    ]
    assert answer and "Kept: CASE-1 “call back”" in answer[-1].all_text()
    # Again under the same reminder: it says what became of it, and nothing else is kept.
    agent.write_to_bot("done", thread_ts=call_back_reminder.ts)
    assert "isn't open any more: it was kept by <@UAGENT>" in agent.dms()[-1].all_text()


def test_done_with_a_case_or_nothing_waiting_and_anything_else_gets_help(agent, slack, bot):
    assert "No reminder of yours is waiting" in (agent.write_to_bot("done") and agent.dms()[-1].all_text())
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 2 hours: call back")
    agent.write_to_bot(f"done {case.ref}")
    assert states(bot) == {"call back": PromiseState.KEPT}
    agent.write_to_bot("what can you do?")
    help_text = agent.dms()[-1].all_text()
    assert "I didn't understand “what can you do?”" in help_text and "`done CASE-7`" in help_text
    assert "/case help" in help_text
    # Someone else's case is refused by name, in the DM.
    other_case = agent.open_case("Globex: parcel")
    agent.command(f"promise {other_case.ref} in 2 hours: send the label")
    slack.set_user("USAM", name="sam", tz="Europe/London")
    from tests.conftest import Person

    sam = Person("USAM", agent.client, slack, bot)
    sam.write_to_bot(f"done {other_case.ref}")
    assert "<@UAGENT>" in sam.dms()[-1].all_text()
    assert states(bot)["send the label"] is PromiseState.OPEN


def test_only_peoples_messages_in_the_dm_are_taken_not_the_bots_own():
    dm = {
        "type": "message",
        "channel": "DAGENT",
        "channel_type": "im",
        "user": "UAGENT",
        "text": "done",
        "ts": "1.1",
    }
    assert worth_recording(dm)
    assert not worth_recording({**dm, "bot_id": "B1", "user": "UBOT"})
    assert not worth_recording({**dm, "subtype": "message_changed"})
    assert not worth_recording({**dm, "channel_type": "channel"})  # top-level chatter in a channel
